//! Structured logs for Lambda: one JSON object per line, to stdout, where the
//! Lambda service ships it to CloudWatch Logs.
//!
//! The level comes from `RUST_LOG`, else from the Lambda setting
//! `AWS_LAMBDA_LOG_LEVEL`, else `info`. Log lines carry fingerprints, never
//! addresses or tokens: [`EmailAddress`](crate::email::EmailAddress) has no
//! `Display`, and its `Debug` hides the local part.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. Call once, first thing in `main`.
pub fn init() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_else(|_| "info".into());
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        .without_time()
        .init();
}
