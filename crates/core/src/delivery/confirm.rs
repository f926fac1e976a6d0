//! Confirming a carrier's push before it ends an order.
//!
//! CDEK signs nothing: its webhooks are trusted on the secret token in their URL. Whoever has
//! that URL could report a parcel delivered (the order completes) or returned (the order is
//! cancelled as not bought out). So when the shop has given us CDEK API credentials, a push
//! whose status ends an order is first checked against the parcel's newest status in CDEK's
//! own API (`GET /v2/orders/{uuid}`), and applied only when the API agrees.

use super::{progress, DeliveryNotice};

/// The delivery statuses that complete or cancel an order through the shipped triggers
/// (V4 `delivered` → completed; M9 `not-delivered`, `returning`, `returned` → not bought out;
/// D1 `lost` → a delivery problem).
pub const ENDING: [&str; 5] = [
    "delivered",
    "not-delivered",
    "returning",
    "returned",
    "lost",
];

/// Whether a pushed status must be confirmed before it is applied.
pub fn needs_confirmation(notice: &DeliveryNotice) -> bool {
    notice
        .status
        .as_deref()
        .is_some_and(|status| ENDING.contains(&status))
}

/// What the carrier's API says of a pushed status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The API shows the same status, or one further along that came later: apply the push.
    Confirmed,
    /// The API shows something else: do not apply the push (the poll applies the API's).
    Contradicted {
        /// The API's newest status, or `None` when it lists none.
        api_status: Option<String>,
    },
}

/// Compares a push with the parcel's newest status from the API (`None`: the API lists none).
pub fn verdict(pushed: &DeliveryNotice, api: Option<&DeliveryNotice>) -> Verdict {
    let contradicted = || Verdict::Contradicted {
        api_status: api.and_then(|a| a.status.clone()),
    };
    let (Some(api), Some(status)) = (api, pushed.status.as_deref()) else {
        return contradicted();
    };
    let Some(api_status) = api.status.as_deref() else {
        return contradicted();
    };
    if api_status == status {
        return Verdict::Confirmed;
    }
    // A final status is never left, so the API must show that very status. Otherwise the
    // parcel may have moved on since the push: the API's status must rank higher and be newer.
    let further = !progress::is_final(status)
        && matches!(
            (progress::rank(api_status), progress::rank(status)),
            (Some(api_rank), Some(rank)) if api_rank > rank
        )
        && match (api.status_at, pushed.status_at) {
            (Some(api_at), Some(at)) => api_at >= at,
            _ => true,
        };
    if further {
        Verdict::Confirmed
    } else {
        contradicted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(status: Option<&str>, at: Option<i64>) -> DeliveryNotice {
        DeliveryNotice {
            key: "k".into(),
            carrier: "cdek".into(),
            order_ref: None,
            carrier_order_id: Some("uuid-1".into()),
            track_number: None,
            tracking_url: None,
            carrier_status: "X".into(),
            status: status.map(str::to_owned),
            status_at: at,
            is_return: false,
            fields: Vec::new(),
        }
    }

    #[test]
    fn only_statuses_that_end_an_order_need_confirmation() {
        for status in ENDING {
            assert!(needs_confirmation(&notice(Some(status), None)), "{status}");
        }
        for status in [
            "created",
            "accepted",
            "in-transit",
            "at-pickup-point",
            "problem",
        ] {
            assert!(!needs_confirmation(&notice(Some(status), None)), "{status}");
        }
        assert!(!needs_confirmation(&notice(None, None)));
    }

    #[test]
    fn the_same_status_in_the_api_confirms_the_push() {
        let pushed = notice(Some("delivered"), Some(100));
        let api = notice(Some("delivered"), Some(100));
        assert_eq!(verdict(&pushed, Some(&api)), Verdict::Confirmed);
    }

    #[test]
    fn a_parcel_still_on_its_way_in_the_api_contradicts_delivered() {
        let pushed = notice(Some("delivered"), Some(100));
        let api = notice(Some("in-transit"), Some(90));
        assert_eq!(
            verdict(&pushed, Some(&api)),
            Verdict::Contradicted {
                api_status: Some("in-transit".into())
            }
        );
        assert_eq!(
            verdict(&pushed, None),
            Verdict::Contradicted { api_status: None }
        );
    }

    #[test]
    fn another_final_status_contradicts_a_final_push() {
        let pushed = notice(Some("delivered"), Some(100));
        let api = notice(Some("returned"), Some(200));
        assert!(matches!(
            verdict(&pushed, Some(&api)),
            Verdict::Contradicted { .. }
        ));
    }

    #[test]
    fn a_parcel_that_moved_on_since_the_push_confirms_it() {
        let pushed = notice(Some("returning"), Some(100));
        assert_eq!(
            verdict(&pushed, Some(&notice(Some("returned"), Some(150)))),
            Verdict::Confirmed
        );
        assert!(matches!(
            verdict(&pushed, Some(&notice(Some("returned"), Some(50)))),
            Verdict::Contradicted { .. }
        ));
        assert!(matches!(
            verdict(&pushed, Some(&notice(None, Some(150)))),
            Verdict::Contradicted { .. }
        ));
    }
}
