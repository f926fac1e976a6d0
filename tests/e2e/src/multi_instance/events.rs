//! The events the driver delivers, per order, and what each must cause exactly once.
//!
//! An order travels the shipped configuration's path: created on the shop's webhook (with its
//! manager, so V1's choice does not depend on who is at work), confirmed (C2), paid through
//! the generic acquirer format (V2, C7), prepared and assembled (P4), picked up by the carrier
//! (V4 → handed to carrier, C3 email and SMS), at the pickup point (C4 email and SMS, the C5 and
//! C6 timers), a missed call from the customer in working hours (O4 task and SMS), delivered
//! (completed, C8). The timers then give C5 (email, SMS) and C6 (a task).
//!
//! Nothing depends on the hour the driver runs at: each customer's time zone is chosen so that
//! it is early afternoon for them (no SMS is held for quiet hours), and the call is placed in
//! the shop's working hours (O4, not C10).

use anyhow::Result;
use orderpath_core::automation::time::rfc3339::format_utc;
use serde_json::{json, Value};

use super::client::standard_webhook;
use super::Secrets;

/// What an event is, with what it must cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `order.created` on `/webhooks/orders`.
    Created,
    /// `order.status_changed` to `confirmed`.
    Confirmed,
    /// `payment.succeeded` on `/webhooks/payments/generic`.
    Paid,
    /// `order.status_changed` to `prepare-for-delivery`.
    Preparing,
    /// `order.status_changed` to `assembled`.
    Assembled,
    /// `delivery.status` `in-transit` with a track number on `/webhooks/delivery/generic`.
    PickedUp,
    /// `delivery.status` `at-pickup-point`.
    AtPickupPoint,
    /// `call.ended`, missed, inbound, on `/webhooks/calls/generic`.
    MissedCall,
    /// `delivery.status` `delivered`.
    Delivered,
    /// The C5 timer, fired by a tick.
    PickupReminder,
    /// The C6 timer, fired by a tick.
    PickupCall,
}

/// What one event (or timer) must cause, each exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effects {
    /// Rows in `order_history` recorded under the event.
    pub history: i64,
    /// Emails taken by the provider.
    pub emails: i64,
    /// SMS taken by the provider.
    pub sms: i64,
    /// Tasks created.
    pub tasks: i64,
}

impl Kind {
    /// Every kind, in the order the driver delivers them.
    pub const ALL: [Kind; 11] = [
        Kind::Created,
        Kind::Confirmed,
        Kind::Paid,
        Kind::Preparing,
        Kind::Assembled,
        Kind::PickedUp,
        Kind::AtPickupPoint,
        Kind::PickupReminder,
        Kind::PickupCall,
        Kind::MissedCall,
        Kind::Delivered,
    ];

    /// The webhook events delivered before the timers are due.
    pub const BEFORE_TIMERS: [Kind; 7] = [
        Kind::Created,
        Kind::Confirmed,
        Kind::Paid,
        Kind::Preparing,
        Kind::Assembled,
        Kind::PickedUp,
        Kind::AtPickupPoint,
    ];

    /// The webhook events delivered while the providers are down.
    pub const DURING_OUTAGE: [Kind; 2] = [Kind::MissedCall, Kind::Delivered];

    /// How the report names it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Created => "order.created",
            Kind::Confirmed => "status → confirmed",
            Kind::Paid => "payment.succeeded",
            Kind::Preparing => "status → prepare-for-delivery",
            Kind::Assembled => "status → assembled",
            Kind::PickedUp => "delivery in-transit",
            Kind::AtPickupPoint => "delivery at-pickup-point",
            Kind::MissedCall => "call missed",
            Kind::Delivered => "delivery delivered",
            Kind::PickupReminder => "timer c5-pickup-reminder",
            Kind::PickupCall => "timer c6-pickup-call",
        }
    }

    /// A timer fired by the tick rather than a delivered event.
    pub fn is_timer(self) -> bool {
        matches!(self, Kind::PickupReminder | Kind::PickupCall)
    }

    /// The timer's name in `timers.name`.
    pub fn timer_name(self) -> Option<&'static str> {
        match self {
            Kind::PickupReminder => Some("c5-pickup-reminder"),
            Kind::PickupCall => Some("c6-pickup-call"),
            _ => None,
        }
    }

    /// What the shipped configuration does on it, once.
    pub fn effects(self) -> Effects {
        let (history, emails, sms, tasks) = match self {
            // created; S3's bonus to the manager (V1 has nothing to do: the order has one)
            Kind::Created => (2, 1, 0, 0),
            Kind::Confirmed => (1, 1, 0, 0),
            // the payment; V2's payment status
            Kind::Paid => (2, 0, 1, 0),
            // the status; P4's reservation
            Kind::Preparing => (2, 0, 0, 0),
            Kind::Assembled => (1, 0, 0, 0),
            // carrier, track number and link, pickup point, integrated, delivery status; V4's move
            // to handed-to-carrier, which C3 answers with the track number
            Kind::PickedUp => (7, 1, 1, 0),
            // the delivery status; C4's move (and its timers)
            Kind::AtPickupPoint => (2, 1, 1, 0),
            Kind::PickupReminder => (0, 1, 1, 0),
            Kind::PickupCall => (0, 0, 0, 1),
            // the call; O4's callback task and "operators busy" SMS
            Kind::MissedCall => (1, 0, 1, 1),
            // the delivery status; V4's move to completed, which C8 thanks for
            Kind::Delivered => (2, 1, 0, 0),
        };
        Effects {
            history,
            emails,
            sms,
            tasks,
        }
    }

    /// The answer every copy must get.
    pub fn answer_status(self) -> u16 {
        match self {
            Kind::Created => 201,
            _ => 200,
        }
    }
}

/// One signed webhook event, ready to be sent any number of times.
#[derive(Debug, Clone)]
pub struct Event {
    /// What it is.
    pub kind: Kind,
    /// The order it is about.
    pub order: String,
    /// Its idempotency key (`webhook-id`).
    pub webhook_id: String,
    /// The route.
    pub path: &'static str,
    /// Headers, signature included.
    pub headers: Vec<(String, String)>,
    /// The exact body every copy carries.
    pub body: Vec<u8>,
}

/// One of the run's orders and its customer.
#[derive(Debug, Clone)]
pub struct Order {
    /// `MI-<run>-<n>`.
    pub id: String,
    /// The customer's email (lower case, as stored).
    pub email: String,
    /// The customer's phone, E.164.
    pub phone: String,
    /// The number of the run's order, from 1.
    pub n: usize,
}

impl Order {
    /// The run's `n`th order.
    pub fn new(run: &str, n: usize) -> Order {
        // +7 9xx: ten digits after the country code, unique per run and order.
        let digits: String = run.chars().filter(char::is_ascii_digit).collect();
        let tail = &digits[digits.len().saturating_sub(6)..];
        Order {
            id: format!("MI-{run}-{n}"),
            email: format!("mi-{run}-{n}@example.com").to_lowercase(),
            phone: format!("+79{tail:0>6}{n:03}"),
            n,
        }
    }
}

/// The signed event of `kind` for `order`, as the sender would post it at `now`.
pub fn event(kind: Kind, order: &Order, secrets: &Secrets, now: i64) -> Result<Event> {
    let id = &order.id;
    let (path, secret, body) = match kind {
        Kind::Created => (
            "/webhooks/orders",
            &secrets.orders,
            json!({ "type": "order.created", "data": {
                "order_id": id, "currency": "RUB", "channel": "site", "order_method": "cart",
                "customer_type": "person",
                "customer": {
                    "name": format!("Покупатель {}", order.n), "phone": order.phone,
                    "email": order.email, "time_zone": afternoon_zone(now)
                },
                "items": [{ "sku": "TEA-001", "name": "Чай улун, 100 г", "qty": 1,
                            "price": 45000, "category": "tea" }],
                "delivery": { "type": "pickup-point", "cost": 0 },
                "discount": 0, "total": 45000, "manager": "m.ivanova"
            }}),
        ),
        Kind::Confirmed => status_change(secrets, id, "confirmed"),
        Kind::Preparing => status_change(secrets, id, "prepare-for-delivery"),
        Kind::Assembled => status_change(secrets, id, "assembled"),
        Kind::Paid => (
            "/webhooks/payments/generic",
            &secrets.payments,
            json!({ "type": "payment.succeeded", "timestamp": format_utc(now - 400),
                "data": { "order_id": id, "payment_id": format!("pay-{id}"), "amount": 45000,
                          "currency": "RUB", "test": false } }),
        ),
        Kind::PickedUp => delivery(secrets, id, "in-transit", now - 300),
        Kind::AtPickupPoint => delivery(secrets, id, "at-pickup-point", now - 200),
        Kind::Delivered => delivery(secrets, id, "delivered", now - 100),
        Kind::MissedCall => {
            let started = working_hours_before(now);
            (
                "/webhooks/calls/generic",
                &secrets.calls,
                json!({ "type": "call.ended", "timestamp": format_utc(started + 30),
                    "data": { "call_id": format!("call-{id}"), "direction": "inbound",
                              "customer_number": order.phone, "line": "+74951234567",
                              "operator": null, "started_at": format_utc(started),
                              "answered_at": null, "ended_at": format_utc(started + 25),
                              "duration": 0, "outcome": "missed" } }),
            )
        }
        Kind::PickupReminder | Kind::PickupCall => {
            anyhow::bail!("{} is a timer, not a webhook event", kind.label())
        }
    };
    let webhook_id = format!("{id}-{kind:?}").to_lowercase();
    let body = serde_json::to_vec(&body)?;
    Ok(Event {
        kind,
        order: id.clone(),
        headers: standard_webhook(secret, &webhook_id, now, &body)?,
        webhook_id,
        path,
        body,
    })
}

fn status_change<'a>(
    secrets: &'a Secrets,
    id: &str,
    status: &str,
) -> (&'static str, &'a String, Value) {
    (
        "/webhooks/orders",
        &secrets.orders,
        json!({ "type": "order.status_changed", "data": { "order_id": id, "status": status } }),
    )
}

fn delivery<'a>(
    secrets: &'a Secrets,
    id: &str,
    status: &str,
    at: i64,
) -> (&'static str, &'a String, Value) {
    let track = format!("BB{}", id.replace('-', ""));
    (
        "/webhooks/delivery/generic",
        &secrets.delivery,
        json!({ "type": "delivery.status", "data": {
            "carrier": "boxberry", "order_id": id, "track_number": track,
            "tracking_url": format!("https://boxberry.ru/tracking-page?id={track}"),
            "status": status, "carrier_status": status, "status_at": format_utc(at),
            "is_return": false,
            "fields": { "pickup_point": { "address": "Москва, ул. Тверская, 7",
                                          "phone": "+7 495 000-00-07", "hours": "10:00–21:00" } }
        }}),
    )
}

/// A fixed UTC offset at which `now` is between 12:00 and 13:00: outside any night's quiet
/// hours (C11 holds customer SMS between 21:00 and 09:00 their time).
pub fn afternoon_zone(now: i64) -> String {
    let utc_hour = now.rem_euclid(86_400) / 3_600;
    // From UTC+12 (at 00:xx UTC) to UTC-11 (at 23:xx UTC): real offsets all.
    let offset = 12 - utc_hour;
    let sign = if offset < 0 { '-' } else { '+' };
    format!("UTC{sign}{:02}:00", offset.abs())
}

/// The latest minute before `now` (by at least a minute) in the shop's working hours as
/// shipped — Monday to Friday 10:00–17:00 Moscow time (UTC+03:00) fits them all.
pub fn working_hours_before(now: i64) -> i64 {
    let mut t = (now - 60).div_euclid(60) * 60;
    loop {
        let local = t + 3 * 3_600;
        let weekday = (local.div_euclid(86_400) + 3).rem_euclid(7); // 0 = Monday
        let hour = local.rem_euclid(86_400) / 3_600;
        if weekday < 5 && (10..17).contains(&hour) {
            return t;
        }
        t -= 60;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-24T07:00:00Z, a Tuesday.
    const TUESDAY_7_UTC: i64 = 1_795_503_600;

    #[test]
    fn the_zone_makes_it_noon_for_the_customer() {
        assert_eq!(afternoon_zone(TUESDAY_7_UTC), "UTC+05:00");
        assert_eq!(afternoon_zone(TUESDAY_7_UTC + 17 * 3_600), "UTC+12:00"); // 00:00 UTC
        assert_eq!(afternoon_zone(TUESDAY_7_UTC + 16 * 3_600), "UTC-11:00"); // 23:00 UTC
        assert_eq!(afternoon_zone(TUESDAY_7_UTC + 5 * 3_600), "UTC+00:00"); // 12:00 UTC
        assert_eq!(
            afternoon_zone(TUESDAY_7_UTC - 7 * 3_600 + 1_800),
            "UTC+12:00"
        ); // 00:30
    }

    #[test]
    fn the_call_falls_in_working_hours() {
        // Tuesday 10:00 Moscow: the minute before is 09:59, so Monday 16:59.
        let monday = working_hours_before(TUESDAY_7_UTC);
        assert_eq!(format_utc(monday), "2026-11-23T13:59:00Z");
        // Tuesday 13:00 Moscow: 12:59 the same day.
        assert_eq!(
            format_utc(working_hours_before(TUESDAY_7_UTC + 3 * 3_600)),
            "2026-11-24T09:59:00Z"
        );
        // Sunday: back to Friday 16:59.
        assert_eq!(
            format_utc(working_hours_before(TUESDAY_7_UTC - 2 * 86_400)),
            "2026-11-20T13:59:00Z"
        );
    }
}
