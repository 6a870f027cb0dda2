//! Admitting a link request: its rate-limit counters and its new challenge,
//! written in one DynamoDB transaction, all or nothing.
//!
//! Each [`Counter`] is a fixed-window counter item (see [`crate::rate_limit`])
//! raised under the condition that its window is not full; the challenge is
//! put under the condition that its id is new. So a request refused by one
//! limit spends no other allowance, and nothing is half-written. The
//! transaction carries a client request token, so the SDK's retry of an
//! attempt that timed out after it committed is answered from DynamoDB's
//! idempotency record instead of counting twice; nothing is read back.
//!
//! A counter may hold instead of refuse: when the only counters whose window
//! is full are holding ones (the mailbox's), the request is admitted all the
//! same, once more without them, and its challenge is marked held (see
//! [`Challenge::held`]): the mailer sends it only to an address that signed
//! in lately. Whether the address has an account or signed in is never
//! read here, so the answer and its timing are the same for every address
//! (see the README, "Security").
//!
//! Concurrent requests that touch one counter item (one client IP, one
//! mailbox) can cancel each other's transactions (`TransactionConflict`);
//! those are tried again, a few times, after a short random pause.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};

use crate::aws::CallError;
use crate::challenge::{Challenge, challenge_item};
use crate::dynamo::{PK, TTL, n, s};
use crate::rate_limit::{Decision, Limit, counter_item};
use crate::time::unix_seconds;

/// Attempts at a transaction that conflicting transactions cancelled.
const CONFLICT_ATTEMPTS: u32 = 4;

/// One rate limit a request must pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// What is counted (`ip`, `email`, …); part of the item's key.
    pub scope: &'static str,
    /// Whose requests are counted: a fingerprint, never an address or IP.
    pub key: String,
    pub limit: Limit,
    /// A full window of this counter does not refuse the request: it holds
    /// its mail for the mailer to decide.
    pub holds: bool,
}

impl Counter {
    fn update(&self, table: &str, now: SystemTime) -> Result<TransactWriteItem, CallError> {
        let (pk, ends_at) = counter_item(self.scope, &self.key, self.limit, now);
        let update = Update::builder()
            .table_name(table)
            .key(PK, s(pk))
            .update_expression("ADD hits :one SET #ttl = if_not_exists(#ttl, :ttl)")
            .condition_expression("attribute_not_exists(hits) OR hits < :max")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(u64::from(self.limit.max)))
            .expression_attribute_values(":ttl", n(ends_at + 60))
            .build()
            .map_err(unbuildable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// How long until this counter's window reopens.
    fn retry_after(&self, now: SystemTime) -> Duration {
        let (_, ends_at) = self.limit.window_at(now);
        Duration::from_secs(ends_at.saturating_sub(unix_seconds(now)).max(1))
    }
}

fn unbuildable(e: aws_sdk_dynamodb::error::BuildError) -> CallError {
    CallError::unexpected("DynamoDB TransactWriteItems", e.to_string())
}

/// Writes admissions to the table.
#[derive(Debug, Clone)]
pub struct Admissions {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

/// How one transaction ended.
enum Outcome {
    Committed,
    /// Conditions failed, at these positions of the transaction's items.
    Refused(Vec<usize>),
    Conflict,
}

impl Admissions {
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
        }
    }

    /// Counts the request against every counter and records `challenge`, or
    /// does nothing and says when to come back.
    pub async fn admit(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        now: SystemTime,
    ) -> Result<Decision, CallError> {
        let refused = match self.attempt(counters, challenge, now, 0).await? {
            None => return Ok(Decision::Admitted),
            Some(refused) => refused,
        };
        let refusing: Vec<&Counter> = refused.iter().map(|&i| &counters[i]).collect();
        if refusing.iter().all(|c| c.holds) {
            let kept: Vec<Counter> = counters.iter().filter(|c| !c.holds).cloned().collect();
            let held = challenge.clone().held();
            if self.attempt(&kept, &held, now, 1).await?.is_none() {
                return Ok(Decision::Admitted);
            }
        }
        let retry_after = refusing
            .iter()
            .map(|c| c.retry_after(now))
            .max()
            .unwrap_or(Duration::from_secs(1));
        Ok(Decision::Limited { retry_after })
    }

    /// One transaction, tried again after conflicts: `None` when committed,
    /// else the positions in `counters` whose condition failed.
    async fn attempt(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        now: SystemTime,
        round: u32,
    ) -> Result<Option<Vec<usize>>, CallError> {
        let mut items = counters
            .iter()
            .map(|c| c.update(&self.table, now))
            .collect::<Result<Vec<_>, _>>()?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(challenge_item(challenge)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(unbuildable)?;
        items.push(TransactWriteItem::builder().put(put).build());
        for attempt in 1..=CONFLICT_ATTEMPTS {
            // A new token for each deliberate attempt; the SDK's own retries
            // of one attempt reuse it (at most 36 characters).
            let token = format!("{}-{round}-{attempt}", challenge.id);
            match self.send(items.clone(), token).await? {
                Outcome::Committed => return Ok(None),
                Outcome::Refused(positions) => {
                    let counted = counters.len();
                    if positions.is_empty() {
                        return Err(CallError::unexpected(
                            "DynamoDB TransactWriteItems",
                            "cancelled for a reason other than a condition",
                        ));
                    }
                    if positions.contains(&counted) {
                        return Err(CallError::unexpected(
                            "DynamoDB TransactWriteItems",
                            format!("challenge {} exists already", challenge.id),
                        ));
                    }
                    return Ok(Some(positions));
                }
                Outcome::Conflict if attempt < CONFLICT_ATTEMPTS => {
                    let jitter = u64::try_from(challenge.id.random() % 10).unwrap_or(0);
                    let pause = 10 * u64::from(attempt) + jitter;
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                }
                Outcome::Conflict => break,
            }
        }
        Err(CallError {
            operation: "DynamoDB TransactWriteItems",
            message: "cancelled by conflicting transactions".into(),
            transient: true,
        })
    }

    async fn send(
        &self,
        items: Vec<TransactWriteItem>,
        token: String,
    ) -> Result<Outcome, CallError> {
        let result = self
            .ddb
            .transact_write_items()
            .set_transact_items(Some(items))
            .client_request_token(token)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Outcome::Committed),
            Err(SdkError::ServiceError(e)) => match e.err() {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons();
                    if reasons
                        .iter()
                        .any(|r| r.code() == Some("TransactionConflict"))
                    {
                        return Ok(Outcome::Conflict);
                    }
                    Ok(Outcome::Refused(
                        reasons
                            .iter()
                            .enumerate()
                            .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                            .map(|(i, _)| i)
                            .collect(),
                    ))
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
    use super::*;
    use crate::time::from_unix_seconds;

    #[test]
    fn a_counter_reopens_at_the_end_of_its_window() {
        let counter = Counter {
            scope: "email",
            key: "k".into(),
            limit: Limit::new(5, Duration::from_secs(900)),
            holds: false,
        };
        assert_eq!(
            counter.retry_after(from_unix_seconds(1800 + 873)),
            Duration::from_secs(27)
        );
        assert_eq!(
            counter.retry_after(from_unix_seconds(2699)),
            Duration::from_secs(1)
        );
    }
}
