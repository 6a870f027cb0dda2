//! Delivery feedback and localized mail against the deployed stack.
//!
//! The emulator's SES publishes no events, so these tests put SES-shaped
//! events (AWS's documented "Amazon SES event publishing" records, in their
//! EventBridge envelope) on the default bus, with the source the emulator's
//! stack listens on (`SesEventSource`; EventBridge refuses `aws.*` sources
//! from PutEvents, on AWS and on the emulator alike). From there on it is
//! the stack's own path: the rule, the feedback function, the table, the
//! relay, the bus, the status endpoint and the mailer's suppression check.

use std::time::{Duration, Instant};

use magiclink::EmailAddress;
use magiclink::binding::Verifier;
use magiclink::challenge::{BounceType, SuppressionReason};
use magiclink::events::Event;
use magiclink_tests::{SesMail, extend_world, mail_to, new_address, put_ses_report, unique};
use serde_json::{Value, json};
use ulid::Ulid;

/// How long the emulator's stack waits between two links to one address
/// (the Makefile's `RateEmailBurstSeconds`), and a little more.
const BURST: Duration = Duration::from_millis(5_500);

extend_world!(Feedback);

/// A verifier of 43 `c`s, and its binding.
fn verifier(c: char) -> (String, String) {
    let verifier = c.to_string().repeat(43);
    let binding = Verifier::parse(&verifier).unwrap().binding().encoded();
    (verifier, binding)
}

/// A request asked for with a binding, once its mail is out.
struct Asked {
    email: EmailAddress,
    id: String,
    verifier: String,
    binding: String,
    sent: SesMail,
}

impl Feedback {
    /// A link asked for a new address (named after `prefix`) with the
    /// binding of the verifier of `c`s, and its mail.
    async fn asked_and_mailed(&self, prefix: &str, c: char) -> Asked {
        let email = new_address(prefix);
        let (verifier, binding) = verifier(c);
        let id = self.ask(&email, json!({"binding": binding})).await;
        let mail = mail_to(email.as_str(), 1, Duration::from_secs(20)).await;
        let sent = SesMail::of(&mail[0]);
        assert_eq!(sent.challenge_id, id);
        Asked {
            email,
            id,
            verifier,
            binding,
            sent,
        }
    }

    /// `POST /v1/magic-links` for `email` with `extra` fields; the
    /// challenge id of the 202.
    async fn ask(&self, email: &EmailAddress, extra: Value) -> String {
        let mut body = json!({"email": email.as_str()});
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        let response = self
            .http
            .post(self.stack.magic_links_url())
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 202);
        let body: Value = response.json().await.unwrap();
        body["challengeId"].as_str().unwrap().to_owned()
    }

    /// The status endpoint's `delivery` of challenge `id`, once it is
    /// `expected` (or after 20 s, whatever it is then).
    async fn delivery(&self, id: &str, verifier: &str, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let body: Value = self
                .http
                .get(format!("{}/{id}", self.stack.magic_links_url()))
                .header("x-magiclink-verifier", verifier)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let delivery = body["delivery"].as_str().unwrap_or("<none>").to_owned();
            if delivery == expected || Instant::now() > deadline {
                return delivery;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn report_as(
        &self,
        configuration_set: &str,
        detail_type: &str,
        event_type: &str,
        sent: &SesMail,
        extra: Value,
    ) {
        put_ses_report(
            &self.config,
            configuration_set,
            (detail_type, event_type),
            sent,
            extra,
        )
        .await;
    }

    async fn report(&self, detail_type: &str, event_type: &str, sent: &SesMail, extra: Value) {
        let set = self.stack.output("MailConfigurationSetName").to_owned();
        self.report_as(&set, detail_type, event_type, sent, extra)
            .await;
    }

    /// The events of `detail_type` about challenge `id`, once `count` have
    /// arrived (within 20 s).
    async fn events_of(&mut self, id: &str, detail_type: &str, count: usize) -> Vec<Event> {
        let (id, detail_type) = (id.to_owned(), detail_type.to_owned());
        self.tap
            .wait_for(count, Duration::from_secs(20), move |e| {
                e.detail_type() == detail_type
                    && serde_json::from_str::<Value>(&e.detail_json()).unwrap()["challengeId"] == id
            })
            .await
    }
}

fn bounce(bounce_type: &str, sub_type: &str) -> Value {
    json!({"bounce": {
        "feedbackId": "0100019a-feedback",
        "bounceType": bounce_type,
        "bounceSubType": sub_type,
        "bouncedRecipients": [{"action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": "2026-11-22T08:00:01.000Z",
        "reportingMTA": "dsn; a1-2.smtp-out.amazonses.com"
    }})
}

fn delivered() -> Value {
    json!({"delivery": {"timestamp": "2026-11-22T08:00:01.000Z", "processingTimeMillis": 900, "smtpResponse": "250 ok"}})
}

#[tokio::test]
async fn a_de_de_request_gets_the_german_mail_and_a_hostile_locale_the_default() {
    let w = world().await;
    let german = new_address("deutsch");
    w.ask(&german, json!({"locale": "de-DE"})).await;
    let mail = mail_to(german.as_str(), 1, Duration::from_secs(20)).await;
    let [mail] = mail.as_slice() else {
        panic!("one mail: {mail:?}")
    };
    assert_eq!(mail.subject, "Ihr Anmeldelink und Code");
    assert!(mail.text.contains("Anmeldecode: "), "{}", mail.text);
    assert!(mail.text.contains(" Uhr (UTC)"), "{}", mail.text);
    assert!(mail.html.contains("<html lang=\"de\">"));
    assert!(mail.link().contains('#'));

    let hostile = new_address("hostile");
    w.ask(
        &hostile,
        json!({"locale": format!("de\r\nBcc: {}\r\n{}", hostile.as_str(), "x".repeat(300))}),
    )
    .await;
    let mail = mail_to(hostile.as_str(), 1, Duration::from_secs(20)).await;
    let [mail] = mail.as_slice() else {
        panic!("one mail: {mail:?}")
    };
    assert_eq!(mail.subject, "Your sign-in link and code");
    assert_eq!(mail.to, [hostile.as_str()], "no header injection");
}

#[tokio::test]
async fn ses_reports_reach_the_status_the_events_and_the_suppression_list() {
    let mut w = world().await;
    let Asked {
        email,
        id,
        verifier,
        binding,
        sent,
    } = w.asked_and_mailed("bouncing", 'v').await;
    assert_eq!(w.delivery(&id, &verifier, "sent").await, "sent");

    w.report("Email Delivered", "Delivery", &sent, delivered())
        .await;
    match w.events_of(&id, "MagicLinkDelivered", 1).await.as_slice() {
        [Event::MagicLinkDelivered(e)] => {
            assert_eq!(e.ses_message_id, sent.message_id);
            assert_eq!(e.event_id, format!("{id}/delivered"));
            assert_eq!(e.subject_hash, email.fingerprint(w.stack.fingerprints()));
        }
        other => panic!("{other:?}"),
    }
    // A delivery is told as `sent`: a withheld mail (no account, say) reads
    // `sent` too, and must not be told apart by the delivery it never has.
    assert_eq!(w.delivery(&id, &verifier, "sent").await, "sent");

    w.report(
        "Email Bounced",
        "Bounce",
        &sent,
        bounce("Permanent", "NoEmail"),
    )
    .await;
    assert_eq!(w.delivery(&id, &verifier, "bounced").await, "bounced");
    match w.events_of(&id, "MagicLinkBounced", 1).await.as_slice() {
        [Event::MagicLinkBounced(e)] => {
            assert_eq!(e.bounce_type, BounceType::Permanent);
            assert_eq!(e.bounce_sub_type, "NoEmail");
            assert!(
                !e.ses_message_id.is_empty() && !e.subject_hash.contains('@'),
                "no address in the event"
            );
        }
        other => panic!("{other:?}"),
    }

    // A late or repeated delivery report does not undo the bounce.
    w.report("Email Delivered", "Delivery", &sent, delivered())
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(w.delivery(&id, &verifier, "bounced").await, "bounced");
    assert_eq!(w.events_of(&id, "MagicLinkDelivered", 2).await.len(), 1);

    // The address is suppressed: the next request is accepted as ever, and
    // mails nothing; the asking browser is told why.
    tokio::time::sleep(BURST).await;
    let again = w.ask(&email, json!({"binding": binding})).await;
    assert_eq!(
        w.delivery(&again, &verifier, "suppressed").await,
        "suppressed"
    );
    match w
        .events_of(&again, "MagicLinkSuppressed", 1)
        .await
        .as_slice()
    {
        [Event::MagicLinkSuppressed(e)] => assert_eq!(e.reason, SuppressionReason::Bounced),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        mail_to(email.as_str(), 2, Duration::from_secs(2))
            .await
            .len(),
        1,
        "no second mail"
    );
}

#[tokio::test]
async fn a_soft_bounce_is_told_and_suppresses_nothing() {
    let mut w = world().await;
    let Asked {
        email,
        id,
        verifier,
        sent,
        ..
    } = w.asked_and_mailed("fullbox", 'w').await;
    w.report(
        "Email Bounced",
        "Bounce",
        &sent,
        bounce("Transient", "MailboxFull"),
    )
    .await;
    assert_eq!(w.delivery(&id, &verifier, "bounced").await, "bounced");
    match w.events_of(&id, "MagicLinkBounced", 1).await.as_slice() {
        [Event::MagicLinkBounced(e)] => assert_eq!(e.bounce_type, BounceType::Transient),
        other => panic!("{other:?}"),
    }
    tokio::time::sleep(BURST).await;
    w.ask(&email, json!({})).await;
    assert_eq!(
        mail_to(email.as_str(), 2, Duration::from_secs(20))
            .await
            .len(),
        2,
        "a full mailbox is tried again"
    );
}

#[tokio::test]
async fn a_complaint_whose_challenge_is_gone_is_published_and_suppresses() {
    let mut w = world().await;
    let email = new_address("complainer");
    // A challenge long gone from the table (complaints may come days later).
    let gone = SesMail {
        challenge_id: Ulid::generate().to_string(),
        message_id: format!("0100019a-{}", unique("gone")),
        to: email.as_str().to_owned(),
        notice: false,
    };
    w.report(
        "Email Complaint Received",
        "Complaint",
        &gone,
        json!({"complaint": {"complainedRecipients": [{}], "timestamp": "2026-11-22T09:00:00.000Z", "feedbackId": "f", "complaintFeedbackType": "abuse"}}),
    )
    .await;
    match w
        .events_of(&gone.challenge_id, "MagicLinkComplained", 1)
        .await
        .as_slice()
    {
        [Event::MagicLinkComplained(e)] => {
            assert_eq!(e.event_id, format!("{}/complained", gone.challenge_id));
            assert_eq!(e.ses_message_id, gone.message_id);
            assert_eq!(e.feedback_type.as_deref(), Some("abuse"));
            assert_eq!(e.subject_hash, email.fingerprint(w.stack.fingerprints()));
        }
        other => panic!("{other:?}"),
    }
    let id = w.ask(&email, json!({})).await;
    match w.events_of(&id, "MagicLinkSuppressed", 1).await.as_slice() {
        [Event::MagicLinkSuppressed(e)] => assert_eq!(e.reason, SuppressionReason::Complained),
        other => panic!("{other:?}"),
    }
    assert!(
        mail_to(email.as_str(), 1, Duration::from_secs(2))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn reports_on_other_mail_are_not_taken() {
    let w = world().await;
    let Asked {
        email,
        id,
        verifier,
        sent,
        ..
    } = w.asked_and_mailed("othermail", 'x').await;
    assert_eq!(w.delivery(&id, &verifier, "sent").await, "sent");
    // Another configuration set's mail (the rule does not match it), and a
    // mail of ours without its challenge tag (the function drops it).
    w.report_as(
        "someone-elses-set",
        "Email Bounced",
        "Bounce",
        &sent,
        bounce("Permanent", "General"),
    )
    .await;
    let untagged = SesMail {
        challenge_id: "not-a-challenge".into(),
        ..sent.clone()
    };
    w.report(
        "Email Bounced",
        "Bounce",
        &untagged,
        bounce("Permanent", "General"),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(w.delivery(&id, &verifier, "sent").await, "sent");
    tokio::time::sleep(BURST).await;
    w.ask(&email, json!({})).await;
    assert_eq!(
        mail_to(email.as_str(), 2, Duration::from_secs(20))
            .await
            .len(),
        2,
        "not suppressed"
    );
}

#[tokio::test]
async fn a_bounced_notice_suppresses_its_address_and_is_no_event() {
    let mut w = world().await;
    let email = new_address("noticebounce");
    // A passkey change's notice, tagged with its passkey, not a challenge.
    let notice = SesMail {
        challenge_id: Ulid::generate().to_string(),
        message_id: format!("0100019a-{}", unique("notice")),
        to: email.as_str().to_owned(),
        notice: true,
    };
    w.report(
        "Email Bounced",
        "Bounce",
        &notice,
        bounce("Permanent", "General"),
    )
    .await;
    // No event tells that the feedback function is done: its record does.
    let ddb = aws_sdk_dynamodb::Client::new(&w.config);
    let key = format!("suppressed#{}", email.fingerprint(w.stack.fingerprints()));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let item = ddb
            .get_item()
            .table_name(w.stack.output("TableName"))
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(key.clone()),
            )
            .send()
            .await
            .unwrap();
        if item.item().is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the notice's bounce suppressed nothing"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let id = w.ask(&email, json!({})).await;
    match w.events_of(&id, "MagicLinkSuppressed", 1).await.as_slice() {
        [Event::MagicLinkSuppressed(e)] => assert_eq!(e.reason, SuppressionReason::Bounced),
        other => panic!("{other:?}"),
    }
    let passkey = notice.challenge_id.clone();
    let bounced = w
        .tap
        .wait_for(1, Duration::from_secs(2), move |e| {
            serde_json::from_str::<Value>(&e.detail_json()).unwrap()["challengeId"] == passkey
        })
        .await;
    assert!(
        bounced.is_empty(),
        "a notice has no challenge, so no event: {bounced:?}"
    );
}
