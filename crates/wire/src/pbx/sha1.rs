//! HMAC-SHA1, which Zadarma signs its notifications with (RustCrypto's `sha1` under the `hmac`
//! the other signatures use). SHA-1's collision weakness does not matter for an HMAC, which needs
//! the key to forge.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// HMAC-SHA1 of `message` under `key` (RFC 2104).
pub(crate) fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}
