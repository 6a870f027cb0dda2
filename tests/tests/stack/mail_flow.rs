//! The deployed mail path: a request through the API becomes exactly one mail
//! with a working link, through EventBridge, SQS, the mailer and SES.

use std::time::{Duration, SystemTime};

use magiclink::EmailAddress;
use magiclink::challenge::{Challenge, ChallengeStatus, ChallengeStore};
use magiclink_tests::{PoolClient, Stack, aws, jwt_claims, mail_to, requested_message, unique};

fn address() -> String {
    format!("{}@example.com", unique("mail"))
}

#[tokio::test]
async fn one_request_yields_exactly_one_mail_whose_link_signs_in() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let email = address();
    assert_eq!(stack.request_link(&email).await, 202);
    let mail = mail_to(&email, 1, Duration::from_secs(30)).await;
    assert_eq!(mail.len(), 1, "one mail");
    let mail = &mail[0];
    assert_eq!(mail.subject, "Your sign-in link and code");
    let code = mail.code();
    assert!(
        code.len() == 8 && code.chars().all(|c| c.is_ascii_digit()),
        "{code}"
    );
    assert!(
        mail.link().starts_with("http://localhost:8000/#"),
        "{}",
        mail.link()
    );
    assert!(
        mail.html.contains(&mail.link()),
        "the HTML part has the link too"
    );
    assert!(
        mail.html
            .contains(&format!("<a href=\"{}\" ses:no-track", mail.link())),
        "SES click tracking is off for the link: {}",
        mail.html
    );

    // The link signs in; the mailer made the account.
    let tokens = PoolClient::new(&config, &stack)
        .sign_in(&email, &mail.token())
        .await
        .tokens();
    assert_eq!(jwt_claims(tokens.id_token().unwrap())["email"], email);

    // No second mail turns up later.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(mail_to(&email, 2, Duration::ZERO).await.len(), 1);
}

#[tokio::test]
async fn the_same_message_delivered_twice_yields_one_mail() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let email = EmailAddress::parse(&address()).unwrap();
    let store = ChallengeStore::new(
        aws_sdk_dynamodb::Client::new(&config),
        stack.output("TableName"),
    );
    let challenge = Challenge::new(
        email.clone(),
        "http://localhost:8000/".into(),
        SystemTime::now(),
        Duration::from_secs(900),
    );
    store.create(&challenge).await.unwrap();
    let body = requested_message(&challenge, stack.fingerprints());
    let sqs = aws_sdk_sqs::Client::new(&config);
    let send = || {
        sqs.send_message()
            .queue_url(stack.output("MailQueueUrl"))
            .message_body(&body)
            .send()
    };
    let (a, b) = tokio::join!(send(), send());
    a.unwrap();
    b.unwrap();

    let mail = mail_to(email.as_str(), 1, Duration::from_secs(30)).await;
    assert_eq!(mail.len(), 1);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        mail_to(email.as_str(), 2, Duration::ZERO).await.len(),
        1,
        "the duplicate sent nothing"
    );
    assert_eq!(
        store.get(challenge.id).await.unwrap().unwrap().status,
        ChallengeStatus::Mailed
    );
}
