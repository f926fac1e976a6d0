//! Carriers' notifications (CDEK, generic) and the stock reader.

use orderpath_fuzz::fixtures;
use orderpath_wire::carrier::{cdek, generic, stock, DeliveryKind, DeliveryNotice};

use crate::gen::{answer, bytes_of, check, json_input, webhook_id};
use crate::Req;

const TOKEN: &str = "fuzz-token-91ab";

fn notice_invariants(notice: &DeliveryNotice) {
    assert!(!notice.key.is_empty(), "empty key: {notice:?}");
    assert!(!notice.carrier.is_empty(), "empty carrier: {notice:?}");
}

fn kind_invariants(kind: &DeliveryKind) {
    match kind {
        DeliveryKind::Status(notice) => notice_invariants(notice),
        DeliveryKind::Ignored { key, .. } => assert!(!key.is_empty(), "empty key: {kind:?}"),
    }
}

#[test]
fn cdek_webhook_never_panics() {
    let input = (json_input(bytes_of(fixtures("cdek", ".json"))), 0u8..8);
    check("cdek webhook", input, |(body, how)| {
        let token = if how == 0 { "" } else { TOKEN };
        let req = Req::post(body).param("token", token);
        let result = cdek::read(&req.as_request(), TOKEN);
        if let Ok(kind) = &result {
            kind_invariants(kind);
        }
        answer(&result)
    });
}

#[test]
fn cdek_api_answers_never_panic() {
    let input = json_input(bytes_of(fixtures("cdek", ".json")));
    check("cdek api answers", input, |body| {
        if let Ok(token) = cdek::read_token(&body) {
            assert!(!token.is_empty());
        }
        let result = cdek::read_order(&body);
        if let Ok(Some(notice)) = &result {
            notice_invariants(notice);
        }
        answer(&result)
    });
}

#[test]
fn generic_delivery_never_panics() {
    let input = (
        json_input(bytes_of(fixtures("delivery", ".json"))),
        webhook_id(),
    );
    check("generic delivery", input, |(body, id)| {
        let result = generic::parse(&body, &id);
        if let Ok(kind) = &result {
            kind_invariants(kind);
        }
        answer(&result)
    });
}

#[test]
fn stock_never_panics() {
    let input = (
        json_input(bytes_of(fixtures("stock", ".json"))),
        webhook_id(),
    );
    check("stock", input, |(body, id)| {
        let result = stock::parse(&body, &id);
        if let Ok(post) = &result {
            assert!(!post.key.is_empty());
            assert!(
                post.levels
                    .iter()
                    .all(|(sku, n)| !sku.is_empty() && *n >= 0),
                "{post:?}"
            );
            assert!(post.levels.windows(2).all(|w| w[0].0 < w[1].0), "{post:?}");
        }
        answer(&result)
    });
}
