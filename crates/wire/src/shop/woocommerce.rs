//! WooCommerce webhooks (`order.created`, `order.updated`, `order.restored`,
//! `order.deleted`) and the orders of its REST API v3 (`GET /wp-json/wc/v3/orders`), which
//! are the same JSON.
//!
//! Facts from WooCommerce's delivery code (`includes/class-wc-webhook.php`):
//!
//! - A delivery is a `POST` of the REST v3 order as JSON. `X-WC-Webhook-Signature` is
//!   base64(HMAC-SHA256(secret, body)) over the exact bytes sent; `X-WC-Webhook-Topic`,
//!   `-Resource`, `-Event`, `-ID` (the webhook's id), `-Delivery-ID` and `-Source` come with
//!   it. Any 2xx, 301 or 302 counts as delivered. WooCommerce HTML-decodes the stored secret
//!   before signing (`wp_specialchars_decode`), so the secret to configure here is the one
//!   typed into WooCommerce, `&` and quotes as they are.
//! - The activation ping (`deliver_ping`) is a plain form `POST` of `webhook_id=<id>` with
//!   none of those headers, so no signature: it is recognised by its body before the
//!   signature is checked, answered 200 (it must be exactly 200) and nothing is stored.
//! - `order.deleted` fires when an order is moved to the trash (its hooks are `wp_trash_post`
//!   and `woocommerce_trash_order`; deleting for good sends nothing); its body is only
//!   `{"id": <id>}`, the order's own id, not its number, so a renumbered order is found by
//!   its platform id. `order.restored` brings it back
//!   from the trash with the whole order.
//! - The delivery id is a hash of the webhook's id and the current second: new for every
//!   delivery. WooCommerce does not retry a failed delivery by itself; what arrives again is
//!   a later change (a new delivery of a newer order) or an admin's re-send, both with new
//!   ids. So the delivery id only recognises the very same request; the snapshot's
//!   `updated_at` (the order's `date_modified_gmt`) is what makes a re-sent order change
//!   nothing (`orderpath_core::platform::plan`). Without a delivery id (a proxy dropped it)
//!   the key is the webhook, the order and its modification time: the same content.
//!
//! The mapping to our order is documented on [`read_order`].

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::{Request, ShopNotice, ShopNoticeKind};
use crate::acquirer::json::{self, id_text, invalid, Obj};
use crate::acquirer::verify::{form_pairs, hmac_sha256, same_bytes, sha256_hex};
use crate::acquirer::NoticeError;
use orderpath_core::event::{OrderId, PaymentOutcome};
use orderpath_core::platform::{PlatformOrder, PlatformPayment};

use super::common::{self, code_of, new_order, per_unit, text_of, usable_phone};

/// The `X-WC-Webhook-Signature` value for `body`: base64 of its HMAC-SHA256 with the
/// webhook's secret.
pub fn sign(secret: &str, body: &[u8]) -> String {
    common::signature(secret, body)
}

/// Checks a delivery (or recognises the activation ping) and reads it. `secret` is the
/// webhook's secret (never empty: the caller refuses the request when it is not configured).
pub fn read(request: &Request<'_>, secret: &str) -> Result<ShopNotice, NoticeError> {
    if let Some(webhook_id) = ping(request.body) {
        return Ok(ShopNotice {
            key: format!("ping:{webhook_id}"),
            what: "ping".to_owned(),
            kind: ShopNoticeKind::Ping,
        });
    }
    authenticate(request, secret)?;
    let topic = request
        .header("x-wc-webhook-topic")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            NoticeError::Malformed("the X-WC-Webhook-Topic header is missing".to_owned())
        })?
        .to_owned();
    let delivery = request
        .header("x-wc-webhook-delivery-id")
        .map(str::trim)
        .filter(|d| !d.is_empty());
    let webhook = request.header("x-wc-webhook-id").unwrap_or("").trim();
    let value = json::parse(request.body)?;
    let root = Obj::root(&value)?;
    let (content_key, kind) = match topic.as_str() {
        "order.created" | "order.updated" | "order.restored" => {
            let order = read_order(&value)?;
            let modified = order.updated_at.clone().unwrap_or_default();
            (
                format!("{}:{modified}", order.platform_id),
                ShopNoticeKind::Order(Box::new(order)),
            )
        }
        "order.deleted" => {
            let platform_id = root.required_id("id")?;
            let number = root.id("number")?.unwrap_or_else(|| platform_id.clone());
            let order_id = OrderId::parse(&number).map_err(|e| invalid("number", e.to_string()))?;
            (
                format!("{platform_id}:deleted"),
                ShopNoticeKind::Deleted {
                    order_id,
                    platform_id,
                },
            )
        }
        _ => (
            format!("{topic}:{}", &sha256_hex(request.body)[..16]),
            ShopNoticeKind::Ignored,
        ),
    };
    let key = match delivery {
        Some(d) => id_text("X-WC-Webhook-Delivery-ID", d)?,
        None => format!("{webhook}:{content_key}"),
    };
    Ok(ShopNotice {
        key,
        what: topic,
        kind,
    })
}

/// The webhook's id when `body` is the activation ping, `webhook_id=<digits>` and nothing else.
fn ping(body: &[u8]) -> Option<String> {
    if body.trim_ascii_start().starts_with(b"{") {
        return None;
    }
    match form_pairs(body).as_slice() {
        [(name, id)] if name == "webhook_id" && !id.is_empty() => {
            id.bytes().all(|b| b.is_ascii_digit()).then(|| id.clone())
        }
        _ => None,
    }
}

fn authenticate(request: &Request<'_>, secret: &str) -> Result<(), NoticeError> {
    let given = request.header("x-wc-webhook-signature").ok_or_else(|| {
        NoticeError::Unauthorized("the X-WC-Webhook-Signature header is missing".to_owned())
    })?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(given.trim())
        .unwrap_or_default();
    if same_bytes(&given, &hmac_sha256(secret.as_bytes(), request.body)) {
        Ok(())
    } else {
        Err(NoticeError::Unauthorized(
            "the X-WC-Webhook-Signature header does not match the body".to_owned(),
        ))
    }
}

/// A WooCommerce REST v3 order (a webhook's body, or one element of
/// `GET /wp-json/wc/v3/orders`) in our terms.
///
/// - Order id: `number` (what the customer sees; plugins renumber it), else `id`;
///   `platform_id` is `id`. `created_at`/`updated_at`: `date_created_gmt`/`date_modified_gmt`,
///   which carry no zone but are UTC, with `Z` added.
/// - Money: the decimals (`total`, `discount_total`, `shipping_total`, a line's `subtotal`)
///   in minor units of `currency`, rounded half up. A line's unit price is its `subtotal`
///   (before coupons) over its quantity, or `price` without a subtotal; the coupons are the
///   order's `discount_total`.
/// - Items: `line_items`, the article being `sku`, else the variation's or product's id.
/// - Customer: `billing` names, phone (else `shipping.phone`) and email.
/// - Delivery: `shipping_lines[0].method_id` as a code (`flat_rate` → `flat-rate`,
///   `local_pickup`), the `shipping` address on one line (the `billing` one when empty).
/// - Channel and method from `created_via`: `admin` (typed in by staff) → `phone`/`phone`;
///   `rest-api` (another system) → `api`/`cart`; `checkout`, `store-api` (the classic and the
///   block checkout) and anything else → `site`/`cart`.
/// - UTM: the order attribution meta (`_wc_order_attribution_utm_source` …), WooCommerce
///   8.5+.
/// - State: `status`. Payment: `refunded` → refunded, the sum of `refunds[].total` (else the
///   total); `date_paid_gmt` set, or `processing`/`completed` → succeeded for the total.
///   The payment's id is `woocommerce:<id>:<transaction_id>` (`paid` without one).
///   A partial refund of a paid order reports nothing new.
pub fn read_order(order: &Value) -> Result<PlatformOrder, NoticeError> {
    let root = Obj::root(order)?;
    let platform_id = root.required_id("id")?;
    let order_id = root.id("number")?.unwrap_or_else(|| platform_id.clone());
    let currency = json::currency("currency", root.required_str("currency")?)?;
    let digits = currency.minor_digits();
    let money = |key: &str| -> Result<Option<i64>, NoticeError> {
        common::value_minor(key, root.value(key), digits)
    };

    let billing = root.object("billing")?;
    let shipping = root.object("shipping")?;
    let field = |obj: &Option<Obj<'_>>, key: &str| obj.as_ref().and_then(|o| text_of(o.value(key)));
    let name = person_name(&billing).or_else(|| person_name(&shipping));
    let email = field(&billing, "email");
    let phone = field(&billing, "phone").or_else(|| field(&shipping, "phone"));
    let phone = usable_phone(phone.as_deref(), email.as_deref());

    let (channel, order_method) = match root.str("created_via")?.map(str::trim) {
        Some("admin") => ("phone", "phone"),
        Some("rest-api") => ("api", "cart"),
        _ => ("site", "cart"),
    };
    let shipping_line = first_shipping_line(&root)?;
    let delivery_kind = shipping_line
        .as_ref()
        .and_then(|l| text_of(l.value("method_id")))
        .and_then(|m| code_of(&m));
    let address = one_line_address(&shipping).or_else(|| one_line_address(&billing));

    let mut data = Map::new();
    data.insert("order_id".into(), json!(order_id));
    if let Some(created) = gmt(&root, "date_created_gmt")? {
        data.insert("created_at".into(), json!(created));
    }
    data.insert("currency".into(), json!(currency.as_str()));
    data.insert("channel".into(), json!(channel));
    data.insert("order_method".into(), json!(order_method));
    data.insert(
        "customer".into(),
        json!({ "name": name, "phone": phone, "email": email }),
    );
    data.insert("items".into(), Value::Array(items(&root, digits)?));
    data.insert(
        "delivery".into(),
        json!({
            "type": delivery_kind,
            "address": address,
            "cost": money("shipping_total")?.unwrap_or(0),
        }),
    );
    data.insert(
        "discount".into(),
        json!(money("discount_total")?.unwrap_or(0)),
    );
    let total = money("total")?.ok_or_else(|| invalid("total", "is required"))?;
    data.insert("total".into(), json!(total));
    data.insert("utm".into(), utm(&root)?);
    if let Some(note) = root.str("customer_note")? {
        data.insert("comment".into(), json!(note));
    }
    let new = new_order("WooCommerce", Value::Object(data), str::to_owned)?;

    let state = root
        .str("status")?
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let payment = payment(&root, &platform_id, state.as_deref(), total, digits)?;
    Ok(PlatformOrder {
        order: new,
        platform_id,
        updated_at: gmt(&root, "date_modified_gmt")?,
        state,
        payment,
        tags: Vec::new(),
        customer_tags: Vec::new(),
    })
}

/// `first_name last_name`, `None` when both are blank.
fn person_name(obj: &Option<Obj<'_>>) -> Option<String> {
    let obj = obj.as_ref()?;
    let parts: Vec<String> = ["first_name", "last_name"]
        .iter()
        .filter_map(|k| text_of(obj.value(k)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The address parts of `billing` or `shipping` on one line; `None` without a street or city.
fn one_line_address(obj: &Option<Obj<'_>>) -> Option<String> {
    let obj = obj.as_ref()?;
    let part = |k: &str| text_of(obj.value(k));
    part("address_1").or_else(|| part("city"))?;
    let parts: Vec<String> = [
        "address_1",
        "address_2",
        "city",
        "state",
        "postcode",
        "country",
    ]
    .iter()
    .filter_map(|k| part(k))
    .collect();
    Some(parts.join(", "))
}

/// A `*_gmt` date-time (`2026-11-24T07:15:00`, UTC without a zone) in RFC 3339.
fn gmt(root: &Obj<'_>, key: &str) -> Result<Option<String>, NoticeError> {
    let Some(text) = root.str(key)?.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let has_zone = text.ends_with('Z')
        || text.ends_with('z')
        || text
            .get(19..)
            .is_some_and(|rest| rest.contains('+') || rest.contains('-'));
    let time = if has_zone {
        text.to_owned()
    } else {
        format!("{text}Z")
    };
    if orderpath_core::automation::time::rfc3339::is_valid(&time) {
        Ok(Some(time))
    } else {
        Err(invalid(
            key,
            format!(
                "must be a date-time such as 2026-11-24T07:15:00, got {}",
                orderpath_core::text::echo(text)
            ),
        ))
    }
}

fn first_shipping_line<'a>(root: &Obj<'a>) -> Result<Option<Obj<'a>>, NoticeError> {
    match root.value("shipping_lines") {
        None => Ok(None),
        Some(Value::Array(lines)) => match lines.first() {
            None => Ok(None),
            Some(line) => Obj::root(line)
                .map(Some)
                .map_err(|_| invalid("shipping_lines[0]", "must be an object")),
        },
        Some(_) => Err(invalid("shipping_lines", "must be an array")),
    }
}

/// `line_items` as our items (`sku`, `name`, `qty`, `price` per unit in minor units).
fn items(root: &Obj<'_>, digits: u32) -> Result<Vec<Value>, NoticeError> {
    let lines = match root.value("line_items") {
        Some(Value::Array(lines)) => lines,
        Some(_) => return Err(invalid("line_items", "must be an array")),
        None => return Err(invalid("line_items", "is required")),
    };
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let path = format!("line_items[{i}]");
            let line = Obj::root(line).map_err(|_| invalid(&path, "must be an object"))?;
            let qty = match line.value("quantity") {
                Some(Value::Number(n)) => n.as_i64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            }
            .ok_or_else(|| invalid(format!("{path}.quantity"), "must be an integer"))?;
            let variation = line.id("variation_id")?.filter(|v| v != "0");
            let sku = text_of(line.value("sku"))
                .or(variation)
                .or(line.id("product_id")?)
                .ok_or_else(|| invalid(format!("{path}.sku"), "is required (or product_id)"))?;
            let subtotal =
                common::value_minor(&format!("{path}.subtotal"), line.value("subtotal"), digits)?;
            let price = match subtotal {
                Some(sum) => per_unit(sum, qty),
                None => common::value_minor(&format!("{path}.price"), line.value("price"), digits)?
                    .ok_or_else(|| invalid(format!("{path}.subtotal"), "is required"))?,
            };
            Ok(json!({
                "sku": sku,
                "name": line.value("name").cloned().unwrap_or(Value::Null),
                "qty": qty,
                "price": price,
            }))
        })
        .collect()
}

/// UTM tags from WooCommerce's order attribution meta.
fn utm(root: &Obj<'_>) -> Result<Value, NoticeError> {
    let mut utm = Map::new();
    let Some(meta) = root.value("meta_data") else {
        return Ok(Value::Object(utm));
    };
    let Value::Array(entries) = meta else {
        return Err(invalid("meta_data", "must be an array"));
    };
    for entry in entries {
        let (Some(key), Some(value)) = (
            entry.get("key").and_then(Value::as_str),
            text_of(entry.get("value")),
        ) else {
            continue;
        };
        let Some(tag) = key.strip_prefix("_wc_order_attribution_utm_") else {
            continue;
        };
        // WooCommerce stores "(none)" for a tag the visit did not have.
        if ["source", "medium", "campaign", "content", "term"].contains(&tag) && value != "(none)" {
            utm.insert(tag.to_owned(), json!(value));
        }
    }
    Ok(Value::Object(utm))
}

fn payment(
    root: &Obj<'_>,
    platform_id: &str,
    state: Option<&str>,
    total: i64,
    digits: u32,
) -> Result<Option<PlatformPayment>, NoticeError> {
    let transaction = text_of(root.value("transaction_id")).unwrap_or_else(|| "paid".to_owned());
    let payment_id = format!("woocommerce:{platform_id}:{transaction}");
    if state == Some("refunded") {
        let mut refunded = 0i64;
        if let Some(Value::Array(refunds)) = root.value("refunds") {
            for (i, refund) in refunds.iter().enumerate() {
                let field = format!("refunds[{i}].total");
                let amount = common::value_minor(&field, refund.get("total"), digits)?;
                refunded = refunded.saturating_add(amount.unwrap_or(0).abs());
            }
        }
        return Ok(Some(PlatformPayment {
            outcome: PaymentOutcome::Refunded,
            amount: if refunded > 0 { refunded } else { total },
            payment_id,
        }));
    }
    let paid_date = root
        .str("date_paid_gmt")?
        .is_some_and(|d| !d.trim().is_empty());
    let paid_status = matches!(state, Some("processing" | "completed"));
    Ok((paid_date || paid_status).then_some(PlatformPayment {
        outcome: PaymentOutcome::Succeeded,
        amount: total,
        payment_id,
    }))
}

#[cfg(test)]
#[path = "woocommerce_tests.rs"]
mod tests;
