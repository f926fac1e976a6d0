//! `POST /webhooks/stock`: stock levels from the accounting system (1C, a warehouse), signed
//! with Standard Webhooks. A post is a full snapshot or the changed articles
//! (`orderpath_wire::carrier::stock`); `orderpath_shell::inbound::stock` stores the levels and, in the
//! same transaction, serves the orders waiting for stock (V7) and tells purchasing what ran
//! out (O6). Each post is processed once per `webhook-id`.

use orderpath_shell::clock::Timestamp;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::inbound::{self, Handled, Notification};
use orderpath_shell::plans::automation::{self, Run};
use orderpath_shell::{config, inbound::stock as stock_levels};
use orderpath_wire::carrier::stock;
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_stock_event(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, process(request));
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_json_post(request)?;
    let now = Timestamp::now();
    let webhook_id = inbound::verify_signed(&inbound, "stock_webhook_secret", "stock posts", now)?;
    let post = stock::parse(&inbound.body, webhook_id).map_err(ApiError::from)?;
    let db = Db::open(config::synchronous()?)?;
    let cause = format!("stock:{webhook_id}");
    let notification = Notification {
        source: "stock",
        key: webhook_id,
        content: &inbound.body,
        now,
        exact_key: true,
    };
    let repeat = inbound::duplicate_ack();
    if let Some(handled) = inbound::seen_before(&db, &notification, repeat.clone())? {
        return Ok(handled);
    }
    let automation = automation::load_config()?;
    inbound::once(db, &notification, repeat, |db| {
        let run = Run {
            db,
            config: &automation,
            now,
            cause: &cause,
        };
        let receipt = stock_levels::receive(&run, &post)?;
        let answer = json!({ "received": true, "changed": receipt.changed,
                             "confirmed": receipt.confirmed, "short": receipt.short });
        Ok((Answer::json(200, &answer), receipt.messages))
    })
}
