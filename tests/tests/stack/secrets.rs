//! Secrets stay secret: after a full run (a link requested, mailed, used,
//! replayed and forged, then SES's report of a hard bounce of its mail), no
//! log line, event, queue message or table item holds
//! a token or a signature, no log line or event holds an address, and nothing
//! holds key material.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use magiclink::events::Event;
use magiclink_tests::{
    EventTap, PoolClient, SesMail, Stack, aws, log_lines, mail_to, put_ses_report, unique,
};

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
    let mail = mail_to(&email, 1, Duration::from_secs(30)).await;
    let token = mail[0].token();
    assert!(pool.sign_in(&email, &token).await.is_tokens());
    assert!(!pool.sign_in(&email, &token).await.is_tokens());
    let forged = format!("{}AAAA", &token[..token.len() - 4]);
    assert!(!pool.sign_in(&email, &forged).await.is_tokens());
    put_ses_report(
        &config,
        stack.output("MailConfigurationSetName"),
        ("Email Bounced", "Bounce"),
        &SesMail::of(&mail[0]),
        serde_json::json!({"bounce": {"bounceType": "Permanent", "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": email, "diagnosticCode": format!("smtp; 550 {email} unknown")}]}}),
    )
    .await;

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

    // Events (and so the mail queue's messages, which are these events):
    // this run's only, for the tap also sees the other tests' that run
    // beside it in this binary.
    let subject = magiclink::EmailAddress::parse(&email)
        .unwrap()
        .fingerprint(stack.fingerprints());
    let events = tap
        .wait_for(6, Duration::from_secs(30), |e| {
            let detail: serde_json::Value = serde_json::from_str(&e.detail_json()).unwrap();
            detail["subjectHash"] == subject.as_str()
                && matches!(
                    e,
                    Event::MagicLinkRequested(_)
                        | Event::MagicLinkSent(_)
                        | Event::SignInSucceeded(_)
                        | Event::SignInRejected(_)
                        | Event::MagicLinkBounced(_)
                )
        })
        .await;
    assert!(events.len() >= 6, "{events:?}");
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
    for function in ["request", "mailer", "verifier", "relay", "feedback"] {
        lines.extend(log_lines(&config, &stack.function_name(function), started_ms).await);
    }
    for said in ["link requested", "address suppressed"] {
        assert!(
            lines.iter().any(|l| l.contains(said)),
            "the run's log lines were collected: {said}"
        );
    }
    for line in &lines {
        for secret in never_anywhere.iter().chain([&email.as_str()]) {
            assert!(!line.contains(secret), "a log line holds a secret: {line}");
        }
    }

    // Table items: the address is the challenge's and the watermark's (it
    // must be), nobody else's (a suppression is keyed by its fingerprint);
    // no token anywhere.
    let items: Vec<_> = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(stack.output("TableName"))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert!(
        items.iter().any(|item| item
            .get("pk")
            .and_then(|k| k.as_s().ok())
            .is_some_and(|k| k.starts_with("suppressed#"))),
        "the bounce's suppression was read"
    );
    for item in &items {
        let text = format!("{item:?}");
        let key = item.get("pk").and_then(|k| k.as_s().ok()).unwrap();
        if !key.starts_with("challenge#") && !key.starts_with("user#") {
            assert!(
                !text.contains(&email),
                "a table item holds an address: {text}"
            );
        }
        for secret in &never_anywhere {
            assert!(
                !text.contains(secret),
                "a table item holds a secret: {text}"
            );
        }
    }
}
