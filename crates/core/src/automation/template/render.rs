//! Rendering a parsed template against a JSON context.

use serde_json::Value;

use super::{Filter, Node, Span, Template};
use crate::automation::time::TimeZone;
use crate::message::{escape_html, Language};
use crate::money::{format_amount, Currency};

/// How values are formatted.
#[derive(Debug, Clone, Copy)]
pub struct RenderEnv<'a> {
    /// Language of money amounts.
    pub language: Language,
    /// Zone of the `date`/`time` filters (the shop's).
    pub time_zone: &'a TimeZone,
    /// Escape substituted values for HTML.
    pub html: bool,
}

impl Template {
    /// Renders against `context`; `order.currency` (default RUB) is the currency of `money`.
    pub fn render(&self, context: &Value, env: &RenderEnv<'_>) -> String {
        let currency = context
            .pointer("/order/currency")
            .and_then(Value::as_str)
            .and_then(|c| Currency::parse(c).ok())
            .unwrap_or_else(Currency::rub);
        let mut out = String::new();
        let r = Renderer {
            source: &self.source,
            context,
            env,
            currency,
        };
        r.nodes(&self.nodes, &mut Vec::new(), &mut out);
        out
    }
}

struct Renderer<'a> {
    source: &'a str,
    context: &'a Value,
    env: &'a RenderEnv<'a>,
    currency: Currency,
}

type Scope<'v> = Vec<(&'v str, &'v Value)>;

impl<'a> Renderer<'a> {
    fn nodes<'v>(&self, nodes: &'v [Node], scope: &mut Scope<'v>, out: &mut String)
    where
        'a: 'v,
    {
        for node in nodes {
            match node {
                Node::Text(t) => out.push_str(&self.source[t.clone()]),
                Node::Value { path, filters } => {
                    let value = self.lookup(path, scope);
                    let text = self.format(value, filters);
                    if self.env.html {
                        out.push_str(&escape_html(&text));
                    } else {
                        out.push_str(&text);
                    }
                }
                Node::If {
                    negate,
                    path,
                    then,
                    otherwise,
                } => {
                    let holds = truthy(self.lookup(path, scope)) != *negate;
                    self.nodes(if holds { then } else { otherwise }, scope, out);
                }
                Node::For { var, path, body } => {
                    if let Some(Value::Array(items)) = self.lookup(path, scope) {
                        for item in items {
                            scope.push((&self.source[var.clone()], item));
                            self.nodes(body, scope, out);
                            scope.pop();
                        }
                    }
                }
            }
        }
    }

    /// The value at a dotted path: the first segment is a loop variable or a context key.
    fn lookup<'v>(&self, path: &Span, scope: &Scope<'v>) -> Option<&'v Value>
    where
        'a: 'v,
    {
        let mut segments = self.source[path.clone()].split('.');
        let first = segments.next()?;
        let mut value: &'v Value = match scope.iter().rev().find(|(n, _)| *n == first) {
            Some((_, v)) => v,
            None => self.context.get(first)?,
        };
        for seg in segments {
            value = match value {
                Value::Object(map) => map.get(seg)?,
                Value::Array(list) => list.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(value)
    }

    fn format(&self, value: Option<&Value>, filters: &[Filter]) -> String {
        let Some(value) = value else {
            return String::new();
        };
        let Some(filter) = filters.first() else {
            return plain(value);
        };
        let mut text = match (filter, value.as_i64()) {
            (Filter::Money, Some(minor)) => format_amount(minor, &self.currency, self.env.language),
            (Filter::Date, Some(t)) => self.env.time_zone.civil(t).date(),
            (Filter::Time, Some(t)) => self.env.time_zone.civil(t).time(),
            (Filter::DateTime, Some(t)) => self.env.time_zone.civil(t).to_string(),
            _ => plain(value),
        };
        // Filters after the first apply to the text, where only plain output makes sense.
        if filters.len() > 1 {
            text = self.format(Some(&Value::String(text)), &filters[1..]);
        }
        text
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(plain)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => String::new(),
        other => other.to_string(),
    }
}

/// Null, false, 0, "" and empty lists or objects are false.
pub(crate) fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}
