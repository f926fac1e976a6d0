//! The machine-readable schema in `docs/order-event.schema.json` must stay a valid JSON
//! document that describes the same event types and limits as the parser.

use orderpath_core::event::OrderEvent;
use serde_json::Value;

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/order-event.schema.json"
    );
    let text = std::fs::read_to_string(path).expect("docs/order-event.schema.json is readable");
    serde_json::from_str(&text).expect("the schema is valid JSON")
}

fn def<'a>(schema: &'a Value, name: &str) -> &'a Value {
    let found = &schema["$defs"][name];
    assert!(found.is_object(), "$defs/{name} is missing");
    found
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

#[test]
fn schema_is_draft_2020_12_json() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(strings(&schema["required"]), ["type", "data"]);
}

#[test]
fn schema_lists_every_event_type() {
    let schema = schema();
    assert_eq!(
        strings(&schema["properties"]["type"]["enum"]),
        OrderEvent::TYPE_NAMES
    );
    let branches: Vec<&str> = schema["oneOf"]
        .as_array()
        .expect("oneOf")
        .iter()
        .map(|b| {
            b["properties"]["type"]["const"]
                .as_str()
                .expect("const type")
        })
        .collect();
    assert_eq!(branches, OrderEvent::TYPE_NAMES);
}

#[test]
fn every_branch_points_at_a_defined_data_shape() {
    let schema = schema();
    for branch in schema["oneOf"].as_array().expect("oneOf") {
        let reference = branch["properties"]["data"]["$ref"]
            .as_str()
            .expect("data is a $ref");
        let name = reference.strip_prefix("#/$defs/").expect("local reference");
        def(&schema, name);
    }
}

#[test]
fn schema_requires_what_the_parser_requires() {
    let schema = schema();
    assert_eq!(
        strings(&def(&schema, "orderCreated")["required"]),
        ["order_id", "currency", "customer", "items", "total"]
    );
    assert_eq!(
        strings(&def(&schema, "orderUpdated")["required"]),
        ["order_id"]
    );
    assert_eq!(
        strings(&def(&schema, "orderStatusChanged")["required"]),
        ["order_id", "status"]
    );
    assert_eq!(
        strings(&def(&schema, "item")["required"]),
        ["sku", "name", "qty", "price"]
    );
}

#[test]
fn schema_limits_match_the_specification() {
    let schema = schema();
    let items = def(&schema, "items");
    assert_eq!(
        (items["minItems"].as_u64(), items["maxItems"].as_u64()),
        (Some(1), Some(500))
    );
    let qty = &def(&schema, "item")["properties"]["qty"];
    assert_eq!(
        (qty["minimum"].as_u64(), qty["maximum"].as_u64()),
        (Some(1), Some(1_000_000))
    );
    let money = def(&schema, "money");
    assert_eq!(
        (money["type"].as_str(), money["minimum"].as_u64()),
        (Some("integer"), Some(0))
    );
    assert_eq!(def(&schema, "orderId")["maxLength"], 64);
    assert_eq!(def(&schema, "currency")["pattern"], "^[A-Z]{3}$");
    let status = &def(&schema, "orderStatusChanged")["properties"]["status"];
    assert_eq!(status["pattern"], "^[a-z0-9-]{1,40}$");
    let actor_kinds = &def(&schema, "optionalActor")["anyOf"][1]["properties"]["type"]["enum"];
    assert_eq!(
        strings(actor_kinds),
        ["staff", "customer", "system", "integration"]
    );
}

/// `docs/site-event.schema.json` names the same site event types as the parser, and its
/// examples in docs/site-events.md parse.
#[test]
fn site_event_schema_lists_the_parsers_types() {
    use orderpath_core::marketing::site::{parse_site_event, SITE_EVENT_TYPES};
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/site-event.schema.json"
    );
    let text = std::fs::read_to_string(path).expect("docs/site-event.schema.json is readable");
    let schema: Value = serde_json::from_str(&text).expect("the schema is valid JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        strings(&schema["properties"]["type"]["enum"]),
        SITE_EVENT_TYPES
    );
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/site-events.md");
    let docs = std::fs::read_to_string(docs).expect("docs/site-events.md");
    let example = docs
        .split("```json")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("an example");
    let event = parse_site_event(example.as_bytes()).expect("the documented example parses");
    assert_eq!(event.type_name(), "cart.updated");
}

/// `docs/chat-event.schema.json` describes the generic chat format the parser reads, and the
/// example in docs/chat-events.md parses.
#[test]
fn chat_event_schema_matches_the_parser_and_its_example_parses() {
    use orderpath_core::chat::generic::{parse_chat_message, TYPE};
    use orderpath_core::chat::MAX_TEXT_CHARS;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/chat-event.schema.json"
    );
    let text = std::fs::read_to_string(path).expect("docs/chat-event.schema.json is readable");
    let schema: Value = serde_json::from_str(&text).expect("the schema is valid JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(strings(&schema["properties"]["type"]["enum"]), [TYPE]);
    assert_eq!(
        strings(&schema["required"]),
        ["type", "sent_at", "channel", "conversation_id", "text"]
    );
    assert_eq!(
        schema["properties"]["text"]["maxLength"],
        serde_json::json!(MAX_TEXT_CHARS)
    );
    let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/chat-events.md");
    let docs = std::fs::read_to_string(docs).expect("docs/chat-events.md");
    let example = docs
        .split("```json")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("an example");
    let message = parse_chat_message(example.as_bytes()).expect("the documented example parses");
    assert_eq!(message.channel, "whatsapp");
    assert_eq!(
        message.sender.phone.as_ref().map(|p| p.as_str()),
        Some("+79123456789")
    );
}
