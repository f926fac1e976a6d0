//! Turning a matching trigger's configured actions into [`PlannedAction`]s: rendering
//! templates, resolving recipients and due times, checking status changes.

use super::{Assignee, PlannedAction, PlannedMessage, PlannedTask, Recipient};
use crate::automation::config::{
    Action, Config, DurationSpec, MessageChannel, StaffMember, Target, TemplateText, Trigger,
};
use crate::automation::event::DomainEvent;
use crate::automation::facts::{context, Facts};
use crate::automation::sms::sms_length;
use crate::automation::template::RenderEnv;
use crate::automation::time::{add_working_time, in_quiet_hours, quiet_hours_end, TimeZone};
use crate::message::Language;
use crate::status::Transition;

struct Planner<'a> {
    config: &'a Config,
    trigger: &'a Trigger,
    event: &'a DomainEvent,
    facts: &'a Facts,
    /// The order's status after the actions planned so far.
    status: Option<String>,
    out: Vec<PlannedAction>,
}

pub(super) fn plan(
    config: &Config,
    trigger: &Trigger,
    event: &DomainEvent,
    facts: &Facts,
) -> Vec<PlannedAction> {
    let mut p = Planner {
        config,
        trigger,
        event,
        facts,
        status: facts.order.as_ref().map(|o| o.status.clone()),
        out: Vec::new(),
    };
    for (i, action) in trigger.actions.iter().enumerate() {
        if let Err(reason) = p.action(action) {
            p.out.push(PlannedAction::Skipped { action: i, reason });
        }
    }
    p.out
}

impl Planner<'_> {
    fn action(&mut self, action: &Action) -> Result<(), String> {
        let thresholds = &self.config.shop.thresholds;
        let planned = match action {
            Action::Message {
                channel,
                template,
                to,
                marketing,
            } => return self.message(*channel, template, to, *marketing),
            Action::NotifyStaff { to, template } => return self.notify(to, template),
            Action::Task {
                title,
                assignee,
                due_in,
                due_at_field,
                in_working_hours,
                ..
            } => {
                let task = self.task(
                    title,
                    assignee,
                    due_in.as_ref(),
                    due_at_field.as_deref(),
                    *in_working_hours,
                )?;
                PlannedAction::Task {
                    title: task.title,
                    assignee: task.assignee,
                    due_at: task.due_at,
                }
            }
            Action::AssignManager { unassigned } => {
                if let Some(manager) = &self.order()?.manager {
                    return Err(format!("the order already has a manager ({manager})"));
                }
                let unassigned = match unassigned {
                    Some(t) => Some(self.task(
                        &t.title,
                        &t.assignee,
                        t.due_in.as_ref(),
                        None,
                        t.in_working_hours,
                    )?),
                    None => None,
                };
                PlannedAction::AssignManager { unassigned }
            }
            Action::SetStatus { status } => {
                let from = self.transition(status)?;
                PlannedAction::SetStatus {
                    from,
                    to: status.clone(),
                }
            }
            Action::Cancel { reason } => {
                let from = self.transition("cancelled")?;
                PlannedAction::Cancel {
                    from,
                    reason: reason.clone(),
                }
            }
            Action::SetField { field, value } => PlannedAction::SetField {
                field: field.clone(),
                value: value.clone(),
            },
            Action::TagCustomer { tag } => PlannedAction::TagCustomer { tag: tag.clone() },
            Action::UntagCustomer { tag } => PlannedAction::UntagCustomer { tag: tag.clone() },
            Action::ReserveItems => PlannedAction::ReserveItems,
            Action::ReleaseItems => PlannedAction::ReleaseItems,
            Action::SetTimer {
                name,
                after,
                at_field,
                in_working_hours,
            } => {
                self.order()?;
                let base = match at_field {
                    Some(field) => self.time_field(field)?,
                    None => self.facts.now,
                };
                let after = match after {
                    Some(d) => d.resolve(thresholds)?,
                    None => 0,
                };
                PlannedAction::SetTimer {
                    name: name.clone(),
                    fire_at: self.later(base, after, *in_working_hours),
                }
            }
            Action::CancelTimer { name } => PlannedAction::CancelTimer { name: name.clone() },
            Action::IssuePromoCode { pool } => {
                if self.facts.customer.as_ref().and_then(|c| c.id).is_none() {
                    return Err("the event has no stored customer".into());
                }
                PlannedAction::IssuePromoCode { pool: pool.clone() }
            }
            Action::ApplyDiscount { percent } => {
                let order = self.order()?;
                let percent = percent.resolve(thresholds)?;
                if order.discount > 0 {
                    return Err("the order already has a discount".into());
                }
                let items = i128::from(crate::order::items_total(&order.items));
                let amount = i64::try_from(items * i128::from(percent) / 100).unwrap_or(0);
                if amount <= 0 {
                    return Err("the order's items sum to nothing".into());
                }
                PlannedAction::ApplyDiscount { percent, amount }
            }
            Action::ChatReply { template } => return self.chat_reply(template),
            Action::Bonus { rule, to } => {
                match super::bonus::plan(self.config, self.event, self.facts, rule, &to.0)? {
                    Some(planned) => planned,
                    None => return Ok(()),
                }
            }
            Action::ReverseBonuses { rules } => {
                self.order()?;
                PlannedAction::ReverseBonuses {
                    rules: rules.as_ref().map(|r| r.0.clone()).unwrap_or_default(),
                    period: crate::bonus::period(self.facts.now, &self.config.shop.time_zone),
                }
            }
            Action::HttpRequest {
                endpoint,
                event,
                data,
            } => {
                self.order()?;
                let action = super::http::HttpAction {
                    endpoint,
                    event_type: event.as_deref().unwrap_or(&self.trigger.on),
                    data: data.as_ref(),
                    trigger_id: &self.trigger.id,
                };
                PlannedAction::HttpRequest(super::http::plan(
                    self.config,
                    self.event,
                    self.facts,
                    &action,
                )?)
            }
        };
        self.out.push(planned);
        Ok(())
    }

    /// A task's title rendered, its assignee resolved and its due time.
    fn task(
        &self,
        title: &TemplateText,
        assignee: &str,
        due_in: Option<&DurationSpec>,
        due_at_field: Option<&str>,
        in_working_hours: bool,
    ) -> Result<PlannedTask, String> {
        let lang = self.config.shop.language;
        let ctx = context(self.config, self.event, self.facts, lang);
        let title = match &title.parsed {
            Ok(t) => t.render(&ctx, &self.env(lang, false)).trim().to_owned(),
            Err(_) => title.source.clone(),
        };
        let base = match due_at_field {
            Some(field) => self.time_field(field)?,
            None => self.facts.now,
        };
        let after = match due_in {
            Some(d) => d.resolve(&self.config.shop.thresholds)?,
            None => 0,
        };
        Ok(PlannedTask {
            title,
            assignee: self.assignee(assignee)?,
            due_at: self.later(base, after, in_working_hours),
        })
    }

    fn order(&self) -> Result<&crate::automation::facts::OrderFacts, String> {
        self.facts
            .order
            .as_ref()
            .ok_or_else(|| "the event has no order".to_owned())
    }

    fn later(&self, base: i64, secs: i64, working: bool) -> i64 {
        let shop = &self.config.shop;
        if working {
            add_working_time(base, secs, &shop.working_hours, &shop.time_zone)
        } else {
            base.saturating_add(secs)
        }
    }

    fn time_field(&self, field: &str) -> Result<i64, String> {
        self.order()?
            .field(field)
            .as_i64()
            .ok_or_else(|| format!("order field {field:?} holds no time"))
    }

    /// Checks a status change from the current (simulated) status; returns the old status.
    fn transition(&mut self, to: &str) -> Result<String, String> {
        self.order()?;
        let from = self.status.clone().unwrap_or_default();
        match self.config.statuses.path.check(&from, to) {
            Ok(Transition::Changed) => {
                self.status = Some(to.to_owned());
                Ok(from)
            }
            Ok(Transition::Unchanged) => Err(format!("the order is already {to:?}")),
            Err(e) => Err(e.to_string()),
        }
    }

    fn env(&self, language: Language, html: bool) -> RenderEnv<'_> {
        RenderEnv {
            language,
            time_zone: &self.config.shop.time_zone,
            html,
        }
    }

    fn assignee(&self, text: &str) -> Result<Assignee, String> {
        match Target::parse(text) {
            Some(Target::Manager) => Ok(self.manager().map_or_else(
                || Assignee::Role("manager".to_owned()),
                |m| Assignee::Staff(m.id.clone()),
            )),
            Some(Target::Role(r)) => Ok(Assignee::Role(r)),
            Some(Target::Staff(s)) => Ok(Assignee::Staff(s)),
            _ => Err(format!("{text:?} cannot be assigned a task")),
        }
    }

    /// The order's manager when they are a configured staff member.
    fn manager(&self) -> Option<&StaffMember> {
        let id = self.facts.order.as_ref()?.manager.as_deref()?;
        self.config.shop.staff_member(id)
    }

    /// Staff members a target names (`manager` falls back to the `manager` role).
    fn staff(&self, target: &Target) -> Vec<&StaffMember> {
        let shop = &self.config.shop;
        match target {
            Target::Manager => self
                .manager()
                .map_or_else(|| shop.with_role("manager"), |m| vec![m]),
            Target::Role(role) => shop.with_role(role),
            Target::Staff(id) => shop.staff_member(id).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    fn notify(&mut self, to: &str, template: &str) -> Result<(), String> {
        let target = Target::parse(to).ok_or_else(|| format!("unknown recipient {to:?}"))?;
        let lang = self.config.shop.language;
        let t = self
            .config
            .templates
            .find(template, lang, lang)
            .ok_or_else(|| format!("no template {template:?}"))?;
        let ctx = context(self.config, self.event, self.facts, lang);
        let env = self.env(lang, false);
        let subject = t
            .subject
            .as_ref()
            .map(|s| single_line(&s.render(&ctx, &env)));
        let text = t.text.render(&ctx, &env).trim().to_owned();
        let staff: Vec<StaffMember> = self.staff(&target).into_iter().cloned().collect();
        if staff.is_empty() {
            return Err(format!("nobody to notify for {to:?}"));
        }
        for member in staff {
            self.out.push(PlannedAction::NotifyStaff {
                staff: member,
                subject: subject.clone(),
                text: text.clone(),
            });
        }
        Ok(())
    }

    fn message(
        &mut self,
        channel: MessageChannel,
        template: &str,
        to: &str,
        marketing: bool,
    ) -> Result<(), String> {
        let target = Target::parse(to).ok_or_else(|| format!("unknown recipient {to:?}"))?;
        let shop = &self.config.shop;
        let customer = self.facts.customer.as_ref();
        if marketing {
            let allowed = customer.is_some_and(|c| match channel {
                MessageChannel::Email => c.marketing_email,
                MessageChannel::Sms => c.marketing_sms,
            });
            let linked = customer.is_some_and(|c| c.unsubscribe_url.is_some());
            if allowed && channel == MessageChannel::Email && !linked {
                return Err(
                    // Without the variables' names: this crate does not read them, and the
                    // components that only run the engine (the dry run) must not look as if
                    // they did (tests/e2e/tests/it/manifest_variables.rs).
                    "marketing email needs the unsubscribe link: set the app's public URL and \
                     unsubscribe secret (see the variables in the README)"
                        .into(),
                );
            }
            if !allowed {
                let channel = match channel {
                    MessageChannel::Email => "email",
                    MessageChannel::Sms => "SMS",
                };
                return Err(format!(
                    "no consent to marketing by {channel} (or the customer unsubscribed)"
                ));
            }
        }
        let lang = match target {
            Target::Customer => customer.and_then(|c| c.language).unwrap_or(shop.language),
            _ => shop.language,
        };
        let t = self
            .config
            .templates
            .find(template, lang, shop.language)
            .ok_or_else(|| format!("no template {template:?}"))?;
        let recipients: Vec<(Recipient, Option<String>)> = match &target {
            Target::Customer => {
                let address = match channel {
                    MessageChannel::Sms => customer
                        .and_then(|c| c.phone.clone())
                        .or_else(|| self.event.call().map(|c| c.phone.clone())),
                    MessageChannel::Email => customer.and_then(|c| c.email.clone()),
                };
                let name = customer.and_then(|c| c.name.clone());
                vec![(Recipient::Customer { name }, address)]
            }
            Target::Supplier => {
                let from_event = match self.event {
                    DomainEvent::OperatorFlag { supplier, .. } => supplier.clone(),
                    _ => None,
                };
                let email = from_event.or_else(|| shop.contacts.supplier_email.clone());
                vec![(
                    Recipient::Supplier,
                    email.filter(|_| channel == MessageChannel::Email),
                )]
            }
            Target::Carrier => {
                let email = shop.contacts.carrier_email.clone();
                vec![(
                    Recipient::Carrier,
                    email.filter(|_| channel == MessageChannel::Email),
                )]
            }
            staff_target => self
                .staff(staff_target)
                .into_iter()
                .map(|m| {
                    let address = match channel {
                        MessageChannel::Sms => m.phone.clone(),
                        MessageChannel::Email => m.email.clone(),
                    };
                    (
                        Recipient::Staff {
                            id: m.id.clone(),
                            name: m.name.clone(),
                        },
                        address,
                    )
                })
                .collect(),
        };
        if recipients.is_empty() {
            return Err(format!("nobody to send to for {to:?}"));
        }
        let ctx = context(self.config, self.event, self.facts, t.language);
        let env = self.env(t.language, false);
        let subject = t
            .subject
            .as_ref()
            .map(|s| single_line(&s.render(&ctx, &env)));
        let text = t.text.render(&ctx, &env).trim().to_owned();
        let html = t
            .html
            .as_ref()
            .map(|h| h.render(&ctx, &self.env(t.language, true)));
        let (not_before, sms_parts) = match channel {
            MessageChannel::Sms => {
                let held = self.quiet_until(matches!(target, Target::Customer));
                (held, Some(sms_length(&text).parts))
            }
            MessageChannel::Email => (None, None),
        };
        let mut missing = Vec::new();
        for (recipient, address) in recipients {
            let Some(address) = address.filter(|a| !a.trim().is_empty()) else {
                missing.push(format!("{recipient:?}"));
                continue;
            };
            self.out.push(PlannedAction::Message(PlannedMessage {
                channel,
                template: template.to_owned(),
                language: t.language,
                to: recipient,
                address,
                subject: subject.clone(),
                text: text.clone(),
                html: html.clone(),
                not_before,
                sms_parts,
                marketing,
            }));
        }
        if missing.is_empty() {
            Ok(())
        } else {
            let kind = match channel {
                MessageChannel::Sms => "phone",
                MessageChannel::Email => "email address",
            };
            Err(format!("no {kind} for {to:?}"))
        }
    }

    /// V6: the reply to a chat message, in the sender's language (the shop's when unknown).
    fn chat_reply(&mut self, template: &str) -> Result<(), String> {
        if self.event.chat().is_none() {
            return Err("the event is not a chat message".into());
        }
        let shop = &self.config.shop;
        let lang = self
            .facts
            .customer
            .as_ref()
            .and_then(|c| c.language)
            .unwrap_or(shop.language);
        let t = self
            .config
            .templates
            .find(template, lang, shop.language)
            .ok_or_else(|| format!("no template {template:?}"))?;
        let ctx = context(self.config, self.event, self.facts, t.language);
        let text = t
            .text
            .render(&ctx, &self.env(t.language, false))
            .trim()
            .to_owned();
        if text.is_empty() {
            return Err(format!("template {template:?} renders an empty reply"));
        }
        let max = crate::chat::MAX_REPLY_CHARS;
        if crate::text::char_len(&text) > max {
            return Err(format!("the reply is longer than {max} characters"));
        }
        self.out.push(PlannedAction::ChatReply {
            template: template.to_owned(),
            language: t.language,
            text,
        });
        Ok(())
    }

    /// C11: the end of the quiet hours when now falls into them: the customer's own for a
    /// message to the customer, the shop's for anyone else. Every SMS waits.
    fn quiet_until(&self, to_customer: bool) -> Option<i64> {
        let shop = &self.config.shop;
        let tz = self
            .facts
            .customer
            .as_ref()
            .filter(|_| to_customer)
            .and_then(|c| c.time_zone.as_deref())
            .and_then(|z| TimeZone::parse(z).ok())
            .unwrap_or_else(|| shop.time_zone.clone());
        let now = self.facts.now;
        in_quiet_hours(now, &shop.quiet_hours, &tz)
            .then(|| quiet_hours_end(now, &shop.quiet_hours, &tz))
    }
}

fn single_line(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
