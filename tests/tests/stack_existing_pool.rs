//! magiclink added to user pools it did not make (template parameter
//! `UserPoolId`), on the emulator: pools made here, holding users and a
//! `PostConfirmation` trigger of their own, get a second stack beside
//! `magiclink` ([`deploy_beside`]). Their users sign in by link and by code
//! without any migration, the foreign trigger stays, and deleting the stack
//! puts the pool's triggers back as they were; a pool whose
//! `DefineAuthChallenge` is taken makes the deploy fail, saying which. A
//! binary of its own: it deploys and deletes whole stacks.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::types::{
    AliasAttributeType, LambdaConfigType, MessageActionType, UsernameAttributeType,
    VerifiedAttributeType,
};
use magiclink_tests::{
    PoolClient, Stack, attribute, aws, beside_name, delete_stack, deploy_beside, mail_to,
    new_address, output_text, unique,
};
use serde_json::json;

/// A Lambda function's ARN.
async fn function_arn(config: &SdkConfig, name: &str) -> String {
    aws_sdk_lambda::Client::new(config)
        .get_function()
        .function_name(name)
        .send()
        .await
        .unwrap()
        .configuration()
        .unwrap()
        .function_arn()
        .unwrap()
        .to_owned()
}

/// How a pool takes addresses.
#[derive(Debug, Clone, Copy)]
enum Shape {
    EmailUsername,
    EmailAlias,
    /// Usernames only: the address is no way in.
    UsernameOnly,
}

/// A pool made outside any stack, with `triggers` of its own.
async fn foreign_pool(config: &SdkConfig, shape: Shape, triggers: LambdaConfigType) -> String {
    let idp = aws_sdk_cognitoidentityprovider::Client::new(config);
    let pool = idp
        .create_user_pool()
        .pool_name(unique("foreign"))
        .auto_verified_attributes(VerifiedAttributeType::Email)
        .lambda_config(triggers);
    let pool = match shape {
        Shape::EmailUsername => pool.username_attributes(UsernameAttributeType::Email),
        Shape::EmailAlias => pool.alias_attributes(AliasAttributeType::Email),
        Shape::UsernameOnly => pool,
    };
    let created = pool.send().await.unwrap();
    created.user_pool().unwrap().id().unwrap().to_owned()
}

/// An existing user of `pool`: `username`, with the verified `email`.
async fn existing_user(config: &SdkConfig, pool: &str, username: &str, email: &str) {
    aws_sdk_cognitoidentityprovider::Client::new(config)
        .admin_create_user()
        .user_pool_id(pool)
        .username(username)
        .user_attributes(attribute("email", email))
        .user_attributes(attribute("email_verified", "true"))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap();
}

async fn triggers_of(config: &SdkConfig, pool: &str) -> LambdaConfigType {
    aws_sdk_cognitoidentityprovider::Client::new(config)
        .describe_user_pool()
        .user_pool_id(pool)
        .send()
        .await
        .unwrap()
        .user_pool()
        .unwrap()
        .lambda_config()
        .cloned()
        .unwrap_or_else(|| LambdaConfigType::builder().build())
}

/// Asks stack `stack` for a link to `email`; signs in with the mailed link
/// (`by_code`: with its code) through the stack's app client.
async fn signs_in(config: &SdkConfig, stack: &Stack, email: &str, by_code: bool) -> bool {
    assert_eq!(stack.request_link(email).await, 202);
    let mail = mail_to(email, 1, Duration::from_secs(30)).await.remove(0);
    let answer = if by_code {
        json!({"challengeId": mail.challenge_id(), "code": mail.code()}).to_string()
    } else {
        mail.token()
    };
    PoolClient::new(config, stack)
        .sign_in(email, &answer)
        .await
        .is_tokens()
}

#[tokio::test]
async fn an_existing_pools_users_sign_in_and_the_pool_is_given_back_as_it_was() {
    let config = aws().await;
    let theirs = function_arn(&config, "magiclink-relay").await;
    let own = LambdaConfigType::builder()
        .post_confirmation(&theirs)
        .build();
    let pool = foreign_pool(&config, Shape::EmailUsername, own.clone()).await;
    let (ann, bob) = (new_address("pool-ann"), new_address("pool-bob"));
    for user in [&ann, &bob] {
        existing_user(&config, &pool, user.as_str(), user.as_str()).await;
    }
    let name = beside_name("ml-pool");
    let deployed = deploy_beside(&config, &name, &[&format!("UserPoolId={pool}")]).await;
    assert!(deployed.status.success(), "{}", output_text(&deployed));
    let stack = Stack::load_named(&config, &name).await;
    assert_eq!(stack.output("UserPoolId"), pool);

    let verifier = function_arn(&config, &stack.function_name("verifier")).await;
    let attached = triggers_of(&config, &pool).await;
    assert_eq!(
        attached.define_auth_challenge.as_deref(),
        Some(verifier.as_str())
    );
    assert_eq!(
        attached.create_auth_challenge.as_deref(),
        Some(verifier.as_str())
    );
    assert_eq!(
        attached.verify_auth_challenge_response.as_deref(),
        Some(verifier.as_str())
    );
    assert_eq!(attached.post_confirmation.as_deref(), Some(theirs.as_str()));
    assert_eq!(attached.pre_sign_up, None, "sign-up stays the pool's own");

    assert!(
        signs_in(&config, &stack, ann.as_str(), false).await,
        "by link"
    );
    assert!(
        signs_in(&config, &stack, bob.as_str(), true).await,
        "by code"
    );

    delete_stack(&config, &name).await;
    assert_eq!(
        triggers_of(&config, &pool).await,
        own,
        "given back as it was"
    );
}

#[tokio::test]
async fn a_pool_with_an_address_alias_signs_in_its_users_and_invites_new_ones() {
    let config = aws().await;
    let pool = foreign_pool(
        &config,
        Shape::EmailAlias,
        LambdaConfigType::builder().build(),
    )
    .await;
    let carol = new_address("pool-carol");
    existing_user(
        &config,
        &pool,
        &unique("carol").to_lowercase(),
        carol.as_str(),
    )
    .await;
    let name = beside_name("ml-alias");
    // Only known users get links here: invitations are how others get in.
    let deployed = deploy_beside(
        &config,
        &name,
        &[&format!("UserPoolId={pool}"), "SignUpMode=existing"],
    )
    .await;
    assert!(deployed.status.success(), "{}", output_text(&deployed));
    let stack = Stack::load_named(&config, &name).await;
    assert!(
        signs_in(&config, &stack, carol.as_str(), false).await,
        "by alias"
    );
    let stranger = new_address("pool-stranger");
    assert_eq!(stack.request_link(stranger.as_str()).await, 202);

    // An invitation makes the account, with a username of its own, in
    // sign-up mode `existing` too.
    let dave = new_address("pool-dave");
    let admin = magiclink_cli::AdminClient::new(&config, &stack.api_url("")).unwrap();
    let invitation = magiclink_cli::Invitation {
        email: dave.as_str().to_owned(),
        ..magiclink_cli::Invitation::default()
    };
    assert_eq!(admin.invite(&invitation).await.unwrap().status, 201);
    let mail = mail_to(dave.as_str(), 1, Duration::from_secs(30))
        .await
        .remove(0);
    let answer = json!({"challengeId": mail.challenge_id(), "code": mail.code()}).to_string();
    let pool_client = PoolClient::new(&config, &stack);
    assert!(
        pool_client
            .sign_in(dave.as_str(), &answer)
            .await
            .is_tokens()
    );
    let user = pool_client
        .idp()
        .admin_get_user()
        .user_pool_id(&pool)
        .username(dave.as_str())
        .send()
        .await
        .unwrap();
    assert_ne!(
        user.username(),
        dave.as_str(),
        "not the address: an alias pool refuses that"
    );
    assert!(
        magiclink_tests::captured_mail()
            .await
            .iter()
            .all(|m| !m.to.iter().any(|to| to == stranger.as_str())),
        "a stranger's own request is not mailed in mode existing"
    );

    delete_stack(&config, &name).await;
    let back = triggers_of(&config, &pool).await;
    assert_eq!(back, LambdaConfigType::builder().build());
}

#[tokio::test]
async fn pools_it_cannot_serve_are_refused_with_the_reason_and_left_alone() {
    let config = aws().await;
    let theirs = function_arn(&config, "magiclink-relay").await;
    let taken = LambdaConfigType::builder()
        .define_auth_challenge(&theirs)
        .build();
    let cases = [
        (
            Shape::EmailUsername,
            taken,
            "DefineAuthChallenge trigger is already set to",
        ),
        (
            Shape::UsernameOnly,
            LambdaConfigType::builder().build(),
            "signs users in by username only",
        ),
    ];
    for (shape, triggers, reason) in cases {
        let pool = foreign_pool(&config, shape, triggers.clone()).await;
        let name = beside_name("ml-refused");
        let deployed = deploy_beside(&config, &name, &[&format!("UserPoolId={pool}")]).await;
        let output = output_text(&deployed);
        assert!(!deployed.status.success(), "{shape:?}: {output}");
        assert!(output.contains(reason), "{shape:?}: {output}");
        delete_stack(&config, &name).await;
        assert_eq!(triggers_of(&config, &pool).await, triggers, "{shape:?}");
    }
}
