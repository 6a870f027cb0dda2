//! One batch of stream records to the bus.
//!
//! The records' events are published in stream order. A failed `PutEvents`
//! is tried again with jittered exponential backoff until the invocation is
//! near its deadline; then:
//! - if nothing of the batch was published, the invocation fails, and the
//!   whole batch is delivered again (Lambda bisects it on AWS);
//! - otherwise the first record whose event was not published is reported as
//!   the batch's item failure, and Lambda resumes the stream from it.
//!
//! Either way no record is skipped, and an event is published again only in
//! the rare case of an entry refused in the middle of an accepted call
//! (consumers drop duplicates by `eventId`). While the bus is down, the
//! records wait in the stream (24 hours) and go out once it is back.

use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event as StreamBatch;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use backon::{BackoffBuilder, ExponentialBuilder};
use magiclink::aws::CallError;
use magiclink::events::{Event, EventPublisher, PublishError};
use magiclink::fingerprint::FingerprintKey;

use crate::change::event_of;

/// What is kept back of an invocation for answering: no `PutEvents` starts
/// later than this before the deadline.
const MARGIN: Duration = Duration::from_secs(5);

/// Why a batch was not relayed at all; the invocation fails, and the batch is
/// delivered again.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("the fingerprint key is unavailable: {0}")]
    Keys(#[from] CallError),
    #[error("none of the batch's {count} events was published: {source}")]
    Unpublished {
        count: usize,
        #[source]
        source: PublishError,
    },
}

/// The relay, over its bus and fingerprint key.
#[derive(Debug)]
pub struct Relay {
    pub publisher: EventPublisher,
    pub fingerprints: FingerprintKey,
}

impl Relay {
    /// Relays `batch`, trying until `deadline`.
    pub async fn handle(
        &self,
        batch: StreamBatch,
        deadline: Instant,
    ) -> Result<DynamoDbEventResponse, RelayError> {
        let keys = self.fingerprints.get().await?;
        // The events in stream order, and each one's record (its sequence
        // number, for a partial batch failure).
        let mut events: Vec<Event> = Vec::new();
        let mut sequence_numbers: Vec<Option<String>> = Vec::new();
        for record in &batch.records {
            match event_of(record, keys) {
                Ok(Some(event)) => {
                    events.push(event);
                    sequence_numbers.push(record.change.sequence_number.clone());
                }
                Ok(None) => {}
                // Publishing again cannot mend it: logged, and passed over.
                Err(e) => tracing::error!(error = %e, "record not relayed"),
            }
        }
        let mut published = 0;
        let mut delays = ExponentialBuilder::new()
            .with_min_delay(Duration::from_millis(200))
            .with_max_delay(Duration::from_secs(5))
            .with_jitter()
            .without_max_times()
            .build();
        loop {
            let (count, error) = self.publisher.publish_in_order(&events[published..]).await;
            published += count;
            let Some(error) = error else {
                tracing::info!(records = batch.records.len(), events = published, "relayed");
                return Ok(DynamoDbEventResponse::default());
            };
            let delay = delays.next().unwrap_or(Duration::from_secs(5));
            if Instant::now() + delay + MARGIN > deadline {
                tracing::error!(%error, published, pending = events.len() - published, "bus unavailable");
                if published == 0 {
                    return Err(RelayError::Unpublished {
                        count: events.len(),
                        source: error,
                    });
                }
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = sequence_numbers[published].clone();
                let mut response = DynamoDbEventResponse::default();
                response.batch_item_failures.push(failure);
                return Ok(response);
            }
            tracing::warn!(%error, delay_ms = delay.as_millis(), "PutEvents failed; trying again");
            tokio::time::sleep(delay).await;
        }
    }
}
