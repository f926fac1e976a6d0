//! Payment acquirers' webhooks, read in their own formats: each provider's module checks the
//! request is authentic (its own way), then turns it into a [`Notice`]: the idempotency key the
//! provider's retries keep, and the payment outcome in our terms (minor units, ISO currency,
//! our order's id as the provider carried it). Nothing here touches storage: the shell decides
//! what a notice means for the order (see [`orderpath_core::payment`]).
//!
//! Facts per provider (formats, signatures, acknowledgements) are in the module docs.

pub mod cloudpayments;
pub mod generic;
pub(crate) mod json;
pub mod sber;
pub mod stripe;
pub mod tbank;
#[cfg(test)]
mod tests;
pub mod verify;
pub mod yookassa;

/// An acquirer we read, named by the last part of `/webhooks/payments/{provider}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Provider {
    /// YooKassa API v3 HTTP notifications (JSON, unsigned: a token in the URL).
    YooKassa,
    /// CloudPayments notifications (form or JSON, `Content-HMAC`).
    CloudPayments,
    /// T-Bank (Tinkoff) Internet Acquiring `NotificationPayment` (JSON, `Token`).
    TBank,
    /// Stripe events (JSON, `Stripe-Signature`).
    Stripe,
    /// Sberbank acquiring callbacks (GET query or form, `checksum`).
    Sber,
    /// Our documented JSON for any other acquirer, signed with Standard Webhooks.
    Generic,
}

impl Provider {
    /// Every provider, in documentation order.
    pub const ALL: [Provider; 6] = [
        Provider::YooKassa,
        Provider::CloudPayments,
        Provider::TBank,
        Provider::Stripe,
        Provider::Sber,
        Provider::Generic,
    ];

    /// The provider named in the URL.
    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The name used in URLs, in `payments.source` and in variable names.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::YooKassa => "yookassa",
            Provider::CloudPayments => "cloudpayments",
            Provider::TBank => "tbank",
            Provider::Stripe => "stripe",
            Provider::Sber => "sber",
            Provider::Generic => "generic",
        }
    }

    /// What the provider must get back to stop re-sending an accepted notification.
    pub fn ack(self) -> Ack {
        match self {
            Provider::CloudPayments => cloudpayments::answer(cloudpayments::CODE_OK),
            Provider::TBank => Ack {
                content_type: "text/plain",
                body: "OK".to_owned(),
            },
            _ => Ack {
                content_type: "application/json",
                body: "{\"received\":true}".to_owned(),
            },
        }
    }
}

/// An acknowledgement in the provider's expected format (always with status 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// `application/json` or `text/plain`.
    pub content_type: &'static str,
    /// The exact body.
    pub body: String,
}

/// A provider's HTTP request as it came.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET` or `POST` (upper-case).
    pub method: &'a str,
    /// What follows the provider in the path, without slashes at either end: `""` for
    /// `/webhooks/payments/cloudpayments`, `"pay"` for `/webhooks/payments/cloudpayments/pay`.
    pub rest: &'a str,
    /// Query parameters, percent-decoded, in order.
    pub query: &'a [(String, String)],
    /// Headers, names lower-case.
    pub headers: &'a [(String, String)],
    /// The raw body, exactly as received (signatures are over these bytes).
    pub body: &'a [u8],
}

/// An owned provider request to borrow a [`Request`] from: for tests, the fuzzer and tools
/// that replay stored notifications.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedRequest {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// What follows the provider in the path.
    pub rest: String,
    /// Query parameters, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl OwnedRequest {
    /// A `POST` with this body.
    pub fn post(body: impl AsRef<[u8]>) -> OwnedRequest {
        OwnedRequest {
            method: "POST",
            body: body.as_ref().to_vec(),
            ..OwnedRequest::default()
        }
    }

    /// A `GET` with this (form-encoded) query string.
    pub fn get(query: &[u8]) -> OwnedRequest {
        OwnedRequest {
            method: "GET",
            query: form_urlencoded::parse(query).into_owned().collect(),
            ..OwnedRequest::default()
        }
    }

    /// With `rest` after the provider in the path.
    pub fn rest(mut self, rest: &str) -> OwnedRequest {
        rest.clone_into(&mut self.rest);
        self
    }

    /// With one more query parameter.
    pub fn param(mut self, name: &str, value: &str) -> OwnedRequest {
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// With one more header (`name` lower-case).
    pub fn header(mut self, name: &str, value: &str) -> OwnedRequest {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The request, borrowed.
    pub fn as_request(&self) -> Request<'_> {
        Request {
            method: self.method,
            rest: &self.rest,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

impl Request<'_> {
    /// The first header with this lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query parameter with this name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One authentic notification, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The provider's idempotency key: the same for every re-delivery of this notification
    /// (Stripe event id, CloudPayments `TransactionId`+kind, T-Bank `PaymentId`+`Status`,
    /// YooKassa object id+event, Sber `mdOrder`+`operation`).
    pub key: String,
    /// The provider's own name for what happened (`payment.succeeded`, `Pay`, `CONFIRMED`,
    /// `deposited`), for the history.
    pub what: String,
    /// What to do with it.
    pub kind: NoticeKind,
}

/// What a notification asks of us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    /// A payment outcome to record and react to.
    Payment(ReportedPayment),
    /// CloudPayments `Check`: may this payment go ahead? (`outcome` is `Authorised`.)
    Check(ReportedPayment),
    /// Authentic, but nothing we act on (an intermediate status, another event type):
    /// acknowledged and remembered, so its re-deliveries are recognised.
    Ignored,
}

pub use orderpath_core::event::ReportedPayment;

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    /// Not from the provider: missing or wrong signature, token or checksum, or a stale
    /// timestamp (→ 401).
    #[error("{0}")]
    Unauthorized(String),
    /// Not readable in the provider's format (→ 400).
    #[error("{0}")]
    Malformed(String),
    /// Readable, but a field we need is missing or wrong (→ 422).
    #[error("{field}: {message}")]
    Invalid {
        /// The provider's field name.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

/// Checks and reads a notification from one of the providers with their own format.
/// `secret` is that provider's secret variable (never empty: the caller refuses the request
/// when it is not configured); `now` is unix seconds, for timestamp tolerances.
/// [`Provider::Generic`] is verified with Standard Webhooks by the caller and read with
/// [`generic::parse`].
pub fn read(
    provider: Provider,
    request: &Request<'_>,
    secret: &str,
    now: i64,
) -> Result<Notice, NoticeError> {
    match provider {
        Provider::YooKassa => yookassa::read(request, secret),
        Provider::CloudPayments => cloudpayments::read(request, secret),
        Provider::TBank => tbank::read(request, secret),
        Provider::Stripe => stripe::read(request, secret, now),
        Provider::Sber => sber::read(request, secret),
        Provider::Generic => Err(NoticeError::Malformed(
            "generic notifications are verified with Standard Webhooks first".to_owned(),
        )),
    }
}
