//! The trigger dispatch on Cognito-shaped events, without AWS; and a trigger
//! whose dependencies are unreachable, which must refuse cleanly and quickly.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::{Duration, Instant, SystemTime};

use aws_config::{BehaviorVersion, Region};
use magiclink::aws::CallBudget;
use magiclink::challenge::ChallengeStore;
use magiclink::config::Env;
use magiclink::events::EventPublisher;
use magiclink::passkeys::PasskeyStore;
use magiclink::token::{LinkVerifier, PublicKeys};
use magiclink_verifier::answer::{AnswerChecker, Passkeys, SigningIn};
use magiclink_verifier::triggers::{TriggerError, handle};
use magiclink_webauthn::soft::SoftAuthenticator;
use magiclink_webauthn::{PasskeyConfig, RelyingParty};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};

/// The key the tests sign with, accepted as `k1`.
fn signing_key() -> SigningKey {
    SigningKey::from_slice(&[5; 32]).unwrap()
}

fn accepted_keys() -> PublicKeys {
    let mut keys = PublicKeys::default();
    keys.insert("k1".into(), *signing_key().verifying_key())
        .unwrap();
    keys
}

/// A checker whose every AWS call goes to a closed port on this machine.
async fn unreachable_checker() -> AnswerChecker {
    checker_with(None).await
}

/// The relying party of the passkey tests.
fn relying_party() -> RelyingParty {
    let env = Env::from_pairs([
        ("PASSKEY_RP_ID", "example.com"),
        ("PASSKEY_ORIGINS", "https://example.com"),
    ]);
    RelyingParty::new(&PasskeyConfig::from_env(&env).unwrap().unwrap())
}

/// [`unreachable_checker`], with passkeys on when `rp` is given.
async fn checker_with(rp: Option<RelyingParty>) -> AnswerChecker {
    let budget = CallBudget::TRIGGER;
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(budget.connect)
                .operation_attempt_timeout(budget.attempt)
                .operation_timeout(budget.operation)
                .build(),
        )
        .load()
        .await;
    AnswerChecker {
        tokens: LinkVerifier::new(accepted_keys(), "magiclink"),
        approvals: magiclink::approval::ApprovalKeys::new(accepted_keys()),
        store: ChallengeStore::new(aws_sdk_dynamodb::Client::new(&config), "table"),
        events: EventPublisher::new(aws_sdk_eventbridge::Client::new(&config), "bus"),
        fingerprints: magiclink::fingerprint::FingerprintKey::new(
            aws_sdk_kms::Client::new(&config),
            "fingerprint-key",
        ),
        codes: magiclink::code::LazyCodeKey::new(aws_sdk_kms::Client::new(&config), "code-key"),
        code_digits: magiclink::code::CodeDigits::DEFAULT,
        passkeys: rp.map(|rp| Passkeys {
            rp,
            store: PasskeyStore::new(aws_sdk_dynamodb::Client::new(&config), "table"),
        }),
    }
}

fn event(trigger: &str, request: Value) -> Value {
    json!({
        "version": "1",
        "triggerSource": trigger,
        "region": "us-east-1",
        "userPoolId": "us-east-1_test",
        "userName": "4f1c0e1a-7d2b-4e8f-9a41-3c2d1e0f9b8a",
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "client"},
        "request": request,
        "response": {}
    })
}

fn session(rounds: &[(&str, bool)]) -> Value {
    rounds
        .iter()
        .map(|(name, ok)| json!({"challengeName": name, "challengeResult": ok, "challengeMetadata": "MAGIC_LINK"}))
        .collect()
}

#[tokio::test]
async fn define_answers_each_session_shape() {
    let checker = unreachable_checker().await;
    let define = |rounds: &[(&str, bool)]| {
        event(
            "DefineAuthChallenge_Authentication",
            json!({"userAttributes": {"email": "ann@example.com"}, "session": session(rounds), "userNotFound": false}),
        )
    };
    let answer = handle(&checker, define(&[]), SystemTime::now())
        .await
        .unwrap();
    assert_eq!(answer["response"]["challengeName"], "CUSTOM_CHALLENGE");
    assert_eq!(answer["response"]["issueTokens"], false);
    assert_eq!(answer["response"]["failAuthentication"], false);
    assert_eq!(
        answer["userName"], "4f1c0e1a-7d2b-4e8f-9a41-3c2d1e0f9b8a",
        "the event comes back whole"
    );

    let answer = handle(
        &checker,
        define(&[("CUSTOM_CHALLENGE", false), ("CUSTOM_CHALLENGE", true)]),
        SystemTime::now(),
    )
    .await
    .unwrap();
    assert_eq!(answer["response"]["issueTokens"], true);

    let three = [("CUSTOM_CHALLENGE", false); 3];
    let answer = handle(&checker, define(&three), SystemTime::now())
        .await
        .unwrap();
    assert_eq!(answer["response"]["failAuthentication"], true);

    let answer = handle(&checker, define(&[("SRP_A", true)]), SystemTime::now())
        .await
        .unwrap();
    assert_eq!(answer["response"]["failAuthentication"], true);
}

#[tokio::test]
async fn create_asks_for_the_link_and_keeps_no_secret() {
    let checker = unreachable_checker().await;
    let request = json!({"userAttributes": {"email": "ann@example.com"}, "challengeName": "CUSTOM_CHALLENGE", "session": []});
    let answer = handle(
        &checker,
        event("CreateAuthChallenge_Authentication", request),
        SystemTime::now(),
    )
    .await
    .unwrap();
    assert_eq!(
        answer["response"]["publicChallengeParameters"]["challenge"],
        "MAGIC_LINK"
    );
    assert_eq!(answer["response"]["privateChallengeParameters"], json!({}));
    assert_eq!(answer["response"]["challengeMetadata"], "MAGIC_LINK");
}

#[tokio::test]
async fn with_passkeys_create_adds_a_webauthn_challenge_kept_private() {
    let checker = checker_with(Some(relying_party())).await;
    let request = json!({"userAttributes": {"email": "ann@example.com"}, "challengeName": "CUSTOM_CHALLENGE", "session": []});
    let answer = handle(
        &checker,
        event("CreateAuthChallenge_Authentication", request),
        SystemTime::now(),
    )
    .await
    .unwrap();
    let public = &answer["response"]["publicChallengeParameters"];
    let options: Value = serde_json::from_str(public["passkeyOptions"].as_str().unwrap()).unwrap();
    assert_eq!(options["rpId"], "example.com");
    let private = &answer["response"]["privateChallengeParameters"];
    assert_eq!(private["passkeyChallenge"], options["challenge"]);
    assert!(private["passkeyState"].is_string());
}

#[tokio::test]
async fn hostile_passkey_answers_are_refused_whether_passkeys_are_on_or_off() {
    let sub = "4f1c0e1a-7d2b-4e8f-9a41-3c2d1e0f9b8a";
    let authenticator =
        SoftAuthenticator::new(3, "example.com", "https://example.com", b"someone-else");
    let another_users = json!({"passkey": authenticator.assertion("Y2hhbGxlbmdl", 0)}).to_string();
    let mut answers = vec![
        json!({"passkey": null}).to_string(),
        json!({"passkey": "text"}).to_string(),
        json!({"passkey": {"id": "AQID"}}).to_string(),
        json!({"passkey": authenticator.assertion("Y2hhbGxlbmdl", 0), "challengeId": "01KAB0ZQ8Y3N6M2F4T7W9XRCDE"}).to_string(),
        json!({"passkey": {"id": "A".repeat(9000)}}).to_string(),
    ];
    answers.push(another_users);
    for passkeys_on in [true, false] {
        let checker = checker_with(passkeys_on.then(relying_party)).await;
        for raw in &answers {
            let request = json!({
                "userAttributes": {"email": "ann@example.com", "sub": sub},
                "challengeAnswer": raw,
                "privateChallengeParameters": {"passkeyChallenge": "Y2hhbGxlbmdl", "passkeyState": "{}"},
                "userNotFound": false,
            });
            let started = Instant::now();
            let answer = handle(
                &checker,
                event("VerifyAuthChallengeResponse_Authentication", request),
                SystemTime::now(),
            )
            .await
            .unwrap();
            assert_eq!(answer["response"]["answerCorrect"], false, "{raw:.80}");
            assert!(started.elapsed() < Duration::from_secs(5), "{raw:.80}");
        }
    }
}

#[tokio::test]
async fn self_sign_up_is_refused_and_nothing_is_auto_verified() {
    let checker = unreachable_checker().await;
    let pre_sign_up = |trigger: &str| {
        let mut e = event(
            trigger,
            json!({"userAttributes": {"email": "ann@example.com"}}),
        );
        e["response"] =
            json!({"autoConfirmUser": false, "autoVerifyEmail": false, "autoVerifyPhone": false});
        e
    };
    let err = handle(&checker, pre_sign_up("PreSignUp_SignUp"), SystemTime::now())
        .await
        .unwrap_err();
    assert!(matches!(err, TriggerError::SignUpRefused(_)), "{err}");
    for trigger in ["PreSignUp_AdminCreateUser", "PreSignUp_ExternalProvider"] {
        let answer = handle(&checker, pre_sign_up(trigger), SystemTime::now())
            .await
            .unwrap();
        assert_eq!(answer["response"]["autoConfirmUser"], false, "{trigger}");
        assert_eq!(answer["response"]["autoVerifyEmail"], false, "{trigger}");
    }
}

#[tokio::test]
async fn foreign_and_broken_events_are_errors() {
    let checker = unreachable_checker().await;
    let err = handle(
        &checker,
        event("CustomMessage_SignUp", json!({})),
        SystemTime::now(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TriggerError::Unsupported(_)), "{err:?}");
    let err = handle(&checker, json!({"request": {}}), SystemTime::now())
        .await
        .unwrap_err();
    assert!(matches!(err, TriggerError::NoTriggerSource), "{err:?}");
    let err = handle(
        &checker,
        event("DefineAuthChallenge_Authentication", json!({"session": 7})),
        SystemTime::now(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TriggerError::Malformed { .. }), "{err:?}");
}

#[tokio::test]
async fn verify_refuses_garbage_and_unknown_users() {
    let checker = unreachable_checker().await;
    for (user_not_found, answer) in [
        (false, json!("not-a-token")),
        (false, json!(42)),
        (false, Value::Null),
        (true, json!("eyJhbGciOiJFUzI1NiJ9.e30.AAAA")),
    ] {
        let request = json!({
            "userAttributes": {"email": "ann@example.com"},
            "privateChallengeParameters": {},
            "challengeAnswer": answer,
            "userNotFound": user_not_found
        });
        let result = handle(
            &checker,
            event("VerifyAuthChallengeResponse_Authentication", request),
            SystemTime::now(),
        )
        .await
        .unwrap();
        assert_eq!(result["response"]["answerCorrect"], false, "{answer}");
    }
}

/// A valid token of the accepted key for `email`, carrying the address
/// fingerprint `ah` when given.
fn token_for(email: &str, ah: Option<String>) -> String {
    let input = magiclink::token::encode_signing_input(
        "k1",
        &magiclink::TokenClaims {
            iss: "magiclink".into(),
            aud: "us-east-1_test/client".into(),
            sub: magiclink::EmailAddress::parse(email).unwrap(),
            jti: ulid::Ulid::generate(),
            iat: 1,
            exp: u64::MAX / 2,
            ah,
            apv: false,
        },
    );
    let signature: Signature = signing_key().sign(input.as_bytes());
    magiclink::token::join_signature(&input, signature.to_der().as_bytes()).unwrap()
}

#[tokio::test]
async fn an_unknown_user_takes_the_same_path_as_a_known_one() {
    let checker = unreachable_checker().await;
    let known = SigningIn {
        email: Some("ann@example.com"),
        sub: Some("4f1c0e1a-7d2b-4e8f-9a41-3c2d1e0f9b8a"),
        audience: "us-east-1_test/client",
        passkey_round: None,
    };
    // As Cognito tells an unknown user: no sub, the address asked for.
    let unknown = SigningIn { sub: None, ..known };
    let code = json!({"challengeId": ulid::Ulid::generate().to_string(), "code": "12345678"});
    for answer in [
        // A link consumes in the store, a code first derives its key: for
        // both, the unknown user goes as far as the known one (here to a
        // dependency that does not answer), not back at once.
        token_for(
            "ann@example.com",
            Some("0123456789abcdef0123456789abcdef".into()),
        ),
        code.to_string(),
        "not-a-token".into(),
    ] {
        let (a, b) = (
            checker.check(known, Some(&answer), SystemTime::now()).await,
            checker
                .check(unknown, Some(&answer), SystemTime::now())
                .await,
        );
        assert_eq!(a.outcome(), b.outcome(), "{answer:.40}");
        assert!(!b.is_correct());
    }
}

#[tokio::test]
async fn unreachable_dependencies_give_a_clean_refusal_well_inside_five_seconds() {
    let checker = unreachable_checker().await;
    // A valid token of the accepted key: consuming it needs the fingerprint
    // key (KMS) and the store (DynamoDB), neither of which answers.
    let token = token_for("ann@example.com", None);
    let request = json!({
        "userAttributes": {"email": "ann@example.com", "sub": "4f1c0e1a-7d2b-4e8f-9a41-3c2d1e0f9b8a"},
        "challengeAnswer": token,
        "userNotFound": false
    });
    let started = Instant::now();
    let result = handle(
        &checker,
        event("VerifyAuthChallengeResponse_Authentication", request),
        SystemTime::now(),
    )
    .await
    .unwrap();
    assert_eq!(result["response"]["answerCorrect"], false);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
}
