//! The passkeys endpoints against their contract, without AWS: over a fake
//! backend and a software authenticator, every status each endpoint can
//! answer is produced, and `api/openapi.json` documents exactly those, with
//! bodies that match its schemas and the headers it promises.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magiclink::aws::CallError;
use magiclink::config::Env;
use magiclink::email::EmailAddress;
use magiclink::fingerprint::Fingerprints;
use magiclink::passkeys::{AddError, MAX_PASSKEYS, StoredPasskey};
use magiclink::rate_limit::{Decision, Limit};
use magiclink::time::unix_seconds;
use magiclink_http::Answer;
use magiclink_passkeys::api;
use magiclink_passkeys::backend::{Backend, CognitoUser};
use magiclink_passkeys::config::PasskeysConfig;
use magiclink_passkeys::endpoints::{Inbound, Service};
use magiclink_webauthn::RelyingParty;
use magiclink_webauthn::soft::SoftAuthenticator;
use serde_json::{Value, json};
use ulid::Ulid;

const SUB: &str = "3f1c2a8e-5d6b-4f7a-9c0d-1e2f3a4b5c6d";
const RP_ID: &str = "localhost";
const ORIGIN: &str = "http://localhost:8000";

/// A backend in memory that fails where told to.
#[derive(Default)]
struct Fake {
    /// Cognito refuses every token (signed out).
    signed_out: bool,
    /// Every call fails, as with DynamoDB or Cognito unreachable.
    down: bool,
    /// The sign-in options' counter refuses.
    limited: bool,
    passkeys: Mutex<Vec<StoredPasskey>>,
    registration: Mutex<Option<String>>,
}

fn outage() -> CallError {
    CallError::unexpected("DynamoDB", "unreachable in this test")
}

impl Fake {
    fn up(&self) -> Result<(), CallError> {
        if self.down { Err(outage()) } else { Ok(()) }
    }
}

impl Backend for Fake {
    async fn user(&self, _token: &str) -> Result<Option<CognitoUser>, CallError> {
        self.up()?;
        Ok((!self.signed_out).then(|| CognitoUser {
            sub: SUB.into(),
            email: "ann@example.com".into(),
        }))
    }

    async fn passkeys(&self, _sub: &str) -> Result<Vec<StoredPasskey>, CallError> {
        self.up()?;
        Ok(self.passkeys.lock().unwrap().clone())
    }

    async fn begin_registration(
        &self,
        _sub: &str,
        state: &str,
        _expires: SystemTime,
    ) -> Result<(), CallError> {
        self.up()?;
        *self.registration.lock().unwrap() = Some(state.to_owned());
        Ok(())
    }

    async fn registration(
        &self,
        _sub: &str,
        _now: SystemTime,
    ) -> Result<Option<String>, CallError> {
        self.up()?;
        Ok(self.registration.lock().unwrap().clone())
    }

    async fn add(
        &self,
        _sub: &str,
        _subject_hash: &str,
        passkey: &StoredPasskey,
        _from: &str,
        _now: SystemTime,
    ) -> Result<(), AddError> {
        self.up()?;
        self.registration
            .lock()
            .unwrap()
            .take()
            .ok_or(AddError::NoRegistration)?;
        self.passkeys.lock().unwrap().push(passkey.clone());
        Ok(())
    }

    async fn revoke_links(
        &self,
        _email: &EmailAddress,
        _subject: &str,
        _now: SystemTime,
    ) -> Result<(), CallError> {
        self.up()
    }

    async fn sign_out_everywhere(&self, _token: &str) -> Result<(), CallError> {
        self.up()
    }

    async fn remove(&self, _sub: &str, id: Ulid, _from: &str) -> Result<bool, CallError> {
        self.up()?;
        let mut passkeys = self.passkeys.lock().unwrap();
        let before = passkeys.len();
        passkeys.retain(|p| p.id != id);
        Ok(passkeys.len() < before)
    }

    async fn issue_challenge(
        &self,
        _challenge: &str,
        _state: &str,
        _expires: SystemTime,
    ) -> Result<(), CallError> {
        self.up()
    }

    async fn count_client(
        &self,
        _client: &str,
        _limit: Limit,
        _now: SystemTime,
    ) -> Result<Decision, CallError> {
        self.up()?;
        Ok(if self.limited {
            Decision::Limited {
                retry_after: Duration::from_secs(60),
            }
        } else {
            Decision::Admitted
        })
    }

    async fn fingerprints(&self) -> Result<Fingerprints, CallError> {
        self.up()?;
        Ok(Fingerprints::from_key(b"test key"))
    }
}

fn config(passkeys_on: bool) -> PasskeysConfig {
    let mut pairs = vec![
        ("TABLE_NAME", "t"),
        ("EVENT_BUS_NAME", "b"),
        ("FINGERPRINT_KEY_ID", "fingerprint-key"),
        ("USER_POOL_ID", "us-east-1_pool"),
        ("USER_POOL_CLIENT_ID", "client"),
    ];
    if passkeys_on {
        pairs.extend([("PASSKEY_RP_ID", RP_ID), ("PASSKEY_ORIGINS", ORIGIN)]);
    }
    PasskeysConfig::from_env(&Env::from_pairs(pairs)).unwrap()
}

fn service(backend: Fake, passkeys_on: bool) -> Service<Fake> {
    Service {
        rp: config(passkeys_on).passkeys.as_ref().map(RelyingParty::new),
        backend,
    }
}

/// An access token of this pool and app client, signed in `auth_age` ago
/// (what the service checks of it itself; the signature is the JWT
/// authorizer's, and Cognito's `GetUser` is the fake's).
fn access_token(auth_age: Duration) -> String {
    let now = unix_seconds(SystemTime::now());
    let part = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.{}",
        part(json!({"alg": "RS256", "kid": "k"})),
        part(json!({
            "sub": SUB,
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool",
            "client_id": "client",
            "token_use": "access",
            "exp": now + 3600,
            "iat": now - auth_age.as_secs(),
            "auth_time": now - auth_age.as_secs(),
        })),
        URL_SAFE_NO_PAD.encode(b"signature")
    )
}

/// What a request carries, signed in `auth_age` ago.
struct Call {
    authorization: Option<String>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    passkey_id: Option<String>,
}

impl Call {
    fn signed_in() -> Self {
        Self::signed_in_since(Duration::from_secs(10))
    }

    fn signed_in_since(auth_age: Duration) -> Self {
        Self {
            authorization: Some(format!("Bearer {}", access_token(auth_age))),
            content_type: None,
            body: Vec::new(),
            passkey_id: None,
        }
    }

    fn anonymous() -> Self {
        Self {
            authorization: None,
            ..Self::signed_in()
        }
    }

    fn json(mut self, body: &Value) -> Self {
        self.content_type = Some("application/json");
        self.body = body.to_string().into_bytes();
        self
    }

    fn raw(mut self, content_type: &'static str, body: &[u8]) -> Self {
        self.content_type = Some(content_type);
        self.body = body.to_vec();
        self
    }

    fn passkey(mut self, id: &str) -> Self {
        self.passkey_id = Some(id.into());
        self
    }

    fn inbound(&self) -> Inbound<'_> {
        Inbound {
            authorization: self.authorization.as_deref(),
            content_type: self.content_type,
            body: &self.body,
            passkey_id: self.passkey_id.as_deref(),
            source_ip: Some("192.0.2.1"),
            user_agent: Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            ),
            ..Inbound::default()
        }
    }
}

#[derive(Clone, Copy)]
enum Endpoint {
    Options,
    Register,
    List,
    Remove,
    SignIn,
    SignOutEverywhere,
}

impl Endpoint {
    fn route(self) -> (&'static str, &'static str) {
        match self {
            Self::Options => ("/v1/passkeys/registration-options", "post"),
            Self::Register => ("/v1/passkeys", "post"),
            Self::List => ("/v1/passkeys", "get"),
            Self::Remove => ("/v1/passkeys/{passkeyId}", "delete"),
            Self::SignIn => ("/v1/passkeys/sign-in-options", "post"),
            Self::SignOutEverywhere => ("/v1/me/sign-out-everywhere", "post"),
        }
    }
}

async fn answer(service: &Service<Fake>, endpoint: Endpoint, call: &Call) -> Answer {
    let config = config(service.rp.is_some());
    let now = SystemTime::now();
    let inbound = call.inbound();
    let result = match endpoint {
        Endpoint::Options => service.registration_options(&config, inbound, now).await,
        Endpoint::Register => service.register(&config, inbound, now).await,
        Endpoint::List => service.list(&config, inbound, now).await,
        Endpoint::Remove => service.remove(&config, inbound, now).await,
        Endpoint::SignIn => service.sign_in_options(&config, inbound, now).await,
        Endpoint::SignOutEverywhere => service.sign_out_everywhere(&config, inbound, now).await,
    };
    Answer::of(result, api::answer)
}

/// A service whose user registered a passkey through the endpoints, with
/// the authenticator that made it.
async fn with_a_passkey() -> (Service<Fake>, SoftAuthenticator) {
    let service = service(Fake::default(), true);
    let authenticator = SoftAuthenticator::new(1, RP_ID, ORIGIN, SUB.as_bytes());
    let added = register(&service, &authenticator).await;
    assert_eq!(added.status, 201, "{}", added.body);
    (service, authenticator)
}

/// Options, then the authenticator's credential: the registration's answer.
async fn register(service: &Service<Fake>, authenticator: &SoftAuthenticator) -> Answer {
    let options = answer(service, Endpoint::Options, &Call::signed_in()).await;
    assert_eq!(options.status, 200, "{}", options.body);
    let options: Value = serde_json::from_str(&options.body).unwrap();
    let credential = authenticator.register(&options["publicKey"]);
    let body = json!({"credential": credential, "name": "Laptop"});
    answer(service, Endpoint::Register, &Call::signed_in().json(&body)).await
}

fn openapi() -> Value {
    let path = format!(
        "{}/../../api/openapi.json",
        std::env::var("CARGO_MANIFEST_DIR").unwrap()
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The answers of `endpoint` are exactly its documented statuses, each body
/// valid against its documented schema, with its documented headers.
fn check_documented(doc: &Value, endpoint: Endpoint, answers: &[Answer]) {
    let (path, method) = endpoint.route();
    let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
    let documented: BTreeSet<u16> = responses.keys().map(|k| k.parse().unwrap()).collect();
    let produced: BTreeSet<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(produced, documented, "{method} {path}");
    for answer in answers {
        let response = &responses[&answer.status.to_string()];
        if answer.status == 204 {
            assert!(answer.body.is_empty(), "{method} {path} 204");
        } else {
            let mut schema = response["content"]["application/json"]["schema"].clone();
            schema["components"] = doc["components"].clone();
            let body: Value = serde_json::from_str(&answer.body).unwrap();
            let errors: Vec<String> = jsonschema::validator_for(&schema)
                .unwrap()
                .iter_errors(&body)
                .map(|e| e.to_string())
                .collect();
            assert!(
                errors.is_empty(),
                "{method} {path} {}: {errors:?} in {body}",
                answer.status
            );
        }
        for name in response["headers"].as_object().into_iter().flatten() {
            let name = name.0.to_ascii_lowercase();
            assert!(
                answer.headers.iter().any(|(h, _)| *h == name),
                "{method} {path} {} lacks {name}",
                answer.status
            );
        }
    }
}

#[tokio::test]
async fn the_openapi_document_matches_the_registration_endpoints() {
    let doc = openapi();
    let stale = Call::signed_in_since(Duration::from_secs(3600));
    let off = service(Fake::default(), false);
    let down = service(
        Fake {
            down: true,
            ..Fake::default()
        },
        true,
    );

    let fresh = service(Fake::default(), true);
    let full = service(Fake::default(), true);
    for seed in 0..MAX_PASSKEYS {
        let key = SoftAuthenticator::new(seed as u8 + 10, RP_ID, ORIGIN, SUB.as_bytes());
        assert_eq!(register(&full, &key).await.status, 201);
    }
    let options = vec![
        answer(&fresh, Endpoint::Options, &Call::signed_in()).await,
        answer(&fresh, Endpoint::Options, &Call::anonymous()).await,
        answer(&fresh, Endpoint::Options, &stale).await,
        answer(&off, Endpoint::Options, &Call::signed_in()).await,
        answer(&full, Endpoint::Options, &Call::signed_in()).await,
        answer(&down, Endpoint::Options, &Call::signed_in()).await,
    ];
    check_documented(&doc, Endpoint::Options, &options);

    let (service, authenticator) = with_a_passkey().await;
    let body = |name: Value| json!({"credential": {"id": "x"}, "name": name});
    let register_answers = vec![
        register(
            &fresh,
            &SoftAuthenticator::new(2, RP_ID, ORIGIN, SUB.as_bytes()),
        )
        .await,
        answer(
            &fresh,
            Endpoint::Register,
            &Call::anonymous().json(&body(json!("a"))),
        )
        .await,
        answer(&fresh, Endpoint::Register, &stale.json(&body(json!("a")))).await,
        answer(
            &fresh,
            Endpoint::Register,
            &Call::signed_in().json(&body(json!(7))),
        )
        .await,
        answer(
            &fresh,
            Endpoint::Register,
            &Call::signed_in().raw("text/plain", b"{}"),
        )
        .await,
        answer(
            &fresh,
            Endpoint::Register,
            &Call::signed_in().raw("application/json", &vec![b' '; 100_000]),
        )
        .await,
        answer(
            &off,
            Endpoint::Register,
            &Call::signed_in().json(&body(json!("a"))),
        )
        .await,
        register(&service, &authenticator).await,
        answer(
            &down,
            Endpoint::Register,
            &Call::signed_in().json(&body(json!("a"))),
        )
        .await,
    ];
    check_documented(&doc, Endpoint::Register, &register_answers);
}

#[tokio::test]
async fn the_openapi_document_matches_the_list_removal_and_sign_in_endpoints() {
    let doc = openapi();
    let (service, _) = with_a_passkey().await;
    let off = self::service(Fake::default(), false);
    let down = self::service(
        Fake {
            down: true,
            ..Fake::default()
        },
        true,
    );
    let signed_out = self::service(
        Fake {
            signed_out: true,
            ..Fake::default()
        },
        true,
    );
    let listed = answer(&service, Endpoint::List, &Call::signed_in()).await;
    let held: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(held["passkeys"][0]["name"], "Laptop");
    let id = held["passkeys"][0]["id"].as_str().unwrap().to_owned();
    let list = vec![
        listed,
        answer(&signed_out, Endpoint::List, &Call::signed_in()).await,
        answer(&off, Endpoint::List, &Call::signed_in()).await,
        answer(&down, Endpoint::List, &Call::signed_in()).await,
    ];
    check_documented(&doc, Endpoint::List, &list);

    let stale = Call::signed_in_since(Duration::from_secs(3600)).passkey(&id);
    let remove = vec![
        answer(&service, Endpoint::Remove, &stale).await,
        answer(&service, Endpoint::Remove, &Call::signed_in().passkey(&id)).await,
        answer(&service, Endpoint::Remove, &Call::signed_in().passkey(&id)).await,
        answer(&service, Endpoint::Remove, &Call::anonymous().passkey(&id)).await,
        answer(&down, Endpoint::Remove, &Call::signed_in().passkey(&id)).await,
    ];
    assert_eq!(
        remove.iter().map(|a| a.status).collect::<Vec<_>>(),
        [403, 204, 404, 401, 503],
        "a stale sign-in removes nothing; the second removal finds none"
    );
    check_documented(&doc, Endpoint::Remove, &remove);

    let limited = self::service(
        Fake {
            limited: true,
            ..Fake::default()
        },
        true,
    );
    let sign_in = vec![
        answer(&service, Endpoint::SignIn, &Call::anonymous()).await,
        answer(&limited, Endpoint::SignIn, &Call::anonymous()).await,
        answer(&off, Endpoint::SignIn, &Call::anonymous()).await,
        answer(&down, Endpoint::SignIn, &Call::anonymous()).await,
    ];
    check_documented(&doc, Endpoint::SignIn, &sign_in);

    // Signing out everywhere takes away only: no fresh sign-in, and it
    // works with passkeys off.
    let stale = Call::signed_in_since(Duration::from_secs(3600));
    let sign_out = vec![
        answer(&service, Endpoint::SignOutEverywhere, &stale).await,
        answer(&off, Endpoint::SignOutEverywhere, &Call::signed_in()).await,
        answer(&signed_out, Endpoint::SignOutEverywhere, &Call::signed_in()).await,
        answer(&service, Endpoint::SignOutEverywhere, &Call::anonymous()).await,
        answer(&down, Endpoint::SignOutEverywhere, &Call::signed_in()).await,
    ];
    assert_eq!(
        sign_out.iter().map(|a| a.status).collect::<Vec<_>>(),
        [204, 204, 401, 401, 503]
    );
    check_documented(&doc, Endpoint::SignOutEverywhere, &sign_out);
}
