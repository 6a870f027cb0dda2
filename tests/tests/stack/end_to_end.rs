//! The whole sign-in as its users meet it, on the deployed stack, through its
//! public surfaces only: the HTTP API, the mail (the emulator's captured SES
//! messages), Cognito's InitiateAuth and RespondToAuthChallenge, and the
//! events on the bus (through a rule of the test's own).

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use magiclink::events::{Event, RejectionReason};
use magiclink_tests::{
    Answer, Mail, PoolClient, aws, extend_world, jwt_claims, mail_to, new_address,
};

/// How long one address must wait between two links on the emulator stack
/// (`RateEmailBurstSeconds` in the Makefile), with a margin.
const BURST_WINDOW: Duration = Duration::from_secs(6);

struct User {
    email: String,
    subject_hash: String,
}

extend_world!(EndToEnd);

impl EndToEnd {
    /// A new address, with no account yet.
    fn new_user(&self) -> User {
        let email = new_address("e2e");
        User {
            subject_hash: email.fingerprint(self.stack.fingerprints()),
            email: email.as_str().to_owned(),
        }
    }

    /// Asks for a link through the API and returns the mail it brings: the
    /// `nth` mail to that address (1 for the first).
    async fn link_mail(&self, user: &User, nth: usize) -> Mail {
        assert_eq!(self.stack.request_link(&user.email).await, 202);
        let mail = mail_to(&user.email, nth, Duration::from_secs(30)).await;
        assert_eq!(mail.len(), nth, "mail {nth} to {} arrived", user.email);
        mail.last().cloned().unwrap()
    }

    /// This user's events, once `count` have arrived, in arrival order.
    async fn events(&mut self, user: &User, count: usize) -> Vec<Event> {
        let subject = user.subject_hash.clone();
        self.tap
            .wait_for(count, Duration::from_secs(30), move |e| {
                let detail: serde_json::Value = serde_json::from_str(&e.detail_json()).unwrap();
                detail["subjectHash"] == subject.as_str()
            })
            .await
    }

    async fn rejection(&mut self, user: &User, count: usize) -> RejectionReason {
        match self.events(user, count).await.last() {
            Some(Event::SignInRejected(e)) => e.reason,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}

fn detail_types(events: &[Event]) -> Vec<&'static str> {
    events.iter().map(Event::detail_type).collect()
}

#[tokio::test]
async fn a_new_address_signs_in_from_its_link_and_every_step_is_an_event() {
    let mut w = world().await;
    let user = w.new_user();
    let mail = w.link_mail(&user, 1).await;
    // The stack's links live 90 s (the Makefile's LINK_LIFETIME), told in
    // words that are neither rounded nor wrongly plural.
    assert!(
        mail.text.contains("(90 seconds from when you asked"),
        "{}",
        mail.text
    );
    let tokens = w.pool.sign_in(&user.email, &mail.token()).await.tokens();
    assert_eq!(
        jwt_claims(tokens.id_token().unwrap())["email"],
        user.email.as_str()
    );

    let events = w.events(&user, 3).await;
    assert_eq!(
        detail_types(&events),
        ["MagicLinkRequested", "MagicLinkSent", "SignInSucceeded"]
    );
    let token = mail.token();
    let signature = token.rsplit('.').next().unwrap();
    for event in &events {
        let detail = event.detail_json();
        assert!(
            !detail.contains(&token) && !detail.contains(signature),
            "a token in {detail}"
        );
        assert!(!detail.contains(&user.email), "an address in {detail}");
    }
}

#[tokio::test]
async fn a_returning_user_signs_in_again_from_a_new_link() {
    let w = world().await;
    let user = w.new_user();
    let first = w.link_mail(&user, 1).await;
    assert!(
        w.pool
            .sign_in(&user.email, &first.token())
            .await
            .is_tokens()
    );
    tokio::time::sleep(BURST_WINDOW).await;
    let second = w.link_mail(&user, 2).await;
    assert!(
        w.pool
            .sign_in(&user.email, &second.token())
            .await
            .is_tokens()
    );
}

#[tokio::test]
async fn a_link_opened_in_another_browser_signs_in_there() {
    let w = world().await;
    let user = w.new_user();
    let mail = w.link_mail(&user, 1).await;
    // Another device: its own SDK configuration and client, sharing nothing
    // with the one that asked (which never even started a session).
    let elsewhere = PoolClient::new(&aws().await, &w.stack);
    assert!(
        elsewhere
            .sign_in(&user.email, &mail.token())
            .await
            .is_tokens()
    );
}

#[tokio::test]
async fn of_two_links_either_signs_in_and_the_other_is_then_dead() {
    let mut w = world().await;
    for use_newer in [true, false] {
        let user = w.new_user();
        let first = w.link_mail(&user, 1).await;
        tokio::time::sleep(BURST_WINDOW).await;
        let second = w.link_mail(&user, 2).await;
        let (used, dead) = if use_newer {
            (second, first)
        } else {
            (first, second)
        };
        assert!(
            w.pool.sign_in(&user.email, &used.token()).await.is_tokens(),
            "use_newer {use_newer}"
        );
        assert!(
            !w.pool.sign_in(&user.email, &dead.token()).await.is_tokens(),
            "use_newer {use_newer}"
        );
        // Requested, sent, requested, sent, succeeded, rejected.
        assert_eq!(
            w.rejection(&user, 6).await,
            RejectionReason::Revoked,
            "use_newer {use_newer}"
        );
    }
}

#[tokio::test]
async fn a_replayed_link_is_rejected_as_used() {
    let mut w = world().await;
    let user = w.new_user();
    let mail = w.link_mail(&user, 1).await;
    assert!(w.pool.sign_in(&user.email, &mail.token()).await.is_tokens());
    assert!(matches!(
        w.pool.sign_in(&user.email, &mail.token()).await,
        Answer::AskedAgain { .. }
    ));
    assert_eq!(w.rejection(&user, 4).await, RejectionReason::Used);
}

#[tokio::test]
async fn a_tampered_link_is_rejected_as_bad_signature() {
    let mut w = world().await;
    let user = w.new_user();
    let token = w.link_mail(&user, 1).await.token();
    let (signing_input, signature) = token.rsplit_once('.').unwrap();
    let mut forged = signature.as_bytes().to_vec();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{signing_input}.{}", String::from_utf8(forged).unwrap());
    assert!(!w.pool.sign_in(&user.email, &tampered).await.is_tokens());
    assert_eq!(w.rejection(&user, 3).await, RejectionReason::BadSignature);
    assert!(
        w.pool.sign_in(&user.email, &token).await.is_tokens(),
        "the real link still works"
    );
}

#[tokio::test]
async fn another_users_link_is_rejected_as_wrong_user() {
    let mut w = world().await;
    let (ann, bob) = (w.new_user(), w.new_user());
    let bobs = w.link_mail(&bob, 1).await;
    // Ann needs an account for Cognito to ask her anything: her own link.
    w.link_mail(&ann, 1).await;
    assert!(!w.pool.sign_in(&ann.email, &bobs.token()).await.is_tokens());
    assert_eq!(w.rejection(&ann, 3).await, RejectionReason::WrongUser);
}

#[tokio::test]
async fn an_expired_link_is_rejected_as_expired() {
    let mut w = world().await;
    let user = w.new_user();
    let mail = w.link_mail(&user, 1).await;
    let lifetime = Duration::from_secs(90);
    tokio::time::sleep(lifetime + Duration::from_secs(2)).await;
    assert!(!w.pool.sign_in(&user.email, &mail.token()).await.is_tokens());
    assert_eq!(w.rejection(&user, 3).await, RejectionReason::Expired);
}

#[tokio::test]
async fn after_a_sign_in_no_token_is_stored_and_the_queues_drain() {
    let config = aws().await;
    let w = world().await;
    let user = w.new_user();
    let token = w.link_mail(&user, 1).await.token();
    assert!(w.pool.sign_in(&user.email, &token).await.is_tokens());

    let items = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(w.stack.output("TableName"))
        .send()
        .await
        .unwrap();
    let signature = token.rsplit('.').next().unwrap();
    for item in items.items() {
        let text = format!("{item:?}");
        assert!(
            !text.contains(signature) && !text.contains(&token),
            "a token in {text}"
        );
    }

    let sqs = aws_sdk_sqs::Client::new(&config);
    for queue in ["MailQueueUrl", "DeadLetterQueueUrl"] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let attributes = sqs
                .get_queue_attributes()
                .queue_url(w.stack.output(queue))
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
                .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap();
            let count = |name: QueueAttributeName| attributes[&name].parse::<u64>().unwrap();
            let left = count(QueueAttributeName::ApproximateNumberOfMessages)
                + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible);
            if left == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{queue} still holds {left} messages"
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}
