use serde_json::json;

use super::*;
use crate::carrier::generic::parse;

const WEBHOOK_ID: &str = "msg_2qDv7Xk1bY4mU0zC2eE5fG7hJ";
const TRACK: &str = "BB123456789";
const TRACKING_URL: &str = "https://boxberry.ru/tracking-page?id=BB123456789";

fn parse_body(body: &[u8]) -> Result<DeliveryKind, CarrierError> {
    parse(body, WEBHOOK_ID)
}

fn with(pointer: &str, value: serde_json::Value) -> Vec<u8> {
    edit_json(
        fixture!("delivery/at-pickup-point.json"),
        pointer,
        Some(value),
    )
}

#[test]
fn parcel_at_pickup_point_is_read_with_the_point_and_keyed_by_the_webhook_id() {
    let notice = notice(parse_body(fixture!("delivery/at-pickup-point.json")));

    assert_eq!(
        notice,
        DeliveryNotice {
            key: WEBHOOK_ID.to_owned(),
            carrier: "boxberry".to_owned(),
            order_ref: Some("A-1001".to_owned()),
            carrier_order_id: None,
            track_number: Some(TRACK.to_owned()),
            tracking_url: Some(TRACKING_URL.to_owned()),
            carrier_status: "Поступило в пункт выдачи".to_owned(),
            status: Some("at-pickup-point".to_owned()),
            status_at: Some(1_795_770_000),
            is_return: false,
            fields: vec![
                (
                    "pickup_point".to_owned(),
                    json!({
                        "address": "Москва, ул. Тверская, 7",
                        "phone": "+7 495 000-00-07",
                        "hours": "10:00–21:00"
                    })
                ),
                ("storage_until".to_owned(), json!("2026-12-04")),
            ],
        }
    );
}

#[test]
fn every_fixture_reads_in_the_order_the_parcel_moves() {
    let cases: [(&[u8], &str, i64); 4] = [
        (
            fixture!("delivery/by-track-number.json"),
            "in-transit",
            1_795_672_800,
        ),
        (fixture!("delivery/problem.json"), "problem", 1_795_694_400),
        (
            fixture!("delivery/at-pickup-point.json"),
            "at-pickup-point",
            1_795_770_000,
        ),
        (
            fixture!("delivery/delivered.json"),
            "delivered",
            1_795_879_800,
        ),
    ];

    for (body, status, at) in cases {
        let notice = notice(parse_body(body));

        assert_eq!(notice.status.as_deref(), Some(status));
        assert_eq!(notice.status_at, Some(at), "{status}");
        assert_eq!(notice.carrier, "boxberry");
        assert_eq!(notice.track_number.as_deref(), Some(TRACK));
    }
}

#[test]
fn a_track_number_alone_is_enough_to_find_the_order() {
    let notice = notice(parse_body(fixture!("delivery/by-track-number.json")));

    assert_eq!(notice.order_ref, None);
    assert_eq!(notice.carrier_order_id, None);
    assert_eq!(notice.track_number.as_deref(), Some(TRACK));
    assert_eq!(notice.tracking_url, None);
    assert!(notice.fields.is_empty());
}

#[test]
fn a_carrier_order_id_alone_is_enough_too() {
    let body = edit_json(
        fixture!("delivery/by-track-number.json"),
        "/data/track_number",
        None,
    );
    let body = edit_json(&body, "/data/carrier_order_id", Some(json!(88_812_001)));

    let notice = notice(parse_body(&body));

    assert_eq!(notice.carrier_order_id.as_deref(), Some("88812001"));
}

#[test]
fn without_any_identifier_the_notice_is_invalid() {
    let body = edit_json(
        fixture!("delivery/by-track-number.json"),
        "/data/track_number",
        None,
    );

    let (field, message) = invalid(parse_body(&body));

    assert_eq!(field, "data.order_id");
    assert!(message.contains("carrier_order_id") && message.contains("track_number"));
}

#[test]
fn the_carrier_status_defaults_to_ours() {
    let body = edit_json(
        fixture!("delivery/delivered.json"),
        "/data/carrier_status",
        None,
    );

    assert_eq!(notice(parse_body(&body)).carrier_status, "delivered");
}

#[test]
fn a_numeric_carrier_status_is_kept_as_text() {
    let body = with("/data/carrier_status", json!(8));

    assert_eq!(notice(parse_body(&body)).carrier_status, "8");
}

#[test]
fn a_return_is_read() {
    let body = with("/data/is_return", json!(true));

    assert!(notice(parse_body(&body)).is_return);
}

#[test]
fn without_a_time_the_status_has_none() {
    let body = edit_json(fixture!("delivery/delivered.json"), "/data/status_at", None);

    assert_eq!(notice(parse_body(&body)).status_at, None);
}

#[test]
fn unknown_status_is_invalid_and_lists_ours() {
    let (field, message) = invalid(parse_body(&with("/data/status", json!("ready"))));

    assert_eq!(field, "data.status");
    for status in orderpath_core::automation::event::DELIVERY_STATUSES {
        assert!(message.contains(status), "{status} missing from {message}");
    }
}

#[test]
fn only_delivery_status_notices_are_read() {
    let (field, message) = invalid(parse_body(&with("/type", json!("delivery.created"))));

    assert_eq!(field, "type");
    assert!(message.contains("delivery.status"));
}

#[test]
fn the_carrier_must_be_a_lower_case_name() {
    for carrier in ["Boxberry", "russian post", "", "почта"] {
        let (field, _) = invalid(parse_body(&with("/data/carrier", json!(carrier))));

        assert_eq!(field, "data.carrier", "{carrier:?}");
    }
    let missing = edit_json(fixture!("delivery/delivered.json"), "/data/carrier", None);
    assert_eq!(invalid(parse_body(&missing)).0, "data.carrier");
    let post = notice(parse_body(&with("/data/carrier", json!("russian-post"))));
    assert_eq!(post.carrier, "russian-post");
}

#[test]
fn a_status_time_must_be_rfc_3339() {
    for text in ["2026-11-27T12:00:00+0300", "2026-11-27", "yesterday"] {
        let (field, message) = invalid(parse_body(&with("/data/status_at", json!(text))));

        assert_eq!(field, "data.status_at", "{text}");
        assert!(message.contains("RFC 3339"));
    }
}

#[test]
fn the_tracking_link_must_be_http() {
    for url in ["javascript:alert(1)", "https://boxberry.ru/a b", "ftp://x"] {
        let (field, _) = invalid(parse_body(&with("/data/tracking_url", json!(url))));

        assert_eq!(field, "data.tracking_url", "{url}");
    }
}

#[test]
fn a_long_track_number_is_invalid() {
    let (field, _) = invalid(parse_body(&with(
        "/data/track_number",
        json!("B".repeat(65)),
    )));

    assert_eq!(field, "data.track_number");
}

#[test]
fn unknown_fields_are_refused_by_name() {
    let (field, message) = invalid(parse_body(&with(
        "/data/fields/pickup_point_address",
        json!("Москва"),
    )));

    assert_eq!(field, "data.fields.pickup_point_address");
    assert!(message.contains("pickup_point") && message.contains("storage_until"));
}

#[test]
fn the_pickup_point_is_checked_like_the_order_webhooks() {
    let not_object = invalid(parse_body(&with(
        "/data/fields/pickup_point",
        json!("Москва, ул. Тверская, 7"),
    )));
    let too_long = invalid(parse_body(&with(
        "/data/fields/pickup_point/hours",
        json!("9".repeat(501)),
    )));
    let control = invalid(parse_body(&with(
        "/data/fields/pickup_point/phone",
        json!("+7 495\n000"),
    )));

    assert_eq!(not_object.0, "data.fields.pickup_point");
    assert_eq!(too_long.0, "data.fields.pickup_point.hours");
    assert_eq!(control.0, "data.fields.pickup_point.phone");
}

#[test]
fn pickup_point_parts_are_trimmed_and_absent_ones_left_out() {
    let body = with(
        "/data/fields/pickup_point",
        json!({"address": "  Москва, ул. Тверская, 7 ", "phone": null, "floor": "2"}),
    );

    let notice = notice(parse_body(&body));

    assert_eq!(
        notice.fields[0],
        (
            "pickup_point".to_owned(),
            json!({"address": "Москва, ул. Тверская, 7"})
        )
    );
}

#[test]
fn null_clears_a_field() {
    let body = with(
        "/data/fields",
        json!({"pickup_point": null, "storage_until": null}),
    );

    let notice = notice(parse_body(&body));

    assert_eq!(
        notice.fields,
        vec![
            ("pickup_point".to_owned(), serde_json::Value::Null),
            ("storage_until".to_owned(), serde_json::Value::Null),
        ]
    );
}

#[test]
fn the_storage_deadline_must_be_a_date() {
    for value in [json!("04.12.2026"), json!("2026-02-30"), json!(20_261_204)] {
        let (field, _) = invalid(parse_body(&with("/data/fields/storage_until", value)));

        assert_eq!(field, "data.fields.storage_until");
    }
}

#[test]
fn bad_json_is_malformed() {
    for body in [&b"{"[..], b"\"delivery.status\"", b""] {
        assert!(matches!(parse_body(body), Err(CarrierError::Malformed(_))));
    }
}
