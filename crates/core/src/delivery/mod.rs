//! Parcels in the domain's terms: a delivery notice (whichever carrier's format it came in,
//! see `orderpath_wire::carrier`), whether it moves a parcel on ([`progress`]), and whether
//! a push must be confirmed with the carrier's API before it ends an order ([`confirm`]).

pub mod confirm;
pub mod progress;
#[cfg(test)]
mod progress_tests;

/// One authentic delivery notification, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryNotice {
    /// The idempotency key: the same for every re-delivery of this notification (CDEK:
    /// `uuid` + `attributes.code` + `attributes.status_date_time`; generic: `webhook-id`).
    pub key: String,
    /// `cdek`, or the generic notice's `carrier` (e.g. `boxberry`, `russian-post`).
    pub carrier: String,
    /// Our order number, when the carrier carries it (CDEK `attributes.number`).
    pub order_ref: Option<String>,
    /// The carrier's id of the shipment (CDEK order `uuid`).
    pub carrier_order_id: Option<String>,
    /// The tracking number (CDEK `attributes.cdek_number`).
    pub track_number: Option<String>,
    /// A tracking link for the customer (CDEK: built from the track number).
    pub tracking_url: Option<String>,
    /// The carrier's own status code as sent (`ACCEPTED_AT_PICK_UP_POINT`), for the history.
    pub carrier_status: String,
    /// Our delivery status for it; `None` for a code that says nothing about the parcel's
    /// progress to the customer (kept, acknowledged, not acted on).
    pub status: Option<String>,
    /// When the carrier says the status happened, unix seconds, if it says.
    pub status_at: Option<i64>,
    /// A return shipment (back to the shop).
    pub is_return: bool,
    /// Other order fields to store with the status (generic `fields`: pickup point address,
    /// phone, hours, storage deadline…), as `(name, value)`.
    pub fields: Vec<(String, serde_json::Value)>,
}

/// What a delivery notification asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryKind {
    /// A status of a parcel.
    Status(DeliveryNotice),
    /// Authentic but not about a parcel's status (another CDEK webhook type): acknowledged.
    Ignored {
        /// The idempotency key.
        key: String,
        /// What it was (`PRINT_FORM`).
        what: String,
    },
}
