//! The side effects of the endpoints, as traits the endpoints are written
//! against, so that every answer they can give is tested without AWS; and
//! [`AwsBackend`], the real one: DynamoDB through the stores, KMS for the
//! fingerprints and the approvals' proofs.

use std::future::Future;
use std::time::SystemTime;

use magiclink::admission::{Admissions, Counter};
use magiclink::approval::ApprovalSigner;
use magiclink::aws::CallError;
use magiclink::challenge::{Approval, ApprovalError, Challenge, ChallengeStore};
use magiclink::email::EmailAddress;
use magiclink::fingerprint::{FingerprintKey, Fingerprints};
use magiclink::rate_limit::{Decision, Limit, RateLimiter};
use ulid::Ulid;

/// The side effects of asking for a link.
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

/// The side effects of the status and approval endpoints.
pub trait Approvals: Backend {
    /// Counts one status or approval request of the client `client` (a
    /// fingerprint) against `limit`.
    fn count_client(
        &self,
        client: &str,
        limit: Limit,
        now: SystemTime,
    ) -> impl Future<Output = Result<Decision, CallError>> + Send;
    /// The challenge `id`, if it exists.
    fn find(&self, id: Ulid) -> impl Future<Output = Result<Option<Challenge>, CallError>> + Send;
    /// Whether a sign-in of `challenge`'s user since it was made revoked it.
    fn is_revoked(
        &self,
        challenge: &Challenge,
    ) -> impl Future<Output = Result<bool, CallError>> + Send;
    /// Approves challenge `id` for the holder of a valid link for `email`
    /// who typed `number`.
    fn approve(
        &self,
        id: Ulid,
        email: &EmailAddress,
        number: u8,
        now: SystemTime,
    ) -> impl Future<Output = Result<Approval, ApprovalError>> + Send;
}
