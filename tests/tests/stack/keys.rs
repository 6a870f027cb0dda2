//! The verifier's public keys: read from KMS at deploy time by the keys
//! resource and given to the verifier in its configuration, so that no
//! sign-in waits on KMS for them; and the keys resource answering each kind
//! of CloudFormation request, invoked as CloudFormation invokes it.

use std::time::Duration;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use aws_sdk_lambda::primitives::Blob;
use magiclink::token::{PublicKeys, fetch_public_key};
use magiclink_tests::{FunctionEnvironment, Stack, aws, emulator_endpoint, fresh_signing_key};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const STACK_NAME: &str = "magiclink";

async fn signing_key_set(config: &aws_config::SdkConfig, ids: &[&str]) -> PublicKeys {
    let kms = aws_sdk_kms::Client::new(config);
    let mut keys = PublicKeys::default();
    for id in ids {
        let key = fetch_public_key(&kms, id).await.unwrap();
        keys.insert((*id).to_owned(), key).unwrap();
    }
    keys
}

#[tokio::test]
async fn the_verifier_is_configured_with_the_signing_keys_public_half() {
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let variables = aws_sdk_lambda::Client::new(&config)
        .get_function_configuration()
        .function_name(format!("{STACK_NAME}-verifier"))
        .send()
        .await
        .unwrap()
        .environment
        .unwrap()
        .variables
        .unwrap();
    let configured = PublicKeys::from_jwks(&variables["ACCEPTED_PUBLIC_KEYS"]).unwrap();
    assert_eq!(
        configured,
        signing_key_set(&config, &[stack.output("SigningKeyId")]).await
    );
    assert!(
        !variables.contains_key("ACCEPTED_KEY_IDS"),
        "the verifier should not be told to fetch keys"
    );
}

/// One PUT received by [`ResponseUrl`]: its content type and its body.
struct Put {
    content_type: Option<String>,
    body: Value,
}

/// CloudFormation's side of a custom resource: a URL on this machine that
/// takes one PUT and answers 200.
struct ResponseUrl {
    listener: TcpListener,
}

impl ResponseUrl {
    async fn open() -> Self {
        Self {
            listener: TcpListener::bind("127.0.0.1:0").await.unwrap(),
        }
    }

    fn origin(&self) -> String {
        let port = self.listener.local_addr().unwrap().port();
        format!("http://127.0.0.1:{port}")
    }

    fn url(&self) -> String {
        format!(
            "{}/cloudformation-response?X-Amz-Signature=abc",
            self.origin()
        )
    }

    async fn take(&self) -> Put {
        let (mut stream, _) = self.listener.accept().await.unwrap();
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        let (head_end, length) = loop {
            let n = stream.read(&mut buffer).await.unwrap();
            assert!(n > 0, "the connection closed before the request ended");
            received.extend_from_slice(&buffer[..n]);
            if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
                assert!(head.starts_with("put "), "{head}");
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse::<usize>().unwrap())
                    .unwrap();
                break (end + 4, length);
            }
        };
        while received.len() < head_end + length {
            let n = stream.read(&mut buffer).await.unwrap();
            received.extend_from_slice(&buffer[..n]);
        }
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await
            .unwrap();
        let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
        Put {
            content_type: head
                .lines()
                .find_map(|l| l.strip_prefix("content-type:"))
                .map(|v| v.trim().to_owned()),
            body: serde_json::from_slice(&received[head_end..head_end + length]).unwrap(),
        }
    }
}

fn request(kind: &str, url: &str, properties: Value) -> Value {
    let mut event = json!({
        "RequestType": kind,
        "ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:magiclink-keys",
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/keys-test/1",
        "RequestId": ulid::Ulid::generate().to_string(),
        "ResourceType": "Custom::PublicKeys",
        "LogicalResourceId": "AcceptedPublicKeys",
        "ResourceProperties": properties,
    });
    if kind != "Create" {
        event["PhysicalResourceId"] = "magiclink-accepted-public-keys".into();
    }
    if kind == "Update" {
        event["OldResourceProperties"] = json!({"KeyIds": "old"});
    }
    event
}

/// Invokes the deployed keys function with `event`; its function error, if
/// any.
async fn invoke(config: &aws_config::SdkConfig, event: &Value) -> Option<String> {
    aws_sdk_lambda::Client::new(config)
        .invoke()
        .function_name(format!("{STACK_NAME}-keys"))
        .payload(Blob::new(serde_json::to_vec(event).unwrap()))
        .send()
        .await
        .unwrap()
        .function_error
}

/// Invokes the keys function with a request of `kind` and returns what it put
/// to the response URL.
async fn answer(
    config: &aws_config::SdkConfig,
    url: &ResponseUrl,
    kind: &str,
    properties: Value,
) -> Put {
    let event = request(kind, &url.url(), properties);
    let (put, error) = tokio::join!(url.take(), invoke(config, &event));
    assert_eq!(error, None);
    assert_eq!(
        put.content_type, None,
        "a pre-signed URL signs no content type"
    );
    for echoed in ["StackId", "RequestId", "LogicalResourceId"] {
        assert_eq!(put.body[echoed], event[echoed], "{echoed}");
    }
    assert_eq!(
        put.body["PhysicalResourceId"],
        "magiclink-accepted-public-keys"
    );
    put
}

#[tokio::test]
async fn the_keys_resource_answers_every_kind_of_request() {
    emulator_endpoint("invoking the keys resource with a response URL on this machine");
    let config = aws().await;
    let stack = Stack::load(&config).await;
    let signing = stack.output("SigningKeyId");
    let rotated = fresh_signing_key(&config).await;
    // The function answers only to CloudFormation's S3 host or, on the
    // emulator, to the emulator's own endpoint (`RESPONSE_URL_ORIGIN`): for
    // the length of the test this listener stands in for the emulator's
    // endpoint, so that what the function puts can be read.
    let url = ResponseUrl::open().await;
    let keys_function = FunctionEnvironment::set(
        &config,
        &stack.function_name("keys"),
        &[("RESPONSE_URL_ORIGIN", url.origin())],
    )
    .await;

    // Create and update: the public halves of the listed keys, as a set.
    for kind in ["Create", "Update"] {
        let put = answer(
            &config,
            &url,
            kind,
            json!({"KeyIds": format!("{signing}, {rotated},")}),
        )
        .await;
        assert_eq!(put.body["Status"], "SUCCESS", "{}", put.body);
        let jwks = put.body["Data"]["Jwks"].as_str().unwrap();
        assert_eq!(
            PublicKeys::from_jwks(jwks).unwrap(),
            signing_key_set(&config, &[signing, &rotated]).await
        );
    }

    // Delete: nothing to undo.
    let put = answer(&config, &url, "Delete", json!({"KeyIds": signing})).await;
    assert_eq!(put.body["Status"], "SUCCESS");

    // A key that cannot sign ES256, an unknown key, a missing property: a
    // failed resource with the reason, never a CloudFormation left waiting.
    let kms = aws_sdk_kms::Client::new(&config);
    let new_key = |spec, usage| kms.create_key().key_spec(spec).key_usage(usage).send();
    let key_id = |made: aws_sdk_kms::operation::create_key::CreateKeyOutput| {
        made.key_metadata.unwrap().key_id
    };
    let p384 = key_id(
        new_key(KeySpec::EccNistP384, KeyUsageType::SignVerify)
            .await
            .unwrap(),
    );
    let symmetric = key_id(
        new_key(KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt)
            .await
            .unwrap(),
    );
    let cases = [
        (
            json!({"KeyIds": format!("{signing},{p384}")}),
            "not ECC_NIST_P256",
        ),
        (
            json!({"KeyIds": symmetric}),
            "UnsupportedOperationException",
        ),
        (
            json!({"KeyIds": "no-such-key"}),
            "KMS did not give key \"no-such-key\"",
        ),
        (json!({"KeyIds": "k1\u{0}"}), "not a key id"),
        (json!({}), "KeyIds"),
    ];
    for (properties, reason) in cases {
        let put = answer(&config, &url, "Create", properties.clone()).await;
        assert_eq!(put.body["Status"], "FAILED", "{properties}");
        let said = put.body["Reason"].as_str().unwrap();
        assert!(said.contains(reason), "{properties}: {said}");
        assert!(said.len() < 500, "a reason CloudFormation can show: {said}");
    }

    // Not a CloudFormation request at all: there is nowhere to answer, so the
    // invocation fails.
    assert!(invoke(&config, &json!({"Records": []})).await.is_some());

    // A response URL of the caller's choosing (another port on this machine,
    // a metadata address, plain http on S3): refused, nothing put there.
    let elsewhere = ResponseUrl::open().await;
    for hostile in [
        elsewhere.url(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x".to_owned(),
    ] {
        let event = request("Create", &hostile, json!({"KeyIds": signing}));
        assert!(invoke(&config, &event).await.is_some(), "{hostile}");
    }
    assert!(
        tokio::time::timeout(Duration::from_secs(1), elsewhere.listener.accept())
            .await
            .is_err(),
        "nothing was put to a URL of the caller's choosing"
    );
    keys_function.restore().await;
}
