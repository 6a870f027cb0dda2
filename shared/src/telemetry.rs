//! Structured logs for Lambda: one JSON object per line, to stdout, where the
//! Lambda service ships it to CloudWatch Logs.
//!
//! The level comes from `RUST_LOG`, else from the Lambda setting
//! `AWS_LAMBDA_LOG_LEVEL`, else `info`. Log lines carry fingerprints, never
//! addresses or tokens: [`EmailAddress`](crate::email::EmailAddress) has no
//! `Display`, and its `Debug` hides the local part.
//!
//! The runtime's, the SDK's and the HTTP stack's own logging stays at `info`
//! whatever the level: at `debug` and `trace` they log raw events and
//! requests (a trigger's answer, a sign-in token among them).
//!
//! Metrics go the same way: [`emit`] writes a point as an embedded-metric
//! line ([`crate::metrics`]) beside the log lines, and CloudWatch Logs makes
//! it a metric; no call, no client, nothing to wait for.

use std::io::Write;
use std::sync::OnceLock;
use std::time::SystemTime;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::Directive;

use crate::metrics::{self, Point};
use crate::time::unix_millis;

/// The stack's name, the metrics' `Stack` dimension: `STACK_NAME`, read by [`init`].
static STACK_NAME: OnceLock<String> = OnceLock::new();

/// Crates that log what they carry at `debug` or `trace`.
const CAPPED: [&str; 9] = [
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_sdk_dynamodb",
    "hyper",
    "h2",
    "rustls",
];

/// The filter for a `RUST_LOG` and an `AWS_LAMBDA_LOG_LEVEL`, with
/// [`CAPPED`] held at `info` at most.
pub fn filter(rust_log: Option<&str>, lambda_level: Option<&str>) -> EnvFilter {
    let level = lambda_level.map_or_else(|| "info".to_owned(), str::to_ascii_lowercase);
    let mut filter = rust_log
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| EnvFilter::new(level));
    for target in CAPPED {
        if let Ok(cap) = format!("{target}=info").parse::<Directive>() {
            filter = filter.add_directive(cap);
        }
    }
    filter
}

/// Installs the JSON subscriber and reads the stack's name for the
/// metrics. Call once, first thing in `main`.
pub fn init() {
    if let Ok(stack) = std::env::var("STACK_NAME") {
        let _ = STACK_NAME.set(stack);
    }
    let rust_log = std::env::var("RUST_LOG").ok();
    let lambda_level = std::env::var("AWS_LAMBDA_LOG_LEVEL").ok();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter(rust_log.as_deref(), lambda_level.as_deref()))
        .with_current_span(false)
        .with_span_list(true)
        .with_target(false)
        .without_time()
        .init();
}

/// Writes `point` to stdout as an embedded-metric line. Before [`init`]
/// (unit tests), or without `STACK_NAME`, it writes nothing.
pub fn emit(point: Point) {
    let Some(stack) = STACK_NAME.get() else {
        return;
    };
    let line = metrics::line(stack, &point, unix_millis(SystemTime::now()));
    // A line that cannot be written is a metric lost, never a request.
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    #[allow(clippy::unwrap_used, reason = "test code")]
    fn trace_never_reaches_the_runtime_or_the_sdk() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(Some("trace"), None))
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lambda_runtime", "raw event: secret-answer");
            tracing::debug!(target: "aws_smithy_runtime", "request body: secret-body");
            tracing::info!(target: "lambda_runtime", "runtime started");
            tracing::trace!(target: "magiclink", "our own trace line");
        });
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(!logged.contains("secret"), "{logged}");
        assert!(logged.contains("runtime started"), "{logged}");
        assert!(logged.contains("our own trace line"), "{logged}");
    }
}
