//! Fixed-window rate limits, counted in DynamoDB.
//!
//! Each (scope, key, window) has one counter item that expires with its
//! window. Admitting a request is one conditional `ADD`: it fails, and so
//! counts nothing, once the window is full, so concurrent requests cannot
//! overshoot the limit. Keys should be fingerprints (see
//! [`EmailAddress::fingerprint`](crate::email::EmailAddress::fingerprint)), never raw addresses or IPs.
//!
//! Admitting is idempotent: the SDK retries an attempt that timed out, and if
//! that attempt did count, the retry's condition may fail on the count it
//! made itself. Each admission therefore writes its own id on the counter
//! (`lastAdmission`); a refusal that finds its own id there was an admission.
//! (Only the last id is kept, so a retry that races another request for the
//! same key at the very limit may still be refused; that needs both a slow
//! attempt and a full window.)
//!
//! Fixed windows are simple and cheap; their known weakness is that a client
//! may spend one window's allowance at its end and the next one's at the
//! start. The per-address limits pair a long window with a short one (one
//! link per 30 s), which bounds that burst.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use ulid::Ulid;

use crate::aws::CallError;
use crate::dynamo::{PK, TTL, get_s, item_found, n, s};
use crate::table;
use crate::time::unix_seconds;

/// At most `max` events per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }

    /// The window that contains `now`: its index and the second it ends.
    pub fn window_at(&self, now: SystemTime) -> (u64, u64) {
        let length = self.window.as_secs().max(1);
        let index = unix_seconds(now) / length;
        (index, (index + 1) * length)
    }
}

/// The key of the counter item of `key` in `scope` for the window of `now`,
/// and the second that window ends.
pub(crate) fn counter_item(scope: &str, key: &str, limit: Limit, now: SystemTime) -> (String, u64) {
    let (index, ends_at) = limit.window_at(now);
    let pk = table::key::rate(scope, key, limit.window.as_secs(), index);
    (pk, ends_at)
}

/// Whether a request may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Admitted,
    /// Refused; the window reopens after `retry_after`.
    Limited {
        retry_after: Duration,
    },
}

/// Counts requests per key in DynamoDB.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl RateLimiter {
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
        }
    }

    /// Counts one request for `key` in `scope` at `now`, unless `limit` is
    /// already reached in the current window.
    pub async fn admit(
        &self,
        scope: &str,
        key: &str,
        limit: Limit,
        now: SystemTime,
    ) -> Result<Decision, CallError> {
        self.admit_once(Ulid::generate(), scope, key, limit, now)
            .await
    }

    /// [`Self::admit`] as the admission `admission`: asking again with the
    /// same id is a retry of the same admission, not another one.
    pub async fn admit_once(
        &self,
        admission: Ulid,
        scope: &str,
        key: &str,
        limit: Limit,
        now: SystemTime,
    ) -> Result<Decision, CallError> {
        let (pk, ends_at) = counter_item(scope, key, limit, now);
        let id = admission.to_string();
        let result = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .update_expression(
                "ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl), lastAdmission = :id",
            )
            .condition_expression("attribute_not_exists(hits) OR hits < :max")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(u64::from(limit.max)))
            .expression_attribute_values(":ttl", n(ends_at + 60))
            .expression_attribute_values(":id", s(&id))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Decision::Admitted),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                let counted_already = item_found(e.err())
                    .and_then(|item| get_s(item, "lastAdmission"))
                    == Some(id.as_str());
                if counted_already {
                    return Ok(Decision::Admitted);
                }
                let retry_after = ends_at.saturating_sub(unix_seconds(now)).max(1);
                Ok(Decision::Limited {
                    retry_after: Duration::from_secs(retry_after),
                })
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB UpdateItem", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_unix_seconds;

    #[test]
    fn windows_are_aligned_to_their_length() {
        let limit = Limit::new(5, Duration::from_secs(900));
        assert_eq!(limit.window_at(from_unix_seconds(1800)), (2, 2700));
        assert_eq!(limit.window_at(from_unix_seconds(2699)), (2, 2700));
        assert_eq!(limit.window_at(from_unix_seconds(2700)), (3, 3600));
    }
}
