//! The core of magiclink, shared by its functions.
//!
//! Everything here is plain library code: no Lambda runtime, no HTTP. The
//! services wire these pieces to their triggers; the integration tests drive
//! them against the local emulator.
//!
//! - [`binding`]: cross-device approval's verifier, binding and number.
//! - [`approval`]: the signed proof that the approval endpoint approved.
//! - [`admission`]: a link request's rate limits and challenge, in one transaction.
//! - [`account`]: the address magiclink verified for each Cognito user.
//! - [`config`]: typed configuration, read once from the environment.
//! - [`email`]: the normalized e-mail address that identifies a user.
//! - [`token`]: the signed link token (JWS, ES256 through KMS).
//! - [`challenge`]: one-time challenges and their DynamoDB store.
//! - [`rate_limit`]: fixed-window counters in DynamoDB.
//! - [`passkeys`]: users' passkeys, pending registrations and usernameless
//!   sign-in challenges in the table.
//! - [`locale`]: the language a mail is written in, read leniently.
//! - [`notice`]: the notice mail of a passkey change, sent once.
//! - [`suppression`]: addresses not mailed for a while after a bounce or a
//!   complaint.
//! - [`table`]: the table's item keys and shared attribute names, named once.
//! - [`events`]: the events on the bus and their publisher.
//! - [`fingerprint`]: keyed hashes that stand in for addresses and IPs.
//! - [`json`]: JSON errors told without the input they quote.
//! - [`code`]: the one-time code in a sign-in mail, derived, never stored.
//! - [`derived_key`]: secrets derived from KMS HMAC keys at start-up.
//! - [`aws`]: the SDK configuration every client is built from.
//! - [`telemetry`]: structured logs for Lambda.

pub mod account;
pub mod admission;
pub mod approval;
pub mod aws;
pub mod binding;
pub mod challenge;
pub mod code;
pub mod config;
pub mod derived_key;
mod dynamo;
pub mod email;
pub mod events;
pub mod fingerprint;
pub mod json;
pub mod locale;
pub mod notice;
pub mod passkeys;
pub mod rate_limit;
pub mod suppression;
pub mod table;
pub mod telemetry;
pub mod time;
pub mod token;

pub use challenge::{Challenge, ChallengeStatus, ChallengeStore, ConsumeError};
pub use email::{EmailAddress, EmailError};
pub use token::{LinkSigner, LinkVerifier, TokenClaims, TokenError};
