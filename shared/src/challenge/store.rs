//! The DynamoDB store of challenges and of each user's revocation watermark.
//!
//! Items (one table, partition key `pk`, time to live on `ttl`):
//! - `challenge#<ULID>`: `email`, `redirectUri`, `createdAt`, `expiresAt`,
//!   `status`, while a mail is being sent `mailingUntil` (the sender's lease),
//!   once mailed `sesMessageId` and `mailedAt`, once approved from another
//!   device `approvedAt` with the approval's proof `approvalKey` and
//!   `approvalProof` (see [`crate::approval`]), once consumed `consumedAt` and `consumedBy` (`link`,
//!   `code` or `approval`); `binding` when the asking browser asked for
//!   cross-device approval (see [`crate::binding`]); after a wrong code
//!   `wrongCodes` (at [`MAX_WRONG_CODES`] its code is dead, its link is
//!   not), after a wrong approval number `wrongNumbers` (at
//!   [`MAX_WRONG_NUMBERS`] the challenge is burnt: nothing signs in with it);
//!   `consumedAttempt`, the id of the consume that used it (so that a consume
//!   whose answer was lost can tell that it committed); `locale` when the
//!   request named a language;
//!   once SES reported on the mail `delivery` ([`Delivery`]), `deliveryAt`,
//!   and for a bounce `bounceType` and `bounceSubType`, for a complaint
//!   `feedbackType` (see [`DeliveryReport`]). It lives a day past its expiry, so a late
//!   replay is still told `used` or `expired` rather than "unknown".
//! - `user#<address>`: `revokedThrough`, the id up to which the user's
//!   challenges are used or revoked (see [`Challenge::watermark_after`]).
//!   It lives 90 days past its last sign-in: longer than any link can, and
//!   long enough to tell the request service that this spelling of a mailbox
//!   is one somebody signs in with (see `rate_limit`).
//! - `account#<sub>`: the address magiclink verified for a Cognito user
//!   (see [`crate::account`]); a consume requires it to match.
//! - `rate#codeGuesses#<fingerprint>#…`: a user's wrong codes in the current
//!   window, a counter of [`crate::rate_limit`]; a code consumes only while
//!   it is below the budget.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use ulid::Ulid;

use super::answers::{
    Approval, ApprovalError, Approved, ConsumeError, MailingClaim, MarkMailed, Proof, Recorded,
    UserState, WrongCode,
};
use super::conditions::{
    Attempt, Awaiting, CONDITION_FAILED, UNREVOKED, WRONG_CODES, WRONG_NUMBERS, Wrong,
    status_found, usable, why_cancelled,
};
use super::item::{challenge_item, from_item};
use super::rules::{approvable, code_refusal, not_approvable, refusal, unexplained};
use super::{Challenge, ChallengeStatus, Delivery, DeliveryReport};
use crate::account::AccountRef;
use crate::approval::{ApprovalSigner, Proof as ApprovalProof, Statement};
use crate::aws::CallError;
use crate::binding::DeviceBinding;
use crate::dynamo::{Item, PK, TTL, get_n, get_s, item_found, n, s};
use crate::email::EmailAddress;
use crate::rate_limit::{Limit, counter_item};
use crate::table::challenge::{
    BOUNCE_SUB_TYPE, BOUNCE_TYPE, CONSUMED_BY, DELIVERY, DELIVERY_AT, EXPIRES_AT, FEEDBACK_TYPE,
    SES_MESSAGE_ID, STATUS,
};
use crate::table::key;
use crate::time::unix_seconds;

/// How long a watermark outlives its last raise: more than any link lives.
pub const WATERMARK_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// Attempts at a consume that DynamoDB cancelled for a conflicting transaction.
const CONFLICT_ATTEMPTS: u32 = 3;

/// The scope of the counters of a user's wrong codes (see [`crate::rate_limit`]).
const CODE_GUESSES: &str = "codeGuesses";

/// Challenges in DynamoDB.
#[derive(Debug, Clone)]
pub struct ChallengeStore {
    pub(super) ddb: aws_sdk_dynamodb::Client,
    pub(super) table: String,
    /// The budget of a user's wrong codes across all their challenges.
    code_guesses: Limit,
}

impl ChallengeStore {
    /// The default budget of a user's wrong codes: 20 a day.
    pub const CODE_GUESSES: Limit = Limit::new(20, Duration::from_secs(86_400));

    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
            code_guesses: Self::CODE_GUESSES,
        }
    }

    /// This store, with `limit` as the budget of a user's wrong codes.
    pub fn with_code_guesses(self, limit: Limit) -> Self {
        Self {
            code_guesses: limit,
            ..self
        }
    }

    /// The key of the counter of wrong codes of the user whose address has
    /// the fingerprint `subject`, for the window of `now`.
    fn guesses_key(&self, subject: &str, now: SystemTime) -> String {
        counter_item(CODE_GUESSES, subject, self.code_guesses, now).0
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

    /// The item `pk`, read consistently, if it exists.
    async fn read(&self, pk: String) -> Result<Option<Item>, CallError> {
        let output = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB GetItem", &e))?;
        Ok(output.item)
    }

    /// The challenge with this id, read consistently, if it exists.
    pub async fn get(&self, id: Ulid) -> Result<Option<Challenge>, CallError> {
        let item = self.read(key::challenge(id)).await?;
        item.as_ref().map(|item| from_item(id, item)).transpose()
    }

    /// Whether a sign-in of the challenge's user since it was made revoked it
    /// (see the module docs of [`crate::challenge`]).
    pub async fn is_revoked(&self, challenge: &Challenge) -> Result<bool, CallError> {
        Ok(self.user_of(challenge).await?.revoked)
    }

    /// What the user's watermark says of `challenge`: whether a sign-in
    /// since it was made revoked it, and whether the user signed in at all
    /// within the watermark's lifetime.
    pub async fn user_of(&self, challenge: &Challenge) -> Result<UserState, CallError> {
        let item = self.read(key::user(&challenge.email)).await?;
        let watermark = item.as_ref().and_then(|item| get_s(item, "revokedThrough"));
        Ok(UserState {
            revoked: watermark.is_some_and(|mark| mark >= challenge.id.to_string().as_str()),
            signed_in_lately: watermark.is_some(),
        })
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
            .key(PK, s(key::challenge(id)))
            .update_expression("SET mailingUntil = :until")
            .condition_expression(
                "attribute_exists(pk) AND #s = :pending AND (attribute_not_exists(mailingUntil) OR mailingUntil <= :now)",
            )
            .expression_attribute_names("#s", STATUS)
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
        self.update_if_pending(id, "REMOVE mailingUntil", None)
            .await
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
            .key(PK, s(key::challenge(id)))
            .update_expression(format!(
                "SET #s = :mailed, {SES_MESSAGE_ID} = :mid, mailedAt = :now"
            ))
            .condition_expression("attribute_exists(pk) AND #s = :pending")
            .expression_attribute_names("#s", STATUS)
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

    /// Records on challenge `id` what SES reported at `now` of its mail
    /// `ses_message_id`, unless the challenge already carries that report or
    /// a worse one ([`Delivery::replaces`]).
    pub async fn record_delivery(
        &self,
        id: Ulid,
        ses_message_id: &str,
        report: &DeliveryReport,
        now: SystemTime,
    ) -> Result<Recorded, CallError> {
        let replaceable: Vec<String> = (0..report.delivery.replaces().len())
            .map(|i| format!(":r{i}"))
            .collect();
        let unrecorded = if replaceable.is_empty() {
            format!("attribute_not_exists({DELIVERY})")
        } else {
            format!(
                "(attribute_not_exists({DELIVERY}) OR {DELIVERY} IN ({}))",
                replaceable.join(", ")
            )
        };
        let mut set = vec![format!("{DELIVERY} = :d"), format!("{DELIVERY_AT} = :now")];
        let mut update = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::challenge(id)))
            .condition_expression(format!(
                "attribute_exists(pk) AND {SES_MESSAGE_ID} = :mid AND {unrecorded}"
            ))
            .expression_attribute_values(":d", s(report.delivery.as_str()))
            .expression_attribute_values(":now", n(unix_seconds(now)))
            .expression_attribute_values(":mid", s(ses_message_id))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, earlier) in replaceable.iter().zip(report.delivery.replaces()) {
            update = update.expression_attribute_values(name, s(earlier.as_str()));
        }
        if let Some(bounce_type) = report.bounce_type {
            set.push(format!("{BOUNCE_TYPE} = :bt"));
            update = update.expression_attribute_values(":bt", s(bounce_type.as_str()));
        }
        if let Some(sub_type) = &report.sub_type {
            let attribute = if report.delivery == Delivery::Complained {
                FEEDBACK_TYPE
            } else {
                BOUNCE_SUB_TYPE
            };
            set.push(format!("{attribute} = :st"));
            update = update.expression_attribute_values(":st", s(sub_type));
        }
        let result = update
            .update_expression(format!("SET {}", set.join(", ")))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Recorded::Recorded),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                let this_mail = item_found(e.err())
                    .and_then(|item| get_s(item, SES_MESSAGE_ID))
                    .is_some_and(|found| found == ses_message_id);
                Ok(if this_mail {
                    Recorded::Known
                } else {
                    Recorded::NoChallenge
                })
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Records that challenge `id`, still pending, was not mailed, and how
    /// the asking browser is to be told (`Suppressed` or `Withheld`).
    pub async fn mark_unsent(&self, id: Ulid, why: Delivery) -> Result<(), CallError> {
        let unsent = (":d", s(why.as_str()));
        self.update_if_pending(id, &format!("SET {DELIVERY} = :d"), Some(unsent))
            .await
    }

    /// Applies `expression` (with the value `value`, if any) to challenge
    /// `id` while it is pending; a challenge past pending, or gone, is left
    /// as it is.
    async fn update_if_pending(
        &self,
        id: Ulid,
        expression: &str,
        value: Option<(&str, AttributeValue)>,
    ) -> Result<(), CallError> {
        let mut update = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::challenge(id)))
            .update_expression(expression)
            .condition_expression("#s = :pending")
            .expression_attribute_names("#s", STATUS)
            .expression_attribute_values(":pending", s(ChallengeStatus::Pending.as_str()));
        if let Some((name, value)) = value {
            update = update.expression_attribute_values(name, value);
        }
        match update.send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Uses challenge `id` to sign in `email` at `now`: one transaction that
    /// succeeds for exactly one caller, and only if the challenge is this
    /// user's, unexpired, unused and not revoked (see the module docs), and
    /// the Cognito user `account` is still bound to the address magiclink
    /// verified for it (see [`crate::account`]), and in the state `proof`
    /// needs: unapproved for a link or a code, approved with a binding the
    /// verifier proves for an approval.
    pub async fn consume(
        &self,
        id: Ulid,
        email: &EmailAddress,
        account: &AccountRef,
        proof: Proof,
        now: SystemTime,
    ) -> Result<(), ConsumeError> {
        // One id for this consume, written on the challenge it uses and sent
        // as the transaction's idempotency token: the SDK's retry of an
        // attempt that committed unseen is answered as a success, and if the
        // answer is lost all the same, a read tells whether it was ours.
        let consume_id = Ulid::generate().to_string();
        let mut attempt = 1;
        loop {
            match self
                .try_consume(id, email, account, proof, &consume_id, now)
                .await
            {
                Err(Attempt::Failed(ConsumeError::Store(error))) if error.transient => {
                    return match self.consumed_by(id, &consume_id).await {
                        Ok(true) => Ok(()),
                        Ok(false) | Err(_) => Err(ConsumeError::Store(error)),
                    };
                }
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

    /// Whether challenge `id` was used by the consume `consume_id`.
    async fn consumed_by(&self, id: Ulid, consume_id: &str) -> Result<bool, CallError> {
        let item = self.read(key::challenge(id)).await?;
        Ok(item
            .as_ref()
            .and_then(|item| get_s(item, "consumedAttempt"))
            == Some(consume_id))
    }

    async fn try_consume(
        &self,
        id: Ulid,
        email: &EmailAddress,
        account: &AccountRef,
        proof: Proof,
        consume_id: &str,
        now: SystemTime,
    ) -> Result<(), Attempt> {
        let now_secs = unix_seconds(now);
        // The builders fail only for a missing required field: a bug here.
        let unbuildable = |e: aws_sdk_dynamodb::error::BuildError| {
            Attempt::Failed(
                CallError::unexpected("DynamoDB TransactWriteItems", e.to_string()).into(),
            )
        };
        let awaiting = match proof {
            Proof::Link => Awaiting::Link,
            Proof::Code => Awaiting::Code,
            Proof::Approval(binding) => Awaiting::Verifier(binding),
        };
        let (condition, values) = usable(
            email,
            now_secs,
            awaiting,
            [
                (":method", s(proof.method().as_str())),
                (":consumed", s(ChallengeStatus::Consumed.as_str())),
                (":attempt", s(consume_id)),
            ],
        );
        let challenge = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key::challenge(id)))
            .update_expression(
                format!("SET #s = :consumed, consumedAt = :now, {CONSUMED_BY} = :method, consumedAttempt = :attempt"),
            )
            .condition_expression(condition)
            .expression_attribute_names("#s", STATUS)
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(unbuildable)?;
        let watermark = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key::user(email)))
            .update_expression("SET revokedThrough = :mark, #ttl = :ttl")
            .condition_expression(UNREVOKED)
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
            .key(PK, s(key::account(&account.sub)))
            .condition_expression("addressHash = :h")
            .expression_attribute_values(":h", s(&account.address_hash))
            .build()
            .map_err(unbuildable)?;
        let mut transaction = self
            .ddb
            .transact_write_items()
            .client_request_token(consume_id)
            .transact_items(TransactWriteItem::builder().update(challenge).build())
            .transact_items(TransactWriteItem::builder().update(watermark).build())
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(binding)
                    .build(),
            );
        if proof == Proof::Code {
            // A code signs in only while the user's budget of wrong codes
            // is not spent, checked in the same transaction.
            let budget = ConditionCheck::builder()
                .table_name(&self.table)
                .key(PK, s(self.guesses_key(&account.address_hash, now)))
                .condition_expression("attribute_not_exists(hits) OR hits < :max")
                .expression_attribute_values(":max", n(u64::from(self.code_guesses.max)))
                .build()
                .map_err(unbuildable)?;
            transaction = transaction
                .transact_items(TransactWriteItem::builder().condition_check(budget).build());
        }
        let result = transaction.send().await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => Err(
                    why_cancelled(email, now_secs, proof, cancelled.cancellation_reasons()),
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

    /// Whether a code answered by `email` (whose fingerprint is `subject`)
    /// at `now` may be compared with challenge `id`'s: the challenge and the
    /// user's budget of wrong codes are read at once, and an answer naming
    /// another user's challenge, an ended one, one whose code is spent, or a
    /// user whose budget is spent, is refused before any code is compared.
    /// The work is the same whatever the code.
    pub async fn open_for_code(
        &self,
        id: Ulid,
        email: &EmailAddress,
        subject: &str,
        now: SystemTime,
    ) -> Result<(), ConsumeError> {
        let (challenge, guesses) = tokio::join!(
            self.read(key::challenge(id)),
            self.read(self.guesses_key(subject, now))
        );
        let (challenge, guesses) = (challenge?, guesses?);
        match code_refusal(
            challenge.as_ref(),
            guesses.as_ref(),
            self.code_guesses.max,
            email,
            unix_seconds(now),
        ) {
            Some(refused) => Err(refused),
            None => Ok(()),
        }
    }

    /// What the browser holding the verifier of `binding` needs to know of
    /// challenge `id` before it signs in `email` with it at `now`: that the
    /// challenge is that user's, unended and approved for that binding, and
    /// what the approval's proof says (`None`: it carries none). The caller
    /// checks the proof (see [`crate::approval`]), then consumes.
    pub async fn open_for_approval(
        &self,
        id: Ulid,
        email: &EmailAddress,
        binding: DeviceBinding,
        now: SystemTime,
    ) -> Result<Approved, ConsumeError> {
        let item = self.read(key::challenge(id)).await?;
        let item = item.as_ref();
        if let Some(refused) = refusal(item, email, unix_seconds(now), Proof::Approval(binding)) {
            return Err(refused);
        }
        let item = item.ok_or(ConsumeError::NotFound)?;
        Ok(Approved {
            expires_at: get_n(item, EXPIRES_AT).unwrap_or_default(),
            proof: get_s(item, "approvalKey")
                .zip(get_s(item, "approvalProof"))
                .map(|(key_id, signature)| ApprovalProof {
                    key_id: key_id.to_owned(),
                    signature: signature.to_owned(),
                }),
        })
    }

    /// Counts a wrong code for challenge `id`, answered by `email` (whose
    /// fingerprint is `subject`) at `now`: once on the challenge, while it is
    /// this user's and its code could still sign in (so nobody can end
    /// another user's code, and a used or expired one is reported as such),
    /// and once on the user's budget of wrong codes, whatever the challenge.
    pub async fn count_wrong_code(
        &self,
        id: Ulid,
        email: &EmailAddress,
        subject: &str,
        now: SystemTime,
    ) -> Result<WrongCode, ConsumeError> {
        let now_secs = unix_seconds(now);
        let (on_challenge, on_user) = tokio::join!(
            self.count_wrong(id, email, now_secs, Awaiting::Code, WRONG_CODES),
            self.count_guess(subject, now)
        );
        let budget_left = on_user?;
        match on_challenge {
            Ok(left) if left == 0 || budget_left == 0 => Ok(WrongCode::Spent),
            Ok(left) => Ok(WrongCode::Counted {
                left: left.min(budget_left),
            }),
            Err(Counted::Refused(item)) => {
                Err(refusal(item.as_ref(), email, now_secs, Proof::Code)
                    .unwrap_or_else(unexplained))
            }
            Err(Counted::Failed(e)) => Err(e.into()),
        }
    }

    /// One more wrong code on the budget of the user whose fingerprint is
    /// `subject`; how many more the budget takes in this window.
    async fn count_guess(&self, subject: &str, now: SystemTime) -> Result<u64, CallError> {
        let (pk, ends_at) = counter_item(CODE_GUESSES, subject, self.code_guesses, now);
        let output = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .update_expression("ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":ttl", n(ends_at + 60))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB UpdateItem", &e))?;
        let hits = output
            .attributes()
            .and_then(|item| get_n(item, "hits"))
            .unwrap_or(u64::MAX);
        Ok(u64::from(self.code_guesses.max).saturating_sub(hits))
    }

    /// One more wrong answer of kind `wrong` on challenge `id`, answered by
    /// `email` at `now_secs`: one conditional `ADD`, made only while the
    /// challenge is as `awaiting` needs (so nobody can burn another user's
    /// challenge, and a used, expired or burnt one is not counted). How many
    /// more such answers it takes (0: this one burnt it).
    async fn count_wrong(
        &self,
        id: Ulid,
        email: &EmailAddress,
        now_secs: u64,
        awaiting: Awaiting,
        wrong: Wrong,
    ) -> Result<u64, Counted> {
        let (condition, values) = usable(email, now_secs, awaiting, [(":one", n(1))]);
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::challenge(id)))
            .update_expression("ADD #wrong :one")
            .condition_expression(condition)
            .expression_attribute_names("#s", STATUS)
            .expression_attribute_names("#wrong", wrong.attribute)
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::UpdatedNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let count = output
                    .attributes()
                    .and_then(|item| get_n(item, wrong.attribute))
                    .unwrap_or(wrong.max);
                Ok(wrong.max.saturating_sub(count))
            }
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(Counted::Refused(item_found(e.err()).cloned()))
            }
            Err(e) => Err(Counted::Failed(CallError::from_sdk(
                "DynamoDB UpdateItem",
                &e,
            ))),
        }
    }

    /// Approves challenge `id` for the browser that asked for it, on behalf
    /// of the holder of a valid link for `email` who typed `number` (see
    /// [`crate::binding`]). The challenge is read, then changed by one
    /// conditional write: to `approved` (with a check that no later sign-in
    /// of the user revoked it) when the number is its binding's, else one
    /// more `wrongNumbers` ([`MAX_WRONG_NUMBERS`] burn it). Of concurrent
    /// approvals one succeeds and the others are told `AlreadyApproved`.
    /// The approval carries its proof (see [`crate::approval`]), signed by
    /// `signer` for the user whose address has the fingerprint `subject`.
    pub async fn approve(
        &self,
        id: Ulid,
        email: &EmailAddress,
        subject: &str,
        number: u8,
        signer: &ApprovalSigner,
        now: SystemTime,
    ) -> Result<Approval, ApprovalError> {
        let now_secs = unix_seconds(now);
        let item = self.read(key::challenge(id)).await?;
        let binding = match item.as_ref().map(|item| approvable(item, email, now_secs)) {
            None => return Err(ApprovalError::NotFound),
            Some(checked) => checked?,
        };
        if binding.number() != number {
            return match self
                .count_wrong(id, email, now_secs, Awaiting::Approval, WRONG_NUMBERS)
                .await
            {
                Ok(left) => Ok(Approval::WrongNumber { left }),
                Err(Counted::Refused(item)) => Err(not_approvable(item.as_ref(), email, now_secs)),
                Err(Counted::Failed(e)) => Err(e.into()),
            };
        }
        let expires_at = item
            .as_ref()
            .and_then(|item| get_n(item, EXPIRES_AT))
            .unwrap_or_default();
        let proof = signer
            .sign(&Statement {
                challenge: id,
                binding: &binding,
                subject,
                expires_at,
            })
            .await?;
        let unbuildable = |e: aws_sdk_dynamodb::error::BuildError| {
            CallError::unexpected("DynamoDB TransactWriteItems", e.to_string())
        };
        let (condition, values) = usable(
            email,
            now_secs,
            Awaiting::Approval,
            [
                (":approved", s(ChallengeStatus::Approved.as_str())),
                (":proofKey", s(proof.key_id)),
                (":proof", s(proof.signature)),
            ],
        );
        let approve = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key::challenge(id)))
            .update_expression(
                "SET #s = :approved, approvedAt = :now, approvalKey = :proofKey, approvalProof = :proof",
            )
            .condition_expression(condition)
            .expression_attribute_names("#s", STATUS)
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(unbuildable)?;
        let unrevoked = ConditionCheck::builder()
            .table_name(&self.table)
            .key(PK, s(key::user(email)))
            .condition_expression(UNREVOKED)
            .expression_attribute_values(":id", s(id.to_string()))
            .build()
            .map_err(unbuildable)?;
        let result = self
            .ddb
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(approve).build())
            .transact_items(
                TransactWriteItem::builder()
                    .condition_check(unrevoked)
                    .build(),
            )
            .send()
            .await;
        match result {
            Ok(_) => Ok(Approval::Approved),
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons();
                    let code = |i: usize| reasons.get(i).and_then(CancellationReason::code);
                    if code(0) == Some(CONDITION_FAILED) {
                        let item = reasons.first().and_then(CancellationReason::item);
                        Err(not_approvable(item, email, now_secs))
                    } else if code(1) == Some(CONDITION_FAILED) {
                        Err(ApprovalError::Revoked)
                    } else {
                        Err(CallError {
                            operation: "DynamoDB TransactWriteItems",
                            message: "the approval was cancelled by a conflicting transaction"
                                .into(),
                            transient: true,
                        }
                        .into())
                    }
                }
                _ => Err(CallError::from_sdk(
                    "DynamoDB TransactWriteItems",
                    &SdkError::ServiceError(e),
                )
                .into()),
            },
            Err(e) => Err(CallError::from_sdk("DynamoDB TransactWriteItems", &e).into()),
        }
    }
}

/// Why [`ChallengeStore::count_wrong`] counted nothing.
enum Counted {
    /// The challenge (as it was; `None` when there is none) was not in a
    /// state to count it.
    Refused(Option<Item>),
    Failed(CallError),
}
