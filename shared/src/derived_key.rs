//! Secrets derived from KMS HMAC keys: the MAC of a fixed label under a key
//! that never leaves KMS, computed once per process (`GenerateMac`) and kept
//! in memory only. So the secret never sits in a template, an environment
//! variable or a table, and who may derive it is what the KMS key's policy
//! says.

use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::MacAlgorithmSpec;
use tokio::sync::OnceCell;

use crate::aws::CallError;

pub use magiclink_core::derived_key::Derived;

/// Derives `T` from the KMS HMAC key `key_id`.
pub async fn derive<T: Derived>(kms: &aws_sdk_kms::Client, key_id: &str) -> Result<T, CallError> {
    let output = kms
        .generate_mac()
        .key_id(key_id)
        .mac_algorithm(MacAlgorithmSpec::HmacSha256)
        .message(Blob::new(T::LABEL))
        .send()
        .await
        .map_err(|e| CallError::from_sdk("KMS GenerateMac", &e))?;
    let mac = output
        .mac()
        .ok_or_else(|| CallError::unexpected("KMS GenerateMac", "no MAC in the answer"))?;
    Ok(T::from_key(mac.as_ref()))
}

/// A process's copy of a derived secret: derived on first use (or at
/// start-up, with [`LazyKey::preload`]) and kept. A failed derivation is tried
/// again at the next use, so a KMS outage at a cold start delays the work
/// rather than breaking the process.
#[derive(Debug, Clone)]
pub struct LazyKey<T> {
    kms: aws_sdk_kms::Client,
    key_id: String,
    derived: OnceCell<T>,
}

impl<T: Derived> LazyKey<T> {
    pub fn new(kms: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        Self {
            kms,
            key_id: key_id.into(),
            derived: OnceCell::new(),
        }
    }

    /// The secret, derived if this is the first use.
    pub async fn get(&self) -> Result<&T, CallError> {
        self.derived
            .get_or_try_init(|| derive(&self.kms, &self.key_id))
            .await
    }

    /// Derives the secret now, at start-up, so that no request waits on KMS;
    /// a failure is logged and tried again on first use.
    pub async fn preload(&self) {
        if let Err(e) = self.get().await {
            tracing::warn!(error = %e, key = T::NAME, "key not derived yet");
        }
    }
}
