//! Shop platforms' order webhooks (Shopify, WooCommerce, Tilda): signed with the right secret,
//! so the fuzzed bytes reach the order readers behind the signature checks.

use orderpath_core::money::Currency;
use orderpath_fuzz::fixtures;
use orderpath_wire::shop::{shopify, tilda, woocommerce, ShopNotice, ShopNoticeKind};
use proptest::prelude::*;

use crate::gen::{answer, bytes_of, check, form_input, json_input};
use crate::Req;

const SECRET: &str = "fuzz-platform-secret";

fn invariants(notice: &ShopNotice) {
    assert!(!notice.key.is_empty(), "empty key: {notice:?}");
    if let ShopNoticeKind::Order(order) = &notice.kind {
        assert!(!order.platform_id.is_empty(), "{notice:?}");
        assert!(!order.order.items.is_empty(), "{notice:?}");
        assert!(
            order.order.customer.phone.is_some() || order.order.customer.email.is_some(),
            "{notice:?}"
        );
    }
}

const SHOPIFY_TOPICS: [&str; 4] = [
    "orders/create",
    "orders/updated",
    "orders/paid",
    "carts/update",
];
const WOO_TOPICS: [&str; 4] = [
    "order.created",
    "order.updated",
    "order.deleted",
    "coupon.created",
];

#[test]
fn shopify_never_panics() {
    let input = (
        json_input(bytes_of(fixtures("shopify", ".json"))),
        0usize..4,
        any::<bool>(),
    );
    check("shopify", input, |(body, topic, signed)| {
        let signature = if signed {
            shopify::sign(SECRET, &body)
        } else {
            "AAAA".to_owned()
        };
        let req = Req::post(&body)
            .header("x-shopify-topic", SHOPIFY_TOPICS[topic])
            .header(
                "x-shopify-webhook-id",
                "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
            )
            .header("x-shopify-hmac-sha256", &signature);
        let result = shopify::read(&req.as_request(), SECRET);
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}

#[test]
fn woocommerce_never_panics() {
    let input = (
        json_input(bytes_of(fixtures("woocommerce", ".json"))),
        0usize..4,
        any::<bool>(),
    );
    check("woocommerce", input, |(body, topic, signed)| {
        let signature = if signed {
            woocommerce::sign(SECRET, &body)
        } else {
            "AAAA".to_owned()
        };
        let req = Req::post(&body)
            .header("x-wc-webhook-topic", WOO_TOPICS[topic])
            .header("x-wc-webhook-delivery-id", "5a1a2b3c")
            .header("x-wc-webhook-id", "12")
            .header("x-wc-webhook-signature", &signature);
        let result = woocommerce::read(&req.as_request(), SECRET);
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}

#[test]
fn tilda_never_panics() {
    let forms = form_input(bytes_of(fixtures("tilda", ".form")));
    let json = json_input(bytes_of(fixtures("tilda", ".json")));
    let input = prop_oneof![
        forms.prop_map(|b| (b, "application/x-www-form-urlencoded")),
        json.prop_map(|b| (b, "application/json")),
    ];
    check("tilda", input, |(body, content_type)| {
        let req = Req::post(&body)
            .header("content-type", content_type)
            .param("token", SECRET);
        let result = tilda::read(&req.as_request(), SECRET, &Currency::rub());
        if let Ok(notice) = &result {
            invariants(notice);
        }
        answer(&result)
    });
}
