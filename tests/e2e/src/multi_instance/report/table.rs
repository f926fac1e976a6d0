//! The report as text: two Markdown tables, then the notes and the problems.

use std::fmt;

use super::{Report, EFFECTS};

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Per event: expected/actual in each cell, `!` where an event's own count is off.
        let width = self
            .per_event
            .iter()
            .map(|e| e.event.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        write!(f, "| {:<width$} |", "event")?;
        for effect in EFFECTS {
            write!(f, " {effect} |")?;
        }
        writeln!(f)?;
        write!(f, "|{}|", "-".repeat(width + 2))?;
        for effect in EFFECTS {
            write!(f, "{}:|", "-".repeat(effect.len() + 1))?;
        }
        writeln!(f)?;
        for row in &self.per_event {
            let pad = width - row.event.chars().count();
            write!(f, "| {}{} |", row.event, " ".repeat(pad))?;
            for (cell, effect) in row.cells.iter().zip(EFFECTS) {
                let text = format!(
                    "{}/{}{}",
                    cell.expected,
                    cell.actual,
                    if cell.exact() { "" } else { " WRONG" }
                );
                write!(f, " {text:>w$} |", w = effect.len())?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "(expected/actual over all orders; each event's own count checked too)"
        )?;
        writeln!(f)?;

        let width = self
            .rows
            .iter()
            .map(|r| r.effect.chars().count())
            .max()
            .unwrap_or(6)
            .max(6);
        writeln!(f, "| {:<width$} | expected | actual | |", "effect")?;
        writeln!(f, "|{}|---:|---:|---|", "-".repeat(width + 2))?;
        for row in &self.rows {
            let pad = width - row.effect.chars().count();
            writeln!(
                f,
                "| {}{} | {:>8} | {:>6} | {} |",
                row.effect,
                " ".repeat(pad),
                row.expected,
                row.actual,
                match (row.exact(), row.off) {
                    (true, _) => "ok".to_owned(),
                    (false, 0 | 1) => "WRONG".to_owned(),
                    (false, off) => format!("WRONG ({off} off)"),
                }
            )?;
        }
        writeln!(f)?;
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        for problem in &self.problems {
            writeln!(f, "PROBLEM: {problem}")?;
        }
        write!(
            f,
            "{}",
            if self.exact() {
                "every effect exactly once"
            } else {
                "NOT exactly once: see the rows marked WRONG and the problems"
            }
        )
    }
}
