//! The long tests, run by `make soak` (not by `make test`): the mailer killed
//! in the middle of a batch, and the stack under load. Each ends with an
//! account of every request: answers, events, mail, dead letters, sign-ins.
//!
//! They are ignored by a plain `cargo test` because each takes minutes;
//! `make soak` runs them with `--ignored`, one at a time.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use magiclink::EmailAddress;
use magiclink::events::Event;
use magiclink_tests::{
    EventTap, Mail, PoolClient, Stack, aws, captured_mail, jwt_claims, kill_function_processes,
    receive_bodies, unique,
};

/// The mail captured so far to each of `addresses`.
async fn mail_by_address(addresses: &[String]) -> HashMap<String, Vec<Mail>> {
    let wanted: HashSet<&String> = addresses.iter().collect();
    let mut by_address: HashMap<String, Vec<Mail>> = HashMap::new();
    for mail in captured_mail().await {
        for to in &mail.to {
            if wanted.contains(to) {
                by_address.entry(to.clone()).or_default().push(mail.clone());
            }
        }
    }
    by_address
}

/// Waits up to `within` until each of `addresses` has at least one mail.
async fn wait_for_mail(addresses: &[String], within: Duration) -> HashMap<String, Vec<Mail>> {
    let deadline = Instant::now() + within;
    loop {
        let mail = mail_by_address(addresses).await;
        if mail.len() == addresses.len() || Instant::now() >= deadline {
            return mail;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The challenge a mail's link is for: its token's `jti`.
fn challenge_of(mail: &Mail) -> String {
    jwt_claims(&mail.token())["jti"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Checks the account of a run: each address got mail for exactly one
/// challenge (a crash between SES and the bookkeeping may send that one
/// link twice, DESIGN invariant 5), one `MagicLinkRequested` and at least
/// one `MagicLinkSent` each, no failure event and no dead letter. Returns
/// how many mails were duplicates.
async fn account_for(
    config: &SdkConfig,
    stack: &Stack,
    tap: &mut EventTap,
    mail: &HashMap<String, Vec<Mail>>,
    addresses: &[String],
) -> usize {
    let salt = stack.subject_salt();
    let subjects: HashSet<String> = addresses
        .iter()
        .map(|a| EmailAddress::parse(a).unwrap().fingerprint(salt))
        .collect();
    let mut duplicates = 0;
    for address in addresses {
        let mails = mail.get(address).map(Vec::as_slice).unwrap_or_default();
        assert!(!mails.is_empty(), "{address} got no mail");
        let challenges: HashSet<String> = mails.iter().map(challenge_of).collect();
        assert_eq!(challenges.len(), 1, "{address}: one challenge, one link");
        duplicates += mails.len() - 1;
    }
    let ours = |e: &Event| match e {
        Event::MagicLinkRequested(r) => subjects.contains(&r.subject_hash),
        Event::MagicLinkSent(s) => subjects.contains(&s.subject_hash),
        Event::MagicLinkDeliveryFailed(f) => subjects.contains(&f.subject_hash),
        _ => false,
    };
    let events = tap
        .wait_for(2 * addresses.len(), Duration::from_secs(120), ours)
        .await;
    let mut requested = HashMap::<&str, usize>::new();
    let mut sent = HashSet::<&str>::new();
    for event in &events {
        match event {
            Event::MagicLinkRequested(r) => *requested.entry(&r.subject_hash).or_default() += 1,
            Event::MagicLinkSent(s) => {
                sent.insert(&s.subject_hash);
            }
            other => panic!("unexpected event: {other:?}"),
        }
    }
    assert_eq!(requested.len(), addresses.len(), "one request event each");
    assert!(
        requested.values().all(|n| *n == 1),
        "one request event each"
    );
    assert_eq!(sent.len(), addresses.len(), "a sent event each");
    let dead = receive_bodies(
        config,
        stack.output("DeadLetterQueueUrl"),
        10,
        Duration::from_secs(2),
    )
    .await;
    assert!(
        !dead
            .iter()
            .any(|body| subjects.iter().any(|s| body.contains(s.as_str()))),
        "no dead letter of ours"
    );
    duplicates
}

#[tokio::test]
#[ignore = "minutes long: run by make soak"]
async fn a_mailer_killed_mid_batch_loses_no_mail() {
    const LINKS: usize = 200;
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;
    let mailer = stack.function_name("mailer");

    let addresses: Vec<String> = (0..LINKS)
        .map(|_| format!("{}@example.com", unique("killed")))
        .collect();
    for address in &addresses {
        assert_eq!(stack.request_link(address).await, 202);
    }
    // Kill the mailer as soon as it has sent some of the batch, and once
    // more a little later, while it sends the rest.
    let mut killed = 0;
    let mut mailed_at_kills = Vec::new();
    for _ in 0..2 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mailed = mail_by_address(&addresses).await.len();
            if mailed > mailed_at_kills.last().copied().unwrap_or(0) || Instant::now() > deadline {
                killed += kill_function_processes(&mailer);
                mailed_at_kills.push(mailed);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    println!("killed {killed} mailer processes with {mailed_at_kills:?} of {LINKS} mailed");
    assert!(killed > 0, "a mailer process was running");
    assert!(
        mailed_at_kills.iter().all(|m| *m < LINKS),
        "the kills came in the middle of the batch"
    );

    // What the killed invocations held comes back after the queue's
    // visibility timeout (180 s).
    let mail = wait_for_mail(&addresses, Duration::from_secs(300)).await;
    let duplicates = account_for(&config, &stack, &mut tap, &mail, &addresses).await;
    println!("{LINKS} requested, {LINKS} mailed, {duplicates} sent twice, none lost");
}

/// An SDK configuration that neither retries nor gives up early: under load
/// a retried answer would be a second answer, and a slow one is still one.
async fn patient_config() -> SdkConfig {
    let base = aws().await;
    base.into_builder()
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(300))
                .build(),
        )
        .build()
}

/// Percentile `p` (0 to 100) of sorted durations.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

#[tokio::test]
#[ignore = "minutes long: run by make soak"]
async fn two_thousand_requests_then_five_hundred_sign_ins() {
    const CLIENTS: usize = 50;
    const REQUESTS: usize = 2_000;
    const SIGN_INS: usize = 500;
    let config = patient_config().await;
    let stack = Arc::new(Stack::load(&config).await);
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;

    // 2,000 link requests from 50 concurrent clients, 40 each.
    let addresses: Vec<String> = (0..REQUESTS)
        .map(|_| format!("{}@example.com", unique("load")))
        .collect();
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for chunk in addresses.chunks(REQUESTS / CLIENTS) {
        let (stack, chunk) = (Arc::clone(&stack), chunk.to_vec());
        clients.spawn(async move {
            let http = reqwest::Client::new();
            let mut answers = Vec::new();
            for address in chunk {
                let sent = Instant::now();
                let answer = http
                    .post(stack.magic_links_url())
                    .header("content-type", "application/json")
                    .body(serde_json::json!({ "email": address }).to_string())
                    .send()
                    .await;
                let status = answer.as_ref().map_or(0, |r| r.status().as_u16());
                let elapsed = sent.elapsed();
                if status != 202 {
                    let body = match answer {
                        Ok(r) => r.text().await.unwrap_or_default(),
                        Err(e) => e.to_string(),
                    };
                    println!("{status} after {elapsed:.1?}: {body}");
                }
                answers.push((status, elapsed));
            }
            answers
        });
    }
    let answers: Vec<(u16, Duration)> = clients.join_all().await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    let mut statuses = HashMap::<u16, usize>::new();
    for (status, _) in &answers {
        *statuses.entry(*status).or_default() += 1;
    }
    let mut latencies: Vec<Duration> = answers.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    println!(
        "{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1?}: {statuses:?}; \
         p50 {:?}, p99 {:?}, max {:?}",
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        latencies[latencies.len() - 1],
    );
    assert_eq!(
        statuses.get(&202),
        Some(&REQUESTS),
        "every request accepted"
    );

    // Every accepted request is mailed, and accounted for.
    let mail = wait_for_mail(&addresses, Duration::from_secs(600)).await;
    println!(
        "all mailed {:.1?} after the first request",
        started.elapsed()
    );
    let duplicates = account_for(&config, &stack, &mut tap, &mail, &addresses).await;
    assert_eq!(duplicates, 0, "nothing crashed, so nothing was sent twice");

    // 500 concurrent sign-ins, each racing a second answer with the same
    // token in another session: exactly one of the two gets tokens.
    let pool = PoolClient::new(&config, &stack);
    let started = Instant::now();
    let mut sign_ins = tokio::task::JoinSet::new();
    for address in addresses.iter().take(SIGN_INS) {
        let token = mail[address][0].token();
        for _ in 0..2 {
            let (pool, address, token) = (pool.clone(), address.clone(), token.clone());
            sign_ins.spawn(async move {
                let signed_in = pool.sign_in(&address, &token).await.is_tokens();
                (address, signed_in)
            });
        }
    }
    let mut successes = HashMap::<String, usize>::new();
    for (address, signed_in) in sign_ins.join_all().await {
        *successes.entry(address).or_default() += usize::from(signed_in);
    }
    println!(
        "{SIGN_INS} sign-ins, two answers each, in {:.1?}",
        started.elapsed()
    );
    let twice: Vec<_> = successes.iter().filter(|(_, n)| **n > 1).collect();
    let never: Vec<_> = successes.iter().filter(|(_, n)| **n == 0).collect();
    assert!(twice.is_empty(), "a token was accepted twice: {twice:?}");
    assert!(never.is_empty(), "a link did not sign in: {never:?}");
    let succeeded = tap
        .wait_for(SIGN_INS, Duration::from_secs(120), |e| {
            matches!(e, Event::SignInSucceeded(_))
        })
        .await;
    assert!(succeeded.len() >= SIGN_INS, "a SignInSucceeded each");
}
