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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// A byte range of the template's source.
type Span = std::ops::Range<usize>;

/// One piece of a parsed template. Text, paths and names are ranges of the source rather
/// than strings of their own, which saves allocations: components parse every template on
/// every request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Node {
    /// Literal text.
    Text(#[serde(with = "span")] Span),
    /// `{{ path | filter }}`; the path is dotted (`order.id`).
    Value {
        #[serde(with = "span")]
        path: Span,
        filters: Vec<Filter>,
    },
    /// `{% if [not] path %}`.
    If {
        negate: bool,
        #[serde(with = "span")]
        path: Span,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    /// `{% for var in path %}`.
    For {
        #[serde(with = "span")]
        var: Span,
        #[serde(with = "span")]
        path: Span,
        body: Vec<Node>,
    },
}

/// A span kept as `[start, end]` in the compiled configuration.
mod span {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(span: &super::Span, out: S) -> Result<S::Ok, S::Error> {
        out.collect_seq([span.start, span.end])
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<super::Span, D::Error> {
        let [start, end] = <[usize; 2]>::deserialize(input)?;
        Ok(start..end)
    }
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

/// A piece of the source: literal text, or the trimmed inside of `{{ }}` / `{% %}` with
/// the offset of its opening braces (for the line in errors).
enum Token<'a> {
    Text(&'a str),
    Value(&'a str, usize),
    Tag(&'a str, usize),
}

impl Template {
    /// Parses template text.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let mut parser = Parser {
            src,
            tokens: tokenize(src)?.into_iter(),
        };
        let (nodes, end) = parser.block()?;
        match end {
            None => Ok(Template {
                source: src.to_owned(),
                nodes,
            }),
            Some((tag, at)) => Err(err(
                src,
                at,
                format!("{{% {tag} %}} without an opening tag"),
            )),
        }
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first segments of every path used, loop variables excluded: `order`, `customer`, …
    pub fn roots(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect_roots(&self.nodes, &mut Vec::new(), &mut out);
        out
    }

    fn collect_roots<'s>(
        &'s self,
        nodes: &[Node],
        bound: &mut Vec<&'s str>,
        out: &mut BTreeSet<String>,
    ) {
        let add = |path: &Span, bound: &[&str], out: &mut BTreeSet<String>| {
            let first = self.source[path.clone()]
                .split('.')
                .next()
                .unwrap_or_default();
            if !bound.contains(&first) {
                out.insert(first.to_owned());
            }
        };
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
                    self.collect_roots(then, bound, out);
                    self.collect_roots(otherwise, bound, out);
                }
                Node::For { var, path, body } => {
                    add(path, bound, out);
                    bound.push(&self.source[var.clone()]);
                    self.collect_roots(body, bound, out);
                    bound.pop();
                }
            }
        }
    }
}

impl Template {
    /// True when every piece points inside the source at character boundaries: a compiled
    /// configuration read back is checked with it, so a damaged file cannot make rendering fail.
    pub fn is_well_formed(&self) -> bool {
        fn ok(source: &str, span: &Span) -> bool {
            span.start <= span.end && source.get(span.clone()).is_some()
        }
        fn all(source: &str, nodes: &[Node]) -> bool {
            nodes.iter().all(|node| match node {
                Node::Text(span) => ok(source, span),
                Node::Value { path, .. } => ok(source, path),
                Node::If {
                    path,
                    then,
                    otherwise,
                    ..
                } => ok(source, path) && all(source, then) && all(source, otherwise),
                Node::For { var, path, body } => {
                    ok(source, var) && ok(source, path) && all(source, body)
                }
            })
        }
        all(&self.source, &self.nodes)
    }
}

/// An error about the tag or value whose opening braces are at byte `at` of `src`. Lines are
/// counted only here, so parsing a good template never scans for them.
fn err(src: &str, at: usize, message: String) -> TemplateError {
    TemplateError {
        line: 1 + src.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count(),
        message,
    }
}

fn tokenize(src: &str) -> Result<Vec<Token<'_>>, TemplateError> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let Some(pos) = next_opening(src, i) else {
            tokens.push(Token::Text(&src[i..]));
            break;
        };
        let mut text = &src[i..pos];
        let is_tag = src[pos..].starts_with("{%");
        let close = if is_tag { "%}" } else { "}}" };
        // Tags are short: a plain scan beats setting up a substring search.
        let Some(len) = src.as_bytes()[pos + 2..]
            .windows(2)
            .position(|pair| pair == close.as_bytes())
        else {
            return Err(err(
                src,
                pos,
                format!("{} is never closed with {close}", &src[pos..pos + 2]),
            ));
        };
        let inner = src[pos + 2..pos + 2 + len].trim();
        let mut after = pos + 2 + len + 2;
        if is_tag {
            let line_start = src[..pos].rfind('\n').map_or(0, |n| n + 1);
            let rest_end = src[after..].find('\n').map_or(src.len(), |n| after + n);
            let blank = |s: &str| s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r'));
            if blank(&src[line_start..pos]) && blank(&src[after..rest_end]) {
                text = text.trim_end_matches([' ', '\t']);
                after = (rest_end + 1).min(src.len());
            }
        }
        if !text.is_empty() {
            tokens.push(Token::Text(text));
        }
        tokens.push(if is_tag {
            Token::Tag(inner, pos)
        } else {
            Token::Value(inner, pos)
        });
        i = after;
    }
    Ok(tokens)
}

/// Where the next `{{` or `{%` starts, at or after `from`.
fn next_opening(src: &str, from: usize) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut at = from;
    while let Some(rel) = src[at..].find('{') {
        let pos = at + rel;
        if matches!(bytes.get(pos + 1), Some(b'{' | b'%')) {
            return Some(pos);
        }
        at = pos + 1;
    }
    None
}

type End<'a> = Option<(&'a str, usize)>;

/// Builds nodes from tokens; `src` is what the tokens are slices of.
struct Parser<'a> {
    src: &'a str,
    tokens: std::vec::IntoIter<Token<'a>>,
}

impl<'a> Parser<'a> {
    /// Reads nodes until a closing tag (`else`, `endif`, `endfor`) or the end.
    fn block(&mut self) -> Result<(Vec<Node>, End<'a>), TemplateError> {
        let mut nodes = Vec::new();
        while let Some(token) = self.tokens.next() {
            match token {
                Token::Text(t) => nodes.push(Node::Text(self.span(t))),
                Token::Value(expr, at) => {
                    let mut parts = expr.split('|');
                    let path = self.path(parts.next().unwrap_or_default(), at)?;
                    let filters = parts
                        .map(|f| match f.trim() {
                            "money" => Ok(Filter::Money),
                            "date" => Ok(Filter::Date),
                            "time" => Ok(Filter::Time),
                            "datetime" => Ok(Filter::DateTime),
                            other => Err(self.err(
                                at,
                                format!(
                                    "unknown filter {other:?} (known: money, date, time, datetime)"
                                ),
                            )),
                        })
                        .collect::<Result<_, _>>()?;
                    nodes.push(Node::Value { path, filters });
                }
                Token::Tag(tag, at) => {
                    let words: Vec<&str> = tag.split_whitespace().collect();
                    match words.as_slice() {
                        ["if", "not", path] | ["if", path] => {
                            let negate = words.len() == 3;
                            let path = self.path(path, at)?;
                            let (then, end) = self.block()?;
                            let otherwise = match end.map(|(t, _)| t) {
                                Some("else") => match self.block()? {
                                    (nodes, Some(("endif", _))) => nodes,
                                    _ => return Err(self.never_closed("if", "endif", at)),
                                },
                                Some("endif") => Vec::new(),
                                _ => return Err(self.never_closed("if", "endif", at)),
                            };
                            nodes.push(Node::If {
                                negate,
                                path,
                                then,
                                otherwise,
                            });
                        }
                        ["for", var, "in", path] => {
                            if !is_name(var) {
                                return Err(
                                    self.err(at, format!("{var:?} is not a loop variable name"))
                                );
                            }
                            let var = self.span(var);
                            let path = self.path(path, at)?;
                            let (body, end) = self.block()?;
                            if end.map(|(t, _)| t) != Some("endfor") {
                                return Err(self.never_closed("for", "endfor", at));
                            }
                            nodes.push(Node::For { var, path, body });
                        }
                        ["else" | "endif" | "endfor"] => return Ok((nodes, Some((tag, at)))),
                        _ => {
                            return Err(self.err(
                                at,
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

    fn err(&self, at: usize, message: String) -> TemplateError {
        err(self.src, at, message)
    }

    fn never_closed(&self, tag: &str, end: &str, at: usize) -> TemplateError {
        self.err(
            at,
            format!("{{% {tag} %}} is never closed with {{% {end} %}}"),
        )
    }

    /// Where `part`, a slice of the source, lies in it.
    fn span(&self, part: &str) -> Span {
        let start = part.as_ptr() as usize - self.src.as_ptr() as usize;
        start..start + part.len()
    }

    /// A dotted value path (`order.pickup_point.phone`).
    fn path(&self, text: &str, at: usize) -> Result<Span, TemplateError> {
        let text = text.trim();
        if is_path(text) {
            Ok(self.span(text))
        } else {
            Err(self.err(
                at,
                format!("{text:?} is not a value path (write e.g. order.id)"),
            ))
        }
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_name_byte)
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Names joined by single dots (`order.pickup_point.phone`), checked in one pass over the
/// bytes: every path of every template is checked on each request.
fn is_path(s: &str) -> bool {
    let mut previous = b'.';
    let valid = s.bytes().all(|b| {
        let ok = if b == b'.' {
            previous != b'.'
        } else {
            is_name_byte(b)
        };
        previous = b;
        ok
    });
    valid && previous != b'.'
}
