//! Checking link tokens offline: the accepted public keys, fetched from KMS
//! once per key and kept for the life of the process.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::SystemTime;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_smithy_types::error::display::DisplayErrorContext;
use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey;

use super::{Expectations, TokenClaims, TokenError, UnverifiedToken};
use crate::email::EmailAddress;

/// The public keys of the configured `kid`s. A `kid` outside the configured
/// set is refused without any call to KMS, so a forged header cannot make the
/// verifier fetch arbitrary keys.
#[derive(Debug)]
pub struct KeyRing {
    kms: aws_sdk_kms::Client,
    accepted: Vec<String>,
    cache: RwLock<HashMap<String, VerifyingKey>>,
}

impl KeyRing {
    pub fn new(kms: aws_sdk_kms::Client, accepted: Vec<String>) -> Self {
        Self {
            kms,
            accepted,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Fetches every accepted key now, so that no verification waits on KMS.
    pub async fn preload(&self) -> Result<(), TokenError> {
        for kid in &self.accepted {
            self.key(kid).await?;
        }
        Ok(())
    }

    /// The public key for `kid`, from the cache or, the first time, from KMS.
    pub async fn key(&self, kid: &str) -> Result<VerifyingKey, TokenError> {
        if !self.accepted.iter().any(|k| k == kid) {
            return Err(TokenError::UnknownKey);
        }
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let key = self.fetch(kid).await?;
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(kid.to_owned(), key);
        }
        Ok(key)
    }

    fn cached(&self, kid: &str) -> Option<VerifyingKey> {
        self.cache.read().ok()?.get(kid).copied()
    }

    async fn fetch(&self, kid: &str) -> Result<VerifyingKey, TokenError> {
        let output = self
            .kms
            .get_public_key()
            .key_id(kid)
            .send()
            .await
            .map_err(|e| TokenError::KeyUnavailable(DisplayErrorContext(&e).to_string()))?;
        let unusable = |why: &str| TokenError::KeyUnavailable(format!("key {kid}: {why}"));
        if output.key_spec() != Some(&KeySpec::EccNistP256) {
            return Err(unusable("not ECC_NIST_P256"));
        }
        if output.key_usage() != Some(&KeyUsageType::SignVerify) {
            return Err(unusable("not a SIGN_VERIFY key"));
        }
        let der = output
            .public_key()
            .ok_or_else(|| unusable("no public key"))?;
        VerifyingKey::from_public_key_der(der.as_ref())
            .map_err(|_| unusable("unreadable public key"))
    }
}

/// Verifies link tokens: the signature with a [`KeyRing`] key, then the claims.
#[derive(Debug)]
pub struct LinkVerifier {
    keys: KeyRing,
    issuer: String,
}

impl LinkVerifier {
    pub fn new(keys: KeyRing, issuer: impl Into<String>) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
        }
    }

    /// The key ring, for preloading at start-up.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Checks `token` for the user `subject`, signing in through `audience`
    /// (see [`super::audience`]), at time `now`.
    pub async fn verify(
        &self,
        token: &str,
        subject: &EmailAddress,
        audience: &str,
        now: SystemTime,
    ) -> Result<TokenClaims, TokenError> {
        let unverified = UnverifiedToken::parse(token)?;
        let key = self.keys.key(unverified.key_id()).await?;
        let expect = Expectations {
            issuer: &self.issuer,
            audience,
            subject,
        };
        unverified.verify(&key, expect, now)
    }
}
