//! Keyed fingerprints: how logs, events, rate-limit keys and table items name
//! a user or a client without carrying the address or IP itself.
//!
//! A fingerprint is HMAC-SHA-256 under a secret key, cut to 128 bits. The key
//! is derived once per process from a KMS HMAC key (`GenerateMac` over a
//! fixed label), so it never sits in a template, an environment variable or a
//! table, and nobody who reads the stack, the logs or the table can test a
//! list of addresses against the fingerprints offline. (A plain hash, even
//! salted with something public like the stack id, can be reversed that way.)

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::MacAlgorithmSpec;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::OnceCell;

use crate::aws::CallError;

/// What the fingerprint key is derived from: the MAC of this label.
const LABEL: &[u8] = b"magiclink fingerprint key v1";

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

    /// The key derived from the KMS HMAC key `key_id`.
    pub async fn derive(kms: &aws_sdk_kms::Client, key_id: &str) -> Result<Self, CallError> {
        let output = kms
            .generate_mac()
            .key_id(key_id)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .message(Blob::new(LABEL))
            .send()
            .await
            .map_err(|e| CallError::from_sdk("KMS GenerateMac", &e))?;
        let mac = output
            .mac()
            .ok_or_else(|| CallError::unexpected("KMS GenerateMac", "no MAC in the answer"))?;
        Ok(Self::from_key(mac.as_ref()))
    }
}

/// The fingerprint key of a process: derived through KMS on first use (or at
/// start-up, with [`FingerprintKey::preload`]) and kept. A failed derivation
/// is tried again at the next use, so a KMS outage at a cold start delays the
/// work rather than breaking the process.
#[derive(Debug, Clone)]
pub struct FingerprintKey {
    kms: aws_sdk_kms::Client,
    key_id: String,
    derived: OnceCell<Fingerprints>,
}

impl FingerprintKey {
    pub fn new(kms: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Self {
            kms,
            key_id: key_id.into(),
            derived: OnceCell::new(),
        }
    }

    /// The fingerprints, deriving the key if this is the first use.
    pub async fn get(&self) -> Result<&Fingerprints, CallError> {
        self.derived
            .get_or_try_init(|| Fingerprints::derive(&self.kms, &self.key_id))
            .await
    }

    /// Derives the key now, at start-up, so that no request waits on KMS; a
    /// failure is logged and tried again on first use.
    pub async fn preload(&self) {
        if let Err(e) = self.get().await {
            tracing::warn!(error = %e, "fingerprint key not derived yet");
        }
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
