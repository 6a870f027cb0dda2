//! What one SES report does: suppress the address after a hard bounce or a
//! complaint, then record the report on its challenge (whose change the
//! relay publishes), or, when the challenge is gone or its recorded mail is
//! another one, publish the report's event from here. A report on a passkey
//! change's notice only suppresses.
//!
//! An error (DynamoDB, KMS or EventBridge unavailable) fails the invocation:
//! Lambda tries an asynchronous event again twice, then hands it to the
//! function's on-failure destination (the feedback dead-letter queue).
//! Suppressing and recording are idempotent, so a retry repeats nothing.

use std::time::{Duration, SystemTime};

use magiclink::aws::CallError;
use magiclink::challenge::{ChallengeStore, Recorded};
use magiclink::events::{EventPublisher, MailReport, PublishError};
use magiclink::fingerprint::FingerprintKey;
use magiclink::metrics::Point;
use magiclink::suppression::Suppressions;
use magiclink::telemetry::emit;
use serde_json::Value;

use crate::ses::{SesReport, TaggedMail, read};

/// Why a report could not be handled now; the invocation fails.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Publish(#[from] PublishError),
}

/// What became of one SES event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not a report (a send, an open), or unreadable: dropped.
    Ignored,
    /// Recorded on its challenge; the relay publishes it.
    Recorded,
    /// The challenge already had this report or a worse one.
    Known,
    /// No challenge to record it on: published from here.
    Published,
    /// A report on a passkey change's notice: the address suppressed if it
    /// must be, and nothing else (a notice has no challenge and no event).
    Notice,
}

/// The feedback function, over its table, key and bus.
#[derive(Debug)]
pub struct Feedback {
    pub store: ChallengeStore,
    pub suppressions: Suppressions,
    pub fingerprints: FingerprintKey,
    pub events: EventPublisher,
    /// How long a hard bounce or a complaint suppresses the address; zero
    /// for never.
    pub suppress_for: Duration,
}

impl Feedback {
    /// Handles one SES event at `now`.
    pub async fn handle(&self, event: &Value, now: SystemTime) -> Result<Outcome, FeedbackError> {
        let report = match read(event) {
            Ok(Some(report)) => report,
            Ok(None) => return Ok(Outcome::Ignored),
            Err(e) => {
                tracing::error!(error = %e, "SES event not usable");
                return Ok(Outcome::Ignored);
            }
        };
        let keys = self.fingerprints.get().await?;
        let SesReport {
            mail,
            ses_message_id,
            recipients,
            report: delivery,
        } = &report;
        let subjects: Vec<String> = recipients.iter().map(|r| r.fingerprint(keys)).collect();
        if let Some(cause) = report
            .suppression()
            .filter(|_| !self.suppress_for.is_zero())
        {
            for subject in &subjects {
                self.suppressions
                    .suppress(subject, cause, now + self.suppress_for)
                    .await?;
                tracing::warn!(mail = ?mail, subject = %subject, cause = cause.as_str(), "address suppressed");
            }
        }
        let challenge_id = match mail {
            TaggedMail::SignIn(id) => id,
            TaggedMail::Notice(passkey) => {
                tracing::info!(notice = %passkey, delivery = delivery.delivery.as_str(), "SES report on a notice");
                count(&report);
                return Ok(Outcome::Notice);
            }
        };
        // A magiclink mail has one recipient; the event names the first
        // the report does.
        let subject_hash = subjects.first().cloned().unwrap_or_default();
        let recorded = self
            .store
            .record_delivery(*challenge_id, ses_message_id, delivery, now)
            .await?;
        let outcome = match recorded {
            Recorded::Recorded => Outcome::Recorded,
            Recorded::Known => Outcome::Known,
            Recorded::NoChallenge => {
                let mail = MailReport {
                    challenge_id: *challenge_id,
                    subject_hash,
                    ses_message_id: ses_message_id.clone(),
                };
                let event = mail.event(
                    delivery.delivery,
                    delivery.bounce_type,
                    delivery.sub_type.as_deref(),
                );
                if let Some(event) = event {
                    self.events.publish(&event).await?;
                }
                Outcome::Published
            }
        };
        tracing::info!(challenge = %challenge_id, delivery = delivery.delivery.as_str(), outcome = ?outcome, "SES report");
        if outcome != Outcome::Known {
            count(&report);
        }
        Ok(outcome)
    }
}

/// Counts a report handled (once: a retry of a failed invocation comes
/// after no count, and a report the challenge already had is not counted).
fn count(report: &SesReport) {
    if let Some(metric) = report.metric() {
        emit(Point::count(metric));
    }
}
