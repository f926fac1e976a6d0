//! Order events posted to `/webhooks/orders`.

use orderpath_core::{parse_order_event, EventError, OrderEvent};
use orderpath_fuzz::fixtures;

use crate::gen::{bytes_of, check, json_input};

fn invariants(event: &OrderEvent) {
    if let OrderEvent::Created(order) = event {
        assert!(order.total >= 0 && order.discount >= 0, "{order:?}");
        assert!(order.delivery.cost >= 0, "{order:?}");
        assert!(order.items.iter().all(|i| i.price >= 0), "{order:?}");
    }
    // The event goes into the database and the automation as JSON.
    assert!(serde_json::to_vec(event).is_ok());
}

#[test]
fn order_event_never_panics() {
    let input = json_input(bytes_of(fixtures("orders", ".json")));
    check("order event", input, |body| {
        match parse_order_event(&body) {
            Ok(event) => {
                invariants(&event);
                "ok"
            }
            Err(EventError::Malformed(_)) => "malformed",
            Err(EventError::Invalid { .. }) => "invalid",
        }
    });
}
