//! Spin's HTTP routing (`spin_http::routes`, which sits on the `routefinder` crate).
//!
//! Routes are exact (`/cart`), end in a trailing wildcard (`/users/...`, also `/users/*`) or
//! contain single-segment captures (`/users/:id/edit`). Candidate routes are ranked the way
//! routefinder ranks them — segment by segment, exact text beats a `:capture`, which beats a
//! wildcard; if one route is a prefix of the other the shorter wins — so an exact route beats
//! a wildcard and the longest wildcard prefix wins. The first ranked route that matches takes
//! the request. Leading and trailing slashes of the request path are ignored for matching,
//! but the trailing-wildcard part (`spin-path-info`) keeps a trailing slash, as Spin does.

use std::cmp::Ordering;
use std::collections::HashMap;

use anyhow::{bail, Result};

/// One routable entry handed to [`Router::build`].
#[derive(Debug, Clone)]
pub struct RouteEntry {
    /// Component id (or other lookup key) that handles the route.
    pub target: String,
    /// The route as written in the manifest; `None` for `{ private = true }`.
    pub route: Option<String>,
}

/// A route that was replaced by a later one with the same pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRoute {
    /// The pattern.
    pub route: String,
    /// The target that will never be reached.
    pub replaced: String,
    /// The target that wins.
    pub effective: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Slash,
    Exact(String),
    Param(String),
    Wildcard,
}

impl Seg {
    fn rank(&self) -> u8 {
        match self {
            Seg::Slash => 0,
            Seg::Wildcard => 1,
            Seg::Param(_) => 2,
            Seg::Exact(_) => 3,
        }
    }
}

#[derive(Debug, Clone)]
struct Route {
    target: String,
    raw: String,
    based: String,
    segments: Vec<Seg>,
    wildcard: bool,
}

/// The outcome of routing a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    /// Target (component id).
    pub target: String,
    /// The route with the base applied (`spin-matched-route`).
    pub based_route: String,
    /// The route as written (`spin-raw-component-route`).
    pub raw_route: String,
    /// The route as written without a trailing `/...` (`spin-component-route`).
    pub raw_route_or_prefix: String,
    /// The part of the path matched by a trailing wildcard (`spin-path-info`).
    pub path_info: String,
    /// `:name` captures in route order.
    pub captures: Vec<(String, String)>,
}

/// A built routing table.
#[derive(Debug, Clone, Default)]
pub struct Router {
    ranked: Vec<Route>,
    in_order: Vec<(String, String, bool)>,
}

impl Router {
    /// Builds the table; later duplicates replace earlier ones (reported in the second value).
    pub fn build(entries: &[RouteEntry]) -> Result<(Self, Vec<DuplicateRoute>)> {
        let mut routes: Vec<Route> = Vec::new();
        let mut duplicates = Vec::new();
        for entry in entries {
            let Some(raw) = &entry.route else { continue };
            let route = parse_route(&entry.target, raw).map_err(|e| {
                anyhow::anyhow!(
                    "Error parsing route {raw} associated with component {}: {e}",
                    entry.target
                )
            })?;
            if let Some(existing) = routes.iter_mut().find(|r| r.raw == route.raw) {
                duplicates.push(DuplicateRoute {
                    route: if route.based.is_empty() {
                        "/".into()
                    } else {
                        route.based.clone()
                    },
                    replaced: existing.target.clone(),
                    effective: route.target.clone(),
                });
                *existing = route;
            } else {
                routes.push(route);
            }
        }
        let in_order = routes
            .iter()
            .map(|r| {
                let path = if r.wildcard {
                    r.based.trim_end_matches("/...").trim_end_matches("/*")
                } else {
                    r.based.as_str()
                };
                let path = if path.is_empty() { "/" } else { path };
                (r.target.clone(), path.to_string(), r.wildcard)
            })
            .collect();
        let mut ranked = routes;
        ranked.sort_by(|a, b| compare(&a.segments, &b.segments));
        Ok((Self { ranked, in_order }, duplicates))
    }

    /// Routes in manifest order as `(target, path, is_wildcard)`, for startup output.
    pub fn routes(&self) -> &[(String, String, bool)] {
        &self.in_order
    }

    /// The best route for `path` (the URI path, without query), if any.
    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let trimmed = path.trim_start_matches('/').trim_end_matches('/');
        self.ranked.iter().find_map(|r| {
            let (captures, wild) = match_segments(&r.segments, trimmed)?;
            let path_info = match wild {
                None => String::new(),
                Some(w) => match (w.is_empty(), path.ends_with('/')) {
                    (true, false) => String::new(),
                    (true, true) => "/".to_string(),
                    (false, false) => format!("/{w}"),
                    (false, true) => format!("/{w}/"),
                },
            };
            Some(RouteMatch {
                target: r.target.clone(),
                based_route: r.based.clone(),
                raw_route: r.raw.clone(),
                raw_route_or_prefix: r.raw.strip_suffix("/...").unwrap_or(&r.raw).to_string(),
                path_info,
                captures,
            })
        })
    }
}

impl RouteMatch {
    /// Captures as a map.
    pub fn named(&self) -> HashMap<&str, &str> {
        self.captures
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

fn parse_route(target: &str, raw: &str) -> Result<Route> {
    let absolute = if raw.starts_with('/') {
        raw.to_string()
    } else {
        format!("/{raw}")
    };
    let based = absolute
        .strip_suffix('/')
        .map(str::to_string)
        .unwrap_or(absolute);
    let (prefix, wildcard) = if let Some(p) = based.strip_suffix("/...") {
        (p, true)
    } else if let Some(p) = based.strip_suffix("/*") {
        (p, true)
    } else {
        (based.as_str(), false)
    };
    let mut segments = Vec::new();
    let trimmed = prefix.trim_start_matches('/').trim_end_matches('/');
    for (i, section) in trimmed.split('/').enumerate() {
        if section.is_empty() {
            continue;
        }
        if i > 0 && !segments.is_empty() {
            segments.push(Seg::Slash);
        }
        segments.push(if let Some(name) = section.strip_prefix(':') {
            if name.is_empty() {
                bail!("params must be named");
            }
            Seg::Param(name.to_string())
        } else if section == "*" {
            bail!("wildcard must be the terminal segment");
        } else {
            Seg::Exact(section.to_string())
        });
    }
    if wildcard {
        if !segments.is_empty() {
            segments.push(Seg::Slash);
        }
        segments.push(Seg::Wildcard);
    }
    Ok(Route {
        target: target.to_string(),
        raw: raw.to_string(),
        based,
        segments,
        wildcard,
    })
}

/// routefinder's order: the better route sorts first.
fn compare(a: &[Seg], b: &[Seg]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        match x.rank().cmp(&y.rank()) {
            Ordering::Equal => {}
            other => return other.reverse(),
        }
    }
    a.len().cmp(&b.len())
}

type Captured = (Vec<(String, String)>, Option<String>);

fn match_segments(segments: &[Seg], mut path: &str) -> Option<Captured> {
    let mut captures = Vec::new();
    let mut wild = None;
    let mut iter = segments.iter().peekable();
    while let Some(seg) = iter.next() {
        match seg {
            Seg::Exact(e) => path = path.strip_prefix(e.as_str())?,
            Seg::Param(name) => {
                if path.is_empty() {
                    return None;
                }
                let end = path.find('/').unwrap_or(path.len());
                captures.push((name.clone(), path[..end].to_string()));
                path = &path[end..];
            }
            Seg::Slash => match (path.chars().next(), iter.peek()) {
                (Some('/'), Some(_)) => path = &path[1..],
                (None, None) | (None, Some(Seg::Wildcard)) => {}
                _ => return None,
            },
            Seg::Wildcard => {
                wild = Some(path.to_string());
                path = "";
            }
        }
    }
    path.is_empty().then_some((captures, wild))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        let entries: Vec<RouteEntry> = routes
            .iter()
            .map(|(t, r)| RouteEntry {
                target: t.to_string(),
                route: Some(r.to_string()),
            })
            .collect();
        Router::build(&entries).expect("routes").0
    }

    fn target(r: &Router, path: &str) -> Option<String> {
        r.route(path).map(|m| m.target)
    }

    #[test]
    fn exact_beats_wildcard_and_longest_prefix_wins() {
        let r = router(&[
            ("all", "/..."),
            ("one", "/one/..."),
            ("onetwo", "/one/two/..."),
            ("exact", "/one/two"),
        ]);
        assert_eq!(target(&r, "/one/two").as_deref(), Some("exact"));
        assert_eq!(target(&r, "/one/two/three").as_deref(), Some("onetwo"));
        assert_eq!(target(&r, "/one/x").as_deref(), Some("one"));
        assert_eq!(target(&r, "/one").as_deref(), Some("one"));
        assert_eq!(target(&r, "/onex").as_deref(), Some("all"));
        assert_eq!(target(&r, "/").as_deref(), Some("all"));
    }

    #[test]
    fn no_match_and_exact_only() {
        let r = router(&[("cart", "/cart")]);
        assert_eq!(target(&r, "/cart").as_deref(), Some("cart"));
        assert_eq!(target(&r, "/cart/").as_deref(), Some("cart"));
        assert_eq!(target(&r, "/cart/x"), None);
        assert_eq!(target(&r, "/car"), None);
    }

    #[test]
    fn path_info_keeps_trailing_slash() {
        let r = router(&[("c", "/test/...")]);
        let info = |p: &str| r.route(p).map(|m| m.path_info);
        assert_eq!(info("/test").as_deref(), Some(""));
        assert_eq!(info("/test/").as_deref(), Some("/"));
        assert_eq!(info("/test/hello").as_deref(), Some("/hello"));
        assert_eq!(info("/test/hello/").as_deref(), Some("/hello/"));
    }

    #[test]
    fn star_suffix_is_a_trailing_wildcard() {
        let r = router(&[("c", "/files/*")]);
        let m = r.route("/files/a/b").expect("match");
        assert_eq!(m.path_info, "/a/b");
        assert_eq!(m.raw_route_or_prefix, "/files/*");
    }

    #[test]
    fn named_captures_and_route_headers() {
        let r = router(&[("c", "/users/:userid/cart/...")]);
        let m = r.route("/users/1/cart/items/3/edit").expect("match");
        assert_eq!(m.named()["userid"], "1");
        assert_eq!(m.path_info, "/items/3/edit");
        assert_eq!(m.based_route, "/users/:userid/cart/...");
        assert_eq!(m.raw_route_or_prefix, "/users/:userid/cart");
        assert!(r.route("/users").is_none());
    }

    #[test]
    fn duplicates_last_wins_and_private_is_unroutable() {
        let entries = vec![
            RouteEntry {
                target: "first".into(),
                route: Some("/foo".into()),
            },
            RouteEntry {
                target: "second".into(),
                route: Some("/foo".into()),
            },
            RouteEntry {
                target: "private".into(),
                route: None,
            },
        ];
        let (r, dups) = Router::build(&entries).expect("build");
        assert_eq!(target(&r, "/foo").as_deref(), Some("second"));
        assert_eq!(dups.len(), 1);
        assert_eq!(dups[0].replaced, "first");
        assert_eq!(r.routes().len(), 1);
    }

    #[test]
    fn relative_routes_are_absolutized() {
        let r = router(&[("c", "api/...")]);
        let m = r.route("/api/x").expect("match");
        assert_eq!(m.based_route, "/api/...");
        assert_eq!(m.raw_route, "api/...");
    }

    #[test]
    fn exact_segment_beats_capture() {
        let r = router(&[("param", "/users/:id"), ("me", "/users/me")]);
        assert_eq!(target(&r, "/users/me").as_deref(), Some("me"));
        assert_eq!(target(&r, "/users/7").as_deref(), Some("param"));
        assert_eq!(r.route("/users/7").expect("m").named()["id"], "7");
    }
}
