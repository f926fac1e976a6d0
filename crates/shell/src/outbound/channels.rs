//! The providers that carry each channel — email, SMS, Telegram, and `webhook` for the
//! shop's own CRM or ERP — chosen and configured by Spin variables, and one call to send a
//! stored message through them.
//!
//! The protocols live in `orderpath_wire::providers`; here the variables become provider
//! settings (credentials stay [`Secret`]s until the request is built) and the HTTP call is
//! made. Each channel is configured on its own: a missing SMS key leaves SMS waiting in the
//! outbox with the reason, and email still goes out.

use std::cell::OnceCell;
use std::time::Duration;

use orderpath_wire::providers::email::{Email, EmailProvider};
use orderpath_wire::providers::sms::{Sms, SmsProvider};
use orderpath_wire::providers::telegram::TelegramBot;
use orderpath_wire::providers::webhook::{webhook_id, WebhookEndpoint};
use orderpath_wire::providers::{Mailbox, Outcome, Request, Response};

use crate::config::{self, ConfigError, Secret};
use crate::outbound::{self, HttpError, HttpRequest};

/// A message as stored in the outbox.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    /// The outbox row id (SMSC takes it as the client's message id).
    pub id: i64,
    /// `email`, `sms`, `telegram` or `webhook`.
    pub channel: String,
    /// The outbox row's dedupe key (a webhook's `webhook-id` is made from it).
    pub dedupe_key: String,
    /// Address, E.164 phone, chat id, or endpoint name (`crm`, `erp`).
    pub recipient: String,
    /// The recipient's name (email).
    pub recipient_name: Option<String>,
    /// Subject (email).
    pub subject: String,
    /// Plain text.
    pub text: String,
    /// HTML part (email).
    pub html: Option<String>,
    /// Extra header fields (email) as stored: a JSON array of `[name, value]` pairs, or
    /// `None`.
    pub headers: Option<String>,
}

/// The configured providers. Each channel's variables are read when a message first needs
/// them (every variable is a host call), then kept for the rest of the request.
#[derive(Default)]
pub struct Channels {
    email: OnceCell<Result<EmailSettings, ConfigError>>,
    sms: OnceCell<Result<SmsSettings, ConfigError>>,
    telegram: OnceCell<Result<TelegramSettings, ConfigError>>,
    crm: OnceCell<Result<WebhookEndpoint, ConfigError>>,
    erp: OnceCell<Result<WebhookEndpoint, ConfigError>>,
    timeout: OnceCell<Result<Duration, ConfigError>>,
}

struct EmailSettings {
    provider: &'static str,
    url: String,
    key: Secret,
    /// Mailgun's domain or Unisender's list id.
    extra: String,
    from: Mailbox,
}

struct SmsSettings {
    provider: &'static str,
    url: String,
    user: String,
    key: Secret,
    sender: Option<String>,
    /// Twilio's messaging service, used instead of a sender number when set.
    service: Option<String>,
}

struct TelegramSettings {
    url: String,
    token: Secret,
}

impl Channels {
    /// Nothing read yet.
    pub fn load() -> Channels {
        Channels::default()
    }

    /// How long a sender holds a message it starts sending (see [`send_lease_secs`]); the
    /// longest lease when `provider_timeout_ms` is unusable (the send then fails at once).
    pub fn lease_secs(&self) -> i64 {
        match self.timeout.get_or_init(provider_timeout) {
            Ok(timeout) => send_lease_secs(*timeout),
            Err(_) => send_lease_secs(MAX_PROVIDER_TIMEOUT),
        }
    }

    /// Sends one message; returns the provider's name (or `none`) and the outcome. A channel
    /// that is not configured is a retryable outcome naming the variable, so its messages
    /// wait in the outbox until it is set (and, after the last attempt, become a task).
    pub fn send(&self, message: &StoredMessage) -> (&'static str, Outcome) {
        let timeout = match self.timeout.get_or_init(provider_timeout) {
            Ok(timeout) => *timeout,
            Err(error) => return ("none", Outcome::retryable(None, error.to_string())),
        };
        let prepared = match message.channel.as_str() {
            "email" => {
                let headers = match sendable_headers(message.headers.as_deref()) {
                    Ok(headers) => headers,
                    Err(error) => return ("none", Outcome::permanent(None, error)),
                };
                self.email.get_or_init(email_settings).as_ref().map(|s| {
                    let provider = s.core();
                    let to = Mailbox {
                        name: message.recipient_name.clone(),
                        address: message.recipient.clone(),
                    };
                    let email = Email {
                        from: &s.from,
                        to: &to,
                        subject: &message.subject,
                        text: &message.text,
                        html: message.html.as_deref(),
                        headers: &headers,
                    };
                    let request = provider.request(&email);
                    (s.provider, request, Classifier::Email(provider))
                })
            }
            "sms" => self.sms.get_or_init(sms_settings).as_ref().map(|s| {
                let provider = s.core();
                let sms = Sms {
                    to: &message.recipient,
                    text: &message.text,
                };
                let request = provider.request(&sms, message.id);
                (s.provider, request, Classifier::Sms(provider))
            }),
            "telegram" => self
                .telegram
                .get_or_init(telegram_settings)
                .as_ref()
                .map(|s| {
                    let bot = TelegramBot {
                        base_url: s.url.clone(),
                        token: s.token.expose().to_owned(),
                    };
                    let request = bot.request(&message.recipient, &message.text);
                    ("telegram", request, Classifier::Telegram(bot))
                }),
            "webhook" => {
                let endpoint = match message.recipient.as_str() {
                    "crm" => self.crm.get_or_init(|| webhook_settings(CRM)),
                    "erp" => self.erp.get_or_init(|| webhook_settings(ERP)),
                    other => {
                        let error = format!("unknown endpoint {other:?}");
                        return ("webhook", Outcome::permanent(None, error));
                    }
                };
                endpoint.as_ref().map(|endpoint| {
                    let id = webhook_id(&message.dedupe_key);
                    let now = crate::clock::Timestamp::now().unix();
                    let request = endpoint.request(&id, now, &message.text);
                    ("webhook", request, Classifier::Webhook(id))
                })
            }
            other => {
                return (
                    "none",
                    Outcome::permanent(None, format!("unknown channel {other:?}")),
                )
            }
        };
        let (provider, request, classifier) = match prepared {
            Ok(prepared) => prepared,
            Err(error) => return ("none", Outcome::retryable(None, error.to_string())),
        };
        let outcome = match call(request, timeout) {
            Ok(response) => match &classifier {
                Classifier::Email(p) => p.outcome(&response),
                Classifier::Sms(p) => p.outcome(
                    &Sms {
                        to: &message.recipient,
                        text: &message.text,
                    },
                    &response,
                ),
                Classifier::Telegram(bot) => bot.outcome(&response),
                Classifier::Webhook(id) => WebhookEndpoint::outcome(id, &response),
            },
            Err(HttpError::Denied) => {
                Outcome::permanent(None, "the provider's host is not in allowed_outbound_hosts")
            }
            Err(HttpError::InvalidUrl(reason)) => Outcome::permanent(
                None,
                format!("the provider's url cannot be used ({reason}): check its *_url variable"),
            ),
            Err(error) => Outcome::retryable(None, error.to_string()),
        };
        (provider, outcome)
    }
}

/// An email's stored header fields, checked again before they are sent: the outbox stores
/// only checked ones, so this refuses only a hand-edited row, and the message fails (with an
/// operator task) rather than going out with a broken header. The error names no value.
fn sendable_headers(stored: Option<&str>) -> Result<Vec<(String, String)>, String> {
    let Some(stored) = stored else {
        return Ok(Vec::new());
    };
    let pairs: Vec<(String, String)> = serde_json::from_str(stored)
        .map_err(|_| "the stored header fields are not a JSON array of [name, value]".to_owned())?;
    orderpath_wire::providers::email::headers::checked_headers(&pairs)
        .map_err(|error| format!("the stored header fields cannot be sent: {error}"))
}

/// Reads the provider's answer for the request that was built.
enum Classifier {
    Email(EmailProvider),
    Sms(SmsProvider),
    Telegram(TelegramBot),
    /// The delivery's `webhook-id`.
    Webhook(String),
}

impl EmailSettings {
    fn core(&self) -> EmailProvider {
        let (base_url, key) = (self.url.clone(), self.key.expose().to_owned());
        match self.provider {
            "postmark" => EmailProvider::Postmark {
                base_url,
                token: key,
            },
            "sendgrid" => EmailProvider::SendGrid {
                base_url,
                api_key: key,
            },
            "mailgun" => EmailProvider::Mailgun {
                base_url,
                domain: self.extra.clone(),
                api_key: key,
            },
            _ => EmailProvider::Unisender {
                base_url,
                api_key: key,
                list_id: self.extra.clone(),
            },
        }
    }
}

impl SmsSettings {
    fn core(&self) -> SmsProvider {
        let (base_url, key) = (self.url.clone(), self.key.expose().to_owned());
        match self.provider {
            "smsru" => SmsProvider::SmsRu {
                base_url,
                api_id: key,
                from: self.sender.clone(),
            },
            "smsc" => SmsProvider::Smsc {
                base_url,
                login: self.user.clone(),
                password: key,
                sender: self.sender.clone(),
            },
            _ => SmsProvider::Twilio {
                base_url,
                account_sid: self.user.clone(),
                auth_token: key,
                from: self.sender.clone(),
                messaging_service_sid: self.service.clone(),
            },
        }
    }
}

fn call(request: Request, timeout: Duration) -> Result<Response, HttpError> {
    let response = outbound::send(&HttpRequest {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body,
        timeout,
    })?;
    Ok(Response {
        status: response.status,
        headers: response.headers,
        body: response.body,
    })
}

fn email_settings() -> Result<EmailSettings, ConfigError> {
    let (provider, url, key, extra): (&'static str, _, _, _) =
        match config::var("email_provider")?.trim() {
            "postmark" => ("postmark", "postmark_url", "postmark_token", None),
            "sendgrid" => ("sendgrid", "sendgrid_url", "sendgrid_api_key", None),
            "mailgun" => (
                "mailgun",
                "mailgun_url",
                "mailgun_api_key",
                Some("mailgun_domain"),
            ),
            "unisender" => (
                "unisender",
                "unisender_url",
                "unisender_api_key",
                Some("unisender_list_id"),
            ),
            _ => {
                return Err(ConfigError::Invalid {
                    name: "email_provider",
                    reason: "must be postmark, sendgrid, mailgun or unisender".into(),
                })
            }
        };
    let from = config::Mailbox::parse(&config::var("email_from")?).ok_or_else(|| {
        ConfigError::Invalid {
            name: "email_from",
            reason: "must be an address or Name <address>".into(),
        }
    })?;
    Ok(EmailSettings {
        provider,
        url: config::base_url(url)?,
        key: config::non_empty_secret(key)?,
        extra: extra.map(required).transpose()?.unwrap_or_default(),
        from: Mailbox {
            name: from.name,
            address: from.address,
        },
    })
}

fn sms_settings() -> Result<SmsSettings, ConfigError> {
    let sender = optional("sms_sender")?;
    match config::var("sms_provider")?.trim() {
        "smsru" => Ok(SmsSettings {
            provider: "smsru",
            url: config::base_url("smsru_url")?,
            user: String::new(),
            key: config::non_empty_secret("smsru_api_id")?,
            sender,
            service: None,
        }),
        "smsc" => Ok(SmsSettings {
            provider: "smsc",
            url: config::base_url("smsc_url")?,
            user: config::var("smsc_login")?.trim().to_owned(),
            key: config::non_empty_secret("smsc_password")?,
            sender,
            service: None,
        }),
        "twilio" => {
            let service = optional("twilio_messaging_service_sid")?;
            if sender.is_none() && service.is_none() {
                return Err(ConfigError::Invalid {
                    name: "sms_sender",
                    reason: "Twilio needs a sender number (sms_sender) or \
                             twilio_messaging_service_sid"
                        .into(),
                });
            }
            Ok(SmsSettings {
                provider: "twilio",
                url: config::base_url("twilio_url")?,
                user: required("twilio_account_sid")?,
                key: config::non_empty_secret("twilio_auth_token")?,
                sender,
                service,
            })
        }
        "" => Err(ConfigError::Invalid {
            name: "sms_provider",
            reason: "no SMS provider is configured (smsru, smsc or twilio)".into(),
        }),
        _ => Err(ConfigError::Invalid {
            name: "sms_provider",
            reason: "must be smsru, smsc or twilio".into(),
        }),
    }
}

fn telegram_settings() -> Result<TelegramSettings, ConfigError> {
    Ok(TelegramSettings {
        url: config::base_url("telegram_url")?,
        token: config::non_empty_secret("telegram_bot_token")?,
    })
}

/// The variables of one `http_request` endpoint.
struct EndpointVariables {
    url: &'static str,
    path: &'static str,
    secret: &'static str,
}

const CRM: EndpointVariables = EndpointVariables {
    url: "crm_webhook_url",
    path: "crm_webhook_path",
    secret: "crm_webhook_secret",
};

const ERP: EndpointVariables = EndpointVariables {
    url: "erp_webhook_url",
    path: "erp_webhook_path",
    secret: "erp_webhook_secret",
};

/// An endpoint without its URL or secret is not configured: its events wait in the outbox
/// with an error naming the variable.
fn webhook_settings(vars: EndpointVariables) -> Result<WebhookEndpoint, ConfigError> {
    let Some(base) = config::optional_base_url(vars.url)? else {
        return Err(ConfigError::Invalid {
            name: vars.url,
            reason: "is not set: the endpoint is not configured".into(),
        });
    };
    let path = config::var(vars.path)?;
    let path = match path.trim() {
        "" => "/",
        path if path.starts_with('/') => path,
        _ => {
            return Err(ConfigError::Invalid {
                name: vars.path,
                reason: "must start with /".into(),
            })
        }
    };
    let secret = config::webhook_secret(vars.secret)?;
    Ok(WebhookEndpoint {
        url: format!("{base}{path}"),
        key: secret.expose().to_vec(),
    })
}

/// The longest `provider_timeout_ms`.
const MAX_PROVIDER_TIMEOUT: Duration = Duration::from_secs(60);

/// Seconds a sender holds a message from the moment it starts sending it:
/// `4 × provider_timeout + 60 s`, rounded up to whole seconds. One provider call is bounded
/// by `provider_timeout` per phase — connecting, the first byte of the answer, each pause
/// between bytes — so three phases plus one more for a slow body and writing the request,
/// and a minute for the database writes around the call and a busy host. From 62 s (100 ms)
/// to 300 s (60 s). A call that still outlives its lease can be sent twice (another sender
/// takes the message over); its late outcome never overwrites the new sender's (see `outbox`).
pub fn send_lease_secs(timeout: Duration) -> i64 {
    let per_phase = i64::try_from(timeout.as_millis().div_ceil(1000)).unwrap_or(60);
    4 * per_phase + 60
}

/// How long a provider may take (`provider_timeout_ms`, 100–60000).
pub fn provider_timeout() -> Result<Duration, ConfigError> {
    config::var("provider_timeout_ms")?
        .trim()
        .parse()
        .ok()
        .filter(|ms| (100..=60_000).contains(ms))
        .map(Duration::from_millis)
        .ok_or_else(|| ConfigError::Invalid {
            name: "provider_timeout_ms",
            reason: "must be a whole number of milliseconds from 100 to 60000".into(),
        })
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    optional(name)?.ok_or(ConfigError::Invalid {
        name,
        reason: "is empty but the selected provider needs it".into(),
    })
}

fn optional(name: &'static str) -> Result<Option<String>, ConfigError> {
    let value = config::var(name)?;
    let value = value.trim();
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_header_fields_are_read_back() {
        assert_eq!(sendable_headers(None), Ok(Vec::new()));
        assert_eq!(
            sendable_headers(Some(
                r#"[["List-Unsubscribe","<https://tea.example/u/1>"],["List-Unsubscribe-Post","List-Unsubscribe=One-Click"]]"#
            )),
            Ok(vec![
                (
                    "List-Unsubscribe".to_owned(),
                    "<https://tea.example/u/1>".to_owned()
                ),
                (
                    "List-Unsubscribe-Post".to_owned(),
                    "List-Unsubscribe=One-Click".to_owned()
                ),
            ])
        );
    }

    #[test]
    fn a_hand_edited_row_is_refused_without_repeating_its_value() {
        for stored in [
            "not json",
            r#"{"List-Unsubscribe":"<https://tea.example/u>"}"#,
            r#"[["Bcc","all@example.com"]]"#,
            r#"[["List-Unsubscribe","<https://tea.example/SECRET>\r\nBcc: x@example.com"]]"#,
        ] {
            let error = sendable_headers(Some(stored)).expect_err(stored);
            assert!(!error.contains("SECRET"), "{error}");
        }
    }
}
