//! Signing in through the emulator's real Cognito, with the verifier deployed
//! as the pool's triggers: the link's token is the answer to the custom
//! challenge, and every refusal is reported on the bus with its reason.

use std::time::{Duration, SystemTime};

use magiclink::events::{Event, RejectionReason};
use magiclink_tests::{Answer, World, attribute, jwt_claims, new_address, unique};

#[tokio::test]
async fn a_valid_link_signs_in_and_the_id_token_carries_the_address() {
    let mut w = World::new().await;
    let email = w.new_user("user").await;
    let (challenge, token) = w.links.link(&email).await;
    let tokens = w.pool.sign_in(email.as_str(), &token).await.tokens();
    let claims = jwt_claims(tokens.id_token().unwrap());
    assert_eq!(claims["email"], email.as_str());
    assert!(tokens.refresh_token().is_some());
    match w.sign_in_events(&email, 1).await.as_slice() {
        [Event::SignInSucceeded(e)] => assert_eq!(e.challenge_id, challenge.id),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_replayed_link_is_refused_as_used() {
    let mut w = World::new().await;
    let email = w.new_user("user").await;
    let (_, token) = w.links.link(&email).await;
    assert!(w.pool.sign_in(email.as_str(), &token).await.is_tokens());
    assert!(matches!(
        w.pool.sign_in(email.as_str(), &token).await,
        Answer::AskedAgain { .. }
    ));
    let events = w.sign_in_events(&email, 2).await;
    assert!(
        matches!(&events[1], Event::SignInRejected(e) if e.reason == RejectionReason::Used),
        "{events:?}"
    );
}

#[tokio::test]
async fn another_users_link_is_refused_as_wrong_user() {
    let mut w = World::new().await;
    let (ann, bob) = (w.new_user("user").await, w.new_user("user").await);
    let (_, bobs_token) = w.links.link(&bob).await;
    assert!(!w.pool.sign_in(ann.as_str(), &bobs_token).await.is_tokens());
    assert_eq!(w.rejection(&ann).await, RejectionReason::WrongUser);
    assert!(
        w.pool.sign_in(bob.as_str(), &bobs_token).await.is_tokens(),
        "bob's link still works"
    );
}

#[tokio::test]
async fn an_expired_link_is_refused_as_expired() {
    let mut w = World::new().await;
    let email = w.new_user("user").await;
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    let (_, token) = w
        .links
        .issue(&email, an_hour_ago, Duration::from_secs(900))
        .await;
    assert!(!w.pool.sign_in(email.as_str(), &token).await.is_tokens());
    assert_eq!(w.rejection(&email).await, RejectionReason::Expired);
}

#[tokio::test]
async fn tampered_and_garbage_answers_are_refused_with_their_reason() {
    let mut w = World::new().await;
    let email = w.new_user("user").await;
    let (_, token) = w.links.link(&email).await;
    let mut tampered = token.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(!w.pool.sign_in(email.as_str(), &tampered).await.is_tokens());
    assert_eq!(w.rejection(&email).await, RejectionReason::BadSignature);

    let other = w.new_user("user").await;
    assert!(
        !w.pool
            .sign_in(other.as_str(), "not a token")
            .await
            .is_tokens()
    );
    assert_eq!(w.rejection(&other).await, RejectionReason::Malformed);
}

#[tokio::test]
async fn two_concurrent_answers_with_one_link_give_one_sign_in() {
    let w = World::new().await;
    let email = w.new_user("user").await;
    let (_, token) = w.links.link(&email).await;
    let (first, second) = tokio::join!(w.pool.start(email.as_str()), w.pool.start(email.as_str()));
    let (a, b) = tokio::join!(
        w.pool.answer(email.as_str(), &first, &token),
        w.pool.answer(email.as_str(), &second, &token)
    );
    assert_eq!(
        [a.is_tokens(), b.is_tokens()]
            .iter()
            .filter(|t| **t)
            .count(),
        1,
        "{a:?} / {b:?}"
    );
}

#[tokio::test]
async fn a_wrong_answer_then_the_right_one_in_one_session_signs_in() {
    let w = World::new().await;
    let email = w.new_user("user").await;
    let (_, token) = w.links.link(&email).await;
    let session = w.pool.start(email.as_str()).await;
    let Answer::AskedAgain { session } = w.pool.answer(email.as_str(), &session, "wrong").await
    else {
        panic!("a wrong answer should be asked again");
    };
    assert!(
        w.pool
            .answer(email.as_str(), &session, &token)
            .await
            .is_tokens()
    );
}

#[tokio::test]
async fn three_wrong_answers_end_the_session() {
    let w = World::new().await;
    let email = w.new_user("user").await;
    let mut session = w.pool.start(email.as_str()).await;
    for round in 1..=3 {
        match w.pool.answer(email.as_str(), &session, "wrong").await {
            Answer::AskedAgain { session: next } if round < 3 => session = next,
            Answer::Refused(_) if round == 3 => {}
            other => panic!("round {round}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn of_two_links_either_signs_in_and_revokes_the_other() {
    let mut w = World::new().await;
    for use_newer in [true, false] {
        let email = w.new_user("user").await;
        let lifetime = Duration::from_secs(900);
        let (_, older) = w
            .links
            .issue(
                &email,
                SystemTime::now() - Duration::from_secs(60),
                lifetime,
            )
            .await;
        let (_, newer) = w
            .links
            .issue(
                &email,
                SystemTime::now() - Duration::from_secs(30),
                lifetime,
            )
            .await;
        let (used, revoked) = if use_newer {
            (newer, older)
        } else {
            (older, newer)
        };
        assert!(w.pool.sign_in(email.as_str(), &used).await.is_tokens());
        assert!(!w.pool.sign_in(email.as_str(), &revoked).await.is_tokens());
        let events = w.sign_in_events(&email, 2).await;
        assert!(
            matches!(&events[1], Event::SignInRejected(e) if e.reason == RejectionReason::Revoked),
            "use_newer {use_newer}: {events:?}"
        );
    }
}

/// The other valid ECDSA signature of the same input: `s` replaced by
/// `n - s` (the curve order minus `s`).
fn high_s_twin(token: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use p256::ecdsa::Signature;
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    let (r, s) = signature.split_scalars();
    let twin = Signature::from_scalars(r, -*s).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(twin.to_bytes()))
}

#[tokio::test]
async fn the_high_s_twin_of_a_link_is_refused_and_spends_nothing() {
    let mut w = World::new().await;
    let email = w.new_user("user").await;
    let (_, token) = w.links.link(&email).await;
    let twin = high_s_twin(&token);
    assert_ne!(twin, token);
    assert!(!w.pool.sign_in(email.as_str(), &twin).await.is_tokens());
    assert_eq!(w.rejection(&email).await, RejectionReason::BadSignature);
    assert!(
        w.pool.sign_in(email.as_str(), &token).await.is_tokens(),
        "the link itself still works"
    );
}

#[tokio::test]
async fn a_link_made_for_another_app_client_is_refused() {
    let mut w = World::new().await;
    let email = w.new_user("user").await;
    let elsewhere = magiclink::token::audience(w.stack.output("UserPoolId"), "another-client");
    let (_, token) = w
        .links
        .issue_for(
            &email,
            SystemTime::now(),
            Duration::from_secs(900),
            &elsewhere,
        )
        .await;
    assert!(!w.pool.sign_in(email.as_str(), &token).await.is_tokens());
    assert_eq!(w.rejection(&email).await, RejectionReason::Malformed);
}

#[tokio::test]
async fn self_sign_up_is_refused() {
    let w = World::new().await;
    let email = format!("{}@example.com", unique("signup"));
    let signed_up = w
        .pool
        .idp()
        .sign_up()
        .client_id(w.pool.client_id())
        .username(&email)
        .password("Correct-Horse-Battery-Staple-1")
        .user_attributes(attribute("email", &email))
        .send()
        .await;
    assert!(signed_up.is_err(), "SignUp made an account: {signed_up:?}");
}

/// The takeover the review found: a signed-in user's access token (held by
/// the user, or by a script injected into the app) rewrites the account's
/// address, then asks for links to the new address. Through Cognito's public
/// API, as an attacker would.
#[tokio::test]
async fn an_address_rewritten_with_the_access_token_never_receives_a_link() {
    let mut w = World::new().await;
    let victim = w.new_user("user").await;
    let (_, token) = w.links.link(&victim).await;
    let tokens = w.pool.sign_in(victim.as_str(), &token).await.tokens();
    w.sign_in_events(&victim, 1).await;
    let attacker = new_address("attacker");
    let rewritten = w
        .pool
        .idp()
        .update_user_attributes()
        .access_token(tokens.access_token().unwrap())
        .user_attributes(attribute("email", attacker.as_str()))
        .send()
        .await;
    if rewritten.is_err() {
        // The app client may not write `email` (as on AWS): the attack ends here.
        return;
    }
    // The emulator does not enforce the app client's WriteAttributes: the
    // address changed. magiclink must still send the new address nothing.
    assert_eq!(w.stack.request_link(attacker.as_str()).await, 202);
    let subject = attacker.fingerprint(w.stack.fingerprints());
    let events = w
        .tap
        .wait_for(1, Duration::from_secs(30), |event| match event {
            Event::MagicLinkSuppressed(e) => e.subject_hash == subject,
            Event::MagicLinkSent(e) => e.subject_hash == subject,
            _ => false,
        })
        .await;
    match events.as_slice() {
        [Event::MagicLinkSuppressed(e)] => {
            assert_eq!(
                e.reason,
                magiclink::challenge::SuppressionReason::AddressChanged
            )
        }
        other => panic!("expected a suppressed link, got {other:?}"),
    }
    // And a link of the attacker's own making (signed as the mailer would)
    // for the new address does not sign in to the victim's account.
    let (_, forged) = w.links.link(&attacker).await;
    assert!(!w.pool.sign_in(attacker.as_str(), &forged).await.is_tokens());
    assert_eq!(
        w.rejection(&attacker).await,
        RejectionReason::AddressChanged
    );
}
