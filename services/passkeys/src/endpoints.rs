//! What each endpoint of `/v1/passkeys` does.
//!
//! - registration options: the user's passkeys are read (to exclude them
//!   and to refuse an eleventh early), options are made and their state kept
//!   for 5 minutes;
//! - register: the browser's answer is checked against that state, then the
//!   passkey is added and the state used up in one transaction;
//! - register and remove also note the browser they came from (see
//!   [`crate::device`]): the relay's event carries it to the notice mail;
//! - list, remove: the user's own passkeys only (a passkey id is looked up
//!   under the token's user, so another user's id is simply not found);
//! - sign-in options: a usernameless challenge, kept for 5 minutes, limited
//!   per client IP.
//!
//! Every failure of a dependency is a `503` and changes nothing; no token,
//! address or credential is logged.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magiclink::aws::CallError;
use magiclink::email::EmailAddress;
use magiclink::metrics::{Metric, Point};
use magiclink::passkeys::{AddError, MAX_NAME_CHARS, MAX_PASSKEYS, StoredPasskey, credential_key};
use magiclink::rate_limit::Decision;
use magiclink::telemetry::emit;
use magiclink::time::unix_seconds;
use magiclink_webauthn::RelyingParty;
use magiclink_webauthn::ceremony::CEREMONY_TIMEOUT;
use serde_json::{Map, Value, json};
use ulid::Ulid;

use magiclink_http::json_object;

use crate::api::{ApiError, Success};
use crate::backend::{Backend, CognitoUser};
use crate::config::PasskeysConfig;
use crate::device::describe;
use crate::identity::{Identity, Unauthorized, bearer, check_claims, signed_in_within};

/// The name a passkey gets when the request gives none.
pub const DEFAULT_NAME: &str = "Passkey";

/// What a request carries that the endpoints read.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inbound<'a> {
    pub authorization: Option<&'a str>,
    /// The `sub` claim the API's JWT authorizer passed on, if any.
    pub authorizer_sub: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    pub passkey_id: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    /// The `User-Agent` header: the browser the notice mail names (see
    /// [`crate::device`]).
    pub user_agent: Option<&'a str>,
}

/// The service: the relying party (none when passkeys are off) over a
/// [`Backend`].
#[derive(Debug)]
pub struct Service<B> {
    pub rp: Option<RelyingParty>,
    pub backend: B,
}

fn unavailable(what: &str, error: &CallError) -> ApiError {
    tracing::error!(%error, what, "dependency failed");
    ApiError::Unavailable
}

/// A passkey's name from the request: absent or `null` is the default;
/// otherwise a string of 1 to [`MAX_NAME_CHARS`] characters, trimmed, with
/// no control characters.
pub fn passkey_name(value: Option<&Value>) -> Result<String, ApiError> {
    let name = match value {
        None | Some(Value::Null) => return Ok(DEFAULT_NAME.to_owned()),
        Some(Value::String(name)) => name.trim(),
        Some(_) => return Err(ApiError::InvalidName("name must be a string".into())),
    };
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::InvalidName(format!(
            "name must be 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::InvalidName(
            "name must not hold control characters".into(),
        ));
    }
    Ok(name.to_owned())
}

/// The credential and the name of a registration's body:
/// `{"credential": <PublicKeyCredential.toJSON()>, "name"?: "…"}`.
pub fn registration_body(fields: Map<String, Value>) -> Result<(Value, String), ApiError> {
    if let Some(unknown) = fields
        .keys()
        .find(|k| !matches!(k.as_str(), "credential" | "name"))
    {
        return Err(ApiError::InvalidJson(format!("unknown field {unknown:?}")));
    }
    let name = passkey_name(fields.get("name"))?;
    match fields.get("credential") {
        Some(credential @ Value::Object(_)) => Ok((credential.clone(), name)),
        Some(_) => Err(ApiError::InvalidJson("credential must be an object".into())),
        None => Err(ApiError::InvalidJson("credential is required".into())),
    }
}

/// A passkey as the list shows it. Its WebAuthn credential id lets the
/// browser forget passkeys the list no longer holds (the Signal API).
fn listed(passkey: &StoredPasskey) -> Value {
    json!({
        "id": passkey.id.to_string(),
        "credentialId": passkey.credential_id,
        "name": passkey.name,
        "createdAt": passkey.created_at,
        "lastUsedAt": passkey.last_used_at,
    })
}

impl<B: Backend> Service<B> {
    fn rp(&self) -> Result<&RelyingParty, ApiError> {
        self.rp.as_ref().ok_or(ApiError::Disabled)
    }

    /// The passkeys `user` holds.
    async fn passkeys_of(&self, user: &Identity) -> Result<Vec<StoredPasskey>, ApiError> {
        self.backend
            .passkeys(&user.sub)
            .await
            .map_err(|e| unavailable("passkeys", &e))
    }

    /// The signed-in user of the request (see [`crate::identity`]).
    async fn identity(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Identity, ApiError> {
        let refused = |reason: Unauthorized| {
            tracing::info!(%reason, "unauthorized");
            ApiError::Unauthorized
        };
        let token = bearer(inbound.authorization).map_err(refused)?;
        let claimed = check_claims(
            token,
            &config.user_pool_id,
            &config.client_id,
            unix_seconds(now),
        )
        .map_err(refused)?;
        let user = self
            .backend
            .user(token)
            .await
            .map_err(|e| unavailable("Cognito GetUser", &e))?
            .ok_or_else(|| refused(Unauthorized::Refused))?;
        if user.sub != claimed.sub || inbound.authorizer_sub.is_some_and(|s| s != user.sub) {
            return Err(refused(Unauthorized::OtherUser));
        }
        let CognitoUser { sub, email } = user;
        Ok(Identity {
            sub,
            email,
            auth_time: claimed.auth_time,
        })
    }

    /// The signed-in user of the request, who must have signed in within
    /// the configured window: a change to their passkeys outlives every
    /// session, so a stolen refresh token (or a script injected into the
    /// page) must not be enough to make one.
    async fn fresh_identity(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Identity, ApiError> {
        let user = self.identity(config, inbound, now).await?;
        if !signed_in_within(
            user.auth_time,
            unix_seconds(now),
            config.fresh_for.as_secs(),
        ) {
            tracing::info!("passkey change without a fresh sign-in");
            return Err(ApiError::ReauthenticationRequired {
                within_secs: config.fresh_for.as_secs(),
            });
        }
        Ok(user)
    }

    /// `POST /v1/passkeys/registration-options`
    pub async fn registration_options(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Success, ApiError> {
        let rp = self.rp()?;
        let user = self.fresh_identity(config, inbound, now).await?;
        let held = self.passkeys_of(&user).await?;
        if held.len() as u64 >= MAX_PASSKEYS {
            return Err(ApiError::TooManyPasskeys);
        }
        let exclude = held
            .iter()
            .filter_map(|p| URL_SAFE_NO_PAD.decode(&p.credential_id).ok())
            .collect();
        let registration = rp
            .registration(&user.sub, &user.email, exclude)
            .map_err(|e| {
                tracing::error!(error = %e, "registration options");
                ApiError::Unavailable
            })?;
        self.backend
            .begin_registration(&user.sub, &registration.state, now + CEREMONY_TIMEOUT)
            .await
            .map_err(|e| unavailable("registration", &e))?;
        Ok(Success::Ok(json!({"publicKey": registration.options})))
    }

    /// `POST /v1/passkeys`
    pub async fn register(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Success, ApiError> {
        let rp = self.rp()?;
        let user = self.fresh_identity(config, inbound, now).await?;
        let (credential, name) =
            registration_body(json_object(inbound.content_type, inbound.body)?)?;
        let state = self
            .backend
            .registration(&user.sub, now)
            .await
            .map_err(|e| unavailable("registration", &e))?
            .ok_or(ApiError::NoRegistration)?;
        let held = self.passkeys_of(&user).await?;
        // An authenticator that ignored the options' exclusion list answers
        // with a credential the user holds: said so before the check (which
        // refuses it too, but names it an altered algorithm).
        let holds = |id: &str| held.iter().any(|p| p.credential_id == id);
        if credential["rawId"].as_str().is_some_and(holds) {
            return Err(ApiError::AlreadyRegistered);
        }
        let registered = rp.register(credential, &state).map_err(|refusal| {
            tracing::info!(%refusal, "registration refused");
            ApiError::InvalidCredential(refusal.to_string())
        })?;
        let credential_id = credential_key(&registered.credential_id);
        if holds(&credential_id) {
            return Err(ApiError::AlreadyRegistered);
        }
        let fingerprints = self
            .backend
            .fingerprints()
            .await
            .map_err(|e| unavailable("fingerprint key", &e))?;
        let subject_hash = match EmailAddress::parse(&user.email) {
            Ok(email) => email.fingerprint(&fingerprints),
            Err(_) => fingerprints.of(&user.email),
        };
        let passkey = StoredPasskey {
            id: Ulid::from_datetime(now),
            credential_id,
            credential: registered.credential,
            name,
            created_at: unix_seconds(now),
            last_used_at: None,
            sign_count: registered.counter,
        };
        match self
            .backend
            .add(
                &user.sub,
                &subject_hash,
                &passkey,
                &describe(inbound.user_agent),
                now,
            )
            .await
        {
            Ok(()) => {}
            Err(AddError::NoRegistration) => return Err(ApiError::NoRegistration),
            Err(AddError::TooMany) => return Err(ApiError::TooManyPasskeys),
            Err(AddError::Store(e)) => return Err(unavailable("passkeys", &e)),
        }
        tracing::info!(passkey = %passkey.id, "passkey registered");
        emit(Point::count(Metric::PasskeysRegistered));
        Ok(Success::Created(listed(&passkey)))
    }

    /// `GET /v1/passkeys`
    pub async fn list(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Success, ApiError> {
        let rp = self.rp()?;
        let user = self.identity(config, inbound, now).await?;
        let held = self.passkeys_of(&user).await?;
        Ok(Success::Ok(json!({
            "passkeys": held.iter().map(listed).collect::<Vec<_>>(),
            "rpId": rp.id(),
        })))
    }

    /// `DELETE /v1/passkeys/{passkeyId}`
    pub async fn remove(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Success, ApiError> {
        self.rp()?;
        let user = self.fresh_identity(config, inbound, now).await?;
        let id: Ulid = inbound
            .passkey_id
            .and_then(|raw| raw.parse().ok())
            .ok_or(ApiError::NotFound)?;
        let removed = self
            .backend
            .remove(&user.sub, id, &describe(inbound.user_agent))
            .await
            .map_err(|e| unavailable("passkeys", &e))?;
        if !removed {
            return Err(ApiError::NotFound);
        }
        tracing::info!(passkey = %id, "passkey removed");
        emit(Point::count(Metric::PasskeysRemoved));
        Ok(Success::Removed)
    }

    /// `POST /v1/me/sign-out-everywhere`: every link, code and approval of
    /// the signed-in user made until now stops working, then every session
    /// ends (this token's too). No fresh sign-in is needed: it only takes
    /// away. Passkeys stay (an operator's revocation may remove them).
    pub async fn sign_out_everywhere(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Success, ApiError> {
        let user = self.identity(config, inbound, now).await?;
        let token = bearer(inbound.authorization).map_err(|_| ApiError::Unauthorized)?;
        let fingerprints = self
            .backend
            .fingerprints()
            .await
            .map_err(|e| unavailable("fingerprint key", &e))?;
        // An account whose address is not one (made outside magiclink)
        // has no links to revoke; its sessions still end.
        if let Ok(email) = EmailAddress::parse(&user.email) {
            let subject = email.fingerprint(&fingerprints);
            self.backend
                .revoke_links(&email, &subject, now)
                .await
                .map_err(|e| unavailable("the table", &e))?;
        }
        self.backend
            .sign_out_everywhere(token)
            .await
            .map_err(|e| unavailable("Cognito GlobalSignOut", &e))?;
        tracing::info!("signed out everywhere");
        emit(Point::count(Metric::UsersRevoked));
        Ok(Success::Removed)
    }

    /// `POST /v1/passkeys/sign-in-options`
    pub async fn sign_in_options(
        &self,
        config: &PasskeysConfig,
        inbound: Inbound<'_>,
        now: SystemTime,
    ) -> Result<Success, ApiError> {
        let rp = self.rp()?;
        let fingerprints = self
            .backend
            .fingerprints()
            .await
            .map_err(|e| unavailable("fingerprint key", &e))?;
        let client = fingerprints.of(inbound.source_ip.unwrap_or("unknown"));
        let decision = self
            .backend
            .count_client(&client, config.per_ip, now)
            .await
            .map_err(|e| unavailable("rate limit", &e))?;
        if let Decision::Limited { retry_after } = decision {
            tracing::info!(client = %client, "rate limited");
            return Err(ApiError::RateLimited {
                retry_after_secs: retry_after.as_secs(),
            });
        }
        let challenge = rp.sign_in().map_err(|e| {
            tracing::error!(error = %e, "sign-in options");
            ApiError::Unavailable
        })?;
        self.backend
            .issue_challenge(
                &challenge.challenge,
                &challenge.state,
                now + CEREMONY_TIMEOUT,
            )
            .await
            .map_err(|e| unavailable("sign-in challenge", &e))?;
        Ok(Success::Ok(json!({"publicKey": challenge.options})))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(passkey_name(None), Ok(DEFAULT_NAME.into()));
        assert_eq!(passkey_name(Some(&Value::Null)), Ok(DEFAULT_NAME.into()));
        assert_eq!(
            passkey_name(Some(&json!("  Laptop  "))),
            Ok("Laptop".into())
        );
        assert_eq!(
            passkey_name(Some(&json!("ü".repeat(64)))),
            Ok("ü".repeat(64))
        );
        for bad in [
            json!(""),
            json!("   "),
            json!("x".repeat(65)),
            json!("a\nb"),
            json!("a\u{0}b"),
            json!("\u{1b}[31m"),
            json!(7),
            json!(["Laptop"]),
            json!({"name": "Laptop"}),
            json!(true),
        ] {
            assert!(
                matches!(passkey_name(Some(&bad)), Err(ApiError::InvalidName(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn registration_bodies_are_checked() {
        let fields = |v: Value| v.as_object().unwrap().clone();
        let (credential, name) =
            registration_body(fields(json!({"credential": {"id": "x"}, "name": "Phone"}))).unwrap();
        assert_eq!(credential, json!({"id": "x"}));
        assert_eq!(name, "Phone");
        for bad in [
            json!({}),
            json!({"name": "Phone"}),
            json!({"credential": "x"}),
            json!({"credential": null}),
            json!({"credential": [1]}),
            json!({"credential": {}, "extra": 1}),
        ] {
            assert!(
                matches!(
                    registration_body(fields(bad.clone())),
                    Err(ApiError::InvalidJson(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            registration_body(fields(json!({"credential": {}, "name": 7}))),
            Err(ApiError::InvalidName(_))
        ));
    }

    /// A body as an endpoint reads it: its error as the API's.
    fn json_object(
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Map<String, Value>, ApiError> {
        magiclink_http::json_object(content_type, body).map_err(ApiError::from)
    }

    #[test]
    fn bodies_must_be_small_json_objects() {
        let json = Some("application/json; charset=utf-8");
        assert!(json_object(json, b"{}").is_ok());
        assert_eq!(
            json_object(Some("text/plain"), b"{}"),
            Err(ApiError::UnsupportedMediaType)
        );
        assert_eq!(
            json_object(None, b"{}"),
            Err(ApiError::UnsupportedMediaType)
        );
        let huge = vec![b' '; magiclink_http::MAX_BODY_BYTES + 1];
        assert_eq!(json_object(json, &huge), Err(ApiError::PayloadTooLarge));
        for bad in [&b"[]"[..], b"\"x\"", b"{", b"", b"\xff"] {
            assert!(matches!(
                json_object(json, bad),
                Err(ApiError::InvalidJson(_))
            ));
        }
    }
}
