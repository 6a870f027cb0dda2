//! Publishing events to EventBridge and reading them back, as the stack's
//! consumers do, through a rule to an SQS queue.

use std::time::Duration;

use magiclink::events::{
    Event, EventPublisher, MagicLinkRequested, PublishError, RejectionReason, SignInRejected, V1,
};
use magiclink_tests::{aws, bus_with_queue, receive_bodies};

fn requested() -> Event {
    let id = ulid::Ulid::generate();
    Event::MagicLinkRequested(MagicLinkRequested {
        version: V1,
        event_id: magiclink::events::change_id(id, "requested"),
        challenge_id: id,
        subject_hash: "0123456789abcdef0123456789abcdef".into(),
        expires_at: 1_800_000_900,
    })
}

#[tokio::test]
async fn published_events_arrive_whole_through_a_rule() {
    let config = aws().await;
    let (bus, queue) = bus_with_queue(&config).await;
    let publisher = EventPublisher::new(aws_sdk_eventbridge::Client::new(&config), bus);
    let rejected = Event::SignInRejected(SignInRejected {
        version: V1,
        challenge_id: None,
        subject_hash: "0123456789abcdef0123456789abcdef".into(),
        reason: RejectionReason::BadSignature,
    });
    let mut sent: Vec<Event> = (0..11).map(|_| requested()).collect();
    sent.push(rejected);
    publisher.publish_all(&sent).await.unwrap();

    let bodies = receive_bodies(&config, &queue, sent.len(), Duration::from_secs(20)).await;
    let mut received: Vec<Event> = bodies
        .iter()
        .map(|body| {
            let envelope: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(envelope["source"], "magiclink");
            serde_json::from_value(envelope).unwrap()
        })
        .collect();
    assert_eq!(
        received.len(),
        sent.len(),
        "every event arrives, across two PutEvents calls"
    );
    let key = |e: &Event| e.detail_json();
    received.sort_by_key(key);
    sent.sort_by_key(key);
    assert_eq!(received, sent);
}

#[tokio::test]
async fn an_entry_the_bus_refuses_is_an_error() {
    let config = aws().await;
    // Not a bus: EventBridge answers 200 and refuses the entry, which only
    // the FailedEntryCount check catches.
    let publisher = EventPublisher::new(
        aws_sdk_eventbridge::Client::new(&config),
        "arn:aws:sqs:us-east-1:000000000000:not-a-bus",
    );
    let err = publisher.publish(&requested()).await.unwrap_err();
    assert!(
        matches!(err, PublishError::Refused { failed: 1, .. }),
        "{err:?}"
    );
}
