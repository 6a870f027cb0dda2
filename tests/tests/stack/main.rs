//! The deployed stack on the emulator (`make up` deploys it), through the
//! endpoints its users and operators use: the HTTP API, Cognito, the mail,
//! the bus. Every file here shares the stack with the others and changes
//! nothing they rely on; a test that must change the stack's configuration
//! (a function's environment, the sender's identity) is a binary of its own,
//! `stack_*.rs`, so that it runs alone.
//!
//! One test binary, so that the AWS SDK is linked once for all of them.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

mod admin;
mod approval;
mod code;
mod end_to_end;
mod enumeration;
mod feedback;
mod keys;
mod mail_flow;
mod mailer;
mod passkeys;
mod request_backend;
mod secrets;
mod sign_in;
mod template;
