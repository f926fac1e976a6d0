//! Spin's key-value store (`default`), for what may be lost.
//!
//! Nothing correct depends on it: a missing store, an error or a flushed Redis costs only the
//! call the entry saved. It holds CDEK's OAuth token until shortly before it expires, keyed by
//! a digest of the API address and credentials (never the credentials themselves), so a tick
//! or a webhook confirmation asks CDEK for one call instead of two.

use sha2::{Digest, Sha256};
use spin_sdk::key_value::Store;

/// The store, opened on first use: a request that needs nothing from it never opens it
/// (opening a Redis store that is down can take Spin minutes).
pub struct Cache(std::cell::OnceCell<Option<Store>>);

impl Cache {
    /// The `default` store, opened when first asked; without one (not in the component's
    /// `key_value_stores`, or the backend is down) every lookup misses.
    pub fn open() -> Cache {
        Cache(std::cell::OnceCell::new())
    }

    fn store(&self) -> Option<&Store> {
        self.0.get_or_init(|| Store::open_default().ok()).as_ref()
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.store()?.get(key).ok().flatten()
    }

    /// Keeps `value` under `key`; a failure is logged and otherwise ignored.
    pub fn set(&self, key: &str, value: &[u8]) {
        if let Some(store) = self.store() {
            if let Err(error) = store.set(key, value) {
                eprintln!("key-value store: cannot keep {key}: {error}");
            }
        }
    }

    /// Forgets `key`.
    pub fn delete(&self, key: &str) {
        if let Some(store) = self.store() {
            let _ = store.delete(key);
        }
    }
}

/// A key naming `parts` by digest, so secrets among them never appear in the store.
pub fn key(prefix: &str, parts: &[&str]) -> String {
    let mut digest = Sha256::new();
    for part in parts {
        digest.update((part.len() as u64).to_be_bytes());
        digest.update(part.as_bytes());
    }
    let hex: String = digest.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{prefix}:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_names_its_parts_by_digest_only() {
        let k = key("cdek-token", &["https://api.cdek.ru", "id", "s3cret"]);
        assert!(k.starts_with("cdek-token:"));
        assert_eq!(k.len(), "cdek-token:".len() + 32);
        assert!(!k.contains("s3cret") && !k.contains("cdek.ru"));
        // Parts are delimited: moving a character between them changes the key.
        assert_ne!(
            k,
            key("cdek-token", &["https://api.cdek.ru", "ids", "3cret"])
        );
    }
}
