//! Secrets stay secret: after a full run (a link requested, mailed, used,
//! replayed and forged), no log line, event, queue message or table item holds
//! a token or a signature, no log line or event holds an address, and nothing
//! holds key material.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use magiclink::events::Event;
use magiclink_tests::{EventTap, PoolClient, Stack, aws, log_lines, mail_to, unique};

#[tokio::test]
async fn no_token_address_or_key_material_leaks_anywhere() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let started_ms = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;
    let pool = PoolClient::new(&config, &stack);

    // The full run.
    let email = format!("{}@example.com", unique("secret"));
    assert_eq!(stack.request_link(&email).await, 202);
    let token = mail_to(&email, 1, Duration::from_secs(30)).await[0].token();
    assert!(pool.sign_in(&email, &token).await.is_tokens());
    assert!(!pool.sign_in(&email, &token).await.is_tokens());
    let forged = format!("{}AAAA", &token[..token.len() - 4]);
    assert!(!pool.sign_in(&email, &forged).await.is_tokens());

    let signature = token.rsplit('.').next().unwrap().to_owned();
    let public_key = aws_sdk_kms::Client::new(&config)
        .get_public_key()
        .key_id(stack.output("SigningKeyId"))
        .send()
        .await
        .unwrap()
        .public_key
        .unwrap();
    let key_material = [
        base64::engine::general_purpose::STANDARD.encode(public_key.as_ref()),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public_key.as_ref()),
    ];
    let never_anywhere: Vec<&str> = [token.as_str(), signature.as_str(), forged.as_str()]
        .into_iter()
        .chain(key_material.iter().map(String::as_str))
        .collect();

    // Events (and so the mail queue's messages, which are these events).
    let events = tap
        .wait_for(5, Duration::from_secs(30), |e| {
            matches!(
                e,
                Event::MagicLinkRequested(_)
                    | Event::MagicLinkSent(_)
                    | Event::SignInSucceeded(_)
                    | Event::SignInRejected(_)
            )
        })
        .await;
    assert!(events.len() >= 5, "{events:?}");
    for event in &events {
        let detail = event.detail_json();
        for secret in never_anywhere.iter().chain([&email.as_str()]) {
            assert!(
                !detail.contains(secret),
                "an event holds a secret: {detail}"
            );
        }
    }

    // Log lines of the functions since the run began.
    let mut lines = Vec::new();
    for function in ["request", "mailer", "verifier", "relay"] {
        lines.extend(log_lines(&config, &stack.function_name(function), started_ms).await);
    }
    assert!(
        lines.iter().any(|l| l.contains("link requested")),
        "the run's log lines were collected"
    );
    for line in &lines {
        for secret in never_anywhere.iter().chain([&email.as_str()]) {
            assert!(!line.contains(secret), "a log line holds a secret: {line}");
        }
    }

    // Table items: the address is the challenge's (it must be), but no token.
    let items = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(stack.output("TableName"))
        .send()
        .await
        .unwrap();
    for item in items.items() {
        let text = format!("{item:?}");
        for secret in &never_anywhere {
            assert!(
                !text.contains(secret),
                "a table item holds a secret: {text}"
            );
        }
    }
}
