//! magiclink on AWS: the stores in the table, the publisher on the bus, the
//! keys in KMS, configuration from the environment and the logs, built on
//! the pure core (`magiclink-core`, re-exported here whole, so that every
//! function names both as `magiclink::…`). No Lambda runtime, no HTTP: the
//! services wire these pieces to their triggers. See ARCHITECTURE.md.
//!
//! The core, re-exported: [`email`], [`locale`], [`binding`], [`json`],
//! [`time`], [`table`], [`send_window`]; and extended here with their AWS side:
//! - [`token`]: the link token's claims and check, and its signer (KMS `Sign`).
//! - [`approval`]: the approval's statement and check, and its signer.
//! - [`code`], [`fingerprint`]: keyed secrets, and their process keys
//!   derived from KMS ([`derived_key`]).
//! - [`challenge`]: the challenge model, and its DynamoDB store.
//! - [`events`]: the event contract, and its publisher.
//!
//! Of its own:
//! - [`admission`]: a link request's rate limits and challenge, in one transaction.
//! - [`account`]: the address magiclink verified for each Cognito user.
//! - [`rate_limit`]: fixed-window counters in DynamoDB.
//! - [`passkeys`]: users' passkeys, pending registrations and usernameless
//!   sign-in challenges in the table.
//! - [`notice`]: the notice mail of a passkey change, sent once.
//! - [`suppression`]: addresses not mailed for a while after a bounce or a
//!   complaint.
//! - [`send_rate`]: SES's send rate, one log in the table that every mailer
//!   instance shares.
//! - [`config`]: typed configuration, read once from the environment.
//! - [`aws`]: the SDK configuration every client is built from.
//! - [`telemetry`]: structured logs for Lambda.

pub use magiclink_core::{
    binding, email, json, locale, metrics, redirect, send_window, table, time,
};

pub mod account;
pub mod admission;
pub mod approval;
pub mod aws;
pub mod challenge;
pub mod code;
pub mod config;
pub mod derived_key;
mod dynamo;
pub mod events;
pub mod fingerprint;
pub mod notice;
pub mod passkeys;
pub mod rate_limit;
pub mod send_rate;
pub mod suppression;
pub mod telemetry;
pub mod token;

pub use challenge::{Challenge, ChallengeStatus, ChallengeStore, ConsumeError};
pub use email::{EmailAddress, EmailError};
pub use token::{LinkSigner, LinkVerifier, TokenClaims, TokenError};
