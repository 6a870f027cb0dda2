//! The side effects of the admin endpoints, as a trait the endpoints are
//! written against, so that every answer they give is tested without AWS;
//! and [`AwsBackend`], the real one: DynamoDB through the stores, KMS for
//! the fingerprints, Cognito's admin API for a user's sessions.

use std::future::Future;
use std::time::SystemTime;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use magiclink::admission::{Admissions, Counter};
use magiclink::aws::CallError;
use magiclink::challenge::{Challenge, ChallengeStore, InvitationRevocation, UserRevocation};
use magiclink::email::EmailAddress;
use magiclink::events::RevokedBy;
use magiclink::fingerprint::{FingerprintKey, Fingerprints};
use magiclink::rate_limit::Decision;
use ulid::Ulid;

/// A Cognito user, as the revocation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUser {
    /// The name Cognito's admin calls take.
    pub username: String,
    pub sub: String,
}

/// The side effects of the admin endpoints.
pub trait Backend {
    /// The fingerprints that stand in for addresses and callers.
    fn fingerprints(&self) -> impl Future<Output = Result<Fingerprints, CallError>> + Send;
    /// Counts the invitation against `counters` and records `challenge`, all
    /// or nothing.
    fn admit(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        now: SystemTime,
    ) -> impl Future<Output = Result<Decision, CallError>> + Send;
    /// Revokes invitation `id` unless it was used.
    fn revoke_invitation(
        &self,
        id: Ulid,
        now: SystemTime,
    ) -> impl Future<Output = Result<InvitationRevocation, CallError>> + Send;
    /// The user whose sign-in address is `email`, if there is one.
    fn find_user(
        &self,
        email: &EmailAddress,
    ) -> impl Future<Output = Result<Option<PoolUser>, CallError>> + Send;
    /// Revokes every challenge of `email` made until `now`, and with
    /// `passkeys_of` that user's passkeys (see
    /// [`ChallengeStore::revoke_user`]).
    fn revoke_user(
        &self,
        email: &EmailAddress,
        subject: &str,
        passkeys_of: Option<&str>,
        now: SystemTime,
    ) -> impl Future<Output = Result<UserRevocation, CallError>> + Send;
    /// Ends every session of `user` (its refresh tokens stop working).
    fn sign_out(&self, user: &PoolUser) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// The backend on AWS.
#[derive(Debug, Clone)]
pub struct AwsBackend {
    pub admissions: Admissions,
    pub store: ChallengeStore,
    pub fingerprints: FingerprintKey,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub user_pool_id: String,
}

impl Backend for AwsBackend {
    async fn fingerprints(&self) -> Result<Fingerprints, CallError> {
        self.fingerprints.get().await.cloned()
    }

    async fn admit(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        now: SystemTime,
    ) -> Result<Decision, CallError> {
        self.admissions.admit(counters, challenge, now).await
    }

    async fn revoke_invitation(
        &self,
        id: Ulid,
        now: SystemTime,
    ) -> Result<InvitationRevocation, CallError> {
        self.store.revoke_invitation(id, now).await
    }

    async fn find_user(&self, email: &EmailAddress) -> Result<Option<PoolUser>, CallError> {
        let found = self
            .cognito
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(email.as_str())
            .send()
            .await;
        let user = match found {
            Ok(user) => user,
            Err(e) if e.code() == Some("UserNotFoundException") => return Ok(None),
            Err(e) => return Err(CallError::from_sdk("Cognito AdminGetUser", &e)),
        };
        let sub = user
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .ok_or_else(|| CallError::unexpected("Cognito AdminGetUser", "a user without sub"))?;
        Ok(Some(PoolUser {
            username: user.username().to_owned(),
            sub: sub.to_owned(),
        }))
    }

    async fn revoke_user(
        &self,
        email: &EmailAddress,
        subject: &str,
        passkeys_of: Option<&str>,
        now: SystemTime,
    ) -> Result<UserRevocation, CallError> {
        self.store
            .revoke_user(email, subject, passkeys_of, RevokedBy::Admin, now)
            .await
    }

    async fn sign_out(&self, user: &PoolUser) -> Result<(), CallError> {
        let result = self
            .cognito
            .admin_user_global_sign_out()
            .user_pool_id(&self.user_pool_id)
            .username(&user.username)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Gone since it was found: it has no session left either.
            Err(e) if e.code() == Some("UserNotFoundException") => Ok(()),
            Err(e) => Err(CallError::from_sdk("Cognito AdminUserGlobalSignOut", &e)),
        }
    }
}
