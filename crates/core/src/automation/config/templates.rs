//! `templates/<lang>/<name>.toml`: message templates per language.

use std::collections::BTreeMap;

use std::cell::OnceCell;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{parse_toml, ConfigFiles, Findings};
use crate::automation::sms::{sms_length, SmsEncoding};
use crate::automation::template::{RenderEnv, Template};
use crate::automation::time::TimeZone;
use crate::message::Language;

/// The top-level names a template may use.
pub const TEMPLATE_ROOTS: &[&str] = &["order", "customer", "shop", "event", "task"];

/// What a template is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateKind {
    /// An SMS: `text` only.
    Sms,
    /// An email: `subject`, `text`, optional `html`.
    Email,
    /// A chat reply (`chat_reply`): `text` only, plain, at most 4096 characters.
    Chat,
}

impl TemplateKind {
    /// `sms`, `email` or `chat`.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::Sms => "sms",
            TemplateKind::Email => "email",
            TemplateKind::Chat => "chat",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    kind: TemplateKind,
    #[serde(default)]
    #[allow(dead_code)]
    description: String,
    subject: Option<String>,
    text: String,
    html: Option<String>,
}

/// A parsed message template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTemplate {
    /// The file name without `.toml`.
    pub name: String,
    /// The directory it came from.
    pub language: Language,
    /// SMS or email.
    pub kind: TemplateKind,
    /// Email subject.
    pub subject: Option<Template>,
    /// Plain text (the SMS, or the email's text part).
    pub text: Template,
    /// Email HTML body; values are escaped when rendered.
    pub html: Option<Template>,
}

/// All templates, by language and name.
///
/// Read back from the compiled configuration, each template stays undecoded until a request
/// asks for it: a request renders one or two of the shop's fifty-odd templates.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    by_key: BTreeMap<(&'static str, String), Slot>,
}

/// A template, decoded or still as compiled.
#[derive(Debug, Clone)]
enum Slot {
    Ready(MessageTemplate),
    Compiled {
        /// The compiled configuration's body, shared by every template.
        body: Arc<str>,
        /// This template's byte range in it.
        at: [usize; 2],
        decoded: OnceCell<Option<MessageTemplate>>,
    },
}

impl Slot {
    /// The template; `None` when its compiled form does not decode (a damaged file).
    fn get(&self) -> Option<&MessageTemplate> {
        match self {
            Slot::Ready(template) => Some(template),
            Slot::Compiled { body, at, decoded } => decoded
                .get_or_init(|| {
                    body.get(at[0]..at[1])
                        .and_then(|json| serde_json::from_str::<MessageTemplate>(json).ok())
                        .filter(MessageTemplate::is_well_formed)
                })
                .as_ref(),
        }
    }
}

impl MessageTemplate {
    /// True when every part's pieces point inside its text.
    fn is_well_formed(&self) -> bool {
        self.text.is_well_formed()
            && self.subject.as_ref().is_none_or(Template::is_well_formed)
            && self.html.as_ref().is_none_or(Template::is_well_formed)
    }
}

impl PartialEq for Templates {
    fn eq(&self, other: &Templates) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Templates {}

impl Templates {
    /// The template in exactly this language.
    pub fn get(&self, name: &str, lang: Language) -> Option<&MessageTemplate> {
        self.by_key
            .get(&(lang.as_str(), name.to_owned()))
            .and_then(Slot::get)
    }

    /// The template in `preferred`, else in `fallback`.
    pub fn find(
        &self,
        name: &str,
        preferred: Language,
        fallback: Language,
    ) -> Option<&MessageTemplate> {
        self.get(name, preferred)
            .or_else(|| self.get(name, fallback))
    }

    /// True when any template exists in the language.
    pub fn has_language(&self, lang: Language) -> bool {
        self.by_key.keys().any(|(l, _)| *l == lang.as_str())
    }

    /// Number of template files.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// All templates (decoding every one that is still compiled; a damaged one is skipped).
    pub fn iter(&self) -> impl Iterator<Item = &MessageTemplate> {
        self.by_key.values().filter_map(Slot::get)
    }

    /// True when every template decodes and is well formed.
    pub fn all_decode(&self) -> bool {
        self.by_key.values().all(|slot| slot.get().is_some())
    }

    fn insert(&mut self, template: MessageTemplate) {
        self.by_key.insert(
            (template.language.as_str(), template.name.clone()),
            Slot::Ready(template),
        );
    }
}

/// Where one template's JSON lies in the body of the compiled configuration.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Entry {
    language: Language,
    name: String,
    /// Byte range in the body.
    at: [usize; 2],
}

impl Templates {
    /// Every template as JSON, one after another, and where each lies.
    pub(super) fn to_compiled(&self) -> (Vec<Entry>, String) {
        let mut body = String::new();
        let mut entries = Vec::with_capacity(self.len());
        for template in self.iter() {
            let start = body.len();
            body.push_str(&serde_json::to_string(template).unwrap_or_default());
            entries.push(Entry {
                language: template.language,
                name: template.name.clone(),
                at: [start, body.len()],
            });
        }
        (entries, body)
    }

    /// Templates left undecoded in `body` until asked for.
    pub(super) fn from_compiled(entries: Vec<Entry>, body: Arc<str>) -> Templates {
        Templates {
            by_key: entries
                .into_iter()
                .map(|entry| {
                    let slot = Slot::Compiled {
                        body: Arc::clone(&body),
                        at: entry.at,
                        decoded: OnceCell::new(),
                    };
                    ((entry.language.as_str(), entry.name), slot)
                })
                .collect(),
        }
    }
}

/// Loads `templates/<lang>.toml` bundles (one table per template), then the single-template
/// files `templates/<lang>/<name>.toml`, which override a bundle entry of the same name.
/// Bundles exist because every file is a few host calls for a component: the shipped
/// configuration reads 5 files per request instead of 51.
pub(super) fn load(files: &ConfigFiles, findings: &mut Findings) -> Templates {
    let mut templates = Templates::default();
    let paths: Vec<String> = files
        .paths()
        .filter(|p| p.starts_with("templates/"))
        .map(str::to_owned)
        .collect();
    let (bundles, singles): (Vec<&String>, Vec<&String>) =
        paths.iter().partition(|p| p.matches('/').count() == 1);
    for path in bundles {
        let file = files.display(path);
        let Some(lang) = path
            .strip_prefix("templates/")
            .and_then(|p| p.strip_suffix(".toml"))
        else {
            findings.warning(
                &file,
                None,
                "",
                "not a template bundle (expected templates/<lang>.toml), ignored".into(),
            );
            continue;
        };
        let Some(language) = language_of(lang, &file, findings) else {
            continue;
        };
        let Some(raw) = parse_toml::<BTreeMap<String, TemplateFile>>(files, path, findings) else {
            continue;
        };
        for (name, raw) in raw {
            add(
                &mut templates,
                &name,
                language,
                raw,
                &file,
                &format!("{name}."),
                findings,
            );
        }
    }
    for path in singles {
        let file = files.display(path);
        let parts: Vec<&str> = path.split('/').collect();
        let (lang, name) = match parts.as_slice() {
            ["templates", lang, name] if name.ends_with(".toml") => {
                (*lang, &name[..name.len() - 5])
            }
            _ => {
                findings.warning(
                    &file,
                    None,
                    "",
                    "not a template (expected templates/<lang>.toml or templates/<lang>/<name>.toml), ignored".into(),
                );
                continue;
            }
        };
        let Some(language) = language_of(lang, &file, findings) else {
            continue;
        };
        let Some(raw) = parse_toml::<TemplateFile>(files, path, findings) else {
            continue;
        };
        add(&mut templates, name, language, raw, &file, "", findings);
    }
    templates
}

fn language_of(lang: &str, file: &str, findings: &mut Findings) -> Option<Language> {
    let language = Language::parse(lang).filter(|l| l.as_str() == lang);
    if language.is_none() {
        findings.problem(
            file,
            None,
            "",
            format!("unknown language {lang:?} (ru or en)"),
        );
    }
    language
}

/// Checks one template and adds it; `prefix` names the bundle table in problems.
fn add(
    templates: &mut Templates,
    name: &str,
    language: Language,
    raw: TemplateFile,
    file: &str,
    prefix: &str,
    findings: &mut Findings,
) {
    let mut ok = true;
    let mut parse = |field: &str, src: &str| match Template::parse(src) {
        Ok(t) => Some(t),
        Err(e) => {
            findings.problem(
                file,
                None,
                &format!("{prefix}{field}"),
                format!("template syntax: {e}"),
            );
            ok = false;
            None
        }
    };
    let text = parse("text", &raw.text);
    let subject = raw.subject.as_deref().and_then(|s| parse("subject", s));
    let html = raw.html.as_deref().and_then(|s| parse("html", s));
    if raw.kind == TemplateKind::Email && raw.subject.is_none() {
        findings.problem(
            file,
            None,
            &format!("{prefix}subject"),
            "an email template needs a subject".into(),
        );
        ok = false;
    }
    if raw.kind != TemplateKind::Email && (raw.subject.is_some() || raw.html.is_some()) {
        findings.problem(
            file,
            None,
            prefix.trim_end_matches('.'),
            format!(
                "{} templates have only text (no subject or html)",
                raw.kind.as_str()
            ),
        );
        ok = false;
    }
    let (Some(text), true) = (text, ok) else {
        return;
    };
    let template = MessageTemplate {
        name: name.to_owned(),
        language,
        kind: raw.kind,
        subject,
        text,
        html,
    };
    if findings.wants_warnings {
        warn_about(&template, file, findings);
    }
    templates.insert(template);
}

fn warn_about(t: &MessageTemplate, file: &str, findings: &mut Findings) {
    for (field, part) in [
        ("subject", t.subject.as_ref()),
        ("text", Some(&t.text)),
        ("html", t.html.as_ref()),
    ] {
        let Some(part) = part else { continue };
        for root in part.roots() {
            if !TEMPLATE_ROOTS.contains(&root.as_str()) {
                findings.warning(
                    file,
                    None,
                    field,
                    format!("unknown value {root:?}: it always renders empty (known: order, customer, shop, event, task)"),
                );
            }
        }
    }
    if t.kind == TemplateKind::Sms {
        let tz = TimeZone::moscow();
        let env = RenderEnv {
            language: t.language,
            time_zone: &tz,
            html: false,
        };
        let sample = t.text.render(&sample_context(t.language), &env);
        let len = sms_length(sample.trim());
        if len.parts > 1 {
            let enc = match len.encoding {
                SmsEncoding::Gsm7 => "GSM-7",
                SmsEncoding::Ucs2 => "UCS-2",
            };
            findings.warning(
                file,
                None,
                "text",
                format!(
                    "sms template {} needs {} parts ({} units in {enc} with sample values; GSM-7: 160/153 chars, UCS-2 (Cyrillic): 70/67 chars per part)",
                    t.name, len.parts, len.units
                ),
            );
        }
    }
}

/// The fixed context SMS lengths are measured with: typical, not worst-case, values.
pub fn sample_context(lang: Language) -> Value {
    let pickup_hours = match lang {
        Language::Ru => "10:00–21:00",
        Language::En => "10:00-21:00",
    };
    let (name, address, hours, shop) = match lang {
        Language::Ru => ("Анна", "ул. Ленина, 5", "Пн–Пт 09:00–18:00", "Чайная лавка"),
        Language::En => ("Anna", "5 Lenin St", "Mon-Fri 09:00-18:00", "Tea Shop"),
    };
    json!({
        "order": {
            "id": "A-10001", "status": "new", "status_label": "Новый", "currency": "RUB",
            "total": 249_000, "callback_at": 1_795_500_000,
            "track_number": "10012345678", "tracking_url": "https://track.example/10012345678",
            "payment_link": "https://pay.example/A-10001", "cancel_reason": "no answer",
            "pickup_point": {"address": address, "phone": "+7 495 123-45-67", "hours": pickup_hours},
            "items": [{"name": "Tea", "qty": 1, "price": 249_000, "sum": 249_000}],
        },
        "customer": {"name": name, "phone": "+79123456789", "email": "anna@example.com"},
        "shop": {
            "name": shop, "phone": "+7 495 000-00-00", "email": "shop@example.com",
            "url": "https://shop.example", "hours": hours,
            "thresholds": {"pickup_reminder_days": 3, "pickup_days_left": 4, "thinking_discount_percent": 5,
                "thinking_discount_days": 3, "invoice_check_days": 2},
        },
        "event": {"type": "order.status_changed"},
    })
}
