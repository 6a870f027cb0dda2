//! The HTTP contract of the admin endpoints: the error type, the status and
//! code of each error, and each endpoint's answer, in one place (in the
//! shape every service shares, [`magiclink_http::Answer::error`]).
//! `openapi.json` documents the result.

use magiclink_http::{Answer, BodyError, HttpError, MAX_BODY_BYTES};
use serde_json::json;
use ulid::Ulid;

/// Why a request was not served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the request is not signed by an IAM principal")]
    Forbidden,
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidEmail(String),
    #[error("{0}")]
    RedirectNotAllowed(String),
    #[error("{0}")]
    InvalidField(String),
    #[error("no such invitation")]
    NotFound,
    #[error("the invitation was already used")]
    Used,
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("too many invitations; try again later")]
    RateLimited { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable; try again shortly")]
    Unavailable,
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
            | Self::InvalidField(_) => 400,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Used => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } => 429,
            Self::Unavailable => 503,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidEmail(_) => "invalid_email",
            Self::RedirectNotAllowed(_) => "redirect_not_allowed",
            Self::InvalidField(_) => "invalid_field",
            Self::NotFound => "not_found",
            Self::Used => "used",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable => "unavailable",
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
}

/// `201 {"challengeId":"<ULID>","expiresAt":<seconds>}`: the invitation is
/// recorded; the mailer sends it.
pub fn invited(challenge_id: Ulid, expires_at: u64) -> Answer {
    Answer::json(
        201,
        &json!({"challengeId": challenge_id.to_string(), "expiresAt": expires_at}),
    )
}

/// `204`, no body: the invitation is revoked (or was already).
pub fn revoked() -> Answer {
    Answer::empty(204)
}

/// `202 {"status":"accepted","revocationId":"<ULID>"}`: the user's links,
/// codes and approvals are revoked and the sessions' end is asked of
/// Cognito.
pub fn revocation_accepted(revocation_id: Ulid) -> Answer {
    Answer::json(
        202,
        &json!({"status": "accepted", "revocationId": revocation_id.to_string()}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_4xx_or_503_and_its_own_code() {
        let all = [
            ApiError::Forbidden,
            ApiError::InvalidJson(String::new()),
            ApiError::InvalidEmail(String::new()),
            ApiError::RedirectNotAllowed(String::new()),
            ApiError::InvalidField(String::new()),
            ApiError::NotFound,
            ApiError::Used,
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::RateLimited {
                retry_after_secs: 1,
            },
            ApiError::Unavailable,
        ];
        let mut codes: Vec<&str> = all.iter().map(HttpError::code).collect();
        for error in &all {
            let status = error.status();
            assert!((400..500).contains(&status) || status == 503, "{error:?}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }
}
