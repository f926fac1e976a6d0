//! The status path: which statuses an order can have and which changes between them are
//! allowed. [`StatusPath::default_path`] is the table in `docs/order-events.md`.

mod default;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::message::Language;

/// One status of the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusDef {
    /// The code used in events and the database, e.g. `no-answer-1`.
    pub code: String,
    /// The group code: `new`, `approval`, `payment`, `assembly`, `delivery`, `done`, `cancel`.
    pub group: String,
    /// What operators and customers see in Russian.
    pub label_ru: String,
    /// What operators and customers see in English.
    pub label_en: String,
    /// V7: orders in this status wait for stock; a stock post that covers one of them
    /// reserves its items and raises `stock.changed` (in stock). `waits_for_stock = true` in
    /// `statuses.toml`.
    #[serde(default)]
    pub waits_for_stock: bool,
}

impl StatusDef {
    /// The label in the given language.
    pub fn label(&self, lang: Language) -> &str {
        match lang {
            Language::Ru => &self.label_ru,
            Language::En => &self.label_en,
        }
    }
}

/// The result of an allowed status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The order moves to another status.
    Changed,
    /// The new status is the current one: nothing to do.
    Unchanged,
}

/// Why a status change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The status is not part of the path.
    #[error("unknown status {0:?}")]
    UnknownStatus(String),
    /// Both statuses exist but the matrix does not allow this change.
    #[error("status change from {from:?} to {to:?} is not allowed")]
    Forbidden {
        /// The current status.
        from: String,
        /// The requested status.
        to: String,
    },
}

/// Why a custom status path is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusPathError {
    /// Two statuses share a code.
    #[error("status {0:?} is defined twice")]
    DuplicateStatus(String),
    /// A status of a finished group (`done`, `cancel`) is said to wait for stock.
    #[error("status {0:?} is finished, so it cannot wait for stock")]
    FinishedWaitsForStock(String),
    /// A transition names a status that is not defined.
    #[error("transition {from:?} → {to:?} names an unknown status")]
    UnknownInTransition {
        /// Where the transition starts.
        from: String,
        /// Where it leads.
        to: String,
    },
}

/// Status groups of orders that are over.
const FINISHED_GROUPS: [&str; 2] = ["done", "cancel"];

/// Statuses and the transitions allowed between them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusPath {
    statuses: Vec<StatusDef>,
    /// `allowed[i]` lists the indexes reachable from `statuses[i]`.
    allowed: Vec<Vec<usize>>,
}

impl StatusPath {
    /// Builds a path from status definitions and `(from, to)` pairs, checking that every
    /// pair names defined statuses.
    pub fn new(
        statuses: Vec<StatusDef>,
        transitions: &[(&str, &str)],
    ) -> Result<StatusPath, StatusPathError> {
        for (i, status) in statuses.iter().enumerate() {
            if statuses[..i].iter().any(|s| s.code == status.code) {
                return Err(StatusPathError::DuplicateStatus(status.code.clone()));
            }
            if status.waits_for_stock && FINISHED_GROUPS.contains(&status.group.as_str()) {
                return Err(StatusPathError::FinishedWaitsForStock(status.code.clone()));
            }
        }
        let mut path = StatusPath {
            allowed: vec![Vec::new(); statuses.len()],
            statuses,
        };
        for &(from, to) in transitions {
            match (path.index(from), path.index(to)) {
                (Some(f), Some(t)) => {
                    if !path.allowed[f].contains(&t) {
                        path.allowed[f].push(t);
                    }
                }
                _ => {
                    return Err(StatusPathError::UnknownInTransition {
                        from: from.to_owned(),
                        to: to.to_owned(),
                    })
                }
            }
        }
        Ok(path)
    }

    /// The default path of `docs/order-events.md`.
    pub fn default_path() -> StatusPath {
        default::build()
    }

    /// The definition of a status, if it exists.
    pub fn get(&self, code: &str) -> Option<&StatusDef> {
        self.index(code).map(|i| &self.statuses[i])
    }

    /// All statuses in path order.
    pub fn statuses(&self) -> &[StatusDef] {
        &self.statuses
    }

    /// Statuses whose group means the order is over (`done`, `cancel`): a call is never
    /// about them.
    pub fn finished(&self) -> Vec<&str> {
        self.statuses
            .iter()
            .filter(|s| FINISHED_GROUPS.contains(&s.group.as_str()))
            .map(|s| s.code.as_str())
            .collect()
    }

    /// V7: the statuses whose orders wait for stock (`waits_for_stock`); a stock post serves
    /// them, and O6 leaves them alone.
    pub fn waiting_for_stock(&self) -> Vec<&str> {
        self.statuses
            .iter()
            .filter(|s| s.waits_for_stock)
            .map(|s| s.code.as_str())
            .collect()
    }

    /// P4: an order leaves a status of the `assembly` group for another `assembly` or a
    /// `delivery` status only with every item reserved.
    pub fn needs_reserved_items(&self, from: &str, to: &str) -> bool {
        let group = |code: &str| self.get(code).map(|s| s.group.as_str());
        group(from) == Some("assembly") && matches!(group(to), Some("assembly" | "delivery"))
    }

    /// The statuses an order in `code` may move to (empty for unknown and final statuses).
    pub fn allowed_from(&self, code: &str) -> Vec<&str> {
        self.index(code)
            .map(|i| {
                self.allowed[i]
                    .iter()
                    .map(|&t| self.statuses[t].code.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// True for a known status that allows no further change.
    pub fn is_final(&self, code: &str) -> bool {
        self.index(code).is_some_and(|i| self.allowed[i].is_empty())
    }

    /// Decides whether an order in `from` may move to `to`. The same status again is allowed
    /// as [`Transition::Unchanged`].
    pub fn check(&self, from: &str, to: &str) -> Result<Transition, TransitionError> {
        let f = self
            .index(from)
            .ok_or_else(|| TransitionError::UnknownStatus(from.to_owned()))?;
        let t = self
            .index(to)
            .ok_or_else(|| TransitionError::UnknownStatus(to.to_owned()))?;
        if f == t {
            Ok(Transition::Unchanged)
        } else if self.allowed[f].contains(&t) {
            Ok(Transition::Changed)
        } else {
            Err(TransitionError::Forbidden {
                from: from.to_owned(),
                to: to.to_owned(),
            })
        }
    }

    fn index(&self, code: &str) -> Option<usize> {
        self.statuses.iter().position(|s| s.code == code)
    }
}

impl Default for StatusPath {
    fn default() -> Self {
        StatusPath::default_path()
    }
}
