//! What `POST /v1/magic-links` does: validate, check the redirect, then count
//! the rate limits and record the challenge in one transaction (see
//! [`magiclink::admission`]). That is its only AWS call: `MagicLinkRequested`
//! is published from the table's change stream by the relay.
//!
//! The limits: per client IP; per exact address (one link per burst window,
//! a few per window); and per mailbox ([`EmailAddress::mailbox`]), so that
//! `v.ictim+1@gmail.com`, `victim+2@gmail.com`, … cannot each spend an
//! address's allowance on one inbox. None of them can lock a user out:
//! - a refusal by the per-address limits means that a link to this very
//!   address was made within the window, and links live at least as long as
//!   the windows, so whoever spent the allowance (an attacker asking from many
//!   IPs, say) has put a working link in the user's mailbox;
//! - the mailbox limit, which spellings of other accounts can spend, refuses
//!   nothing: a request past it is answered `202` like any other, and its
//!   challenge is held; the mailer sends a held challenge only to an address
//!   that signed in within the last 90 days (its watermark item), so the
//!   accounts people use keep working through a flood of spellings, and
//!   strangers' addresses get no mail. Whether an address signed in is read
//!   by the mailer alone, out of band: the answer to a request never
//!   depends on it (an earlier design answered `429` only to addresses that
//!   had not, which told strangers who signs in).
//!
//! Every limit that refuses answers the same `429`; its `Retry-After` is
//! when the windows that refused reopen.
//!
//! Known and unknown addresses take exactly the same path: this service never
//! asks Cognito anything, so neither its answer nor its timing can tell them
//! apart. The mailer, later and out of band, decides what the address gets.
//!
//! The handler is a plain async function over a [`Backend`], so every status
//! it can answer is tested without AWS; [`crate::backend::AwsBackend`] is the
//! real one.

use std::time::SystemTime;

use magiclink::admission::Counter;
use magiclink::aws::CallError;
use magiclink::binding::DeviceBinding;
use magiclink::challenge::Challenge;
use magiclink::email::EmailAddress;
use magiclink::locale::Locale;
use magiclink::rate_limit::Decision;
use serde_json::Value;
use ulid::Ulid;

use magiclink_http::json_object;

use crate::api::ApiError;
use crate::backend::Backend;
use crate::config::RequestConfig;
use magiclink::redirect::RedirectError;

/// The parts of an HTTP request the handler reads.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// The client's address as API Gateway saw it.
    pub source_ip: Option<&'a str>,
}

/// Handles one request at `now`. `Ok` means 202, with the challenge's id.
pub async fn handle<B: Backend>(
    backend: &B,
    config: &RequestConfig,
    inbound: Inbound<'_>,
    now: SystemTime,
) -> Result<Ulid, ApiError> {
    let Body {
        email,
        redirect,
        binding,
        locale,
    } = parse_body(inbound.content_type, inbound.body)?;
    let email = EmailAddress::parse(&email).map_err(|e| ApiError::InvalidEmail(e.to_string()))?;
    let redirect = config
        .redirects
        .resolve(redirect.as_deref())
        .map_err(|e: RedirectError| ApiError::RedirectNotAllowed(e.to_string()))?;

    let unavailable = |what: &'static str| {
        move |e: CallError| {
            tracing::error!(error = %e, "{what} unavailable");
            ApiError::Unavailable
        }
    };
    let keys = backend
        .fingerprints()
        .await
        .map_err(unavailable("fingerprint key"))?;
    let subject_hash = email.fingerprint(&keys);
    let client = keys.of(inbound.source_ip.unwrap_or("unknown"));
    let mailbox = keys.of(&email.mailbox());
    let limits = &config.limits;
    let counter = |scope, key: &String, limit, holds| Counter {
        scope,
        key: key.clone(),
        limit,
        holds,
    };
    let counters = [
        counter("ip", &client, limits.per_ip, false),
        counter("email-burst", &subject_hash, limits.per_email_burst, false),
        counter("email", &subject_hash, limits.per_email, false),
        // The mailbox's allowance holds the mail instead of refusing the
        // request (see the module documentation).
        counter("mailbox", &mailbox, limits.per_mailbox, true),
    ];
    let challenge = Challenge::new(email, redirect.into(), now, config.token.link_ttl)
        .with_binding(binding)
        .with_locale(locale);
    let decision = backend
        .admit(&counters, &challenge, now)
        .await
        .map_err(unavailable("the table"))?;
    if let Decision::Limited { retry_after } = decision {
        tracing::info!(subject = %subject_hash, client = %client, "rate limited");
        return Err(ApiError::RateLimited {
            retry_after_secs: retry_after.as_secs(),
        });
    }
    tracing::info!(subject = %subject_hash, challenge = %challenge.id, "link requested");
    Ok(challenge.id)
}

/// What a link request asks for.
struct Body {
    email: String,
    redirect: Option<String>,
    /// See [`magiclink::binding`].
    binding: Option<DeviceBinding>,
    /// The language of the mail. A value that is not a language tag (of
    /// any JSON type) is no locale: the mail is in the default language,
    /// and the answer is the same as for any other request.
    locale: Option<Locale>,
}

/// The body's `email`, optional `redirectUri`, `binding` and `locale`.
/// Unknown fields are ignored.
fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<Body, ApiError> {
    let mut fields = json_object(content_type, body)?;
    let email = match fields.remove("email") {
        Some(Value::String(email)) => email,
        None | Some(Value::Null) => {
            return Err(ApiError::InvalidEmail(
                "the field \"email\" is required".into(),
            ));
        }
        Some(_) => {
            return Err(ApiError::InvalidEmail(
                "the field \"email\" must be a string".into(),
            ));
        }
    };
    let redirect = match fields.remove("redirectUri") {
        Some(Value::String(uri)) => Some(uri),
        None | Some(Value::Null) => None,
        Some(_) => {
            return Err(ApiError::RedirectNotAllowed(
                "the field \"redirectUri\" must be a string".into(),
            ));
        }
    };
    let binding = match fields.remove("binding") {
        None | Some(Value::Null) => None,
        Some(Value::String(raw)) => {
            Some(DeviceBinding::parse(&raw).map_err(|e| ApiError::InvalidBinding(e.to_string()))?)
        }
        Some(_) => {
            return Err(ApiError::InvalidBinding(
                "the field \"binding\" must be a string".into(),
            ));
        }
    };
    let locale = match fields.remove("locale") {
        Some(Value::String(raw)) => Locale::parse(&raw),
        _ => None,
    };
    Ok(Body {
        email,
        redirect,
        binding,
        locale,
    })
}
