//! The events on the bus (see [`magiclink_core::events`]), and their
//! publisher.

pub use magiclink_core::events::*;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::aws::CallError;

/// PutEvents takes at most this many entries per call.
const MAX_ENTRIES_PER_CALL: usize = 10;

/// Why events could not be published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Call(#[from] CallError),
    /// PutEvents answered, but refused some entries.
    #[error("EventBridge refused {failed} of the events: {code}: {message}")]
    Refused {
        failed: i32,
        code: String,
        message: String,
    },
}

impl PublishError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Call(e) => e.transient,
            // EventBridge reports throttling and internal failures per entry.
            Self::Refused { code, .. } => {
                matches!(
                    code.as_str(),
                    "ThrottlingException" | "InternalFailure" | "InternalException"
                )
            }
        }
    }
}

/// Puts [`Event`]s on the bus.
#[derive(Debug, Clone)]
pub struct EventPublisher {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventPublisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }

    /// Publishes one event.
    pub async fn publish(&self, event: &Event) -> Result<(), PublishError> {
        self.publish_all(std::slice::from_ref(event)).await
    }

    /// Publishes events in order, ten per call. An entry that EventBridge
    /// refuses makes the whole call an error (`FailedEntryCount` is checked).
    pub async fn publish_all(&self, events: &[Event]) -> Result<(), PublishError> {
        match self.publish_in_order(events).await {
            (_, None) => Ok(()),
            (_, Some(error)) => Err(error),
        }
    }

    /// Publishes events in order, ten per call, and stops at the first that
    /// is not published: how many were (all before that one), and why the
    /// rest were not. Entries after a refused one in the same call may have
    /// been published too; they are counted as not, and so published again
    /// by a retry (consumers drop duplicates by `eventId`).
    pub async fn publish_in_order(&self, events: &[Event]) -> (usize, Option<PublishError>) {
        let mut published = 0;
        for chunk in events.chunks(MAX_ENTRIES_PER_CALL) {
            let entries = chunk
                .iter()
                .map(|event| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus_name)
                        .source(SOURCE)
                        .detail_type(event.detail_type())
                        .detail(event.detail_json())
                        .build()
                })
                .collect();
            let output = match self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
            {
                Ok(output) => output,
                Err(e) => {
                    let error = CallError::from_sdk("EventBridge PutEvents", &e);
                    return (published, Some(error.into()));
                }
            };
            if output.failed_entry_count() > 0 {
                let refused = output
                    .entries()
                    .iter()
                    .position(|e| e.error_code().is_some())
                    .unwrap_or(0);
                let first = output.entries().get(refused);
                let error = PublishError::Refused {
                    failed: output.failed_entry_count(),
                    code: first
                        .and_then(|e| e.error_code())
                        .unwrap_or("unknown")
                        .to_owned(),
                    message: first
                        .and_then(|e| e.error_message())
                        .unwrap_or("")
                        .to_owned(),
                };
                return (published + refused, Some(error));
            }
            published += chunk.len();
        }
        (published, None)
    }
}
