//! Shopify HTTPS webhooks for orders.
//!
//! A POST whose body is the order as the REST Admin API's Order resource has it now, with
//! `X-Shopify-Topic` (`orders/create`, `orders/paid`, …), `X-Shopify-Webhook-Id` (the same
//! on every retry of one delivery: the idempotency key) and `X-Shopify-Hmac-Sha256`:
//! base64(HMAC-SHA256(key = the app's client secret, message = the raw body)). Shopify wants a
//! 2xx within 5 s and retries 8 times over 4 hours.
//!
//! **Secret rotation.** After the client secret is rotated Shopify may keep signing with the
//! old one for up to an hour. The secret variable may therefore hold two secrets, the old and
//! the new, separated by a comma or whitespace (`old,new`); a delivery signed with either is
//! authentic. Every secret is tried (constant time each), so the answer's timing does not tell
//! which matched. Drop the old one after the hour.
//!
//! **Reading the order.** The order topics ([`ORDER_TOPICS`]) become
//! [`ShopNoticeKind::Order`]; any other topic is authentic but [`ShopNoticeKind::Ignored`].
//! The order is turned into the documented `order.created` data and read by
//! [`orderpath_core::event::parse_order_event`], so it is checked exactly as our own format
//! is; a refusal names the Shopify field (`line_items[0].quantity`). Money is the shop's
//! currency (`currency`, `total_price`, line `price`, `shipping_lines[].price`), decimal
//! strings read into minor units of that currency. What the mapping chooses where Shopify
//! leaves room:
//! - our order id is `name` without its leading `#` (`#1001` → `1001`);
//! - a line without a `sku` takes its `variant_id`, else `product_id`, else its own `id`;
//! - the phone is the first of `phone`, `customer.phone`, `shipping_address.phone`,
//!   `billing_address.phone` that reads as a phone number; one that does not is dropped when
//!   there is an email (Shopify does not check phone formats), else it is refused;
//! - free text the core bounds (name, address, comment, UTM, category) is cut to the bound
//!   rather than refusing a real order; codes (`source_name`, the shipping code) are made
//!   into lower-case codes;
//! - `state` is `cancelled` (`cancelled_at`), `fulfilled`, `partially_fulfilled`, `closed`
//!   (`closed_at`) or `open`;
//! - the payment follows `financial_status`: `paid` → succeeded for the total, `authorized` →
//!   authorised, `refunded`/`partially_refunded` → refunded for the successful refund
//!   transactions in the shop's currency (the total when there are none), others → none; its
//!   id is `shopify:<id>`.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::{NoticeError, Request, ShopNotice, ShopNoticeKind};
use crate::acquirer::verify::{hmac_sha256, minor_units, same_bytes};
use orderpath_core::event::PaymentOutcome;
use orderpath_core::message::Language;
use orderpath_core::money::Currency;
use orderpath_core::platform::{PlatformOrder, PlatformPayment};

/// The topics that carry an order, read into [`ShopNoticeKind::Order`].
pub const ORDER_TOPICS: [&str; 6] = [
    "orders/create",
    "orders/updated",
    "orders/paid",
    "orders/cancelled",
    "orders/fulfilled",
    "orders/partially_fulfilled",
];

/// Longest `X-Shopify-Webhook-Id` taken (they are UUIDs).
const KEY_MAX: usize = 128;
// The core's bounds (docs/order-events.md); longer text is cut, not refused.
const NAME_MAX: usize = 200;
const ADDRESS_MAX: usize = 1_000;
const COMMENT_MAX: usize = 2_000;
const UTM_MAX: usize = 200;
const CATEGORY_MAX: usize = 64;
const CODE_MAX: usize = 32;

/// The `X-Shopify-Hmac-Sha256` header value for `body` signed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    super::common::signature(secret, body)
}

/// Checks a delivery's signature with `secret` (one secret, or the old and the new separated
/// by a comma or whitespace) and reads it.
pub fn read(request: &Request<'_>, secret: &str) -> Result<ShopNotice, NoticeError> {
    authenticate(request, secret)?;
    let malformed = |m: &str| NoticeError::Malformed(m.to_owned());
    let key = request
        .header("x-shopify-webhook-id")
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| malformed("the X-Shopify-Webhook-Id header is missing"))?;
    if key.chars().count() > KEY_MAX || key.chars().any(char::is_control) {
        return Err(malformed(
            "the X-Shopify-Webhook-Id header is not a delivery id",
        ));
    }
    let topic = request
        .header("x-shopify-topic")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| malformed("the X-Shopify-Topic header is missing"))?;
    let kind = if ORDER_TOPICS.contains(&topic) {
        let value: Value = serde_json::from_slice(request.body)
            .map_err(|e| NoticeError::Malformed(format!("malformed JSON: {e}")))?;
        let map = value
            .as_object()
            .ok_or_else(|| malformed("the body is not a JSON object"))?;
        ShopNoticeKind::Order(Box::new(order(&Node::root(map))?))
    } else {
        ShopNoticeKind::Ignored
    };
    Ok(ShopNotice {
        key: key.to_owned(),
        what: topic.chars().take(KEY_MAX).collect(),
        kind,
    })
}

fn authenticate(request: &Request<'_>, secret: &str) -> Result<(), NoticeError> {
    let unauthorized = |m: &str| NoticeError::Unauthorized(m.to_owned());
    let header = request
        .header("x-shopify-hmac-sha256")
        .ok_or_else(|| unauthorized("the X-Shopify-Hmac-Sha256 header is missing"))?;
    let given = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| unauthorized("the X-Shopify-Hmac-Sha256 header is not base64"))?;
    let secrets = secret
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty());
    // Every secret is tried, so the time taken does not tell which one matched.
    let mut tried = false;
    let mut matched = false;
    for secret in secrets {
        tried = true;
        matched |= same_bytes(&hmac_sha256(secret.as_bytes(), request.body), &given);
    }
    match (tried, matched) {
        (_, true) => Ok(()),
        (false, _) => Err(unauthorized("no Shopify secret is configured")),
        (true, false) => Err(unauthorized(
            "the X-Shopify-Hmac-Sha256 header does not match the body",
        )),
    }
}

/// The order as Shopify has it now, in our terms.
fn order(root: &Node) -> Result<PlatformOrder, NoticeError> {
    let platform_id = root
        .id("id")?
        .ok_or_else(|| invalid(root.path_of("id"), "is required"))?;
    let code = root
        .text("currency")?
        .ok_or_else(|| invalid("currency", "is required"))?;
    let currency = Currency::parse(&code.to_ascii_uppercase())
        .map_err(|e| invalid("currency", e.to_string()))?;
    let digits = currency.minor_digits();
    let customer = root.object("customer")?;
    let shipping_address = root.object("shipping_address")?;
    let billing_address = root.object("billing_address")?;
    let shipping_lines = root.objects("shipping_lines")?;

    let mut delivery_cost = 0i64;
    for line in &shipping_lines {
        let price = line.money("price", digits)?.unwrap_or(0);
        delivery_cost = delivery_cost
            .checked_add(price)
            .ok_or_else(|| invalid(line.path_of("price"), "is too large"))?;
    }
    let delivery_kind = match shipping_lines.first() {
        Some(first) => {
            let by_code = first.text("code")?.and_then(|c| code_of(c, false));
            match by_code {
                Some(code) => Some(code),
                None => first.text("title")?.and_then(|t| code_of(t, false)),
            }
        }
        None => None,
    };
    let source = root.text("source_name")?;
    let (channel, order_method) = match source {
        Some("web") => (Some("site".to_owned()), Some("cart")),
        Some("shopify_draft_order") => (Some("phone".to_owned()), Some("phone")),
        Some(other) => (code_of(other, true), None),
        None => (None, None),
    };
    let items = root
        .objects("line_items")?
        .iter()
        .map(|line| item(line, digits))
        .collect::<Result<Vec<_>, _>>()?;
    let language = root
        .text("customer_locale")?
        .and_then(Language::parse)
        .map(Language::as_str);

    let contact_data = contact(
        root,
        customer.as_ref(),
        shipping_address.as_ref(),
        billing_address.as_ref(),
        language,
    )?;
    let data = json!({
        "order_id": order_id(root)?,
        "created_at": root.text("created_at")?,
        "currency": currency.as_str(),
        "channel": channel,
        "order_method": order_method,
        "customer": contact_data,
        "items": items,
        "delivery": {
            "type": delivery_kind,
            "address": shipping_address.as_ref().map(address).transpose()?.flatten(),
            "cost": delivery_cost,
        },
        "discount": root.money("total_discounts", digits)?.unwrap_or(0),
        "total": root.money("total_price", digits)?,
        "utm": utm(root.text("landing_site")?),
        "comment": root.text("note")?.map(|n| cut(n, COMMENT_MAX)),
    });
    let new_order = super::common::new_order("shopify", data, shopify_field)?;
    let updated_at = root.text("updated_at")?.map(str::to_owned);
    if let Some(at) = &updated_at {
        if !orderpath_core::automation::time::rfc3339::is_valid(at) {
            return Err(invalid(
                "updated_at",
                "must be an RFC 3339 date-time, e.g. 2026-11-24T10:15:00+03:00",
            ));
        }
    }
    let payment = payment(root, &platform_id, &currency, new_order.total)?;
    Ok(PlatformOrder {
        order: new_order,
        updated_at,
        state: Some(state(root)?.to_owned()),
        payment,
        tags: tags(root.text("tags")?),
        customer_tags: match &customer {
            Some(c) => tags(c.text("tags")?),
            None => Vec::new(),
        },
        platform_id,
    })
}

/// `name` without its leading `#`; `order_number`, then `id`, when there is no name.
fn order_id(root: &Node) -> Result<String, NoticeError> {
    if let Some(name) = root.text("name")? {
        let id = name.strip_prefix('#').unwrap_or(name).trim();
        if !id.is_empty() {
            return Ok(id.to_owned());
        }
    }
    match root.id("order_number")? {
        Some(number) => Ok(number),
        None => root.id("id")?.ok_or_else(|| invalid("name", "is required")),
    }
}

/// The customer's name, phone, email and language as `order.created` has them.
fn contact(
    root: &Node,
    customer: Option<&Node>,
    shipping: Option<&Node>,
    billing: Option<&Node>,
    language: Option<&str>,
) -> Result<Value, NoticeError> {
    let mut name = None;
    if let Some(c) = customer {
        let parts = [c.text("first_name")?, c.text("last_name")?];
        let joined: Vec<&str> = parts.into_iter().flatten().collect();
        if !joined.is_empty() {
            name = Some(joined.join(" "));
        }
    }
    for address in [billing, shipping].into_iter().flatten() {
        if name.is_none() {
            name = address.text("name")?.map(str::to_owned);
        }
    }
    let phones = [
        root.text("phone")?,
        customer.map(|c| c.text("phone")).transpose()?.flatten(),
        shipping.map(|a| a.text("phone")).transpose()?.flatten(),
        billing.map(|a| a.text("phone")).transpose()?.flatten(),
    ];
    let emails = [
        root.text("email")?,
        root.text("contact_email")?,
        customer.map(|c| c.text("email")).transpose()?.flatten(),
    ];
    let phone = first_valid(&phones, |p| {
        orderpath_core::contact::Phone::parse(p).is_ok()
    });
    let email = first_valid(&emails, |e| {
        orderpath_core::contact::Email::parse(e).is_ok()
    });
    // A contact that does not parse is dropped when the other one is there; with neither,
    // the first one given goes to the core, which refuses it naming what is wrong.
    let (phone, email) = match (phone, email) {
        (None, None) => (
            first_valid(&phones, |_| true),
            first_valid(&emails, |_| true),
        ),
        other => other,
    };
    Ok(json!({
        "name": name.map(|n| cut(&n, NAME_MAX)),
        "phone": phone,
        "email": email,
        "language": language,
    }))
}

fn first_valid<'a>(candidates: &[Option<&'a str>], ok: impl Fn(&str) -> bool) -> Option<&'a str> {
    candidates.iter().flatten().copied().find(|c| ok(c))
}

/// One line item as `order.created` has it.
fn item(line: &Node, digits: u32) -> Result<Value, NoticeError> {
    let sku = match line.text("sku")? {
        Some(sku) => Some(sku.to_owned()),
        None => match line.id("variant_id")? {
            Some(variant) => Some(variant),
            None => match line.id("product_id")? {
                Some(product) => Some(product),
                None => line.id("id")?,
            },
        },
    };
    let name = match line.text("name")? {
        Some(name) => Some(name),
        None => line.text("title")?,
    };
    Ok(json!({
        "sku": sku,
        "name": name,
        "qty": line.value("quantity"),
        "price": line.money("price", digits)?,
        "category": line.text("product_type")?.map(|t| cut(t, CATEGORY_MAX)),
    }))
}

/// `shipping_address` as one line: address1, address2, city, zip, country.
fn address(node: &Node) -> Result<Option<String>, NoticeError> {
    let mut parts = Vec::new();
    for key in ["address1", "address2", "city", "zip", "country"] {
        if let Some(part) = node.text(key)? {
            parts.push(part);
        }
    }
    Ok((!parts.is_empty()).then(|| cut(&parts.join(", "), ADDRESS_MAX)))
}

/// UTM tags from the query of `landing_site` (`/products/x?utm_source=ig&…`), decoded.
fn utm(landing_site: Option<&str>) -> Value {
    let query = landing_site
        .and_then(|site| site.split_once('?'))
        .map(|(_, query)| query.split('#').next().unwrap_or_default())
        .unwrap_or_default();
    let mut tags: [Option<String>; 5] = Default::default();
    let names = [
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_content",
        "utm_term",
    ];
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(i) = names.iter().position(|n| *n == key) {
            let value = value.trim();
            if tags[i].is_none() && !value.is_empty() {
                tags[i] = Some(cut(value, UTM_MAX));
            }
        }
    }
    let [source, medium, campaign, content, term] = tags;
    json!({
        "source": source,
        "medium": medium,
        "campaign": campaign,
        "content": content,
        "term": term,
    })
}

/// The platform state: `cancelled`, `fulfilled`, `partially_fulfilled`, `closed` or `open`.
fn state(root: &Node) -> Result<&'static str, NoticeError> {
    if root.text("cancelled_at")?.is_some() {
        return Ok("cancelled");
    }
    Ok(match root.text("fulfillment_status")? {
        Some("fulfilled") => "fulfilled",
        Some("partial") => "partially_fulfilled",
        _ if root.text("closed_at")?.is_some() => "closed",
        _ => "open",
    })
}

/// The payment `financial_status` reports: `paid` → succeeded for `total_price`;
/// `refunded`/`partially_refunded` → refunded for the successful refund transactions in the
/// shop's currency (the total when the order lists none); `authorized` → authorised for the
/// total; `pending`, `partially_paid`, `voided` and others report none.
fn payment(
    root: &Node,
    platform_id: &str,
    currency: &Currency,
    total: i64,
) -> Result<Option<PlatformPayment>, NoticeError> {
    let (outcome, amount) = match root.text("financial_status")? {
        Some("paid") => (PaymentOutcome::Succeeded, total),
        Some("authorized") => (PaymentOutcome::Authorised, total),
        Some("refunded" | "partially_refunded") => {
            let refunded = refunded(root, currency)?;
            (PaymentOutcome::Refunded, refunded.unwrap_or(total))
        }
        _ => return Ok(None),
    };
    Ok(Some(PlatformPayment {
        outcome,
        amount,
        payment_id: format!("shopify:{platform_id}"),
    }))
}

/// The sum of `refunds[].transactions[]` with `kind` `refund` that did not fail, in the shop's
/// currency; `None` when there is none.
fn refunded(root: &Node, currency: &Currency) -> Result<Option<i64>, NoticeError> {
    let mut sum: Option<i64> = None;
    for refund in root.objects("refunds")? {
        for transaction in refund.objects("transactions")? {
            let counts = transaction.text("kind")? == Some("refund")
                && matches!(transaction.text("status")?, None | Some("success"))
                && transaction
                    .text("currency")?
                    .is_none_or(|c| c.eq_ignore_ascii_case(currency.as_str()));
            if !counts {
                continue;
            }
            let amount = transaction
                .money("amount", currency.minor_digits())?
                .unwrap_or(0);
            sum = Some(
                sum.unwrap_or(0)
                    .checked_add(amount)
                    .ok_or_else(|| invalid(transaction.path_of("amount"), "is too large"))?,
            );
        }
    }
    Ok(sum)
}

/// Comma-separated tags, trimmed, empty ones dropped.
fn tags(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `text` as a code of the order format: lower-case ASCII letters and digits, other runs of
/// characters as one `-` (`_` kept when `underscore`), at most 32; `None` when nothing is left.
fn code_of(text: &str, underscore: bool) -> Option<String> {
    let mut code = String::new();
    for c in text.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || (underscore && c == '_') {
            code.push(c);
        } else if !code.is_empty() && !code.ends_with('-') {
            code.push('-');
        }
    }
    let code: String = code.trim_end_matches('-').chars().take(CODE_MAX).collect();
    let code = code.trim_end_matches('-');
    (!code.is_empty()).then(|| code.to_owned())
}

/// At most `max` characters of `text`.
fn cut(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The Shopify field behind a path of our `order.created` (`data.items[0].qty` →
/// `line_items[0].quantity`), for refusals.
fn shopify_field(path: &str) -> String {
    let path = path.strip_prefix("data.").unwrap_or(path);
    if let Some(rest) = path.strip_prefix("items") {
        let (index, field) = match rest.split_once("].") {
            Some((index, field)) => (format!("{index}]"), field),
            None => (rest.to_owned(), ""),
        };
        let field = match field {
            "qty" => "quantity",
            "category" => "product_type",
            other => other,
        };
        return match field {
            "" => format!("line_items{index}"),
            field => format!("line_items{index}.{field}"),
        };
    }
    let mapped = match path {
        "order_id" => "name",
        "customer.phone" => "phone",
        "customer.email" => "email",
        "customer.name" => "customer.first_name",
        "customer.language" => "customer_locale",
        "channel" => "source_name",
        "delivery.type" => "shipping_lines[0].code",
        "delivery.address" => "shipping_address",
        "delivery.cost" => "shipping_lines",
        "discount" => "total_discounts",
        "total" => "total_price",
        "comment" => "note",
        p if p.starts_with("utm") => "landing_site",
        other => other,
    };
    mapped.to_owned()
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> NoticeError {
    NoticeError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// An object of the Shopify order at its path (`line_items[1]`), read leniently: `null` is
/// absent, a blank string is absent, a value of the wrong type is refused naming the path.
struct Node<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Node<'a> {
    fn root(map: &'a Map<String, Value>) -> Node<'a> {
        Node {
            map,
            path: String::new(),
        }
    }

    fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn value(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A string member, trimmed; `None` when absent, `null` or blank.
    fn text(&self, key: &str) -> Result<Option<&'a str>, NoticeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
            Some(_) => Err(invalid(self.path_of(key), "must be a string")),
        }
    }

    /// An id: an integer or a string, as text.
    fn id(&self, key: &str) -> Result<Option<String>, NoticeError> {
        match self.value(key) {
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(Some(n.to_string())),
            Some(Value::Number(_)) => Err(invalid(self.path_of(key), "must be an integer")),
            _ => Ok(self.text(key)?.map(str::to_owned)),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Node<'a>>, NoticeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Node {
                map,
                path: self.path_of(key),
            })),
            Some(_) => Err(invalid(self.path_of(key), "must be an object")),
        }
    }

    /// An array of objects; empty when absent or `null`.
    fn objects(&self, key: &str) -> Result<Vec<Node<'a>>, NoticeError> {
        let elements = match self.value(key) {
            None => return Ok(Vec::new()),
            Some(Value::Array(elements)) => elements,
            Some(_) => return Err(invalid(self.path_of(key), "must be an array")),
        };
        elements
            .iter()
            .enumerate()
            .map(|(i, element)| {
                let path = format!("{}[{i}]", self.path_of(key));
                match element {
                    Value::Object(map) => Ok(Node { map, path }),
                    _ => Err(invalid(path, "must be an object")),
                }
            })
            .collect()
    }

    /// A decimal amount (`"1450.00"`, a number is taken too) in minor units.
    fn money(&self, key: &str, digits: u32) -> Result<Option<i64>, NoticeError> {
        let text = match self.value(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(_) => return Err(invalid(self.path_of(key), "must be a decimal amount")),
        };
        minor_units(&text, digits)
            .map(Some)
            .map_err(|e| invalid(self.path_of(key), e.to_string()))
    }
}

// The tests unwrap fixtures they control.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "shopify_tests.rs"]
mod tests;
