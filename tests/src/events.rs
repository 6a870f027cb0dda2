//! Watching the stack's bus from a test: a rule of the test's own routes
//! magiclink events to a fresh queue, where the test reads them.

use std::time::Duration;

use aws_config::SdkConfig;
use magiclink::challenge::Challenge;
use magiclink::events::{Event, MagicLinkRequested, V1, change_id};
use magiclink::fingerprint::Fingerprints;

use crate::emulator::{receive_bodies, route_to_new_queue, unique};

/// A queue that receives every magiclink event on a bus from now on.
#[derive(Debug)]
pub struct EventTap {
    config: SdkConfig,
    queue_url: String,
    seen: Vec<Event>,
}

impl EventTap {
    /// Starts watching `bus`.
    pub async fn on(config: &SdkConfig, bus: &str) -> Self {
        let queue_url = route_to_new_queue(config, bus, &unique("tap")).await;
        Self {
            config: config.clone(),
            queue_url,
            seen: Vec::new(),
        }
    }

    /// Waits up to `within` until `count` events that satisfy `keep` have
    /// arrived, and returns all such events seen so far, in arrival order.
    pub async fn wait_for(
        &mut self,
        count: usize,
        within: Duration,
        keep: impl Fn(&Event) -> bool,
    ) -> Vec<Event> {
        let deadline = std::time::Instant::now() + within;
        loop {
            let matching: Vec<Event> = self.seen.iter().filter(|e| keep(e)).cloned().collect();
            if matching.len() >= count || std::time::Instant::now() >= deadline {
                return matching;
            }
            for body in
                receive_bodies(&self.config, &self.queue_url, 10, Duration::from_secs(1)).await
            {
                let event: Event = serde_json::from_str(&body)
                    .unwrap_or_else(|e| panic!("an event on the bus does not parse ({e}): {body}"));
                self.seen.push(event);
            }
        }
    }

    /// The sign-in events (succeeded or rejected) of the user whose address
    /// has the fingerprint `subject_hash`, once `count` of them have arrived
    /// (within 20 seconds); fails the test when fewer arrive.
    pub async fn sign_ins_of(&mut self, subject_hash: &str, count: usize) -> Vec<Event> {
        let events = self
            .wait_for(count, Duration::from_secs(20), |event| match event {
                Event::SignInSucceeded(e) => e.subject_hash == subject_hash,
                Event::SignInRejected(e) => e.subject_hash == subject_hash,
                _ => false,
            })
            .await;
        assert_eq!(events.len(), count, "{events:?}");
        events
    }
}

/// The mail queue's message for `challenge`: its `MagicLinkRequested` event
/// as EventBridge delivers it, the detail inside the envelope.
pub fn requested_message(challenge: &Challenge, keys: &Fingerprints) -> String {
    let event = Event::MagicLinkRequested(MagicLinkRequested {
        version: V1,
        event_id: change_id(challenge.id, "requested"),
        challenge_id: challenge.id,
        subject_hash: challenge.email.fingerprint(keys),
        expires_at: challenge.expires_at,
    });
    let detail: serde_json::Value =
        serde_json::from_str(&event.detail_json()).expect("an event's detail is JSON");
    serde_json::json!({"detail-type": event.detail_type(), "source": "magiclink", "detail": detail})
        .to_string()
}

/// What the dead-letter queue at `queue_url` holds (read and deleted, waiting
/// up to two seconds) that concerns any of `subject_hashes`.
pub async fn dead_letters_of<'a>(
    config: &SdkConfig,
    queue_url: &str,
    subject_hashes: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let subjects: Vec<&str> = subject_hashes.into_iter().collect();
    receive_bodies(config, queue_url, 10, Duration::from_secs(2))
        .await
        .into_iter()
        .filter(|body| subjects.iter().any(|s| body.contains(s)))
        .collect()
}

/// The subject of an event of the mail side (`MagicLinkRequested`,
/// `MagicLinkSent`, `MagicLinkDeliveryFailed`); `None` for any other.
pub fn mail_subject(event: &Event) -> Option<&str> {
    match event {
        Event::MagicLinkRequested(r) => Some(&r.subject_hash),
        Event::MagicLinkSent(s) => Some(&s.subject_hash),
        Event::MagicLinkDeliveryFailed(f) => Some(&f.subject_hash),
        _ => None,
    }
}

/// The source the emulator's stack takes SES's events from (the Makefile's
/// `SesEventSource`): EventBridge refuses `aws.*` sources from `PutEvents`.
pub const SES_TEST_SOURCE: &str = "magiclink.test.ses";

/// A mail as SES's reports name it: its challenge tag (or, for a passkey
/// change's notice, its `notice` tag), its message id and its recipient.
#[derive(Debug, Clone)]
pub struct SesMail {
    /// The `challenge` tag's value; the `notice` tag's if `notice`.
    pub challenge_id: String,
    pub message_id: String,
    pub to: String,
    pub notice: bool,
}

impl SesMail {
    /// The mail the emulator captured.
    pub fn of(mail: &crate::Mail) -> Self {
        Self {
            challenge_id: mail.challenge_id(),
            message_id: mail.message_id.clone(),
            to: mail.to[0].clone(),
            notice: false,
        }
    }
}

/// Puts SES's report on `mail` on the default bus, as SES publishes it
/// (AWS's event publishing record in its EventBridge envelope): of
/// `detail_type` (`Email Bounced`) and `event_type` (`Bounce`), tagged with
/// `configuration_set` and the mail's challenge; `extra` goes into the
/// detail (`{"bounce": {...}}`).
pub async fn put_ses_report(
    config: &SdkConfig,
    configuration_set: &str,
    (detail_type, event_type): (&str, &str),
    mail: &SesMail,
    extra: serde_json::Value,
) {
    let mut detail = serde_json::json!({
        "eventType": event_type,
        "mail": {
            "timestamp": "2026-11-22T08:00:00.000Z",
            "source": "no-reply@magiclink.test",
            "sendingAccountId": "000000000000",
            "messageId": mail.message_id,
            "destination": [mail.to],
            "headersTruncated": false,
            "tags": {
                "ses:configuration-set": [configuration_set],
                "ses:source-ip": ["192.0.2.1"],
                (if mail.notice { "notice" } else { "challenge" }): [mail.challenge_id]
            }
        }
    });
    if let (serde_json::Value::Object(detail), serde_json::Value::Object(extra)) =
        (&mut detail, extra)
    {
        detail.extend(extra);
    }
    // SES names, in each report, the recipients it is about; where a test's
    // report leaves them out, it is about the mail's one recipient.
    for (report, list) in [
        ("bounce", "bouncedRecipients"),
        ("complaint", "complainedRecipients"),
    ] {
        for entry in detail[report][list].as_array_mut().into_iter().flatten() {
            if entry.get("emailAddress").is_none() {
                entry["emailAddress"] = serde_json::json!(mail.to);
            }
        }
    }
    if detail["delivery"].is_object() && detail["delivery"]["recipients"].is_null() {
        detail["delivery"]["recipients"] = serde_json::json!([mail.to]);
    }
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .event_bus_name("default")
        .source(SES_TEST_SOURCE)
        .detail_type(detail_type)
        .detail(detail.to_string())
        .build();
    let put = aws_sdk_eventbridge::Client::new(config)
        .put_events()
        .entries(entry)
        .send()
        .await
        .expect("PutEvents on the default bus");
    assert_eq!(put.failed_entry_count(), 0, "{put:?}");
}
