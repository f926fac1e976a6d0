//! `shop.toml`: language, time zone, working and quiet hours, thresholds, staff and roles.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assignment::{self, parse_hours, Assignment};
use super::{parse_toml, ConfigFiles, Findings};
use crate::automation::time::{QuietHours, TimeOfDay, TimeZone, WorkingHours};
use crate::message::{Language, ShopInfo};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShopFile {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    url: Option<String>,
    hours: Option<String>,
    #[serde(default = "ru")]
    language: String,
    #[serde(default = "moscow")]
    time_zone: String,
    #[serde(default)]
    working_hours: BTreeMap<String, String>,
    quiet_hours: Option<QuietFile>,
    #[serde(default)]
    thresholds: BTreeMap<String, i64>,
    #[serde(default)]
    staff: Vec<StaffMember>,
    #[serde(default)]
    roles: BTreeMap<String, Role>,
    #[serde(default)]
    contacts: ShopContacts,
    #[serde(default)]
    platforms: BTreeMap<String, PlatformSettings>,
    #[serde(default)]
    promo_codes: BTreeMap<String, PromoPool>,
    #[serde(default)]
    repeat_cycles: BTreeMap<String, i64>,
    #[serde(default)]
    assignment: Assignment,
    #[serde(default)]
    bonuses: Option<super::bonuses::BonusesFile>,
}

fn ru() -> String {
    "ru".to_owned()
}

fn moscow() -> String {
    "Europe/Moscow".to_owned()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QuietFile {
    start: String,
    end: String,
}

/// A staff member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// The id used in orders (`manager`) and `staff:<id>`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role ids.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Email for notes.
    pub email: Option<String>,
    /// Telegram chat for notes (write it as a string).
    pub telegram_chat_id: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// V1: the most open orders automatic assignment gives them; no limit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// V1: when they started (`YYYY-MM-DD`); the earliest is the most experienced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// V1: their own hours (`mon = "09:00-18:00"`, a missing day is off); the shop's
    /// `[working_hours]` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_hours: Option<BTreeMap<String, String>>,
}

/// A role (`[roles.<id>]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Display name.
    pub name: String,
    /// Whoever has this role sees and acts on everything in the desk (everyone's tasks and
    /// orders, the analytics).
    #[serde(default)]
    pub supervisor: bool,
    /// Statuses whoever has this role may move any order to, whoever manages it (a picker
    /// marks orders assembled). Other moves and flags stay with the order's manager.
    #[serde(default)]
    pub moves_to: Vec<String>,
}

/// A shop platform's settings (`[platforms.<name>]`: `shopify`, `woocommerce`, `tilda`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSettings {
    /// The platform's order state (Shopify: `cancelled`, `fulfilled`, …; WooCommerce: its
    /// `status`; `deleted`) → the shop's status code it moves the order to. A state without a
    /// row moves nothing.
    #[serde(default)]
    pub statuses: BTreeMap<String, String>,
}

/// A pool of promo codes (`[promo_codes.<pool>]`): a list the shop made in its shop system,
/// or a pattern whose `#` are filled with random letters and digits. Each code is issued once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromoPool {
    /// Codes to hand out, each to one customer, in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub codes: Vec<String>,
    /// Or a pattern such as `WELCOME-######` (at least six `#`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// How many days an issued code is valid; for ever when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_days: Option<i64>,
    /// Each customer gets one code from this pool, ever (a welcome code); `false` issues one
    /// per trigger run (an abandoned-cart discount each time one is due).
    #[serde(default = "yes")]
    pub once_per_customer: bool,
    /// What the code gives, for messages (`{{ event.data.percent }}`), in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<i64>,
}

fn yes() -> bool {
    true
}

/// How many `#` a promo-code pattern needs (32^6 ≈ 1.07 billion codes).
pub const PROMO_PATTERN_MIN_RANDOM: usize = 6;

/// The platform names `[platforms.<name>]` may use.
pub const PLATFORM_NAMES: [&str; 3] = ["shopify", "woocommerce", "tilda"];

/// Outside addresses (`[contacts]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopContacts {
    /// Where `to = "supplier"` goes when the event names no supplier.
    pub supplier_email: Option<String>,
    /// Where `to = "carrier"` goes.
    pub carrier_email: Option<String>,
}

/// The shop's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shop {
    /// Name, contacts and working hours text for messages.
    pub info: ShopInfo,
    /// Default language of messages.
    pub language: Language,
    /// The shop's zone: working hours, `date` filter, default zone of customers.
    pub time_zone: TimeZone,
    /// Opening hours.
    pub working_hours: WorkingHours,
    /// No customer SMS in this window.
    pub quiet_hours: QuietHours,
    /// Named integers for conditions and durations.
    pub thresholds: BTreeMap<String, i64>,
    /// Staff members.
    pub staff: Vec<StaffMember>,
    /// Roles by id.
    pub roles: BTreeMap<String, Role>,
    /// Supplier and carrier addresses.
    pub contacts: ShopContacts,
    /// Shop platforms' settings by platform name.
    #[serde(default)]
    pub platforms: BTreeMap<String, PlatformSettings>,
    /// Promo-code pools by name.
    #[serde(default)]
    pub promo_codes: BTreeMap<String, PromoPool>,
    /// M8: days between purchases, by article (`"<sku>"`) or category (`"category:<name>"`).
    #[serde(default)]
    pub repeat_cycles: BTreeMap<String, i64>,
    /// V1: the rules that choose a new order's manager.
    #[serde(default)]
    pub assignment: Assignment,
    /// Bonus rules (`[bonuses]`), S2–S5.
    #[serde(default)]
    pub bonuses: crate::bonus::Bonuses,
}

impl Shop {
    /// A staff member by id.
    pub fn staff_member(&self, id: &str) -> Option<&StaffMember> {
        self.staff.iter().find(|s| s.id == id)
    }

    /// Whether any of these roles is a supervisor's.
    pub fn supervises(&self, roles: &[String]) -> bool {
        roles
            .iter()
            .any(|r| self.roles.get(r).is_some_and(|role| role.supervisor))
    }

    /// The platform's state → status map (empty when `shop.toml` has none).
    pub fn platform_statuses(&self, platform: &str) -> BTreeMap<String, String> {
        self.platforms
            .get(platform)
            .map(|p| p.statuses.clone())
            .unwrap_or_default()
    }

    /// V1: the hours a staff member works: their own `[staff.working_hours]`, else the
    /// shop's.
    pub fn staff_hours(&self, member: &StaffMember) -> WorkingHours {
        member
            .working_hours
            .as_ref()
            .map_or(self.working_hours, |days| parse_hours(days).0)
    }

    /// Everyone with a role.
    pub fn with_role(&self, role: &str) -> Vec<&StaffMember> {
        self.staff
            .iter()
            .filter(|s| s.roles.iter().any(|r| r == role))
            .collect()
    }
}

pub(super) fn load(files: &ConfigFiles, findings: &mut Findings) -> Option<Shop> {
    let file = files.display("shop.toml");
    if files.get("shop.toml").is_none() {
        findings.problem(&file, None, "", "missing file".into());
        return None;
    }
    let raw: ShopFile = parse_toml(files, "shop.toml", findings)?;
    let before = findings.problems.len();
    let mut problem = |field: &str, message: String| findings.problem(&file, None, field, message);

    let language = Language::parse(&raw.language).unwrap_or_else(|| {
        problem(
            "language",
            format!("{:?} is not a language (ru or en)", raw.language),
        );
        Language::Ru
    });
    let time_zone = TimeZone::parse(&raw.time_zone).unwrap_or_else(|e| {
        problem("time_zone", e.to_string());
        TimeZone::moscow()
    });
    let (working_hours, bad_days) = parse_hours(&raw.working_hours);
    for (day, message) in bad_days {
        problem(&format!("working_hours.{day}"), message);
    }
    let mut quiet_hours = QuietHours::default();
    if let Some(q) = &raw.quiet_hours {
        for (field, text, slot) in [
            ("quiet_hours.start", &q.start, &mut quiet_hours.start),
            ("quiet_hours.end", &q.end, &mut quiet_hours.end),
        ] {
            match TimeOfDay::parse(text) {
                Ok(t) => *slot = t,
                Err(e) => problem(field, e.to_string()),
            }
        }
    }
    for (name, value) in &raw.thresholds {
        if *value < 0 {
            problem(&format!("thresholds.{name}"), "must not be negative".into());
        }
    }
    for (name, max, what) in [
        (
            crate::replay::KEEP_DAYS_THRESHOLD,
            crate::replay::MAX_KEEP_DAYS,
            "days recorded trigger evaluations are kept",
        ),
        (
            crate::replay::MAX_EVALUATIONS_THRESHOLD,
            crate::replay::MAX_MAX_EVALUATIONS,
            "evaluations a dry run in the desk reads",
        ),
    ] {
        if raw
            .thresholds
            .get(name)
            .is_some_and(|v| !(1..=max).contains(v))
        {
            problem(&format!("thresholds.{name}"), format!("{what}: 1 to {max}"));
        }
    }
    for (i, member) in raw.staff.iter().enumerate() {
        if raw.staff[..i].iter().any(|s| s.id == member.id) {
            problem(
                &format!("staff[{i}].id"),
                format!("staff id {:?} is used twice", member.id),
            );
        }
        for role in &member.roles {
            if !raw.roles.contains_key(role) {
                problem(
                    &format!("staff[{i}].roles"),
                    format!("unknown role {role:?} (not in [roles])"),
                );
            }
        }
    }
    for (field, email) in [
        ("contacts.supplier_email", &raw.contacts.supplier_email),
        ("contacts.carrier_email", &raw.contacts.carrier_email),
    ] {
        if let Some(email) = email {
            if let Err(e) = crate::contact::Email::parse(email) {
                problem(field, e.to_string());
            }
        }
    }
    for name in raw.platforms.keys() {
        if !PLATFORM_NAMES.contains(&name.as_str()) {
            problem(
                &format!("platforms.{name}"),
                format!("unknown platform (one of: {})", PLATFORM_NAMES.join(", ")),
            );
        }
    }
    for (name, pool) in &raw.promo_codes {
        let field = format!("promo_codes.{name}");
        if !crate::text::is_code(name, 64, false) {
            problem(&field, "pool names are kebab-case: a-z, 0-9 and -".into());
        }
        if let Err(message) = check_pool(pool) {
            problem(&field, message);
        }
    }
    for (key, days) in &raw.repeat_cycles {
        let field = format!("repeat_cycles.{key}");
        let name = key.strip_prefix("category:").unwrap_or(key);
        if name.trim().is_empty() {
            problem(&field, "name an article or category:<name>".into());
        }
        if !(1..=3650).contains(days) {
            problem(&field, "days between purchases: 1 to 3650".into());
        }
    }
    assignment::check(findings, &file, &raw.assignment, &raw.roles, &raw.staff);
    let bonuses = super::bonuses::load(raw.bonuses, &file, findings);
    let hours = raw
        .hours
        .clone()
        .unwrap_or_else(|| describe_hours(&working_hours, language));
    let shop = Shop {
        info: ShopInfo {
            name: raw.name.unwrap_or_default(),
            phone: raw.phone.unwrap_or_default(),
            email: raw.email.unwrap_or_default(),
            hours,
            url: raw.url.unwrap_or_default(),
        },
        language,
        time_zone,
        working_hours,
        quiet_hours,
        thresholds: raw.thresholds,
        staff: raw.staff,
        roles: raw.roles,
        contacts: raw.contacts,
        platforms: raw.platforms,
        promo_codes: raw.promo_codes,
        repeat_cycles: raw.repeat_cycles,
        assignment: raw.assignment,
        bonuses,
    };
    (findings.problems.len() == before).then_some(shop)
}

fn check_pool(pool: &PromoPool) -> Result<(), String> {
    match (&pool.pattern, pool.codes.is_empty()) {
        (Some(_), false) => return Err("give codes or a pattern, not both".into()),
        (None, true) => return Err("give codes or a pattern".into()),
        (Some(pattern), true) => {
            let random = pattern.chars().filter(|c| *c == '#').count();
            if random < PROMO_PATTERN_MIN_RANDOM {
                return Err(format!(
                    "the pattern needs at least {PROMO_PATTERN_MIN_RANDOM} # (random characters)"
                ));
            }
            if !pattern
                .chars()
                .all(|c| c == '#' || c.is_ascii_alphanumeric() || c == '-')
            {
                return Err("a pattern has A-Z, 0-9, - and #".into());
            }
        }
        (None, false) => {
            for (i, code) in pool.codes.iter().enumerate() {
                if code.trim().is_empty() || code.chars().count() > 64 {
                    return Err(format!("codes[{i}]: 1 to 64 characters"));
                }
                if pool.codes[..i].contains(code) {
                    return Err(format!("codes[{i}]: {code:?} is listed twice"));
                }
            }
        }
    }
    match pool.valid_days {
        Some(days) if !(1..=3650).contains(&days) => Err("valid_days: 1 to 3650".into()),
        _ => Ok(()),
    }
}

/// "Пн–Пт 09:00–18:00, Сб 10:00–16:00" (`Mon-Fri 09:00-18:00` in English): consecutive days with the same hours are grouped.
pub(crate) fn describe_hours(hours: &WorkingHours, lang: Language) -> String {
    // English keeps to ASCII so that an English SMS with the hours stays GSM-7.
    let (names, dash) = match lang {
        Language::Ru => (["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"], "–"),
        Language::En => (["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "-"),
    };
    let mut parts = Vec::new();
    let mut i = 0;
    while i < 7 {
        let Some(open) = hours.days[i] else {
            i += 1;
            continue;
        };
        let mut j = i;
        while j + 1 < 7 && hours.days[j + 1] == Some(open) {
            j += 1;
        }
        let days = if i == j {
            names[i].to_owned()
        } else {
            format!("{}{dash}{}", names[i], names[j])
        };
        parts.push(format!("{days} {}{dash}{}", open.open, open.close));
        i = j + 1;
    }
    parts.join(", ")
}
