//! The request handler against its contract, without AWS: every status and
//! error code, a table of hostile bodies, and the OpenAPI document checked
//! against what the handler really answers.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use magiclink::admission::Counter;
use magiclink::aws::CallError;
use magiclink::challenge::Challenge;
use magiclink::config::Env;
use magiclink::email::EmailAddress;
use magiclink::fingerprint::Fingerprints;
use magiclink::rate_limit::Decision;
use magiclink_request::api::ApiResponse;
use magiclink_request::config::RequestConfig;
use magiclink_request::handler::{Backend, Inbound, handle};
use serde_json::{Value, json};

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

fn config() -> RequestConfig {
    RequestConfig::from_env(&Env::from_pairs([
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
    ]))
    .unwrap()
}

async fn call_with(backend: &Fake, content_type: Option<&str>, body: &[u8]) -> ApiResponse {
    let inbound = Inbound {
        content_type,
        body,
        source_ip: Some("203.0.113.9"),
    };
    handle(backend, &config(), inbound, SystemTime::now())
        .await
        .into()
}

async fn call(body: &[u8]) -> ApiResponse {
    call_with(&Fake::default(), Some("application/json"), body).await
}

fn error_code(response: &ApiResponse) -> String {
    let body: Value = serde_json::from_str(&response.body).unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn header<'a>(response: &'a ApiResponse, name: &str) -> Option<&'a str> {
    response
        .headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
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
async fn only_the_mailbox_limit_is_waived_for_an_address_that_signs_in() {
    let backend = Fake::default();
    let response = call_with(
        &backend,
        Some("application/json"),
        br#"{"email":"V.ictim+1@Gmail.com"}"#,
    )
    .await;
    assert_eq!(response.status, 202);
    let counters = backend.counters.lock().unwrap();
    let address = EmailAddress::parse("v.ictim+1@gmail.com").unwrap();
    for counter in counters.iter() {
        let expected = (counter.scope == "mailbox").then_some(&address);
        assert_eq!(counter.waiver.as_ref(), expected, "{}", counter.scope);
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
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../api/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A response's documented body schema, with the document's components in
/// reach of its `$ref`s.
fn documented_schema(doc: &Value, status: u16) -> jsonschema::Validator {
    let response = &doc["paths"]["/v1/magic-links"]["post"]["responses"][status.to_string()];
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
