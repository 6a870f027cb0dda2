//! The shared core against the emulator's services (DynamoDB, KMS,
//! EventBridge), with no stack deployed: `make up` starts the emulator, and
//! each test makes the table, key or bus it needs.
//!
//! One test binary, so that the AWS SDK is linked once for all of them.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

mod admission;
mod challenge_store;
mod events;
mod rate_limit;
mod token_kms;
