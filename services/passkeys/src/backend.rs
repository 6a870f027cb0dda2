//! The side effects of the endpoints, as a trait the endpoints are written
//! against, so that every answer they can give is tested without AWS; and
//! [`AwsBackend`], the real one: the user's passkeys and ceremonies in
//! DynamoDB, the client counters, the fingerprint key, the user's
//! revocation watermark, and Cognito's `GetUser` and `GlobalSignOut`
//! (authorized by the user's own access token: no admin call).

use std::future::Future;
use std::time::SystemTime;

use magiclink::aws::CallError;
use magiclink::challenge::ChallengeStore;
use magiclink::email::EmailAddress;
use magiclink::events::RevokedBy;
use magiclink::fingerprint::{FingerprintKey, Fingerprints};
use magiclink::passkeys::{AddError, PasskeyStore, StoredPasskey};
use magiclink::rate_limit::{Decision, Limit, RateLimiter};
use ulid::Ulid;

/// A user as Cognito tells it from their access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CognitoUser {
    pub sub: String,
    pub email: String,
}

/// The side effects of `/v1/passkeys`.
pub trait Backend {
    /// The user whose access token `token` is; `None` when Cognito refuses
    /// it (signed out, revoked, its user gone) or names no `sub` and `email`.
    fn user(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<CognitoUser>, CallError>> + Send;
    /// The passkeys of user `sub`.
    fn passkeys(
        &self,
        sub: &str,
    ) -> impl Future<Output = Result<Vec<StoredPasskey>, CallError>> + Send;
    /// Keeps the state of the registration `sub` started, until `expires`.
    fn begin_registration(
        &self,
        sub: &str,
        state: &str,
        expires: SystemTime,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
    /// The state of the registration `sub` started, if it has not expired.
    fn registration(
        &self,
        sub: &str,
        now: SystemTime,
    ) -> impl Future<Output = Result<Option<String>, CallError>> + Send;
    /// Adds `passkey` to `sub`'s, from browser `from`, ending the
    /// registration (see [`PasskeyStore::add`]).
    fn add(
        &self,
        sub: &str,
        subject_hash: &str,
        passkey: &StoredPasskey,
        from: &str,
        now: SystemTime,
    ) -> impl Future<Output = Result<(), AddError>> + Send;
    /// Removes passkey `id` of `sub`, from browser `from`; `false` when
    /// there was none.
    fn remove(
        &self,
        sub: &str,
        id: Ulid,
        from: &str,
    ) -> impl Future<Output = Result<bool, CallError>> + Send;
    /// Keeps a usernameless sign-in's challenge and state until `expires`.
    fn issue_challenge(
        &self,
        challenge: &str,
        state: &str,
        expires: SystemTime,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
    /// Counts one sign-in-options request of `client` (a fingerprint)
    /// against `limit`.
    fn count_client(
        &self,
        client: &str,
        limit: Limit,
        now: SystemTime,
    ) -> impl Future<Output = Result<Decision, CallError>> + Send;
    /// The fingerprints that stand in for addresses and IPs.
    fn fingerprints(&self) -> impl Future<Output = Result<Fingerprints, CallError>> + Send;
    /// Revokes every link, code and approval of `email` (whose fingerprint
    /// is `subject`) made until `now` (see
    /// [`magiclink::challenge::ChallengeStore::revoke_user`]).
    fn revoke_links(
        &self,
        email: &EmailAddress,
        subject: &str,
        now: SystemTime,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
    /// Ends every session of the user whose access token `token` is
    /// (Cognito's `GetUser`'s sibling `GlobalSignOut`, authorized by the
    /// token itself).
    fn sign_out_everywhere(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// The backend on AWS.
#[derive(Debug, Clone)]
pub struct AwsBackend {
    pub store: PasskeyStore,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub limiter: RateLimiter,
    pub fingerprints: FingerprintKey,
    pub challenges: ChallengeStore,
}

impl Backend for AwsBackend {
    async fn user(&self, token: &str) -> Result<Option<CognitoUser>, CallError> {
        let user = match self.cognito.get_user().access_token(token).send().await {
            Ok(user) => user,
            Err(error)
                if error.as_service_error().is_some_and(|e| {
                    e.is_not_authorized_exception() || e.is_user_not_found_exception()
                }) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(CallError::from_sdk("Cognito GetUser", &error)),
        };
        let attribute = |name: &str| {
            user.user_attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value())
                .map(str::to_owned)
        };
        Ok(attribute("sub")
            .zip(attribute("email"))
            .map(|(sub, email)| CognitoUser { sub, email }))
    }

    async fn passkeys(&self, sub: &str) -> Result<Vec<StoredPasskey>, CallError> {
        self.store.list(sub).await
    }

    async fn begin_registration(
        &self,
        sub: &str,
        state: &str,
        expires: SystemTime,
    ) -> Result<(), CallError> {
        self.store.begin_registration(sub, state, expires).await
    }

    async fn registration(&self, sub: &str, now: SystemTime) -> Result<Option<String>, CallError> {
        self.store.registration(sub, now).await
    }

    async fn add(
        &self,
        sub: &str,
        subject_hash: &str,
        passkey: &StoredPasskey,
        from: &str,
        now: SystemTime,
    ) -> Result<(), AddError> {
        self.store.add(sub, subject_hash, passkey, from, now).await
    }

    async fn remove(&self, sub: &str, id: Ulid, from: &str) -> Result<bool, CallError> {
        self.store.remove(sub, id, from).await
    }

    async fn issue_challenge(
        &self,
        challenge: &str,
        state: &str,
        expires: SystemTime,
    ) -> Result<(), CallError> {
        self.store.issue_challenge(challenge, state, expires).await
    }

    async fn count_client(
        &self,
        client: &str,
        limit: Limit,
        now: SystemTime,
    ) -> Result<Decision, CallError> {
        self.limiter.admit("passkey-ip", client, limit, now).await
    }

    async fn fingerprints(&self) -> Result<Fingerprints, CallError> {
        self.fingerprints.get().await.cloned()
    }

    async fn revoke_links(
        &self,
        email: &EmailAddress,
        subject: &str,
        now: SystemTime,
    ) -> Result<(), CallError> {
        self.challenges
            .revoke_user(email, subject, None, RevokedBy::User, now)
            .await
            .map(|_| ())
    }

    async fn sign_out_everywhere(&self, token: &str) -> Result<(), CallError> {
        match self
            .cognito
            .global_sign_out()
            .access_token(token)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(CallError::from_sdk("Cognito GlobalSignOut", &e)),
        }
    }
}
