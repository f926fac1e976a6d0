//! Reconciling CDEK parcels by polling: CDEK never retries a webhook, so one lost while we
//! were down or busy would leave a parcel's status — and the customer's "at the pickup point"
//! SMS — behind for good.
//!
//! Every CDEK parcel we have heard of is watched (`carrier_polls`) until its delivery status is
//! final or its order is over. Each CDEK notice pushes its next poll [`QUIET_SECS`] out, so a
//! parcel whose webhooks arrive is never polled; one that has been quiet that long is asked
//! for with `GET /v2/orders/{uuid}` by the tick ([`poll_cdek`], at most [`POLLS_PER_TICK`] per
//! tick). The answer's newest status goes through exactly what a webhook goes through, under
//! the webhook's key (`orderpath_wire::carrier::cdek::read_order`), so a status polled and then
//! pushed — or pushed and then polled — is applied once and messages nobody twice.
//!
//! With the same credentials, a pushed status that completes or cancels an order is first
//! confirmed with the API ([`confirm_cdek`]); one the API does not confirm is kept unapplied
//! and its parcel polled by the next tick, which applies whatever CDEK's API says.
//!
//! Polling is off while `cdek_client_id` or `cdek_client_secret` is empty. A parcel is claimed
//! by a conditional update before it is polled, so overlapping ticks never poll it twice.

use orderpath_core::automation::config::Config;
use orderpath_core::delivery::confirm::{self, Verdict};
use orderpath_core::delivery::progress;
use orderpath_wire::carrier::{cdek, CarrierError, DeliveryNotice};
use serde_json::{json, Value};
use std::cell::RefCell;

use crate::cache::Cache;
use crate::clock::Timestamp;
use crate::config;
use crate::db::{int, opt_text, req_text, text, Db, DbError};
use crate::http::ApiError;
use crate::inbound::deliveries;
use crate::outbound::channels;
use crate::outbound::{self, HttpRequest, HttpResponse};
use crate::plans::automation::{Effects, Run};
use crate::repo::idempotency::{self, Claim};

/// A parcel is polled when CDEK has said nothing about it for this long (4 hours).
pub const QUIET_SECS: i64 = 4 * 3600;

/// At most this many parcels are polled per tick, so a tick stays short.
pub const POLLS_PER_TICK: i64 = 20;

/// Where CDEK's notices are claimed: the webhook's source, so a poll and a webhook of one
/// status are one notice.
const SOURCE: &str = "delivery:cdek";

/// After a CDEK notice about `parcel` (CDEK's order uuid) was applied to `order_id`: watch the
/// parcel, its next poll [`QUIET_SECS`] from now, or stop watching once its delivery status is
/// final.
pub fn heard(db: &Db, parcel: &str, order_id: &str, now: Timestamp) -> Result<(), DbError> {
    let status = db
        .row(
            "SELECT delivery_status FROM orders WHERE id = ?",
            &[text(order_id)],
        )?
        .and_then(|row| crate::db::get_text(&row, 0).ok().flatten());
    if status.as_deref().is_some_and(progress::is_final) {
        db.execute(
            "DELETE FROM carrier_polls WHERE carrier = ? AND parcel = ?",
            &[text(cdek::CARRIER), text(parcel)],
        )?;
        return Ok(());
    }
    db.execute(
        "INSERT INTO carrier_polls (carrier, parcel, order_id, next_at)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (carrier, parcel) DO UPDATE SET
            order_id = excluded.order_id, next_at = excluded.next_at",
        &[
            text(cdek::CARRIER),
            text(parcel),
            text(order_id),
            text(later(now, QUIET_SECS)),
        ],
    )?;
    Ok(())
}

/// Polls the CDEK parcels that have been quiet too long; queues what their statuses trigger.
/// Answers a summary for the tick's report. Failures to reach CDEK are counted on the parcel
/// (`failures`, `last_error`) and retried at the next poll; they never fail the tick.
pub fn poll_cdek(
    db: &Db,
    automation: &Config,
    now: Timestamp,
    queued: &mut Effects,
) -> Result<Value, ApiError> {
    let Some(api) = Api::from_variables()? else {
        return Ok(json!("off"));
    };
    let due = due_parcels(db, automation, now)?;
    let mut summary = Summary::default();
    if due.is_empty() {
        return Ok(summary.to_json());
    }
    for (parcel, next_at) in due {
        if !claim(db, &parcel, &next_at, now)? {
            summary.taken_by_others += 1;
            continue;
        }
        let answer = match api.order(&parcel, now) {
            Ok(body) => cdek::read_order(&body)
                .map(|notice| (notice, body))
                .map_err(|error| format!("CDEK's answer for {parcel}: {error}")),
            Err(CallError::Token(error)) => {
                // Without a token nothing else can be asked this tick.
                failed(db, &parcel, &error)?;
                summary.failed += 1;
                eprintln!("cdek poll: {error}");
                break;
            }
            Err(CallError::Order(error)) => Err(error),
        };
        match answer {
            Ok((Some(notice), body)) => {
                let cause = format!("{SOURCE}:{}", notice.key);
                let applied = db.transaction(|db| -> Result<Option<Vec<i64>>, DbError> {
                    let digest = idempotency::body_digest(&body);
                    if idempotency::claim(db, SOURCE, &notice.key, &digest, now)? != Claim::New {
                        return Ok(None);
                    }
                    let run = Run {
                        db,
                        config: automation,
                        now,
                        cause: &cause,
                    };
                    let raw = String::from_utf8_lossy(&body);
                    let receipt = deliveries::receive(&run, &notice, &raw)?;
                    let answer = json!({ "polled": true, "state": receipt.state });
                    idempotency::record_answer(db, SOURCE, &notice.key, 200, &answer.to_string())?;
                    Ok(Some(receipt.messages))
                })?;
                recovered(db, &parcel)?;
                match applied {
                    // Committed: its messages go out with the tick's others.
                    Some(messages) => {
                        queued.messages.extend(messages);
                        summary.new_statuses += 1;
                    }
                    None => summary.unchanged += 1,
                }
            }
            Ok((None, _)) => {
                recovered(db, &parcel)?;
                summary.unchanged += 1;
            }
            Err(error) => {
                eprintln!("cdek poll: {error}");
                failed(db, &parcel, &error)?;
                summary.failed += 1;
            }
        }
    }
    Ok(summary.to_json())
}

/// What CDEK's API said of a pushed status that would end an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// The API answered; the core's verdict on the push.
    Answered(Verdict),
    /// The API could not be asked (token, network, an answer we cannot read): the push is
    /// not applied, and the parcel is polled by the next tick.
    Unreachable(String),
}

impl Confirmation {
    /// Whether the push may be applied.
    pub fn confirmed(&self) -> bool {
        *self == Confirmation::Answered(Verdict::Confirmed)
    }
}

/// Asks CDEK's API for the parcel's newest status before a pushed status that completes or
/// cancels an order is applied (see `orderpath_core::delivery::confirm`). `None` when the push
/// needs no confirmation, or no API credentials are set (the push is then trusted on its
/// URL token alone, as documented).
pub fn confirm_cdek(notice: &DeliveryNotice) -> Result<Option<Confirmation>, ApiError> {
    if !confirm::needs_confirmation(notice) {
        return Ok(None);
    }
    let Some(parcel) = notice.carrier_order_id.as_deref() else {
        return Ok(None);
    };
    let Some(api) = Api::from_variables()? else {
        return Ok(None);
    };
    let answer = api
        .order(parcel, Timestamp::now())
        .map_err(CallError::into_message)
        .and_then(|body| {
            cdek::read_order(&body).map_err(|error| format!("CDEK's answer for {parcel}: {error}"))
        });
    Ok(Some(match answer {
        Ok(newest) => Confirmation::Answered(confirm::verdict(notice, newest.as_ref())),
        Err(error) => {
            eprintln!("cdek confirmation: {error}");
            Confirmation::Unreachable(error)
        }
    }))
}

/// Polls `parcel` at the next tick (a push that could not be confirmed).
pub fn poll_soon(db: &Db, parcel: &str, order_id: &str, now: Timestamp) -> Result<(), DbError> {
    db.execute(
        "INSERT INTO carrier_polls (carrier, parcel, order_id, next_at)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (carrier, parcel) DO UPDATE SET
            order_id = excluded.order_id, next_at = excluded.next_at",
        &[
            text(cdek::CARRIER),
            text(parcel),
            text(order_id),
            text(now.to_rfc3339()),
        ],
    )?;
    Ok(())
}

#[derive(Default)]
struct Summary {
    new_statuses: usize,
    unchanged: usize,
    failed: usize,
    taken_by_others: usize,
}

impl Summary {
    fn to_json(&self) -> Value {
        json!({
            "new_statuses": self.new_statuses,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "taken_by_others": self.taken_by_others,
        })
    }
}

/// The parcels due for a poll, oldest first, as `(parcel, next_at)`; parcels of orders that
/// are over are forgotten on the way.
fn due_parcels(
    db: &Db,
    automation: &Config,
    now: Timestamp,
) -> Result<Vec<(String, String)>, DbError> {
    let finished = automation.statuses.path.finished();
    db.execute(
        "DELETE FROM carrier_polls WHERE carrier = ? AND next_at <= ?
            AND order_id IN (SELECT id FROM orders WHERE status IN (SELECT value FROM json_each(?)))",
        &[
            text(cdek::CARRIER),
            text(now.to_rfc3339()),
            text(json!(finished).to_string()),
        ],
    )?;
    let rows = db.execute(
        "SELECT parcel, next_at FROM carrier_polls WHERE carrier = ? AND next_at <= ?
         ORDER BY next_at LIMIT ?",
        &[
            text(cdek::CARRIER),
            text(now.to_rfc3339()),
            int(POLLS_PER_TICK),
        ],
    )?;
    rows.rows
        .iter()
        .map(|row| Ok((req_text(row, 0)?, req_text(row, 1)?)))
        .collect()
}

/// Takes the parcel for this tick: pushes its next poll out, only if nobody did since we read
/// it. True when this tick got it.
fn claim(db: &Db, parcel: &str, next_at: &str, now: Timestamp) -> Result<bool, DbError> {
    let claimed = db.row(
        "UPDATE carrier_polls SET next_at = ?, polled_at = ?
         WHERE carrier = ? AND parcel = ? AND next_at = ?
         RETURNING parcel",
        &[
            text(later(now, QUIET_SECS)),
            text(now.to_rfc3339()),
            text(cdek::CARRIER),
            text(parcel),
            text(next_at),
        ],
    )?;
    Ok(claimed.is_some())
}

fn recovered(db: &Db, parcel: &str) -> Result<(), DbError> {
    db.execute(
        "UPDATE carrier_polls SET failures = 0, last_error = NULL WHERE carrier = ? AND parcel = ?",
        &[text(cdek::CARRIER), text(parcel)],
    )?;
    Ok(())
}

fn failed(db: &Db, parcel: &str, error: &str) -> Result<(), DbError> {
    db.execute(
        "UPDATE carrier_polls SET failures = failures + 1, last_error = ?
         WHERE carrier = ? AND parcel = ?",
        &[opt_text(Some(error)), text(cdek::CARRIER), text(parcel)],
    )?;
    Ok(())
}

fn later(now: Timestamp, secs: i64) -> String {
    now.plus_secs(secs).to_rfc3339()
}

/// CDEK's API at `cdek_api_url`, with the account's credentials.
struct Api {
    base: String,
    timeout: std::time::Duration,
    client_id: String,
    client_secret: config::Secret,
    /// Where the token is kept between requests (see [`crate::cache`]).
    cache: Cache,
    cache_key: String,
    /// The token this request uses, once it has one.
    token: RefCell<Option<String>>,
}

/// Why CDEK's API could not answer.
enum CallError {
    /// No token could be had: nothing can be asked.
    Token(String),
    /// The order could not be read.
    Order(String),
}

impl CallError {
    fn into_message(self) -> String {
        match self {
            CallError::Token(message) | CallError::Order(message) => message,
        }
    }
}

/// A token kept in the key-value store.
#[derive(serde::Serialize, serde::Deserialize)]
struct KeptToken {
    token: String,
    /// Unix seconds after which it is not used.
    use_until: i64,
}

/// A kept token is used until this long before CDEK said it expires.
const TOKEN_MARGIN_SECS: i64 = 120;

impl Api {
    /// The API, when `cdek_client_id` and `cdek_client_secret` are both set.
    fn from_variables() -> Result<Option<Api>, ApiError> {
        let client_id = config::var("cdek_client_id")?.trim().to_owned();
        let client_secret = config::secret("cdek_client_secret")?;
        if client_id.is_empty() || client_secret.expose().is_empty() {
            return Ok(None);
        }
        let base = config::base_url("cdek_api_url")?;
        let cache_key =
            crate::cache::key("cdek-token", &[&base, &client_id, client_secret.expose()]);
        Ok(Some(Api {
            base,
            timeout: channels::provider_timeout()?,
            client_id,
            client_secret,
            cache: Cache::open(),
            cache_key,
            token: RefCell::new(None),
        }))
    }

    /// `GET /v2/orders/{uuid}`'s body, with the token this request already has, else the one
    /// kept from an earlier request, else a new one. A kept token CDEK refuses (401) is
    /// forgotten and the order asked for once more with a new one.
    fn order(&self, parcel: &str, now: Timestamp) -> Result<Vec<u8>, CallError> {
        let (token, kept) = self.token(now)?;
        match self.order_with(&token, parcel) {
            Err((Some(401), _)) if kept => {
                self.cache.delete(&self.cache_key);
                *self.token.borrow_mut() = None;
                let (fresh, _) = self.token(now)?;
                self.order_with(&fresh, parcel)
                    .map_err(|(_, message)| CallError::Order(message))
            }
            result => result.map_err(|(_, message)| CallError::Order(message)),
        }
    }

    /// A token, and whether it was kept from an earlier request.
    fn token(&self, now: Timestamp) -> Result<(String, bool), CallError> {
        if let Some(token) = self.token.borrow().clone() {
            return Ok((token, false));
        }
        let kept = self
            .cache
            .get(&self.cache_key)
            .and_then(|bytes| serde_json::from_slice::<KeptToken>(&bytes).ok())
            .filter(|kept| kept.use_until > now.unix());
        let (token, was_kept) = match kept {
            Some(kept) => (kept.token, true),
            None => {
                let (token, lifetime) = self.new_token().map_err(CallError::Token)?;
                if let Some(secs) = lifetime.filter(|secs| *secs > TOKEN_MARGIN_SECS) {
                    let kept = KeptToken {
                        token: token.clone(),
                        use_until: now.unix() + secs - TOKEN_MARGIN_SECS,
                    };
                    if let Ok(bytes) = serde_json::to_vec(&kept) {
                        self.cache.set(&self.cache_key, &bytes);
                    }
                }
                (token, false)
            }
        };
        *self.token.borrow_mut() = Some(token.clone());
        Ok((token, was_kept))
    }

    /// A new token for the client credentials (`POST /v2/oauth/token`), and how long it
    /// lives when CDEK says so.
    fn new_token(&self) -> Result<(String, Option<i64>), String> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose())
            .finish();
        let response = self
            .send(HttpRequest {
                method: "POST",
                url: format!("{}/v2/oauth/token", self.base),
                headers: vec![(
                    "content-type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                )],
                body: body.into_bytes(),
                timeout: self.timeout,
            })
            .map_err(|(_, message)| message)?;
        let token = cdek::read_token(&response.body)
            .map_err(|error: CarrierError| format!("CDEK's token answer: {error}"))?;
        Ok((token, cdek::read_token_lifetime(&response.body)))
    }

    /// `GET /v2/orders/{uuid}`'s body with `token`.
    fn order_with(&self, token: &str, parcel: &str) -> Result<Vec<u8>, (Option<u16>, String)> {
        let uuid: String = form_urlencoded::byte_serialize(parcel.as_bytes()).collect();
        let response = self.send(HttpRequest {
            method: "GET",
            url: format!("{}/v2/orders/{uuid}", self.base),
            headers: vec![
                ("authorization".to_owned(), format!("Bearer {token}")),
                ("accept".to_owned(), "application/json".to_owned()),
            ],
            body: Vec::new(),
            timeout: self.timeout,
        })?;
        Ok(response.body)
    }

    /// Sends; anything but a 2xx is an error naming the status (and giving it).
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, (Option<u16>, String)> {
        let path = request.url[self.base.len()..].to_owned();
        let response =
            outbound::send(&request).map_err(|error| (None, format!("CDEK {path}: {error}")))?;
        if !(200..300).contains(&response.status) {
            return Err((
                Some(response.status),
                format!("CDEK {path}: HTTP {}", response.status),
            ));
        }
        Ok(response)
    }
}
