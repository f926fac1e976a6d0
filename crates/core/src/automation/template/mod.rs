//! A small template language for messages, parsed once and rendered against JSON.
//!
//! `{{ order.id }}` substitutes a value (missing values render empty), `{{ order.total | money }}`
//! and `{{ order.callback_at | date }}` format it, `{% if path %}…{% else %}…{% endif %}`
//! (also `{% if not path %}`) chooses by truthiness (null, false, 0, "" and empty lists are
//! false), `{% for item in order.items %}…{% endfor %}` repeats. A tag alone on its line
//! takes the whole line with it, so block tags do not leave blank lines. In HTML bodies every
//! substituted value is escaped.

pub(crate) mod render;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

pub use render::RenderEnv;

/// Why a template cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TemplateError {
    /// 1-based line in the template text.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A formatting filter after `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Minor units to money in `order.currency` and the message language.
    Money,
    /// Unix seconds to `dd.mm.yyyy`, shop-local.
    Date,
    /// Unix seconds to `HH:MM`, shop-local.
    Time,
    /// Unix seconds to `dd.mm.yyyy HH:MM`, shop-local.
    DateTime,
}

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Literal text.
    Text(String),
    /// `{{ path | filter }}`.
    Value {
        /// Dotted path, split.
        path: Vec<String>,
        /// Filters in order.
        filters: Vec<Filter>,
    },
    /// `{% if [not] path %}`.
    If {
        /// `if not`.
        negate: bool,
        /// The tested path.
        path: Vec<String>,
        /// Rendered when the test holds.
        then: Vec<Node>,
        /// Rendered otherwise.
        otherwise: Vec<Node>,
    },
    /// `{% for var in path %}`.
    For {
        /// The loop variable.
        var: String,
        /// The list.
        path: Vec<String>,
        /// Rendered per element.
        body: Vec<Node>,
    },
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    nodes: Vec<Node>,
}

enum Token {
    Text(String),
    Value(String, usize),
    Tag(String, usize),
}

impl Template {
    /// Parses template text.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let tokens = tokenize(src)?;
        let mut iter = tokens.into_iter();
        let (nodes, end) = block(&mut iter)?;
        match end {
            None => Ok(Template { nodes }),
            Some((tag, line)) => Err(err(line, format!("{{% {tag} %}} without an opening tag"))),
        }
    }

    /// The parsed nodes.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The first segments of every path used, loop variables excluded: `order`, `customer`, …
    pub fn roots(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        collect_roots(&self.nodes, &mut Vec::new(), &mut out);
        out
    }
}

fn collect_roots(nodes: &[Node], bound: &mut Vec<String>, out: &mut BTreeSet<String>) {
    fn add(path: &[String], bound: &[String], out: &mut BTreeSet<String>) {
        if let Some(first) = path.first() {
            if !bound.contains(first) {
                out.insert(first.clone());
            }
        }
    }
    for node in nodes {
        match node {
            Node::Text(_) => {}
            Node::Value { path, .. } => add(path, bound, out),
            Node::If {
                path,
                then,
                otherwise,
                ..
            } => {
                add(path, bound, out);
                collect_roots(then, bound, out);
                collect_roots(otherwise, bound, out);
            }
            Node::For { var, path, body } => {
                add(path, bound, out);
                bound.push(var.clone());
                collect_roots(body, bound, out);
                bound.pop();
            }
        }
    }
}

fn err(line: usize, message: String) -> TemplateError {
    TemplateError { line, message }
}

fn tokenize(src: &str) -> Result<Vec<Token>, TemplateError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let next = [src[i..].find("{{"), src[i..].find("{%")]
            .into_iter()
            .flatten()
            .min();
        let Some(rel) = next else {
            tokens.push(Token::Text(src[i..].to_owned()));
            break;
        };
        let pos = i + rel;
        let mut text = src[i..pos].to_owned();
        let is_tag = src[pos..].starts_with("{%");
        let line = 1 + src[..pos].matches('\n').count();
        let close = if is_tag { "%}" } else { "}}" };
        let Some(len) = src[pos + 2..].find(close) else {
            return Err(err(
                line,
                format!("{} is never closed with {close}", &src[pos..pos + 2]),
            ));
        };
        let inner = src[pos + 2..pos + 2 + len].trim().to_owned();
        let mut after = pos + 2 + len + 2;
        if is_tag {
            let line_start = src[..pos].rfind('\n').map_or(0, |n| n + 1);
            let rest_end = src[after..].find('\n').map_or(src.len(), |n| after + n);
            let blank = |s: &str| s.chars().all(|c| c == ' ' || c == '\t' || c == '\r');
            if blank(&src[line_start..pos]) && blank(&src[after..rest_end]) {
                text.truncate(text.trim_end_matches([' ', '\t']).len());
                after = (rest_end + 1).min(src.len());
            }
        }
        if !text.is_empty() {
            tokens.push(Token::Text(text));
        }
        tokens.push(if is_tag {
            Token::Tag(inner, line)
        } else {
            Token::Value(inner, line)
        });
        i = after;
    }
    Ok(tokens)
}

type End = Option<(String, usize)>;

/// Reads nodes until a closing tag (`else`, `endif`, `endfor`) or the end.
fn block(tokens: &mut std::vec::IntoIter<Token>) -> Result<(Vec<Node>, End), TemplateError> {
    let mut nodes = Vec::new();
    while let Some(token) = tokens.next() {
        match token {
            Token::Text(t) => nodes.push(Node::Text(t)),
            Token::Value(expr, line) => {
                let mut parts = expr.split('|');
                let path = parse_path(parts.next().unwrap_or_default(), line)?;
                let filters = parts
                    .map(|f| match f.trim() {
                        "money" => Ok(Filter::Money),
                        "date" => Ok(Filter::Date),
                        "time" => Ok(Filter::Time),
                        "datetime" => Ok(Filter::DateTime),
                        other => Err(err(
                            line,
                            format!(
                                "unknown filter {other:?} (known: money, date, time, datetime)"
                            ),
                        )),
                    })
                    .collect::<Result<_, _>>()?;
                nodes.push(Node::Value { path, filters });
            }
            Token::Tag(tag, line) => {
                let words: Vec<&str> = tag.split_whitespace().collect();
                match words.as_slice() {
                    ["if", "not", path] | ["if", path] => {
                        let negate = words.len() == 3;
                        let path = parse_path(path, line)?;
                        let (then, end) = block(tokens)?;
                        let otherwise = match end.as_ref().map(|(t, _)| t.as_str()) {
                            Some("else") => match block(tokens)? {
                                (nodes, Some((t, _))) if t == "endif" => nodes,
                                _ => {
                                    return Err(err(
                                        line,
                                        "{% if %} is never closed with {% endif %}".into(),
                                    ))
                                }
                            },
                            Some("endif") => Vec::new(),
                            _ => {
                                return Err(err(
                                    line,
                                    "{% if %} is never closed with {% endif %}".into(),
                                ))
                            }
                        };
                        nodes.push(Node::If {
                            negate,
                            path,
                            then,
                            otherwise,
                        });
                    }
                    ["for", var, "in", path] => {
                        let var = (*var).to_owned();
                        if !is_name(&var) {
                            return Err(err(line, format!("{var:?} is not a loop variable name")));
                        }
                        let path = parse_path(path, line)?;
                        let (body, end) = block(tokens)?;
                        if end.as_ref().map(|(t, _)| t.as_str()) != Some("endfor") {
                            return Err(err(
                                line,
                                "{% for %} is never closed with {% endfor %}".into(),
                            ));
                        }
                        nodes.push(Node::For { var, path, body });
                    }
                    ["else"] | ["endif"] | ["endfor"] => return Ok((nodes, Some((tag, line)))),
                    _ => {
                        return Err(err(
                            line,
                            format!(
                                "unknown tag {{% {tag} %}} (known: if, else, endif, for, endfor)"
                            ),
                        ))
                    }
                }
            }
        }
    }
    Ok((nodes, None))
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn parse_path(text: &str, line: usize) -> Result<Vec<String>, TemplateError> {
    let text = text.trim();
    let path: Vec<String> = text.split('.').map(str::to_owned).collect();
    if path.iter().all(|s| is_name(s)) {
        Ok(path)
    } else {
        Err(err(
            line,
            format!("{text:?} is not a value path (write e.g. order.id)"),
        ))
    }
}
