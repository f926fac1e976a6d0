//! Email APIs in their real protocols: Postmark, SendGrid, Mailgun and Unisender.
//!
//! [`EmailProvider::request`] builds the HTTP request for one [`Email`] and
//! [`EmailProvider::outcome`] reads the provider's answer. Every provider is read by the same
//! policy:
//! - the provider's own success signal → `Sent`, with its message id;
//! - 429, 408 and 5xx (and Unisender's "try later" codes) → `Retryable`, with `Retry-After`
//!   when the provider sent it;
//! - other 4xx and documented refusals → `Permanent`;
//! - a 2xx answer that does not read as the promised success (not JSON, no id) → `Permanent`:
//!   the provider may have taken the message, so a retry could send it twice; failing it raises
//!   an operator task that carries the answer.
//!
//! An email may carry extra header fields ([`headers`]: `List-Unsubscribe` and
//! `List-Unsubscribe-Post`), each provider in its own way: Postmark `Headers: [{Name, Value}]`,
//! SendGrid a top-level `headers` object, Mailgun `h:<Name>` form fields. Unisender's
//! `sendEmail` takes only `Reply-To` and `Priority` in its `headers` argument, so it cannot
//! carry them ([`EmailProvider::carries_headers`]).
//!
//! Facts: /work/shared/reference/providers.md §4.4 (Unisender), §4.5 (SendGrid),
//! §4.6 (Postmark), §4.7 (Mailgun).

pub mod headers;
mod mailgun;
mod multipart;
mod postmark;
mod sendgrid;
mod unisender;

use std::fmt;

use super::{Mailbox, Outcome, Request, Response};

/// One email to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Email<'a> {
    /// The sender.
    pub from: &'a Mailbox,
    /// The recipient.
    pub to: &'a Mailbox,
    /// Subject line.
    pub subject: &'a str,
    /// Plain-text body.
    pub text: &'a str,
    /// HTML body, when the message has one.
    pub html: Option<&'a str>,
    /// Extra header fields, `(name, value)`, already passed through
    /// [`headers::checked_headers`]; usually none.
    pub headers: &'a [(String, String)],
}

/// The email API that carries customer email, with its credentials. `Debug` hides the
/// credentials.
#[derive(Clone, PartialEq, Eq)]
pub enum EmailProvider {
    /// Postmark: `POST {base_url}/email`, JSON, `X-Postmark-Server-Token`.
    Postmark {
        /// `scheme://host[:port]`, e.g. `https://api.postmarkapp.com`.
        base_url: String,
        /// Server token.
        token: String,
    },
    /// SendGrid v3: `POST {base_url}/v3/mail/send`, JSON, Bearer API key.
    SendGrid {
        /// `scheme://host[:port]`, e.g. `https://api.sendgrid.com` (EU: `api.eu.sendgrid.com`).
        base_url: String,
        /// API key.
        api_key: String,
    },
    /// Mailgun: `POST {base_url}/v3/{domain}/messages`, multipart form, Basic `api:<key>`.
    Mailgun {
        /// `https://api.mailgun.net`, or `https://api.eu.mailgun.net` for EU domains.
        base_url: String,
        /// The sending domain.
        domain: String,
        /// API key.
        api_key: String,
    },
    /// Unisender classic API `sendEmail`: `POST {base_url}/ru/api/sendEmail?format=json`, form.
    Unisender {
        /// `https://api.unisender.com`.
        base_url: String,
        /// API key.
        api_key: String,
        /// The list the recipients belong to (`list_id`, required by `sendEmail`).
        list_id: String,
    },
}

impl fmt::Debug for EmailProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const REDACTED: &str = "[redacted]";
        match self {
            EmailProvider::Postmark { base_url, .. } => f
                .debug_struct("Postmark")
                .field("base_url", base_url)
                .field("token", &REDACTED)
                .finish(),
            EmailProvider::SendGrid { base_url, .. } => f
                .debug_struct("SendGrid")
                .field("base_url", base_url)
                .field("api_key", &REDACTED)
                .finish(),
            EmailProvider::Mailgun {
                base_url, domain, ..
            } => f
                .debug_struct("Mailgun")
                .field("base_url", base_url)
                .field("domain", domain)
                .field("api_key", &REDACTED)
                .finish(),
            EmailProvider::Unisender {
                base_url, list_id, ..
            } => f
                .debug_struct("Unisender")
                .field("base_url", base_url)
                .field("api_key", &REDACTED)
                .field("list_id", list_id)
                .finish(),
        }
    }
}

impl EmailProvider {
    /// The provider's name as recorded with each attempt: `postmark`, `sendgrid`, `mailgun`
    /// or `unisender`.
    pub fn name(&self) -> &'static str {
        match self {
            EmailProvider::Postmark { .. } => "postmark",
            EmailProvider::SendGrid { .. } => "sendgrid",
            EmailProvider::Mailgun { .. } => "mailgun",
            EmailProvider::Unisender { .. } => "unisender",
        }
    }

    /// Whether the provider's API can carry an email's extra header fields. Unisender's
    /// `sendEmail` cannot (its `headers` argument takes only `Reply-To` and `Priority`): its
    /// request leaves them out, and the message goes without them.
    pub fn carries_headers(&self) -> bool {
        !matches!(self, EmailProvider::Unisender { .. })
    }

    /// The HTTP request that sends `email`. The request carries the credentials (in headers
    /// or, for Unisender, in the body): do not log it.
    pub fn request(&self, email: &Email<'_>) -> Request {
        match self {
            EmailProvider::Postmark { base_url, token } => {
                postmark::request(base_url, token, email)
            }
            EmailProvider::SendGrid { base_url, api_key } => {
                sendgrid::request(base_url, api_key, email)
            }
            EmailProvider::Mailgun {
                base_url,
                domain,
                api_key,
            } => mailgun::request(base_url, domain, api_key, email),
            EmailProvider::Unisender {
                base_url,
                api_key,
                list_id,
            } => unisender::request(base_url, api_key, list_id, email),
        }
    }

    /// How the attempt ended, read from the provider's answer.
    pub fn outcome(&self, response: &Response) -> Outcome {
        match self {
            EmailProvider::Postmark { .. } => postmark::outcome(response),
            EmailProvider::SendGrid { .. } => sendgrid::outcome(response),
            EmailProvider::Mailgun { .. } => mailgun::outcome(response),
            EmailProvider::Unisender { .. } => unisender::outcome(response),
        }
    }
}

/// `base_url` + `path`; a trailing slash on the base is tolerated.
fn url(base_url: &str, path: &str) -> String {
    format!("{}{path}", base_url.trim_end_matches('/'))
}

/// The display name, when there is a non-empty one.
fn display_name(mailbox: &Mailbox) -> Option<&str> {
    mailbox.name.as_deref().filter(|name| !name.is_empty())
}

/// What the provider said, or else the start of its raw answer, for an error text.
fn reason(said: Option<String>, response: &Response) -> String {
    match said {
        Some(said) if !said.trim().is_empty() => said,
        _ => response.excerpt(),
    }
}

/// A provider's answer, for the providers' tests.
#[cfg(test)]
fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

/// One-click unsubscribe header fields, for the providers' tests.
#[cfg(test)]
fn unsubscribe_headers() -> Vec<(String, String)> {
    vec![
        (
            headers::LIST_UNSUBSCRIBE.to_owned(),
            "<https://tea.example/unsubscribe/t0k3n>, <mailto:stop@tea.example>".to_owned(),
        ),
        (
            headers::LIST_UNSUBSCRIBE_POST.to_owned(),
            headers::ONE_CLICK.to_owned(),
        ),
    ]
}

/// The shop and a customer with a Cyrillic name, for the providers' tests.
#[cfg(test)]
fn shop_and_customer() -> (Mailbox, Mailbox) {
    (
        Mailbox {
            name: Some("Tea Shop".into()),
            address: "orders@tea.example".into(),
        },
        Mailbox {
            name: Some("Анна".into()),
            address: "anna@example.com".into(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn providers() -> Vec<EmailProvider> {
        vec![
            EmailProvider::Postmark {
                base_url: "https://api.postmarkapp.com".into(),
                token: "pm-secret".into(),
            },
            EmailProvider::SendGrid {
                base_url: "https://api.sendgrid.com".into(),
                api_key: "sg-secret".into(),
            },
            EmailProvider::Mailgun {
                base_url: "https://api.mailgun.net".into(),
                domain: "mg.shop.example".into(),
                api_key: "mg-secret".into(),
            },
            EmailProvider::Unisender {
                base_url: "https://api.unisender.com".into(),
                api_key: "us-secret".into(),
                list_id: "42".into(),
            },
        ]
    }

    #[test]
    fn providers_are_named_as_recorded() {
        let names: Vec<_> = providers().iter().map(EmailProvider::name).collect();
        assert_eq!(names, ["postmark", "sendgrid", "mailgun", "unisender"]);
    }

    #[test]
    fn debug_output_hides_credentials() {
        for provider in providers() {
            let debug = format!("{provider:?}");
            assert!(!debug.contains("secret"), "{debug}");
            assert!(debug.contains("[redacted]"), "{debug}");
        }
    }

    #[test]
    fn each_provider_posts_to_its_endpoint() {
        let from = Mailbox {
            name: Some("Shop".into()),
            address: "shop@shop.example".into(),
        };
        let to = Mailbox {
            name: None,
            address: "anna@example.com".into(),
        };
        let email = Email {
            from: &from,
            to: &to,
            subject: "s",
            text: "t",
            html: None,
            headers: &[],
        };
        let urls: Vec<_> = providers()
            .iter()
            .map(|provider| provider.request(&email))
            .inspect(|request| assert_eq!(request.method, "POST"))
            .map(|request| request.url)
            .collect();
        assert_eq!(
            urls,
            [
                "https://api.postmarkapp.com/email",
                "https://api.sendgrid.com/v3/mail/send",
                "https://api.mailgun.net/v3/mg.shop.example/messages",
                "https://api.unisender.com/ru/api/sendEmail?format=json",
            ]
        );
    }

    #[test]
    fn all_but_unisender_carry_headers() {
        let carrying: Vec<_> = providers()
            .iter()
            .filter(|provider| provider.carries_headers())
            .map(EmailProvider::name)
            .collect();
        assert_eq!(carrying, ["postmark", "sendgrid", "mailgun"]);
    }

    #[test]
    fn each_provider_reads_its_own_answers() {
        let rate_limited = Response {
            status: 429,
            headers: vec![("Retry-After".into(), "7".into())],
            body: Vec::new(),
        };
        for provider in providers() {
            assert!(
                matches!(
                    provider.outcome(&rate_limited),
                    Outcome::Retryable {
                        status: Some(429),
                        retry_after: Some(7),
                        ..
                    }
                ),
                "{}",
                provider.name()
            );
        }
    }

    #[test]
    fn a_trailing_slash_on_the_base_url_is_tolerated() {
        assert_eq!(
            url("https://api.example/", "/email"),
            "https://api.example/email"
        );
        assert_eq!(
            url("https://api.example", "/email"),
            "https://api.example/email"
        );
    }

    #[test]
    fn error_texts_fall_back_to_the_raw_answer() {
        let response = |body: &str| Response {
            status: 502,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(reason(Some("said".into()), &response("x")), "said");
        assert_eq!(reason(Some(" ".into()), &response("<html>")), "\"<html>\"");
        assert_eq!(reason(None, &response("")), "empty body");
    }
}
