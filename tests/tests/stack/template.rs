//! The stack that `make up` deploys: every output exists and every resource
//! answers as the template says.

use aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_sdk_sqs::types::QueueAttributeName;
use magiclink_tests::{Stack, aws, new_address, unique};
use serde_json::Value;

const OUTPUTS: [&str; 11] = [
    "ApiUrl",
    "ApiId",
    "UserPoolId",
    "UserPoolClientId",
    "EventBusName",
    "MailQueueUrl",
    "DeadLetterQueueUrl",
    "TableName",
    "SigningKeyId",
    "IdentityPoolId",
    "FingerprintKeyId",
];

#[tokio::test]
async fn every_output_exists() {
    let stack = Stack::load(&aws().await).await;
    for key in OUTPUTS {
        assert!(!stack.output(key).is_empty(), "{key}");
    }
    assert_eq!(stack.output("EventBusName"), "magiclink");
}

#[tokio::test]
async fn the_mail_queue_dead_letters_after_five_receives() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let attributes = |url: String| {
        let sqs = sqs.clone();
        async move {
            sqs.get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::All)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap()
        }
    };
    let queue = attributes(stack.output("MailQueueUrl").to_owned()).await;
    let dlq = attributes(stack.output("DeadLetterQueueUrl").to_owned()).await;
    let redrive: Value = serde_json::from_str(&queue[&QueueAttributeName::RedrivePolicy]).unwrap();
    assert_eq!(
        redrive["maxReceiveCount"].to_string().trim_matches('"'),
        "5"
    );
    assert_eq!(
        redrive["deadLetterTargetArn"],
        dlq[&QueueAttributeName::QueueArn].as_str()
    );
    let policy: Value = serde_json::from_str(&queue[&QueueAttributeName::Policy]).unwrap();
    let statement = &policy["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    assert!(statement["Condition"]["ArnEquals"]["aws:SourceArn"].is_string());
}

#[tokio::test]
async fn the_table_expires_items_and_keeps_backups() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let ttl = ddb
        .describe_time_to_live()
        .table_name(stack.output("TableName"))
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("ttl"));
    assert_eq!(
        ttl.time_to_live_status(),
        Some(&aws_sdk_dynamodb::types::TimeToLiveStatus::Enabled)
    );
    let backups = ddb
        .describe_continuous_backups()
        .table_name(stack.output("TableName"))
        .send()
        .await
        .unwrap();
    let pitr = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status());
    assert_eq!(
        pitr,
        Some(&aws_sdk_dynamodb::types::PointInTimeRecoveryStatus::Enabled)
    );
}

#[tokio::test]
async fn the_rule_sends_link_requests_invitations_and_passkey_changes_to_the_mail_queue() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let rules = events
        .list_rules()
        .event_bus_name(stack.output("EventBusName"))
        .send()
        .await
        .unwrap();
    let queue_arn = aws_sdk_sqs::Client::new(&config)
        .get_queue_attributes()
        .queue_url(stack.output("MailQueueUrl"))
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let mut found = false;
    for rule in rules.rules() {
        let pattern: Value = serde_json::from_str(rule.event_pattern().unwrap_or("{}")).unwrap();
        let mailed = serde_json::json!([
            "MagicLinkRequested",
            "InvitationSent",
            "PasskeyRegistered",
            "PasskeyRemoved"
        ]);
        if pattern["detail-type"] != mailed {
            continue;
        }
        assert_eq!(pattern["source"], serde_json::json!(["magiclink"]));
        let targets = events
            .list_targets_by_rule()
            .event_bus_name(stack.output("EventBusName"))
            .rule(rule.name().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(targets.targets().len(), 1);
        assert_eq!(targets.targets()[0].arn(), queue_arn);
        found = true;
    }
    assert!(
        found,
        "no rule routes MagicLinkRequested, InvitationSent and the passkey changes (for their notices)"
    );
}

#[tokio::test]
async fn the_user_pool_runs_the_verifier_as_its_triggers() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&config);
    let pool = idp
        .describe_user_pool()
        .user_pool_id(stack.output("UserPoolId"))
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap();
    let triggers = pool.lambda_config().unwrap();
    let verifier = triggers.define_auth_challenge().unwrap();
    assert!(
        verifier.ends_with(":function:magiclink-verifier"),
        "{verifier}"
    );
    assert_eq!(triggers.create_auth_challenge(), Some(verifier));
    assert_eq!(triggers.verify_auth_challenge_response(), Some(verifier));
    assert_eq!(triggers.pre_sign_up(), Some(verifier));
    assert_eq!(
        pool.username_attributes(),
        [aws_sdk_cognitoidentityprovider::types::UsernameAttributeType::Email]
    );
    let client = idp
        .describe_user_pool_client()
        .user_pool_id(stack.output("UserPoolId"))
        .client_id(stack.output("UserPoolClientId"))
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap();
    let mut flows = client.explicit_auth_flows().to_vec();
    flows.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(
        flows,
        [
            ExplicitAuthFlowsType::AllowCustomAuth,
            ExplicitAuthFlowsType::AllowRefreshTokenAuth
        ]
    );
}

#[tokio::test]
async fn the_signing_key_is_an_ecc_p256_signing_key() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let key = aws_sdk_kms::Client::new(&config)
        .describe_key()
        .key_id(stack.output("SigningKeyId"))
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(key.key_spec(), Some(&KeySpec::EccNistP256));
    assert_eq!(key.key_usage(), Some(&KeyUsageType::SignVerify));
}

#[tokio::test]
async fn a_post_through_the_api_reaches_the_request_function() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let http = reqwest::Client::new();
    // The function's own error shape proves the route reaches it.
    let refused = http
        .post(stack.magic_links_url())
        .header("content-type", "application/json")
        .body(r#"{"email":"not-an-address"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_email");

    // A valid request leaves its challenge in the stack's table.
    let address = format!("{}@example.com", unique("stack"));
    let accepted = http
        .post(stack.magic_links_url())
        .header("content-type", "application/json")
        .body(serde_json::json!({ "email": address }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let items = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name(stack.output("TableName"))
        .filter_expression("email = :e")
        .expression_attribute_values(":e", aws_sdk_dynamodb::types::AttributeValue::S(address))
        .send()
        .await
        .unwrap();
    assert_eq!(items.count(), 1);
}

#[tokio::test]
async fn the_deployed_api_refuses_redirects_that_could_carry_the_token_away() {
    let stack = Stack::load(&aws().await).await;
    let http = reqwest::Client::new();
    // The stack allows exactly http://localhost:8000/.
    for (redirect, status) in [
        ("http://localhost:8000/", 202),
        ("http://localhost:8000/?next=https://evil.example/", 400),
        ("http://localhost:8000/deeper/path", 400),
        ("http://localhost:8000/#elsewhere", 400),
    ] {
        let address = format!("{}@example.com", unique("redirect"));
        let answer = http
            .post(stack.magic_links_url())
            .header("content-type", "application/json")
            .body(serde_json::json!({ "email": address, "redirectUri": redirect }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), status, "{redirect}");
        if status == 400 {
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["error"]["code"], "redirect_not_allowed", "{redirect}");
        }
    }
}

#[tokio::test]
async fn the_fingerprint_key_is_an_hmac_key() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let key = aws_sdk_kms::Client::new(&config)
        .describe_key()
        .key_id(stack.output("FingerprintKeyId"))
        .send()
        .await
        .unwrap();
    let key = key.key_metadata().unwrap();
    assert_eq!(key.key_spec(), Some(&KeySpec::Hmac256));
    assert_eq!(key.key_usage(), Some(&KeyUsageType::GenerateVerifyMac));
}

#[tokio::test]
async fn a_signed_in_user_exchanges_the_id_token_for_aws_credentials() {
    use magiclink_tests::{LinkIssuer, PoolClient};
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let email = new_address("identity");
    let pool = PoolClient::new(&config, &stack);
    pool.create_user(&email).await;
    let (_, token) = LinkIssuer::new(&config, &stack).link(&email).await;
    let tokens = pool.sign_in(email.as_str(), &token).await.tokens();
    let id_token = tokens.id_token().unwrap();

    let provider = format!(
        "cognito-idp.{}.amazonaws.com/{}",
        config.region().unwrap(),
        stack.output("UserPoolId")
    );
    let identity = aws_sdk_cognitoidentity::Client::new(&config);
    let id = identity
        .get_id()
        .identity_pool_id(stack.output("IdentityPoolId"))
        .logins(&provider, id_token)
        .send()
        .await
        .unwrap()
        .identity_id
        .unwrap();
    let credentials = identity
        .get_credentials_for_identity()
        .identity_id(&id)
        .logins(&provider, id_token)
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    assert!(credentials.access_key_id().is_some_and(|k| !k.is_empty()));
    assert!(credentials.secret_key().is_some_and(|k| !k.is_empty()));
    assert!(credentials.session_token().is_some_and(|k| !k.is_empty()));
    assert!(credentials.expiration().is_some());
}

#[tokio::test]
async fn the_api_admits_browsers_from_the_allowed_origin_only() {
    let stack = Stack::load(&aws().await).await;
    let preflight = |origin: &'static str| {
        reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, stack.magic_links_url())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("http://localhost:8000").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .unwrap(),
        "http://localhost:8000"
    );
    let foreign = preflight("https://evil.example").await.unwrap();
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // The status endpoint of cross-device approval: a GET with the
    // verifier's header.
    let status = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/{}", stack.magic_links_url(), ulid::Ulid::generate()),
        )
        .header("origin", "http://localhost:8000")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "x-magiclink-verifier")
        .send()
        .await
        .unwrap();
    assert!(status.status().is_success(), "{}", status.status());
    let allowed = |name: &str| {
        status
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert!(allowed("access-control-allow-methods").contains("get"));
    assert!(allowed("access-control-allow-headers").contains("x-magiclink-verifier"));
}
