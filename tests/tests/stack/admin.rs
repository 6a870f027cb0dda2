//! The admin API against the deployed stack, as an operator uses it: signed
//! requests (SigV4, through `magiclink_cli::AdminClient` and the `magiclink`
//! binary) invite a user, who signs in with the invitation's code or link;
//! an invitation is revoked before use, and not after; a user's revocation
//! ends their links and sessions; a signed-in user signs out everywhere.
//! Every hostile request is refused with its reason, changing nothing.
//!
//! The emulator does not check SigV4 signatures: a request without an
//! `Authorization` header is refused, any header passes (see the README).
//! `infra/check_policies.py` checks that each admin route is `AWS_IAM`.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use magiclink::EmailAddress;
use magiclink::challenge::SignInMethod;
use magiclink::events::{Event, RejectionReason, RevokedBy};
use magiclink_cli::{AdminClient, CliError, Invitation};
use magiclink_tests::{Reply, extend_world, magiclink_command, mail_to, new_address};
use serde_json::{Value, json};

extend_world!(Admin);

impl Admin {
    /// The admin API, signed with the tests' credentials.
    fn admin(&self) -> AdminClient {
        AdminClient::new(&self.config, &self.stack.api_url("")).unwrap()
    }

    /// `POST /v1/invitations` for `email` with `extra` fields; the new
    /// invitation's id.
    async fn invite(&self, email: &EmailAddress, invited_by: Option<&str>) -> String {
        let invitation = Invitation {
            email: email.as_str().to_owned(),
            invited_by: invited_by.map(str::to_owned),
            expires_in_seconds: Some(3600),
            ..Invitation::default()
        };
        let reply = self.admin().invite(&invitation).await.unwrap();
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["challengeId"].as_str().unwrap().to_owned()
    }

    /// The events of `kind` about `email`, once `count` arrived.
    async fn events_of(
        &mut self,
        email: &EmailAddress,
        count: usize,
        kind: &'static str,
    ) -> Vec<Event> {
        let subject = email.fingerprint(self.stack.fingerprints());
        let events = self
            .tap
            .wait_for(count, Duration::from_secs(20), |e| {
                e.detail_type() == kind && subject_of(e) == Some(subject.as_str())
            })
            .await;
        assert_eq!(
            events.len(),
            count,
            "{kind} of {}: {events:?}",
            email.as_str()
        );
        events
    }

    /// Signs `email` in by link; the refresh token. Then waits for the
    /// next second: the emulator's sign-out ends only the tokens issued in
    /// an earlier second than itself (AWS ends all of them; see the
    /// README's deviations).
    async fn signed_in(&self, email: &EmailAddress) -> String {
        let (_, token) = self.links.link(email).await;
        let tokens = self.pool.sign_in(email.as_str(), &token).await.tokens();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        tokens.refresh_token().unwrap().to_owned()
    }

    /// Fails unless `refresh` no longer gives tokens: the session ended.
    /// (The emulator keeps accepting the access tokens of a signed-out
    /// user outside its `AUTH` mode; AWS refuses them.)
    async fn assert_signed_out(&self, refresh: &str) {
        let refreshed = self
            .pool
            .idp()
            .initiate_auth()
            .client_id(self.pool.client_id())
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh)
            .send()
            .await;
        assert!(refreshed.is_err(), "the session ended: {refreshed:?}");
    }

    /// A raw request to `path` of the API, with `authorization` if any.
    async fn raw(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        body: &str,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, self.stack.api_url(path))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        Reply::of(request.send().await.unwrap()).await
    }
}

fn subject_of(event: &Event) -> Option<&str> {
    match event {
        Event::InvitationSent(e) => Some(&e.subject_hash),
        Event::InvitationRevoked(e) => Some(&e.subject_hash),
        Event::UserRevoked(e) => Some(&e.subject_hash),
        Event::SignInSucceeded(e) => Some(&e.subject_hash),
        Event::SignInRejected(e) => Some(&e.subject_hash),
        _ => None,
    }
}

fn refused(result: Result<magiclink_cli::Reply, CliError>) -> (u16, String) {
    match result {
        Err(CliError::Refused { status, code, .. }) => (status, code),
        other => panic!("not refused: {other:?}"),
    }
}

#[tokio::test]
async fn an_invited_stranger_gets_an_account_and_signs_in_with_the_invitations_code() {
    let mut w = world().await;
    let email = new_address("invited");
    let id = w.invite(&email, Some("Ann from Support")).await;
    let mail = mail_to(email.as_str(), 1, Duration::from_secs(30))
        .await
        .remove(0);
    assert_eq!(mail.subject, "Ann from Support invited you to sign in");
    assert!(mail.text.contains("for 1 hour, until"), "{}", mail.text);
    assert_eq!(mail.challenge_id(), id);
    match w.events_of(&email, 1, "InvitationSent").await.as_slice() {
        [Event::InvitationSent(sent)] => assert_eq!(sent.challenge_id.to_string(), id),
        other => panic!("{other:?}"),
    }
    // The mailer made the account: no temporary password, no Cognito mail.
    w.pool.sub(&email).await;
    let answer = json!({"challengeId": id, "code": mail.code()}).to_string();
    assert!(w.pool.sign_in(email.as_str(), &answer).await.is_tokens());
    match w.sign_in_events(&email, 1).await.as_slice() {
        [Event::SignInSucceeded(ok)] => assert_eq!(ok.method, SignInMethod::Code),
        other => panic!("{other:?}"),
    }
    // Used: too late to revoke.
    let (status, code) = refused(w.admin().revoke_invitation(&id).await);
    assert_eq!((status, code.as_str()), (409, "used"));
}

#[tokio::test]
async fn a_revoked_invitation_signs_in_no_way_and_names_no_other_challenge() {
    let mut w = world().await;
    let ann = w.new_user("revoked-invite").await;
    let id = w.invite(&ann, None).await;
    let mail = mail_to(ann.as_str(), 1, Duration::from_secs(30))
        .await
        .remove(0);
    assert_eq!(mail.subject, "Your team invited you to sign in");
    let admin = w.admin();
    assert_eq!(admin.revoke_invitation(&id).await.unwrap().status, 204);
    assert_eq!(
        admin.revoke_invitation(&id).await.unwrap().status,
        204,
        "again: nothing changes"
    );
    assert!(
        !w.pool
            .sign_in(ann.as_str(), &mail.token())
            .await
            .is_tokens()
    );
    let code = json!({"challengeId": id, "code": mail.code()}).to_string();
    assert!(!w.pool.sign_in(ann.as_str(), &code).await.is_tokens());
    assert_eq!(
        w.rejections(&ann, 2).await,
        [RejectionReason::Revoked, RejectionReason::Revoked]
    );
    w.events_of(&ann, 1, "InvitationRevoked").await;

    // A user's own link request is no invitation; an unknown id, another
    // stack's and a malformed one name none.
    let (own, _) = w.links.link(&ann).await;
    for unknown in [
        own.id.to_string(),
        "01JD0000000000000000000000".to_owned(),
        "not-a-ulid".to_owned(),
    ] {
        let (status, code) = refused(admin.revoke_invitation(&unknown).await);
        assert_eq!((status, code.as_str()), (404, "not_found"), "{unknown}");
    }
    // An id that would climb to another route reaches none.
    let (status, _) = refused(admin.revoke_invitation("../users/revocations").await);
    assert_eq!(status, 404);
    // The user's own link still works: revoking an invitation is not
    // revoking a user.
    let (_, token) = w.links.link(&ann).await;
    assert!(w.pool.sign_in(ann.as_str(), &token).await.is_tokens());
}

#[tokio::test]
async fn hostile_invitations_are_refused_with_their_reason() {
    let w = world().await;
    let admin = w.admin();
    let email = new_address("hostile-invite");
    let base = |extra: Value| {
        let mut body = json!({"email": email.as_str()});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let cases = [
        (json!({"email": 7}), 400, "invalid_email"),
        (json!({"email": "no at sign"}), 400, "invalid_email"),
        (
            base(json!({"redirectUri": "https://evil.example/"})),
            400,
            "redirect_not_allowed",
        ),
        (
            base(json!({"expiresInSeconds": 604_801})),
            400,
            "invalid_field",
        ),
        (
            base(json!({"expiresInSeconds": "3600"})),
            400,
            "invalid_field",
        ),
        (
            base(json!({"invitedBy": "Ann\r\nBcc: x@evil.example"})),
            400,
            "invalid_field",
        ),
        (
            base(json!({"invitedBy": "x".repeat(101)})),
            400,
            "invalid_field",
        ),
        (base(json!({"locale": {"tag": "de"}})), 400, "invalid_field"),
        (
            base(json!({"padding": "a".repeat(20_000)})),
            413,
            "payload_too_large",
        ),
        (json!([email.as_str()]), 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let refusal = refused(admin.send("POST", "/v1/invitations", Some(&body)).await);
        assert_eq!(refusal, (status, code.to_owned()), "{body}");
    }
    // Unsigned: refused before the function runs.
    let body = json!({"email": email.as_str()}).to_string();
    for (method, path) in [
        ("POST", "/v1/invitations"),
        ("DELETE", "/v1/invitations/01JD0000000000000000000000"),
        ("POST", "/v1/users/revocations"),
    ] {
        let reply = w.raw(method, path, None, &body).await;
        assert_eq!(reply.status, 403, "{method} {path}: {:?}", reply.body);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        magiclink_tests::captured_mail()
            .await
            .iter()
            .all(|m| !m.to.iter().any(|to| to == email.as_str())),
        "no refused invitation is mailed"
    );
}

#[tokio::test]
async fn a_revocation_ends_the_users_links_codes_and_sessions() {
    let mut w = world().await;
    let ann = w.new_user("revoked-user").await;
    let refresh = w.signed_in(&ann).await;
    let (outstanding, token) = w.links.link(&ann).await;
    let reply = w.admin().revoke_user(ann.as_str(), true).await.unwrap();
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(reply.body["status"], "accepted");

    assert!(!w.pool.sign_in(ann.as_str(), &token).await.is_tokens());
    w.assert_signed_out(&refresh).await;
    match w.events_of(&ann, 1, "UserRevoked").await.as_slice() {
        [Event::UserRevoked(revoked)] => {
            assert_eq!(revoked.revoked_by, RevokedBy::Admin);
            assert!(revoked.passkeys);
            assert_eq!(
                revoked.revocation_id.to_string(),
                reply.body["revocationId"].as_str().unwrap()
            );
        }
        other => panic!("{other:?}"),
    }
    match w.sign_in_events(&ann, 2).await.as_slice() {
        [Event::SignInSucceeded(_), Event::SignInRejected(no)] => {
            assert_eq!(no.reason, RejectionReason::Revoked);
            assert_eq!(no.challenge_id, Some(outstanding.id));
        }
        other => panic!("{other:?}"),
    }
    // A link asked for afterwards works.
    let (_, after) = w.links.link(&ann).await;
    assert!(w.pool.sign_in(ann.as_str(), &after).await.is_tokens());

    // An address without an account is answered the same.
    let stranger = new_address("revoked-stranger");
    let same = w
        .admin()
        .revoke_user(stranger.as_str(), false)
        .await
        .unwrap();
    assert_eq!(same.status, 202);
    let (status, code) = refused(
        w.admin()
            .send(
                "POST",
                "/v1/users/revocations",
                Some(&json!({"email": ann.as_str(), "passkeys": 1})),
            )
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "invalid_field"));
}

#[tokio::test]
async fn a_signed_in_user_signs_out_everywhere() {
    let mut w = world().await;
    let ann = w.new_user("sign-out").await;
    let (_, first) = w.links.link(&ann).await;
    let tokens = w.pool.sign_in(ann.as_str(), &first).await.tokens();
    let access = tokens.access_token().unwrap().to_owned();
    let refresh = tokens.refresh_token().unwrap().to_owned();
    // See `signed_in`: the emulator's sign-out is to the second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, outstanding) = w.links.link(&ann).await;
    let path = "/v1/me/sign-out-everywhere";
    assert_eq!(w.raw("POST", path, None, "").await.status, 401);
    let reply = w
        .raw("POST", path, Some(&format!("Bearer {access}")), "")
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.body);
    w.assert_signed_out(&refresh).await;
    assert!(!w.pool.sign_in(ann.as_str(), &outstanding).await.is_tokens());
    match w.events_of(&ann, 1, "UserRevoked").await.as_slice() {
        [Event::UserRevoked(revoked)] => {
            assert_eq!(revoked.revoked_by, RevokedBy::User);
            assert!(!revoked.passkeys);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_command_line_invites_and_revokes() {
    let w = world().await;
    let email = new_address("cli");
    let api = w.stack.api_url("");
    let invited = magiclink_command()
        .args([
            "--api-url",
            &api,
            "invite",
            email.as_str(),
            "--invited-by",
            "Ops",
        ])
        .args(["--expires-in", "7200", "--locale", "fr"])
        .output()
        .unwrap();
    assert!(invited.status.success(), "{invited:?}");
    let answer: Value = serde_json::from_slice(&invited.stdout).unwrap();
    let id = answer["challengeId"].as_str().unwrap().to_owned();
    let mail = mail_to(email.as_str(), 1, Duration::from_secs(30))
        .await
        .remove(0);
    assert_eq!(mail.subject, "Ops vous invite à vous connecter");
    assert!(mail.text.contains("2\u{a0}heures"), "{}", mail.text);

    let revoked = magiclink_command()
        .args(["--api-url", &api, "revoke", "--invitation", &id])
        .output()
        .unwrap();
    assert!(revoked.status.success(), "{revoked:?}");
    let unknown = magiclink_command()
        .args([
            "--api-url",
            &api,
            "revoke",
            "--invitation",
            "01JD0000000000000000000000",
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("404 not_found"), "{said}");
    let user = magiclink_command()
        .args(["--api-url", &api, "revoke", email.as_str(), "--passkeys"])
        .output()
        .unwrap();
    assert!(user.status.success(), "{user:?}");
    assert!(String::from_utf8_lossy(&user.stdout).contains("accepted"));
    // Usage errors are clap's, before any request.
    let usage = magiclink_command().args(["revoke"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
}

#[tokio::test]
async fn an_address_receives_at_most_its_days_invitations() {
    let w = world().await;
    let email = new_address("invite-limit");
    for _ in 0..5 {
        w.invite(&email, None).await;
    }
    let invitation = Invitation {
        email: email.as_str().to_owned(),
        ..Invitation::default()
    };
    let (status, code) = refused(w.admin().invite(&invitation).await);
    assert_eq!((status, code.as_str()), (429, "rate_limited"));
    // Another address is not held back by it.
    w.invite(&new_address("invite-limit-other"), None).await;
}
