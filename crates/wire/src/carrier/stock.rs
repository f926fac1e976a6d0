//! Stock levels from the accounting system, and V7: giving what is in stock to the orders
//! waiting for it.
//!
//! # Posts
//!
//! Our documented JSON, signed with Standard Webhooks (the caller verifies it):
//!
//! ```json
//! {"type": "stock.snapshot",
//!  "data": {"warehouse": "main",
//!           "items": [{"sku": "TEA-001", "available": 10}, {"sku": "CUP-010", "available": 3}]}}
//! ```
//!
//! - `stock.snapshot` is the whole list: an article it leaves out has nothing available. An
//!   empty snapshot says everything is out.
//! - `stock.changes` lists only the articles that changed (1 or more).
//! - `available` is the new level, never a difference, so a repeated post changes nothing.
//!   An integer ≥ 0 (`3.0` is read as 3).
//! - `sku` is the article number as the orders carry it (kept exactly, 1–64 characters, no
//!   control characters); an article listed twice in one post is refused, since one of the two
//!   levels would silently win.
//! - At most [`MAX_ITEMS`] articles.
//! - `warehouse` (optional, 1–64 characters) names whose levels these are. Levels are kept per
//!   warehouse and article, and an article's stock is the sum over the warehouses, so two
//!   warehouses posting their own snapshots never zero each other's articles: a snapshot says
//!   nothing about another warehouse. Posts without `warehouse` are one unnamed warehouse.
//!
//! The idempotency key is `webhook-id`.
//!
//! # Allocation (V7)
//!
//! [`allocate`] walks the waiting orders oldest first. An order is served when every article
//! it needs is there for it: the known level, less what other orders hold, less what earlier
//! orders of this walk took. A served order takes its quantities; one that cannot be served
//! whole takes nothing (no partial holds, which would strand stock) and does not stop a later
//! order that can be served. An article without a known level is not available. So nothing is
//! ever given beyond `level − held`, however the orders are shaped.

use std::collections::BTreeMap;

use serde_json::Value;

use super::check::{self, invalid, SHORT_TEXT_MAX};
use super::CarrierError;
use crate::acquirer::json::{self, Obj};
use orderpath_core::text::{char_len, echo, has_control};

/// The accepted `type`s: the whole list, or only the changed articles.
pub const TYPES: [&str; 2] = ["stock.snapshot", "stock.changes"];

/// Most articles in one post.
pub const MAX_ITEMS: usize = 10_000;

/// Longest article number, as in orders.
pub const SKU_MAX: usize = 64;

/// Largest level: beyond 2^53 a JSON float no longer holds every integer.
const MAX_LEVEL: i64 = 1 << 53;

/// A stock post, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockPost {
    /// The idempotency key (`webhook-id`).
    pub key: String,
    /// Whose levels these are: the trimmed `warehouse`, empty when the post names none.
    pub warehouse: String,
    /// A snapshot: every article of this warehouse not in `levels` has nothing available.
    pub full: bool,
    /// The articles' levels, `(sku, available)`, sorted by article.
    pub levels: Vec<(String, i64)>,
}

/// An order waiting for stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingOrder {
    /// The order's id.
    pub order_id: String,
    /// What it needs: `(sku, qty)`, one line per article.
    pub items: Vec<(String, i64)>,
}

/// What a served order takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The order's id.
    pub order_id: String,
    /// `(sku, qty)` per article, sorted by article: everything the order needs.
    pub items: Vec<(String, i64)>,
}

/// Reads a verified post; `webhook_id` is its `webhook-id` header.
pub fn parse(body: &[u8], webhook_id: &str) -> Result<StockPost, CarrierError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    let kind = root.required_str("type")?;
    let full = match kind {
        "stock.snapshot" => true,
        "stock.changes" => false,
        other => {
            return Err(invalid(
                "type",
                format!(
                    "unknown type {}; must be one of: {}",
                    echo(other),
                    TYPES.join(", ")
                ),
            ))
        }
    };
    let data = root.required_object("data")?;
    let warehouse = match data.str("warehouse")? {
        None => String::new(),
        Some(name) if name.trim().is_empty() => String::new(),
        Some(name) => check::text(name, SHORT_TEXT_MAX)
            .ok_or_else(|| {
                invalid(
                    data.path_of("warehouse"),
                    format!("must be text of 1–{SHORT_TEXT_MAX} characters"),
                )
            })?
            .to_owned(),
    };
    let items_path = data.path_of("items");
    let items = match data.value("items") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid(items_path, "must be an array")),
        None => return Err(invalid(items_path, "is required")),
    };
    if items.len() > MAX_ITEMS {
        return Err(invalid(
            items_path,
            format!("must list at most {MAX_ITEMS} articles"),
        ));
    }
    if items.is_empty() && !full {
        return Err(invalid(
            items_path,
            "must list at least 1 article (an empty stock.snapshot says everything is out)",
        ));
    }
    let mut levels: BTreeMap<&str, (usize, i64)> = BTreeMap::new();
    for (index, item) in items.iter().enumerate() {
        let path = format!("{items_path}[{index}]");
        let (sku, available) = level(item, &path)?;
        if let Some((first, _)) = levels.insert(sku, (index, available)) {
            return Err(invalid(
                format!("{path}.sku"),
                format!("{} is listed twice (also {items_path}[{first}])", echo(sku)),
            ));
        }
    }
    Ok(StockPost {
        key: webhook_id.to_owned(),
        warehouse,
        full,
        levels: levels
            .into_iter()
            .map(|(sku, (_, available))| (sku.to_owned(), available))
            .collect(),
    })
}

/// One `{"sku": …, "available": …}`.
fn level<'a>(item: &'a Value, path: &str) -> Result<(&'a str, i64), CarrierError> {
    let Value::Object(item) = item else {
        return Err(invalid(path, "must be an object with sku and available"));
    };
    let sku = match item.get("sku") {
        None | Some(Value::Null) => return Err(invalid(format!("{path}.sku"), "is required")),
        Some(Value::String(sku)) if !sku.is_empty() && char_len(sku) <= SKU_MAX => sku,
        Some(_) => {
            return Err(invalid(
                format!("{path}.sku"),
                format!("must be an article number of 1–{SKU_MAX} characters"),
            ))
        }
    };
    if has_control(sku) {
        return Err(invalid(
            format!("{path}.sku"),
            "must not contain control characters",
        ));
    }
    let rule = "must be an integer ≥ 0";
    let available = match item.get("available") {
        None | Some(Value::Null) => {
            return Err(invalid(format!("{path}.available"), "is required"))
        }
        Some(Value::Number(n)) => n.as_i64().or_else(|| {
            // `3.0` is an integer to JSON Schema; `3.5` or 1e300 is not.
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_LEVEL as f64)
                .map(|f| f as i64)
        }),
        Some(_) => None,
    };
    match available {
        Some(available) if (0..=MAX_LEVEL).contains(&available) => Ok((sku, available)),
        _ => Err(invalid(format!("{path}.available"), rule)),
    }
}

/// V7: the waiting orders (oldest first) that the stock serves whole, with what each takes, in
/// their order. `levels` is the known level per article, `held` what other orders already hold.
/// Quantities ≤ 0 need nothing.
pub fn allocate(
    levels: &BTreeMap<String, i64>,
    held: &BTreeMap<String, i64>,
    waiting: &[WaitingOrder],
) -> Vec<Allocation> {
    let mut taken: BTreeMap<&str, i64> = BTreeMap::new();
    let mut served = Vec::new();
    for order in waiting {
        let needs = needs(&order.items);
        let fits = needs.iter().all(|(sku, qty)| {
            let taken = taken.get(sku).copied().unwrap_or(0);
            free(levels, held, sku).is_some_and(|free| free.saturating_sub(taken) >= *qty)
        });
        if !fits {
            continue;
        }
        for (sku, qty) in &needs {
            let entry = taken.entry(sku).or_insert(0);
            *entry = entry.saturating_add(*qty);
        }
        served.push(Allocation {
            order_id: order.order_id.clone(),
            items: needs
                .into_iter()
                .map(|(sku, qty)| (sku.to_owned(), qty))
                .collect(),
        });
    }
    served
}

/// The articles of `items` that the known stock cannot cover after what `held` holds, sorted
/// (O6). An article without a known level is not short: without stock data we do not know.
pub fn short(
    levels: &BTreeMap<String, i64>,
    held: &BTreeMap<String, i64>,
    items: &[(String, i64)],
) -> Vec<String> {
    needs(items)
        .into_iter()
        .filter(|(sku, qty)| free(levels, held, sku).is_some_and(|free| free < *qty))
        .map(|(sku, _)| sku.to_owned())
        .collect()
}

/// What is free of an article: its level less what is held; `None` when the level is unknown.
fn free(levels: &BTreeMap<String, i64>, held: &BTreeMap<String, i64>, sku: &str) -> Option<i64> {
    let level = *levels.get(sku)?;
    Some(level.saturating_sub(held.get(sku).copied().unwrap_or(0)))
}

/// The positive quantities per article (lines of one article summed), sorted by article.
fn needs(items: &[(String, i64)]) -> BTreeMap<&str, i64> {
    let mut needs: BTreeMap<&str, i64> = BTreeMap::new();
    for (sku, qty) in items.iter().filter(|(_, qty)| *qty > 0) {
        let entry = needs.entry(sku.as_str()).or_insert(0);
        *entry = entry.saturating_add(*qty);
    }
    needs
}
