//! SES's send rate, shared by every mailer instance through one item.
//!
//! Item `send-rate#<name>` (`ses` for the account's rate): `sent`, the
//! [`SendLog`] of the last window as `[at, count, …]` (milliseconds since the
//! epoch), and `version`, which each write raises by one. Taking room is one
//! conditional `UpdateItem` on the version this instance saw last; a write
//! that another instance's overtook fails, returns the item as it is now
//! (`ReturnValuesOnConditionCheckFailure`), and is made again on it. So
//! however many instances run, together they never get more room than the
//! window has, and a lone instance gets all of it.
//!
//! An instance waiting for room makes no call: its last view of the log
//! tells it when room comes back. The item lives a day after its last
//! write (`ttl`); a missing item is an empty log.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use crate::aws::CallError;
use crate::dynamo::{Item, PK, TTL, get_n, item_found, n, s};
use crate::send_window::{Grant, Limit, SendLog};
use crate::table::key;
use crate::time::{unix_millis, unix_seconds};

/// Writes tried for one grant before the caller is told to ask again a
/// moment later: each refused one means another instance was granted room.
const ATTEMPTS: usize = 8;

/// How long the item outlives its last write.
const KEPT_FOR: Duration = Duration::from_secs(24 * 3600);

const SENT: &str = "sent";
const VERSION: &str = "version";

/// One send-rate log in the table, and this instance's last view of it.
#[derive(Debug)]
pub struct SendRate {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
    key: String,
    limit: Limit,
    /// The log and its version as last read or written (version 0: no item).
    seen: Mutex<(SendLog, u64)>,
}

impl SendRate {
    /// The log `send-rate#<name>` in `table`, for `limit`.
    pub fn new(
        ddb: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        name: &str,
        limit: Limit,
    ) -> Self {
        Self {
            ddb,
            table: table.into(),
            key: key::send_rate(name),
            limit,
            seen: Mutex::new((SendLog::default(), 0)),
        }
    }

    /// Takes room for up to `wanted` sends to go at millisecond `at_ms`
    /// (since the epoch; now if that is past): how many, and when to ask
    /// again for the rest.
    pub async fn take(&self, wanted: u32, at_ms: u64) -> Result<Grant, CallError> {
        let grant = self
            .update(|log, now_ms| {
                let grant = log.grant(self.limit, now_ms, at_ms, wanted);
                (grant.granted > 0, grant)
            })
            .await?;
        Ok(grant.unwrap_or_else(|| {
            let now = unix_millis(SystemTime::now());
            Grant {
                granted: 0,
                at: now,
                retry_at: Some(now + self.limit.window_ms / u64::from(self.limit.sends)),
            }
        }))
    }

    /// Gives back room for `count` sends taken for `at_ms` that did not go.
    pub async fn give_back(&self, at_ms: u64, count: u32) -> Result<(), CallError> {
        self.update(|log, _| {
            log.give_back(at_ms, count);
            (true, ())
        })
        .await?;
        Ok(())
    }

    /// Applies `change` to the log as last seen, and writes the result when
    /// `change` says so, again on the log as it is if another instance wrote
    /// first. `None`: other instances kept writing first.
    async fn update<R>(
        &self,
        change: impl Fn(&mut SendLog, u64) -> (bool, R),
    ) -> Result<Option<R>, CallError> {
        for _ in 0..ATTEMPTS {
            let now = SystemTime::now();
            let (mut log, version) = self.view();
            let (write, result) = change(&mut log, unix_millis(now));
            if !write {
                return Ok(Some(result));
            }
            match self.write(&log, version, now).await? {
                None => {
                    self.remember(log, version + 1);
                    return Ok(Some(result));
                }
                Some((found, found_version)) => self.remember(found, found_version),
            }
        }
        Ok(None)
    }

    fn view(&self) -> (SendLog, u64) {
        self.seen.lock().map_or_else(
            |poisoned| poisoned.into_inner().clone(),
            |seen| seen.clone(),
        )
    }

    fn remember(&self, log: SendLog, version: u64) {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *seen = (log, version);
    }

    /// Writes `log` over the item of version `version`: `None` when written,
    /// else the item (and version) that was there instead.
    async fn write(
        &self,
        log: &SendLog,
        version: u64,
        now: SystemTime,
    ) -> Result<Option<(SendLog, u64)>, CallError> {
        const OPERATION: &str = "DynamoDB UpdateItem";
        let sent = log.flat().into_iter().map(n).collect::<Vec<_>>();
        let update = self
            .ddb
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&self.key))
            .update_expression("SET #sent = :sent, #version = :next, #ttl = :ttl")
            .expression_attribute_names("#sent", SENT)
            .expression_attribute_names("#version", VERSION)
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":sent", AttributeValue::L(sent))
            .expression_attribute_values(":next", n(version + 1))
            .expression_attribute_values(":ttl", n(unix_seconds(now) + KEPT_FOR.as_secs()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let update = if version == 0 {
            update.condition_expression("attribute_not_exists(#version)")
        } else {
            update
                .condition_expression("#version = :seen")
                .expression_attribute_values(":seen", n(version))
        };
        match update.send().await {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                let Some(item) = item_found(e.err()) else {
                    return Ok(Some((SendLog::default(), 0)));
                };
                read(item).map(Some).ok_or_else(|| {
                    CallError::unexpected(
                        OPERATION,
                        format!("the item {} is not a send log: delete it", self.key),
                    )
                })
            }
            Err(e) => Err(CallError::from_sdk(OPERATION, &e)),
        }
    }
}

/// The log and version of a stored item.
fn read(item: &Item) -> Option<(SendLog, u64)> {
    let version = get_n(item, VERSION)?;
    let flat = item
        .get(SENT)?
        .as_l()
        .ok()?
        .iter()
        .map(|value| value.as_n().ok()?.parse().ok())
        .collect::<Option<Vec<u64>>>()?;
    Some((SendLog::from_flat(&flat)?, version))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn an_item_reads_back_as_its_log_or_not_at_all() {
        let item = |sent: Vec<AttributeValue>| {
            Item::from([
                (SENT.to_owned(), AttributeValue::L(sent)),
                (VERSION.to_owned(), n(7)),
            ])
        };
        let (log, version) = read(&item(vec![n(1_000), n(2), n(1_500), n(1)])).unwrap();
        assert_eq!((log.flat(), version), (vec![1_000, 2, 1_500, 1], 7));
        assert_eq!(read(&item(vec![n(1_000)])), None, "odd length");
        assert_eq!(read(&item(vec![s("1000"), n(1)])), None, "not a number");
        let mut unversioned = item(vec![]);
        unversioned.remove(VERSION);
        assert_eq!(read(&unversioned), None);
    }
}
