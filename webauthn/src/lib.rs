//! Passkeys for magiclink: the WebAuthn ceremonies, over the maintained
//! `webauthn-rs-core` (which parses the CBOR, the COSE keys and the
//! attestation, and checks signatures, in pure Rust).
//!
//! - [`config`]: the relying party (its id, the origins allowed, whether user
//!   verification is required), read once.
//! - [`ceremony`]: registration options and their check; sign-in challenges;
//!   reading an assertion (bounded, strict) and checking it against a stored
//!   credential.
//!
//! - `soft` (feature `soft-authenticator`): a software authenticator for
//!   tests.
//!
//! The table's side (who holds which passkey) is
//! [`magiclink::passkeys`]; the HTTP endpoints are the passkeys service's,
//! the sign-in the verifier's.

pub mod ceremony;
pub mod config;
#[cfg(any(test, feature = "soft-authenticator"))]
pub mod soft;

pub use ceremony::{Asserted, Assertion, AssertionError, Refusal, RelyingParty};
pub use config::{PasskeyConfig, UserVerification};
