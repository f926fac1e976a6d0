//! Reconciling WooCommerce orders by polling: WooCommerce never retries a webhook delivery
//! (and switches a hook off after a few failures), so an order whose delivery failed — we
//! were down, the database was busy, the hook was disabled — would otherwise never arrive.
//!
//! Every [`POLL_EVERY_SECS`] the tick asks the store's REST API for the orders modified since
//! the last complete scan (`GET {woocommerce_url}{woocommerce_api_path}/orders?modified_after=`),
//! [`PER_PAGE`] at a time, at most [`PAGES_PER_TICK`] pages per tick (a long scan continues on
//! the next tick). Each order goes through exactly what its webhook goes through
//! ([`crate::inbound::shop::apply`]), claimed under `poll:<id>:<date_modified>`; an order the
//! webhook already brought is a snapshot Orderpath has seen, and changes nothing. A scan that
//! finished moves the cursor to when it started, minus [`OVERLAP_SECS`] for the store's clock
//! and for orders that moved between pages while it ran.
//!
//! Polling is off while `woocommerce_url` is unset (its default, `https://woocommerce.invalid`)
//! or `woocommerce_consumer_key` or `woocommerce_consumer_secret` is empty. The scan is claimed with a conditional update, so
//! overlapping ticks never poll twice.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use orderpath_core::automation::config::Config;
use orderpath_wire::shop::{woocommerce, ShopNotice, ShopNoticeKind};
use serde_json::{json, Value};

use crate::clock::Timestamp;
use crate::config::{self, Secret};
use crate::db::{get_text, int, req_int, req_text, text, Db, DbError};
use crate::http::ApiError;
use crate::inbound::crm::Context;
use crate::inbound::shop;
use crate::outbound::{self, channels, HttpRequest};
use crate::plans::automation::Effects;
use crate::repo::idempotency::{self, Claim};

/// How often the store is asked (10 minutes).
pub const POLL_EVERY_SECS: i64 = 600;
/// Orders per page.
pub const PER_PAGE: usize = 50;
/// Pages per tick.
pub const PAGES_PER_TICK: i64 = 4;
/// The first scan looks this far back (a day).
pub const FIRST_LOOKBACK_SECS: i64 = 86_400;
/// A finished scan's next one starts this long before it did.
pub const OVERLAP_SECS: i64 = 600;

const PLATFORM: &str = "woocommerce";
/// Where the polled orders are claimed: the webhook's source.
const SOURCE: &str = "shop:woocommerce";

struct Api {
    base: String,
    path: String,
    authorization: Secret,
    timeout: std::time::Duration,
}

impl Api {
    fn from_variables() -> Result<Option<Api>, ApiError> {
        let Some(base) = config::optional_base_url("woocommerce_url")? else {
            return Ok(None);
        };
        let key = config::secret("woocommerce_consumer_key")?;
        let secret = config::secret("woocommerce_consumer_secret")?;
        if key.expose().is_empty() || secret.expose().is_empty() {
            return Ok(None);
        }
        let path = config::var("woocommerce_api_path")?;
        let path = path.trim().trim_end_matches('/');
        let path = if path.is_empty() {
            "/wp-json/wc/v3".to_owned()
        } else if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        let pair = format!("{}:{}", key.expose(), secret.expose());
        Ok(Some(Api {
            base,
            path,
            authorization: config::Secret::new(format!("Basic {}", BASE64.encode(pair))),
            timeout: channels::provider_timeout()?,
        }))
    }

    /// One page of the orders modified after `after` (UTC, `YYYY-MM-DDTHH:MM:SS`).
    fn orders(&self, after: &str, page: i64) -> Result<Vec<Value>, String> {
        let url = format!(
            "{}{}/orders?modified_after={after}&dates_are_gmt=true&per_page={PER_PAGE}&page={page}",
            self.base, self.path
        );
        let response = outbound::send(&HttpRequest {
            method: "GET",
            url,
            headers: vec![
                (
                    "authorization".to_owned(),
                    self.authorization.expose().to_owned(),
                ),
                ("accept".to_owned(), "application/json".to_owned()),
            ],
            body: Vec::new(),
            timeout: self.timeout,
        })
        .map_err(|error| format!("WooCommerce orders: {error}"))?;
        if !(200..300).contains(&response.status) {
            return Err(format!("WooCommerce orders: HTTP {}", response.status));
        }
        match serde_json::from_slice(&response.body) {
            Ok(Value::Array(orders)) => Ok(orders),
            _ => Err("WooCommerce orders: the answer is not a JSON list".to_owned()),
        }
    }
}

/// The scan this tick holds.
struct Scan {
    after: String,
    started_at: String,
    page: i64,
}

/// Polls the store when it is due; answers a summary for the tick.
pub fn poll_woocommerce(
    db: &Db,
    automation: &Config,
    now: Timestamp,
    queued: &mut Effects,
) -> Result<Value, ApiError> {
    let Some(api) = Api::from_variables()? else {
        return Ok(json!("off"));
    };
    let Some(mut scan) = claim(db, now, &api)? else {
        return Ok(json!("not due"));
    };
    let (mut created, mut checked, mut seen, mut refused) = (0, 0, 0, 0);
    for _ in 0..PAGES_PER_TICK {
        let orders = match api.orders(&scan.after, scan.page) {
            Ok(orders) => orders,
            Err(error) => {
                eprintln!("woocommerce poll: {error}");
                release(db, &scan, now.plus_secs(POLL_EVERY_SECS), Some(&error))?;
                return Ok(json!({ "error": error, "created": created, "checked": checked }));
            }
        };
        for order in &orders {
            match take(db, automation, order, now)? {
                Taken::Applied {
                    created: new,
                    messages,
                } => {
                    queued.messages.extend(messages);
                    created += usize::from(new);
                    checked += 1;
                }
                Taken::Seen => seen += 1,
                Taken::Refused => refused += 1,
            }
        }
        if orders.len() < PER_PAGE {
            finish(db, &scan, now)?;
            return Ok(summary(created, checked, seen, refused, false));
        }
        scan.page += 1;
    }
    // More pages: the next tick goes on where this one stopped.
    release(db, &scan, now, None)?;
    Ok(summary(created, checked, seen, refused, true))
}

/// `created`: orders only the poll brought; `checked`: orders compared with what Orderpath
/// had; `seen`: already taken at that modification; `refused`: left to a person.
fn summary(created: usize, checked: usize, seen: usize, refused: usize, more: bool) -> Value {
    json!({ "created": created, "checked": checked, "already_seen": seen,
            "refused": refused, "more": more })
}

enum Taken {
    /// Applied: created here (the webhook never brought it), or brought up to date.
    Applied { created: bool, messages: Vec<i64> },
    /// Already taken at this modification.
    Seen,
    /// Could not be taken: a task was created.
    Refused,
}

/// One polled order, through the webhook's code, once per modification.
fn take(db: &Db, automation: &Config, order: &Value, now: Timestamp) -> Result<Taken, ApiError> {
    let id = order.get("id").map(Value::to_string).unwrap_or_default();
    let modified = order
        .get("date_modified_gmt")
        .and_then(Value::as_str)
        .unwrap_or("");
    let key = format!("poll:{id}:{modified}");
    let body = order.to_string();
    let digest = idempotency::body_digest(body.as_bytes());
    let read = woocommerce::read_order(order);
    let actor = format!("integration:{PLATFORM}");
    db.transaction(|db| -> Result<Taken, ApiError> {
        if idempotency::claim(db, SOURCE, &key, &digest, now)? != Claim::New {
            return Ok(Taken::Seen);
        }
        let (answer, taken) = match &read {
            Ok(snapshot) => {
                let notice = ShopNotice {
                    key: key.clone(),
                    what: "poll".to_owned(),
                    kind: ShopNoticeKind::Order(Box::new(snapshot.clone())),
                };
                let cx = Context {
                    event_id: &key,
                    now,
                    config: automation,
                    cause: format!("{SOURCE}:{key}"),
                    actor: &actor,
                };
                let applied = shop::apply(db, PLATFORM, &notice, &cx)?;
                let detail: Value = serde_json::from_str(&applied.answer.body).unwrap_or_default();
                let created = detail["events"]
                    .as_array()
                    .is_some_and(|events| events.iter().any(|e| e == "order.created"));
                let taken = Taken::Applied {
                    created,
                    messages: applied.messages,
                };
                (applied.answer.body, taken)
            }
            Err(error) => {
                let plan = orderpath_core::task::platform_delivery_refused(
                    PLATFORM,
                    &key,
                    &format!("order {id}"),
                    &error.to_string(),
                );
                crate::repo::tasks::create_planned(db, &plan, (None, "role:manager"), now)?;
                (
                    json!({ "refused": error.to_string() }).to_string(),
                    Taken::Refused,
                )
            }
        };
        idempotency::record_answer(db, SOURCE, &key, 200, &answer)?;
        Ok(taken)
    })
}

/// Claims the scan when it is due and nobody holds it.
fn claim(db: &Db, now: Timestamp, api: &Api) -> Result<Option<Scan>, DbError> {
    let first = format_after(now.plus_secs(-FIRST_LOOKBACK_SECS));
    db.execute(
        "INSERT INTO platform_polls (platform, modified_after, due_at) VALUES (?, ?, ?)
         ON CONFLICT (platform) DO NOTHING",
        &[text(PLATFORM), text(first), text(now.to_rfc3339())],
    )?;
    let lease = now.plus_secs(PAGES_PER_TICK * 2 * (api.timeout.as_secs() as i64 + 1) + 60);
    let row = db.row(
        "UPDATE platform_polls
         SET lease_until = ?1, scan_started_at = COALESCE(scan_started_at, ?2)
         WHERE platform = ?3 AND due_at <= ?2 AND (lease_until IS NULL OR lease_until <= ?2)
         RETURNING modified_after, scan_started_at, next_page",
        &[
            text(lease.to_rfc3339()),
            text(now.to_rfc3339()),
            text(PLATFORM),
        ],
    )?;
    row.map(|row| {
        Ok(Scan {
            after: req_text(&row, 0)?,
            started_at: get_text(&row, 1)?.unwrap_or_default(),
            page: req_int(&row, 2)?.max(1),
        })
    })
    .transpose()
}

/// Gives the scan back: to go on at its page at `due`, recording `error`.
fn release(db: &Db, scan: &Scan, due: Timestamp, error: Option<&str>) -> Result<(), DbError> {
    db.execute(
        "UPDATE platform_polls SET lease_until = NULL, next_page = ?, due_at = ?, last_error = ?
         WHERE platform = ?",
        &[
            int(scan.page),
            text(due.to_rfc3339()),
            crate::db::opt_text(error),
            text(PLATFORM),
        ],
    )?;
    Ok(())
}

/// A complete scan: the next one asks from when this one started, less the overlap.
fn finish(db: &Db, scan: &Scan, now: Timestamp) -> Result<(), DbError> {
    let started = Timestamp::parse_rfc3339(&scan.started_at).unwrap_or(now);
    db.execute(
        "UPDATE platform_polls SET lease_until = NULL, next_page = 1, scan_started_at = NULL,
                modified_after = ?, due_at = ?, last_error = NULL
         WHERE platform = ?",
        &[
            text(format_after(started.plus_secs(-OVERLAP_SECS))),
            text(now.plus_secs(POLL_EVERY_SECS).to_rfc3339()),
            text(PLATFORM),
        ],
    )?;
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS` in UTC, as `modified_after` with `dates_are_gmt=true` takes it.
fn format_after(at: Timestamp) -> String {
    let text = at.to_rfc3339();
    text.get(..19).unwrap_or(&text).to_owned()
}
