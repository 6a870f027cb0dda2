//! SES failing for a while, on the deployed stack: the From identity is
//! removed, so SES refuses to send. A failure that ends in time delays the
//! mail and loses nothing; one that outlasts the retries leaves the message
//! in the dead-letter queue with a `MagicLinkDeliveryFailed` event.
//!
//! One test, run alone in this binary: it changes the identity every other
//! mail test relies on.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use magiclink::EmailAddress;
use magiclink::events::{Event, MagicLinkRequested};
use magiclink_tests::{EventTap, Stack, aws, mail_to, unique};

const FROM: &str = "no-reply@magiclink.test";

async fn set_sender_verified(config: &SdkConfig, verified: bool) {
    let ses = aws_sdk_sesv2::Client::new(config);
    if verified {
        ses.create_email_identity()
            .email_identity(FROM)
            .send()
            .await
            .unwrap();
    } else {
        ses.delete_email_identity()
            .email_identity(FROM)
            .send()
            .await
            .unwrap();
    }
}

/// The dead-lettered `MagicLinkRequested` for `subject_hash`, waiting up to
/// `within`; every dead letter read on the way is deleted.
async fn dead_letter_of(
    config: &SdkConfig,
    stack: &Stack,
    subject_hash: &str,
    within: Duration,
) -> Option<MagicLinkRequested> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let bodies = magiclink_tests::receive_bodies(
            config,
            stack.output("DeadLetterQueueUrl"),
            10,
            Duration::from_secs(1),
        )
        .await;
        for body in bodies {
            if let Ok(Event::MagicLinkRequested(requested)) = serde_json::from_str(&body)
                && requested.subject_hash == subject_hash
            {
                return Some(requested);
            }
        }
    }
    None
}

#[tokio::test]
async fn ses_outages_delay_mail_or_dead_letter_it_but_never_lose_it() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;

    // A short outage: the mail waits, then goes out once.
    set_sender_verified(&config, false).await;
    let short = format!("{}@example.com", unique("outage"));
    assert_eq!(stack.request_link(&short).await, 202);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(
        mail_to(&short, 1, Duration::ZERO).await.is_empty(),
        "nothing sent while SES refuses"
    );
    set_sender_verified(&config, true).await;
    let mail = mail_to(&short, 1, Duration::from_secs(40)).await;
    assert_eq!(mail.len(), 1, "sent once SES accepts again");

    // A long outage: after five receives the message rests in the DLQ, and
    // the failure is on the bus.
    set_sender_verified(&config, false).await;
    let long = format!("{}@example.com", unique("outage"));
    assert_eq!(stack.request_link(&long).await, 202);
    let subject = EmailAddress::parse(&long)
        .unwrap()
        .fingerprint(stack.fingerprints());
    let dead = dead_letter_of(&config, &stack, &subject, Duration::from_secs(90)).await;
    set_sender_verified(&config, true).await;
    let requested = dead.expect("the message rests in the dead-letter queue");
    let failures = tap
        .wait_for(1, Duration::from_secs(20), |e| {
            matches!(e, Event::MagicLinkDeliveryFailed(f) if f.challenge_id == requested.challenge_id)
        })
        .await;
    match failures.as_slice() {
        [Event::MagicLinkDeliveryFailed(f)] => {
            assert!(!f.permanent);
            assert_eq!(f.error_code, "MessageRejected");
        }
        other => panic!("{other:?}"),
    }
    assert!(mail_to(&long, 1, Duration::ZERO).await.is_empty());
}
