//! The HTTP contract of the API (`POST /v1/magic-links`, and the status and
//! approval endpoints of cross-device approval): the error type, the status
//! and code of each error, and the answer of each endpoint. This is the one
//! place where errors are mapped to HTTP (in the shape every service shares,
//! [`magiclink_http::Answer::error`]); `openapi.json` documents the result
//! and a test keeps the two in step.

use magiclink::challenge::Progress;
use magiclink_http::{Answer, BodyError, HttpError, MAX_BODY_BYTES};
use serde_json::{Map, Value, json};
use ulid::Ulid;

/// The `200` of the status endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub progress: Progress,
    /// Seconds since the epoch: the challenge is of no use from then on.
    pub expires_at: u64,
    /// Where the mail is (see [`Challenge::mail_progress`](magiclink::challenge::Challenge::mail_progress)), when told.
    pub delivery: Option<&'static str>,
}

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
    #[error("{0}")]
    InvalidBinding(String),
    #[error("{0}")]
    InvalidVerifier(String),
    /// The same for an unknown challenge and a wrong verifier.
    #[error("no such challenge")]
    NotFound,
    #[error("{0}")]
    InvalidToken(String),
    #[error("the link is for another challenge")]
    TokenMismatch,
    #[error("{0}")]
    InvalidNumber(String),
    #[error("that is not the number the device that asked shows; {left} tries left")]
    WrongNumber { left: u64 },
    #[error(
        "this sign-in was asked for without cross-device approval; open the link on the device that asked, or use the code"
    )]
    NotApprovable,
    #[error("this sign-in was already approved")]
    AlreadyApproved,
    #[error("this link was already used")]
    Used,
    #[error("this link was replaced: its user signed in since it was made")]
    Revoked,
    #[error("this link has expired")]
    Expired,
    #[error("too many wrong codes or numbers: this link no longer works; ask for a new one")]
    TooManyAttempts,
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => Self::PayloadTooLarge,
            BodyError::NotJson => Self::UnsupportedMediaType,
            BodyError::Invalid(why) => Self::InvalidJson(why),
        }
    }
}

impl HttpError for ApiError {
    fn status(&self) -> u16 {
        match self {
            Self::InvalidJson(_)
            | Self::InvalidEmail(_)
            | Self::RedirectNotAllowed(_)
            | Self::InvalidBinding(_)
            | Self::InvalidVerifier(_)
            | Self::InvalidToken(_)
            | Self::TokenMismatch
            | Self::InvalidNumber(_)
            | Self::WrongNumber { .. }
            | Self::NotApprovable => 400,
            Self::NotFound => 404,
            Self::AlreadyApproved | Self::Used | Self::Revoked | Self::TooManyAttempts => 409,
            Self::Expired => 410,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } => 429,
            Self::Unavailable => 503,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidEmail(_) => "invalid_email",
            Self::RedirectNotAllowed(_) => "redirect_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::InvalidBinding(_) => "invalid_binding",
            Self::InvalidVerifier(_) => "invalid_verifier",
            Self::NotFound => "not_found",
            Self::InvalidToken(_) => "invalid_token",
            Self::TokenMismatch => "token_mismatch",
            Self::InvalidNumber(_) => "invalid_number",
            Self::WrongNumber { .. } => "wrong_number",
            Self::NotApprovable => "not_approvable",
            Self::AlreadyApproved => "already_approved",
            Self::Used => "used",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::TooManyAttempts => "too_many_attempts",
        }
    }

    fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::RateLimited { retry_after_secs } => {
                vec![("retry-after", retry_after_secs.to_string())]
            }
            _ => Vec::new(),
        }
    }

    fn details(&self) -> Map<String, Value> {
        match self {
            Self::WrongNumber { left } => Map::from_iter([("attemptsLeft".into(), json!(left))]),
            _ => Map::new(),
        }
    }
}

/// `202 {"status":"accepted","challengeId":"<ULID>"}`: the same shape for
/// every valid request, known address or not (an unknown one gets an id too;
/// its challenge is never mailed).
pub fn accepted(challenge_id: Ulid) -> Answer {
    Answer::json(
        202,
        &json!({"status": "accepted", "challengeId": challenge_id.to_string()}),
    )
}

/// `200 {"status":"pending"|…,"expiresAt":<seconds>[,"delivery":…]}`: a
/// challenge's progress, for the browser that asked.
pub fn status(status: Status) -> Answer {
    let mut body = json!({"status": status.progress.as_str(), "expiresAt": status.expires_at});
    if let Some(delivery) = status.delivery {
        body["delivery"] = delivery.into();
    }
    Answer::json(200, &body)
}

/// `204`, no body: the approval was recorded.
pub fn approved() -> Answer {
    Answer::empty(204)
}
