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
//! it can answer is tested without AWS; [`AwsBackend`] is the real one.

use std::future::Future;
use std::time::SystemTime;

use magiclink::admission::{Admissions, Counter};
use magiclink::approval::ApprovalSigner;
use magiclink::aws::CallError;
use magiclink::binding::DeviceBinding;
use magiclink::challenge::{Approval, ApprovalError, Challenge, ChallengeStore};
use magiclink::email::EmailAddress;
use magiclink::fingerprint::{FingerprintKey, Fingerprints};
use magiclink::locale::Locale;
use magiclink::rate_limit::{Decision, Limit, RateLimiter};
use serde_json::Value;
use ulid::Ulid;

use crate::api::{ApiError, MAX_BODY_BYTES, json_object};
use crate::approval::Approvals;
use crate::config::RequestConfig;
use crate::redirect::RedirectError;

/// The side effects the handler needs.
pub trait Backend {
    /// Counts the request against `counters` and records `challenge`, all or
    /// nothing.
    fn admit(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        now: SystemTime,
    ) -> impl Future<Output = Result<Decision, CallError>> + Send;
    /// The fingerprints that stand in for addresses and IPs.
    fn fingerprints(&self) -> impl Future<Output = Result<Fingerprints, CallError>> + Send;
}

/// The backend on AWS: one DynamoDB transaction per link request; for the
/// status and approval endpoints, the challenge store and a counter.
#[derive(Debug, Clone)]
pub struct AwsBackend {
    pub admissions: Admissions,
    pub fingerprints: FingerprintKey,
    pub store: ChallengeStore,
    pub limiter: RateLimiter,
    /// Signs approvals' proofs (see [`magiclink::approval`]).
    pub approvals: ApprovalSigner,
}

impl Backend for AwsBackend {
    async fn admit(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        now: SystemTime,
    ) -> Result<Decision, CallError> {
        self.admissions.admit(counters, challenge, now).await
    }

    async fn fingerprints(&self) -> Result<Fingerprints, CallError> {
        self.fingerprints.get().await.cloned()
    }
}

impl Approvals for AwsBackend {
    async fn count_client(
        &self,
        client: &str,
        limit: Limit,
        now: SystemTime,
    ) -> Result<Decision, CallError> {
        self.limiter.admit("status-ip", client, limit, now).await
    }

    async fn find(&self, id: Ulid) -> Result<Option<Challenge>, CallError> {
        self.store.get(id).await
    }

    async fn is_revoked(&self, challenge: &Challenge) -> Result<bool, CallError> {
        self.store.is_revoked(challenge).await
    }

    async fn approve(
        &self,
        id: Ulid,
        email: &EmailAddress,
        number: u8,
        now: SystemTime,
    ) -> Result<Approval, ApprovalError> {
        let subject = email.fingerprint(self.fingerprints.get().await?);
        self.store
            .approve(id, email, &subject, number, &self.approvals, now)
            .await
    }
}

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
    if inbound.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    if !is_json(inbound.content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let Body {
        email,
        redirect,
        binding,
        locale,
    } = parse_body(inbound.body)?;
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

/// `application/json`, with or without parameters such as `charset=utf-8`.
pub(crate) fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
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
fn parse_body(body: &[u8]) -> Result<Body, ApiError> {
    let mut fields = json_object(body)?;
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
