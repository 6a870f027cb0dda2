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
use std::time::{Duration, Instant, SystemTime};

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use magiclink::EmailAddress;
use magiclink::events::Event;
use magiclink_tests::{
    Answer, EventTap, Mail, PausedDeliveries, PoolClient, Stack, aws, captured_mail,
    dead_letters_of, jwt_claims, kill_function_processes, log_lines, mail_subject, unique,
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

/// Checks the account of a run. `requests` holds, for each address, how
/// many of its requests may have recorded a challenge: one, plus one for each
/// `503` the client retried (a request refused after its challenge was
/// recorded leaves one that is mailed too). Every challenge requested on the
/// bus was sent and mailed, and no other; each address got at least one; no
/// failure event and no dead letter. Returns how many mails were sent twice
/// for one challenge (a crash between SES and the bookkeeping, ARCHITECTURE.md,
/// invariant 5).
async fn account_for(
    config: &SdkConfig,
    stack: &Stack,
    tap: &mut EventTap,
    mail: &HashMap<String, Vec<Mail>>,
    requests: &HashMap<String, usize>,
) -> usize {
    let keys = stack.fingerprints();
    let subjects: HashSet<String> = requests
        .keys()
        .map(|a| EmailAddress::parse(a).unwrap().fingerprint(keys))
        .collect();
    let mut mailed = HashSet::new();
    let mut duplicates = 0;
    for (address, allowed) in requests {
        let mails = mail.get(address).map(Vec::as_slice).unwrap_or_default();
        let challenges: HashSet<String> = mails.iter().map(challenge_of).collect();
        assert!(
            (1..=*allowed).contains(&challenges.len()),
            "{address}: {} challenges mailed for {allowed} requests",
            challenges.len()
        );
        duplicates += mails.len() - challenges.len();
        mailed.extend(challenges);
    }
    let ours = |e: &Event| mail_subject(e).is_some_and(|s| subjects.contains(s));
    let events = tap
        .wait_for(2 * mailed.len(), Duration::from_secs(120), ours)
        .await;
    let mut requested = HashSet::new();
    let mut sent = HashSet::new();
    for event in &events {
        match event {
            Event::MagicLinkRequested(r) => {
                assert!(requested.insert(r.challenge_id.to_string()), "{r:?} twice");
            }
            Event::MagicLinkSent(s) => {
                sent.insert(s.challenge_id.to_string());
            }
            other => panic!("unexpected event: {other:?}"),
        }
    }
    assert_eq!(
        requested, mailed,
        "every requested challenge mailed, no other"
    );
    assert_eq!(sent, mailed, "a sent event for each mailed challenge");
    assert!(
        dead_letters_of(
            config,
            stack.output("DeadLetterQueueUrl"),
            subjects.iter().map(String::as_str)
        )
        .await
        .is_empty(),
        "no dead letter of ours"
    );
    duplicates
}

#[tokio::test]
#[ignore = "minutes long: run by make soak"]
async fn a_mailer_killed_mid_batch_loses_no_mail() {
    const LINKS: usize = 100;
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;
    let mailer = stack.function_name("mailer");

    let addresses: Vec<String> = (0..LINKS)
        .map(|_| format!("{}@example.com", unique("killed")))
        .collect();
    // A backlog first, so that the mailer is busy with it when killed.
    let paused = PausedDeliveries::pause(&config, &mailer).await;
    for address in &addresses {
        assert_eq!(stack.request_link(address).await, 202);
    }
    paused.resume().await;
    // Kill the mailer as soon as it has sent some of the backlog, and once
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
    let requests = addresses.iter().map(|a| (a.clone(), 1)).collect();
    let duplicates = account_for(&config, &stack, &mut tap, &mail, &requests).await;
    println!("{LINKS} requested, {LINKS} mailed, {duplicates} sent twice, none lost");
}

/// An SDK configuration that neither retries nor gives up early: under load
/// a retried answer would be a second answer, and a slow one is still one.
/// Hundreds of connections at once wait in the emulator's accept queue,
/// hence the long connect timeout.
async fn patient_config() -> SdkConfig {
    let base = aws().await;
    base.into_builder()
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(120))
                .operation_timeout(Duration::from_secs(300))
                .build(),
        )
        .build()
}

/// Signs each of `users` (address, token) in with one answer, `at_once` at
/// a time; the ones refused, with Cognito's answer.
async fn sign_in_each(
    pool: &PoolClient,
    users: &[(String, String)],
    at_once: usize,
) -> Vec<(String, Answer)> {
    let in_flight = Arc::new(tokio::sync::Semaphore::new(at_once));
    let mut sign_ins = tokio::task::JoinSet::new();
    for (address, token) in users.iter().cloned() {
        let (pool, in_flight) = (pool.clone(), Arc::clone(&in_flight));
        sign_ins.spawn(async move {
            let _turn = in_flight.acquire_owned().await;
            let answer = pool.sign_in(&address, &token).await;
            (address, answer)
        });
    }
    sign_ins
        .join_all()
        .await
        .into_iter()
        .filter(|(_, answer)| !answer.is_tokens())
        .collect()
}

/// Waits (up to two minutes) until the emulator's DynamoDB has worked off
/// a burst: three reads in a row, each within 50 ms. A fixed pause was too
/// short on a slow machine and the paced sign-ins then timed out. How long
/// it took.
async fn settle(config: &SdkConfig, table: &str) -> Duration {
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    let key = aws_sdk_dynamodb::types::AttributeValue::S(unique("settle"));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(120);
    let mut quick = 0;
    while quick < 3 && Instant::now() < deadline {
        let sent = Instant::now();
        dynamodb
            .get_item()
            .table_name(table)
            .key("pk", key.clone())
            .send()
            .await
            .unwrap();
        if sent.elapsed() < Duration::from_millis(50) {
            quick += 1;
        } else {
            quick = 0;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    started.elapsed()
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
    const BURST: usize = 200;
    const PACED_AT_ONCE: usize = 10;
    let config = patient_config().await;
    let stack = Arc::new(Stack::load(&config).await);
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;

    // 2,000 link requests from 50 concurrent clients, 40 each. A `503`
    // (a call slower than the request path's time budget, which an
    // overloaded emulator can be) is what the API tells a client to retry;
    // the clients do, after a second, and each one is counted.
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
                let mut statuses = Vec::new();
                while statuses.len() < 5 && statuses.last().is_none_or(|s| *s == 503) {
                    let sent = Instant::now();
                    let answer = http
                        .post(stack.magic_links_url())
                        .header("content-type", "application/json")
                        .body(serde_json::json!({ "email": address }).to_string())
                        .send()
                        .await;
                    let status = answer.as_ref().map_or(0, |r| r.status().as_u16());
                    if status != 202 {
                        let body = match answer {
                            Ok(r) => r.text().await.unwrap_or_default(),
                            Err(e) => e.to_string(),
                        };
                        println!("{status} after {:.1?}: {body}", sent.elapsed());
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    statuses.push(status);
                    answers.push((address.clone(), status, sent.elapsed()));
                }
            }
            answers
        });
    }
    let answers: Vec<(String, u16, Duration)> =
        clients.join_all().await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    let mut statuses = HashMap::<u16, usize>::new();
    let mut requests = HashMap::<String, usize>::new();
    for (address, status, _) in &answers {
        *statuses.entry(*status).or_default() += 1;
        *requests.entry(address.clone()).or_default() += 1;
    }
    let mut latencies: Vec<Duration> = answers.iter().map(|(_, _, d)| *d).collect();
    latencies.sort();
    println!(
        "{REQUESTS} addresses from {CLIENTS} clients in {elapsed:.1?}: {statuses:?}; \
         p50 {:?}, p99 {:?}, max {:?}",
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        latencies[latencies.len() - 1],
    );
    // An address is accepted by a 202 or, under this load, by a 503 whose
    // transaction the emulator applied after all: the retry a second later
    // is then inside the address's burst window and answered 429 (seen: 3
    // of 11 retries). Its mail is accounted for below like any other.
    let mut by_address = HashMap::<&str, Vec<u16>>::new();
    for (address, status, _) in &answers {
        by_address.entry(address).or_default().push(*status);
    }
    let accepted = by_address
        .values()
        .filter(|seen| matches!(seen.as_slice(), [.., 202] | [.., 503, 429]))
        .count();
    assert_eq!(
        accepted, REQUESTS,
        "every address accepted, at the latest on a retry"
    );
    assert!(
        statuses.keys().all(|s| [202, 503, 429].contains(s)),
        "only 202, the 503 that says to retry, and a 429 after one: {statuses:?}"
    );

    // Every accepted request is mailed, and accounted for.
    let mail = wait_for_mail(&addresses, Duration::from_secs(600)).await;
    println!(
        "all mailed {:.1?} after the first request",
        started.elapsed()
    );
    let duplicates = account_for(&config, &stack, &mut tap, &mail, &requests).await;
    assert_eq!(duplicates, 0, "nothing crashed, so nothing was sent twice");

    // 200 sign-ins at once against verifiers that have never run, then 300
    // more, 50 at a time; one answer each. A link's sign-in waits on no key:
    // the public keys come with the verifier's configuration and the token
    // carries its address's fingerprint, so a fresh process answers with one
    // DynamoDB call. (It once fetched the public key at start-up, and 28 of
    // 50 cold verifiers refused answers while GetPublicKey was slow; deriving
    // the fingerprint key at start-up did the same with GenerateMac.) What
    // the emulator cannot carry is 200 transactions at once inside the
    // trigger's budget (its DynamoDB is one Python process on two cores): an
    // answer whose consume times out is refused as `unavailable`, and as the
    // emulator may still apply the write later, its link may be spent. So
    // the first 200 are checked by cause, from the verifier's log: every
    // refusal is such a DynamoDB timeout, none a key. The next 300, 10 at a
    // time once the emulator has worked off the burst, must all sign in on
    // their first answer (50 at a time lost 9 to 70 of them to the same
    // timeouts on a slower run of the emulator; 25 at a time lost 7 once
    // each sign-in also wrote its metric lines, which the emulator stores
    // in the same process as its DynamoDB).
    // Then each token once more: every one is refused. (With 500 at once the
    // emulator, which runs a process per concurrent trigger, started 900
    // verifier processes and stopped answering for minutes.)
    let pool = PoolClient::new(&config, &stack);
    let users: Vec<(String, String)> = addresses
        .iter()
        .take(SIGN_INS)
        .map(|a| (a.clone(), mail[a][0].token()))
        .collect();
    let (burst, paced) = users.split_at(BURST);
    let since_ms = i64::try_from(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let started = Instant::now();
    let refused_in_burst = sign_in_each(&pool, burst, BURST).await;
    println!(
        "{BURST} sign-ins at once in {:.1?}: {} refused",
        started.elapsed(),
        refused_in_burst.len()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let lines = log_lines(&config, &stack.function_name("verifier"), since_ms).await;
    let answered = lines
        .iter()
        .filter(|l| l.contains("VerifyAuthChallengeResponse_Authentication"))
        .count();
    // Every answer's line, or nearly: under this load the emulator may miss
    // a process's line (seen: 199 of 200).
    assert!(
        answered >= BURST * 9 / 10,
        "the verifier logged {answered} answers"
    );
    let mut causes = HashMap::<&str, usize>::new();
    for line in lines.iter().filter(|l| l.contains(r#""level":"ERROR""#)) {
        let cause = if line.contains("key unavailable") || line.contains("GenerateMac") {
            "a key"
        } else if line.contains("DynamoDB") {
            "DynamoDB"
        } else {
            "other"
        };
        *causes.entry(cause).or_default() += 1;
    }
    println!("refusals by cause, from the verifier's log: {causes:?}");
    assert_eq!(causes.get("a key"), None, "a sign-in waited on a key");
    assert_eq!(causes.get("other"), None, "refusals of another cause");
    // A refusal whose line the emulator missed is not counted against it
    // (seen: 183 refusals, 181 lines, 198 answers logged).
    let unlogged = BURST.saturating_sub(answered);
    assert!(
        causes.get("DynamoDB").copied().unwrap_or(0) + unlogged >= refused_in_burst.len(),
        "every refusal is a DynamoDB timeout"
    );

    // The emulator works off the burst (late transactions, the stream)
    // before the paced sign-ins start.
    let settled = settle(&config, stack.output("TableName")).await;
    println!("DynamoDB answered quickly again after {settled:.1?}");
    let started = Instant::now();
    let refused = sign_in_each(&pool, paced, PACED_AT_ONCE).await;
    println!(
        "{} sign-ins, {PACED_AT_ONCE} at a time, in {:.1?}",
        paced.len(),
        started.elapsed()
    );
    assert!(
        refused.is_empty(),
        "links refused on their first answer: {refused:?}"
    );
    let in_flight = Arc::new(tokio::sync::Semaphore::new(PACED_AT_ONCE));

    let mut replays = tokio::task::JoinSet::new();
    for (address, token) in users {
        let (pool, in_flight) = (pool.clone(), Arc::clone(&in_flight));
        replays.spawn(async move {
            let _turn = in_flight.acquire_owned().await;
            (pool.sign_in(&address, &token).await.is_tokens(), address)
        });
    }
    let twice: Vec<String> = replays
        .join_all()
        .await
        .into_iter()
        .filter_map(|(signed_in, address)| signed_in.then_some(address))
        .collect();
    assert!(twice.is_empty(), "tokens accepted twice: {twice:?}");
    // A SignInSucceeded for each sign-in (and for each consume the emulator
    // applied after its answer had been refused).
    let signed_in = SIGN_INS - refused_in_burst.len();
    let succeeded = tap
        .wait_for(signed_in, Duration::from_secs(120), |e| {
            matches!(e, Event::SignInSucceeded(_))
        })
        .await;
    assert!(succeeded.len() >= signed_in, "a SignInSucceeded each");
}
