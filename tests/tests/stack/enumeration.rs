//! No enumeration (ARCHITECTURE.md, invariant 4): through the deployed API, known and
//! unknown addresses get the same status, body (but for each request's own
//! challenge id) and headers, and latencies
//! that a statistical test cannot tell apart.
//!
//! The test: 40 requests for addresses with accounts and 40 for addresses
//! without, interleaved, each address used once. Their latency samples are
//! compared with the two-sample Kolmogorov-Smirnov test at significance
//! 0.001: the distributions count as distinguishable when the largest gap D
//! between their empirical distribution functions exceeds
//! 1.95 * sqrt((n + m) / (n * m)), which for n = m = 40 is 0.436.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use magiclink::challenge::SuppressionReason;
use magiclink::events::Event;
use magiclink_tests::{PoolClient, Stack, aws, new_address, unique};

const SAMPLES: usize = 40;
/// c(alpha) of the two-sample KS test for alpha = 0.001.
const KS_C_ALPHA: f64 = 1.95;

struct Answer {
    status: u16,
    body: String,
    headers: BTreeMap<String, String>,
    latency: Duration,
}

async fn ask(http: &reqwest::Client, stack: &Stack, email: &str) -> Answer {
    let started = Instant::now();
    let response = http
        .post(stack.magic_links_url())
        .header("content-type", "application/json")
        .body(serde_json::json!({ "email": email }).to_string())
        .send()
        .await
        .unwrap();
    let latency = started.elapsed();
    let status = response.status().as_u16();
    // Headers that differ per request by nature.
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "date" | "apigw-requestid" | "x-amzn-requestid" | "x-amz-apigw-id"
            )
        })
        .map(|(name, value)| {
            (
                name.to_string(),
                value.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    Answer {
        status,
        body: response.text().await.unwrap(),
        headers,
        latency,
    }
}

/// The Kolmogorov-Smirnov statistic: the largest gap between the empirical
/// distribution functions of `a` and `b`.
fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

#[test]
fn the_ks_statistic_is_right_on_known_samples() {
    assert_eq!(ks_statistic(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
    assert_eq!(ks_statistic(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
    assert!((ks_statistic(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]) - 0.5).abs() < 1e-9);
}

/// A 202's body with its challenge id, which differs for every request,
/// replaced by what it is: a ULID.
fn shape(body: &str) -> serde_json::Value {
    let mut body: serde_json::Value = serde_json::from_str(body).unwrap();
    let id = body["challengeId"].as_str().unwrap();
    assert!(id.parse::<ulid::Ulid>().is_ok(), "{id}");
    body["challengeId"] = "<ULID>".into();
    body
}

#[tokio::test]
async fn known_and_unknown_addresses_are_indistinguishable() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let pool = PoolClient::new(&config, &stack);
    let mut known = Vec::new();
    for _ in 0..SAMPLES {
        let email = new_address("known");
        pool.create_user(&email).await;
        known.push(email.as_str().to_owned());
    }
    let unknown: Vec<String> = (0..SAMPLES)
        .map(|_| format!("{}@example.com", unique("unknown")))
        .collect();

    let http = reqwest::Client::new();
    // Warm both paths' connections and the function before measuring.
    ask(&http, &stack, &format!("{}@example.com", unique("warm"))).await;
    let (mut k, mut u) = (Vec::new(), Vec::new());
    for (known, unknown) in known.iter().zip(&unknown) {
        k.push(ask(&http, &stack, known).await);
        u.push(ask(&http, &stack, unknown).await);
    }

    let reference = &k[0];
    assert_eq!(reference.status, 202);
    for answer in k.iter().chain(&u) {
        assert_eq!(answer.status, reference.status);
        assert_eq!(shape(&answer.body), shape(&reference.body));
        assert_eq!(answer.headers, reference.headers);
    }

    let millis = |answers: &[Answer]| {
        answers
            .iter()
            .map(|a| a.latency.as_secs_f64() * 1000.0)
            .collect::<Vec<_>>()
    };
    let d = ks_statistic(&millis(&k), &millis(&u));
    let n = SAMPLES as f64;
    let threshold = KS_C_ALPHA * ((n + n) / (n * n)).sqrt();
    println!("Kolmogorov-Smirnov D = {d:.3} (threshold {threshold:.3} at alpha 0.001)");
    assert!(
        d <= threshold,
        "latencies of known and unknown addresses differ: D = {d:.3} > {threshold:.3}"
    );
}

/// The status endpoint of cross-device approval: a challenge of a known and
/// of an unknown address, asked for with a binding and polled with its
/// verifier once the mailer has dealt with both, reads the same (pending,
/// its mail sent, with its expiry; sign-up mode `open`, where both are
/// mailed: in mode `existing` the mail's state is not told, see the request
/// service's contract tests), in times a statistical test cannot tell apart; a wrong
/// verifier gets the same 404 for both.
#[tokio::test]
async fn the_status_endpoint_tells_known_and_unknown_addresses_alike() {
    const POLLS: usize = 20;
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let pool = PoolClient::new(&config, &stack);
    let http = reqwest::Client::new();
    let known = new_address("known");
    pool.create_user(&known).await;
    let unknown = format!("{}@example.com", unique("unknown"));
    let verifier = format!("{}{}", ulid::Ulid::generate(), ulid::Ulid::generate())[..43].to_owned();
    let binding = magiclink::binding::Verifier::parse(&verifier)
        .unwrap()
        .binding()
        .encoded();
    let mut ids = Vec::new();
    for email in [known.as_str(), &unknown] {
        let response = http
            .post(stack.magic_links_url())
            .header("content-type", "application/json")
            .body(serde_json::json!({"email": email, "binding": binding}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202);
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(body["challengeId"].as_str().unwrap().to_owned());
    }
    // Both are mailed (sign-up mode open makes the unknown one an account).
    for email in [known.as_str(), &unknown] {
        magiclink_tests::mail_to(email, 1, Duration::from_secs(30)).await;
    }

    let poll = |id: String, verifier: String| {
        let http = http.clone();
        let url = format!("{}/{id}", stack.magic_links_url());
        async move {
            let started = Instant::now();
            let response = http
                .get(url)
                .header("x-magiclink-verifier", verifier)
                .send()
                .await
                .unwrap();
            let latency = started.elapsed();
            let status = response.status().as_u16();
            let mut body: serde_json::Value = response.json().await.unwrap();
            if body.get("expiresAt").is_some() {
                body["expiresAt"] = "<seconds>".into();
            }
            (status, body, latency)
        }
    };
    let (mut k, mut u) = (Vec::new(), Vec::new());
    for _ in 0..POLLS {
        k.push(poll(ids[0].clone(), verifier.clone()).await);
        u.push(poll(ids[1].clone(), verifier.clone()).await);
    }
    for (status, body, _) in k.iter().chain(&u) {
        assert_eq!(
            (*status, body),
            (
                200,
                &serde_json::json!({"status": "pending", "expiresAt": "<seconds>", "delivery": "sent"})
            )
        );
    }
    let wrong = format!("{}{}", ulid::Ulid::generate(), ulid::Ulid::generate())[..43].to_owned();
    let (known_404, unknown_404) = (
        poll(ids[0].clone(), wrong.clone()).await,
        poll(ids[1].clone(), wrong).await,
    );
    assert_eq!((known_404.0, &known_404.1), (unknown_404.0, &unknown_404.1));
    assert_eq!(known_404.0, 404);

    let millis = |answers: &[(u16, serde_json::Value, Duration)]| {
        answers
            .iter()
            .map(|a| a.2.as_secs_f64() * 1000.0)
            .collect::<Vec<_>>()
    };
    let d = ks_statistic(&millis(&k), &millis(&u));
    let n = POLLS as f64;
    let threshold = KS_C_ALPHA * ((n + n) / (n * n)).sqrt();
    assert!(
        d <= threshold,
        "status latencies of known and unknown addresses differ: D = {d:.3} > {threshold:.3}"
    );
}

/// A flood of `+tag` spellings spends a mailbox's allowance. The base address
/// is then answered alike whether it signed in lately or not (an earlier
/// design answered 202 to one and 429 to the other): the same status, the
/// same body but for its id, the same progress and delivery on the status
/// endpoint. Only the mail differs, which only the mailbox's owner sees: the
/// address that signs in gets its link, the other none, and the operator an
/// event that says why.
#[tokio::test]
async fn a_flooded_mailbox_answers_alike_whether_its_address_signs_in_or_not() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let pool = PoolClient::new(&config, &stack);
    let links = magiclink_tests::LinkIssuer::new(&config, &stack);
    let mut tap = magiclink_tests::EventTap::on(&config, stack.output("EventBusName")).await;
    let http = reqwest::Client::new();
    // One address that signed in (it has a watermark), one that never did.
    let known = new_address("flooded");
    pool.create_user(&known).await;
    let (_, token) = links.link(&known).await;
    assert!(pool.sign_in(known.as_str(), &token).await.is_tokens());
    let stranger = new_address("flooded");

    let verifier = format!("{}{}", ulid::Ulid::generate(), ulid::Ulid::generate())[..43].to_owned();
    let binding = magiclink::binding::Verifier::parse(&verifier)
        .unwrap()
        .binding()
        .encoded();
    let ask = |email: String| {
        let http = http.clone();
        let url = stack.magic_links_url();
        let body = serde_json::json!({"email": email, "binding": binding}).to_string();
        async move {
            let response = http
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body)
        }
    };
    let mut answers = Vec::new();
    for address in [&known, &stranger] {
        let (local, domain) = address.as_str().split_once('@').unwrap();
        for tag in 0..10 {
            let (status, _) = ask(format!("{local}+{tag}@{domain}")).await;
            assert_eq!(status, 202);
        }
        answers.push(ask(address.as_str().to_owned()).await);
    }
    for (status, body) in &answers {
        assert_eq!(*status, 202, "{body}");
        assert_eq!(body["status"], "accepted");
        assert!(
            body["challengeId"]
                .as_str()
                .is_some_and(|id| id.len() == 26)
        );
    }

    // The address that signs in gets its link; the other gets nothing, and
    // the operator is told why.
    let held = answers[0].1["challengeId"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !magiclink_tests::mail_to(known.as_str(), 1, Duration::ZERO)
        .await
        .iter()
        .any(|mail| mail.challenge_id() == held)
    {
        assert!(
            Instant::now() < deadline,
            "the address that signs in gets its held link"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let subject = stranger.fingerprint(stack.fingerprints());
    let suppressed = tap
        .wait_for(
            1,
            Duration::from_secs(30),
            |event| matches!(event, Event::MagicLinkSuppressed(e) if e.subject_hash == subject),
        )
        .await;
    match suppressed.as_slice() {
        [Event::MagicLinkSuppressed(e)] => {
            assert_eq!(e.reason, SuppressionReason::MailboxLimit);
            assert_eq!(e.challenge_id.to_string(), answers[1].1["challengeId"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        magiclink_tests::captured_mail()
            .await
            .iter()
            .all(|m| !m.to.iter().any(|to| to == stranger.as_str())),
        "no mail to the address that never signed in"
    );
    // The asking browser of each is told the same.
    for (_, body) in &answers {
        let id = body["challengeId"].as_str().unwrap();
        let response = http
            .get(format!("{}/{id}", stack.magic_links_url()))
            .header("x-magiclink-verifier", &verifier)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let status: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            (&status["status"], &status["delivery"]),
            (&serde_json::json!("pending"), &serde_json::json!("sent")),
            "{id}"
        );
    }
}
