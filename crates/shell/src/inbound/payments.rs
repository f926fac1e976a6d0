//! Payments as they were reported, and what they do to their orders.
//!
//! Every notice is kept as it came (the raw notification, the provider's name for it), once
//! per payment, outcome and operation: a notice repeated under another event id is a
//! [`Receipt::Duplicate`] and changes nothing. A notice finds its order by the order id the
//! provider carried or, for a refund that names only its payment, through the payment's other
//! reports. The core then decides ([`payment::judge_payment`]): apply it (the payment triggers
//! run), hold it for a person (another amount or currency, or no amount at all → a task for
//! the order's manager), or keep it in the history only (a failure after the success of this
//! or any other payment of the order: an order never moves back).
//!
//! A payment the acquirer marked as a test is kept as `test_ignored` and settles nothing
//! unless `accept_test_payments` is on ([`TestPayments`]).
//!
//! Nothing is dropped: a notice for an order we do not know yet waits as `unknown_order` with
//! a task; when the order arrives ([`link_waiting`], from `order.created`), it is settled like
//! a fresh notice and its task is closed.

use orderpath_core::event::{OrderId, PaymentOutcome};
use orderpath_core::payment::{
    self, Earlier, PaidOrder, PaymentNotice, PaymentVerdict, TestPayments,
};
use orderpath_core::task;
use orderpath_wire::acquirer::ReportedPayment;
use serde_json::json;
use spin_sdk::sqlite::RowResult;

use crate::config::{self, ConfigError};
use crate::db::{get_int, get_text, int, opt_text, req_int, req_text, text, Db, DbError};
use crate::plans::automation::Run;
use crate::repo::orders::{self, HistoryEntry, Outcome};
use crate::repo::tasks;

/// Who closes a payment's task when its order turns up.
const SYSTEM_ACTOR: &str = "orderpath";

/// A payment notice to keep and act on.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// Who reported it: the acquirer's name, or `orders` for the shop's own webhook.
    pub source: &'a str,
    /// The inbound event behind it (the provider's idempotency key).
    pub event_id: &'a str,
    /// The provider's own name for what happened (`payment.succeeded`, `CONFIRMED`).
    pub what: &'a str,
    /// The payment, in our terms.
    pub payment: &'a ReportedPayment,
    /// The notification as it came (body or query), kept for people to read.
    pub raw: Option<&'a str>,
    /// Whether a payment the acquirer marked as a test settles its order.
    pub tests: TestPayments,
}

/// `accept_test_payments`: whether test (sandbox) payments settle orders (default: no).
pub fn test_payments() -> Result<TestPayments, ConfigError> {
    let name = "accept_test_payments";
    TestPayments::parse(&config::var(name)?).map_err(|reason| ConfigError::Invalid { name, reason })
}

/// What became of a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// This payment, outcome and operation were already recorded: nothing changed.
    Duplicate,
    /// Kept and settled against its order.
    Settled {
        /// The order.
        order_id: String,
        /// `applied`, `superseded`, `amount_mismatch`, `currency_mismatch` or
        /// `amount_unknown`.
        state: &'static str,
        /// Messages the payment triggers queued: send them after commit.
        messages: Vec<i64>,
    },
    /// Kept until its order is known; a task asks a person to look.
    UnknownOrder,
    /// A test payment while test payments are not accepted: kept as `test_ignored`, nothing
    /// else changed (no status, message or task).
    TestIgnored {
        /// The order it named, when we have it.
        order_id: Option<String>,
    },
}

/// Keeps a payment notice and settles it when its order is known. Runs inside the request's
/// transaction (`run.db`).
pub fn receive(run: &Run<'_>, received: &Received<'_>) -> Result<Receipt, DbError> {
    let db = run.db;
    let payment = received.payment;
    let order_id = find_order(db, received.source, payment)?;
    let ignored = received.tests.ignores(payment.test);
    let state = if ignored {
        "test_ignored"
    } else if order_id.is_some() {
        "applied"
    } else {
        "unknown_order"
    };
    let inserted = db.row(
        "INSERT INTO payments (source, payment_id, operation_id, order_ref, order_id, status,
                               amount, currency, reason, state, test, what, raw, event_id,
                               received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (source, payment_id, status, operation_id) WHERE payment_id IS NOT NULL
         DO NOTHING
         RETURNING id",
        &[
            text(received.source),
            text(payment.payment_id.as_str()),
            text(payment.operation_id.as_deref().unwrap_or("")),
            opt_text(payment.order_ref.as_deref()),
            opt_text(order_id.as_deref()),
            text(payment.outcome.as_str()),
            payment.amount.map_or(spin_sdk::sqlite::Value::Null, int),
            opt_text(payment.currency.as_deref()),
            opt_text(payment.reason.as_deref()),
            text(state),
            int(i64::from(payment.test)),
            text(received.what),
            opt_text(received.raw),
            text(received.event_id),
            text(run.now.to_rfc3339()),
        ],
    )?;
    let Some(row) = inserted else {
        return Ok(Receipt::Duplicate);
    };
    if ignored {
        return Ok(Receipt::TestIgnored { order_id });
    }
    let stored = Stored::from_received(req_int(&row, 0)?, received);
    match order_id {
        Some(order_id) => {
            let mut messages = Vec::new();
            let state = settle(run, &stored, &order_id, &mut messages)?;
            Ok(Receipt::Settled {
                order_id,
                state,
                messages,
            })
        }
        None => {
            unknown_order_task(run, &stored)?;
            Ok(Receipt::UnknownOrder)
        }
    }
}

/// Settles the payments that waited for `order_id` (it was just created); returns the
/// messages their triggers queued.
pub fn link_waiting(run: &Run<'_>, order_id: &str) -> Result<Vec<i64>, DbError> {
    let rows = run.db.execute(
        &format!(
            "SELECT {STORED_COLUMNS} FROM payments
             WHERE order_ref = ? AND state = 'unknown_order' ORDER BY id"
        ),
        &[text(order_id)],
    )?;
    let mut messages = Vec::new();
    for row in &rows.rows {
        let stored = Stored::from_row(row)?;
        settle(run, &stored, order_id, &mut messages)?;
    }
    Ok(messages)
}

/// The order a notice is for: the one it names, if we have it; otherwise the order its
/// payment's other reports were settled with.
fn find_order(db: &Db, source: &str, payment: &ReportedPayment) -> Result<Option<String>, DbError> {
    if let Some(reference) = payment.order_ref.as_deref() {
        if orders::exists(db, reference)? {
            return Ok(Some(reference.to_owned()));
        }
        return Ok(None);
    }
    let row = db.row(
        "SELECT order_id FROM payments
         WHERE source = ? AND payment_id = ? AND order_id IS NOT NULL
           AND state <> 'test_ignored' LIMIT 1",
        &[text(source), text(payment.payment_id.as_str())],
    )?;
    row.map(|r| req_text(&r, 0)).transpose()
}

/// A kept notice, as settling needs it.
struct Stored {
    id: i64,
    source: String,
    payment_id: String,
    outcome: PaymentOutcome,
    amount: Option<i64>,
    currency: Option<String>,
    reason: Option<String>,
    event_id: String,
    order_ref: Option<String>,
}

const STORED_COLUMNS: &str =
    "id, source, payment_id, status, amount, currency, reason, event_id, order_ref";

impl Stored {
    fn from_received(id: i64, received: &Received<'_>) -> Stored {
        let p = received.payment;
        Stored {
            id,
            source: received.source.to_owned(),
            payment_id: p.payment_id.clone(),
            outcome: p.outcome,
            amount: p.amount,
            currency: p.currency.clone(),
            reason: p.reason.clone(),
            event_id: received.event_id.to_owned(),
            order_ref: p.order_ref.clone(),
        }
    }

    fn from_row(row: &RowResult) -> Result<Stored, DbError> {
        let status = req_text(row, 3)?;
        Ok(Stored {
            id: req_int(row, 0)?,
            source: req_text(row, 1)?,
            payment_id: get_text(row, 2)?.unwrap_or_default(),
            outcome: PaymentOutcome::parse(&status)
                .ok_or(DbError::Shape("payments.status is not an outcome"))?,
            amount: get_int(row, 4)?,
            currency: get_text(row, 5)?,
            reason: get_text(row, 6)?,
            event_id: req_text(row, 7)?,
            order_ref: get_text(row, 8)?,
        })
    }

    fn notice(&self) -> PaymentNotice<'_> {
        PaymentNotice {
            outcome: self.outcome,
            amount: self.amount,
            currency: self.currency.as_deref(),
        }
    }

    fn task_ref(&self) -> task::PaymentRef<'_> {
        task::PaymentRef {
            row: self.id,
            source: &self.source,
            payment_id: &self.payment_id,
        }
    }
}

/// Decides and executes what a kept notice does to `order_id`; records the state.
fn settle(
    run: &Run<'_>,
    stored: &Stored,
    order_id: &str,
    messages: &mut Vec<i64>,
) -> Result<&'static str, DbError> {
    let db = run.db;
    let order = payable_order(db, order_id)?.ok_or(DbError::Shape(
        "a payment's order vanished while settling it",
    ))?;
    let (currency, manager) = (order.currency.as_str(), order.manager.clone());
    let outcomes = earlier_outcomes(db, stored)?;
    let earlier = Earlier {
        outcomes: &outcomes,
        order_paid: order_paid(db, order_id, stored.id)?,
    };
    let verdict = payment::judge_payment(stored.notice(), order.paid(), earlier);
    let (state, reason) = match &verdict {
        PaymentVerdict::Apply(_) => ("applied", None),
        PaymentVerdict::Superseded(by) => ("superseded", Some(format!("already {}", by.as_str()))),
        PaymentVerdict::Hold(problem) => (
            problem.code(),
            Some(task::describe_problem(problem, currency)),
        ),
    };
    db.execute(
        "UPDATE payments SET order_id = ?, state = ?, linked_at = ? WHERE id = ?",
        &[
            text(order_id),
            text(state),
            text(run.now.to_rfc3339()),
            int(stored.id),
        ],
    )?;
    close_unknown_order_task(run, stored.id)?;
    orders::record_history(
        db,
        &HistoryEntry {
            order_id,
            actor: &format!("webhook:{}", stored.source),
            actor_name: None,
            field: "payment",
            old_value: None,
            new_value: Some(
                json!({ "status": stored.outcome.as_str(), "amount": stored.amount,
                        "currency": stored.currency, "payment_id": stored.payment_id,
                        "source": stored.source, "state": state })
                .to_string(),
            ),
            outcome: if state == "applied" {
                Outcome::Applied
            } else {
                Outcome::Refused
            },
            reason: reason.as_deref().or(stored.reason.as_deref()),
            event_id: Some(&stored.event_id),
        },
        run.now,
    )?;
    match verdict {
        PaymentVerdict::Apply(event) => {
            messages.extend(run.handle(order_id, event)?.messages);
        }
        PaymentVerdict::Hold(problem) => {
            let assignee = tasks::manager_or_role(manager.as_deref());
            let plan = task::payment_held(order_id, &problem, currency, stored.task_ref());
            tasks::create_planned(db, &plan, (Some(order_id), &assignee), run.now)?;
        }
        PaymentVerdict::Superseded(_) => {}
    }
    // Reports of the same payment that named no order (a refund that came first) follow it,
    // whatever became of this one; one at a time, as settling one may settle the others.
    while let Some(row) = db.row(
        &format!(
            "SELECT {STORED_COLUMNS} FROM payments
             WHERE source = ? AND payment_id = ? AND state = 'unknown_order'
               AND order_ref IS NULL ORDER BY id LIMIT 1"
        ),
        &[
            text(stored.source.as_str()),
            text(stored.payment_id.as_str()),
        ],
    )? {
        settle(run, &Stored::from_row(&row)?, order_id, messages)?;
    }
    Ok(state)
}

/// What a payment needs to know of its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayableOrder {
    /// The order's id.
    pub id: OrderId,
    /// Its currency.
    pub currency: String,
    /// What the customer owes, minor units.
    pub total: i64,
    /// Its status.
    pub status: String,
    /// Its manager, when it has one.
    pub manager: Option<String>,
}

impl PayableOrder {
    /// The order as the core's payment decisions take it.
    pub fn paid(&self) -> PaidOrder<'_> {
        PaidOrder {
            id: &self.id,
            currency: &self.currency,
            total: self.total,
        }
    }
}

/// The order a payment names, `None` when there is no such order.
pub fn payable_order(db: &Db, order_id: &str) -> Result<Option<PayableOrder>, DbError> {
    let Some(row) = db.row(
        "SELECT id, currency, total, status, manager FROM orders WHERE id = ?",
        &[text(order_id)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(PayableOrder {
        id: OrderId::parse(&req_text(&row, 0)?)
            .map_err(|_| DbError::Shape("stored order id is invalid"))?,
        currency: req_text(&row, 1)?,
        total: req_int(&row, 2)?,
        status: req_text(&row, 3)?,
        manager: get_text(&row, 4)?,
    }))
}

/// Whether `order_id` is already paid, by any payment and source besides the notice
/// `except` being settled: a success applied to it with no refund applied after it, or a
/// payment status of `paid` (also when a person marked it so).
fn order_paid(db: &Db, order_id: &str, except: i64) -> Result<bool, DbError> {
    let row = db.row(
        "SELECT EXISTS (
             SELECT 1 FROM payments s
             WHERE s.order_id = ?1 AND s.id <> ?2 AND s.status = 'succeeded'
               AND s.state = 'applied'
               AND NOT EXISTS (
                   SELECT 1 FROM payments r
                   WHERE r.order_id = ?1 AND r.status = 'refunded' AND r.state = 'applied'
                     AND r.id > s.id))
             OR EXISTS (SELECT 1 FROM orders WHERE id = ?1 AND payment_status = 'paid')",
        &[text(order_id), int(except)],
    )?;
    Ok(row.map(|r| req_int(&r, 0)).transpose()?.unwrap_or(0) != 0)
}

/// The outcomes of the same payment's other reports, whatever their state (test payments
/// that were ignored aside).
fn earlier_outcomes(db: &Db, stored: &Stored) -> Result<Vec<PaymentOutcome>, DbError> {
    let rows = db.execute(
        "SELECT status FROM payments
         WHERE source = ? AND payment_id = ? AND id <> ? AND state <> 'test_ignored'",
        &[
            text(stored.source.as_str()),
            text(stored.payment_id.as_str()),
            int(stored.id),
        ],
    )?;
    rows.rows
        .iter()
        .map(|row| {
            PaymentOutcome::parse(&req_text(row, 0)?)
                .ok_or(DbError::Shape("payments.status is not an outcome"))
        })
        .collect()
}

/// What is wrong, for a person; amounts in the order's currency.
/// A task to find the order of a payment nobody can match yet.
fn unknown_order_task(run: &Run<'_>, stored: &Stored) -> Result<(), DbError> {
    let plan = task::payment_without_order(
        stored.task_ref(),
        stored.order_ref.as_deref(),
        stored.outcome,
        (stored.amount, stored.currency.as_deref()),
    );
    tasks::create_planned(run.db, &plan, (None, "role:manager"), run.now)?;
    Ok(())
}

fn close_unknown_order_task(run: &Run<'_>, payment_row: i64) -> Result<(), DbError> {
    tasks::complete_by_key(
        run.db,
        &task::payment_without_order_key(payment_row),
        SYSTEM_ACTOR,
        run.now,
    )
}
