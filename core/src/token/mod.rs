//! The link token: a JWS compact serialization, ES256, signed through KMS
//! (by `magiclink::token::LinkSigner`; this crate only reads and checks it).
//!
//! A token is `header.payload.signature`, each part base64url without padding.
//! The header is `{"alg":"ES256","typ":"JWT","kid":<KMS key id>}`; the payload
//! is [`TokenClaims`]. The mailer signs through KMS `Sign` (`LinkSigner`), so
//! no private key exists outside KMS; the verifier checks the signature
//! offline with the public keys of its configuration ([`LinkVerifier`]).
//!
//! Verification is strict and happens in a fixed order: the token's shape and
//! size, the header (only `ES256`, no `crit`, a `kid`), the key (only a
//! configured `kid`), the signature over the exact bytes received, and only
//! then the claims (issuer, expiry, issue time, subject). Each failure has its
//! own [`TokenError`] variant, so a rejection can be reported precisely.
//! Signature checking is the only comparison that involves a secret, and it is
//! done by the curve arithmetic of `p256`, not by comparing strings.

mod jws;
mod keys;

use serde::{Deserialize, Serialize};
use ulid::Ulid;

use crate::email::EmailAddress;

pub use jws::{MAX_TOKEN_LEN, UnverifiedToken, encode_signing_input, join_signature};
pub use keys::{KeySetError, LinkVerifier, PublicKeys};

/// The `aud` of a token for the app client `client_id` of the user pool
/// `pool_id`.
pub fn audience(pool_id: &str, client_id: &str) -> String {
    format!("{pool_id}/{client_id}")
}

/// The claims a link token carries. None of them is secret: the token's
/// power is its signature, and its one-time use is enforced by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The issuer, checked against the configured one.
    pub iss: String,
    /// The audience: `<user pool id>/<app client id>`, checked against the
    /// pool and client of the sign-in (the trigger's `userPoolId` and
    /// `callerContext.clientId`), so that a link made for one app client
    /// cannot sign in through another.
    pub aud: String,
    /// The user: the normalized address, which is the Cognito username.
    pub sub: EmailAddress,
    /// The challenge this link answers.
    pub jti: Ulid,
    /// Issued at, seconds since the epoch.
    pub iat: u64,
    /// Expires at, seconds since the epoch.
    pub exp: u64,
    /// The keyed fingerprint of `sub` (see [`crate::fingerprint`]), which
    /// the verifier checks the account's binding against without holding
    /// the fingerprint key (see `magiclink::account`). Tokens made before it
    /// existed carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ah: Option<String>,
    /// Whether the challenge was asked for with a binding, so that the page
    /// the link opens may offer to approve the sign-in of the browser that
    /// asked (see [`crate::binding`]). A hint for that page only: the
    /// approval endpoint checks the challenge itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub apv: bool,
}

/// What a verified token must also say.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    /// The user signing in; `None` where the token itself names whose
    /// challenge is meant (an approval from another device).
    pub subject: Option<&'a EmailAddress>,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed: {0}")]
    Malformed(&'static str),
    #[error("the token's algorithm {0:?} is not accepted")]
    UnsupportedAlgorithm(String),
    #[error("the token's key id is not accepted")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token was issued by someone else")]
    WrongIssuer,
    #[error("the token was made for another user pool or app client")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token claims to be issued in the future")]
    NotYetValid,
    #[error("the token belongs to another user")]
    WrongSubject,
}
