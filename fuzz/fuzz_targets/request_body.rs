//! Fuzzes `POST /v1/magic-links` with hostile bodies and content types,
//! through the real handler over a backend that admits everything.
//!
//! Whatever the input: no panic, a 202 or a documented 4xx (never a 5xx,
//! since the backend never fails), and a 202 only for a body whose address
//! the handler recorded as a challenge.

#![no_main]

use std::sync::{LazyLock, Mutex};
use std::time::SystemTime;

use libfuzzer_sys::fuzz_target;
use magiclink::admission::Counter;
use magiclink::aws::CallError;
use magiclink::challenge::Challenge;
use magiclink::config::Env;
use magiclink::fingerprint::Fingerprints;
use magiclink::rate_limit::Decision;
use magiclink_http::Answer;
use magiclink_request::api;
use magiclink_request::backend::Backend;
use magiclink_request::config::RequestConfig;
use magiclink_request::handler::{Inbound, handle};

/// Admits everything, records the challenges.
#[derive(Default)]
struct Recorder {
    created: Mutex<Vec<Challenge>>,
}

impl Backend for Recorder {
    async fn admit(
        &self,
        _: &[Counter],
        challenge: &Challenge,
        _: SystemTime,
    ) -> Result<Decision, CallError> {
        self.created
            .lock()
            .expect("not poisoned")
            .push(challenge.clone());
        Ok(Decision::Admitted)
    }

    async fn fingerprints(&self) -> Result<Fingerprints, CallError> {
        Ok(Fingerprints::from_key(b"fuzz"))
    }
}

/// A key set of one P-256 key (the test key of RFC 7515, appendix A.3).
const KEYS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

static CONFIG: LazyLock<RequestConfig> = LazyLock::new(|| {
    RequestConfig::from_env(&Env::from_pairs([
        ("TABLE_NAME", "t"),
        ("EVENT_BUS_NAME", "b"),
        ("FINGERPRINT_KEY_ID", "fingerprint-key"),
        ("ALLOWED_REDIRECT_URIS", "https://app.example.com/auth/*"),
        ("DEFAULT_REDIRECT_URI", "https://app.example.com/auth/cb"),
        ("ACCEPTED_PUBLIC_KEYS", KEYS),
        ("USER_POOL_ID", "pool"),
        ("USER_POOL_CLIENT_ID", "client"),
        ("APPROVAL_KEY_ID", "approval-key"),
    ]))
    .expect("a complete configuration")
});

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
});

const CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    None,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let backend = Recorder::default();
    let inbound = Inbound {
        content_type: CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()],
        body,
        source_ip: Some("192.0.2.1"),
    };
    let result = RUNTIME.block_on(handle(&backend, &CONFIG, inbound, SystemTime::now()));
    let created = backend.created.lock().expect("not poisoned").len();
    let answer = Answer::of(result, api::accepted);
    assert!(
        answer.status == 202 || (400..500).contains(&answer.status),
        "status {} for {body:?}",
        answer.status
    );
    assert_eq!(created, usize::from(answer.status == 202));
});
