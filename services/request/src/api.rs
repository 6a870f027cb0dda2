//! The HTTP contract of the API (`POST /v1/magic-links`, and the status and
//! approval endpoints of cross-device approval): the error type and how
//! every outcome becomes a status, headers and a JSON body. This is the one place
//! where errors are mapped to HTTP; `openapi.json` documents the result and a
//! test keeps the two in step.

use magiclink::challenge::Progress;
use serde_json::json;
use ulid::Ulid;

/// The fields of a request's JSON object body, or why it is not one: too
/// large (checked first, before anything is parsed), not
/// `application/json`, not JSON, or not an object.
pub(crate) fn json_object(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if !is_json(content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::InvalidJson(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    match value {
        serde_json::Value::Object(fields) => Ok(fields),
        _ => Err(ApiError::InvalidJson(
            "the body must be a JSON object".into(),
        )),
    }
}

/// `application/json`, with or without parameters such as `charset=utf-8`.
pub(crate) fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// The `200` of the status endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub progress: Progress,
    /// Seconds since the epoch: the challenge is of no use from then on.
    pub expires_at: u64,
    /// Where the mail is (see [`Challenge::mail_progress`](magiclink::challenge::Challenge::mail_progress)), when told.
    pub delivery: Option<&'static str>,
}

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

impl ApiError {
    pub fn status(&self) -> u16 {
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

    pub fn code(&self) -> &'static str {
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

    /// `200 {"status":"pending"|…,"expiresAt":<seconds>[,"delivery":…]}`:
    /// a challenge's progress, for the browser that asked.
    pub fn status(status: Status) -> Self {
        let mut body = json!({"status": status.progress.as_str(), "expiresAt": status.expires_at});
        if let Some(delivery) = status.delivery {
            body["delivery"] = delivery.into();
        }
        Self::json(200, &body, Vec::new())
    }

    /// `204`, no body: the approval was recorded.
    pub fn approved() -> Self {
        Self {
            status: 204,
            headers: vec![("cache-control", "no-store".into())],
            body: String::new(),
        }
    }

    pub fn from_error(error: &ApiError) -> Self {
        let mut headers = Vec::new();
        if let ApiError::RateLimited { retry_after_secs } = error {
            headers.push(("retry-after", retry_after_secs.to_string()));
        }
        let mut body = json!({"error": {"code": error.code(), "message": error.to_string()}});
        if let ApiError::WrongNumber { left } = error {
            body["error"]["attemptsLeft"] = json!(left);
        }
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

impl From<Result<Status, ApiError>> for ApiResponse {
    fn from(result: Result<Status, ApiError>) -> Self {
        match result {
            Ok(status) => Self::status(status),
            Err(error) => Self::from_error(&error),
        }
    }
}

impl From<Result<(), ApiError>> for ApiResponse {
    fn from(result: Result<(), ApiError>) -> Self {
        match result {
            Ok(()) => Self::approved(),
            Err(error) => Self::from_error(&error),
        }
    }
}
