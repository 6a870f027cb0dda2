//! The metrics, as the functions write them: a known sequence through the
//! deployed stack (requests, one refused, the mail, a delivery and a
//! bounce, sign-ins by link and by code, a wrong code), then exactly those
//! counts read back from the embedded-metric lines in the functions' logs.
//! A binary of its own: metric lines carry no request's id (their
//! dimensions stay low-cardinality), so nothing else may run beside it.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use aws_config::SdkConfig;
use magiclink_tests::{
    PoolClient, SesMail, Stack, aws, log_lines, mail_to, put_ses_report, unique,
};
use serde_json::{Value, json};

/// A metric's name and its second dimension's value (empty without one).
type Key = (String, String);

/// The points of namespace `Magiclink` in `lines`: count and values by key.
fn points(lines: &[String]) -> BTreeMap<Key, Vec<f64>> {
    let mut points: BTreeMap<Key, Vec<f64>> = BTreeMap::new();
    for line in lines {
        let Ok(document) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(directives) = document["_aws"]["CloudWatchMetrics"].as_array() else {
            continue;
        };
        for directive in directives {
            assert_eq!(directive["Namespace"], "Magiclink");
            assert_eq!(document["Stack"], "magiclink", "the stack's dimension");
            let sets = directive["Dimensions"].as_array().unwrap();
            let second = sets
                .iter()
                .flat_map(|set| set.as_array().unwrap())
                .filter_map(Value::as_str)
                .find(|d| *d != "Stack");
            for metric in directive["Metrics"].as_array().unwrap() {
                let name = metric["Name"].as_str().unwrap().to_owned();
                let by = second
                    .map(|d| document[d].as_str().unwrap().to_owned())
                    .unwrap_or_default();
                points
                    .entry((name.clone(), by))
                    .or_default()
                    .push(document[&name].as_f64().unwrap());
            }
        }
    }
    points
}

fn key(name: &str, by: &str) -> Key {
    (name.to_owned(), by.to_owned())
}

/// The functions whose metric lines the sequence makes.
const FUNCTIONS: [&str; 4] = ["request", "mailer", "feedback", "verifier"];

/// The metric points of the functions since `since`.
async fn points_since(config: &SdkConfig, stack: &Stack, since: i64) -> BTreeMap<Key, Vec<f64>> {
    let mut lines = Vec::new();
    for function in FUNCTIONS {
        lines.extend(log_lines(config, &stack.function_name(function), since).await);
    }
    points(&lines)
}

/// Waits (up to a minute) until the functions have written no metric line
/// for three seconds: what the tests before this one left going (a retried
/// mail, a late report) must not count here.
async fn quiet(config: &SdkConfig, stack: &Stack) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let since = now_ms();
        tokio::time::sleep(Duration::from_secs(3)).await;
        if points_since(config, stack, since).await.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "the functions never went quiet");
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_known_sequence_is_counted_exactly_in_the_functions_metric_lines() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let pool = PoolClient::new(&config, &stack);
    quiet(&config, &stack).await;
    let since = now_ms();

    // Five requests: four addresses, and one that is not an address.
    let addresses: Vec<String> = (0..4)
        .map(|_| format!("{}@example.com", unique("metrics")))
        .collect();
    for address in &addresses {
        assert_eq!(stack.request_link(address).await, 202);
    }
    assert_eq!(stack.request_link("not an address").await, 400);

    // Four mails; SES reports one delivered and one hard bounce.
    let mut mail = Vec::new();
    for address in &addresses {
        mail.push(mail_to(address, 1, Duration::from_secs(30)).await.remove(0));
    }
    let set = stack.output("MailConfigurationSetName");
    let delivered = json!({"delivery": {"timestamp": "2026-12-02T08:00:01.000Z", "processingTimeMillis": 900, "smtpResponse": "250 ok"}});
    put_ses_report(
        &config,
        set,
        ("Email Delivered", "Delivery"),
        &SesMail::of(&mail[0]),
        delivered,
    )
    .await;
    let bounced = json!({"bounce": {
        "feedbackId": "metrics", "bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"action": "failed", "status": "5.1.1"}],
        "timestamp": "2026-12-02T08:00:01.000Z"
    }});
    put_ses_report(
        &config,
        set,
        ("Email Bounced", "Bounce"),
        &SesMail::of(&mail[3]),
        bounced,
    )
    .await;

    // A sign-in by link, one by code, and a wrong code.
    assert!(
        pool.sign_in(&addresses[0], &mail[0].token())
            .await
            .is_tokens()
    );
    let code = |m: &magiclink_tests::Mail, code: &str| {
        json!({"challengeId": m.challenge_id(), "code": code}).to_string()
    };
    let session = pool.start(&addresses[1]).await;
    let answer = pool
        .answer(&addresses[1], &session, &code(&mail[1], &mail[1].code()))
        .await;
    assert!(answer.is_tokens());
    let right = mail[2].code();
    let wrong: String = right
        .chars()
        .map(|c| {
            if c == '9' {
                '0'
            } else {
                char::from(c as u8 + 1)
            }
        })
        .collect();
    let session = pool.start(&addresses[2]).await;
    assert!(
        !pool
            .answer(&addresses[2], &session, &code(&mail[2], &wrong))
            .await
            .is_tokens()
    );

    // Exactly these, once every function's lines are in.
    let expected: BTreeMap<Key, usize> = [
        (key("LinksRequested", ""), 4),
        (key("LinksRefused", "invalid_email"), 1),
        (key("RequestTime", ""), 5),
        (key("MailsSent", ""), 4),
        (key("MailDelay", ""), 4),
        (key("MailsDelivered", ""), 1),
        (key("MailsBounced", ""), 1),
        (key("SignIns", "link"), 1),
        (key("SignIns", "code"), 1),
        (key("SignInsRefused", "wrong_code"), 1),
        (key("TriggerTime", "VerifyAuthChallengeResponse"), 3),
    ]
    .into_iter()
    .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let counted = loop {
        let counted = points_since(&config, &stack, since).await;
        let counts: BTreeMap<Key, usize> = counted
            .iter()
            .filter(|(k, _)| k.0 != "TriggerTime" || k.1 == "VerifyAuthChallengeResponse")
            .map(|(k, v)| (k.clone(), v.len()))
            .collect();
        if counts == expected || Instant::now() > deadline {
            assert_eq!(
                counts, expected,
                "the metric lines since the sequence began"
            );
            break counted;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    // Each line a count of one, each time a time.
    for ((name, _), values) in &counted {
        match name.as_str() {
            "RequestTime" | "MailDelay" | "TriggerTime" => {
                assert!(
                    values.iter().all(|v| *v >= 0.0 && *v < 90_000.0),
                    "{name}: {values:?}"
                );
            }
            _ => assert!(values.iter().all(|v| *v == 1.0), "{name}: {values:?}"),
        }
    }
    // Every trigger of the three sign-ins is timed, by its name.
    for trigger in ["DefineAuthChallenge", "CreateAuthChallenge"] {
        assert!(
            counted.contains_key(&key("TriggerTime", trigger)),
            "{trigger} is timed"
        );
    }
}
