//! Passkeys against the deployed stack, through the endpoints a browser uses
//! and the emulator's real Cognito, with a software authenticator of the
//! test's own standing in for the browser's: a user signed in by link adds a
//! passkey, then signs in with it by address and without one; every wrong
//! assertion is refused with its reason and no tokens; the endpoints want the
//! user's own access token, and refuse bad input changing nothing; each
//! registration and removal mails its user a notice.

use std::collections::BTreeMap;

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType};
use aws_smithy_types::Blob;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magiclink::EmailAddress;
use magiclink::challenge::SignInMethod;
use magiclink::events::{Event, RejectionReason};
use magiclink_tests::{Answer, Mail, Reply, captured_mail, extend_world, jwt_claims};
use magiclink_webauthn::soft::SoftAuthenticator;
use serde_json::{Value, json};

/// The stack's relying party and page, as `make up` deploys it.
const RP_ID: &str = "localhost";
const ORIGIN: &str = "http://localhost:8000";

/// The browser the test's requests say they come from.
const FIREFOX_ON_LINUX: &str =
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

extend_world!(Passkeys);

/// A signed-in user: their address, `sub` and tokens.
struct User {
    email: EmailAddress,
    sub: String,
    access: String,
    id_token: String,
}

/// A round of `CUSTOM_AUTH`: its session and its passkey challenge.
struct Round {
    session: String,
    challenge: String,
}

impl Passkeys {
    /// A new account, signed in by link.
    async fn signed_in_user(&self) -> User {
        let email = self.new_user("passkey").await;
        let (_, token) = self.links.link(&email).await;
        let tokens = self.pool.sign_in(email.as_str(), &token).await.tokens();
        User {
            sub: self.pool.sub(&email).await,
            access: tokens.access_token().unwrap().to_owned(),
            id_token: tokens.id_token().unwrap().to_owned(),
            email,
        }
    }

    /// A request to `/v1/passkeys` followed by `path`, with `token` as the
    /// bearer token.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, self.stack.api_url(&format!("/v1/passkeys{path}")))
            .header("user-agent", FIREFOX_ON_LINUX);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        Reply::of(request.send().await.unwrap()).await
    }

    async fn registration_options(&self, user: &User) -> Value {
        let options = self
            .call(
                reqwest::Method::POST,
                "/registration-options",
                Some(&user.access),
                None,
            )
            .await;
        assert_eq!(options.status, 200, "{:?}", options.body);
        options.body["publicKey"].clone()
    }

    /// Registers `authenticator`'s credential for `user` under `name`.
    async fn register(&self, user: &User, authenticator: &SoftAuthenticator, name: &str) -> Reply {
        let options = self.registration_options(user).await;
        let credential = authenticator.register(&options);
        self.call(
            reqwest::Method::POST,
            "",
            Some(&user.access),
            Some(&json!({"credential": credential, "name": name})),
        )
        .await
    }

    async fn list(&self, user: &User) -> Vec<Value> {
        let listed = self
            .call(reqwest::Method::GET, "", Some(&user.access), None)
            .await;
        assert_eq!(listed.status, 200, "{:?}", listed.body);
        listed.body["passkeys"].as_array().unwrap().clone()
    }

    /// `InitiateAuth` for `username`: the round's session and the passkey
    /// challenge of its `passkeyOptions`.
    async fn start(&self, username: &str) -> Round {
        let started = self
            .pool
            .idp()
            .initiate_auth()
            .client_id(self.pool.client_id())
            .auth_flow(AuthFlowType::CustomAuth)
            .auth_parameters("USERNAME", username)
            .send()
            .await
            .unwrap();
        assert_eq!(
            started.challenge_name(),
            Some(&ChallengeNameType::CustomChallenge)
        );
        let parameters = started.challenge_parameters().unwrap();
        let options: Value = serde_json::from_str(&parameters["passkeyOptions"]).unwrap();
        Round {
            session: started.session().unwrap().to_owned(),
            challenge: options["challenge"].as_str().unwrap().to_owned(),
        }
    }

    /// A usernameless challenge from `POST /v1/passkeys/sign-in-options`.
    async fn usernameless_challenge(&self) -> String {
        let options = self
            .call(reqwest::Method::POST, "/sign-in-options", None, None)
            .await;
        assert_eq!(options.status, 200, "{:?}", options.body);
        let options = &options.body["publicKey"];
        assert!(
            options.get("allowCredentials").is_none() || options["allowCredentials"] == json!([]),
            "a usernameless challenge names no credential: {options}"
        );
        options["challenge"].as_str().unwrap().to_owned()
    }

    /// Answers `round` for `username` with `assertion`.
    async fn answer(&self, username: &str, round: &Round, assertion: &Value) -> Answer {
        let answer = json!({"passkey": assertion}).to_string();
        self.pool.answer(username, &round.session, &answer).await
    }

    /// A named sign-in of `user` with an assertion that `assert` makes of the
    /// round's challenge.
    async fn sign_in_as(&self, user: &User, assert: impl FnOnce(&str) -> Value) -> Answer {
        let round = self.start(user.email.as_str()).await;
        let assertion = assert(&round.challenge);
        self.answer(user.email.as_str(), &round, &assertion).await
    }

    /// The passkey events of `user` once `count` have arrived.
    async fn passkey_events(&mut self, user: &User, count: usize) -> Vec<Event> {
        let subject = user.email.fingerprint(self.stack.fingerprints());
        let events = self
            .tap
            .wait_for(
                count,
                std::time::Duration::from_secs(20),
                |event| match event {
                    Event::PasskeyRegistered(e) => e.subject_hash == subject,
                    Event::PasskeyRemoved(e) => e.subject_hash == subject,
                    _ => false,
                },
            )
            .await;
        assert_eq!(events.len(), count, "{events:?}");
        events
    }

    /// The notice mailed to `user` under `subject`, once it has come.
    async fn notice(&self, user: &User, subject: &str) -> Mail {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let found = captured_mail()
                .await
                .into_iter()
                .find(|m| m.subject == subject && m.to.iter().any(|to| to == user.email.as_str()));
            if let Some(mail) = found {
                return mail;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no notice {subject:?} came"
            );
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    /// The user's passkeys item, as stored.
    async fn passkeys_item(&self, user: &User) -> String {
        let item = self
            .ddb
            .get_item()
            .table_name(self.stack.output("TableName"))
            .key(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("passkeys#{}", user.sub)),
            )
            .send()
            .await
            .unwrap();
        format!("{:?}", item.item.unwrap())
    }
}

/// An authenticator for `user` on the stack's page.
fn authenticator_of(user: &User, seed: u8) -> SoftAuthenticator {
    SoftAuthenticator::new(seed, RP_ID, ORIGIN, user.sub.as_bytes())
}

/// The rejection reasons of `events`, sorted.
fn reasons(events: &[Event]) -> Vec<String> {
    let mut reasons: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::SignInRejected(e) => Some(e.reason.as_str().to_owned()),
            _ => None,
        })
        .collect();
    reasons.sort();
    reasons
}

#[tokio::test]
async fn a_user_signed_in_by_link_adds_a_passkey_and_signs_in_with_it_with_or_without_an_address() {
    let mut w = world().await;
    let ann = w.signed_in_user().await;
    let mut key = authenticator_of(&ann, 1);

    let options = w.registration_options(&ann).await;
    assert_eq!(options["rp"]["id"], RP_ID);
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(options["user"]["id"].as_str().unwrap())
            .unwrap(),
        ann.sub.as_bytes(),
        "the user handle is the sub: a usernameless assertion names its user"
    );
    assert_eq!(options["user"]["name"], ann.email.as_str());
    assert_eq!(
        options["authenticatorSelection"]["residentKey"], "required",
        "a passkey is discoverable"
    );
    let credential = key.register(&options);
    let added = w
        .call(
            reqwest::Method::POST,
            "",
            Some(&ann.access),
            Some(&json!({"credential": credential, "name": "  Laptop  "})),
        )
        .await;
    assert_eq!(added.status, 201, "{:?}", added.body);
    assert_eq!(added.body["name"], "Laptop");
    assert_eq!(added.body["lastUsedAt"], Value::Null);
    assert_eq!(
        added.body["credentialId"], credential["id"],
        "the WebAuthn credential id, for the browser's Signal API"
    );
    let id = added.body["id"].as_str().unwrap().to_owned();
    assert_eq!(w.list(&ann).await, vec![added.body.clone()]);
    let listing = w
        .call(reqwest::Method::GET, "", Some(&ann.access), None)
        .await;
    assert_eq!(listing.body["rpId"], "localhost");
    let registered = w.passkey_events(&ann, 1).await;
    let Event::PasskeyRegistered(registered) = &registered[0] else {
        panic!("{registered:?}")
    };
    assert_eq!(registered.passkey_id.to_string(), id);
    assert_eq!(registered.event_id, format!("{id}/registered"));
    assert_eq!(registered.sub, ann.sub);
    assert_eq!(
        registered.browser, "Firefox · Linux",
        "named from the User-Agent"
    );
    let notice = w.notice(&ann, "A passkey was added to your account").await;
    for said in ["Laptop", "Firefox · Linux", ann.email.as_str(), " UTC"] {
        assert!(notice.text.contains(said), "{said:?} in {}", notice.text);
    }

    // By address: the round's own challenge.
    let tokens = w
        .sign_in_as(&ann, |challenge| key.assert(challenge))
        .await
        .tokens();
    assert_eq!(jwt_claims(tokens.access_token().unwrap())["sub"], ann.sub);

    // Without one: a challenge from the API, the user from the assertion.
    let challenge = w.usernameless_challenge().await;
    let assertion = key.assert(&challenge);
    let handle = assertion["response"]["userHandle"].as_str().unwrap();
    let sub = String::from_utf8(URL_SAFE_NO_PAD.decode(handle).unwrap()).unwrap();
    assert_eq!(sub, ann.sub);
    let round = w.start(&sub).await;
    let tokens = w.answer(&sub, &round, &assertion).await.tokens();
    assert_eq!(
        jwt_claims(tokens.id_token().unwrap())["email"],
        ann.email.as_str()
    );

    // The usernameless challenge is spent: its assertion again is refused.
    let again = w.start(&sub).await;
    let replayed = w.answer(&sub, &again, &assertion).await;
    assert!(!replayed.is_tokens(), "{replayed:?}");

    let events = w.sign_in_events(&ann.email, 4).await;
    let succeeded: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::SignInSucceeded(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(succeeded.len(), 3, "{events:?}");
    let by_passkey: Vec<_> = succeeded
        .iter()
        .filter(|e| e.method == SignInMethod::Passkey)
        .collect();
    assert_eq!(by_passkey.len(), 2, "{events:?}");
    assert_ne!(by_passkey[0].challenge_id, by_passkey[1].challenge_id);
    assert_eq!(reasons(&events), ["wrong_challenge"]);

    let listed = w.list(&ann).await;
    assert!(listed[0]["lastUsedAt"].as_u64().is_some(), "{listed:?}");
    let item = w.passkeys_item(&ann).await;
    assert!(
        !item.contains(ann.email.as_str()) && !item.contains(&challenge),
        "no address or challenge in the passkeys item: {item}"
    );
}

#[tokio::test]
async fn a_wrong_assertion_is_refused_with_its_reason_and_no_tokens() {
    let mut w = world().await;
    let ann = w.signed_in_user().await;
    let bob = w.signed_in_user().await;
    let mut key = authenticator_of(&ann, 2);
    key.counter = 5;
    assert_eq!(w.register(&ann, &key, "Phone").await.status, 201);
    let bobs = authenticator_of(&bob, 3);
    assert_eq!(w.register(&bob, &bobs, "Bob's").await.status, 201);

    let mut elsewhere = authenticator_of(&ann, 2);
    elsewhere.origin = "http://evil.localhost:8000".into();
    let mut other_rp = authenticator_of(&ann, 2);
    other_rp.rp_id = "example.com".into();
    let mut unverified = authenticator_of(&ann, 2);
    unverified.verifies_user = false;
    let mut forger = authenticator_of(&ann, 9);
    forger.credential_id = key.credential_id.clone();

    type Asserts<'a> = Box<dyn Fn(&str) -> Value + 'a>;
    let wrong: Vec<Asserts> = vec![
        Box::new(|c| elsewhere.assertion(c, 6)),
        Box::new(|c| other_rp.assertion(c, 6)),
        Box::new(|c| unverified.assertion(c, 6)),
        Box::new(|c| forger.assertion(c, 6)),
        Box::new(|c| key.assertion(c, 4)),
        Box::new(|c| bobs.assertion(c, 1)),
        Box::new(|c| {
            let mut without_handle = bobs.assertion(c, 1);
            without_handle["response"]
                .as_object_mut()
                .unwrap()
                .remove("userHandle");
            without_handle
        }),
        Box::new(|_| key.assertion("b3RoZXIgY2hhbGxlbmdl", 6)),
        Box::new(|c| {
            let mut tampered = key.assertion(c, 6);
            tampered["response"]["clientDataJSON"] = json!("e30");
            tampered
        }),
    ];
    for assert in &wrong {
        let answer = w.sign_in_as(&ann, assert).await;
        assert!(!answer.is_tokens(), "{answer:?}");
    }
    let refused = wrong.len();
    drop(wrong);

    // A good one still signs in, once; the same counter again is a clone's.
    let tokens = w.sign_in_as(&ann, |c| key.assertion(c, 6)).await;
    assert!(tokens.is_tokens(), "{tokens:?}");
    let again = w.sign_in_as(&ann, |c| key.assertion(c, 6)).await;
    assert!(!again.is_tokens(), "{again:?}");

    // The link's sign-in, the refusals, the good one and its clone.
    let events = w.sign_in_events(&ann.email, 1 + refused + 2).await;
    assert_eq!(
        reasons(&events),
        [
            "bad_signature",
            "counter_regressed",
            "counter_regressed",
            "malformed",
            "unknown_passkey",
            "user_not_verified",
            "wrong_challenge",
            "wrong_origin",
            "wrong_rp_id",
            "wrong_user",
        ]
    );
    assert!(
        events.iter().any(|e| matches!(e,
            Event::SignInRejected(r) if r.reason == RejectionReason::WrongUser)),
        "another user's passkey is refused as such"
    );
}

/// A JWT with `claims` and no valid signature.
fn forged(claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.{}",
        part(&json!({"alg": "RS256", "kid": "forged"})),
        part(claims),
        URL_SAFE_NO_PAD.encode([7u8; 256])
    )
}

#[tokio::test]
async fn the_endpoints_want_the_user_s_own_access_token() {
    let w = world().await;
    let ann = w.signed_in_user().await;
    let bob = w.signed_in_user().await;
    let mut ann_claims = jwt_claims(&ann.access);
    let forged_ann = forged(&ann_claims);
    ann_claims["exp"] = json!(1);

    for token in [
        None,
        Some(""),
        Some("not-a-jwt"),
        Some(forged_ann.as_str()),
        Some(ann.id_token.as_str()),
    ] {
        for (method, path) in [
            (reqwest::Method::GET, ""),
            (reqwest::Method::POST, "/registration-options"),
            (reqwest::Method::DELETE, "/01J00000000000000000000000"),
        ] {
            let answer = w.call(method.clone(), path, token, None).await;
            assert_eq!(answer.status, 401, "{method} {path} {token:?}: {answer:?}");
        }
    }
    // The sign-in options need no token.
    assert_eq!(
        w.call(reqwest::Method::POST, "/sign-in-options", None, None)
            .await
            .status,
        200
    );

    // The handler's own check, without the authorizer before it.
    let invoke = async |token: &str, authorizer_sub: &str| {
        let event = json!({
            "version": "2.0",
            "routeKey": "GET /v1/passkeys",
            "rawPath": "/v1/passkeys",
            "rawQueryString": "",
            "headers": {"authorization": format!("Bearer {token}")},
            "requestContext": {
                "accountId": "000000000000",
                "apiId": "test",
                "domainName": "test",
                "domainPrefix": "test",
                "http": {"method": "GET", "path": "/v1/passkeys", "protocol": "HTTP/1.1",
                         "sourceIp": "192.0.2.1", "userAgent": "test"},
                "requestId": "test",
                "routeKey": "GET /v1/passkeys",
                "stage": "$default",
                "time": "21/Nov/2026:10:00:00 +0000",
                "timeEpoch": 0,
                "authorizer": {"jwt": {"claims": {"sub": authorizer_sub}, "scopes": null}},
            },
            "isBase64Encoded": false,
        });
        let output = aws_sdk_lambda::Client::new(&w.config)
            .invoke()
            .function_name(w.stack.function_name("passkeys"))
            .payload(Blob::new(event.to_string()))
            .send()
            .await
            .unwrap();
        assert_eq!(output.function_error, None);
        let answer: Value = serde_json::from_slice(output.payload.unwrap().as_ref()).unwrap();
        answer["statusCode"].as_u64().unwrap()
    };
    assert_eq!(invoke(&ann.access, &ann.sub).await, 200);
    assert_eq!(invoke(&forged(&ann_claims), &ann.sub).await, 401, "expired");
    assert_eq!(invoke(&ann.id_token, &ann.sub).await, 401, "an ID token");
    assert_eq!(
        invoke(&ann.access, &bob.sub).await,
        401,
        "another user's claim"
    );
    let mut other_client = jwt_claims(&ann.access);
    other_client["client_id"] = json!("another-client");
    assert_eq!(
        invoke(&forged(&other_client), &ann.sub).await,
        401,
        "another client"
    );

    // The signature (and revocation) is Cognito's to check, in GetUser. The
    // emulator's GetUser (without its AUTH=true) checks neither: it finds the
    // user by the token's `sub` (see the README). Through the API the
    // authorizer refuses the forged token above; this pins the deviation.
    let deviation = w
        .pool
        .idp()
        .get_user()
        .access_token(&forged_ann)
        .send()
        .await;
    assert!(
        deviation.is_ok(),
        "the emulator's GetUser now checks signatures: expect 401 for a forged token from the handler too"
    );
}

#[tokio::test]
async fn registration_and_removal_refuse_bad_input_and_change_nothing() {
    let mut w = world().await;
    let ann = w.signed_in_user().await;
    let bob = w.signed_in_user().await;
    let key = authenticator_of(&ann, 4);
    let post = |body: &str, content_type: &str| {
        w.http
            .post(w.stack.api_url("/v1/passkeys"))
            .header("authorization", format!("Bearer {}", ann.access))
            .header("content-type", content_type.to_owned())
            .body(body.to_owned())
    };

    // Before any options: nothing to answer.
    let credential = key.register(&json!({"challenge": "AAAA"}));
    let early = w
        .call(
            reqwest::Method::POST,
            "",
            Some(&ann.access),
            Some(&json!({"credential": credential})),
        )
        .await;
    assert_eq!((early.status, early.code()), (409, "no_registration"));

    let options = w.registration_options(&ann).await;
    let credential = key.register(&options);
    let mut elsewhere = authenticator_of(&ann, 4);
    elsewhere.origin = "https://evil.example".into();
    let mut cases: BTreeMap<&str, (reqwest::RequestBuilder, u16, &str)> = BTreeMap::new();
    let good = json!({"credential": credential}).to_string();
    cases.insert(
        "text",
        (post(&good, "text/plain"), 415, "unsupported_media_type"),
    );
    cases.insert(
        "huge",
        (
            post(&"x".repeat(17 * 1024), "application/json"),
            413,
            "payload_too_large",
        ),
    );
    cases.insert(
        "not json",
        (post("{", "application/json"), 400, "invalid_json"),
    );
    cases.insert(
        "array",
        (post("[]", "application/json"), 400, "invalid_json"),
    );
    cases.insert(
        "control name",
        (
            post(
                &json!({"credential": credential, "name": "a\u{1b}[31m"}).to_string(),
                "application/json",
            ),
            400,
            "invalid_name",
        ),
    );
    cases.insert(
        "long name",
        (
            post(
                &json!({"credential": credential, "name": "n".repeat(65)}).to_string(),
                "application/json",
            ),
            400,
            "invalid_name",
        ),
    );
    cases.insert(
        "garbage",
        (
            post(
                &json!({"credential": {"id": 7}}).to_string(),
                "application/json",
            ),
            400,
            "invalid_credential",
        ),
    );
    cases.insert(
        "wrong origin",
        (
            post(
                &json!({"credential": elsewhere.register(&options)}).to_string(),
                "application/json",
            ),
            400,
            "invalid_credential",
        ),
    );
    let mut big = credential.clone();
    big["response"]["attestationObject"] = json!("A".repeat(14 * 1024));
    cases.insert(
        "huge attestation",
        (
            post(&json!({"credential": big}).to_string(), "application/json"),
            400,
            "invalid_credential",
        ),
    );
    for (case, (request, status, code)) in cases {
        let answer = Reply::of(request.send().await.unwrap()).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{case}: {answer:?}"
        );
    }
    assert!(w.list(&ann).await.is_empty(), "nothing was registered");

    // The options survive refused answers; the good one registers once.
    let added = w
        .call(
            reqwest::Method::POST,
            "",
            Some(&ann.access),
            Some(&json!({"credential": credential})),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    assert_eq!(added.body["name"], "Passkey");
    let id = added.body["id"].as_str().unwrap().to_owned();
    let twice = w.register(&ann, &key, "Again").await;
    assert_eq!((twice.status, twice.code()), (409, "already_registered"));

    // Removal: only one's own, by its id.
    for path in ["/not-an-id", "/01J00000000000000000000000", "/%00"] {
        let answer = w
            .call(reqwest::Method::DELETE, path, Some(&ann.access), None)
            .await;
        assert_eq!((answer.status, answer.code()), (404, "not_found"), "{path}");
    }
    let bobs = w
        .call(
            reqwest::Method::DELETE,
            &format!("/{id}"),
            Some(&bob.access),
            None,
        )
        .await;
    assert_eq!(bobs.status, 404, "{bobs:?}");
    assert_eq!(w.list(&ann).await.len(), 1);
    let removed = w
        .call(
            reqwest::Method::DELETE,
            &format!("/{id}"),
            Some(&ann.access),
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{removed:?}");
    assert!(w.list(&ann).await.is_empty());
    let gone = w
        .call(
            reqwest::Method::DELETE,
            &format!("/{id}"),
            Some(&ann.access),
            None,
        )
        .await;
    assert_eq!(gone.status, 404);

    let events = w.passkey_events(&ann, 2).await;
    assert!(
        matches!(&events[..], [Event::PasskeyRegistered(a), Event::PasskeyRemoved(b)]
        if a.passkey_id.to_string() == id && b.passkey_id.to_string() == id
            && b.event_id == format!("{id}/removed")),
        "{events:?}"
    );
    let notice = w
        .notice(&ann, "A passkey was removed from your account")
        .await;
    assert!(notice.text.contains("Firefox · Linux"), "{}", notice.text);

    // A removed passkey signs no one in.
    let mut key = key;
    let answer = w.sign_in_as(&ann, |c| key.assert(c)).await;
    assert!(!answer.is_tokens(), "{answer:?}");
    let events = w.sign_in_events(&ann.email, 2).await;
    assert_eq!(
        reasons(&events),
        ["unknown_passkey"],
        "after the link's sign-in"
    );
}

#[tokio::test]
async fn a_user_holds_at_most_ten_passkeys() {
    let w = world().await;
    let ann = w.signed_in_user().await;
    for seed in 10..20 {
        let added = w
            .register(&ann, &authenticator_of(&ann, seed), &format!("Key {seed}"))
            .await;
        assert_eq!(added.status, 201, "{seed}: {added:?}");
    }
    let options = w
        .call(
            reqwest::Method::POST,
            "/registration-options",
            Some(&ann.access),
            None,
        )
        .await;
    assert_eq!(
        (options.status, options.code()),
        (409, "too_many_passkeys"),
        "{options:?}"
    );
    let listed = w.list(&ann).await;
    assert_eq!(listed.len(), 10);
    let names: Vec<_> = listed.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "Key 10", "listed in the order added");
}
