//! A demo shop: a few hundred orders, their payments, deliveries and calls, as the webhook
//! events a real shop, acquirer, carrier and PBX would post, with fixed dates.
//!
//! [`plan`] is deterministic: the same arguments give the same events, byte for byte, so the
//! desk's browser tests can seed exactly what `./scripts/dev.sh --seed` shows. Each event
//! carries the moment it happens ([`Event::at`]); a runner with a controllable clock (the
//! end-to-end tests) moves the clock there before posting, and a runner against a live app
//! (the `orderpath-demo` binary) posts them all now, the dates living in the bodies.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// Where an event goes and which secret variable signs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    /// `POST /webhooks/orders`, `orders_webhook_secret`.
    Orders,
    /// `POST /webhooks/payments/generic`, `payments_webhook_secret`.
    Payments,
    /// `POST /webhooks/delivery/generic`, `delivery_webhook_secret`.
    Delivery,
    /// `POST /webhooks/calls/generic`, `calls_webhook_secret`.
    Calls,
}

impl Hook {
    /// The path it is posted to.
    pub fn path(self) -> &'static str {
        match self {
            Hook::Orders => "/webhooks/orders",
            Hook::Payments => "/webhooks/payments/generic",
            Hook::Delivery => "/webhooks/delivery/generic",
            Hook::Calls => "/webhooks/calls/generic",
        }
    }

    /// The Spin variable holding its signing secret.
    pub fn secret_variable(self) -> &'static str {
        match self {
            Hook::Orders => "orders_webhook_secret",
            Hook::Payments => "payments_webhook_secret",
            Hook::Delivery => "delivery_webhook_secret",
            Hook::Calls => "calls_webhook_secret",
        }
    }
}

/// One webhook event of the demo.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Unix seconds when it happens.
    pub at: i64,
    /// Where it goes.
    pub hook: Hook,
    /// Its `webhook-id`.
    pub id: String,
    /// The JSON body.
    pub body: Value,
}

/// The staff who sign in to the demo desk (ids from `config/shop.toml`).
pub const DEMO_STAFF: [&str; 4] = ["m.ivanova", "p.sidorov", "o.kuznetsova", "warehouse"];

const MANAGERS: [(&str, &str); 2] = [
    ("m.ivanova", "Мария Иванова"),
    ("p.sidorov", "Пётр Сидоров"),
];

/// (sku, name, price in kopecks, category)
const CATALOG: [(&str, &str, i64, &str); 10] = [
    ("TEA-001", "Улун Те Гуань Инь, 100 г", 45_000, "tea"),
    ("TEA-002", "Шу пуэр 2015, блин 357 г", 320_000, "tea"),
    ("TEA-003", "Сенча, 100 г", 38_000, "tea"),
    ("TEA-004", "Да Хун Пао, 50 г", 52_000, "tea"),
    ("TEA-005", "Жасминовый чай, 100 г", 29_000, "tea"),
    ("TEA-006", "Габа улун, 100 г", 61_000, "tea"),
    ("CUP-010", "Чашка глиняная", 120_000, "dishes"),
    ("POT-020", "Исинский чайник, 150 мл", 540_000, "dishes"),
    ("SET-030", "Набор для чайной церемонии", 890_000, "dishes"),
    ("ACC-040", "Сито бамбуковое", 35_000, "accessories"),
];

const FIRST: [&str; 12] = [
    "Анна",
    "Иван",
    "Елена",
    "Дмитрий",
    "Ольга",
    "Сергей",
    "Наталья",
    "Алексей",
    "Мария",
    "Павел",
    "Татьяна",
    "Андрей",
];
const LAST: [&str; 10] = [
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
];

/// (channel, order method, utm source, utm campaign), with weights.
const SOURCES: [(u64, &str, &str, Option<(&str, &str)>); 7] = [
    (30, "site", "cart", Some(("yandex", "tea-autumn"))),
    (15, "site", "cart", Some(("google", "brand"))),
    (10, "site", "cart", Some(("vk", "ceremony-sets"))),
    (15, "site", "cart", None),
    (15, "phone", "phone", None),
    (8, "marketplace", "cart", None),
    (7, "chat", "chat", None),
];

const CANCEL_REASONS: [&str; 4] = [
    "no answer",
    "changed their mind",
    "out of stock",
    "found it cheaper",
];

/// How an order's story ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    New,
    Approval,
    Payment,
    Assembly,
    Delivery,
    Completed,
    Cancelled,
}

/// A small deterministic generator (SplitMix64).
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The demo's events for `orders` orders placed over `days` days from `start` (Unix seconds),
/// in the order they happen. Customers come back (about a third order again), so repeat
/// purchases show; most orders are completed, some cancelled with a reason, the newest are
/// still on their way through the path.
pub fn plan(start: i64, days: i64, orders: usize) -> Vec<Event> {
    let mut dice = Dice(0x0d3e_5eed);
    let customers = (orders / 3).max(1);
    let mut events = Vec::new();
    let span = days.max(1) * 86_400;
    for n in 0..orders {
        // Spread evenly with jitter, in shop hours (09–21 Moscow = 06–18 UTC).
        let day = (n as i64 * days.max(1)) / orders.max(1) as i64;
        let placed = start + day * 86_400 + 6 * 3600 + dice.below(12 * 3600) as i64;
        let age_days = (span - (placed - start)) / 86_400;
        let fate = fate(&mut dice, age_days);
        let customer = if dice.chance(35) {
            dice.below(customers as u64 / 3 + 1) as usize
        } else {
            dice.below(customers as u64) as usize
        };
        order_story(&mut dice, &mut events, n, customer, placed, fate);
    }
    events.sort_by_key(|e| e.at);
    events
}

fn fate(dice: &mut Dice, age_days: i64) -> Fate {
    let roll = dice.below(100);
    match age_days {
        0 => [Fate::New, Fate::Approval, Fate::Payment][(roll % 3) as usize],
        1..=3 => match roll {
            0..=24 => Fate::Approval,
            25..=49 => Fate::Payment,
            50..=74 => Fate::Assembly,
            75..=89 => Fate::Delivery,
            _ => Fate::Cancelled,
        },
        _ => match roll {
            0..=69 => Fate::Completed,
            70..=84 => Fate::Cancelled,
            _ => Fate::Delivery,
        },
    }
}

fn rfc3339(unix: i64) -> String {
    orderpath_core::automation::time::rfc3339::format_utc(unix)
}

fn customer(n: usize) -> Value {
    let first = FIRST[n % FIRST.len()];
    let last = LAST[(n / FIRST.len()) % LAST.len()];
    let female = matches!(
        first,
        "Анна" | "Елена" | "Ольга" | "Наталья" | "Мария" | "Татьяна"
    );
    let last = if female {
        format!("{last}а")
    } else {
        last.to_owned()
    };
    json!({
        "name": format!("{first} {last}"),
        "phone": phone(n),
        "email": format!("client{:04}@example.com", n + 1),
    })
}

fn phone(n: usize) -> String {
    format!(
        "+7 916 {:03}-{:02}-{:02}",
        100 + n / 100 % 900,
        n / 10 % 10 * 10 + 3,
        n % 100
    )
}

fn order_story(
    dice: &mut Dice,
    events: &mut Vec<Event>,
    n: usize,
    customer_no: usize,
    placed: i64,
    fate: Fate,
) {
    let id = format!("D-{}", 10_001 + n);
    let (channel, method, utm) = source(dice);
    let mut items = Vec::new();
    let lines = 1 + dice.below(3) as usize;
    let mut total = 0;
    for line in 0..lines {
        let (sku, name, price, category) = CATALOG[dice.below(CATALOG.len() as u64) as usize];
        if items.iter().any(|i: &Value| i["sku"] == sku) {
            continue;
        }
        let qty = 1 + (dice.below(4) / 3) as i64 + i64::from(line == 0 && dice.chance(20));
        total += price * qty;
        items.push(
            json!({ "sku": sku, "name": name, "qty": qty, "price": price, "category": category }),
        );
    }
    let items_sum = total;
    let delivery_cost = if total >= 300_000 { 0 } else { 30_000 };
    total += delivery_cost;
    // What the customer is asked to pay: the shipped M3 trigger takes 5 % of the items off a
    // phone order of 10 000 ₽ or more (config/shop.toml, discount_threshold_*), and the
    // payment is made for that sum.
    let paid = if method == "phone" && total >= 1_000_000 {
        total - items_sum * 5 / 100
    } else {
        total
    };
    let manager = if channel == "marketplace" {
        None
    } else {
        Some(MANAGERS[dice.below(2) as usize])
    };
    let utm = utm.map_or(
        Value::Null,
        |(source, campaign)| json!({ "source": source, "medium": "cpc", "campaign": campaign }),
    );
    let created = json!({
        "type": "order.created",
        "timestamp": rfc3339(placed),
        "data": {
            "order_id": id,
            "created_at": rfc3339(placed),
            "currency": "RUB",
            "channel": channel,
            "order_method": method,
            "customer_type": "person",
            "customer": customer(customer_no),
            "items": items,
            "delivery": { "type": "pickup-point", "address": "Москва, пункт выдачи", "cost": delivery_cost },
            "discount": 0,
            "total": total,
            "utm": utm,
            "manager": manager.map(|(m, _)| m),
        }
    });
    let mut at = placed;
    let mut push = |at: i64, hook: Hook, suffix: &str, body: Value| {
        events.push(Event {
            at,
            hook,
            id: format!("demo-{id}-{suffix}"),
            body,
        });
    };
    if dice.chance(30) {
        let operator = MANAGERS[dice.below(2) as usize].0;
        let answered = dice.chance(75);
        let call_at = placed + 1800 + dice.below(20 * 3600) as i64;
        push(
            call_at,
            Hook::Calls,
            "call",
            call(&id, customer_no, call_at, answered.then_some(operator)),
        );
    }
    push(at, Hook::Orders, "created", created);
    let (staff, name) = manager.unwrap_or(MANAGERS[0]);
    let step = |dice: &mut Dice,
                at: &mut i64,
                push: &mut dyn FnMut(i64, Hook, &str, Value),
                status: &str,
                reason: Option<&str>,
                hours: u64| {
        *at += 600 + dice.below(hours * 3600) as i64;
        let mut data = json!({
            "order_id": id,
            "status": status,
            "actor": { "type": "staff", "id": staff, "name": name },
        });
        if let Some(reason) = reason {
            data["reason"] = json!(reason);
        }
        push(
            *at,
            Hook::Orders,
            status,
            json!({ "type": "order.status_changed", "timestamp": rfc3339(*at), "data": data }),
        );
    };
    // P6: a marketplace order is paid there and goes straight to assembly on arrival.
    let marketplace = channel == "marketplace";
    if fate == Fate::New && !marketplace {
        return;
    }
    if fate == Fate::Cancelled {
        let reason = CANCEL_REASONS[dice.below(CANCEL_REASONS.len() as u64) as usize];
        if reason == "no answer" && !marketplace {
            step(dice, &mut at, &mut push, "no-answer-1", None, 3);
        }
        step(dice, &mut at, &mut push, "cancelled", Some(reason), 24);
        return;
    }
    if !marketplace {
        // Someone still thinking stays in approval; everyone else confirms.
        let next = if fate == Fate::Approval && dice.chance(50) {
            "thinking"
        } else {
            "confirmed"
        };
        step(dice, &mut at, &mut push, next, None, 2);
        if fate == Fate::Approval {
            return;
        }
        step(dice, &mut at, &mut push, "awaiting-payment", None, 2);
        if fate == Fate::Payment {
            return;
        }
        at += 600 + dice.below(6 * 3600) as i64;
        push(
            at,
            Hook::Payments,
            "paid",
            json!({
                "type": "payment.succeeded",
                "timestamp": rfc3339(at),
                "data": { "order_id": id, "payment_id": format!("pay-{id}"), "amount": paid, "currency": "RUB", "test": false }
            }),
        );
        step(dice, &mut at, &mut push, "prepare-for-delivery", None, 4);
    }
    if matches!(
        fate,
        Fate::New | Fate::Approval | Fate::Payment | Fate::Assembly
    ) {
        return;
    }
    step(dice, &mut at, &mut push, "assembled", None, 12);
    step(dice, &mut at, &mut push, "handed-to-carrier", None, 12);
    let track = format!("BB{}", 400_000_000 + n);
    let mut delivery = |dice: &mut Dice, at: &mut i64, status: &str| {
        *at += 3600 + dice.below(36 * 3600) as i64;
        push(
            *at,
            Hook::Delivery,
            status,
            json!({
                "type": "delivery.status",
                "data": {
                    "carrier": "boxberry", "order_id": id, "track_number": track,
                    "status": status, "carrier_status": status, "status_at": rfc3339(*at), "is_return": false
                }
            }),
        );
    };
    delivery(dice, &mut at, "in-transit");
    if fate == Fate::Delivery {
        return;
    }
    delivery(dice, &mut at, "at-pickup-point");
    delivery(dice, &mut at, "delivered");
}

fn source(
    dice: &mut Dice,
) -> (
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
) {
    let total: u64 = SOURCES.iter().map(|s| s.0).sum();
    let mut roll = dice.below(total);
    for (weight, channel, method, utm) in SOURCES {
        if roll < weight {
            return (channel, method, utm);
        }
        roll -= weight;
    }
    ("site", "cart", None)
}

fn call(order: &str, customer: usize, at: i64, operator: Option<&str>) -> Value {
    let duration = if operator.is_some() { 95 } else { 0 };
    json!({
        "type": "call.ended",
        "timestamp": rfc3339(at + 30 + duration),
        "data": {
            "call_id": format!("demo-call-{order}"),
            "direction": "inbound",
            "customer_number": phone(customer),
            "line": "+74951234567",
            "operator": operator,
            "started_at": rfc3339(at),
            "answered_at": operator.map(|_| rfc3339(at + 10)),
            "ended_at": rfc3339(at + 30 + duration),
            "duration": duration,
            "outcome": if operator.is_some() { "answered" } else { "missed" },
        }
    })
}

/// The Standard Webhooks signature (`v1,<base64>`) of `body` under a `whsec_…` secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> anyhow::Result<String> {
    let key = BASE64
        .decode(secret.trim_start_matches("whsec_"))
        .map_err(|e| anyhow::anyhow!("the secret is not whsec_<base64>: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Ok(format!("v1,{}", BASE64.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_is_the_same_every_time_and_in_time_order() {
        let a = plan(1_795_503_600, 30, 200);
        let b = plan(1_795_503_600, 30, 200);
        assert_eq!(a, b);
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at));
        let created = a
            .iter()
            .filter(|e| e.body["type"] == "order.created")
            .count();
        assert_eq!(created, 200);
    }

    #[test]
    fn the_plan_has_every_kind_of_event() {
        let events = plan(1_795_503_600, 30, 200);
        for hook in [Hook::Orders, Hook::Payments, Hook::Delivery, Hook::Calls] {
            assert!(events.iter().any(|e| e.hook == hook), "{hook:?}");
        }
        let cancelled = events
            .iter()
            .filter(|e| e.body["data"]["status"] == "cancelled")
            .count();
        assert!(cancelled > 10, "{cancelled}");
        let ids: std::collections::HashSet<_> = events.iter().map(|e| &e.id).collect();
        assert_eq!(ids.len(), events.len(), "webhook ids are unique");
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        assert_eq!(rfc3339(1_795_503_600), "2026-11-24T07:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn a_signature_matches_the_standard_webhooks_example() {
        // From the Standard Webhooks specification's test vectors.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .expect("signs");
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
