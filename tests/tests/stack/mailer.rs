//! The mailer's logic against the emulator's table, key, pool and bus, with a
//! test double in place of SES: retries, permanent failures, redelivery,
//! sign-up mode `existing`, the dead-letter bookkeeping, suppressed
//! addresses, the mail's language, and the notices of passkey changes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use magiclink::account::{AccountRef, AccountStore, Binding};
use magiclink::challenge::Proof;
use magiclink::challenge::SuppressionReason;
use magiclink::challenge::{Challenge, ChallengeStatus, ChallengeStore, Delivery};
use magiclink::code::{CodeDigits, LazyCodeKey};
use magiclink::config::SignUpMode;
use magiclink::events::{Event, EventPublisher};
use magiclink::fingerprint::FingerprintKey;
use magiclink::locale::Locale;
use magiclink::notice::Notices;
use magiclink::rate_limit::RateLimiter;
use magiclink::send_rate::SendRate;
use magiclink::send_window::Limit;
use magiclink::suppression::{Cause, Suppressions};
use magiclink::token::audience;
use magiclink::{EmailAddress, LinkSigner};
use magiclink_mailer::directory::CognitoDirectory;
use magiclink_mailer::outbox::{MailTag, Outbox, SendError};
use magiclink_mailer::pacer::Pacer;
use magiclink_mailer::process::{Mailer, Outcome, Settings};
use magiclink_mailer::template::{MailTemplates, RenderedMail};
use magiclink_tests::{
    EventTap, PoolClient, Stack, attribute, aws, fresh_table, new_address, requested_message,
    unique,
};
use ulid::Ulid;

/// An outbox that fails as told, then accepts; it records what it accepted,
/// and how many sends were in flight at once at most (each send takes
/// `send_time`).
#[derive(Default)]
struct FakeOutbox {
    failures: Mutex<Vec<SendError>>,
    sent: Mutex<Vec<(String, RenderedMail)>>,
    /// What each accepted mail was tagged with.
    tags: Mutex<Vec<MailTag>>,
    send_time: Duration,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    /// When each send began.
    began: Mutex<Vec<Instant>>,
}

impl FakeOutbox {
    fn failing(failures: Vec<SendError>) -> Self {
        Self {
            failures: Mutex::new(failures),
            ..Self::default()
        }
    }

    fn sent(&self) -> Vec<(String, RenderedMail)> {
        self.sent.lock().unwrap().clone()
    }
}

impl Outbox for FakeOutbox {
    async fn send(&self, to: &str, mail: &RenderedMail, tag: MailTag) -> Result<String, SendError> {
        self.began.lock().unwrap().push(Instant::now());
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.send_time).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Some(failure) = self.failures.lock().unwrap().pop() {
            return Err(failure);
        }
        self.tags.lock().unwrap().push(tag);
        let mut sent = self.sent.lock().unwrap();
        sent.push((to.to_owned(), mail.clone()));
        Ok(format!("fake-{}", sent.len()))
    }
}

fn throttled() -> SendError {
    SendError {
        code: "TooManyRequestsException".into(),
        message: "slow down".into(),
        permanent: false,
    }
}

fn rejected() -> SendError {
    SendError {
        code: "MessageRejected".into(),
        message: "Email content rejected".into(),
        permanent: true,
    }
}

/// A mailer of the test's own, in process, over a table of its own and the
/// stack's pool, keys and bus, with a test double of SES: not the stack's
/// [`magiclink_tests::World`], whose mailer is the deployed one.
struct Harness {
    stack: Stack,
    /// The harness's own table, of its challenges.
    table: String,
    store: ChallengeStore,
    /// The suppressed addresses, in the harness's own table.
    suppressions: Suppressions,
    tap: EventTap,
    mailer: Mailer<CognitoDirectory, FakeOutbox>,
}

async fn harness(outbox: FakeOutbox, sign_up: SignUpMode) -> Harness {
    harness_with_cap(outbox, sign_up, 1_000_000).await
}

/// A harness whose mailer creates at most `accounts_per_hour` accounts. Its
/// challenges and counters live in a table of its own: in the stack's table
/// the relay would publish each new challenge, and the deployed mailer would
/// race this one to mail it (and the stack's account counter is shared by
/// every test). Accounts are the stack's pool's, bound in the stack's table.
async fn harness_with_cap(
    outbox: FakeOutbox,
    sign_up: SignUpMode,
    accounts_per_hour: u32,
) -> Harness {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let own_table = fresh_table(&config).await;
    let store = ChallengeStore::new(ddb.clone(), &own_table);
    let suppressions = Suppressions::new(ddb.clone(), &own_table);
    let mailer = Mailer {
        store: store.clone(),
        accounts: AccountStore::new(ddb.clone(), stack.output("TableName")),
        limiter: RateLimiter::new(ddb, &own_table),
        fingerprints: FingerprintKey::new(
            aws_sdk_kms::Client::new(&config),
            stack.output("FingerprintKeyId"),
        ),
        suppressions: suppressions.clone(),
        notices: Notices::new(aws_sdk_dynamodb::Client::new(&config), &own_table),
        codes: LazyCodeKey::new(aws_sdk_kms::Client::new(&config), stack.output("CodeKeyId")),
        signer: LinkSigner::new(
            aws_sdk_kms::Client::new(&config),
            stack.output("SigningKeyId"),
        ),
        events: EventPublisher::new(
            aws_sdk_eventbridge::Client::new(&config),
            stack.output("EventBusName"),
        ),
        directory: CognitoDirectory {
            idp: aws_sdk_cognitoidentityprovider::Client::new(&config),
            pool_id: stack.output("UserPoolId").to_owned(),
            username_is_email: true,
        },
        outbox,
        redelivery: None,
        pacer: Pacer::new(None),
        settings: Settings {
            sign_up,
            accounts_per_hour,
            issuer: stack.issuer(),
            audience: audience(stack.output("UserPoolId"), stack.output("UserPoolClientId")),
            max_receives: 5,
            templates: MailTemplates::built_in("en").unwrap(),
            code_digits: CodeDigits::DEFAULT,
        },
    };
    Harness {
        tap: EventTap::on(&config, stack.output("EventBusName")).await,
        table: own_table,
        stack,
        store,
        suppressions,
        mailer,
    }
}

impl Harness {
    /// A recorded challenge for a new address, and the message that asks to mail it.
    async fn requested(&self, created: SystemTime) -> (Challenge, String) {
        let email = new_address("mailer");
        self.requested_for(email, created).await
    }

    /// A recorded challenge for `email`, and the message that asks to mail it.
    async fn requested_for(&self, email: EmailAddress, created: SystemTime) -> (Challenge, String) {
        self.requested_in(email, None, created).await
    }

    /// A recorded challenge for `email` asked for in `locale`, and the
    /// message that asks to mail it.
    async fn requested_in(
        &self,
        email: EmailAddress,
        locale: Option<&str>,
        created: SystemTime,
    ) -> (Challenge, String) {
        let challenge = Challenge::new(
            email,
            "http://localhost:8000/cb?x=1&y=2".into(),
            created,
            Duration::from_secs(900),
        )
        .with_locale(locale.and_then(Locale::parse));
        self.store.create(&challenge).await.unwrap();
        let body = requested_message(&challenge, self.stack.fingerprints());
        (challenge, body)
    }

    async fn process(&self, body: &str) -> Outcome {
        self.mailer.process(body, SystemTime::now()).await.0
    }

    async fn events_of(&mut self, challenge: &Challenge, detail_type: &str) -> Vec<Event> {
        let id = challenge.id;
        let detail_type = detail_type.to_owned();
        self.tap
            .wait_for(1, Duration::from_secs(20), move |e| {
                e.detail_type() == detail_type && serde_json::from_str::<serde_json::Value>(&e.detail_json()).unwrap()["challengeId"] == id.to_string()
            })
            .await
    }
}

#[tokio::test]
async fn a_request_is_mailed_once_with_a_signed_link_and_recorded() {
    let w = harness(FakeOutbox::default(), SignUpMode::Open).await;
    let (challenge, body) = w.requested(SystemTime::now()).await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    let sent = w.mailer.outbox.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, challenge.email.as_str());
    assert!(
        sent[0]
            .1
            .text
            .contains("http://localhost:8000/cb?x=1&y=2#ey"),
        "{}",
        sent[0].1.text
    );
    assert!(
        sent[0]
            .1
            .html
            .contains("http://localhost:8000/cb?x=1&amp;y=2#ey")
    );
    let stored = w.store.get(challenge.id).await.unwrap().unwrap();
    assert_eq!(stored.status, ChallengeStatus::Mailed);
    assert_eq!(stored.ses_message_id.as_deref(), Some("fake-1"));
    // MagicLinkSent is the relay's, from the stack table's stream: this
    // table has none (mail_flow.rs sees it on the deployed stack).

    // The same message again: nothing more is sent.
    assert_eq!(w.process(&body).await, Outcome::Skipped("already mailed"));
    assert_eq!(w.mailer.outbox.sent().len(), 1);
}

#[tokio::test]
async fn a_transient_ses_failure_is_retried_and_then_sent() {
    let w = harness(
        FakeOutbox::failing(vec![throttled(), throttled()]),
        SignUpMode::Open,
    )
    .await;
    let (challenge, body) = w.requested(SystemTime::now()).await;
    for _ in 0..2 {
        assert_eq!(
            w.process(&body).await,
            Outcome::Retry {
                code: "TooManyRequestsException".into()
            }
        );
        assert_eq!(
            w.store.get(challenge.id).await.unwrap().unwrap().status,
            ChallengeStatus::Pending
        );
    }
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(w.mailer.outbox.sent().len(), 1);
}

#[tokio::test]
async fn a_permanent_ses_failure_is_reported_and_acknowledged() {
    let mut w = harness(FakeOutbox::failing(vec![rejected()]), SignUpMode::Open).await;
    let (challenge, body) = w.requested(SystemTime::now()).await;
    assert_eq!(
        w.process(&body).await,
        Outcome::Rejected {
            code: "MessageRejected".into()
        }
    );
    match w
        .events_of(&challenge, "MagicLinkDeliveryFailed")
        .await
        .as_slice()
    {
        [Event::MagicLinkDeliveryFailed(e)] => {
            assert!(e.permanent);
            assert_eq!(e.error_code, "MessageRejected");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_last_receive_of_a_failing_message_reports_it_before_the_dead_letter_queue() {
    let failures = vec![throttled(); 2];
    let mut w = harness(FakeOutbox::failing(failures), SignUpMode::Open).await;
    let (challenge, body) = w.requested(SystemTime::now()).await;
    let record = |receives: u32| {
        let mut message = SqsMessage::default();
        message.message_id = Some(format!("m-{receives}"));
        message.body = Some(body.clone());
        message.attributes =
            HashMap::from([("ApproximateReceiveCount".to_owned(), receives.to_string())]);
        message
    };
    let mut batch = SqsEvent::default();
    batch.records = vec![record(4)];
    let response = w
        .mailer
        .handle(batch, Instant::now() + Duration::from_secs(60))
        .await;
    assert_eq!(
        response.batch_item_failures.len(),
        1,
        "given back to the queue"
    );

    let mut batch = SqsEvent::default();
    batch.records = vec![record(5)];
    let response = w
        .mailer
        .handle(batch, Instant::now() + Duration::from_secs(60))
        .await;
    assert_eq!(response.batch_item_failures[0].item_identifier, "m-5");
    match w
        .events_of(&challenge, "MagicLinkDeliveryFailed")
        .await
        .as_slice()
    {
        [Event::MagicLinkDeliveryFailed(e)] => {
            assert!(!e.permanent);
            assert_eq!(e.error_code, "TooManyRequestsException");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_batch_out_of_time_gives_its_messages_back() {
    let w = harness(FakeOutbox::default(), SignUpMode::Open).await;
    let (_, body) = w.requested(SystemTime::now()).await;
    let mut message = SqsMessage::default();
    message.message_id = Some("late".into());
    message.body = Some(body);
    let mut batch = SqsEvent::default();
    batch.records = vec![message];
    let response = w
        .mailer
        .handle(batch, Instant::now() + Duration::from_secs(5))
        .await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert!(w.mailer.outbox.sent().is_empty());
}

#[tokio::test]
async fn the_messages_of_a_batch_are_worked_on_together() {
    // Pacing off: nothing but the work itself spaces the sends.
    let outbox = FakeOutbox {
        send_time: Duration::from_millis(300),
        ..FakeOutbox::default()
    };
    let w = harness(outbox, SignUpMode::Open).await;
    let mut batch = SqsEvent::default();
    for i in 0..4 {
        let (_, body) = w.requested(SystemTime::now()).await;
        let mut message = SqsMessage::default();
        message.message_id = Some(format!("m-{i}"));
        message.body = Some(body);
        batch.records.push(message);
    }
    let response = w
        .mailer
        .handle(batch, Instant::now() + Duration::from_secs(30))
        .await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(w.mailer.outbox.sent().len(), 4);
    assert!(
        w.mailer.outbox.most_in_flight.load(Ordering::SeqCst) > 1,
        "the sends of one batch overlap"
    );
}

impl Harness {
    /// A batch of `size` messages, each asking to mail a new challenge.
    async fn batch(&self, size: usize) -> SqsEvent {
        let mut batch = SqsEvent::default();
        for _ in 0..size {
            let (challenge, body) = self.requested(SystemTime::now()).await;
            let mut message = SqsMessage::default();
            message.message_id = Some(challenge.id.to_string());
            message.body = Some(body);
            batch.records.push(message);
        }
        batch
    }

    /// Handles `batches` one after another, as one instance of the mailer
    /// receives them.
    async fn drain(&self, batches: Vec<SqsEvent>) {
        for batch in batches {
            let response = self
                .mailer
                .handle(batch, Instant::now() + Duration::from_secs(60))
                .await;
            assert!(response.batch_item_failures.is_empty(), "{response:?}");
        }
    }
}

#[tokio::test]
async fn two_mailers_share_the_send_rate_and_together_never_pass_it() {
    const RATE: usize = 2;
    const BATCHES: usize = 2;
    // How much later than the log has it a send may begin: a timer wakes a
    // little late (the pacer allows 5 ms), and this process is busy with
    // the other tests.
    const SLACK_MS: u64 = 50;
    // A log of the test's own in the stack's table: the deployed mailer
    // keeps its own, `send-rate#ses`, there.
    let log = unique("test");
    let limit = Limit::per_second(RATE as f64).unwrap();
    let mut mailers = Vec::new();
    for _ in 0..2 {
        let mut w = harness(FakeOutbox::default(), SignUpMode::Open).await;
        let ddb = aws_sdk_dynamodb::Client::new(&aws().await);
        let rate = SendRate::new(ddb, w.stack.output("TableName"), &log, limit);
        w.mailer.pacer = Pacer::new(Some(rate));
        mailers.push(w);
    }
    let mut batches = Vec::new();
    for w in &mailers {
        let mut own = Vec::new();
        for _ in 0..BATCHES {
            own.push(w.batch(10).await);
        }
        batches.push(own);
    }
    let [first, second] = &mailers[..] else {
        unreachable!()
    };
    let [first_batches, second_batches] = <[_; 2]>::try_from(batches).unwrap();
    tokio::join!(first.drain(first_batches), second.drain(second_batches));

    let mut began: Vec<Instant> = mailers
        .iter()
        .flat_map(|w| w.mailer.outbox.began.lock().unwrap().clone())
        .collect();
    began.sort();
    let sends = began.len();
    assert_eq!(sends, 2 * BATCHES * 10);
    for (i, at) in began.iter().enumerate().skip(RATE) {
        let earlier = began[i - RATE];
        assert!(
            at.duration_since(earlier) >= Duration::from_millis(1000 - SLACK_MS),
            "send {i}: {} sends within {:?}",
            RATE + 1,
            at.duration_since(earlier)
        );
    }
    // The rate while the backlog lasted: the sends of its whole seconds (in
    // the last, part of the backlog was still being prepared).
    let seconds = began[sends - 1].duration_since(began[0]).as_secs();
    let within = began
        .iter()
        .take_while(|at| at.duration_since(began[0]) < Duration::from_secs(seconds))
        .count();
    let per_second = within as f64 / seconds as f64;
    assert!(
        per_second >= 0.95 * RATE as f64,
        "{per_second:.1} mails/s of {RATE} ({within} in the first {seconds} s)"
    );
}

#[tokio::test]
async fn expired_and_revoked_challenges_are_not_mailed() {
    let mut w = harness(FakeOutbox::default(), SignUpMode::Open).await;
    let (expired, body) = w
        .requested(SystemTime::now() - Duration::from_secs(3600))
        .await;
    assert_eq!(w.process(&body).await, Outcome::Expired);
    match w
        .events_of(&expired, "MagicLinkDeliveryFailed")
        .await
        .as_slice()
    {
        [Event::MagicLinkDeliveryFailed(e)] => {
            assert!(e.permanent);
            assert_eq!(e.error_code, "Expired");
        }
        other => panic!("{other:?}"),
    }

    let (older, older_body) = w
        .requested(SystemTime::now() - Duration::from_secs(60))
        .await;
    let newer = Challenge::new(
        older.email.clone(),
        older.redirect_uri.clone(),
        SystemTime::now(),
        Duration::from_secs(900),
    );
    w.store.create(&newer).await.unwrap();
    let account = AccountRef {
        sub: unique("sub"),
        address_hash: newer.email.fingerprint(w.stack.fingerprints()),
    };
    // The consume checks the binding in the challenge's own table.
    AccountStore::new(aws_sdk_dynamodb::Client::new(&aws().await), &w.table)
        .bind(&account, SystemTime::now())
        .await
        .unwrap();
    w.store
        .consume(
            newer.id,
            &newer.email,
            &account,
            Proof::Link,
            SystemTime::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        w.process(&older_body).await,
        Outcome::Skipped("revoked by a sign-in")
    );
    assert!(w.mailer.outbox.sent().is_empty());
}

#[tokio::test]
async fn mode_existing_sends_nothing_to_unknown_addresses() {
    let mut w = harness(FakeOutbox::default(), SignUpMode::Existing).await;
    let (challenge, body) = w.requested(SystemTime::now()).await;
    assert_eq!(w.process(&body).await, Outcome::Suppressed);
    assert!(w.mailer.outbox.sent().is_empty());
    assert_eq!(
        w.events_of(&challenge, "MagicLinkSuppressed").await.len(),
        1
    );
}

#[tokio::test]
async fn past_the_hours_cap_new_addresses_get_no_account_and_known_users_still_get_mail() {
    let mut w = harness_with_cap(FakeOutbox::default(), SignUpMode::Open, 1).await;
    let (first, body) = w.requested(SystemTime::now()).await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    let (second, body) = w.requested(SystemTime::now()).await;
    assert_eq!(w.process(&body).await, Outcome::Suppressed);
    match w.events_of(&second, "MagicLinkSuppressed").await.as_slice() {
        [Event::MagicLinkSuppressed(e)] => {
            assert_eq!(e.reason, SuppressionReason::SignUpCapReached)
        }
        other => panic!("{other:?}"),
    }
    let pool = PoolClient::new(&aws().await, &w.stack);
    assert!(
        pool.idp()
            .admin_get_user()
            .user_pool_id(w.stack.output("UserPoolId"))
            .username(second.email.as_str())
            .send()
            .await
            .is_err(),
        "no account was made past the cap"
    );
    // The first address has its account now: it is mailed as before.
    let (_, body) = w
        .requested_for(first.email.clone(), SystemTime::now())
        .await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(w.mailer.outbox.sent().len(), 2);
}

#[tokio::test]
async fn an_account_whose_address_was_changed_elsewhere_gets_no_mail() {
    let mut w = harness(FakeOutbox::default(), SignUpMode::Open).await;
    let pool = PoolClient::new(&aws().await, &w.stack);
    let victim = new_address("victim");
    pool.create_user(&victim).await;
    // The address is changed behind magiclink's back (an administrator, or a
    // client allowed to write it), to one the attacker reads.
    let attacker = new_address("attacker");
    pool.idp()
        .admin_update_user_attributes()
        .user_pool_id(w.stack.output("UserPoolId"))
        .username(victim.as_str())
        .user_attributes(attribute("email", attacker.as_str()))
        .send()
        .await
        .unwrap();
    let (challenge, body) = w.requested_for(attacker.clone(), SystemTime::now()).await;
    assert_eq!(w.process(&body).await, Outcome::Suppressed);
    assert!(
        w.mailer.outbox.sent().is_empty(),
        "nothing to the new address"
    );
    match w
        .events_of(&challenge, "MagicLinkSuppressed")
        .await
        .as_slice()
    {
        [Event::MagicLinkSuppressed(e)] => assert_eq!(e.reason, SuppressionReason::AddressChanged),
        other => panic!("{other:?}"),
    }
    // The binding still names the victim's address.
    let keys = w.stack.fingerprints();
    let accounts = AccountStore::new(
        aws_sdk_dynamodb::Client::new(&aws().await),
        w.stack.output("TableName"),
    );
    let sub = pool.sub(&attacker).await;
    let bound = AccountRef {
        sub,
        address_hash: victim.fingerprint(keys),
    };
    assert_eq!(
        accounts.bind(&bound, SystemTime::now()).await.unwrap(),
        Binding::Matches
    );
}

#[tokio::test]
async fn unreadable_messages_are_retried_not_lost() {
    let w = harness(FakeOutbox::default(), SignUpMode::Open).await;
    assert_eq!(
        w.process("{not json").await,
        Outcome::Retry {
            code: "UnreadableMessage".into()
        }
    );
}

#[tokio::test]
async fn a_suppressed_address_gets_no_mail_until_the_suppression_ends() {
    let mut w = harness(FakeOutbox::default(), SignUpMode::Open).await;
    let bounced = new_address("bounced");
    let complained = new_address("spam");
    let keys = &w.stack.fingerprints().clone();
    let later = SystemTime::now() + Duration::from_secs(3600);
    for (email, cause) in [(&bounced, Cause::Bounce), (&complained, Cause::Complaint)] {
        w.suppressions
            .suppress(&email.fingerprint(keys), cause, later)
            .await
            .unwrap();
    }
    for (email, reason) in [
        (&bounced, SuppressionReason::Bounced),
        (&complained, SuppressionReason::Complained),
    ] {
        let (challenge, body) = w.requested_for(email.clone(), SystemTime::now()).await;
        assert_eq!(w.process(&body).await, Outcome::Suppressed);
        match w
            .events_of(&challenge, "MagicLinkSuppressed")
            .await
            .as_slice()
        {
            [Event::MagicLinkSuppressed(e)] => assert_eq!(e.reason, reason),
            other => panic!("{other:?}"),
        }
        let stored = w.store.get(challenge.id).await.unwrap().unwrap();
        assert_eq!(
            stored.delivery,
            Some(Delivery::Suppressed),
            "the asking browser is told"
        );
        assert_eq!(stored.mail_progress(), "suppressed");
    }
    assert!(w.mailer.outbox.sent().is_empty());

    // A shorter suppression never shortens a longer one.
    w.suppressions
        .suppress(&bounced.fingerprint(keys), Cause::Bounce, SystemTime::now())
        .await
        .unwrap();
    let (_, body) = w.requested_for(bounced.clone(), SystemTime::now()).await;
    assert_eq!(w.process(&body).await, Outcome::Suppressed);
    assert_eq!(
        w.suppressions
            .find(
                &complained.fingerprint(keys),
                later + Duration::from_secs(1)
            )
            .await
            .unwrap(),
        None,
        "it ends when it says"
    );

    // An ended suppression (DynamoDB deletes the item some time after it
    // ends) stops nothing.
    let ended = new_address("ended");
    w.suppressions
        .suppress(
            &ended.fingerprint(keys),
            Cause::Bounce,
            SystemTime::now() - Duration::from_secs(1),
        )
        .await
        .unwrap();
    let (challenge, body) = w.requested_for(ended, SystemTime::now()).await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(
        *w.mailer.outbox.tags.lock().unwrap(),
        [MailTag::Challenge(challenge.id)]
    );
}

#[tokio::test]
async fn the_mail_is_in_the_requests_language_else_the_accounts_else_the_default() {
    let w = harness(FakeOutbox::default(), SignUpMode::Open).await;
    let pool = PoolClient::new(&aws().await, &w.stack);
    let email = new_address("locale");
    let subject_of = |n: usize| w.mailer.outbox.sent()[n].1.subject.clone();

    // A new address, no locale: the default language.
    let (first, body) = w.requested_in(email.clone(), None, SystemTime::now()).await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(subject_of(0), "Your sign-in link and code");
    assert_eq!(
        *w.mailer.outbox.tags.lock().unwrap(),
        [MailTag::Challenge(first.id)],
        "each mail is tagged with its challenge for SES's reports"
    );

    // The request's language, by fallback.
    let (_, body) = w
        .requested_in(email.clone(), Some("de-AT"), SystemTime::now())
        .await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(subject_of(1), "Ihr Anmeldelink und Code");
    assert!(w.mailer.outbox.sent()[1].1.text.contains("Uhr (UTC)"));

    // The account's `locale` attribute, when the request names none (or
    // one without a language here).
    pool.idp()
        .admin_update_user_attributes()
        .user_pool_id(w.stack.output("UserPoolId"))
        .username(email.as_str())
        .user_attributes(attribute("locale", "fr_FR"))
        .send()
        .await
        .unwrap();
    let (_, body) = w.requested_in(email.clone(), None, SystemTime::now()).await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(subject_of(2), "Votre lien et votre code de connexion");
    let (_, body) = w
        .requested_in(email.clone(), Some("pt-BR"), SystemTime::now())
        .await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(subject_of(3), "Votre lien et votre code de connexion");

    // The request's language before the account's.
    let (_, body) = w
        .requested_in(email.clone(), Some("es"), SystemTime::now())
        .await;
    assert!(matches!(w.process(&body).await, Outcome::Sent { .. }));
    assert_eq!(subject_of(4), "Tu enlace y código para iniciar sesión");
}

/// The message of a passkey change of account `sub` (address `email`):
/// `PasskeyRegistered` or, if `removed`, `PasskeyRemoved`, as the mail rule
/// delivers it.
fn passkey_change(stack: &Stack, sub: &str, email: &EmailAddress, removed: bool) -> (Ulid, String) {
    let passkey = Ulid::generate();
    let detail = serde_json::json!({
        "version": 1,
        "eventId": format!("{passkey}/{}", if removed { "removed" } else { "registered" }),
        "passkeyId": passkey.to_string(),
        "subjectHash": email.fingerprint(stack.fingerprints()),
        "sub": sub,
        "passkeyName": "Laptop <b>",
        "browser": "Firefox · Linux",
        "changedAt": 1_795_000_000,
    });
    let detail_type = if removed {
        "PasskeyRemoved"
    } else {
        "PasskeyRegistered"
    };
    let body = serde_json::json!({
        "source": "magiclink",
        "detail-type": detail_type,
        "detail": detail,
    });
    (passkey, body.to_string())
}

#[tokio::test]
async fn a_passkey_change_mails_its_account_a_notice_once_in_its_language() {
    let w = harness(FakeOutbox::default(), SignUpMode::Existing).await;
    let pool = PoolClient::new(&aws().await, &w.stack);
    let email = new_address("notice");
    pool.create_user(&email).await;
    let sub = pool.sub(&email).await;

    let (passkey, added) = passkey_change(&w.stack, &sub, &email, false);
    assert!(matches!(w.process(&added).await, Outcome::Sent { .. }));
    let sent = w.mailer.outbox.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].0,
        email.as_str(),
        "to the account's address, found by its sub"
    );
    assert_eq!(sent[0].1.subject, "A passkey was added to your account");
    for part in [&sent[0].1.text, &sent[0].1.html] {
        assert!(part.contains("18 November 2026, 11:06 UTC"), "{part}");
        assert!(part.contains("Firefox · Linux"), "{part}");
    }
    assert!(sent[0].1.text.contains("Laptop <b>"));
    assert!(
        sent[0].1.html.contains("Laptop &lt;b&gt;"),
        "the name is escaped"
    );
    assert_eq!(
        *w.mailer.outbox.tags.lock().unwrap(),
        [MailTag::Notice(passkey)],
        "tagged for SES's reports, as a notice"
    );

    // The same event again (SQS and the relay deliver at least once).
    assert_eq!(w.process(&added).await, Outcome::Skipped("already sent"));
    assert_eq!(w.mailer.outbox.sent().len(), 1);

    // The account's language.
    pool.idp()
        .admin_update_user_attributes()
        .user_pool_id(w.stack.output("UserPoolId"))
        .username(email.as_str())
        .user_attributes(attribute("locale", "de-DE"))
        .send()
        .await
        .unwrap();
    let (_, removed) = passkey_change(&w.stack, &sub, &email, true);
    assert!(matches!(w.process(&removed).await, Outcome::Sent { .. }));
    let sent = w.mailer.outbox.sent();
    assert_eq!(
        sent[1].1.subject,
        "Ein Passkey wurde aus Ihrem Konto entfernt"
    );
    assert!(
        sent[1]
            .1
            .text
            .contains("18. November 2026, 11:06 Uhr (UTC)")
    );
}

#[tokio::test]
async fn a_notice_goes_only_to_the_address_the_change_was_made_under() {
    let w = harness(FakeOutbox::default(), SignUpMode::Existing).await;
    let pool = PoolClient::new(&aws().await, &w.stack);
    let email = new_address("notice");
    pool.create_user(&email).await;
    let sub = pool.sub(&email).await;

    // No such account (deleted since): nothing to send, nothing retried.
    let (_, gone) = passkey_change(
        &w.stack,
        "00000000-0000-0000-0000-000000000000",
        &email,
        false,
    );
    assert_eq!(w.process(&gone).await, Outcome::Skipped("no such account"));

    // An event of another address than the account's (changed since).
    let other = new_address("other");
    let (_, elsewhere) = passkey_change(&w.stack, &sub, &other, false);
    assert_eq!(
        w.process(&elsewhere).await,
        Outcome::Skipped("the account's address is not the one it had")
    );

    // A suppressed address.
    let keys = w.stack.fingerprints();
    w.suppressions
        .suppress(
            &email.fingerprint(keys),
            Cause::Complaint,
            SystemTime::now() + Duration::from_secs(600),
        )
        .await
        .unwrap();
    let (_, suppressed) = passkey_change(&w.stack, &sub, &email, true);
    assert_eq!(
        w.process(&suppressed).await,
        Outcome::Skipped("the address is suppressed")
    );
    assert!(w.mailer.outbox.sent().is_empty());
}

#[tokio::test]
async fn a_notice_that_failed_is_sent_by_the_next_delivery() {
    let w = harness(FakeOutbox::failing(vec![throttled()]), SignUpMode::Existing).await;
    let pool = PoolClient::new(&aws().await, &w.stack);
    let email = new_address("notice");
    pool.create_user(&email).await;
    let sub = pool.sub(&email).await;
    let (_, added) = passkey_change(&w.stack, &sub, &email, false);
    assert_eq!(
        w.process(&added).await,
        Outcome::Retry {
            code: "TooManyRequestsException".into()
        }
    );
    assert!(
        matches!(w.process(&added).await, Outcome::Sent { .. }),
        "the lease was given back"
    );
    assert_eq!(w.process(&added).await, Outcome::Skipped("already sent"));
    assert_eq!(w.mailer.outbox.sent().len(), 1);
}
