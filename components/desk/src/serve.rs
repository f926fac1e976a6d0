//! Which bytes and headers answer a desk path: no I/O here, so it reads top to bottom.

use crate::Asset;

/// Scripts and styles only from the app itself, no inline script, no framing; the API is on
/// the same origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

pub enum Verb {
    Get,
    Head,
    Other,
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: &'static [u8],
}

/// The file a path names; `None` for `/desk` itself.
fn asset_name(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/desk").unwrap_or(path);
    Some(match rest {
        "" => return None,
        "/" | "/index.html" => "index.html",
        "/login" | "/login/" => "login.html",
        other => other.trim_start_matches('/'),
    })
}

/// Whether answering this path needs no session: public files, and what is not a file.
pub fn is_public(assets: &[Asset], path: &str) -> bool {
    asset_name(path).is_none_or(|name| {
        assets
            .iter()
            .find(|a| a.name == name)
            .is_none_or(|a| a.public)
    })
}

pub fn reply(
    assets: &'static [Asset],
    verb: Verb,
    path: &str,
    signed_in: bool,
    accepts_gzip: bool,
) -> Reply {
    let head = match verb {
        Verb::Get => false,
        Verb::Head => true,
        Verb::Other => {
            return plain(405, "method not allowed\n").with("allow", "GET, HEAD".into());
        }
    };
    // `/desk` itself: the same page, at the address its relative links expect.
    let Some(name) = asset_name(path) else {
        return redirect("/desk/");
    };
    let Some(asset) = assets.iter().find(|a| a.name == name) else {
        return plain(404, "not found\n");
    };
    if !asset.public && !signed_in {
        return redirect("/desk/login");
    }
    let cache = if asset.hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut reply = Reply {
        status: 200,
        headers: vec![
            ("content-type", asset.content_type.into()),
            ("cache-control", cache.into()),
            ("x-content-type-options", "nosniff".into()),
            ("referrer-policy", "same-origin".into()),
            ("vary", "Accept-Encoding".into()),
        ],
        body: asset.body,
    };
    if asset.content_type.starts_with("text/html") {
        reply.headers.push(("content-security-policy", CSP.into()));
        reply.headers.push(("x-frame-options", "DENY".into()));
    }
    if let (true, Some(gzip)) = (accepts_gzip, asset.gzip) {
        reply.headers.push(("content-encoding", "gzip".into()));
        reply.body = gzip;
    }
    reply
        .headers
        .push(("content-length", reply.body.len().to_string()));
    if head {
        reply.body = b"";
    }
    reply
}

impl Reply {
    fn with(mut self, name: &'static str, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }
}

fn plain(status: u16, text: &'static str) -> Reply {
    Reply {
        status,
        headers: vec![
            ("content-type", "text/plain; charset=utf-8".into()),
            ("cache-control", "no-store".into()),
            ("x-content-type-options", "nosniff".into()),
        ],
        body: text.as_bytes(),
    }
}

fn redirect(to: &str) -> Reply {
    plain(303, "").with("location", to.into())
}

/// `gzip` among the accepted encodings, unless refused with `q=0`.
pub fn accepts_gzip(header: &str) -> bool {
    header.split(',').any(|part| {
        let mut pieces = part.split(';').map(str::trim);
        let coding = pieces.next().unwrap_or_default();
        let refused = pieces.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}
