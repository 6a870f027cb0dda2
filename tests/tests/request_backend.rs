//! The request handler with its real backend, against the emulator: what a
//! valid request leaves in DynamoDB and on the bus.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::{Duration, SystemTime};

use magiclink::admission::Admissions;
use magiclink::challenge::{ChallengeStatus, ChallengeStore};
use magiclink::config::Env;
use magiclink::events::{Event, EventPublisher};
use magiclink::fingerprint::FingerprintKey;
use magiclink_request::config::RequestConfig;
use magiclink_request::handler::{AwsBackend, Inbound, handle};
use magiclink_tests::{Stack, aws, bus_with_queue, fresh_table, receive_bodies};

#[tokio::test]
async fn a_valid_request_leaves_a_pending_challenge_and_one_event() {
    let aws = aws().await;
    let stack = Stack::load(&aws).await;
    let table = fresh_table(&aws).await;
    let (bus, queue) = bus_with_queue(&aws).await;
    let config = RequestConfig::from_env(&Env::from_pairs([
        ("TABLE_NAME", table.as_str()),
        ("EVENT_BUS_NAME", bus.as_str()),
        ("FINGERPRINT_KEY_ID", "fingerprint-key"),
        ("ALLOWED_REDIRECT_URIS", "https://app.example.com/auth/*"),
        ("DEFAULT_REDIRECT_URI", "https://app.example.com/auth/cb"),
    ]))
    .unwrap();
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    let store = ChallengeStore::new(ddb.clone(), &table);
    let backend = AwsBackend {
        admissions: Admissions::new(ddb.clone(), &table),
        publisher: EventPublisher::new(aws_sdk_eventbridge::Client::new(&aws), &bus),
        fingerprints: FingerprintKey::new(
            aws_sdk_kms::Client::new(&aws),
            stack.output("FingerprintKeyId"),
        ),
    };
    let inbound = Inbound {
        content_type: Some("application/json"),
        body: br#"{"email":"Ann@Example.com"}"#,
        source_ip: Some("198.51.100.7"),
    };
    handle(&backend, &config, inbound, SystemTime::now())
        .await
        .unwrap();

    let bodies = receive_bodies(&aws, &queue, 1, Duration::from_secs(20)).await;
    assert_eq!(bodies.len(), 1);
    assert!(
        !bodies[0].contains("ann@example.com"),
        "no address on the bus"
    );
    let Event::MagicLinkRequested(event) = serde_json::from_str(&bodies[0]).unwrap() else {
        panic!("not MagicLinkRequested: {}", bodies[0]);
    };
    let challenge = store.get(event.challenge_id).await.unwrap().unwrap();
    assert_eq!(challenge.email.as_str(), "ann@example.com");
    assert_eq!(challenge.status, ChallengeStatus::Pending);
    assert_eq!(challenge.redirect_uri, "https://app.example.com/auth/cb");
    assert_eq!(event.expires_at, challenge.expires_at);
    assert_eq!(
        event.subject_hash,
        challenge.email.fingerprint(stack.fingerprints())
    );

    // The item itself: TTL set a day past expiry, and nothing but what the
    // store documents.
    let item = ddb
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("challenge#{}", event.challenge_id)),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let ttl: u64 = item["ttl"].as_n().unwrap().parse().unwrap();
    assert_eq!(ttl, challenge.expires_at + 24 * 3600);
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "createdAt",
            "email",
            "expiresAt",
            "pk",
            "redirectUri",
            "status",
            "ttl"
        ]
    );

    // A second request at once is refused by the one-per-30-seconds limit.
    let again = handle(&backend, &config, inbound, SystemTime::now()).await;
    assert_eq!(again.unwrap_err().code(), "rate_limited");
}
