//! Tilda form and cart webhooks ("Webhook" data receiver of a site's forms).
//!
//! Facts (Tilda's help page on the form webhook and what implementers observed):
//!
//! - Every form submission is a `POST`, `application/x-www-form-urlencoded` by default, with
//!   the form's fields under the names the site gave them (`Name`, `Phone`, `Email`, …) plus
//!   `tranid` (`<project>:<submission>`, unique per submission, kept on Tilda's two retries)
//!   and `formid`. Tilda can also send JSON with the same names; there `payment` is an object,
//!   in a form it is a JSON string. The content type decides, else the first byte.
//! - A cart order adds `payment`: `orderid`, `amount` (the total), `products` (objects with
//!   `name`, `quantity`, `price`, `amount`, `sku`, `externalid`, `options`; older carts send
//!   strings `"<name>=<amount>"`), `subtotal`, `promocode`, `discount`, `delivery` (the
//!   method's title), `delivery_price`, `delivery_address`, `delivery_comment`, `sys` and
//!   `systranid` (the payment system and its transaction). Amounts are decimals in the shop's
//!   currency, as numbers or strings; the currency is not in the payload, so the caller passes
//!   the shop's.
//! - Connecting the webhook sends `test=test`, which must get 200.
//! - The answer must come within 5 seconds; otherwise Tilda tries twice more, a minute apart.
//! - Nothing is signed. The URL carries a secret (`?token=`), compared in constant time.
//! - With "send cookies" on, `COOKIES` holds the visitor's cookies (`name=value; …`); Tilda's
//!   own `TILDAUTM` cookie is the percent-encoded `utm_source=…|||utm_medium=…|||`.
//! - Whether a cart order was paid is not said in the payload. The shop chooses in Tilda to
//!   send orders before payment or only after it; a non-zero `systranid` suggests the
//!   latter, but it is not documented as a paid flag, so no payment is reported.

use serde_json::{json, Map, Value};

use super::common::{self, code_of, new_order, per_unit, text_of, usable_phone};
use super::{Request, ShopNotice, ShopNoticeKind};
use crate::acquirer::json::{id_text, invalid};
use crate::acquirer::verify::{form_pairs, same_bytes};
use crate::acquirer::NoticeError;
use orderpath_core::contact::{Email, Phone};
use orderpath_core::event::{CustomerContact, Utm};
use orderpath_core::money::Currency;
use orderpath_core::platform::{Lead, PlatformOrder};
use orderpath_core::text::{echo, one_line};

/// Fields that are Tilda's own, never the visitor's answers.
const SERVICE_FIELDS: [&str; 6] = ["tranid", "formid", "token", "test", "cookies", "payment"];
/// Names of the customer's name, phone, email and comment fields, compared ignoring case.
const NAME_FIELDS: [&str; 2] = ["name", "fio"];
const PHONE_FIELDS: [&str; 1] = ["phone"];
const EMAIL_FIELDS: [&str; 1] = ["email"];
const COMMENT_FIELDS: [&str; 3] = ["comment", "comments", "message"];
const UTM_TAGS: [&str; 5] = ["source", "medium", "campaign", "content", "term"];
/// Longest UTM tag kept (the order format's limit).
const UTM_MAX: usize = 200;

/// Checks the URL's token and reads a submission. `token` is the configured secret (never
/// empty); `currency` is the shop's, which Tilda's payload does not name.
pub fn read(
    request: &Request<'_>,
    token: &str,
    currency: &Currency,
) -> Result<ShopNotice, NoticeError> {
    let given = request
        .param("token")
        .ok_or_else(|| NoticeError::Unauthorized("the token is missing from the URL".to_owned()))?;
    if !same_bytes(given.as_bytes(), token.as_bytes()) {
        return Err(NoticeError::Unauthorized("the token is wrong".to_owned()));
    }
    let fields = Fields::read(request)?;
    if fields.get("test") == Some("test") {
        return Ok(ShopNotice {
            key: "test".to_owned(),
            what: "test".to_owned(),
            kind: ShopNoticeKind::Ping,
        });
    }
    let tranid = fields
        .get("tranid")
        .ok_or_else(|| NoticeError::Malformed("tranid is missing".to_owned()))?;
    let key = id_text("tranid", tranid)?;
    match fields.get("payment") {
        Some(payment) => {
            let order = read_cart(&fields, payment, &key, currency)?;
            Ok(ShopNotice {
                key,
                what: "cart".to_owned(),
                kind: ShopNoticeKind::Order(Box::new(order)),
            })
        }
        None => Ok(ShopNotice {
            key,
            what: "form".to_owned(),
            kind: ShopNoticeKind::Lead(read_lead(&fields)?),
        }),
    }
}

/// A cart order. See the module's facts; the mapping: order id `payment.orderid` (else
/// `tranid`), which is also the platform's id; items from `products`, a unit price being
/// `price`, else `amount / quantity`; `delivery_price`, `discount` and `amount` as the
/// delivery cost, discount and total; the delivery method's title as a code
/// (`Курьер по Москве` → `kurer-po-moskve`), `delivery_address`; the comment field, else
/// `delivery_comment`; channel `site`, method `cart`; no dates, state or payment.
fn read_cart(
    fields: &Fields,
    payment: &str,
    tranid: &str,
    currency: &Currency,
) -> Result<PlatformOrder, NoticeError> {
    let payment: Value = serde_json::from_str(payment)
        .map_err(|e| invalid("payment", format!("must be JSON: {e}")))?;
    let Value::Object(payment) = payment else {
        return Err(invalid("payment", "must be a JSON object"));
    };
    let digits = currency.minor_digits();
    let money =
        |key: &str| common::value_minor(&format!("payment.{key}"), payment.get(key), digits);
    let order_id = match text_of(payment.get("orderid")) {
        Some(id) => id_text("payment.orderid", &id)?,
        None => tranid.to_owned(),
    };
    let contact = contact_fields(fields);
    let total = money("amount")?.ok_or_else(|| invalid("payment.amount", "is required"))?;
    let delivery_kind = text_of(payment.get("delivery")).and_then(|title| {
        // Some carts write the price into the title: `Курьер =300`.
        let title = title.split('=').next().unwrap_or_default();
        code_of(title)
    });
    let comment = fields
        .first_of(&COMMENT_FIELDS)
        .map(|(_, v)| v.to_owned())
        .or_else(|| text_of(payment.get("delivery_comment")));
    let data = json!({
        "order_id": order_id,
        "currency": currency.as_str(),
        "channel": "site",
        "order_method": "cart",
        "customer": {
            "name": contact.name,
            "phone": usable_phone(contact.phone.as_deref(), contact.email.as_deref()),
            "email": contact.email,
        },
        "items": products(payment.get("products"), digits)?,
        "delivery": {
            "type": delivery_kind,
            "address": text_of(payment.get("delivery_address")),
            "cost": money("delivery_price")?.unwrap_or(0),
        },
        "discount": money("discount")?.unwrap_or(0),
        "total": total,
        "utm": utm_value(&fields.utm()),
        "comment": comment,
    });
    Ok(PlatformOrder {
        order: new_order("Tilda", data, str::to_owned)?,
        platform_id: order_id,
        updated_at: None,
        state: None,
        payment: None,
        tags: Vec::new(),
        customer_tags: Vec::new(),
    })
}

/// `payment.products` as our items.
fn products(products: Option<&Value>, digits: u32) -> Result<Vec<Value>, NoticeError> {
    let Some(Value::Array(products)) = products else {
        return Err(invalid("payment.products", "must be a list of products"));
    };
    products
        .iter()
        .enumerate()
        .map(|(i, product)| {
            let path = format!("payment.products[{i}]");
            match product {
                Value::Object(p) => product_object(&path, p, digits),
                Value::String(s) => product_line(&path, s, digits),
                _ => Err(invalid(path, "must be an object or a string")),
            }
        })
        .collect()
}

fn product_object(path: &str, p: &Map<String, Value>, digits: u32) -> Result<Value, NoticeError> {
    let name =
        text_of(p.get("name")).ok_or_else(|| invalid(format!("{path}.name"), "is required"))?;
    let qty = match text_of(p.get("quantity")) {
        None => 1,
        Some(q) => q
            .parse::<i64>()
            .map_err(|_| invalid(format!("{path}.quantity"), "must be an integer"))?,
    };
    let price = common::value_minor(&format!("{path}.price"), p.get("price"), digits)?;
    let line = common::value_minor(&format!("{path}.amount"), p.get("amount"), digits)?;
    let price = match (price, line) {
        (Some(price), _) => price,
        (None, Some(line)) => per_unit(line, qty),
        (None, None) => return Err(invalid(format!("{path}.price"), "is required")),
    };
    let sku = text_of(p.get("sku"))
        .or_else(|| text_of(p.get("externalid")))
        .unwrap_or_else(|| sku_of_name(&name));
    let name = match options(p.get("options")) {
        Some(options) => format!("{name} ({options})"),
        None => name,
    };
    Ok(json!({ "sku": sku, "name": name, "qty": qty, "price": price }))
}

/// An older cart's product: `"<name>=<line amount>"`, one piece.
fn product_line(path: &str, line: &str, digits: u32) -> Result<Value, NoticeError> {
    let (name, amount) = line
        .rsplit_once('=')
        .ok_or_else(|| invalid(path, format!("must be name=amount, got {}", echo(line))))?;
    let name = name.trim();
    let price = common::decimal_minor(path, amount, digits)?;
    Ok(json!({ "sku": sku_of_name(name), "name": name, "qty": 1, "price": price }))
}

/// A product without an article: its name, cut to the article's 64 characters.
fn sku_of_name(name: &str) -> String {
    name.trim().chars().take(64).collect()
}

/// A product's chosen options (`[{"option": "Вес", "variant": "100 г"}]`) as `Вес: 100 г`.
fn options(options: Option<&Value>) -> Option<String> {
    let Some(Value::Array(options)) = options else {
        return None;
    };
    let parts: Vec<String> = options
        .iter()
        .filter_map(|o| {
            let variant = text_of(o.get("variant"))?;
            Some(match text_of(o.get("option")) {
                Some(option) => format!("{option}: {variant}"),
                None => variant,
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// A form without a cart: the contact, the other answers and the UTM tags.
fn read_lead(fields: &Fields) -> Result<Lead, NoticeError> {
    let form = fields
        .get("formid")
        .ok_or_else(|| invalid("formid", "is required"))?;
    let form = id_text("formid", form)?;
    let raw = contact_fields(fields);
    let phone = match usable_phone(raw.phone.as_deref(), raw.email.as_deref()) {
        Some(p) => Some(Phone::parse(&p).map_err(|e| invalid(&raw.phone_field, e.to_string()))?),
        None => None,
    };
    let email = match raw.email.as_deref() {
        Some(e) => Some(Email::parse(e).map_err(|err| invalid(&raw.email_field, err.to_string()))?),
        None => None,
    };
    if phone.is_none() && email.is_none() {
        return Err(invalid(
            "Phone",
            "a form needs a phone or an email (at least one is required)",
        ));
    }
    let contact = CustomerContact {
        name: raw.name.map(|n| one_line(&n)).filter(|n| !n.is_empty()),
        phone,
        email,
    };
    let used = |name: &str| {
        let lower = name.to_ascii_lowercase();
        SERVICE_FIELDS.contains(&lower.as_str())
            || NAME_FIELDS.contains(&lower.as_str())
            || PHONE_FIELDS.contains(&lower.as_str())
            || EMAIL_FIELDS.contains(&lower.as_str())
            || lower.starts_with("utm_")
    };
    let others = fields
        .0
        .iter()
        .filter(|(k, v)| !used(k) && !v.trim().is_empty())
        .cloned()
        .collect();
    Ok(Lead {
        form,
        contact,
        fields: others,
        utm: fields.utm(),
    })
}

/// The customer's fields as sent, with the names they came under.
struct RawContact {
    name: Option<String>,
    phone: Option<String>,
    phone_field: String,
    email: Option<String>,
    email_field: String,
}

fn contact_fields(fields: &Fields) -> RawContact {
    let phone = fields.first_of(&PHONE_FIELDS);
    let email = fields.first_of(&EMAIL_FIELDS);
    RawContact {
        name: fields.first_of(&NAME_FIELDS).map(|(_, v)| v.to_owned()),
        phone_field: phone.map_or("Phone", |(k, _)| k).to_owned(),
        phone: phone.map(|(_, v)| v.to_owned()),
        email_field: email.map_or("Email", |(k, _)| k).to_owned(),
        email: email.map(|(_, v)| v.to_owned()),
    }
}

fn utm_value(utm: &Utm) -> Value {
    json!({
        "source": utm.source,
        "medium": utm.medium,
        "campaign": utm.campaign,
        "content": utm.content,
        "term": utm.term,
    })
}

/// The submission's fields as text, from a form or a JSON body, in order.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn read(request: &Request<'_>) -> Result<Fields, NoticeError> {
        let content_type = request
            .header("content-type")
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let is_json = if content_type.contains("json") {
            true
        } else if content_type.contains("x-www-form-urlencoded") {
            false
        } else {
            request.body.trim_ascii_start().starts_with(b"{")
        };
        if !is_json {
            return Ok(Fields(form_pairs(request.body)));
        }
        let value = crate::acquirer::json::parse(request.body)?;
        let Value::Object(map) = value else {
            return Err(NoticeError::Malformed(
                "the body is not a JSON object".to_owned(),
            ));
        };
        let pairs = map
            .into_iter()
            .filter_map(|(k, v)| {
                let text = match v {
                    Value::Null => return None,
                    Value::String(s) => s,
                    // `payment` as an object becomes the JSON text a form would carry.
                    other => other.to_string(),
                };
                Some((k, text))
            })
            .collect();
        Ok(Fields(pairs))
    }

    /// The field with exactly this name, trimmed; `None` when absent or blank.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first non-blank field whose name is one of `names`, ignoring case.
    fn first_of(&self, names: &[&str]) -> Option<(&str, &str)> {
        self.0
            .iter()
            .find(|(k, v)| names.iter().any(|n| k.eq_ignore_ascii_case(n)) && !v.trim().is_empty())
            .map(|(k, v)| (k.as_str(), v.trim()))
    }

    /// UTM tags from `utm_*` fields (hidden fields the site added), else from the `TILDAUTM`
    /// cookie in `COOKIES`.
    fn utm(&self) -> Utm {
        let cookie = self.first_of(&["cookies"]).map(|(_, c)| tilda_utm(c));
        let tag = |name: &str| {
            self.first_of(&[format!("utm_{name}").as_str()])
                .map(|(_, v)| v.to_owned())
                .or_else(|| {
                    cookie
                        .as_ref()
                        .and_then(|c| c.iter().find(|(k, _)| k == name))
                        .map(|(_, v)| v.clone())
                })
                .map(|v| v.chars().take(UTM_MAX).collect::<String>())
                .filter(|v| !v.trim().is_empty())
        };
        let [source, medium, campaign, content, term] = UTM_TAGS.map(tag);
        Utm {
            source,
            medium,
            campaign,
            content,
            term,
        }
    }
}

/// The tags of the `TILDAUTM` cookie in a `COOKIES` field (`a=1; TILDAUTM=utm_source%3Dya…`),
/// as (`source`, `yandex`) pairs.
fn tilda_utm(cookies: &str) -> Vec<(String, String)> {
    let Some(raw) = cookies
        .split(';')
        .map(str::trim)
        .find_map(|c| c.strip_prefix("TILDAUTM="))
    else {
        return Vec::new();
    };
    let decoded = crate::acquirer::verify::percent_decoded(raw.as_bytes(), false);
    let decoded = String::from_utf8_lossy(&decoded);
    decoded
        .split("|||")
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let tag = k.trim().strip_prefix("utm_")?;
            UTM_TAGS
                .contains(&tag)
                .then(|| (tag.to_owned(), v.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
#[path = "tilda_tests.rs"]
mod tests;
