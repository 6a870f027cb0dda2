//! What the challenge store's operations take and answer: the proof an
//! answer brings, the refusals, and what each write did.

use super::{ChallengeStatus, SignInMethod};
use crate::approval::Proof as ApprovalProof;
use crate::aws::CallError;
use crate::binding::DeviceBinding;

/// What an answer proves, and so what state the challenge must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The link's token: the challenge is mailed (or pending) and unapproved.
    Link,
    /// The mail's code: likewise.
    Code,
    /// The verifier of the asking browser: the challenge was approved, and
    /// the verifier hashes to its binding.
    Approval(DeviceBinding),
}

impl Proof {
    pub fn method(self) -> SignInMethod {
        match self {
            Self::Link => SignInMethod::Link,
            Self::Code => SignInMethod::Code,
            Self::Approval(_) => SignInMethod::Approval,
        }
    }
}

/// Why a challenge could not be consumed.
#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error("no such challenge")]
    NotFound,
    #[error("the challenge belongs to another user")]
    WrongUser,
    #[error("the challenge has expired")]
    Expired,
    #[error("the challenge was already used")]
    Used,
    #[error("another link of this user was used since this one was made, which revoked it")]
    Revoked,
    #[error("the account's address is not the one magiclink verified for it")]
    AddressChanged,
    #[error(
        "too many wrong attempts: the challenge's code, or the whole challenge after wrong approval numbers, or every code of the user for a while"
    )]
    TooManyAttempts,
    #[error(
        "the challenge was approved for the device that asked; only that device signs in with it"
    )]
    ApprovedElsewhere,
    #[error("the challenge has not been approved")]
    NotApproved,
    #[error("the verifier is not the one the challenge was asked with")]
    WrongVerifier,
    #[error(transparent)]
    Store(#[from] CallError),
}

/// What an approval with a well-formed number did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// The challenge is approved: the asking browser may sign in with it.
    Approved,
    /// The number was wrong; this many more wrong numbers burn the
    /// challenge (0: this one did).
    WrongNumber { left: u64 },
}

/// Why a challenge cannot be approved.
#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("no such challenge")]
    NotFound,
    #[error("the link is not this challenge's")]
    WrongUser,
    #[error(
        "the challenge was asked for without a binding, so it cannot be approved from another device"
    )]
    NotApprovable,
    #[error("the challenge was already approved")]
    AlreadyApproved,
    #[error("the challenge was already used")]
    Used,
    #[error("another sign-in of this user revoked the challenge")]
    Revoked,
    #[error("the challenge has expired")]
    Expired,
    #[error("the challenge was burnt by too many wrong approval numbers")]
    TooManyAttempts,
    #[error(transparent)]
    Store(#[from] CallError),
}

/// What a wrong code did to its challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongCode {
    /// Counted; this many more wrong codes end the challenge's code (or the
    /// user's budget, whichever comes first).
    Counted { left: u64 },
    /// This was the last wrong code the challenge's code, or the user's
    /// budget, takes: no code signs in with it now.
    Spent,
}

/// What a user's watermark says of one of their challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserState {
    /// A sign-in since the challenge was made revoked it.
    pub revoked: bool,
    /// The user signed in within the watermark's lifetime (90 days).
    pub signed_in_lately: bool,
}

/// An approved challenge, as [`ChallengeStore::open_for_approval`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    /// Its expiry, seconds since the epoch, as the proof must state it.
    pub expires_at: u64,
    /// Its approval's proof, if it carries one.
    pub proof: Option<ApprovalProof>,
}

/// What [`ChallengeStore::mark_mailed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkMailed {
    /// The challenge was pending and is now mailed.
    Marked,
    /// Nothing changed: the challenge was already past pending (in that
    /// state), or is gone (`None`).
    Unchanged(Option<ChallengeStatus>),
}

/// What [`ChallengeStore::record_delivery`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The report is on the challenge now (the relay publishes it).
    Recorded,
    /// The challenge already carries this report, or a worse one.
    Known,
    /// The challenge is gone (it lives a day past its expiry), or its
    /// recorded mail is another one: the report has no challenge to go on.
    NoChallenge,
}

/// What [`ChallengeStore::claim_for_mailing`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailingClaim {
    /// This caller may send the mail; no other may until the lease ends.
    Claimed,
    /// Another delivery holds a live lease: it is sending this mail now.
    Busy,
    /// Nothing to send: the challenge is past pending (in that state), or
    /// gone (`None`).
    Done(Option<ChallengeStatus>),
}
