//! Revocations: an operator's of one invitation, and an operator's or a
//! user's of everything a user has outstanding.
//!
//! - An invitation is revoked on its challenge: status `revoked` (the relay
//!   publishes `InvitationRevoked`), under the condition that it is an
//!   invitation and not yet used; nothing signs in with it afterwards (see
//!   `rules`).
//! - A user is revoked in one transaction: the user's watermark
//!   (`user#<address>`, see [`crate::challenge`]) raised to the end of the
//!   present moment, so that every link, code and approval made until then
//!   stops working; a `revocation#<ULID>` item, whose insert the relay
//!   publishes as `UserRevoked` (it holds the address's fingerprint, never
//!   the address, and lives a day); and, when asked, the user's passkeys
//!   item deleted. A watermark already past the present (a sign-in whose
//!   clock ran ahead) is left as it is.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use ulid::Ulid;

use super::conditions::CONDITION_FAILED;
use super::store::WATERMARK_LIFETIME;
use super::{Challenge, ChallengeStatus, ChallengeStore};
use crate::aws::CallError;
use crate::dynamo::{Item, PK, TTL, get_s, item_found, n, s};
use crate::email::EmailAddress;
use crate::events::RevokedBy;
use crate::table::challenge::{INVITED_BY, STATUS};
use crate::table::{key, revocation};
use crate::time::unix_seconds;

/// How long a revocation item stays: long enough for the relay to read it
/// from the stream (which keeps records a day).
const REVOCATION_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// What revoking an invitation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationRevocation {
    /// It is revoked now.
    Revoked,
    /// It was revoked before: nothing changed.
    AlreadyRevoked,
    /// It signed its user in: too late.
    Used,
    /// No invitation has this id (no challenge, or one a user asked for).
    NotFound,
}

/// A user's revocation, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRevocation {
    /// Its id, made at its time: the id of `UserRevoked`.
    pub id: Ulid,
    /// Every challenge of the user up to this id is revoked.
    pub watermark: Ulid,
}

/// What a failed invitation revocation found: the status of the challenge
/// (`None`: no such invitation).
fn invitation_found(item: Option<&Item>) -> Option<ChallengeStatus> {
    let item = item?;
    get_s(item, INVITED_BY)?;
    get_s(item, STATUS).and_then(ChallengeStatus::parse)
}

impl ChallengeStore {
    /// Revokes invitation `id` at `now` unless it was used.
    pub async fn revoke_invitation(
        &self,
        id: Ulid,
        now: SystemTime,
    ) -> Result<InvitationRevocation, CallError> {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::challenge(id)))
            .update_expression("SET #s = :revoked, revokedAt = :now")
            .condition_expression(format!(
                "attribute_exists({INVITED_BY}) AND (#s = :pending OR #s = :mailed OR #s = :approved)"
            ))
            .expression_attribute_names("#s", STATUS)
            .expression_attribute_values(":revoked", s(ChallengeStatus::Revoked.as_str()))
            .expression_attribute_values(":pending", s(ChallengeStatus::Pending.as_str()))
            .expression_attribute_values(":mailed", s(ChallengeStatus::Mailed.as_str()))
            .expression_attribute_values(":approved", s(ChallengeStatus::Approved.as_str()))
            .expression_attribute_values(":now", n(unix_seconds(now)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(InvitationRevocation::Revoked),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(match invitation_found(item_found(e.err())) {
                    None => InvitationRevocation::NotFound,
                    Some(ChallengeStatus::Revoked) => InvitationRevocation::AlreadyRevoked,
                    Some(_) => InvitationRevocation::Used,
                })
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Revokes every challenge of `email` (whose fingerprint is `subject`)
    /// made until `now`, records the revocation for its event, and with
    /// `passkeys_of` deletes that Cognito user's passkeys: one transaction.
    pub async fn revoke_user(
        &self,
        email: &EmailAddress,
        subject: &str,
        passkeys_of: Option<&str>,
        by: RevokedBy,
        now: SystemTime,
    ) -> Result<UserRevocation, CallError> {
        let revocation = UserRevocation {
            id: Ulid::from_datetime(now),
            watermark: Challenge::watermark_after(Ulid::nil(), now),
        };
        let now_secs = unix_seconds(now);
        let unbuildable = |e: aws_sdk_dynamodb::error::BuildError| {
            CallError::unexpected("DynamoDB TransactWriteItems", e.to_string())
        };
        let watermark = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key::user(email)))
            .update_expression("SET revokedThrough = :mark, #ttl = :ttl")
            .condition_expression("attribute_not_exists(revokedThrough) OR revokedThrough < :mark")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":mark", s(revocation.watermark.to_string()))
            .expression_attribute_values(":ttl", n(now_secs + WATERMARK_LIFETIME.as_secs()))
            .build()
            .map_err(unbuildable)?;
        let record = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Item::from([
                (PK.to_owned(), s(key::revocation(revocation.id))),
                (revocation::SUBJECT_HASH.to_owned(), s(subject)),
                (
                    revocation::PASSKEYS.to_owned(),
                    AttributeValue::Bool(passkeys_of.is_some()),
                ),
                (revocation::BY.to_owned(), s(by.as_str())),
                (TTL.to_owned(), n(now_secs + REVOCATION_LIFETIME.as_secs())),
            ])))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(unbuildable)?;
        let mut rest = vec![TransactWriteItem::builder().put(record).build()];
        if let Some(sub) = passkeys_of {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(PK, s(key::passkeys(sub)))
                .build()
                .map_err(unbuildable)?;
            rest.push(TransactWriteItem::builder().delete(delete).build());
        }
        let with_watermark =
            std::iter::once(TransactWriteItem::builder().update(watermark).build())
                .chain(rest.iter().cloned())
                .collect();
        match self.transact(with_watermark).await? {
            None => Ok(revocation),
            // The watermark is past the present already: the rest alone.
            Some(0) => match self.transact(rest).await? {
                None => Ok(revocation),
                Some(_) => Err(CallError::unexpected(
                    "DynamoDB TransactWriteItems",
                    "a revocation with this id exists",
                )),
            },
            Some(_) => Err(CallError::unexpected(
                "DynamoDB TransactWriteItems",
                "a revocation with this id exists",
            )),
        }
    }

    /// One transaction: `None` when it committed, else the position of the
    /// first item whose condition failed.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Option<usize>, CallError> {
        let result = self
            .ddb
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let failed = cancelled
                        .cancellation_reasons()
                        .iter()
                        .position(|r| r.code() == Some(CONDITION_FAILED));
                    match failed {
                        Some(at) => Ok(Some(at)),
                        None => Err(CallError::from_sdk(
                            "DynamoDB TransactWriteItems",
                            &SdkError::ServiceError(e),
                        )),
                    }
                }
                _ => Err(CallError::from_sdk(
                    "DynamoDB TransactWriteItems",
                    &SdkError::ServiceError(e),
                )),
            },
            Err(e) => Err(CallError::from_sdk("DynamoDB TransactWriteItems", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn only_an_invitation_is_found_with_its_status() {
        let invitation = |status: &str| {
            Item::from([
                (STATUS.to_owned(), s(status)),
                (INVITED_BY.to_owned(), s("")),
            ])
        };
        assert_eq!(
            invitation_found(Some(&invitation("consumed"))),
            Some(ChallengeStatus::Consumed)
        );
        assert_eq!(
            invitation_found(Some(&invitation("revoked"))),
            Some(ChallengeStatus::Revoked)
        );
        let asked = Item::from([(STATUS.to_owned(), s("pending"))]);
        assert_eq!(invitation_found(Some(&asked)), None, "a user's own request");
        assert_eq!(invitation_found(None), None);
    }
}
