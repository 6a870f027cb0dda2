//! The core of magiclink: its domain and its contracts, in pure Rust, with
//! no AWS SDK, no Lambda and no HTTP. The `magiclink` crate (`shared/`)
//! builds the stores, the publisher and the KMS calls on it and re-exports
//! it whole, so that a function names everything as `magiclink::…`; the fuzz
//! targets, the property tests and the in-process benchmarks build this
//! crate alone. See ARCHITECTURE.md.
//!
//! - [`email`]: the normalized e-mail address that identifies a user.
//! - [`locale`]: the language a mail is written in, read leniently.
//! - [`binding`]: cross-device approval's verifier, binding and number.
//! - [`approval`]: the statement an approval signs, and its check.
//! - [`code`]: the one-time code in a sign-in mail, derived, never stored.
//! - [`fingerprint`]: keyed hashes that stand in for addresses and IPs.
//! - [`derived_key`]: what a secret derived from a KMS HMAC key is.
//! - [`token`]: the signed link token (JWS, ES256): its claims and its
//!   offline check.
//! - [`challenge`]: the one-time challenge and what became of it.
//! - [`events`]: the events on the bus: the contract.
//! - [`table`]: the table's item keys and shared attribute names.
//! - [`redirect`]: the redirect allow-list: where a link may point.
//! - [`send_window`]: SES's send rate as a sliding window that every
//!   mailer instance shares.
//! - [`json`]: JSON errors told without the input they quote.
//! - [`metrics`]: the metrics, as CloudWatch's embedded metric format.
//! - [`time`]: seconds since the epoch, and Lambda's deadlines.

pub mod approval;
pub mod binding;
pub mod challenge;
pub mod code;
pub mod derived_key;
pub mod email;
pub mod events;
pub mod fingerprint;
pub mod json;
pub mod locale;
pub mod metrics;
pub mod redirect;
pub mod send_window;
pub mod table;
pub mod time;
pub mod token;

pub use challenge::{Challenge, ChallengeStatus};
pub use email::{EmailAddress, EmailError};
pub use token::{LinkVerifier, TokenClaims, TokenError};
