//! The HTTP contract of `/v1/passkeys`: the error type, the status and code
//! of each error, and the answer of each endpoint, in one place (in the
//! shape every service shares, [`magiclink_http::Answer::error`]).
//! `openapi.json` documents the result.

use magiclink_http::{Answer, BodyError, HttpError, MAX_BODY_BYTES};
use serde_json::Value;

/// Why a request was not served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first: this needs the access token of a signed-in user")]
    Unauthorized,
    #[error(
        "sign in again: adding or removing a passkey needs a sign-in within the last {within_secs} seconds"
    )]
    ReauthenticationRequired { within_secs: u64 },
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidName(String),
    #[error("the passkey was refused: {0}")]
    InvalidCredential(String),
    #[error(
        "no passkey registration is pending: ask for registration options, then register within 5 minutes"
    )]
    NoRegistration,
    #[error("this account holds the most passkeys it may; remove one first")]
    TooManyPasskeys,
    #[error("this passkey is registered already")]
    AlreadyRegistered,
    #[error("no such passkey")]
    NotFound,
    #[error("passkeys are not enabled on this deployment")]
    Disabled,
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    PayloadTooLarge,
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("too many requests; try again later")]
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
            Self::InvalidJson(_) | Self::InvalidName(_) | Self::InvalidCredential(_) => 400,
            Self::Unauthorized => 401,
            Self::ReauthenticationRequired { .. } => 403,
            Self::NotFound | Self::Disabled => 404,
            Self::NoRegistration | Self::TooManyPasskeys | Self::AlreadyRegistered => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } => 429,
            Self::Unavailable => 503,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::ReauthenticationRequired { .. } => "reauthentication_required",
            Self::InvalidJson(_) => "invalid_json",
            Self::InvalidName(_) => "invalid_name",
            Self::InvalidCredential(_) => "invalid_credential",
            Self::NoRegistration => "no_registration",
            Self::TooManyPasskeys => "too_many_passkeys",
            Self::AlreadyRegistered => "already_registered",
            Self::NotFound => "not_found",
            Self::Disabled => "passkeys_disabled",
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
            Self::Unauthorized => vec![("www-authenticate", "Bearer".into())],
            _ => Vec::new(),
        }
    }
}

/// What an endpoint answers when it succeeds.
#[derive(Debug, Clone, PartialEq)]
pub enum Success {
    /// `200` with a JSON body.
    Ok(Value),
    /// `201` with a JSON body: a passkey was added.
    Created(Value),
    /// `204`, no body: a passkey was removed, or the user signed out
    /// everywhere.
    Removed,
}

/// The answer of a successful endpoint.
pub fn answer(success: Success) -> Answer {
    match success {
        Success::Ok(body) => Answer::json(200, &body),
        Success::Created(body) => Answer::json(201, &body),
        Success::Removed => Answer::empty(204),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    /// The error codes `openapi.json` documents for `status` on any of the
    /// passkeys operations.
    fn documented(status: u16) -> Vec<String> {
        let path = format!(
            "{}/../../api/openapi.json",
            std::env::var("CARGO_MANIFEST_DIR").unwrap()
        );
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut codes = Vec::new();
        for (path, operations) in doc["paths"].as_object().unwrap() {
            if !path.starts_with("/v1/passkeys") {
                continue;
            }
            for operation in operations.as_object().unwrap().values() {
                let schema = &operation["responses"][status.to_string()]["content"]["application/json"]
                    ["schema"];
                let alternatives = schema["oneOf"].as_array().cloned().unwrap_or_default();
                for schema in alternatives.iter().chain([schema]) {
                    for part in schema["allOf"].as_array().into_iter().flatten() {
                        let codes_here = &part["properties"]["error"]["properties"]["code"]["enum"];
                        for code in codes_here.as_array().into_iter().flatten() {
                            codes.push(code.as_str().unwrap().to_owned());
                        }
                    }
                }
            }
        }
        codes
    }

    #[test]
    fn every_error_is_documented_with_its_status_and_code() {
        let errors = [
            ApiError::InvalidJson("x".into()),
            ApiError::InvalidName("x".into()),
            ApiError::InvalidCredential("x".into()),
            ApiError::Unauthorized,
            ApiError::ReauthenticationRequired { within_secs: 300 },
            ApiError::NotFound,
            ApiError::Disabled,
            ApiError::NoRegistration,
            ApiError::TooManyPasskeys,
            ApiError::AlreadyRegistered,
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::RateLimited {
                retry_after_secs: 1,
            },
            ApiError::Unavailable,
        ];
        for error in errors {
            assert!(
                documented(error.status()).contains(&error.code().to_owned()),
                "{} {} is not in openapi.json",
                error.status(),
                error.code()
            );
            let answer = Answer::error(&error);
            let body: Value = serde_json::from_str(&answer.body).unwrap();
            assert_eq!(body["error"]["code"], error.code());
        }
    }
}
