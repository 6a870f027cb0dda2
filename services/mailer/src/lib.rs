//! The mailer service: from the mail queue to SES.
//!
//! - [`process`]: what happens to each message, and to failures.
//! - [`notice`]: the notice of a passkey change.
//! - [`template`]: the mail, rendered with escaping.
//! - [`outbox`]: SES v2, and which of its failures are permanent.
//! - [`pacer`]: the sends spaced within SES's rate, shared by every instance.
//! - [`directory`]: the Cognito account behind an address.
//! - [`config`]: configuration, read once.

pub mod config;
pub mod directory;
pub mod duration;
pub mod notice;
pub mod outbox;
pub mod pacer;
pub mod process;
pub mod template;
