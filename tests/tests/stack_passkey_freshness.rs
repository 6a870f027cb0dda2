//! A passkey is added or removed only after a fresh sign-in: against the
//! deployed stack, with the passkeys function's window shortened to two
//! seconds for the length of the test (a binary of its own, so that no other
//! passkey test runs while the window is short). Also pins an emulator
//! deviation: MiniStack stamps `auth_time` at every token issue, refreshes
//! too, where Cognito keeps the sign-in's.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use magiclink_tests::{
    FunctionEnvironment, LinkIssuer, PoolClient, Stack, aws, jwt_claims, new_address,
};
use serde_json::Value;

const WINDOW: Duration = Duration::from_secs(2);

#[tokio::test]
async fn passkey_changes_need_a_sign_in_within_the_window() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let pool = PoolClient::new(&config, &stack);
    let links = LinkIssuer::new(&config, &stack);
    let http = reqwest::Client::new();
    let short = FunctionEnvironment::set(
        &config,
        &stack.function_name("passkeys"),
        &[("PASSKEY_FRESH_SECONDS", WINDOW.as_secs().to_string())],
    )
    .await;

    let email = new_address("fresh");
    pool.create_user(&email).await;
    let sign_in = || async {
        let (_, token) = links.link(&email).await;
        pool.sign_in(email.as_str(), &token).await.tokens()
    };
    let call = |method: reqwest::Method, path: &str, access: &str| {
        let request = http
            .request(method, stack.api_url(&format!("/v1/passkeys{path}")))
            .header("authorization", format!("Bearer {access}"));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value =
                serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null);
            (status, body)
        }
    };

    let tokens = sign_in().await;
    let access = tokens.access_token().unwrap().to_owned();
    let (status, _) = call(reqwest::Method::POST, "/registration-options", &access).await;
    assert_eq!(status, 200, "a fresh sign-in may add a passkey");

    tokio::time::sleep(WINDOW + Duration::from_secs(1)).await;
    let passkey = ulid::Ulid::generate().to_string();
    for (method, path) in [
        (reqwest::Method::POST, "/registration-options".to_owned()),
        (reqwest::Method::DELETE, format!("/{passkey}")),
    ] {
        let (status, body) = call(method.clone(), &path, &access).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("reauthentication_required")),
            "{method} {path}: {body}"
        );
    }
    // Reading is not a change: the list needs no fresh sign-in.
    assert_eq!(call(reqwest::Method::GET, "", &access).await.0, 200);

    // The emulator's deviation: a refreshed token carries a new auth_time
    // (Cognito keeps the sign-in's, so on AWS a refresh is not fresh).
    let refreshed = pool
        .idp()
        .initiate_auth()
        .client_id(pool.client_id())
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", tokens.refresh_token().unwrap())
        .send()
        .await
        .unwrap();
    let refreshed = refreshed
        .authentication_result()
        .and_then(|r| r.access_token())
        .unwrap()
        .to_owned();
    let auth_time = |token: &str| jwt_claims(token)["auth_time"].as_u64().unwrap();
    assert!(
        auth_time(&refreshed) > auth_time(&access),
        "MiniStack now keeps auth_time across a refresh: update the README's deviation"
    );

    // A new sign-in may change passkeys again.
    let again = sign_in().await;
    let (status, _) = call(
        reqwest::Method::POST,
        "/registration-options",
        again.access_token().unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    short.restore().await;
}
