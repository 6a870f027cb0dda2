//! The admin endpoints against their contract, with a fake backend: every
//! answer each endpoint can give is produced, and `api/openapi.json`
//! documents exactly those, with their bodies' schemas and headers.

#![allow(clippy::unwrap_used, reason = "test code")]

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use magiclink::admission::Counter;
use magiclink::aws::CallError;
use magiclink::challenge::{Challenge, InvitationRevocation, UserRevocation};
use magiclink::config::Env;
use magiclink::email::EmailAddress;
use magiclink::fingerprint::Fingerprints;
use magiclink::rate_limit::Decision;
use magiclink_admin::api;
use magiclink_admin::backend::{Backend, PoolUser};
use magiclink_admin::config::AdminConfig;
use magiclink_admin::endpoints::{self, Inbound};
use magiclink_http::Answer;
use serde_json::Value;
use ulid::Ulid;

#[derive(Default)]
struct Fake {
    down: bool,
    limited: bool,
    /// What revoking an invitation finds.
    invitation: Option<InvitationRevocation>,
    /// Whether the address has an account.
    account: bool,
    admitted: Mutex<Vec<(Vec<Counter>, Challenge)>>,
    /// Each revocation's passkeys owner, and each sign-out.
    revoked: Mutex<Vec<Option<String>>>,
    signed_out: Mutex<Vec<String>>,
}

impl Fake {
    fn up(&self) -> Result<(), CallError> {
        if self.down {
            Err(CallError::unexpected(
                "DynamoDB",
                "unreachable in this test",
            ))
        } else {
            Ok(())
        }
    }
}

impl Backend for Fake {
    async fn fingerprints(&self) -> Result<Fingerprints, CallError> {
        self.up()?;
        Ok(Fingerprints::from_key(b"k"))
    }

    async fn admit(
        &self,
        counters: &[Counter],
        challenge: &Challenge,
        _now: SystemTime,
    ) -> Result<Decision, CallError> {
        self.up()?;
        if self.limited {
            return Ok(Decision::Limited {
                retry_after: Duration::from_secs(60),
            });
        }
        let admitted = (counters.to_vec(), challenge.clone());
        self.admitted.lock().unwrap().push(admitted);
        Ok(Decision::Admitted)
    }

    async fn revoke_invitation(
        &self,
        _id: Ulid,
        _now: SystemTime,
    ) -> Result<InvitationRevocation, CallError> {
        self.up()?;
        Ok(self.invitation.unwrap_or(InvitationRevocation::NotFound))
    }

    async fn find_user(&self, _email: &EmailAddress) -> Result<Option<PoolUser>, CallError> {
        self.up()?;
        Ok(self.account.then(|| PoolUser {
            username: "ann".into(),
            sub: "sub-1".into(),
        }))
    }

    async fn revoke_user(
        &self,
        _email: &EmailAddress,
        _subject: &str,
        passkeys_of: Option<&str>,
        now: SystemTime,
    ) -> Result<UserRevocation, CallError> {
        self.up()?;
        self.revoked
            .lock()
            .unwrap()
            .push(passkeys_of.map(str::to_owned));
        Ok(UserRevocation {
            id: Ulid::from_datetime(now),
            watermark: Ulid::from_datetime(now),
        })
    }

    async fn sign_out(&self, user: &PoolUser) -> Result<(), CallError> {
        self.up()?;
        self.signed_out.lock().unwrap().push(user.username.clone());
        Ok(())
    }
}

fn config() -> AdminConfig {
    AdminConfig::from_env(&Env::from_pairs([
        ("TABLE_NAME", "t"),
        ("EVENT_BUS_NAME", "b"),
        ("FINGERPRINT_KEY_ID", "k"),
        ("USER_POOL_ID", "us-east-1_x"),
        (
            "ALLOWED_REDIRECT_URIS",
            "https://app.example/,https://app.example/welcome",
        ),
        ("DEFAULT_REDIRECT_URI", "https://app.example/"),
    ]))
    .unwrap()
}

const CALLER: &str = "arn:aws:iam::123456789012:user/ops";

fn inbound<'a>(body: &'a str, id: Option<&'a str>) -> Inbound<'a> {
    Inbound {
        iam_caller: Some(CALLER),
        content_type: Some("application/json"),
        body: body.as_bytes(),
        challenge_id: id,
    }
}

async fn invite(backend: &Fake, inbound: Inbound<'_>) -> Answer {
    let result = endpoints::invite(backend, &config(), inbound, SystemTime::now()).await;
    Answer::of(result, |i| api::invited(i.challenge_id, i.expires_at))
}

async fn revoke_invitation(backend: &Fake, inbound: Inbound<'_>) -> Answer {
    let result = endpoints::revoke_invitation(backend, inbound, SystemTime::now()).await;
    Answer::of(result, |()| api::revoked())
}

async fn revoke_user(backend: &Fake, inbound: Inbound<'_>) -> Answer {
    let result = endpoints::revoke_user(backend, inbound, SystemTime::now()).await;
    Answer::of(result, api::revocation_accepted)
}

fn openapi() -> Value {
    let path = format!(
        "{}/../../api/openapi.json",
        std::env::var("CARGO_MANIFEST_DIR").unwrap()
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The answers of `method path` are exactly its documented statuses, each
/// body valid against its schema, with its documented headers.
fn check_documented(path: &str, method: &str, answers: &[Answer]) {
    let doc = openapi();
    let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
    let documented: BTreeSet<u16> = responses.keys().map(|k| k.parse().unwrap()).collect();
    let produced: BTreeSet<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(produced, documented, "{method} {path}");
    for answer in answers {
        let response = &responses[&answer.status.to_string()];
        if answer.status == 204 {
            assert!(answer.body.is_empty());
            continue;
        }
        let mut schema = response["content"]["application/json"]["schema"].clone();
        schema["components"] = doc["components"].clone();
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {}: {errors:?} in {body}",
            answer.status
        );
        for (name, _) in response["headers"].as_object().into_iter().flatten() {
            let name = name.to_ascii_lowercase();
            assert!(answer.headers.iter().any(|(h, _)| *h == name), "{name}");
        }
    }
}

#[tokio::test]
async fn an_invitation_is_admitted_with_its_own_counters_and_answers_as_documented() {
    let fake = Fake::default();
    let body = r#"{"email":"Ann@Example.com","redirectUri":"https://app.example/welcome",
                   "expiresInSeconds":3600,"invitedBy":"Bob","locale":"fr"}"#;
    let created = invite(&fake, inbound(body, None)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let (counters, challenge) = fake.admitted.lock().unwrap()[0].clone();
    let scopes: Vec<&str> = counters.iter().map(|c| c.scope).collect();
    assert_eq!(scopes, ["invite-caller", "invite-email"]);
    assert!(counters.iter().all(|c| !c.holds && !c.key.contains("ops")));
    assert_eq!(challenge.email.as_str(), "ann@example.com");
    assert_eq!(challenge.expires_at - challenge.created_at, 3600);
    assert_eq!(challenge.redirect_uri, "https://app.example/welcome");
    let invitation = challenge.invitation.unwrap();
    assert_eq!(invitation.invited_by.as_deref(), Some("Bob"));
    let answered: Value = serde_json::from_str(&created.body).unwrap();
    assert_eq!(answered["challengeId"], challenge.id.to_string());

    let unsigned = Inbound {
        iam_caller: None,
        ..inbound(r#"{"email":"ann@example.com"}"#, None)
    };
    let not_json = Inbound {
        content_type: Some("text/plain"),
        ..inbound(r#"{"email":"ann@example.com"}"#, None)
    };
    let huge = format!(
        r#"{{"email":"ann@example.com","x":"{}"}}"#,
        "a".repeat(20_000)
    );
    let limited = Fake {
        limited: true,
        ..Fake::default()
    };
    let down = Fake {
        down: true,
        ..Fake::default()
    };
    let answers = vec![
        created,
        invite(
            &fake,
            inbound(
                r#"{"email":"ann@example.com","redirectUri":"https://evil.example/"}"#,
                None,
            ),
        )
        .await,
        invite(&fake, inbound(r#"{"email":"not an address"}"#, None)).await,
        invite(
            &fake,
            inbound(r#"{"email":"a@b.c","expiresInSeconds":999999}"#, None),
        )
        .await,
        invite(&fake, inbound("[1]", None)).await,
        invite(&fake, unsigned).await,
        invite(&fake, inbound(&huge, None)).await,
        invite(&fake, not_json).await,
        invite(&limited, inbound(r#"{"email":"ann@example.com"}"#, None)).await,
        invite(&down, inbound(r#"{"email":"ann@example.com"}"#, None)).await,
    ];
    assert_eq!(
        fake.admitted.lock().unwrap().len(),
        1,
        "no refused request is admitted"
    );
    check_documented("/v1/invitations", "post", &answers);
}

#[tokio::test]
async fn revoking_an_invitation_answers_as_documented() {
    let id = Ulid::from_datetime(SystemTime::now()).to_string();
    let with = |found| Fake {
        invitation: Some(found),
        ..Fake::default()
    };
    let unsigned = Inbound {
        iam_caller: None,
        ..inbound("", Some(&id))
    };
    let answers = vec![
        revoke_invitation(&with(InvitationRevocation::Revoked), inbound("", Some(&id))).await,
        revoke_invitation(
            &with(InvitationRevocation::AlreadyRevoked),
            inbound("", Some(&id)),
        )
        .await,
        revoke_invitation(&with(InvitationRevocation::Used), inbound("", Some(&id))).await,
        revoke_invitation(
            &with(InvitationRevocation::NotFound),
            inbound("", Some(&id)),
        )
        .await,
        revoke_invitation(&Fake::default(), inbound("", Some("not-a-ulid"))).await,
        revoke_invitation(&Fake::default(), unsigned).await,
        revoke_invitation(
            &Fake {
                down: true,
                ..Fake::default()
            },
            inbound("", Some(&id)),
        )
        .await,
    ];
    assert_eq!(
        answers.iter().map(|a| a.status).collect::<Vec<_>>(),
        [204, 204, 409, 404, 404, 403, 503]
    );
    check_documented("/v1/invitations/{challengeId}", "delete", &answers);
}

#[tokio::test]
async fn a_revocation_signs_out_an_account_and_answers_the_same_without_one() {
    let account = Fake {
        account: true,
        ..Fake::default()
    };
    let with_passkeys = r#"{"email":"ann@example.com","passkeys":true}"#;
    let done = revoke_user(&account, inbound(with_passkeys, None)).await;
    assert_eq!(done.status, 202, "{}", done.body);
    assert_eq!(*account.revoked.lock().unwrap(), [Some("sub-1".to_owned())]);
    assert_eq!(*account.signed_out.lock().unwrap(), ["ann"]);

    let stranger = Fake::default();
    let same = revoke_user(&stranger, inbound(with_passkeys, None)).await;
    assert_eq!(same.status, 202);
    assert_eq!(
        *stranger.revoked.lock().unwrap(),
        [None],
        "links revoked all the same"
    );
    assert!(stranger.signed_out.lock().unwrap().is_empty());

    let unsigned = Inbound {
        iam_caller: None,
        ..inbound(with_passkeys, None)
    };
    let not_json = Inbound {
        content_type: None,
        ..inbound(with_passkeys, None)
    };
    let huge = format!(
        r#"{{"email":"ann@example.com","x":"{}"}}"#,
        "a".repeat(20_000)
    );
    let answers = vec![
        done,
        same,
        revoke_user(
            &account,
            inbound(r#"{"email":"ann@example.com","passkeys":"yes"}"#, None),
        )
        .await,
        revoke_user(&account, inbound(r#"{"email":null}"#, None)).await,
        revoke_user(&account, inbound("{", None)).await,
        revoke_user(&account, unsigned).await,
        revoke_user(&account, inbound(&huge, None)).await,
        revoke_user(&account, not_json).await,
        revoke_user(
            &Fake {
                down: true,
                ..Fake::default()
            },
            inbound(with_passkeys, None),
        )
        .await,
    ];
    assert_eq!(
        account.revoked.lock().unwrap().len(),
        1,
        "a refused request revokes nothing"
    );
    check_documented("/v1/users/revocations", "post", &answers);
}
