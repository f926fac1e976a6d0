//! The demo shop (`crates/demo`) seeded through the real webhooks with the harness clock
//! moved to each event's time: what `./scripts/dev.sh --seed` shows, with real time in
//! statuses, and what the desk's browser tests look at.

use bytes::Bytes;
use orderpath_demo::{plan, sign, Hook};

use crate::support::{TestApp, CALLS_SECRET, DELIVERY_SECRET, PAYMENTS_SECRET, SECRET};

/// Days the test demo covers, from the test clock's start.
pub const DAYS: i64 = 30;

/// Posts the demo's events for `orders` orders, each at its own time (the clock moves
/// forward to it; the scheduler ticks at most every six simulated hours). Panics on
/// any answer but 2xx.
pub async fn seed(app: &TestApp, orders: usize) {
    let start = app.clock.unix_seconds() as i64;
    let mut last_tick = start;
    for event in plan(start, DAYS, orders) {
        let now = app.clock.unix_seconds() as i64;
        if event.at > now {
            app.clock.set(event.at as u64);
        }
        if event.at - last_tick >= 6 * 3600 {
            app.tick().await;
            last_tick = event.at;
        }
        let secret = match event.hook {
            Hook::Orders => SECRET,
            Hook::Payments => PAYMENTS_SECRET,
            Hook::Delivery => DELIVERY_SECRET,
            Hook::Calls => CALLS_SECRET,
        };
        let body = serde_json::to_vec(&event.body).expect("json");
        let ts = app.clock.unix_seconds() as i64;
        let request =
            http::Request::post(format!("http://orders.shop.example{}", event.hook.path()))
                .header("content-type", "application/json")
                .header("webhook-id", &event.id)
                .header("webhook-timestamp", ts.to_string())
                .header(
                    "webhook-signature",
                    sign(secret, &event.id, ts, &body).expect("sign"),
                )
                .body(Bytes::from(body))
                .expect("request");
        let response = app.send(request).await;
        assert!(
            response.status.is_success(),
            "{} {}: {} {}",
            event.hook.path(),
            event.id,
            response.status,
            response.text()
        );
    }
}

#[tokio::test]
async fn the_demo_shop_lands_through_the_real_webhooks() {
    let app = TestApp::start().await;

    seed(&app, 60).await;

    assert_eq!(app.count("SELECT COUNT(*) FROM orders"), 60);
    let by_group =
        app.query("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY COUNT(*) DESC");
    println!("{by_group:?}");
    assert!(by_group.len() >= 5, "orders across statuses: {by_group:?}");
    assert!(app.count("SELECT COUNT(*) FROM payments WHERE state = 'applied'") > 10);
    assert!(app.count("SELECT COUNT(*) FROM deliveries WHERE state = 'applied'") > 10);
    assert!(app.count("SELECT COUNT(*) FROM calls") > 5);
    let refused = "FROM order_history WHERE outcome = 'refused' AND field = 'status'";
    assert!(
        app.count(&format!("SELECT COUNT(*) {refused}")) == 0,
        "every planned move is allowed: {:?}",
        app.query(&format!(
            "SELECT order_id, old_value, new_value, reason {refused}"
        ))
    );
    // V1 gives the orders that arrive while someone is on shift a manager; the night's wait
    // for the head of sales.
    let managed = app.count("SELECT COUNT(*) FROM orders WHERE manager IS NOT NULL");
    let unassigned = app.count(
        "SELECT COUNT(*) FROM tasks WHERE assignee = 'role:head-of-sales'
         AND title LIKE 'Назначить менеджера%'",
    );
    assert!(managed > 40, "{managed} of 60 orders have a manager");
    assert_eq!(
        managed + unassigned,
        60,
        "every order has a manager or a task"
    );
    assert!(
        app.count("SELECT COUNT(*) FROM customers") < 60,
        "some customers come back"
    );
}
