//! Keyed fingerprints: how logs, events, rate-limit keys and table items name
//! a user or a client without carrying the address or IP itself.
//!
//! A fingerprint is HMAC-SHA-256 under a secret key, cut to 128 bits. The key
//! is derived once per process from a KMS HMAC key (see [`crate::derived_key`]),
//! so it never sits in a template, an environment variable or a
//! table, and nobody who reads the stack, the logs or the table can test a
//! list of addresses against the fingerprints offline. (A plain hash, even
//! salted with something public like the stack id, can be reversed that way.)

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::derived_key::Derived;

/// Fingerprints under one key.
#[derive(Clone)]
pub struct Fingerprints {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Fingerprints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprints(<key>)")
    }
}

impl Fingerprints {
    /// Fingerprints under `key` (any length; HMAC hashes a long one).
    pub fn from_key(key: &[u8]) -> Self {
        Self {
            mac: <Hmac<Sha256> as KeyInit>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length")),
        }
    }

    /// The first 128 bits of HMAC-SHA-256(key, `value`), as 32 hex digits.
    /// Stable for one key, so one user's steps can be followed across
    /// services.
    pub fn of(&self, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes()[..16])
    }
}

impl Derived for Fingerprints {
    const LABEL: &'static [u8] = b"magiclink fingerprint key v1";
    const NAME: &'static str = "fingerprint";

    fn from_key(key: &[u8]) -> Self {
        Self::from_key(key)
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]])
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_value() {
        // printf v | openssl dgst -sha256 -hmac k | cut -c1-32 (of the hex)
        let k = Fingerprints::from_key(b"k");
        assert_eq!(k.of("v"), "c5d4be1992d50d3b41f9a21292fc67a2");
    }

    #[test]
    fn another_key_or_value_gives_another_fingerprint() {
        let k = Fingerprints::from_key(b"k");
        assert_eq!(k.of("v").len(), 32);
        assert_eq!(k.of("v"), k.of("v"));
        assert_ne!(k.of("v"), Fingerprints::from_key(b"l").of("v"));
        assert_ne!(k.of("v"), k.of("w"));
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let k = Fingerprints::from_key(b"secret key");
        assert_eq!(format!("{k:?}"), "Fingerprints(<key>)");
    }
}
