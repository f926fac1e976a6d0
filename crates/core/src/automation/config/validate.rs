//! `triggers.toml`: reading the triggers and checking them against the rest of the
//! configuration (statuses, thresholds, staff, roles, templates).

use std::collections::BTreeSet;

use super::model::{
    Action, AnyOf, Conditions, CooldownKey, Earner, IntRef, MessageChannel, Target, Trigger,
    TriggersFile, UnassignedTask, BONUS_TARGETS, HTTP_ENDPOINTS,
};
use super::{parse_toml, ConfigFiles, Findings, Shop, StatusConfig, TemplateKind, Templates};
use crate::automation::engine::data_problems;
use crate::automation::event::{
    event_has_order, event_subject, is_event_name, Subject, DELIVERY_STATUSES, PAYMENT_STATUSES,
};
use crate::automation::time::TimeOfDay;
use crate::message::Language;

struct Checker<'a> {
    files: &'a ConfigFiles,
    file: String,
    shop: Option<&'a Shop>,
    statuses: Option<&'a StatusConfig>,
    templates: &'a Templates,
    findings: &'a mut Findings,
}

pub(super) fn load_triggers(
    files: &ConfigFiles,
    shop: Option<&Shop>,
    statuses: Option<&StatusConfig>,
    templates: &Templates,
    findings: &mut Findings,
) -> Option<Vec<Trigger>> {
    let file = files.display("triggers.toml");
    if files.get("triggers.toml").is_none() {
        findings.problem(&file, None, "", "missing file".into());
        return None;
    }
    // New orders (and leads from missed calls) start in `new`: a path without it would only
    // fail when the first order arrives.
    if statuses.is_some_and(|s| crate::crm::initial_status(&s.path).is_none()) {
        let message = format!(
            "no enabled status {:?}: new orders start in it",
            crate::order::INITIAL_STATUS
        );
        findings.problem(&files.display("statuses.toml"), None, "", message);
    }
    if let (Some(shop), Some(statuses)) = (shop, statuses) {
        platform_statuses(files, shop, statuses, findings);
    }
    let parsed: TriggersFile = parse_toml(files, "triggers.toml", findings)?;
    let mut c = Checker {
        files,
        file,
        shop,
        statuses,
        templates,
        findings,
    };
    let mut set_timers = BTreeSet::new();
    for (i, t) in parsed.trigger.iter().enumerate() {
        c.trigger(t, &parsed.trigger[..i]);
        for a in &t.actions {
            if let Action::SetTimer { name, .. } = a {
                set_timers.insert(name.as_str());
            }
        }
    }
    let assigns = (parsed.trigger.iter().flat_map(|t| &t.actions))
        .any(|a| matches!(a, Action::AssignManager { .. }));
    if shop.is_some_and(|s| !s.assignment.rules.is_empty()) && !assigns {
        let message = "no trigger has an assign_manager action, so the rules are not used".into();
        let file = c.files.display("shop.toml");
        c.findings.warning(&file, None, "assignment", message);
    }
    for t in &parsed.trigger {
        for name in t.when.timer.iter().flat_map(|a| &a.0) {
            if !set_timers.contains(name.as_str()) {
                let message = format!("no set_timer action starts timer {name:?}");
                c.findings
                    .warning(&c.file, Some(&t.id), "when.timer", message);
            }
        }
    }
    Some(parsed.trigger)
}

/// `[platforms.<name>.statuses]` may only name enabled statuses, `[roles.<id>] moves_to`
/// configured ones.
fn platform_statuses(
    files: &ConfigFiles,
    shop: &Shop,
    statuses: &StatusConfig,
    findings: &mut Findings,
) {
    let file = files.display("shop.toml");
    for (platform, settings) in &shop.platforms {
        for (state, status) in &settings.statuses {
            if let Err(refusal) = crate::crm::named_status(statuses, status) {
                let field = format!("platforms.{platform}.statuses.{state}");
                findings.problem(&file, None, &field, refusal.message);
            }
        }
    }
    // A status switched off may stay listed: no order can enter it anyway.
    for (id, role) in &shop.roles {
        for status in &role.moves_to {
            if statuses.path.get(status).is_none() && !statuses.disabled.contains(status) {
                let field = format!("roles.{id}.moves_to");
                let message = format!("{status:?} is not a configured status");
                findings.problem(&file, None, &field, message);
            }
        }
    }
}

impl Checker<'_> {
    fn problem(&mut self, t: &Trigger, field: &str, message: String) {
        self.findings
            .problem(&self.file, Some(&t.id), field, message);
    }

    fn trigger(&mut self, t: &Trigger, earlier: &[Trigger]) {
        if !crate::text::is_code(&t.id, 64, false) {
            self.problem(t, "id", "ids are kebab-case: a-z, 0-9 and -".into());
        }
        if earlier.iter().any(|e| e.id == t.id) {
            self.problem(t, "id", "duplicate trigger id".into());
        }
        if !is_event_name(&t.on) {
            self.problem(t, "on", format!("unknown event {:?}", t.on));
        }
        if let Some(delay) = &t.delay {
            self.duration(t, "delay", delay);
            if event_subject(&t.on) == Some(Subject::MaybeOrder) {
                let message = format!("{} may have no order, so it cannot be delayed", t.on);
                self.problem(t, "delay", message);
            }
        }
        if let Some(cooldown) = &t.cooldown {
            self.duration(t, "cooldown", cooldown);
        }
        if let Some(per) = &t.cooldown_per {
            if t.cooldown.is_none() {
                self.problem(t, "cooldown_per", "give a cooldown too".into());
            }
            match CooldownKey::parse(per) {
                Err(message) => self.problem(t, "cooldown_per", message),
                Ok(CooldownKey::Chat) if is_event_name(&t.on) && t.on != "chat.message" => {
                    let message = format!(
                        "chat counts per chat conversation: only chat.message has one, not {}",
                        t.on
                    );
                    self.problem(t, "cooldown_per", message);
                }
                Ok(_) => {}
            }
        }
        self.conditions(t, &t.when);
        for (i, action) in t.actions.iter().enumerate() {
            self.action(t, &format!("action[{i}]"), action);
            match event_subject(&t.on) {
                Some(Subject::Customer) if action.needs_order() => {
                    let message = format!("{} is about a customer, not an order", t.on);
                    self.problem(t, &format!("action[{i}].type"), message);
                }
                Some(Subject::Chat) if action.needs_order() => {
                    let message = format!("{} is about a chat, not an order", t.on);
                    self.problem(t, &format!("action[{i}].type"), message);
                }
                Some(subject)
                    if subject != Subject::Chat && matches!(action, Action::ChatReply { .. }) =>
                {
                    let message = format!("chat_reply answers a chat.message, not {}", t.on);
                    self.problem(t, &format!("action[{i}].type"), message);
                }
                _ => {}
            }
        }
        let assigns = t
            .actions
            .iter()
            .position(|a| matches!(a, Action::AssignManager { .. }));
        if assigns.is_some_and(|i| i + 1 < t.actions.len()) {
            let at = format!("action[{}]", assigns.unwrap_or_default());
            let message = "assign_manager must be the trigger's last action: the actions after \
                           it would not see the manager (put them in a trigger after this one)";
            self.problem(t, &at, message.into());
        }
    }

    fn duration(&mut self, t: &Trigger, field: &str, d: &super::DurationSpec) {
        let Some(shop) = self.shop else { return };
        if let Err(e) = d.resolve(&shop.thresholds) {
            self.problem(t, field, e);
        }
    }

    fn int_ref(&mut self, t: &Trigger, field: &str, value: &Option<IntRef>) {
        let (Some(v), Some(shop)) = (value, self.shop) else {
            return;
        };
        if let Err(e) = v.resolve(&shop.thresholds) {
            self.problem(t, &format!("when.{field}"), e);
        }
    }

    fn only_on(&mut self, t: &Trigger, field: &str, present: bool, events: &[&str]) {
        if present && is_event_name(&t.on) && !events.contains(&t.on.as_str()) {
            let message = format!("applies only to {}, not to {}", events.join(", "), t.on);
            self.problem(t, &format!("when.{field}"), message);
        }
    }

    fn values_in(
        &mut self,
        t: &Trigger,
        field: &str,
        value: &Option<AnyOf>,
        known: &[&str],
        what: &str,
    ) {
        for v in value.iter().flat_map(|a| &a.0) {
            if !known.contains(&v.as_str()) {
                self.problem(t, &format!("when.{field}"), format!("unknown {what} {v:?}"));
            }
        }
    }

    fn statuses_in(&mut self, t: &Trigger, field: &str, value: &Option<AnyOf>) {
        let Some(statuses) = self.statuses else {
            return;
        };
        for v in value.iter().flat_map(|a| &a.0) {
            if let Some(message) = status_problem(statuses, v) {
                self.problem(t, field, message);
            }
        }
    }

    fn conditions(&mut self, t: &Trigger, w: &Conditions) {
        let status_events = ["order.status_changed", "delivery.status_changed"];
        self.only_on(t, "status_from", w.status_from.is_some(), &status_events);
        self.only_on(t, "status_to", w.status_to.is_some(), &status_events);
        if t.on == "delivery.status_changed" {
            self.values_in(
                t,
                "status_from",
                &w.status_from,
                DELIVERY_STATUSES,
                "delivery status",
            );
            self.values_in(
                t,
                "status_to",
                &w.status_to,
                DELIVERY_STATUSES,
                "delivery status",
            );
        } else {
            self.statuses_in(t, "when.status_from", &w.status_from);
            self.statuses_in(t, "when.status_to", &w.status_to);
        }
        self.statuses_in(t, "when.status", &w.status);
        if let Some(statuses) = self.statuses {
            let groups: BTreeSet<&str> = statuses
                .path
                .statuses()
                .iter()
                .map(|s| s.group.as_str())
                .collect();
            let groups: Vec<&str> = groups.into_iter().collect();
            self.values_in(t, "status_group", &w.status_group, &groups, "status group");
        }
        self.values_in(
            t,
            "payment_status",
            &w.payment_status,
            PAYMENT_STATUSES,
            "payment status",
        );
        self.values_in(
            t,
            "delivery_status",
            &w.delivery_status,
            DELIVERY_STATUSES,
            "delivery status",
        );
        self.int_ref(t, "total_at_least", &w.total_at_least);
        self.int_ref(t, "total_below", &w.total_below);
        self.int_ref(
            t,
            "no_answer_attempts_at_least",
            &w.no_answer_attempts_at_least,
        );
        self.int_ref(t, "no_answer_attempts_below", &w.no_answer_attempts_below);
        self.only_on(
            t,
            "fields_changed_any",
            w.fields_changed_any.is_some(),
            &["order.changed"],
        );
        self.only_on(t, "flag", w.flag.is_some(), &["order.operator_flag"]);
        self.only_on(t, "timer", w.timer.is_some(), &["timer.fired"]);
        self.only_on(t, "in_stock", w.in_stock.is_some(), &["stock.changed"]);
        let about_customer = event_subject(&t.on) == Some(Subject::Customer);
        for (field, present) in [
            (
                "customer_ordered_since_event",
                w.customer_ordered_since_event.is_some(),
            ),
            ("event_data", w.event_data.is_some()),
        ] {
            if present && is_event_name(&t.on) && !about_customer {
                let message = format!("applies only to events about a customer, not to {}", t.on);
                self.problem(t, &format!("when.{field}"), message);
            }
        }
        self.values_in(
            t,
            "marketing_consent",
            &w.marketing_consent,
            &["email", "sms"],
            "channel",
        );
        let chats = ["chat.message"];
        self.only_on(t, "chat_after_hours", w.chat_after_hours.is_some(), &chats);
        self.only_on(
            t,
            "chat_first_of_night",
            w.chat_first_of_night.is_some(),
            &chats,
        );
        let calls = ["call.missed", "call.answered"];
        self.only_on(t, "call_after_hours", w.call_after_hours.is_some(), &calls);
        self.only_on(t, "call_direction", w.call_direction.is_some(), &calls);
        if let Some(directions) = &w.call_direction {
            for direction in &directions.0 {
                if !["inbound", "outbound"].contains(&direction.as_str()) {
                    let message = format!("{direction:?} is not inbound or outbound");
                    self.problem(t, "when.call_direction", message);
                }
            }
        }
        if let Some(times) = &w.time_between {
            let ok = times.len() == 2 && times.iter().all(|s| TimeOfDay::parse(s).is_ok());
            if !ok {
                let message = "write two times of day: [\"09:00\", \"21:00\"]".into();
                self.problem(t, "when.time_between", message);
            }
        }
    }

    fn action(&mut self, t: &Trigger, at: &str, action: &Action) {
        let field = |name: &str| format!("{at}.{name}");
        match action {
            Action::Message {
                channel,
                template,
                to,
                marketing,
            } => {
                self.target(t, &field("to"), to, true);
                if *marketing && to != "customer" {
                    let message = "only messages to the customer are marketing".into();
                    self.problem(t, &field("marketing"), message);
                }
                let kind = match channel {
                    MessageChannel::Sms => TemplateKind::Sms,
                    MessageChannel::Email => TemplateKind::Email,
                };
                self.template(t, &field("template"), template, Some(kind));
            }
            Action::NotifyStaff { to, template } => {
                self.target(t, &field("to"), to, false);
                self.template(t, &field("template"), template, None);
            }
            Action::Task {
                title,
                assignee,
                due_in,
                due_at_field,
                ..
            } => {
                if let Err(e) = &title.parsed {
                    self.problem(t, &field("title"), format!("template syntax: {e}"));
                }
                self.target(t, &field("assignee"), assignee, false);
                if let Some(d) = due_in {
                    self.duration(t, &field("due_in"), d);
                }
                if due_in.is_some() && due_at_field.is_some() {
                    self.problem(
                        t,
                        &field("due_in"),
                        "give due_in or due_at_field, not both".into(),
                    );
                }
            }
            Action::SetStatus { status } => self.set_status(t, &field("status"), status),
            Action::Cancel { reason } => {
                if reason.trim().is_empty() {
                    self.problem(t, &field("reason"), "must not be empty".into());
                }
                self.set_status(t, at, "cancelled");
            }
            Action::SetField { field: name, .. } => {
                if name.trim().is_empty() || name == "status" {
                    let message = "name an order field (the status changes with set_status)".into();
                    self.problem(t, &field("field"), message);
                }
            }
            Action::TagCustomer { tag } | Action::UntagCustomer { tag } => {
                if tag.trim().is_empty() {
                    self.problem(t, &field("tag"), "must not be empty".into());
                }
            }
            Action::SetTimer {
                name,
                after,
                at_field,
                ..
            } => {
                self.timer_name(t, &field("name"), name);
                if let Some(d) = after {
                    self.duration(t, &field("after"), d);
                } else if at_field.is_none() {
                    self.problem(t, at, "a timer needs after, at_field or both".into());
                }
            }
            Action::CancelTimer { name } => self.timer_name(t, &field("name"), name),
            Action::HttpRequest {
                endpoint,
                event,
                data,
            } => {
                if !HTTP_ENDPOINTS.contains(&endpoint.as_str()) {
                    let known = HTTP_ENDPOINTS.join(", ");
                    let message = format!("unknown endpoint {endpoint:?} (known: {known})");
                    self.problem(t, &field("endpoint"), message);
                }
                if let Some(event) = event {
                    if !crate::text::is_code(&event.replace(['.', '_'], "-"), 64, false) {
                        let message = format!("{event:?} is not an event type (a-z, 0-9, ., _, -)");
                        self.problem(t, &field("event"), message);
                    }
                }
                for (place, e) in data.iter().flat_map(data_problems) {
                    self.problem(t, &field(&place), format!("template syntax: {e}"));
                }
            }
            Action::IssuePromoCode { pool } => {
                if let Some(shop) = self.shop {
                    if !shop.promo_codes.contains_key(pool) {
                        let message = format!("unknown pool {pool:?} (not in [promo_codes])");
                        self.problem(t, &field("pool"), message);
                    }
                }
            }
            Action::ApplyDiscount { percent } => {
                if let Some(shop) = self.shop {
                    match percent.resolve(&shop.thresholds) {
                        Ok(p) if (1..=100).contains(&p) => {}
                        Ok(p) => {
                            let message = format!("{p} is not a percentage from 1 to 100");
                            self.problem(t, &field("percent"), message);
                        }
                        Err(e) => self.problem(t, &field("percent"), e),
                    }
                }
            }
            Action::ChatReply { template } => {
                self.template(t, &field("template"), template, Some(TemplateKind::Chat));
            }
            Action::AssignManager { unassigned } => self.assign_manager(t, at, unassigned),
            Action::Bonus { rule, to } => self.bonus(t, at, rule, to),
            Action::ReverseBonuses { rules } => {
                for rule in rules.iter().flat_map(|r| &r.0) {
                    self.bonus_rule(t, &field("rules"), rule);
                }
            }
            Action::ReserveItems | Action::ReleaseItems => {}
        }
    }

    /// V1: rules to apply, an event with an order, and a task for a person or a role.
    fn assign_manager(&mut self, t: &Trigger, at: &str, unassigned: &Option<UnassignedTask>) {
        if is_event_name(&t.on) && !event_has_order(&t.on) {
            let message = format!("{} may have no order to assign", t.on);
            self.problem(t, at, message);
        }
        if self.shop.is_some_and(|s| s.assignment.rules.is_empty()) {
            let message = "no [[assignment.rule]] in shop.toml: nothing to assign by".into();
            self.problem(t, at, message);
        }
        let Some(task) = unassigned else {
            return;
        };
        let field = |name: &str| format!("{at}.unassigned.{name}");
        if let Err(e) = &task.title.parsed {
            self.problem(t, &field("title"), format!("template syntax: {e}"));
        }
        if Target::parse(&task.assignee) == Some(Target::Manager) {
            let message = "the order has no manager yet: name a role:<id> or staff:<id>".into();
            self.problem(t, &field("assignee"), message);
        } else {
            self.target(t, &field("assignee"), &task.assignee, false);
        }
        if let Some(d) = &task.due_in {
            self.duration(t, &field("due_in"), d);
        }
    }

    fn bonus_rule(&mut self, t: &Trigger, field: &str, rule: &str) -> Option<crate::bonus::Rule> {
        let shop = self.shop?;
        let found = shop.bonuses.rules.get(rule).cloned();
        if found.is_none() {
            let message =
                format!("unknown bonus rule {rule:?} (not in [bonuses.rules] of shop.toml)");
            self.problem(t, field, message);
        }
        found
    }

    fn bonus(&mut self, t: &Trigger, at: &str, rule: &str, to: &AnyOf) {
        let field = |name: &str| format!("{at}.{name}");
        if let Some(found) = self.bonus_rule(t, &field("rule"), rule) {
            let counts_added = found.of == crate::bonus::Base::AddedItems
                && !matches!(found.pays, crate::bonus::Pays::Fixed(_));
            if counts_added && is_event_name(&t.on) && t.on != "order.changed" {
                let message = format!(
                    "rule {rule:?} counts added_items, which only order.changed has, not {}",
                    t.on
                );
                self.problem(t, &field("rule"), message);
            }
        }
        if to.0.is_empty() {
            let message = format!("name who earns it ({BONUS_TARGETS})");
            self.problem(t, &field("to"), message);
        }
        let with_actor = ["order.created", "order.changed", "order.status_changed"];
        for text in &to.0 {
            match Earner::parse(text) {
                None => {
                    let message = format!("unknown earner {text:?} (known: {BONUS_TARGETS})");
                    self.problem(t, &field("to"), message);
                }
                Some(Earner::Staff(id)) => {
                    if self.shop.is_some_and(|s| s.staff_member(&id).is_none()) {
                        let message =
                            format!("unknown staff member {id:?} (not in [[staff]] of shop.toml)");
                        self.problem(t, &field("to"), message);
                    }
                }
                Some(Earner::Actor)
                    if is_event_name(&t.on) && !with_actor.contains(&t.on.as_str()) =>
                {
                    let message = format!(
                        "{} carries no actor (only {} do)",
                        t.on,
                        with_actor.join(", ")
                    );
                    self.problem(t, &field("to"), message);
                }
                Some(_) => {}
            }
        }
    }

    fn timer_name(&mut self, t: &Trigger, field: &str, name: &str) {
        if !crate::text::is_code(name, 64, false) {
            self.problem(
                t,
                field,
                format!("{name:?} is not a timer name (a-z, 0-9, -)"),
            );
        }
    }

    fn set_status(&mut self, t: &Trigger, field: &str, status: &str) {
        if let Some(message) = self.statuses.and_then(|s| status_problem(s, status)) {
            self.problem(t, field, message);
        }
    }

    fn target(&mut self, t: &Trigger, field: &str, text: &str, outside_allowed: bool) {
        let Some(target) = Target::parse(text) else {
            let known = if outside_allowed {
                "customer, manager, role:<id>, staff:<id>, supplier, carrier"
            } else {
                "manager, role:<id>, staff:<id>"
            };
            self.problem(
                t,
                field,
                format!("unknown recipient {text:?} (known: {known})"),
            );
            return;
        };
        let Some(shop) = self.shop else { return };
        match &target {
            Target::Role(role) if !shop.roles.contains_key(role) => {
                self.problem(
                    t,
                    field,
                    format!("unknown role {role:?} (not in [roles] of shop.toml)"),
                );
            }
            Target::Staff(id) if shop.staff_member(id).is_none() => {
                self.problem(
                    t,
                    field,
                    format!("unknown staff member {id:?} (not in [[staff]] of shop.toml)"),
                );
            }
            Target::Customer | Target::Supplier | Target::Carrier if !outside_allowed => {
                self.problem(
                    t,
                    field,
                    format!("{text:?} is not staff (use manager, role:<id> or staff:<id>)"),
                );
            }
            Target::Carrier if shop.contacts.carrier_email.is_none() => {
                let message = "carrier_email is not set in [contacts] of shop.toml".into();
                self.problem(t, field, message);
            }
            _ => {}
        }
    }

    fn template(&mut self, t: &Trigger, field: &str, name: &str, kind: Option<TemplateKind>) {
        let Some(shop) = self.shop else { return };
        let other = match shop.language {
            Language::Ru => Language::En,
            Language::En => Language::Ru,
        };
        let mut languages = vec![shop.language];
        if self.templates.has_language(other) {
            languages.push(other);
        }
        for lang in languages {
            match self.templates.get(name, lang) {
                None => {
                    let bundle = self
                        .files
                        .display(&format!("templates/{}.toml", lang.as_str()));
                    let single = self
                        .files
                        .display(&format!("templates/{}/{name}.toml", lang.as_str()));
                    self.problem(
                        t,
                        field,
                        format!("unknown template {name:?} (no [{name}] in {bundle}, no {single})"),
                    );
                }
                Some(found) if kind.is_some_and(|k| k != found.kind) => {
                    let sends = kind.map_or("", TemplateKind::as_str);
                    let article = |k: TemplateKind| match k {
                        TemplateKind::Chat => "a",
                        TemplateKind::Sms | TemplateKind::Email => "an",
                    };
                    let message = format!(
                        "template {name:?} is {} {} template, the action sends {sends}",
                        article(found.kind),
                        found.kind.as_str()
                    );
                    self.problem(t, field, message);
                }
                Some(_) => {}
            }
        }
    }
}

fn status_problem(statuses: &StatusConfig, code: &str) -> Option<String> {
    if statuses.disabled.contains(code) {
        Some(format!("status {code:?} is disabled in statuses.toml"))
    } else if statuses.is_enabled(code) {
        None
    } else {
        Some(format!("unknown status {code:?} (not in statuses.toml)"))
    }
}
