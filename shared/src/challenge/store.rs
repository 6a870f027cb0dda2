//! The DynamoDB store of challenges and of each user's revocation watermark.
//!
//! Items (one table, partition key `pk`, time to live on `ttl`):
//! - `challenge#<ULID>`: `email`, `redirectUri`, `createdAt`, `expiresAt`,
//!   `status`, while a mail is being sent `mailingUntil` (the sender's lease),
//!   once mailed `sesMessageId` and `mailedAt`, once consumed `consumedAt`
//!   and `consumedBy` (`link` or `code`), after a wrong code `wrongCodes`
//!   (at [`MAX_WRONG_CODES`] the challenge is burnt: neither its link nor
//!   its code signs in). It lives a day past its expiry, so a late replay is
//!   still told `used` or `expired` rather than "unknown".
//! - `user#<address>`: `revokedThrough`, the id up to which the user's
//!   challenges are used or revoked (see [`Challenge::watermark_after`]).
//!   It lives 90 days past its last sign-in: longer than any link can, and
//!   long enough to tell the request service that this spelling of a mailbox
//!   is one somebody signs in with (see `rate_limit`).
//! - `account#<sub>`: the address magiclink verified for a Cognito user
//!   (see [`crate::account`]); a consume requires it to match.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use ulid::Ulid;

use super::{Challenge, ChallengeStatus};
use crate::account::{AccountRef, account_key};
use crate::aws::CallError;
use crate::dynamo::{Item, PK, TTL, get_n, get_s, item_found, n, s};
use crate::email::EmailAddress;
use crate::events::SignInMethod;
use crate::time::unix_seconds;

/// How long a challenge item outlives its expiry.
const CHALLENGE_AFTERLIFE: Duration = Duration::from_secs(24 * 3600);
/// How long a watermark outlives its last raise: more than any link lives.
pub const WATERMARK_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// Attempts at a consume that DynamoDB cancelled for a conflicting transaction.
const CONFLICT_ATTEMPTS: u32 = 3;
/// Wrong codes that burn a challenge, across any number of Cognito sessions.
pub const MAX_WRONG_CODES: u64 = 5;

fn challenge_key(id: Ulid) -> String {
    format!("challenge#{id}")
}

pub(crate) fn user_key(email: &EmailAddress) -> String {
    format!("user#{}", email.as_str())
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
    #[error("the challenge was burnt by too many wrong codes")]
    TooManyAttempts,
    #[error(transparent)]
    Store(#[from] CallError),
}

/// What a wrong code did to its challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongCode {
    /// Counted; this many more wrong codes burn the challenge.
    Counted { left: u64 },
    /// This was the last wrong code the challenge takes: it is burnt.
    Burnt,
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

/// Challenges in DynamoDB.
#[derive(Debug, Clone)]
pub struct ChallengeStore {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl ChallengeStore {
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
        }
    }

    /// Records a new challenge. Fails, rather than overwrites, if its id exists.
    pub async fn create(&self, challenge: &Challenge) -> Result<(), CallError> {
        self.ddb
            .put_item()
            .table_name(&self.table)
            .set_item(Some(challenge_item(challenge)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB PutItem", &e))?;
        Ok(())
    }

    /// The challenge with this id, read consistently, if it exists.
    pub async fn get(&self, id: Ulid) -> Result<Option<Challenge>, CallError> {
        let output = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(challenge_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB GetItem", &e))?;
        output.item().map(|item| from_item(id, item)).transpose()
    }

    /// Whether a sign-in of the challenge's user since it was made revoked it
    /// (see the module docs of [`crate::challenge`]).
    pub async fn is_revoked(&self, challenge: &Challenge) -> Result<bool, CallError> {
        let output = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(user_key(&challenge.email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB GetItem", &e))?;
        let watermark = output.item().and_then(|item| get_s(item, "revokedThrough"));
        Ok(watermark.is_some_and(|mark| mark >= challenge.id.to_string().as_str()))
    }

    /// Takes a lease on sending the challenge's mail, so that two deliveries
    /// of one message at the same moment send one mail. A lease that ends
    /// without the mail being recorded (the sender crashed) can be taken again.
    pub async fn claim_for_mailing(
        &self,
        id: Ulid,
        now: SystemTime,
        lease: Duration,
    ) -> Result<MailingClaim, CallError> {
        let now_secs = unix_seconds(now);
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(challenge_key(id)))
            .update_expression("SET mailingUntil = :until")
            .condition_expression(
                "attribute_exists(pk) AND #s = :pending AND (attribute_not_exists(mailingUntil) OR mailingUntil <= :now)",
            )
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s(ChallengeStatus::Pending.as_str()))
            .expression_attribute_values(":now", n(now_secs))
            .expression_attribute_values(":until", n(now_secs + lease.as_secs()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(MailingClaim::Claimed),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(match status_found(e.err()) {
                    Some(ChallengeStatus::Pending) => MailingClaim::Busy,
                    other => MailingClaim::Done(other),
                })
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Gives a mailing lease back after a failure, so that the next delivery
    /// need not wait for it to end. Best effort: a lease not given back ends
    /// by itself.
    pub async fn release_mailing(&self, id: Ulid) -> Result<(), CallError> {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(challenge_key(id)))
            .update_expression("REMOVE mailingUntil")
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":pending", s(ChallengeStatus::Pending.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Records that the mail went out. Idempotent: a second call, or a call
    /// for a consumed challenge, changes nothing and says what it found.
    pub async fn mark_mailed(
        &self,
        id: Ulid,
        ses_message_id: &str,
        now: SystemTime,
    ) -> Result<MarkMailed, CallError> {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(challenge_key(id)))
            .update_expression("SET #s = :mailed, sesMessageId = :mid, mailedAt = :now")
            .condition_expression("attribute_exists(pk) AND #s = :pending")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":mailed", s(ChallengeStatus::Mailed.as_str()))
            .expression_attribute_values(":pending", s(ChallengeStatus::Pending.as_str()))
            .expression_attribute_values(":mid", s(ses_message_id))
            .expression_attribute_values(":now", n(unix_seconds(now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(MarkMailed::Marked),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(MarkMailed::Unchanged(status_found(e.err())))
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Uses challenge `id` to sign in `email` at `now`: one transaction that
    /// succeeds for exactly one caller, and only if the challenge is this
    /// user's, unexpired, unused and not revoked (see the module docs), and
    /// the Cognito user `account` is still bound to the address magiclink
    /// verified for it (see [`crate::account`]).
    pub async fn consume(
        &self,
        id: Ulid,
        email: &EmailAddress,
        account: &AccountRef,
        method: SignInMethod,
        now: SystemTime,
    ) -> Result<(), ConsumeError> {
        let mut attempt = 1;
        loop {
            match self.try_consume(id, email, account, method, now).await {
                Err(Attempt::Conflict) if attempt < CONFLICT_ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(Attempt::Conflict) => {
                    return Err(ConsumeError::Store(CallError {
                        operation: "DynamoDB TransactWriteItems",
                        message: "cancelled by conflicting transactions".into(),
                        transient: true,
                    }));
                }
                Err(Attempt::Failed(e)) => return Err(e),
                Ok(()) => return Ok(()),
            }
        }
    }

    async fn try_consume(
        &self,
        id: Ulid,
        email: &EmailAddress,
        account: &AccountRef,
        method: SignInMethod,
        now: SystemTime,
    ) -> Result<(), Attempt> {
        let now_secs = unix_seconds(now);
        // The builders fail only for a missing required field: a bug here.
        let unbuildable = |e: aws_sdk_dynamodb::error::BuildError| {
            Attempt::Failed(
                CallError::unexpected("DynamoDB TransactWriteItems", e.to_string()).into(),
            )
        };
        let challenge = Update::builder()
            .table_name(&self.table)
            .key(PK, s(challenge_key(id)))
            .update_expression("SET #s = :consumed, consumedAt = :now, consumedBy = :method")
            .condition_expression(USABLE)
            .expression_attribute_names("#s", "status")
            .set_expression_attribute_values(Some(usable_values(
                email,
                now_secs,
                [
                    (":method", s(method.as_str())),
                    (":consumed", s(ChallengeStatus::Consumed.as_str())),
                ],
            )))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(unbuildable)?;
        let watermark = Update::builder()
            .table_name(&self.table)
            .key(PK, s(user_key(email)))
            .update_expression("SET revokedThrough = :mark, #ttl = :ttl")
            .condition_expression("attribute_not_exists(revokedThrough) OR revokedThrough < :id")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":id", s(id.to_string()))
            .expression_attribute_values(
                ":mark",
                s(Challenge::watermark_after(id, now).to_string()),
            )
            .expression_attribute_values(":ttl", n(now_secs + WATERMARK_LIFETIME.as_secs()))
            .build()
            .map_err(unbuildable)?;
        let binding = ConditionCheck::builder()
            .table_name(&self.table)
            .key(PK, s(account_key(&account.sub)))
            .condition_expression("addressHash = :h")
            .expression_attribute_values(":h", s(&account.address_hash))
            .build()
            .map_err(unbuildable)?;
        let result = self
            .ddb
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(challenge).build())
            .transact_items(TransactWriteItem::builder().update(watermark).build())
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(binding)
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => Err(
                    why_cancelled(email, now_secs, cancelled.cancellation_reasons()),
                ),
                _ => Err(Attempt::Failed(
                    CallError::from_sdk("DynamoDB TransactWriteItems", &SdkError::ServiceError(e))
                        .into(),
                )),
            },
            Err(e) => Err(Attempt::Failed(
                CallError::from_sdk("DynamoDB TransactWriteItems", &e).into(),
            )),
        }
    }

    /// Counts a wrong code for challenge `id`, answered by `email` at `now`:
    /// one conditional update, made only while the challenge is this user's
    /// and could still sign in (so nobody can burn another user's challenge,
    /// and a used, expired or burnt one is reported as such, not counted).
    pub async fn count_wrong_code(
        &self,
        id: Ulid,
        email: &EmailAddress,
        now: SystemTime,
    ) -> Result<WrongCode, ConsumeError> {
        let now_secs = unix_seconds(now);
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(challenge_key(id)))
            .update_expression("ADD wrongCodes :one")
            .condition_expression(USABLE)
            .expression_attribute_names("#s", "status")
            .set_expression_attribute_values(Some(usable_values(email, now_secs, [(":one", n(1))])))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let count = output
                    .attributes()
                    .and_then(|item| get_n(item, "wrongCodes"))
                    .unwrap_or(MAX_WRONG_CODES);
                Ok(match MAX_WRONG_CODES.saturating_sub(count) {
                    0 => WrongCode::Burnt,
                    left => WrongCode::Counted { left },
                })
            }
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(refusal(item_found(e.err()), email, now_secs))
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e).into()),
        }
    }
}

/// The condition under which a challenge can still sign its user in (or
/// count a wrong code): it exists, is `email`'s, is neither used nor
/// expired, and has not been burnt by wrong codes.
const USABLE: &str = "attribute_exists(pk) AND email = :email AND (#s = :pending OR #s = :mailed) \
     AND expiresAt > :now AND (attribute_not_exists(wrongCodes) OR wrongCodes < :maxWrong)";

/// The values [`USABLE`] names, for `email` at `now_secs` (its `#s` is
/// `status`), with the update's own `extra` values.
fn usable_values<const N: usize>(
    email: &EmailAddress,
    now_secs: u64,
    extra: [(&str, AttributeValue); N],
) -> Item {
    let mut values = Item::from([
        (":email".to_owned(), s(email.as_str())),
        (":pending".to_owned(), s(ChallengeStatus::Pending.as_str())),
        (":mailed".to_owned(), s(ChallengeStatus::Mailed.as_str())),
        (":now".to_owned(), n(now_secs)),
        (":maxWrong".to_owned(), n(MAX_WRONG_CODES)),
    ]);
    values.extend(extra.map(|(name, value)| (name.to_owned(), value)));
    values
}

/// Why a challenge (`item`, as it was; `None` when there is none) could not
/// be used by `email` at `now_secs`.
fn refusal(item: Option<&Item>, email: &EmailAddress, now_secs: u64) -> ConsumeError {
    let Some(item) = item else {
        return ConsumeError::NotFound;
    };
    if get_s(item, "email") != Some(email.as_str()) {
        ConsumeError::WrongUser
    } else if get_s(item, "status") == Some(ChallengeStatus::Consumed.as_str()) {
        ConsumeError::Used
    } else if get_n(item, "wrongCodes").is_some_and(|wrong| wrong >= MAX_WRONG_CODES) {
        ConsumeError::TooManyAttempts
    } else if get_n(item, "expiresAt").is_none_or(|expires| expires <= now_secs) {
        ConsumeError::Expired
    } else {
        ConsumeError::Store(CallError::unexpected(
            "DynamoDB",
            "a challenge condition failed for no reason the item shows",
        ))
    }
}

/// One consume attempt's failure: final, or worth another try.
enum Attempt {
    Failed(ConsumeError),
    Conflict,
}

const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// The status of the item that made a conditional update fail (the update
/// asked for it with `ALL_OLD`), or `None` when there was no item.
fn status_found(error: &UpdateItemError) -> Option<ChallengeStatus> {
    item_found(error)
        .and_then(|item| get_s(item, "status"))
        .and_then(ChallengeStatus::parse)
}

/// Turns the transaction's cancellation reasons into the precise refusal.
fn why_cancelled(email: &EmailAddress, now_secs: u64, reasons: &[CancellationReason]) -> Attempt {
    let code = |i: usize| reasons.get(i).and_then(CancellationReason::code);
    if reasons
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
    {
        return Attempt::Conflict;
    }
    if code(0) == Some(CONDITION_FAILED) {
        let item = reasons.first().and_then(CancellationReason::item);
        return Attempt::Failed(refusal(item, email, now_secs));
    }
    if code(1) == Some(CONDITION_FAILED) {
        return Attempt::Failed(ConsumeError::Revoked);
    }
    if code(2) == Some(CONDITION_FAILED) {
        return Attempt::Failed(ConsumeError::AddressChanged);
    }
    Attempt::Failed(ConsumeError::Store(CallError::unexpected(
        "TransactWriteItems",
        "cancelled for an unexpected reason",
    )))
}

/// The table item of a new challenge.
pub(crate) fn challenge_item(challenge: &Challenge) -> Item {
    let mut item = Item::from([
        (PK.to_owned(), s(challenge_key(challenge.id))),
        ("email".to_owned(), s(challenge.email.as_str())),
        ("redirectUri".to_owned(), s(&challenge.redirect_uri)),
        ("createdAt".to_owned(), n(challenge.created_at)),
        ("expiresAt".to_owned(), n(challenge.expires_at)),
        ("status".to_owned(), s(challenge.status.as_str())),
        (
            TTL.to_owned(),
            n(challenge.expires_at + CHALLENGE_AFTERLIFE.as_secs()),
        ),
    ]);
    if let Some(id) = &challenge.ses_message_id {
        item.insert("sesMessageId".to_owned(), s(id));
    }
    item
}

fn from_item(id: Ulid, item: &Item) -> Result<Challenge, CallError> {
    let corrupt =
        |what: &str| CallError::unexpected("DynamoDB GetItem", format!("challenge {id}: {what}"));
    let email = get_s(item, "email")
        .and_then(|raw| EmailAddress::parse(raw).ok())
        .ok_or_else(|| corrupt("email"))?;
    Ok(Challenge {
        id,
        email,
        redirect_uri: get_s(item, "redirectUri")
            .ok_or_else(|| corrupt("redirectUri"))?
            .to_owned(),
        created_at: get_n(item, "createdAt").ok_or_else(|| corrupt("createdAt"))?,
        expires_at: get_n(item, "expiresAt").ok_or_else(|| corrupt("expiresAt"))?,
        status: get_s(item, "status")
            .and_then(ChallengeStatus::parse)
            .ok_or_else(|| corrupt("status"))?,
        ses_message_id: get_s(item, "sesMessageId").map(str::to_owned),
    })
}
