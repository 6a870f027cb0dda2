//! The request handler with its real backend, against the emulator: what a
//! valid request leaves in DynamoDB (and that it is all it writes).

use std::time::SystemTime;

use magiclink::admission::Admissions;
use magiclink::approval::ApprovalSigner;
use magiclink::challenge::{ChallengeStatus, ChallengeStore};
use magiclink::config::Env;
use magiclink::fingerprint::FingerprintKey;
use magiclink::rate_limit::RateLimiter;
use magiclink::token::{PublicKeys, fetch_public_key};
use magiclink_request::api::ApiError;
use magiclink_request::backend::AwsBackend;
use magiclink_request::config::RequestConfig;
use magiclink_request::handler::{Inbound, handle};
use magiclink_tests::{Stack, aws, fresh_table};

#[tokio::test]
async fn a_valid_request_leaves_a_pending_challenge_and_its_counters_only() {
    let aws = aws().await;
    let stack = Stack::load(&aws).await;
    let table = fresh_table(&aws).await;
    let kms = aws_sdk_kms::Client::new(&aws);
    let signing_key = stack.output("SigningKeyId");
    let mut keys = PublicKeys::default();
    keys.insert(
        signing_key.to_owned(),
        fetch_public_key(&kms, signing_key).await.unwrap(),
    )
    .unwrap();
    let jwks = keys.to_jwks();
    let config = RequestConfig::from_env(&Env::from_pairs([
        ("TABLE_NAME", table.as_str()),
        ("EVENT_BUS_NAME", "unused"),
        ("FINGERPRINT_KEY_ID", "fingerprint-key"),
        ("ALLOWED_REDIRECT_URIS", "https://app.example.com/auth/*"),
        ("DEFAULT_REDIRECT_URI", "https://app.example.com/auth/cb"),
        ("ACCEPTED_PUBLIC_KEYS", jwks.as_str()),
        ("USER_POOL_ID", stack.output("UserPoolId")),
        ("USER_POOL_CLIENT_ID", stack.output("UserPoolClientId")),
        ("APPROVAL_KEY_ID", stack.output("ApprovalKeyId")),
    ]))
    .unwrap();
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    let store = ChallengeStore::new(ddb.clone(), &table);
    let backend = AwsBackend {
        admissions: Admissions::new(ddb.clone(), &table),
        fingerprints: FingerprintKey::new(kms.clone(), stack.output("FingerprintKeyId")),
        store: store.clone(),
        limiter: RateLimiter::new(ddb.clone(), &table),
        approvals: ApprovalSigner::new(kms, stack.output("ApprovalKeyId")),
    };
    let inbound = Inbound {
        content_type: Some("application/json"),
        body: br#"{"email":"Ann@Example.com"}"#,
        source_ip: Some("198.51.100.7"),
    };
    handle(&backend, &config, inbound, SystemTime::now())
        .await
        .unwrap();

    // One challenge and the four counters, nothing else: the event comes
    // from the table's stream (the relay), not from the request.
    let items = ddb.scan().table_name(&table).send().await.unwrap();
    let keys: Vec<&str> = items
        .items()
        .iter()
        .filter_map(|item| item["pk"].as_s().ok().map(String::as_str))
        .collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    let counters = keys.iter().filter(|k| k.starts_with("rate#")).count();
    assert_eq!(counters, 4, "{keys:?}");
    assert!(
        keys.iter()
            .all(|k| !k.contains("ann@example.com") && !k.contains("198.51")),
        "counter keys are fingerprints: {keys:?}"
    );
    let id = keys
        .iter()
        .find_map(|k| k.strip_prefix("challenge#"))
        .unwrap()
        .parse()
        .unwrap();
    let challenge = store.get(id).await.unwrap().unwrap();
    assert_eq!(challenge.email.as_str(), "ann@example.com");
    assert_eq!(challenge.status, ChallengeStatus::Pending);
    assert_eq!(challenge.redirect_uri, "https://app.example.com/auth/cb");

    // The item itself: TTL set a day past expiry, and nothing but what the
    // store documents.
    let item = ddb
        .get_item()
        .table_name(&table)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("challenge#{id}")),
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
    assert!(
        matches!(again, Err(ApiError::RateLimited { .. })),
        "{again:?}"
    );
}
