//! The request handler against its contract, without AWS: every status and
//! error code, a table of hostile bodies, and the OpenAPI document checked
//! against what the handler really answers.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use magiclink::admission::Counter;
use magiclink::aws::CallError;
use magiclink::binding::Verifier;
use magiclink::challenge::{Approval, ApprovalError, Challenge, ChallengeStatus, Delivery};
use magiclink::config::{Env, SignUpMode};
use magiclink::email::EmailAddress;
use magiclink::fingerprint::Fingerprints;
use magiclink::rate_limit::{Decision, Limit};
use magiclink::token::{PublicKeys, TokenClaims, encode_signing_input, join_signature};
use magiclink_http::Answer;
use magiclink_request::api;
use magiclink_request::approval::{self, Asked};
use magiclink_request::backend::{Approvals, Backend};
use magiclink_request::config::RequestConfig;
use magiclink_request::handler::{Inbound, handle};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{Value, json};
use ulid::Ulid;

/// A backend that records what the handler did and fails where told to. Its
/// admission is all or nothing, as the real transaction is (that, and the
/// waiver, are tested against DynamoDB in the tests crate).
#[derive(Default)]
struct Fake {
    limited_scope: Option<&'static str>,
    kms_down: bool,
    store_down: bool,
    admitted: Mutex<Vec<String>>,
    counters: Mutex<Vec<Counter>>,
    created: Mutex<Vec<Challenge>>,
    /// The challenge the status and approval endpoints find, and whether it
    /// was revoked.
    stored: Option<(Challenge, bool)>,
    /// What the store answers an approval.
    approval: Option<fn() -> Result<Approval, ApprovalError>>,
    /// How often the user's watermark was read.
    watermark_reads: AtomicUsize,
    /// The approvals asked of the store: id, address, number.
    approvals: Mutex<Vec<(Ulid, String, u8)>>,
}

fn keys() -> Fingerprints {
    Fingerprints::from_key(b"test key")
}

fn outage(operation: &'static str) -> CallError {
    CallError {
        operation,
        message: "connection refused".into(),
        transient: true,
    }
}

impl Backend for Fake {
    async fn admit(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        _now: SystemTime,
    ) -> Result<Decision, CallError> {
        if self.store_down {
            return Err(outage("DynamoDB TransactWriteItems"));
        }
        self.admitted
            .lock()
            .unwrap()
            .extend(counters.iter().map(|c| c.scope.to_owned()));
        self.counters.lock().unwrap().extend_from_slice(counters);
        let refused = counters.iter().any(|c| self.limited_scope == Some(c.scope));
        if refused {
            return Ok(Decision::Limited {
                retry_after: Duration::from_secs(27),
            });
        }
        self.created.lock().unwrap().push(challenge.clone());
        Ok(Decision::Admitted)
    }

    async fn fingerprints(&self) -> Result<Fingerprints, CallError> {
        if self.kms_down {
            return Err(outage("KMS GenerateMac"));
        }
        Ok(keys())
    }
}

impl Approvals for Fake {
    async fn count_client(
        &self,
        client: &str,
        _limit: Limit,
        _now: SystemTime,
    ) -> Result<Decision, CallError> {
        assert_eq!(client, keys().of("203.0.113.9"), "counted by fingerprint");
        self.admitted.lock().unwrap().push("status-ip".into());
        if self.limited_scope == Some("status-ip") {
            return Ok(Decision::Limited {
                retry_after: Duration::from_secs(27),
            });
        }
        Ok(Decision::Admitted)
    }

    async fn find(&self, id: Ulid) -> Result<Option<Challenge>, CallError> {
        if self.store_down {
            return Err(outage("DynamoDB GetItem"));
        }
        Ok(self.stored.clone().map(|(c, _)| c).filter(|c| c.id == id))
    }

    async fn is_revoked(&self, challenge: &Challenge) -> Result<bool, CallError> {
        let (stored, revoked) = self.stored.as_ref().unwrap();
        assert_eq!(stored.id, challenge.id);
        self.watermark_reads.fetch_add(1, Ordering::Relaxed);
        Ok(*revoked)
    }

    async fn approve(
        &self,
        id: Ulid,
        email: &EmailAddress,
        number: u8,
        _now: SystemTime,
    ) -> Result<Approval, ApprovalError> {
        self.approvals
            .lock()
            .unwrap()
            .push((id, email.as_str().to_owned(), number));
        if self.store_down {
            return Err(ApprovalError::Store(outage("DynamoDB GetItem")));
        }
        self.approval
            .map_or(Ok(Approval::Approved), |answer| answer())
    }
}

fn config() -> RequestConfig {
    config_in(SignUpMode::Open)
}

fn config_in(mode: SignUpMode) -> RequestConfig {
    let mode = match mode {
        SignUpMode::Open => "open",
        SignUpMode::Existing => "existing",
    };
    RequestConfig::from_env(&Env::from_pairs([
        ("SIGNUP_MODE", mode),
        ("TABLE_NAME", "t"),
        ("EVENT_BUS_NAME", "b"),
        ("FINGERPRINT_KEY_ID", "fingerprint-key"),
        (
            "ALLOWED_REDIRECT_URIS",
            "https://app.example.com/auth/*,http://localhost:8080/",
        ),
        (
            "DEFAULT_REDIRECT_URI",
            "https://app.example.com/auth/callback",
        ),
        ("ACCEPTED_PUBLIC_KEYS", &signing_key_set()),
        ("USER_POOL_ID", "pool"),
        ("USER_POOL_CLIENT_ID", "client"),
        ("APPROVAL_KEY_ID", "approval-key"),
    ]))
    .unwrap()
}

/// The links' signing key of these tests.
fn signing_key() -> SigningKey {
    SigningKey::from_slice(&[7; 32]).unwrap()
}

fn signing_key_set() -> String {
    let mut keys = PublicKeys::default();
    keys.insert("k1".into(), *signing_key().verifying_key())
        .unwrap();
    keys.to_jwks()
}

async fn call_with(backend: &Fake, content_type: Option<&str>, body: &[u8]) -> Answer {
    let inbound = Inbound {
        content_type,
        body,
        source_ip: Some("203.0.113.9"),
    };
    Answer::of(
        handle(backend, &config(), inbound, SystemTime::now()).await,
        api::accepted,
    )
}

async fn call(body: &[u8]) -> Answer {
    call_with(&Fake::default(), Some("application/json"), body).await
}

fn error_code(response: &Answer) -> String {
    let body: Value = serde_json::from_str(&response.body).unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn header<'a>(response: &'a Answer, name: &str) -> Option<&'a str> {
    response.header(name)
}

#[tokio::test]
async fn a_valid_request_is_accepted_and_recorded_with_its_counters() {
    let backend = Fake::default();
    let response = call_with(
        &backend,
        Some("application/json; charset=utf-8"),
        br#"{"email":" Ann@Example.com ","redirectUri":"https://app.example.com/auth/cb","extra":[1,2]}"#,
    )
    .await;
    assert_eq!(response.status, 202);
    let body: Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(
        *backend.admitted.lock().unwrap(),
        ["ip", "email-burst", "email", "mailbox"]
    );
    let created = backend.created.lock().unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(
        body,
        json!({"status": "accepted", "challengeId": created[0].id.to_string()})
    );
    assert_eq!(created[0].email.as_str(), "ann@example.com");
    assert_eq!(created[0].redirect_uri, "https://app.example.com/auth/cb");
    assert_eq!(created[0].expires_at - created[0].created_at, 900);
    let counters = backend.counters.lock().unwrap();
    let subject = created[0].email.fingerprint(&keys());
    assert_eq!(counters[0].key, keys().of("203.0.113.9"));
    assert!(counters[1..3].iter().all(|c| c.key == subject));
}

#[tokio::test]
async fn a_missing_or_null_redirect_uses_the_default() {
    for body in [
        &br#"{"email":"ann@example.com"}"#[..],
        br#"{"email":"ann@example.com","redirectUri":null}"#,
    ] {
        let backend = Fake::default();
        let response = call_with(&backend, Some("application/json"), body).await;
        assert_eq!(response.status, 202);
        assert_eq!(
            backend.created.lock().unwrap()[0].redirect_uri,
            "https://app.example.com/auth/callback"
        );
    }
}

#[tokio::test]
async fn every_rate_limit_gives_the_same_429_with_retry_after() {
    let mut answers = Vec::new();
    for scope in ["ip", "email-burst", "email", "mailbox"] {
        let backend = Fake {
            limited_scope: Some(scope),
            ..Fake::default()
        };
        let response = call_with(
            &backend,
            Some("application/json"),
            br#"{"email":"ann@example.com"}"#,
        )
        .await;
        assert_eq!(response.status, 429, "{scope}");
        assert_eq!(error_code(&response), "rate_limited");
        assert_eq!(header(&response, "retry-after"), Some("27"));
        assert!(
            backend.created.lock().unwrap().is_empty(),
            "nothing recorded when limited"
        );
        answers.push(response);
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "the limits are indistinguishable"
    );
}

#[tokio::test]
async fn only_the_mailbox_limit_holds_instead_of_refusing() {
    let backend = Fake::default();
    let response = call_with(
        &backend,
        Some("application/json"),
        br#"{"email":"V.ictim+1@Gmail.com"}"#,
    )
    .await;
    assert_eq!(response.status, 202);
    let counters = backend.counters.lock().unwrap();
    for counter in counters.iter() {
        assert_eq!(
            counter.holds,
            counter.scope == "mailbox",
            "{}",
            counter.scope
        );
    }
    let mailbox = counters.iter().find(|c| c.scope == "mailbox").unwrap();
    assert_eq!(
        mailbox.key,
        keys().of("victim@gmail.com"),
        "one key per mailbox"
    );
    assert_eq!(mailbox.limit.max, 10);
}

#[tokio::test]
async fn dependency_failures_answer_503_and_send_nothing() {
    for backend in [
        Fake {
            store_down: true,
            ..Fake::default()
        },
        Fake {
            kms_down: true,
            ..Fake::default()
        },
    ] {
        let response = call_with(
            &backend,
            Some("application/json"),
            br#"{"email":"ann@example.com"}"#,
        )
        .await;
        assert_eq!(response.status, 503);
        assert_eq!(error_code(&response), "unavailable");
        assert!(
            backend.created.lock().unwrap().is_empty(),
            "no challenge, so no event and no mail"
        );
    }
}

#[tokio::test]
async fn hostile_bodies_get_their_precise_4xx() {
    let megabyte = format!(
        r#"{{"email":"ann@example.com","pad":"{}"}}"#,
        "x".repeat(1 << 20)
    );
    let just_over = format!(
        r#"{{"email":"ann@example.com","pad":"{}"}}"#,
        "x".repeat(16 * 1024)
    );
    let long_email = format!(r#"{{"email":"{}@example.com"}}"#, "a".repeat(300));
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("CRLF in the address", br#"{"email":"ann@example.com\r\nBcc: all@example.com"}"#.to_vec(), 400, "invalid_email"),
        ("LF at the end", br#"{"email":"ann@example.com\n"}"#.to_vec(), 400, "invalid_email"),
        ("NUL in the address", br#"{"email":"ann\u0000@example.com"}"#.to_vec(), 400, "invalid_email"),
        ("300-character address", long_email.into_bytes(), 400, "invalid_email"),
        ("Cyrillic homoglyph", "{\"email\":\"ann@\u{0430}pple.com\"}".into(), 400, "invalid_email"),
        ("right-to-left override", "{\"email\":\"ann\u{202e}@example.com\"}".into(), 400, "invalid_email"),
        ("fullwidth at sign", "{\"email\":\"ann\u{ff20}example.com\"}".into(), 400, "invalid_email"),
        ("two addresses", br#"{"email":"ann@example.com,bob@example.com"}"#.to_vec(), 400, "invalid_email"),
        ("empty address", br#"{"email":""}"#.to_vec(), 400, "invalid_email"),
        ("null address", br#"{"email":null}"#.to_vec(), 400, "invalid_email"),
        ("number for address", br#"{"email":42}"#.to_vec(), 400, "invalid_email"),
        ("nested object for address", br#"{"email":{"$gt":""}}"#.to_vec(), 400, "invalid_email"),
        ("array for address", br#"{"email":["ann@example.com"]}"#.to_vec(), 400, "invalid_email"),
        ("no address", br#"{"redirectUri":"https://app.example.com/auth"}"#.to_vec(), 400, "invalid_email"),
        ("javascript: redirect", br#"{"email":"ann@example.com","redirectUri":"javascript:alert(1)"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("scheme-relative redirect", br#"{"email":"ann@example.com","redirectUri":"//evil.example/auth"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("foreign host", br#"{"email":"ann@example.com","redirectUri":"https://evil.example/auth"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("look-alike host", br#"{"email":"ann@example.com","redirectUri":"https://app.example.com.evil.example/auth"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("user info", br#"{"email":"ann@example.com","redirectUri":"https://app.example.com@evil.example/auth"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("fragment in redirect", br#"{"email":"ann@example.com","redirectUri":"https://app.example.com/auth/x#x"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("query in redirect", br#"{"email":"ann@example.com","redirectUri":"http://localhost:8080/?next=https://evil.example/"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("path below an exact entry", br#"{"email":"ann@example.com","redirectUri":"http://localhost:8080/deeper"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("plain http off loopback", br#"{"email":"ann@example.com","redirectUri":"http://app.example.com/auth/x"}"#.to_vec(), 400, "redirect_not_allowed"),
        ("number for redirect", br#"{"email":"ann@example.com","redirectUri":7}"#.to_vec(), 400, "redirect_not_allowed"),
        ("empty body", Vec::new(), 400, "invalid_json"),
        ("truncated JSON", br#"{"email":"ann@exa"#.to_vec(), 400, "invalid_json"),
        ("array body", br#"["ann@example.com"]"#.to_vec(), 400, "invalid_json"),
        ("null body", b"null".to_vec(), 400, "invalid_json"),
        ("string body", br#""ann@example.com""#.to_vec(), 400, "invalid_json"),
        ("deeply nested arrays", deep.into_bytes(), 400, "invalid_json"),
        ("invalid UTF-8", b"{\"email\":\"ann\xff@example.com\"}".to_vec(), 400, "invalid_json"),
        ("byte order mark", b"\xef\xbb\xbf{\"email\":\"ann@example.com\"}".to_vec(), 400, "invalid_json"),
        ("1 MiB body", megabyte.into_bytes(), 413, "payload_too_large"),
        ("just over 16 KiB", just_over.into_bytes(), 413, "payload_too_large"),
    ];
    assert!(cases.len() >= 25);
    for (name, body, status, code) in cases {
        let response = call(&body).await;
        assert_eq!(
            (response.status, error_code(&response).as_str()),
            (status, code),
            "{name}"
        );
        let message: Value = serde_json::from_str(&response.body).unwrap();
        assert!(
            !message["error"]["message"].as_str().unwrap().is_empty(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn missing_and_mistyped_fields_are_named() {
    for (body, field) in [
        (&br#"{}"#[..], "\"email\" is required"),
        (br#"{"email":1}"#, "\"email\" must be a string"),
        (
            br#"{"email":"a@b.co","redirectUri":false}"#,
            "\"redirectUri\" must be a string",
        ),
    ] {
        let response = call(body).await;
        assert!(
            response.body.contains(&field.replace('"', "\\\"")),
            "{}",
            response.body
        );
    }
}

#[tokio::test]
async fn other_content_types_get_415() {
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonp"),
    ] {
        let response = call_with(
            &Fake::default(),
            content_type,
            br#"{"email":"ann@example.com"}"#,
        )
        .await;
        assert_eq!(response.status, 415, "{content_type:?}");
        assert_eq!(error_code(&response), "unsupported_media_type");
    }
}

fn openapi() -> Value {
    let path = format!(
        "{}/../../api/openapi.json",
        std::env::var("CARGO_MANIFEST_DIR").unwrap()
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A response's documented body schema, with the document's components in
/// reach of its `$ref`s.
fn documented_schema(doc: &Value, status: u16) -> jsonschema::Validator {
    schema_of(doc, "/v1/magic-links", "post", status)
}

/// The documented body schema of `method` `path`'s `status` answer.
fn schema_of(doc: &Value, path: &str, method: &str, status: u16) -> jsonschema::Validator {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    let mut schema = response["content"]["application/json"]["schema"].clone();
    schema["components"] = doc["components"].clone();
    jsonschema::validator_for(&schema).unwrap()
}

#[tokio::test]
async fn the_openapi_document_matches_the_handler() {
    let doc = openapi();
    let responses = doc["paths"]["/v1/magic-links"]["post"]["responses"]
        .as_object()
        .unwrap();
    let documented: BTreeSet<u16> = responses.keys().map(|k| k.parse().unwrap()).collect();

    let email = br#"{"email":"ann@example.com"}"#;
    let mut answers = vec![
        call(email).await,
        call(b"{").await,
        call(br#"{"email":"nope"}"#).await,
        call(br#"{"email":"ann@example.com","redirectUri":"https://evil.example/"}"#).await,
        call(&vec![b' '; 20_000]).await,
        call_with(&Fake::default(), Some("text/plain"), email).await,
        call_with(
            &Fake {
                limited_scope: Some("email"),
                ..Fake::default()
            },
            Some("application/json"),
            email,
        )
        .await,
        call_with(
            &Fake {
                store_down: true,
                ..Fake::default()
            },
            Some("application/json"),
            email,
        )
        .await,
    ];
    let produced: BTreeSet<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(
        produced, documented,
        "every documented status is produced, and no other"
    );

    for answer in answers.drain(..) {
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        let errors: Vec<String> = documented_schema(&doc, answer.status)
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", answer.status);
        let documented_headers = responses[&answer.status.to_string()]["headers"]
            .as_object()
            .map(|h| h.keys().map(|k| k.to_ascii_lowercase()).collect::<Vec<_>>())
            .unwrap_or_default();
        for name in documented_headers {
            assert!(
                header(&answer, &name).is_some(),
                "{} lacks {name}",
                answer.status
            );
        }
    }
}

// ------------------------------------------------- cross-device approval

/// RFC 7636's example verifier: its binding's number is 75.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn ann() -> EmailAddress {
    EmailAddress::parse("ann@example.com").unwrap()
}

/// A mailed challenge of Ann's, asked for with [`VERIFIER`]'s binding.
fn bound_challenge() -> Challenge {
    let binding = Verifier::parse(VERIFIER).unwrap().binding();
    Challenge {
        status: ChallengeStatus::Mailed,
        ..Challenge::new(
            ann(),
            "https://app.example.com/auth/cb".into(),
            SystemTime::now(),
            Duration::from_secs(900),
        )
        .with_binding(Some(binding))
    }
}

fn with_stored(challenge: Challenge, revoked: bool) -> Fake {
    Fake {
        stored: Some((challenge, revoked)),
        ..Fake::default()
    }
}

/// A link token for `challenge`, signed with `key`, `aud`, living until `exp`.
fn token_with(key: &SigningKey, challenge: &Challenge, aud: &str, exp: u64) -> String {
    let claims = TokenClaims {
        iss: "magiclink".into(),
        aud: aud.into(),
        sub: challenge.email.clone(),
        jti: challenge.id,
        iat: challenge.created_at,
        exp,
        ah: None,
        apv: true,
    };
    let input = encode_signing_input("k1", &claims);
    let signature: Signature = key.sign(input.as_bytes());
    join_signature(&input, signature.to_der().as_bytes()).unwrap()
}

fn token_of(challenge: &Challenge) -> String {
    token_with(
        &signing_key(),
        challenge,
        "pool/client",
        challenge.expires_at,
    )
}

fn asked(id: &str) -> Asked<'_> {
    Asked {
        challenge_id: Some(id),
        source_ip: Some("203.0.113.9"),
    }
}

async fn ask_status(backend: &Fake, id: &str, verifier: Option<&str>) -> Answer {
    let config = config();
    let status = approval::status(
        backend,
        &config.approval,
        asked(id),
        verifier,
        SystemTime::now(),
    );
    Answer::of(status.await, api::status)
}

async fn ask_approval(backend: &Fake, id: &str, content_type: &str, body: &[u8]) -> Answer {
    let config = config();
    let (asked, content_type, now) = (asked(id), Some(content_type), SystemTime::now());
    let approval = approval::approve(backend, &config.approval, asked, content_type, body, now);
    Answer::of(approval.await, |()| api::approved())
}

fn approval_body(token: &str, number: Value) -> Vec<u8> {
    json!({"token": token, "number": number})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn a_locale_is_kept_on_the_challenge_and_anything_else_ignored_alike() {
    let backend = Fake::default();
    let body = json!({"email": "ann@example.com", "locale": "de_AT"}).to_string();
    let response = call_with(&backend, Some("application/json"), body.as_bytes()).await;
    assert_eq!(response.status, 202);
    assert_eq!(
        backend.created.lock().unwrap()[0]
            .locale
            .as_ref()
            .map(|l| l.as_str().to_owned()),
        Some("de-at".to_owned())
    );
    let answer_shape = |response: &Answer| {
        let mut body: Value = serde_json::from_str(&response.body).unwrap();
        body["challengeId"] = "<id>".into();
        (response.status, body, response.headers.clone())
    };
    let plain = call_with(
        &Fake::default(),
        Some("application/json"),
        json!({"email": "ann@example.com"}).to_string().as_bytes(),
    )
    .await;
    for odd in [
        json!("de\r\nBcc: mallory@example.com"),
        json!("x".repeat(300)),
        json!("klingon-of-the-galaxy-far-away-too-long"),
        json!("tlh"),
        json!(""),
        json!("\u{0}"),
        json!(42),
        json!(["de"]),
        json!({"de": true}),
        json!(null),
    ] {
        let backend = Fake::default();
        let body = json!({"email": "ann@example.com", "locale": odd}).to_string();
        let response = call_with(&backend, Some("application/json"), body.as_bytes()).await;
        assert_eq!(answer_shape(&response), answer_shape(&plain), "{odd}");
        let locale = backend.created.lock().unwrap()[0].locale.clone();
        assert!(
            locale.as_ref().is_none_or(|l| l.as_str() == "tlh"),
            "{odd}: {locale:?}"
        );
    }
}

#[tokio::test]
async fn a_binding_is_kept_on_the_challenge_and_a_bad_one_refused() {
    let binding = Verifier::parse(VERIFIER).unwrap().binding();
    let backend = Fake::default();
    let body = json!({"email": "ann@example.com", "binding": binding.encoded()}).to_string();
    let response = call_with(&backend, Some("application/json"), body.as_bytes()).await;
    assert_eq!(response.status, 202);
    assert_eq!(backend.created.lock().unwrap()[0].binding, Some(binding));

    let encoded = binding.encoded();
    for bad in [
        json!(42),
        json!(""),
        json!(&encoded[..42]),
        json!(format!("{encoded}A")),
        json!(encoded.replace('-', "+")),
        json!(format!("{}\n", &encoded[..42])),
        json!("x".repeat(300)),
        json!([encoded]),
    ] {
        let backend = Fake::default();
        let body = json!({"email": "ann@example.com", "binding": bad}).to_string();
        let response = call_with(&backend, Some("application/json"), body.as_bytes()).await;
        assert_eq!(
            (response.status, error_code(&response).as_str()),
            (400, "invalid_binding"),
            "{bad}"
        );
        assert!(backend.created.lock().unwrap().is_empty(), "{bad}");
    }
}

#[tokio::test]
async fn the_status_is_told_to_the_holder_of_the_verifier_only() {
    let challenge = bound_challenge();
    let id = challenge.id.to_string();
    let cases = [
        (ChallengeStatus::Pending, None, false, "pending", "sending"),
        (
            ChallengeStatus::Pending,
            Some(Delivery::Suppressed),
            false,
            "pending",
            "suppressed",
        ),
        (ChallengeStatus::Mailed, None, false, "pending", "sent"),
        (
            ChallengeStatus::Mailed,
            Some(Delivery::Bounced),
            false,
            "pending",
            "bounced",
        ),
        // A delivery, and a mail withheld for a reason that would tell
        // whether the address has an account, both read `sent`.
        (
            ChallengeStatus::Approved,
            Some(Delivery::Delivered),
            false,
            "approved",
            "sent",
        ),
        (
            ChallengeStatus::Pending,
            Some(Delivery::Withheld),
            false,
            "pending",
            "sent",
        ),
        (ChallengeStatus::Consumed, None, false, "used", "sent"),
        (ChallengeStatus::Mailed, None, true, "revoked", "sent"),
    ];
    for (status, delivery, revoked, told, mail) in cases {
        let backend = with_stored(
            Challenge {
                status,
                delivery,
                ..challenge.clone()
            },
            revoked,
        );
        let response = ask_status(&backend, &id, Some(VERIFIER)).await;
        assert_eq!(response.status, 200);
        let body: Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(
            body,
            json!({"status": told, "expiresAt": challenge.expires_at, "delivery": mail})
        );
        // In sign-up mode `existing`, where an address without an account
        // is never mailed, where the mail is is not told.
        let existing = approval::status(
            &backend,
            &config_in(SignUpMode::Existing).approval,
            asked(&id),
            Some(VERIFIER),
            SystemTime::now(),
        )
        .await;
        let existing = Answer::of(existing, api::status);
        let body: Value = serde_json::from_str(&existing.body).unwrap();
        assert_eq!(
            body,
            json!({"status": told, "expiresAt": challenge.expires_at})
        );
        assert_eq!(header(&response, "cache-control"), Some("no-store"));
        let reads = 2 * usize::from(status != ChallengeStatus::Consumed);
        assert_eq!(
            backend.watermark_reads.load(Ordering::Relaxed),
            reads,
            "{status:?}"
        );
    }

    let backend = with_stored(challenge.clone(), false);
    let unknown = ask_status(&backend, &Ulid::generate().to_string(), Some(VERIFIER)).await;
    assert_eq!(
        (unknown.status, error_code(&unknown).as_str()),
        (404, "not_found")
    );
    let wrong = ask_status(&backend, &id, Some(&VERIFIER.replace('d', "e"))).await;
    let unbound = with_stored(challenge.clone().with_binding(None), false);
    let no_binding = ask_status(&unbound, &id, Some(VERIFIER)).await;
    let not_an_id = ask_status(&backend, "../../etc/passwd", Some(VERIFIER)).await;
    for other in [&wrong, &no_binding, &not_an_id] {
        assert_eq!(
            other, &unknown,
            "a wrong verifier is told what an unknown id is"
        );
    }
    for fake in [&backend, &unbound] {
        assert_eq!(
            fake.watermark_reads.load(Ordering::Relaxed),
            0,
            "nothing more is read for a wrong verifier"
        );
    }

    for verifier in [
        None,
        Some(""),
        Some(&VERIFIER[..42]),
        Some(&*format!("{VERIFIER}\r\nx: y")),
        Some(&*"v".repeat(129)),
    ] {
        let response = ask_status(&backend, &id, verifier).await;
        assert_eq!(
            (response.status, error_code(&response).as_str()),
            (400, "invalid_verifier"),
            "{verifier:?}"
        );
    }

    let limited = Fake {
        limited_scope: Some("status-ip"),
        ..with_stored(challenge.clone(), false)
    };
    let response = ask_status(&limited, &id, Some(VERIFIER)).await;
    assert_eq!(
        (response.status, header(&response, "retry-after")),
        (429, Some("27"))
    );
    let down = Fake {
        store_down: true,
        ..with_stored(challenge, false)
    };
    assert_eq!(ask_status(&down, &id, Some(VERIFIER)).await.status, 503);
}

#[tokio::test]
async fn an_approval_with_a_valid_token_reaches_the_store_with_its_number() {
    let challenge = bound_challenge();
    let backend = with_stored(challenge.clone(), false);
    let body = approval_body(&token_of(&challenge), json!(75));
    let response = ask_approval(
        &backend,
        &challenge.id.to_string(),
        "application/json",
        &body,
    )
    .await;
    assert_eq!((response.status, response.body.as_str()), (204, ""));
    assert_eq!(
        *backend.approvals.lock().unwrap(),
        [(challenge.id, "ann@example.com".to_owned(), 75)]
    );
}

#[tokio::test]
async fn hostile_approvals_get_their_precise_4xx_and_reach_no_store() {
    let challenge = bound_challenge();
    let id = challenge.id.to_string();
    let token = token_of(&challenge);
    let other = Challenge::new(
        ann(),
        String::new(),
        SystemTime::now(),
        Duration::from_secs(900),
    );
    let stranger = SigningKey::from_slice(&[9; 32]).unwrap();
    let now = magiclink::time::unix_seconds(SystemTime::now());
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("not JSON", b"{".to_vec(), 400, "invalid_json"),
        ("an array", br#"[1]"#.to_vec(), 400, "invalid_json"),
        (
            "no token",
            br#"{"number":75}"#.to_vec(),
            400,
            "invalid_token",
        ),
        (
            "a number for the token",
            json!({"token": 5, "number": 75}).to_string().into_bytes(),
            400,
            "invalid_token",
        ),
        (
            "a huge token",
            approval_body(&"a".repeat(3000), json!(75)),
            400,
            "invalid_token",
        ),
        (
            "no number",
            json!({"token": token}).to_string().into_bytes(),
            400,
            "invalid_number",
        ),
        (
            "a string number",
            approval_body(&token, json!("75")),
            400,
            "invalid_number",
        ),
        (
            "a negative number",
            approval_body(&token, json!(-1)),
            400,
            "invalid_number",
        ),
        (
            "100",
            approval_body(&token, json!(100)),
            400,
            "invalid_number",
        ),
        (
            "a fraction",
            approval_body(&token, json!(7.5)),
            400,
            "invalid_number",
        ),
        (
            "null",
            approval_body(&token, Value::Null),
            400,
            "invalid_number",
        ),
        (
            "a huge number",
            b"{\"token\":\"x\",\"number\":1e400}".to_vec(),
            400,
            "invalid_json",
        ),
        (
            "garbage for a token",
            approval_body("a.b.c", json!(75)),
            400,
            "invalid_token",
        ),
        (
            "control characters in the token",
            approval_body("a\u{0}.b\r\n.c", json!(75)),
            400,
            "invalid_token",
        ),
        (
            "a token signed by another key",
            approval_body(
                &token_with(&stranger, &challenge, "pool/client", challenge.expires_at),
                json!(75),
            ),
            400,
            "invalid_token",
        ),
        (
            "a token for another app client",
            approval_body(
                &token_with(
                    &signing_key(),
                    &challenge,
                    "pool/other",
                    challenge.expires_at,
                ),
                json!(75),
            ),
            400,
            "invalid_token",
        ),
        (
            "an expired token",
            approval_body(
                &token_with(&signing_key(), &challenge, "pool/client", now),
                json!(75),
            ),
            410,
            "expired",
        ),
        (
            "another challenge's token",
            approval_body(&token_of(&other), json!(75)),
            400,
            "token_mismatch",
        ),
        (
            "over 16 KiB",
            approval_body(&"a".repeat(17 * 1024), json!(75)),
            413,
            "payload_too_large",
        ),
    ];
    for (name, body, status, code) in cases {
        let backend = with_stored(challenge.clone(), false);
        let response = ask_approval(&backend, &id, "application/json", &body).await;
        assert_eq!(
            (response.status, error_code(&response).as_str()),
            (status, code),
            "{name}"
        );
        assert!(backend.approvals.lock().unwrap().is_empty(), "{name}");
    }
    let backend = with_stored(challenge.clone(), false);
    let body = approval_body(&token, json!(75));
    let response = ask_approval(&backend, &id, "text/plain", &body).await;
    assert_eq!(response.status, 415);
    let response = ask_approval(&backend, "not-a-ulid", "application/json", &body).await;
    assert_eq!(response.status, 404);
    assert!(backend.approvals.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_store_s_answers_map_to_precise_statuses() {
    type Answer = fn() -> Result<Approval, ApprovalError>;
    // The answer, the status and code it gives, and a wrong number's
    // `attemptsLeft`.
    let cases: [(Answer, u16, &str, Option<u64>); 10] = [
        (
            || Ok(Approval::WrongNumber { left: 2 }),
            400,
            "wrong_number",
            Some(2),
        ),
        (
            || Ok(Approval::WrongNumber { left: 0 }),
            400,
            "wrong_number",
            Some(0),
        ),
        (
            || Err(ApprovalError::NotApprovable),
            400,
            "not_approvable",
            None,
        ),
        (
            || Err(ApprovalError::WrongUser),
            400,
            "token_mismatch",
            None,
        ),
        (|| Err(ApprovalError::NotFound), 404, "not_found", None),
        (
            || Err(ApprovalError::AlreadyApproved),
            409,
            "already_approved",
            None,
        ),
        (|| Err(ApprovalError::Used), 409, "used", None),
        (|| Err(ApprovalError::Revoked), 409, "revoked", None),
        (
            || Err(ApprovalError::TooManyAttempts),
            409,
            "too_many_attempts",
            None,
        ),
        (|| Err(ApprovalError::Expired), 410, "expired", None),
    ];
    let challenge = bound_challenge();
    let id = challenge.id.to_string();
    let body = approval_body(&token_of(&challenge), json!(12));
    for (answer, status, code, attempts_left) in cases {
        let backend = Fake {
            approval: Some(answer),
            ..with_stored(challenge.clone(), false)
        };
        let response = ask_approval(&backend, &id, "application/json", &body).await;
        assert_eq!(
            (response.status, error_code(&response).as_str()),
            (status, code)
        );
        let error: Value = serde_json::from_str(&response.body).unwrap();
        assert_eq!(
            error["error"]["attemptsLeft"].as_u64(),
            attempts_left,
            "{code}"
        );
    }
    let down = Fake {
        store_down: true,
        ..with_stored(challenge, false)
    };
    let response = ask_approval(&down, &id, "application/json", &body).await;
    assert_eq!(response.status, 503);
}

#[tokio::test]
async fn the_openapi_document_matches_the_approval_endpoints() {
    let doc = openapi();
    let challenge = bound_challenge();
    let id = challenge.id.to_string();
    let stored = || with_stored(challenge.clone(), false);
    let limited = || Fake {
        limited_scope: Some("status-ip"),
        ..stored()
    };
    let down = || Fake {
        store_down: true,
        ..stored()
    };

    let path = "/v1/magic-links/{challengeId}";
    let answers = vec![
        ask_status(&stored(), &id, Some(VERIFIER)).await,
        ask_status(&stored(), &id, None).await,
        ask_status(&stored(), &Ulid::generate().to_string(), Some(VERIFIER)).await,
        ask_status(&limited(), &id, Some(VERIFIER)).await,
        ask_status(&down(), &id, Some(VERIFIER)).await,
    ];
    check_documented(&doc, path, "get", answers);

    let path = "/v1/magic-links/{challengeId}/approval";
    let good = approval_body(&token_of(&challenge), json!(75));
    let answers = vec![
        ask_approval(&stored(), &id, "application/json", &good).await,
        ask_approval(&stored(), &id, "application/json", b"{").await,
        ask_approval(&stored(), "x", "application/json", &good).await,
        ask_approval(
            &Fake {
                approval: Some(|| Err(ApprovalError::Used)),
                ..stored()
            },
            &id,
            "application/json",
            &good,
        )
        .await,
        ask_approval(
            &Fake {
                approval: Some(|| Err(ApprovalError::Expired)),
                ..stored()
            },
            &id,
            "application/json",
            &good,
        )
        .await,
        ask_approval(&stored(), &id, "application/json", &vec![b' '; 20_000]).await,
        ask_approval(&stored(), &id, "text/plain", &good).await,
        ask_approval(&limited(), &id, "application/json", &good).await,
        ask_approval(&down(), &id, "application/json", &good).await,
    ];
    check_documented(&doc, path, "post", answers);
}

/// Every documented status of `method` `path` is among `answers`, no other
/// is, and each body and header is as documented.
fn check_documented(doc: &Value, path: &str, method: &str, answers: Vec<Answer>) {
    let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
    let documented: BTreeSet<u16> = responses.keys().map(|k| k.parse().unwrap()).collect();
    let produced: BTreeSet<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(produced, documented, "{method} {path}");
    for answer in answers {
        if answer.status == 204 {
            assert!(answer.body.is_empty());
            continue;
        }
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        let errors: Vec<String> = schema_of(doc, path, method, answer.status)
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {}: {errors:?}",
            answer.status
        );
        if let Some(headers) = responses[&answer.status.to_string()]["headers"].as_object() {
            for name in headers.keys() {
                assert!(
                    header(&answer, &name.to_ascii_lowercase()).is_some(),
                    "{} lacks {name}",
                    answer.status
                );
            }
        }
    }
}
