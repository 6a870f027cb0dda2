//! The SDK configuration every AWS client is built from.
//!
//! Endpoints come from the standard variables (`AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_<SERVICE>`), so the same code talks to a real
//! account or to the local emulator. Every call is bounded in time: a trigger
//! that Cognito gives five seconds must never wait longer on a dependency.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// How long a call, and one attempt of it, may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBudget {
    /// Establishing a connection.
    pub connect: Duration,
    /// One attempt, from sending to the last byte of the answer.
    pub attempt: Duration,
    /// All attempts of one call, retries included.
    pub operation: Duration,
    /// Attempts per call (the SDK's standard retry with backoff and jitter).
    pub max_attempts: u32,
}

impl CallBudget {
    /// For code on a user's critical path (the HTTP request, the Cognito
    /// triggers): a few short attempts, well inside a second or two.
    pub const INTERACTIVE: Self = Self {
        connect: Duration::from_millis(500),
        attempt: Duration::from_millis(800),
        operation: Duration::from_millis(2000),
        max_attempts: 3,
    };

    /// For Cognito triggers, which Cognito abandons after five seconds: two
    /// short attempts, so that even two calls in a row end well inside it.
    pub const TRIGGER: Self = Self {
        connect: Duration::from_millis(300),
        attempt: Duration::from_millis(700),
        operation: Duration::from_millis(1500),
        max_attempts: 2,
    };

    /// For background work (the mailer): more patience per call, since SQS
    /// redelivers whatever still fails.
    pub const BACKGROUND: Self = Self {
        connect: Duration::from_secs(2),
        attempt: Duration::from_secs(5),
        operation: Duration::from_secs(15),
        max_attempts: 4,
    };
}

/// Loads the shared SDK configuration with `budget`'s timeouts and retries.
pub async fn load_config(budget: CallBudget) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(budget.connect)
                .operation_attempt_timeout(budget.attempt)
                .operation_timeout(budget.operation)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(budget.max_attempts))
        .load()
        .await
}

/// An AWS call that failed, with what a caller needs to decide what next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {message}")]
pub struct CallError {
    /// Service and operation, such as `DynamoDB PutItem`.
    pub operation: &'static str,
    /// The SDK's description, with its chain of causes.
    pub message: String,
    /// Throttling, a 5xx, a timeout or a broken connection: worth retrying.
    pub transient: bool,
}

impl CallError {
    /// Describes a failed SDK call.
    pub fn from_sdk<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        Self {
            operation,
            message: DisplayErrorContext(err).to_string(),
            transient: is_transient(err),
        }
    }

    /// A call that succeeded but answered something this code cannot use.
    pub fn unexpected(operation: &'static str, what: impl Into<String>) -> Self {
        Self {
            operation,
            message: what.into(),
            transient: false,
        }
    }
}

/// Whether a failed SDK call is worth trying again later: throttling, a
/// server-side error, a timeout or a connection that broke. A request the
/// service refused for what it said (validation, a failed condition, access
/// denied) is not.
pub fn is_transient<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    const TRANSIENT_CODES: &[&str] = &[
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "InternalServerError",
        "InternalServerException",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSInternalException",
        "DependencyTimeoutException",
        "KeyUnavailableException",
    ];
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    }
}
