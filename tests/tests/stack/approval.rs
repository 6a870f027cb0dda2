//! Cross-device approval against the deployed stack, through the endpoints a
//! browser uses and the emulator's real Cognito: the asking browser sends a
//! binding, polls its challenge with the verifier, the link's holder
//! approves with the number, and the asking browser signs in with its
//! verifier, once; the link and the code are dead from the approval on.
//! Every refusal is a precise 4xx that changes nothing.

use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use magiclink::EmailAddress;
use magiclink::binding::Verifier;
use magiclink::challenge::SignInMethod;
use magiclink::events::{Event, RejectionReason};
use magiclink_tests::{Reply, extend_world, mail_to};
use serde_json::{Value, json};

extend_world!(Approvals);

impl Approvals {
    /// `POST /v1/magic-links` with `binding`.
    async fn ask(&self, email: &EmailAddress, binding: Option<&str>) -> Reply {
        let mut body = json!({"email": email.as_str()});
        if let Some(binding) = binding {
            body["binding"] = json!(binding);
        }
        self.post(String::new(), &body).await
    }

    /// `POST` of the JSON `body` to `/v1/magic-links` followed by `path`.
    async fn post(&self, path: String, body: &Value) -> Reply {
        let response = self
            .http
            .post(format!("{}{path}", self.stack.magic_links_url()))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        Reply::of(response).await
    }

    /// `GET /v1/magic-links/{id}` with `verifier` in the header.
    async fn status(&self, id: &str, verifier: Option<&str>) -> Reply {
        let mut request = self
            .http
            .get(format!("{}/{id}", self.stack.magic_links_url()));
        if let Some(verifier) = verifier {
            request = request.header("x-magiclink-verifier", verifier);
        }
        Reply::of(request.send().await.unwrap()).await
    }

    /// `POST /v1/magic-links/{id}/approval` with `body`.
    async fn approve_with(&self, id: &str, body: &Value) -> Reply {
        self.post(format!("/{id}/approval"), body).await
    }

    async fn approve(&self, id: &str, token: &str, number: u8) -> Reply {
        self.approve_with(id, &json!({"token": token, "number": number}))
            .await
    }
}

/// The answer that signs in with `verifier` for challenge `id`.
fn verifier_answer(id: &str, verifier: &str) -> String {
    json!({"challengeId": id, "verifier": verifier}).to_string()
}

/// A random verifier's text: 43 base64url characters (two ULIDs' worth).
fn random_verifier() -> String {
    let two = format!("{}{}", ulid::Ulid::generate(), ulid::Ulid::generate());
    two[..43].to_owned()
}

#[tokio::test]
async fn the_asking_browser_signs_in_after_the_link_s_holder_approves_with_its_number() {
    let mut w = world().await;
    let ann = w.new_user("approval").await;
    let verifier = random_verifier();
    let binding = Verifier::parse(&verifier).unwrap().binding();
    let asked = w.ask(&ann, Some(&binding.encoded())).await;
    assert_eq!(asked.status, 202, "{:?}", asked.body);
    let id = asked.body["challengeId"].as_str().unwrap().to_owned();

    let waiting = w.status(&id, Some(&verifier)).await;
    assert_eq!(waiting.status, 200);
    assert_eq!(waiting.body["status"], "pending");
    assert!(
        waiting.body["expiresAt"].as_u64().unwrap()
            > magiclink::time::unix_seconds(SystemTime::now())
    );

    // The phone: the mail, its link's token, which says it may approve.
    let mail = mail_to(ann.as_str(), 1, Duration::from_secs(30))
        .await
        .remove(0);
    assert_eq!(mail.challenge_id(), id);
    let token = mail.token();
    assert_eq!(magiclink_tests::jwt_claims(&token)["apv"], true);

    let right = binding.number();
    let wrong = (right + 1) % 100;
    let refused = w.approve(&id, &token, wrong).await;
    assert_eq!((refused.status, refused.code()), (400, "wrong_number"));
    assert_eq!(refused.body["error"]["attemptsLeft"], 2);
    assert_eq!(
        w.status(&id, Some(&verifier)).await.body["status"],
        "pending"
    );

    let approved = w.approve(&id, &token, right).await;
    assert_eq!((approved.status, &approved.body), (204, &Value::Null));
    assert_eq!(
        w.status(&id, Some(&verifier)).await.body["status"],
        "approved"
    );
    let again = w.approve(&id, &token, right).await;
    assert_eq!((again.status, again.code()), (409, "already_approved"));

    // The link and the code no longer sign in anywhere.
    assert!(!w.pool.sign_in(ann.as_str(), &token).await.is_tokens());
    let code = json!({"challengeId": id, "code": mail.code()}).to_string();
    assert!(!w.pool.sign_in(ann.as_str(), &code).await.is_tokens());
    // Nor does another verifier.
    let stranger = verifier_answer(&id, &random_verifier());
    assert!(!w.pool.sign_in(ann.as_str(), &stranger).await.is_tokens());

    // The asking browser signs in with its verifier, once.
    let answer = verifier_answer(&id, &verifier);
    let signed_in = w.pool.sign_in(ann.as_str(), &answer).await;
    assert!(signed_in.is_tokens(), "{signed_in:?}");
    let claims = magiclink_tests::jwt_claims(signed_in.tokens().id_token().unwrap());
    assert_eq!(claims["email"], ann.as_str());
    assert!(
        !w.pool.sign_in(ann.as_str(), &answer).await.is_tokens(),
        "a replay"
    );
    assert_eq!(w.status(&id, Some(&verifier)).await.body["status"], "used");
    let late = w.approve(&id, &token, right).await;
    assert_eq!((late.status, late.code()), (409, "used"));

    // The wrong number, published from the challenge's change, the three
    // refused answers, the success and the replay.
    let events = w.sign_in_events(&ann, 6).await;
    let reasons: Vec<RejectionReason> = events
        .iter()
        .filter_map(|e| match e {
            Event::SignInRejected(r) => Some(r.reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            RejectionReason::WrongNumber,
            RejectionReason::ApprovedElsewhere,
            RejectionReason::ApprovedElsewhere,
            RejectionReason::WrongVerifier,
            RejectionReason::Used,
        ]
    );
    let succeeded: Vec<SignInMethod> = events
        .iter()
        .filter_map(|e| match e {
            Event::SignInSucceeded(s) => Some(s.method),
            _ => None,
        })
        .collect();
    assert_eq!(succeeded, [SignInMethod::Approval]);
    let approved = w
        .tap
        .wait_for(
            1,
            Duration::from_secs(20),
            |e| matches!(e, Event::MagicLinkApproved(a) if a.challenge_id.to_string() == id),
        )
        .await;
    assert_eq!(approved.len(), 1, "one MagicLinkApproved");
}

#[tokio::test]
async fn three_wrong_numbers_burn_the_challenge_for_every_way_in() {
    let w = world().await;
    let ann = w.new_user("approval").await;
    let verifier = random_verifier();
    let binding = Verifier::parse(&verifier).unwrap().binding();
    let (challenge, token) = w
        .links
        .issue_bound(
            &ann,
            SystemTime::now(),
            Duration::from_secs(900),
            Some(binding),
        )
        .await;
    let id = challenge.id.to_string();
    let wrong = (binding.number() + 50) % 100;
    for left in [2, 1, 0] {
        let refused = w.approve(&id, &token, wrong).await;
        assert_eq!((refused.status, refused.code()), (400, "wrong_number"));
        assert_eq!(refused.body["error"]["attemptsLeft"], left);
    }
    let burnt = w.approve(&id, &token, binding.number()).await;
    assert_eq!((burnt.status, burnt.code()), (409, "too_many_attempts"));
    assert_eq!(
        w.status(&id, Some(&verifier)).await.body["status"],
        "revoked"
    );
    assert!(!w.pool.sign_in(ann.as_str(), &token).await.is_tokens());
    let answer = verifier_answer(&id, &verifier);
    assert!(!w.pool.sign_in(ann.as_str(), &answer).await.is_tokens());
}

#[tokio::test]
async fn hostile_approvals_are_refused_precisely_and_change_nothing() {
    let w = world().await;
    let ann = w.new_user("approval").await;
    let verifier = random_verifier();
    let binding = Verifier::parse(&verifier).unwrap().binding();
    let now = SystemTime::now();
    let lifetime = Duration::from_secs(900);
    let (challenge, token) = w
        .links
        .issue_bound(&ann, now, lifetime, Some(binding))
        .await;
    let id = challenge.id.to_string();
    let (_, other_token) = w
        .links
        .issue_bound(&ann, now, lifetime, Some(binding))
        .await;
    let number = binding.number();
    let cases = [
        (
            json!({"token": other_token, "number": number}),
            400,
            "token_mismatch",
        ),
        (
            json!({"token": token, "number": 100}),
            400,
            "invalid_number",
        ),
        (json!({"token": token, "number": -1}), 400, "invalid_number"),
        (
            json!({"token": token, "number": "42"}),
            400,
            "invalid_number",
        ),
        (
            json!({"token": token, "number": 4.2}),
            400,
            "invalid_number",
        ),
        (json!({"token": token}), 400, "invalid_number"),
        (json!({"number": number}), 400, "invalid_token"),
        (json!({"token": 7, "number": number}), 400, "invalid_token"),
        (
            json!({"token": "a.b.c", "number": number}),
            400,
            "invalid_token",
        ),
        (
            json!({"token": "x\r\nx", "number": number}),
            400,
            "invalid_token",
        ),
        (
            json!({"token": "a".repeat(5000), "number": number}),
            400,
            "invalid_token",
        ),
        (json!([token, number]), 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let refused = w.approve_with(&id, &body).await;
        assert_eq!(
            (refused.status, refused.code()),
            (status, code),
            "{body:.80}"
        );
    }
    let not_an_id = w.approve("not-a-ulid", &token, number).await;
    assert_eq!((not_an_id.status, not_an_id.code()), (404, "not_found"));
    // Nothing changed: no wrong number was counted, the challenge is still
    // pending, and the right number approves it at the first try.
    assert_eq!(
        w.status(&id, Some(&verifier)).await.body["status"],
        "pending"
    );
    assert_eq!(w.approve(&id, &token, number).await.status, 204);

    // A challenge asked for without a binding cannot be approved.
    let (unbound, unbound_token) = w.links.issue_bound(&ann, now, lifetime, None).await;
    let refused = w
        .approve(&unbound.id.to_string(), &unbound_token, number)
        .await;
    assert_eq!((refused.status, refused.code()), (400, "not_approvable"));

    // After expiry.
    let (short, short_token) = w
        .links
        .issue_bound(
            &ann,
            SystemTime::now(),
            Duration::from_secs(2),
            Some(binding),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let expired = w.approve(&short.id.to_string(), &short_token, number).await;
    assert_eq!((expired.status, expired.code()), (410, "expired"));
    let status = w.status(&short.id.to_string(), Some(&verifier)).await;
    assert_eq!(status.body["status"], "expired");
}

#[tokio::test]
async fn the_status_tells_nothing_without_the_verifier() {
    let w = world().await;
    let ann = w.new_user("approval").await;
    let verifier = random_verifier();
    let binding = Verifier::parse(&verifier).unwrap().binding();
    let now = SystemTime::now();
    let lifetime = Duration::from_secs(900);
    let (bound, _) = w
        .links
        .issue_bound(&ann, now, lifetime, Some(binding))
        .await;
    let (unbound, _) = w.links.issue_bound(&ann, now, lifetime, None).await;
    let unknown = w
        .status(&ulid::Ulid::generate().to_string(), Some(&verifier))
        .await;
    assert_eq!((unknown.status, unknown.code()), (404, "not_found"));
    for other in [
        w.status(&bound.id.to_string(), Some(&random_verifier()))
            .await,
        w.status(&unbound.id.to_string(), Some(&verifier)).await,
        w.status("not-a-challenge", Some(&verifier)).await,
    ] {
        assert_eq!((other.status, &other.body), (404, &unknown.body));
    }
    for bad in [
        None,
        Some(""),
        Some(&verifier[..42]),
        Some("a b c d e f g h i j k l m n o p q r s t u v"),
    ] {
        let refused = w.status(&bound.id.to_string(), bad).await;
        assert_eq!(
            (refused.status, refused.code()),
            (400, "invalid_verifier"),
            "{bad:?}"
        );
    }
    assert_eq!(
        w.status(&bound.id.to_string(), Some(&verifier)).await.body["status"],
        "pending"
    );
}

#[tokio::test]
async fn a_request_with_a_malformed_binding_is_refused_and_records_nothing() {
    let w = world().await;
    let ann = w.new_user("approval").await;
    for binding in [
        "",
        "short",
        &"A".repeat(44),
        &format!("{}\n", "A".repeat(42)),
        &"A".repeat(300),
    ] {
        let refused = w.ask(&ann, Some(binding)).await;
        assert_eq!(
            (refused.status, refused.code()),
            (400, "invalid_binding"),
            "{binding:?}"
        );
    }
    assert!(
        magiclink_tests::captured_mail()
            .await
            .iter()
            .all(|m| !m.to.iter().any(|to| to == ann.as_str())),
        "no mail for a refused request"
    );
}

#[tokio::test]
async fn an_approval_written_into_the_table_by_anything_but_the_approval_endpoint_signs_nobody_in()
{
    let mut w = world().await;
    let ann = w.new_user("approval").await;
    let verifier = random_verifier();
    let binding = Verifier::parse(&verifier).unwrap().binding();
    // A real approval, for its proof.
    let (real, token) = w
        .links
        .issue_bound(
            &ann,
            SystemTime::now(),
            Duration::from_secs(900),
            Some(binding),
        )
        .await;
    let approved = w
        .approve(&real.id.to_string(), &token, binding.number())
        .await;
    assert_eq!(approved.status, 204);
    let item = w
        .ddb
        .get_item()
        .table_name(w.stack.output("TableName"))
        .key("pk", s(&format!("challenge#{}", real.id)))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let real_proof = (item["approvalKey"].clone(), item["approvalProof"].clone());
    // What a role that may write challenges could write: an approved
    // challenge of Ann's with its own binding, without a proof, with a
    // made-up one, and with the real approval's proof copied onto it.
    let now = magiclink::time::unix_seconds(SystemTime::now());
    let forge = |proof: Option<(AttributeValue, AttributeValue)>| {
        let id = ulid::Ulid::generate();
        let mut item = std::collections::HashMap::from([
            ("pk".to_owned(), s(&format!("challenge#{id}"))),
            ("email".to_owned(), s(ann.as_str())),
            ("redirectUri".to_owned(), s("http://localhost:8000/")),
            ("createdAt".to_owned(), n(now)),
            ("expiresAt".to_owned(), n(now + 600)),
            ("status".to_owned(), s("approved")),
            ("binding".to_owned(), s(&binding.encoded())),
        ]);
        if let Some((key, signature)) = proof {
            item.insert("approvalKey".into(), key);
            item.insert("approvalProof".into(), signature);
        }
        (id, item)
    };
    let made_up = (real_proof.0.clone(), s(&"A".repeat(86)));
    for proof in [None, Some(made_up), Some(real_proof)] {
        let (id, item) = forge(proof);
        w.ddb
            .put_item()
            .table_name(w.stack.output("TableName"))
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
        let answer = verifier_answer(&id.to_string(), &verifier);
        assert!(!w.pool.sign_in(ann.as_str(), &answer).await.is_tokens());
    }
    assert_eq!(
        w.sign_in_events(&ann, 3)
            .await
            .iter()
            .map(|e| match e {
                Event::SignInRejected(r) => r.reason,
                other => panic!("{other:?}"),
            })
            .collect::<Vec<_>>(),
        [RejectionReason::UnprovenApproval; 3]
    );
    // The real approval still signs the asking browser in.
    let answer = verifier_answer(&real.id.to_string(), &verifier);
    assert!(w.pool.sign_in(ann.as_str(), &answer).await.is_tokens());
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
