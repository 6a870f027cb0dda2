//! Checking link tokens offline: the accepted public keys, given to the
//! verifier in its configuration as a JSON Web Key Set, so that no sign-in,
//! not even a cold start's first, waits on KMS.
//!
//! The set is read from KMS once, at deploy time, by the `keys` custom
//! resource (`magiclink::token::fetch_public_key`); public keys are not secret, so they may
//! sit in a function's environment.

use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::VerifyingKey;
use serde::{Deserialize, Serialize};

use super::{Expectations, TokenClaims, TokenError, UnverifiedToken};
use crate::email::EmailAddress;

/// Why a key set could not be read or made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    #[error("the key set is not a JSON Web Key Set: {0}")]
    NotAKeySet(String),
    #[error("the key set is empty")]
    Empty,
    #[error("key {kid:?}: {why}")]
    Unusable { kid: String, why: &'static str },
    #[error("key {0:?} is listed twice")]
    Duplicate(String),
    #[error("KMS did not give key {kid:?}: {error}")]
    Kms { kid: String, error: String },
}

/// One key of a set, as RFC 7517/7518 write an EC public key.
#[derive(Debug, Serialize, Deserialize)]
struct Jwk {
    kty: String,
    crv: String,
    kid: String,
    x: String,
    y: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    usage: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

/// The public keys of the accepted `kid`s. A `kid` outside the set is
/// refused, so a forged header cannot name a key of its own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl PublicKeys {
    /// Reads a JSON Web Key Set of P-256 keys (`kty` `EC`, `crv` `P-256`,
    /// each with its `kid`; an `alg` other than `ES256` or a `use` other than
    /// `sig` is refused).
    pub fn from_jwks(text: &str) -> Result<Self, KeySetError> {
        let set: Jwks =
            serde_json::from_str(text).map_err(|e| KeySetError::NotAKeySet(e.to_string()))?;
        if set.keys.is_empty() {
            return Err(KeySetError::Empty);
        }
        let mut keys = Self::default();
        for jwk in set.keys {
            let unusable = |why| KeySetError::Unusable {
                kid: jwk.kid.clone(),
                why,
            };
            if jwk.kid.is_empty() {
                return Err(unusable("no kid"));
            }
            if jwk.kty != "EC" || jwk.crv != "P-256" {
                return Err(unusable("not a P-256 key"));
            }
            if jwk.alg.as_deref().is_some_and(|alg| alg != "ES256")
                || jwk.usage.as_deref().is_some_and(|usage| usage != "sig")
            {
                return Err(unusable("not for ES256 signatures"));
            }
            let coordinate = |value: &str| {
                URL_SAFE_NO_PAD
                    .decode(value)
                    .ok()
                    .filter(|bytes| bytes.len() == 32)
            };
            let (Some(x), Some(y)) = (coordinate(&jwk.x), coordinate(&jwk.y)) else {
                return Err(unusable("x and y must be 32 bytes of base64url"));
            };
            let mut point = Vec::with_capacity(65);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            let key = VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| unusable("not a point of the curve"))?;
            keys.insert(jwk.kid, key)?;
        }
        Ok(keys)
    }

    /// The set as a JSON Web Key Set (each key with `alg` `ES256`, `use`
    /// `sig`), as [`Self::from_jwks`] reads it.
    pub fn to_jwks(&self) -> String {
        let keys = self
            .keys
            .iter()
            .map(|(kid, key)| {
                let point = key.to_sec1_point(false);
                let coordinates = point.as_bytes();
                Jwk {
                    kty: "EC".into(),
                    crv: "P-256".into(),
                    kid: kid.clone(),
                    x: URL_SAFE_NO_PAD.encode(&coordinates[1..33]),
                    y: URL_SAFE_NO_PAD.encode(&coordinates[33..65]),
                    alg: Some("ES256".into()),
                    usage: Some("sig".into()),
                }
            })
            .collect();
        serde_json::to_string(&Jwks { keys }).unwrap_or_default()
    }

    /// Adds `key` under `kid`; a `kid` may appear once.
    pub fn insert(&mut self, kid: String, key: VerifyingKey) -> Result<(), KeySetError> {
        if self.keys.contains_key(&kid) {
            return Err(KeySetError::Duplicate(kid));
        }
        self.keys.insert(kid, key);
        Ok(())
    }

    /// The accepted key ids.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.keys().map(String::as_str)
    }

    /// The key for `kid`, if it is accepted.
    pub fn get(&self, kid: &str) -> Result<&VerifyingKey, TokenError> {
        self.keys.get(kid).ok_or(TokenError::UnknownKey)
    }
}

/// Verifies link tokens: the signature with a [`PublicKeys`] key, then the
/// claims.
#[derive(Debug, Clone)]
pub struct LinkVerifier {
    keys: PublicKeys,
    issuer: String,
}

impl LinkVerifier {
    pub fn new(keys: PublicKeys, issuer: impl Into<String>) -> Self {
        Self {
            keys,
            issuer: issuer.into(),
        }
    }

    /// Checks `token` for the user `subject`, signing in through `audience`
    /// (see [`super::audience`]), at time `now`.
    pub fn verify(
        &self,
        token: &str,
        subject: &EmailAddress,
        audience: &str,
        now: SystemTime,
    ) -> Result<TokenClaims, TokenError> {
        self.check(token, Some(subject), audience, now)
    }

    /// Checks `token` as [`Self::verify`] does, for whichever user it names:
    /// for an approval from another device, where nobody is signing in yet
    /// and the token's own challenge is what it must match.
    pub fn verify_any_subject(
        &self,
        token: &str,
        audience: &str,
        now: SystemTime,
    ) -> Result<TokenClaims, TokenError> {
        self.check(token, None, audience, now)
    }

    fn check(
        &self,
        token: &str,
        subject: Option<&EmailAddress>,
        audience: &str,
        now: SystemTime,
    ) -> Result<TokenClaims, TokenError> {
        let unverified = UnverifiedToken::parse(token)?;
        let key = self.keys.get(unverified.key_id())?;
        let expect = Expectations {
            issuer: &self.issuer,
            audience,
            subject,
        };
        unverified.verify(key, expect, now)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: a panic is how a test reports failure"
    )]

    use p256::ecdsa::SigningKey;
    use serde_json::{Value, json};

    use super::*;

    fn key(seed: u8) -> VerifyingKey {
        *SigningKey::from_slice(&[seed; 32]).unwrap().verifying_key()
    }

    fn set(pairs: &[(&str, u8)]) -> PublicKeys {
        let mut keys = PublicKeys::default();
        for (kid, seed) in pairs {
            keys.insert((*kid).into(), key(*seed)).unwrap();
        }
        keys
    }

    /// The one key of `jwks`, changed by `edit`, read back.
    fn edited(edit: impl FnOnce(&mut Value)) -> Result<PublicKeys, KeySetError> {
        let mut value: Value = serde_json::from_str(&set(&[("k1", 1)]).to_jwks()).unwrap();
        edit(&mut value["keys"][0]);
        PublicKeys::from_jwks(&value.to_string())
    }

    #[test]
    fn a_key_set_reads_back_as_it_was_written() {
        let keys = set(&[("k1", 1), ("arn:aws:kms:eu-west-1:1:key/k2", 2)]);
        let text = keys.to_jwks();
        assert_eq!(PublicKeys::from_jwks(&text), Ok(keys.clone()));
        assert_eq!(keys.get("k1"), Ok(&key(1)));
        assert_eq!(keys.get("k3"), Err(TokenError::UnknownKey));
        let first: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(first["keys"][1]["kty"], "EC");
        assert_eq!(first["keys"][1]["alg"], "ES256");
    }

    #[test]
    fn members_other_than_the_key_are_optional() {
        let keys = edited(|jwk| {
            let jwk = jwk.as_object_mut().unwrap();
            jwk.remove("alg");
            jwk.remove("use");
            jwk.insert("key_ops".into(), json!(["verify"]));
        })
        .unwrap();
        assert_eq!(keys.get("k1"), Ok(&key(1)));
    }

    #[test]
    fn a_key_that_is_not_an_es256_public_key_is_refused() {
        let unusable = |why| KeySetError::Unusable {
            kid: "k1".into(),
            why,
        };
        type Edit = fn(&mut Value);
        let cases: [(Edit, KeySetError); 7] = [
            (|k| k["kty"] = "RSA".into(), unusable("not a P-256 key")),
            (|k| k["crv"] = "P-384".into(), unusable("not a P-256 key")),
            (
                |k| k["alg"] = "HS256".into(),
                unusable("not for ES256 signatures"),
            ),
            (
                |k| k["use"] = "enc".into(),
                unusable("not for ES256 signatures"),
            ),
            (
                |k| k["x"] = "AAAA".into(),
                unusable("x and y must be 32 bytes of base64url"),
            ),
            (
                |k| k["y"] = "not base64url!".into(),
                unusable("x and y must be 32 bytes of base64url"),
            ),
            (
                |k| k["y"] = URL_SAFE_NO_PAD.encode([7u8; 32]).into(),
                unusable("not a point of the curve"),
            ),
        ];
        for (edit, error) in cases {
            assert_eq!(edited(edit), Err(error));
        }
        assert_eq!(
            edited(|k| k["kid"] = "".into()),
            Err(KeySetError::Unusable {
                kid: String::new(),
                why: "no kid"
            })
        );
    }

    #[test]
    fn a_set_that_is_empty_repeats_a_kid_or_is_not_json_is_refused() {
        assert_eq!(
            PublicKeys::from_jwks(r#"{"keys":[]}"#),
            Err(KeySetError::Empty)
        );
        let one: Value = serde_json::from_str(&set(&[("k1", 1)]).to_jwks()).unwrap();
        let twice = json!({"keys": [one["keys"][0], one["keys"][0]]});
        assert_eq!(
            PublicKeys::from_jwks(&twice.to_string()),
            Err(KeySetError::Duplicate("k1".into()))
        );
        for text in [
            "",
            "k1=abc",
            "[]",
            r#"{"keys":{}}"#,
            r#"{"keys":[{"kid":"k1"}]}"#,
        ] {
            assert!(
                matches!(PublicKeys::from_jwks(text), Err(KeySetError::NotAKeySet(_))),
                "{text}"
            );
        }
    }
}
