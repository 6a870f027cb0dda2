//! Admitting a link request against the emulator's DynamoDB: the counters and
//! the challenge in one transaction, all or nothing, and the mailbox limit that holds.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use magiclink::admission::{Admissions, Counter};
use magiclink::rate_limit::{Decision, Limit};
use magiclink::{Challenge, ChallengeStore, EmailAddress};
use magiclink_tests::{aws, fresh_table, unique};

struct Table {
    name: String,
    /// The moment every request of a test is made at, so that no window
    /// boundary falls between them.
    now: SystemTime,
    ddb: aws_sdk_dynamodb::Client,
    admissions: Admissions,
    challenges: ChallengeStore,
}

async fn table() -> Table {
    let config = aws().await;
    let name = fresh_table(&config).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    Table {
        admissions: Admissions::new(ddb.clone(), &name),
        challenges: ChallengeStore::new(ddb.clone(), &name),
        ddb,
        name,
        now: SystemTime::now(),
    }
}

fn ann() -> EmailAddress {
    EmailAddress::parse("ann@example.com").unwrap()
}

fn counter(scope: &'static str, max: u32, holds: bool) -> Counter {
    Counter {
        scope,
        key: unique("key"),
        limit: Limit::new(max, Duration::from_secs(900)),
        holds,
    }
}

impl Table {
    /// Asks with `counters`; the decision, and whether the challenge exists.
    async fn ask(&self, counters: &[Counter]) -> (Decision, bool) {
        let (decision, recorded) = self.ask_held(counters).await;
        (decision, recorded.is_some())
    }

    /// Asks with `counters`; the decision, and whether the challenge was
    /// recorded held (`None`: not recorded).
    async fn ask_held(&self, counters: &[Counter]) -> (Decision, Option<bool>) {
        let now = self.now;
        let challenge = Challenge::new(
            ann(),
            "https://app.example/".into(),
            now,
            Duration::from_secs(900),
        );
        let decision = self
            .admissions
            .admit(counters, &challenge, now)
            .await
            .unwrap();
        let recorded = self.challenges.get(challenge.id).await.unwrap();
        (decision, recorded.map(|c| c.held))
    }
}

#[tokio::test]
async fn a_request_refused_by_one_limit_spends_no_other() {
    let t = table().await;
    let a = counter("a", 1, false);
    let b = counter("b", 2, false);
    let both = [a.clone(), b.clone()];
    assert_eq!(t.ask(&both).await, (Decision::Admitted, true));
    let (refused, recorded) = t.ask(&both).await;
    assert!(matches!(refused, Decision::Limited { .. }), "{refused:?}");
    assert!(!recorded, "a refused request leaves no challenge");
    // b was counted once, by the first request only: one more fits.
    assert_eq!(
        t.ask(std::slice::from_ref(&b)).await,
        (Decision::Admitted, true)
    );
    assert!(matches!(
        t.ask(std::slice::from_ref(&b)).await,
        (Decision::Limited { .. }, false)
    ));
}

#[tokio::test]
async fn the_429_waits_for_the_last_window_that_refused() {
    let t = table().await;
    let short = Counter {
        limit: Limit::new(1, Duration::from_secs(30)),
        ..counter("short", 1, false)
    };
    let long = counter("long", 1, false);
    let both = [short, long.clone()];
    assert_eq!(t.ask(&both).await.0, Decision::Admitted);
    let Decision::Limited { retry_after } = t.ask(&both).await.0 else {
        panic!("the second request is refused");
    };
    // Both windows refuse; the long one (aligned to 900 s, so it never ends
    // before the 30 s one) decides.
    let (_, long_ends) = long.limit.window_at(t.now);
    let now = magiclink::time::unix_seconds(t.now);
    assert_eq!(retry_after.as_secs(), long_ends.saturating_sub(now).max(1));
}

#[tokio::test]
async fn a_spent_mailbox_allowance_holds_the_mail_and_refuses_nothing() {
    let t = table().await;
    let mailbox = counter("mailbox", 1, true);
    let ip = counter("ip", 3, false);
    let counters = [ip, mailbox];
    assert_eq!(
        t.ask_held(&counters).await,
        (Decision::Admitted, Some(false))
    );
    // Past the mailbox's allowance: admitted all the same, held, whoever
    // the address is (nothing of it is read here).
    assert_eq!(
        t.ask_held(&counters).await,
        (Decision::Admitted, Some(true))
    );
    t.ddb
        .put_item()
        .table_name(&t.name)
        .item("pk", AttributeValue::S(format!("user#{}", ann().as_str())))
        .item(
            "revokedThrough",
            AttributeValue::S(ulid::Ulid::generate().to_string()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        t.ask_held(&counters).await,
        (Decision::Admitted, Some(true))
    );
    // A limit that refuses still refuses: the IP's is spent now.
    assert!(matches!(
        t.ask_held(&counters).await,
        (Decision::Limited { .. }, None)
    ));
}
