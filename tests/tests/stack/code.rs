//! The one-time code from the same mail as the link, answered through the
//! emulator's real Cognito: it signs in once, exactly as its link would, and
//! then neither works; wrong codes are counted on the challenge across
//! sessions, and five burn it; every malformed answer is refused with its
//! reason, never a Lambda error.

use std::time::Duration;

use magiclink::EmailAddress;
use magiclink::challenge::SignInMethod;
use magiclink::code::{CodeDigits, CodeKey};
use magiclink::derived_key::derive;
use magiclink::events::{Event, RejectionReason};
use magiclink_tests::{Answer, World, extend_world, mail_to, unique};
use serde_json::json;
use tokio::sync::OnceCell;
use ulid::Ulid;

extend_world!(Codes);

/// The stack's code key, derived as the mailer and the verifier derive it
/// (the tests' credentials may use the key on the emulator), once.
async fn code_key(world: &World) -> &'static CodeKey {
    static KEY: OnceCell<CodeKey> = OnceCell::const_new();
    KEY.get_or_init(|| async {
        let kms = aws_sdk_kms::Client::new(&world.config);
        derive(&kms, world.stack.output("CodeKeyId")).await.unwrap()
    })
    .await
}

/// The answer that gives `code` for `challenge_id`.
fn code_answer(challenge_id: &str, code: &str) -> String {
    json!({ "challengeId": challenge_id, "code": code }).to_string()
}

impl Codes {
    /// A challenge of `email` (as the mailer would have mailed it): its id,
    /// its code and its link's token.
    async fn challenge(&self, email: &EmailAddress) -> (Ulid, String, String) {
        let (challenge, token) = self.links.link(email).await;
        let code = code_key(self).await.code(challenge.id, CodeDigits::DEFAULT);
        (challenge.id, code, token)
    }
}

#[tokio::test]
async fn the_code_in_the_mail_signs_in_and_its_link_is_then_dead() {
    let mut w = world().await;
    let email = format!("{}@example.com", unique("mailed-code"));
    assert_eq!(w.stack.request_link(&email).await, 202);
    let mail = mail_to(&email, 1, Duration::from_secs(30)).await.remove(0);
    let (id, code) = (mail.challenge_id(), mail.code());
    assert_eq!(code.len(), 8, "{code}");
    assert!(mail.html.contains(&code[..4]) && mail.html.contains(&code[4..]));
    // Typed as people type it: grouped.
    let typed = format!("{} {}", &code[..4], &code[4..]);
    assert!(
        w.pool
            .sign_in(&email, &code_answer(&id, &typed))
            .await
            .is_tokens()
    );
    assert!(!w.pool.sign_in(&email, &mail.token()).await.is_tokens());
    let user = EmailAddress::parse(&email).unwrap();
    match w.sign_in_events(&user, 2).await.as_slice() {
        [Event::SignInSucceeded(ok), Event::SignInRejected(no)] => {
            assert_eq!(ok.method, SignInMethod::Code);
            assert_eq!(ok.challenge_id.to_string(), id);
            assert_eq!(no.reason, RejectionReason::Used);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn after_the_link_the_code_is_dead() {
    let mut w = world().await;
    let ann = w.new_user("code").await;
    let (id, code, token) = w.challenge(&ann).await;
    assert!(w.pool.sign_in(ann.as_str(), &token).await.is_tokens());
    let answer = code_answer(&id.to_string(), &code);
    assert!(!w.pool.sign_in(ann.as_str(), &answer).await.is_tokens());
    match w.sign_in_events(&ann, 2).await.as_slice() {
        [Event::SignInSucceeded(ok), Event::SignInRejected(no)] => {
            assert_eq!(ok.method, SignInMethod::Link);
            assert_eq!(no.reason, RejectionReason::Used);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn five_wrong_codes_end_the_code_across_sessions_and_the_link_still_signs_in() {
    let mut w = world().await;
    let ann = w.new_user("code").await;
    let (id, code, token) = w.challenge(&ann).await;
    let wrong = |n: u32| format!("{:08}", (code.parse::<u32>().unwrap() + n) % 100_000_000);
    // Cognito ends a session after three wrong answers; the challenge counts
    // across sessions: three in the first, two in the second.
    let session = w.pool.start(ann.as_str()).await;
    let mut answered = w
        .pool
        .answer(
            ann.as_str(),
            &session,
            &code_answer(&id.to_string(), &wrong(1)),
        )
        .await;
    for n in 2..=3 {
        let Answer::AskedAgain { session } = answered else {
            panic!("a wrong code is asked again within the session: {answered:?}");
        };
        answered = w
            .pool
            .answer(
                ann.as_str(),
                &session,
                &code_answer(&id.to_string(), &wrong(n)),
            )
            .await;
    }
    assert!(matches!(answered, Answer::Refused(_)), "{answered:?}");
    for n in 4..=5 {
        let answer = code_answer(&id.to_string(), &wrong(n));
        assert!(!w.pool.sign_in(ann.as_str(), &answer).await.is_tokens());
    }
    // The code is dead, even the right one.
    let right = code_answer(&id.to_string(), &code);
    assert!(!w.pool.sign_in(ann.as_str(), &right).await.is_tokens());
    use RejectionReason::{TooManyAttempts, WrongCode};
    assert_eq!(
        w.rejections(&ann, 6).await,
        [
            WrongCode,
            WrongCode,
            WrongCode,
            WrongCode,
            TooManyAttempts,
            TooManyAttempts,
        ]
    );
    // The link, which wrong codes cannot reach, still signs in.
    assert!(w.pool.sign_in(ann.as_str(), &token).await.is_tokens());
}

#[tokio::test]
async fn a_stranger_with_the_challenge_id_cannot_lock_the_user_out() {
    let w = world().await;
    let email = format!("{}@example.com", unique("victim"));
    // Anyone may ask for a link for any address, and learns its challenge
    // id from the 202.
    let asked = reqwest::Client::new()
        .post(w.stack.magic_links_url())
        .header("content-type", "application/json")
        .body(json!({ "email": email }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 202);
    let body: serde_json::Value = serde_json::from_slice(&asked.bytes().await.unwrap()).unwrap();
    let id = body["challengeId"].as_str().unwrap().to_owned();
    // The mail goes out (and in sign-up mode open the account is made).
    let mail = mail_to(&email, 1, Duration::from_secs(30)).await.remove(0);
    assert_eq!(mail.challenge_id(), id);
    // The stranger answers Cognito as the victim with wrong codes, well past
    // what ends the code, in fresh sessions.
    for n in 0..8 {
        let answer = code_answer(&id, &format!("{n:08}"));
        assert!(!w.pool.sign_in(&email, &answer).await.is_tokens());
    }
    // The victim's mailed link signs in all the same.
    assert!(w.pool.sign_in(&email, &mail.token()).await.is_tokens());
}

#[tokio::test]
async fn a_users_budget_of_wrong_codes_across_challenges_ends_every_code_but_no_link() {
    let mut w = world().await;
    let ann = w.new_user("code").await;
    // The stack's budget is the default, 20 a day: four challenges' worth of
    // five wrong codes each.
    let mut challenges = Vec::new();
    for _ in 0..5 {
        challenges.push(w.challenge(&ann).await);
    }
    for (id, code, _) in &challenges[..4] {
        for n in 1..=5 {
            let wrong = format!("{:08}", (code.parse::<u32>().unwrap() + n) % 100_000_000);
            let answer = code_answer(&id.to_string(), &wrong);
            assert!(!w.pool.sign_in(ann.as_str(), &answer).await.is_tokens());
        }
    }
    // A fifth challenge, untouched by any wrong code: its right code is
    // refused now, its link is not.
    let (id, code, token) = &challenges[4];
    let right = code_answer(&id.to_string(), code);
    assert!(!w.pool.sign_in(ann.as_str(), &right).await.is_tokens());
    use RejectionReason::{TooManyAttempts, WrongCode};
    let expected: Vec<RejectionReason> = (0..4)
        .flat_map(|_| [WrongCode, WrongCode, WrongCode, WrongCode, TooManyAttempts])
        .chain([TooManyAttempts])
        .collect();
    assert_eq!(w.rejections(&ann, 21).await, expected);
    assert!(w.pool.sign_in(ann.as_str(), token).await.is_tokens());
}

#[tokio::test]
async fn a_code_opens_only_its_own_challenge_of_its_own_user() {
    let mut w = world().await;
    let (ann, bob) = (w.new_user("code").await, w.new_user("code").await);
    let (first, first_code, _) = w.challenge(&ann).await;
    let (second, _, _) = w.challenge(&ann).await;
    // The first challenge's code under the second's id: a wrong code.
    let swapped = code_answer(&second.to_string(), &first_code);
    assert!(!w.pool.sign_in(ann.as_str(), &swapped).await.is_tokens());
    // Ann's challenge and its right code, answered by Bob: not his.
    let anns = code_answer(&first.to_string(), &first_code);
    for _ in 0..6 {
        assert!(!w.pool.sign_in(bob.as_str(), &anns).await.is_tokens());
    }
    assert_eq!(w.rejections(&ann, 1).await, [RejectionReason::WrongCode]);
    assert_eq!(w.rejections(&bob, 6).await, [RejectionReason::WrongUser; 6]);
    // Bob's tries counted nothing on Ann's challenge: it still signs her in.
    assert!(w.pool.sign_in(ann.as_str(), &anns).await.is_tokens());
}

#[tokio::test]
async fn concurrent_right_codes_sign_in_once() {
    let w = world().await;
    let ann = w.new_user("code").await;
    let (id, code, _) = w.challenge(&ann).await;
    let answer = code_answer(&id.to_string(), &code);
    let attempts = (0..5).map(|_| {
        let (pool, email, answer) = (w.pool.clone(), ann.as_str().to_owned(), answer.clone());
        tokio::spawn(async move { pool.sign_in(&email, &answer).await.is_tokens() })
    });
    let mut successes = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        successes += usize::from(attempt.await.unwrap());
    }
    assert_eq!(successes, 1);
}

#[tokio::test]
async fn malformed_code_answers_are_refused_as_malformed_and_count_nothing() {
    let mut w = world().await;
    let ann = w.new_user("code").await;
    let (id, code, _) = w.challenge(&ann).await;
    let id = id.to_string();
    let hostile = [
        code_answer(&id, &code[..7]),
        code_answer(&id, &format!("{code}1")),
        code_answer(&id, "1234567x"),
        code_answer(&id, "１２３４５６７８"),
        code_answer(&id, "1234\n5678"),
        code_answer("not-a-ulid", &code),
        json!({ "challengeId": id, "code": code.parse::<u64>().unwrap() }).to_string(),
        json!({ "challengeId": id, "code": code, "also": "this" }).to_string(),
        json!({ "challengeId": id, "code": "1".repeat(5000) }).to_string(),
        format!(
            r#"{{"challengeId":{}"x"{}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        ),
    ];
    for answer in &hostile {
        let answered = w.pool.sign_in(ann.as_str(), answer).await;
        assert!(
            matches!(answered, Answer::AskedAgain { .. }),
            "{answer:.80}: refused cleanly, not a Lambda error: {answered:?}"
        );
    }
    assert_eq!(
        w.rejections(&ann, hostile.len()).await,
        vec![RejectionReason::Malformed; hostile.len()]
    );
    // None was counted as a wrong code: five real wrong codes are still
    // needed to burn the challenge, and the right one signs in.
    assert!(
        w.pool
            .sign_in(ann.as_str(), &code_answer(&id, &code))
            .await
            .is_tokens()
    );
}
