//! What each admin endpoint does, over a [`Backend`].
//!
//! Every endpoint needs the IAM principal API Gateway checked
//! ([`magiclink_http::Inbound::iam_caller`]); a request without one (a
//! deployment whose route lost its authorization) is refused, never served.
//!
//! An invitation is a challenge like a link request's, admitted in one
//! transaction with its two counters (per caller, per address: the public
//! limits do not apply), and marked as an invitation; the relay publishes
//! `InvitationSent` from its insert and the mailer sends it. Its body is
//! read strictly: a field of the wrong type or out of range is a `400` that
//! names it (an operator's client, unlike a sign-in page, is told exactly
//! what is wrong; no answer here can tell a stranger anything).

use std::time::{Duration, SystemTime};

use magiclink::admission::Counter;
use magiclink::aws::CallError;
use magiclink::challenge::{
    Challenge, DEFAULT_INVITATION_LIFETIME, Invitation, InvitationRevocation,
    MAX_INVITATION_LIFETIME,
};
use magiclink::email::EmailAddress;
use magiclink::locale::Locale;
use magiclink::metrics::{Metric, Point};
use magiclink::rate_limit::Decision;
use magiclink::telemetry::emit;
use magiclink_http::json_object;
use serde_json::{Map, Value};
use ulid::Ulid;

use crate::api::ApiError;
use crate::backend::Backend;
use crate::config::AdminConfig;

/// The shortest lifetime an invitation may be given.
pub const MIN_INVITATION_LIFETIME: Duration = Duration::from_secs(60);
/// The longest `invitedBy`, in characters.
pub const MAX_INVITED_BY_CHARS: usize = 100;

/// The parts of a request the endpoints read.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    pub iam_caller: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// `challengeId` of `/v1/invitations/{challengeId}`.
    pub challenge_id: Option<&'a str>,
}

/// A new invitation, as answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invited {
    pub challenge_id: Ulid,
    pub expires_at: u64,
}

fn unavailable(what: &'static str) -> impl Fn(CallError) -> ApiError {
    move |e| {
        tracing::error!(error = %e, "{what} unavailable");
        ApiError::Unavailable
    }
}

fn caller(inbound: &Inbound<'_>) -> Result<String, ApiError> {
    inbound
        .iam_caller
        .map(str::to_owned)
        .ok_or(ApiError::Forbidden)
        .inspect_err(|_| tracing::warn!("a request without an IAM caller: refused"))
}

/// `POST /v1/invitations`
pub async fn invite<B: Backend>(
    backend: &B,
    config: &AdminConfig,
    inbound: Inbound<'_>,
    now: SystemTime,
) -> Result<Invited, ApiError> {
    let caller = caller(&inbound)?;
    let body = InvitationBody::parse(inbound.content_type, inbound.body)?;
    let email =
        EmailAddress::parse(&body.email).map_err(|e| ApiError::InvalidEmail(e.to_string()))?;
    let redirect = config
        .redirects
        .resolve(body.redirect.as_deref())
        .map_err(|e| ApiError::RedirectNotAllowed(e.to_string()))?;
    let keys = backend
        .fingerprints()
        .await
        .map_err(unavailable("fingerprint key"))?;
    let subject = email.fingerprint(&keys);
    let counter = |scope, key: String, limit| Counter {
        scope,
        key,
        limit,
        holds: false,
    };
    let counters = [
        counter("invite-caller", keys.of(&caller), config.per_caller),
        counter("invite-email", subject.clone(), config.per_email),
    ];
    let challenge = Challenge::new(email, redirect.into(), now, body.lifetime)
        .with_locale(body.locale)
        .invited(Invitation {
            invited_by: body.invited_by,
        });
    let decision = backend
        .admit(&counters, &challenge, now)
        .await
        .map_err(unavailable("the table"))?;
    if let Decision::Limited { retry_after } = decision {
        tracing::info!(subject = %subject, "invitations rate limited");
        return Err(ApiError::RateLimited {
            retry_after_secs: retry_after.as_secs(),
        });
    }
    tracing::info!(subject = %subject, challenge = %challenge.id, "invited");
    emit(Point::count(Metric::InvitationsSent));
    Ok(Invited {
        challenge_id: challenge.id,
        expires_at: challenge.expires_at,
    })
}

/// `DELETE /v1/invitations/{challengeId}`
pub async fn revoke_invitation<B: Backend>(
    backend: &B,
    inbound: Inbound<'_>,
    now: SystemTime,
) -> Result<(), ApiError> {
    caller(&inbound)?;
    // An id that is not a ULID names no invitation.
    let id = inbound
        .challenge_id
        .and_then(|raw| raw.parse::<Ulid>().ok())
        .ok_or(ApiError::NotFound)?;
    match backend
        .revoke_invitation(id, now)
        .await
        .map_err(unavailable("the table"))?
    {
        InvitationRevocation::Revoked => {
            tracing::info!(challenge = %id, "invitation revoked");
            emit(Point::count(Metric::InvitationsRevoked));
            Ok(())
        }
        InvitationRevocation::AlreadyRevoked => Ok(()),
        InvitationRevocation::Used => Err(ApiError::Used),
        InvitationRevocation::NotFound => Err(ApiError::NotFound),
    }
}

/// `POST /v1/users/revocations`: every challenge of the address made until
/// now stops working, and, when the address has an account, its sessions
/// end and (with `passkeys`) its passkeys go. Answered the same whether
/// the address has an account or not.
pub async fn revoke_user<B: Backend>(
    backend: &B,
    inbound: Inbound<'_>,
    now: SystemTime,
) -> Result<Ulid, ApiError> {
    caller(&inbound)?;
    let mut fields = json_object(inbound.content_type, inbound.body)?;
    let email = EmailAddress::parse(&required_email(&mut fields)?)
        .map_err(|e| ApiError::InvalidEmail(e.to_string()))?;
    let passkeys = match fields.remove("passkeys") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(passkeys)) => passkeys,
        Some(_) => {
            return Err(ApiError::InvalidField(
                "the field \"passkeys\" must be true or false".into(),
            ));
        }
    };
    let keys = backend
        .fingerprints()
        .await
        .map_err(unavailable("fingerprint key"))?;
    let subject = email.fingerprint(&keys);
    let user = backend
        .find_user(&email)
        .await
        .map_err(unavailable("Cognito"))?;
    let passkeys_of = user.as_ref().filter(|_| passkeys).map(|u| u.sub.as_str());
    // The links first: a failure after this is answered 503, and the
    // revocation asked again does it all again.
    let revocation = backend
        .revoke_user(&email, &subject, passkeys_of, now)
        .await
        .map_err(unavailable("the table"))?;
    if let Some(user) = &user {
        backend
            .sign_out(user)
            .await
            .map_err(unavailable("Cognito"))?;
    }
    tracing::info!(
        subject = %subject,
        revocation = %revocation.id,
        account = user.is_some(),
        passkeys = passkeys_of.is_some(),
        "user revoked"
    );
    emit(Point::count(Metric::UsersRevoked));
    Ok(revocation.id)
}

fn required_email(fields: &mut Map<String, Value>) -> Result<String, ApiError> {
    match fields.remove("email") {
        Some(Value::String(email)) => Ok(email),
        None | Some(Value::Null) => Err(ApiError::InvalidEmail(
            "the field \"email\" is required".into(),
        )),
        Some(_) => Err(ApiError::InvalidEmail(
            "the field \"email\" must be a string".into(),
        )),
    }
}

/// What an invitation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InvitationBody {
    email: String,
    redirect: Option<String>,
    locale: Option<Locale>,
    lifetime: Duration,
    invited_by: Option<String>,
}

impl InvitationBody {
    /// `email`, and the optional `redirectUri`, `locale`,
    /// `expiresInSeconds` and `invitedBy`. Unknown fields are ignored.
    fn parse(content_type: Option<&str>, body: &[u8]) -> Result<Self, ApiError> {
        let mut fields = json_object(content_type, body)?;
        let email = required_email(&mut fields)?;
        let invalid = |why: &str| ApiError::InvalidField(why.to_owned());
        let redirect = match fields.remove("redirectUri") {
            None | Some(Value::Null) => None,
            Some(Value::String(uri)) => Some(uri),
            Some(_) => {
                return Err(ApiError::RedirectNotAllowed(
                    "the field \"redirectUri\" must be a string".into(),
                ));
            }
        };
        let locale = match fields.remove("locale") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => Some(Locale::parse(&raw).ok_or_else(|| {
                invalid("the field \"locale\" must be a language tag such as de-DE")
            })?),
            Some(_) => return Err(invalid("the field \"locale\" must be a string")),
        };
        let (min, max) = (
            MIN_INVITATION_LIFETIME.as_secs(),
            MAX_INVITATION_LIFETIME.as_secs(),
        );
        let lifetime = match fields.remove("expiresInSeconds") {
            None | Some(Value::Null) => DEFAULT_INVITATION_LIFETIME,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(secs) if (min..=max).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(invalid(&format!(
                        "the field \"expiresInSeconds\" must be a whole number from {min} to {max}"
                    )));
                }
            },
            Some(_) => {
                return Err(invalid(&format!(
                    "the field \"expiresInSeconds\" must be a whole number from {min} to {max}"
                )));
            }
        };
        let invited_by = match fields.remove("invitedBy") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(display_name(&name).ok_or_else(|| {
                invalid(&format!(
                    "the field \"invitedBy\" must be 1 to {MAX_INVITED_BY_CHARS} characters, without control characters"
                ))
            })?),
            Some(_) => return Err(invalid("the field \"invitedBy\" must be a string")),
        };
        Ok(Self {
            email,
            redirect,
            locale,
            lifetime,
            invited_by,
        })
    }
}

/// `raw` as a display name for the mail: trimmed, 1 to
/// [`MAX_INVITED_BY_CHARS`] characters, none of them a control character
/// (a line break would start a mail header's next line in the subject).
fn display_name(raw: &str) -> Option<String> {
    let name = raw.trim();
    let chars = name.chars().count();
    let fine = (1..=MAX_INVITED_BY_CHARS).contains(&chars) && !name.chars().any(char::is_control);
    fine.then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn parse(body: &str) -> Result<InvitationBody, ApiError> {
        InvitationBody::parse(Some("application/json"), body.as_bytes())
    }

    #[test]
    fn an_invitation_takes_its_defaults_and_each_field() {
        let plain = parse(r#"{"email":"ann@example.com"}"#).unwrap();
        assert_eq!(plain.lifetime, DEFAULT_INVITATION_LIFETIME);
        assert_eq!(
            (plain.redirect, plain.locale, plain.invited_by),
            (None, None, None)
        );
        let full = parse(
            r#"{"email":"ann@example.com","redirectUri":"https://app.example/","locale":"de-DE",
                "expiresInSeconds":604800,"invitedBy":"  Ann from Support ","extra":[1]}"#,
        )
        .unwrap();
        assert_eq!(full.lifetime, MAX_INVITATION_LIFETIME);
        assert_eq!(full.locale, Locale::parse("de-DE"));
        assert_eq!(full.invited_by.as_deref(), Some("Ann from Support"));
        assert_eq!(full.redirect.as_deref(), Some("https://app.example/"));
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (r#"{}"#, "email"),
            (r#"{"email":7}"#, "email"),
            (r#"{"email":"a@b.c","redirectUri":1}"#, "redirectUri"),
            (r#"{"email":"a@b.c","locale":"not a tag!"}"#, "locale"),
            (r#"{"email":"a@b.c","locale":5}"#, "locale"),
            (
                r#"{"email":"a@b.c","expiresInSeconds":604801}"#,
                "expiresInSeconds",
            ),
            (
                r#"{"email":"a@b.c","expiresInSeconds":59}"#,
                "expiresInSeconds",
            ),
            (
                r#"{"email":"a@b.c","expiresInSeconds":-1}"#,
                "expiresInSeconds",
            ),
            (
                r#"{"email":"a@b.c","expiresInSeconds":3600.5}"#,
                "expiresInSeconds",
            ),
            (
                r#"{"email":"a@b.c","expiresInSeconds":"3600"}"#,
                "expiresInSeconds",
            ),
            (r#"{"email":"a@b.c","invitedBy":""}"#, "invitedBy"),
            (
                r#"{"email":"a@b.c","invitedBy":"Ann\r\nBcc: x@evil.example"}"#,
                "invitedBy",
            ),
            (r#"{"email":"a@b.c","invitedBy":["Ann"]}"#, "invitedBy"),
        ];
        for (body, field) in cases {
            let error = parse(body).unwrap_err();
            assert!(error.to_string().contains(field), "{body}: {error}");
        }
        let long = format!(r#"{{"email":"a@b.c","invitedBy":"{}"}}"#, "é".repeat(101));
        assert!(parse(&long).is_err());
        let just = format!(r#"{{"email":"a@b.c","invitedBy":"{}"}}"#, "é".repeat(100));
        assert!(parse(&just).is_ok());
    }
}
