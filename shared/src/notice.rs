//! The notices the mailer sends a user when a passkey of theirs is
//! registered or removed, and the record that makes each one go out once.
//!
//! Item `notice#<event id>` (the event's `eventId`, such as
//! `<passkey id>/registered`: the same however often the event arrives):
//! `sendingUntil` while a delivery is writing and sending it (a lease, as a
//! challenge's mailing lease is, so that two deliveries at once send one
//! mail and a crashed one does not block the next for long), then `sentAt`.
//! `ttl` ends it after a week, when no delivery of its event can come any
//! more (the mail queue keeps a message four days). It holds no address.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

use crate::aws::CallError;
use crate::dynamo::{PK, TTL, item_found, n, s};
use crate::table::key;
use crate::time::unix_seconds;

/// The SES message tag that marks a notice (its value the passkey's id):
/// the feedback function suppresses an address whose notice bounced, as
/// it does for a sign-in mail, but has no challenge to record it on.
pub const NOTICE_TAG: &str = "notice";

/// How long a notice's record is kept.
const KEPT_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// What [`Notices::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeClaim {
    /// This delivery writes and sends the notice.
    Claimed,
    /// Another delivery is sending it now.
    Busy,
    /// It went out already.
    Sent,
}

/// The notices' records, in the table.
#[derive(Debug, Clone)]
pub struct Notices {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl Notices {
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
        }
    }

    /// Takes the lease to send the notice of event `event_id`, for `lease`.
    pub async fn claim(
        &self,
        event_id: &str,
        now: SystemTime,
        lease: Duration,
    ) -> Result<NoticeClaim, CallError> {
        let now_secs = unix_seconds(now);
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::notice(event_id)))
            .update_expression("SET sendingUntil = :until, #ttl = :ttl")
            .condition_expression(
                "attribute_not_exists(sentAt) AND (attribute_not_exists(sendingUntil) OR sendingUntil <= :now)",
            )
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":until", n(now_secs + lease.as_secs()))
            .expression_attribute_values(":ttl", n(now_secs + KEPT_FOR.as_secs()))
            .expression_attribute_values(":now", n(now_secs))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(NoticeClaim::Claimed),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                let sent = item_found(e.err()).is_some_and(|item| item.contains_key("sentAt"));
                Ok(if sent {
                    NoticeClaim::Sent
                } else {
                    NoticeClaim::Busy
                })
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }

    /// Records that the notice of `event_id` went out.
    pub async fn mark_sent(&self, event_id: &str, now: SystemTime) -> Result<(), CallError> {
        let now_secs = unix_seconds(now);
        self.ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::notice(event_id)))
            .update_expression(
                "SET sentAt = :now, #ttl = if_not_exists(#ttl, :ttl) REMOVE sendingUntil",
            )
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":now", n(now_secs))
            .expression_attribute_values(":ttl", n(now_secs + KEPT_FOR.as_secs()))
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB UpdateItem", &e))?;
        Ok(())
    }

    /// Gives the lease on `event_id` back after a failure, so that the next
    /// delivery need not wait for it to end. Best effort: a lease not given
    /// back ends by itself.
    pub async fn release(&self, event_id: &str) -> Result<(), CallError> {
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key::notice(event_id)))
            .update_expression("REMOVE sendingUntil")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(sentAt)")
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
}
