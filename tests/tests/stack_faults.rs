//! KMS and DynamoDB unreachable for a while, on the deployed stack (ARCHITECTURE.md,
//! invariants 5 and 6): the functions reach those services through
//! [`FaultProxy`]s that the test breaks and heals. A request that meets an
//! outage is refused with a 503 and leaves nothing behind; a link accepted
//! before or during one is mailed once the outage ends, exactly once. At the
//! end every request is accounted for: answers, events, mail, dead letters.
//!
//! The tests here change the environment of the functions every other test
//! relies on (and put it back), so they are alone in this binary and take
//! turns: each one's outage would otherwise break the other's functions
//! (an environment change also restarts a function, failing a call in
//! flight with a 502).

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use magiclink::EmailAddress;
use magiclink::events::Event;
use magiclink_tests::{
    EventTap, FaultProxy, FunctionEnvironment, LinkIssuer, PoolClient, Stack, authority_of, aws,
    captured_mail, dead_letters_of, emulator_endpoint, mail_subject, mail_to, unique,
};

/// How long each outage lasts: several of the mailer's attempts, far fewer
/// than the five receives that would dead-letter a message.
const OUTAGE: Duration = Duration::from_secs(4);

/// Held for the length of a test: one outage at a time.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Asks for a link to each address, one after the other; the answers.
async fn request_all(stack: &Stack, addresses: &[String]) -> Vec<u16> {
    let mut statuses = Vec::new();
    for address in addresses {
        statuses.push(stack.request_link(address).await);
    }
    statuses
}

fn addresses(label: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| format!("{}@example.com", unique(label)))
        .collect()
}

/// Three links asked for while `outage` is broken: accepted, and not mailed
/// for as long as it lasts. The addresses, once it is healed.
async fn accepted_during_mailer_outage(
    stack: &Stack,
    outage: &FaultProxy,
    label: &str,
) -> Vec<String> {
    let during = addresses(label, 3);
    outage.break_down();
    assert_eq!(request_all(stack, &during).await, [202; 3]);
    tokio::time::sleep(OUTAGE).await;
    for address in &during {
        assert!(mail_to(address, 1, Duration::ZERO).await.is_empty());
    }
    outage.heal();
    during
}

#[tokio::test]
async fn outages_of_kms_and_dynamodb_delay_mail_and_lose_none() {
    let _turn = TURN.lock().await;
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let keys = stack.fingerprints().clone();
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;

    let endpoint = emulator_endpoint("breaking a function's endpoints on loopback");
    let upstream = authority_of(&endpoint);
    let mailer_kms = FaultProxy::start(upstream).await;
    let mailer_dynamodb = FaultProxy::start(upstream).await;
    let request_dynamodb = FaultProxy::start(upstream).await;
    let mailer = FunctionEnvironment::set(
        &config,
        &stack.function_name("mailer"),
        &[
            ("AWS_ENDPOINT_URL_KMS", mailer_kms.url()),
            ("AWS_ENDPOINT_URL_DYNAMODB", mailer_dynamodb.url()),
        ],
    )
    .await;
    let request = FunctionEnvironment::set(
        &config,
        &stack.function_name("request"),
        &[("AWS_ENDPOINT_URL_DYNAMODB", request_dynamodb.url())],
    )
    .await;

    // KMS out: the mailer cannot sign, so it sends nothing, and tries again.
    let during_kms = accepted_during_mailer_outage(&stack, &mailer_kms, "kms-out").await;
    // DynamoDB out for the mailer: it cannot claim the challenge.
    let during_table = accepted_during_mailer_outage(&stack, &mailer_dynamodb, "table-out").await;

    // DynamoDB out for the request service: it refuses, keeping nothing, and
    // the same requests succeed once it is back.
    let refused = addresses("refused", 3);
    request_dynamodb.break_down();
    assert_eq!(request_all(&stack, &refused).await, [503; 3]);
    request_dynamodb.heal();
    assert_eq!(request_all(&stack, &refused).await, [202; 3]);

    // Accounting: each accepted address has one request event, one sent
    // event, one mail, and no failure and no dead letter.
    let accepted: Vec<String> = [during_kms, during_table, refused].concat();
    let subjects: HashMap<String, String> = accepted
        .iter()
        .map(|a| {
            (
                EmailAddress::parse(a).unwrap().fingerprint(&keys),
                a.clone(),
            )
        })
        .collect();
    for address in &accepted {
        assert_eq!(
            mail_to(address, 1, Duration::from_secs(60)).await.len(),
            1,
            "{address} is mailed once the outage is over"
        );
    }
    let ours = |e: &Event| mail_subject(e).is_some_and(|s| subjects.contains_key(s));
    tap.wait_for(2 * accepted.len(), Duration::from_secs(30), ours)
        .await;
    // A little longer, so that a late duplicate would be seen.
    let events = tap.wait_for(usize::MAX, Duration::from_secs(3), ours).await;
    let mut requested = HashMap::<&str, usize>::new();
    let mut sent = HashMap::<&str, usize>::new();
    for event in &events {
        match event {
            Event::MagicLinkRequested(r) => *requested.entry(&r.subject_hash).or_default() += 1,
            Event::MagicLinkSent(s) => *sent.entry(&s.subject_hash).or_default() += 1,
            other => panic!("unexpected event during the outages: {other:?}"),
        }
    }
    for (subject, address) in &subjects {
        assert_eq!(requested.get(subject.as_str()), Some(&1), "{address}");
        assert_eq!(sent.get(subject.as_str()), Some(&1), "{address}");
    }
    let mail = captured_mail().await;
    for address in &accepted {
        let to_it = mail.iter().filter(|m| m.to.contains(address)).count();
        assert_eq!(to_it, 1, "{address} got exactly one mail");
    }
    assert!(
        dead_letters_of(
            &config,
            stack.output("DeadLetterQueueUrl"),
            subjects.keys().map(String::as_str)
        )
        .await
        .is_empty(),
        "no dead letter of ours"
    );

    mailer.restore().await;
    request.restore().await;
}

/// The subject and the `eventId` of a change's event (the relay's); `None`
/// for any other.
fn change_of(event: &Event) -> Option<(&str, &str)> {
    match event {
        Event::MagicLinkRequested(e) => Some((&e.subject_hash, &e.event_id)),
        Event::MagicLinkSent(e) => Some((&e.subject_hash, &e.event_id)),
        Event::SignInSucceeded(e) => Some((&e.subject_hash, &e.event_id)),
        _ => None,
    }
}

#[tokio::test]
async fn an_outage_of_the_bus_delays_the_relayed_events_and_loses_none() {
    let _turn = TURN.lock().await;
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let keys = stack.fingerprints().clone();
    let mut tap = EventTap::on(&config, stack.output("EventBusName")).await;
    let (pool, links) = (
        PoolClient::new(&config, &stack),
        LinkIssuer::new(&config, &stack),
    );
    let endpoint = emulator_endpoint("breaking a function's endpoints on loopback");
    let bus = FaultProxy::start(authority_of(&endpoint)).await;
    let relay = FunctionEnvironment::set(
        &config,
        &stack.function_name("relay"),
        &[("AWS_ENDPOINT_URL_EVENTBRIDGE", bus.url())],
    )
    .await;

    // While the relay cannot reach the bus: link requests through the API
    // (which need no bus now), and sign-ins.
    bus.break_down();
    let requested = addresses("bus-out", 3);
    assert_eq!(request_all(&stack, &requested).await, [202; 3]);
    let mut users = Vec::new();
    for _ in 0..2 {
        let email = EmailAddress::parse(&addresses("bus-out-user", 1)[0]).unwrap();
        pool.create_user(&email).await;
        let (_, token) = links.link(&email).await;
        assert!(pool.sign_in(email.as_str(), &token).await.is_tokens());
        users.push(email);
    }
    let subject = |a: &str| EmailAddress::parse(a).unwrap().fingerprint(&keys);
    let requesters: HashSet<String> = requested.iter().map(|a| subject(a)).collect();
    let signers: HashSet<String> = users.iter().map(|e| subject(e.as_str())).collect();
    let ours = |e: &Event| {
        change_of(e).is_some_and(|(s, _)| requesters.contains(s) || signers.contains(s))
    };
    let early = tap.wait_for(1, OUTAGE, ours).await;
    assert!(
        early.is_empty(),
        "nothing reached the bus while it was out: {early:?}"
    );
    bus.heal();

    // Each change's event arrives once it is back: requested and sent for
    // the requests (the mail goes out once MagicLinkRequested arrives),
    // requested and succeeded for the sign-ins. None twice.
    let expected = 2 * requesters.len() + 2 * signers.len();
    tap.wait_for(expected, Duration::from_secs(60), ours).await;
    let events = tap.wait_for(usize::MAX, Duration::from_secs(3), ours).await;
    let mut ids = HashSet::new();
    let mut kinds = HashMap::<(&str, &str), usize>::new();
    for event in &events {
        let (subject, id) = change_of(event).unwrap();
        assert!(ids.insert(id), "{id} arrived twice");
        *kinds.entry((subject, event.detail_type())).or_default() += 1;
    }
    for s in &requesters {
        assert_eq!(
            kinds.get(&(s.as_str(), "MagicLinkRequested")),
            Some(&1),
            "{s}"
        );
        assert_eq!(kinds.get(&(s.as_str(), "MagicLinkSent")), Some(&1), "{s}");
    }
    for s in &signers {
        assert_eq!(
            kinds.get(&(s.as_str(), "MagicLinkRequested")),
            Some(&1),
            "{s}"
        );
        assert_eq!(kinds.get(&(s.as_str(), "SignInSucceeded")), Some(&1), "{s}");
    }
    assert_eq!(events.len(), expected, "{events:?}");
    for address in &requested {
        assert_eq!(mail_to(address, 1, Duration::from_secs(30)).await.len(), 1);
    }
    relay.restore().await;
}
