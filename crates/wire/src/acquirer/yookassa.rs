//! YooKassa (ЮKassa) API v3 HTTP notifications.
//!
//! A POST with `{"type":"notification","event":"payment.succeeded","object":{…}}`, where
//! `object` is the whole payment (or refund). Amounts are decimal strings
//! (`{"value":"12900.00","currency":"RUB"}`); the shop's order id travels in
//! `object.metadata.order_id`, put there when the payment was created.
//!
//! API v3 notifications carry **no signature**. YooKassa's own advice is to check the sender's
//! address against its published ranges ([`PUBLISHED_RANGES`], [`client_allowed`]) and to
//! re-fetch the object from the API. Here the notification URL carries a secret:
//! `…/webhooks/payments/yookassa?token=<secret>`, compared in constant time. The re-fetch is
//! the shell's business (it needs the network).
//!
//! Any 2xx acknowledges; YooKassa re-sends for 24 hours otherwise. The idempotency key is the
//! object's id with the event, since one payment goes through several events.

use std::net::{IpAddr, SocketAddr};

use super::json::{self, Obj};
use super::verify::{minor_units, same_bytes};
use super::{Notice, NoticeError, NoticeKind, ReportedPayment, Request};
use orderpath_core::event::PaymentOutcome;

/// YooKassa's published notification senders (IPv4 and IPv6 ranges), in the format
/// [`client_allowed`] reads.
pub const PUBLISHED_RANGES: &str = "185.71.76.0/27, 185.71.77.0/27, 77.75.153.0/25, \
     77.75.154.128/25, 77.75.156.11, 77.75.156.35, 2a02:5180::/32";

/// Checks a notification (`token` is the secret expected in the `token` query parameter)
/// and reads it.
pub fn read(request: &Request<'_>, token: &str) -> Result<Notice, NoticeError> {
    let given = request.param("token").ok_or_else(|| {
        NoticeError::Unauthorized("the token query parameter is missing".to_owned())
    })?;
    if !same_bytes(given.as_bytes(), token.as_bytes()) {
        return Err(NoticeError::Unauthorized(
            "the token query parameter does not match".to_owned(),
        ));
    }
    parse(request.body)
}

/// Reads an already authenticated notification body.
fn parse(body: &[u8]) -> Result<Notice, NoticeError> {
    let value = json::parse(body)?;
    let root = Obj::root(&value)?;
    if let Some(kind) = root.str("type")? {
        if kind != "notification" {
            return Err(json::invalid("type", "must be \"notification\""));
        }
    }
    let event = root.required_str("event")?;
    let object = root.required_object("object")?;
    let id = object.required_id("id")?;
    let key = format!("{id}:{event}");
    let kind = match event {
        "payment.succeeded" => {
            NoticeKind::Payment(payment(&object, id, PaymentOutcome::Succeeded)?)
        }
        "payment.waiting_for_capture" => {
            NoticeKind::Payment(payment(&object, id, PaymentOutcome::Authorised)?)
        }
        "payment.canceled" => NoticeKind::Payment(payment(&object, id, PaymentOutcome::Failed)?),
        "refund.succeeded" => NoticeKind::Payment(refund(&object, id)?),
        _ => NoticeKind::Ignored,
    };
    Ok(Notice {
        key,
        what: event.to_owned(),
        kind,
    })
}

fn payment(
    object: &Obj,
    id: String,
    outcome: PaymentOutcome,
) -> Result<ReportedPayment, NoticeError> {
    let (amount, currency) = amount(object)?;
    let reason = if outcome == PaymentOutcome::Failed {
        Some(cancellation(object)?)
    } else {
        None
    };
    Ok(ReportedPayment {
        order_ref: order_ref(object)?,
        payment_id: id,
        operation_id: None,
        outcome,
        amount: Some(amount),
        currency: Some(currency),
        reason,
        test: object.bool("test")?.unwrap_or(false),
    })
}

/// A refund names the payment it returns (`payment_id`); its own id is the operation.
fn refund(object: &Obj, id: String) -> Result<ReportedPayment, NoticeError> {
    let (amount, currency) = amount(object)?;
    Ok(ReportedPayment {
        order_ref: order_ref(object)?,
        payment_id: object.required_id("payment_id")?,
        operation_id: Some(id),
        outcome: PaymentOutcome::Refunded,
        amount: Some(amount),
        currency: Some(currency),
        reason: None,
        test: object.bool("test")?.unwrap_or(false),
    })
}

/// `amount.value` (a decimal string) in minor units of `amount.currency`.
fn amount(object: &Obj) -> Result<(i64, String), NoticeError> {
    let amount = object.required_object("amount")?;
    let currency_path = amount.path_of("currency");
    let currency = json::currency(&currency_path, amount.required_str("currency")?)?;
    let value = amount.required_str("value")?;
    let minor = minor_units(value, currency.minor_digits())
        .map_err(|e| json::invalid(amount.path_of("value"), e.to_string()))?;
    Ok((minor, currency.as_str().to_owned()))
}

fn order_ref(object: &Obj) -> Result<Option<String>, NoticeError> {
    match object.object("metadata")? {
        Some(metadata) => metadata.id("order_id"),
        None => Ok(None),
    }
}

/// `cancellation_details.reason`, with the party that cancelled when given:
/// `insufficient_funds (payment_network)`.
fn cancellation(object: &Obj) -> Result<String, NoticeError> {
    let Some(details) = object.object("cancellation_details")? else {
        return Ok("canceled".to_owned());
    };
    let reason = details
        .reason("reason")?
        .unwrap_or_else(|| "canceled".to_owned());
    Ok(match details.reason("party")? {
        Some(party) => format!("{reason} ({party})"),
        None => reason,
    })
}

/// Whether `client_addr` (Spin's `spin-client-addr`: `ip:port`, `[v6]:port`, or a bare
/// address) is in `allow_list`: addresses and CIDR ranges separated by commas and/or
/// whitespace. An empty list allows everyone; an address that cannot be read is not allowed.
/// A list entry that is neither an address nor a range is an error naming it.
pub fn client_allowed(client_addr: &str, allow_list: &str) -> Result<bool, String> {
    let ranges = allow_list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            Range::parse(entry).ok_or_else(|| {
                format!(
                    "allow list entry {} is not an IP address or CIDR range",
                    orderpath_core::text::echo(entry)
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if ranges.is_empty() {
        return Ok(true);
    }
    let Some(client) = client_ip(client_addr) else {
        return Ok(false);
    };
    Ok(ranges.iter().any(|range| range.contains(client)))
}

fn client_ip(addr: &str) -> Option<IpAddr> {
    let addr = addr.trim();
    let ip = addr
        .parse::<SocketAddr>()
        .map(|s| s.ip())
        .or_else(|_| addr.parse::<IpAddr>())
        .or_else(|_| {
            addr.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
        })
        .ok()?;
    // An IPv4 client seen through an IPv6 socket is `::ffff:a.b.c.d`.
    Some(match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    })
}

/// An address with the number of leading bits that must match.
struct Range {
    network: IpAddr,
    prefix: u32,
}

impl Range {
    fn parse(entry: &str) -> Option<Range> {
        let (addr, prefix) = match entry.split_once('/') {
            Some((addr, bits)) => (addr, Some(bits)),
            None => (entry, None),
        };
        let network: IpAddr = addr.parse().ok()?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(bits) if !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit()) => {
                bits.parse().ok().filter(|&p| p <= max)?
            }
            Some(_) => return None,
        };
        Some(Range { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(u32::from(net)),
                u128::from(u32::from(ip)),
                32,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(u128::from(net), u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// Whether the first `prefix` of `width` bits of `a` and `b` agree.
fn same_prefix(a: u128, b: u128, width: u32, prefix: u32) -> bool {
    let shift = width - prefix;
    shift >= width || (a >> shift) == (b >> shift)
}
