//! Cross-device approval's two endpoints (see [`magiclink::binding`]):
//!
//! - `GET /v1/magic-links/{challengeId}` with the header
//!   `X-Magiclink-Verifier`: the asking browser polls its challenge's
//!   progress. Only the holder of the verifier learns anything: an unknown
//!   id, a challenge asked for without a binding and a wrong verifier all
//!   answer the same `404`.
//! - `POST /v1/magic-links/{challengeId}/approval` with the link's token and
//!   the number shown on the asking screen: the holder of the link approves
//!   that browser's sign-in. The token is verified as the verifier does
//!   (signature, issuer, audience, expiry) and must be this challenge's;
//!   the store then changes the challenge with one conditional write, so an
//!   approval happens once, and three wrong numbers burn the challenge.
//!
//! The status also tells where the mail is (`delivery`: `sending`, `sent`,
//! `bounced`, `complained`, `rejected`, `suppressed`), in sign-up mode
//! `open` only: in mode `existing` an address without an account is never
//! mailed, so its mail's state would tell who has one. Even in mode `open`
//! a mail may be withheld for a reason that depends on the account (the
//! hour's new accounts spent, an address changed outside magiclink, a
//! flooded mailbox): it reads `sent`, and so does a delivered one, so that
//! a delivery report cannot tell the two apart (see
//! [`Challenge::mail_progress`](magiclink::challenge::Challenge::mail_progress)).
//!
//! Both are counted per client IP (a fingerprint, as every counter key) in
//! one window shared by the two, so that neither can be used to hammer the
//! table. Neither logs the verifier, the token or the number.

use std::time::SystemTime;

use magiclink::aws::CallError;
use magiclink::binding::Verifier;
use magiclink::challenge::{Approval, ApprovalError, ChallengeStatus};
use magiclink::rate_limit::Decision;
use magiclink::token::{MAX_TOKEN_LEN, TokenError};
use magiclink_http::HttpError;
use serde_json::Value;
use ulid::Ulid;

use magiclink_http::json_object;

use crate::api::{ApiError, Status};
use crate::backend::Approvals;
use crate::config::ApprovalConfig;

/// The header the asking browser shows its verifier in.
pub const VERIFIER_HEADER: &str = "x-magiclink-verifier";

/// The parts of a status or approval request the endpoints read.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The `{challengeId}` path parameter.
    pub challenge_id: Option<&'a str>,
    /// The client's address as API Gateway saw it.
    pub source_ip: Option<&'a str>,
}

/// `GET /v1/magic-links/{challengeId}`: the challenge's progress, for the
/// holder of its verifier.
pub async fn status<B: Approvals>(
    backend: &B,
    config: &ApprovalConfig,
    asked: Asked<'_>,
    verifier: Option<&str>,
    now: SystemTime,
) -> Result<Status, ApiError> {
    let id = challenge_id(asked.challenge_id)?;
    let verifier = verifier.ok_or_else(|| {
        ApiError::InvalidVerifier(format!("the {VERIFIER_HEADER} header is required"))
    })?;
    let verifier =
        Verifier::parse(verifier).map_err(|e| ApiError::InvalidVerifier(e.to_string()))?;
    let (counted, found) = tokio::join!(count(backend, config, asked, now), backend.find(id));
    counted?;
    let challenge = found.map_err(unavailable)?.ok_or(ApiError::NotFound)?;
    if !challenge
        .binding
        .is_some_and(|binding| binding.is_proved_by(&verifier))
    {
        return Err(ApiError::NotFound);
    }
    // The user's watermark is read only for the verifier's holder, and only
    // when the challenge could still sign in: a used or burnt one reads the
    // same whether revoked or not.
    let revoked = match challenge.status {
        ChallengeStatus::Consumed => false,
        _ if challenge.burnt => false,
        _ => backend.is_revoked(&challenge).await.map_err(unavailable)?,
    };
    Ok(Status {
        progress: challenge.progress(revoked, now),
        expires_at: challenge.expires_at,
        delivery: config.reports_delivery.then(|| challenge.mail_progress()),
    })
}

/// `POST /v1/magic-links/{challengeId}/approval`: approves the sign-in of
/// the browser that asked, for the holder of the link who typed the number
/// that browser shows.
pub async fn approve<B: Approvals>(
    backend: &B,
    config: &ApprovalConfig,
    asked: Asked<'_>,
    content_type: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> Result<(), ApiError> {
    let id = challenge_id(asked.challenge_id)?;
    let (token, number) = parse_body(content_type, body)?;
    count(backend, config, asked, now).await?;
    let claims = config
        .tokens
        .verify_any_subject(&token, &config.audience, now)
        .map_err(|e| match e {
            TokenError::Expired => ApiError::Expired,
            other => ApiError::InvalidToken(other.to_string()),
        })?;
    if claims.jti != id {
        return Err(ApiError::TokenMismatch);
    }
    let approval = backend
        .approve(id, &claims.sub, number, now)
        .await
        .map_err(|e| match e {
            ApprovalError::NotFound => ApiError::NotFound,
            ApprovalError::WrongUser => ApiError::TokenMismatch,
            ApprovalError::NotApprovable => ApiError::NotApprovable,
            ApprovalError::AlreadyApproved => ApiError::AlreadyApproved,
            ApprovalError::Used => ApiError::Used,
            ApprovalError::Revoked => ApiError::Revoked,
            ApprovalError::Expired => ApiError::Expired,
            ApprovalError::TooManyAttempts => ApiError::TooManyAttempts,
            ApprovalError::Store(e) => unavailable(e),
        });
    let outcome = match &approval {
        Ok(Approval::Approved) => "approved",
        Ok(Approval::WrongNumber { .. }) => "wrong_number",
        Err(e) => e.code(),
    };
    tracing::info!(challenge = %id, outcome, "approval answered");
    match approval? {
        Approval::Approved => Ok(()),
        Approval::WrongNumber { left } => Err(ApiError::WrongNumber { left }),
    }
}

/// The path's challenge id; anything but a ULID names no challenge.
fn challenge_id(raw: Option<&str>) -> Result<Ulid, ApiError> {
    raw.and_then(|raw| raw.parse().ok())
        .ok_or(ApiError::NotFound)
}

/// Counts the request against the client's allowance.
async fn count<B: Approvals>(
    backend: &B,
    config: &ApprovalConfig,
    asked: Asked<'_>,
    now: SystemTime,
) -> Result<(), ApiError> {
    let keys = backend.fingerprints().await.map_err(unavailable)?;
    let client = keys.of(asked.source_ip.unwrap_or("unknown"));
    match backend
        .count_client(&client, config.per_ip, now)
        .await
        .map_err(unavailable)?
    {
        Decision::Admitted => Ok(()),
        Decision::Limited { retry_after } => {
            tracing::info!(client = %client, "status or approval rate limited");
            Err(ApiError::RateLimited {
                retry_after_secs: retry_after.as_secs(),
            })
        }
    }
}

fn unavailable(error: CallError) -> ApiError {
    tracing::error!(%error, "dependency unavailable");
    ApiError::Unavailable
}

/// The body's `token` and `number`. Unknown fields are ignored.
fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<(String, u8), ApiError> {
    let mut fields = json_object(content_type, body)?;
    let token = match fields.remove("token") {
        Some(Value::String(token)) if token.len() <= MAX_TOKEN_LEN => token,
        Some(Value::String(_)) => {
            return Err(ApiError::InvalidToken(format!(
                "the field \"token\" is longer than {MAX_TOKEN_LEN} characters"
            )));
        }
        None | Some(Value::Null) => {
            return Err(ApiError::InvalidToken(
                "the field \"token\" (the link's token) is required".into(),
            ));
        }
        Some(_) => {
            return Err(ApiError::InvalidToken(
                "the field \"token\" must be a string".into(),
            ));
        }
    };
    let number = match fields.remove("number") {
        Some(Value::Number(number)) => number
            .as_u64()
            .filter(|n| *n <= 99)
            .and_then(|n| u8::try_from(n).ok()),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::InvalidNumber(
            "the field \"number\" must be a whole number from 0 to 99: the one the asking screen shows"
                .into(),
        )
    })?;
    Ok((token, number))
}
