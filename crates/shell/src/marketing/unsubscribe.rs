//! The signed unsubscribe link every marketing email carries (and its `List-Unsubscribe`
//! headers, RFC 2369 and RFC 8058).
//!
//! The link is `{public_url}/unsubscribe/{customer id}.{mac}`, where the mac is the first 16
//! bytes of HMAC-SHA256 over `unsubscribe:{customer id}` with the `unsubscribe_secret`
//! variable, base64url without padding. It never expires (a link in an old email must still
//! work) and names nobody: it carries only the customer's number, which the mac protects from
//! being changed. Checked in constant time.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::{self, Secret};

/// The route the `site-events` component serves the link on.
pub const PATH: &str = "/unsubscribe/";

/// What links are made with: the app's public address and the signing key.
#[derive(Debug, Clone)]
pub struct Signer {
    base: String,
    key: Secret,
}

impl Signer {
    /// From `public_url` and `unsubscribe_secret`; `None` while either is unset (marketing
    /// email is then refused: it could not carry a working link).
    pub fn from_variables() -> Option<Signer> {
        let base = config::optional_base_url("public_url").ok().flatten()?;
        let key = config::secret("unsubscribe_secret").ok()?;
        Signer::new(&base, key)
    }

    /// A signer for `base` (`https://host[:port]`) with `key` (at least 16 characters).
    pub fn new(base: &str, key: Secret) -> Option<Signer> {
        (key.expose().len() >= 16).then(|| Signer {
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    /// The customer's link.
    pub fn url(&self, customer_id: i64) -> String {
        format!("{}{PATH}{}", self.base, token(&self.key, customer_id))
    }

    /// The headers a marketing email carries: the link, and one-click unsubscribing.
    pub fn headers(&self, customer_id: i64) -> Vec<(String, String)> {
        vec![
            (
                "List-Unsubscribe".into(),
                format!("<{}>", self.url(customer_id)),
            ),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ]
    }
}

fn mac(key: &Secret, customer_id: i64) -> [u8; 16] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(format!("unsubscribe:{customer_id}").as_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0; 16];
    out.copy_from_slice(&full[..16]);
    out
}

/// `{customer id}.{mac}`.
pub fn token(key: &Secret, customer_id: i64) -> String {
    format!(
        "{customer_id}.{}",
        URL_SAFE_NO_PAD.encode(mac(key, customer_id))
    )
}

/// The customer a token names, when its mac is right.
pub fn verify(key: &Secret, token: &str) -> Option<i64> {
    let (id, given) = token.split_once('.')?;
    if id.is_empty() || id.len() > 19 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: i64 = id.parse().ok()?;
    let given = URL_SAFE_NO_PAD.decode(given).ok()?;
    let expected = mac(key, id);
    (given.len() == expected.len() && bool::from(given.ct_eq(&expected))).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Secret {
        Secret::new("a-long-enough-signing-key")
    }

    #[test]
    fn a_token_names_its_customer_and_nobody_else() {
        let t = token(&key(), 42);
        assert!(t.starts_with("42."));
        assert_eq!(verify(&key(), &t), Some(42));
        let other = t.replacen("42.", "43.", 1);
        assert_eq!(verify(&key(), &other), None);
        assert_eq!(verify(&Secret::new("another-signing-key!!"), &t), None);
        for bad in ["", "42", "42.", "x.abc", ".abc", "42.!!!", "-1.abc"] {
            assert_eq!(verify(&key(), bad), None, "{bad}");
        }
    }

    #[test]
    fn the_headers_carry_the_link_and_one_click() {
        let signer = Signer::new("https://shop.example/", key()).expect("a signer");
        let headers = signer.headers(7);
        assert_eq!(
            headers[0],
            (
                "List-Unsubscribe".to_owned(),
                format!("<https://shop.example/unsubscribe/{}>", token(&key(), 7))
            )
        );
        assert_eq!(headers[1].1, "List-Unsubscribe=One-Click");
        assert!(Signer::new("https://x", Secret::new("short")).is_none());
    }
}
