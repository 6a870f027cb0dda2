//! The HTTP contract of `POST /v1/magic-links`: the error type and how every
//! outcome becomes a status, headers and a JSON body. This is the one place
//! where errors are mapped to HTTP; `openapi.json` documents the result and a
//! test keeps the two in step.

use serde_json::json;
use ulid::Ulid;

/// The body of every answer is at most this large; a request body larger than
/// this is refused with 413 before it is parsed.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why a request was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidEmail(String),
    #[error("{0}")]
    RedirectNotAllowed(String),
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// The same answer for every limit, so it reveals nothing about the account.
    #[error("too many requests; try again later")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency failed; nothing was sent and the request may be repeated.
    #[error("the service is temporarily unavailable; try again shortly")]
    Unavailable,
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidJson(_) | Self::InvalidEmail(_) | Self::RedirectNotAllowed(_) => 400,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } => 429,
            Self::Unavailable => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidEmail(_) => "invalid_email",
            Self::RedirectNotAllowed(_) => "redirect_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "unavailable",
        }
    }
}

/// An answer, ready to be written as an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl ApiResponse {
    /// `202 {"status":"accepted","challengeId":"<ULID>"}`: the same shape for
    /// every valid request, known address or not (an unknown one gets an id
    /// too; its challenge is never mailed).
    pub fn accepted(challenge_id: Ulid) -> Self {
        Self::json(
            202,
            &json!({"status": "accepted", "challengeId": challenge_id.to_string()}),
            Vec::new(),
        )
    }

    pub fn from_error(error: &ApiError) -> Self {
        let mut headers = Vec::new();
        if let ApiError::RateLimited { retry_after_secs } = error {
            headers.push(("retry-after", retry_after_secs.to_string()));
        }
        let body = json!({"error": {"code": error.code(), "message": error.to_string()}});
        Self::json(error.status(), &body, headers)
    }

    fn json(
        status: u16,
        body: &serde_json::Value,
        mut headers: Vec<(&'static str, String)>,
    ) -> Self {
        headers.push(("content-type", "application/json".into()));
        headers.push(("cache-control", "no-store".into()));
        Self {
            status,
            headers,
            body: body.to_string(),
        }
    }
}

impl From<Result<Ulid, ApiError>> for ApiResponse {
    fn from(result: Result<Ulid, ApiError>) -> Self {
        match result {
            Ok(challenge_id) => Self::accepted(challenge_id),
            Err(error) => Self::from_error(&error),
        }
    }
}
