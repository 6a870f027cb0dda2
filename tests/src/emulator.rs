//! Reaching the emulator, and the throw-away resources a test makes for
//! itself: tables, keys, buses and queues with unique names.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};

/// What `MAGICLINK_TEST_TARGET` must say for the tests to run against the
/// AWS account of the ambient credentials instead of the emulator.
const ON_AWS: &str = "aws";

/// The SDK configuration for the emulator at `AWS_ENDPOINT_URL`, or, with
/// `MAGICLINK_TEST_TARGET=aws` and no `AWS_ENDPOINT_URL`, for the account and
/// region of the ambient credentials, where the stack `magiclink` is
/// deployed. Panics, naming the fix, if neither is set or nothing answers.
pub async fn aws() -> SdkConfig {
    let endpoint = match std::env::var("AWS_ENDPOINT_URL") {
        Ok(endpoint) => endpoint,
        Err(_) if std::env::var("MAGICLINK_TEST_TARGET").as_deref() == Ok(ON_AWS) => {
            return magiclink::aws::load_config(magiclink::aws::CallBudget::BACKGROUND).await;
        }
        Err(_) => panic!(
            "AWS_ENDPOINT_URL is not set. These tests run against the local emulator: \
             run them with `make test`, or start it with `localstack/start.sh` and \
             `source localstack/env.sh`. To run them against a stack deployed to AWS, \
             set MAGICLINK_TEST_TARGET=aws (README, \"Deploying to AWS\")."
        ),
    };
    let authority = authority_of(&endpoint);
    let reachable = authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
    assert!(
        reachable,
        "nothing answers at AWS_ENDPOINT_URL={endpoint}: start the emulator with \
         `localstack/start.sh` (or run `make test`)"
    );
    magiclink::aws::load_config(magiclink::aws::CallBudget::BACKGROUND).await
}

/// The emulator's endpoint, for what only the emulator offers: the mail SES
/// captured, functions run as local processes, endpoints that can be broken
/// on loopback. On AWS it panics, naming `what` needs the emulator, so that
/// such a test fails with its reason instead of passing for nothing.
pub fn emulator_endpoint(what: &str) -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!(
            "{what} needs the local emulator (AWS_ENDPOINT_URL): on AWS, run the tests \
             that use only public endpoints (README, \"Deploying to AWS\")"
        )
    })
}

/// The `host:port` of an endpoint URL such as `AWS_ENDPOINT_URL`.
pub fn authority_of(endpoint: &str) -> &str {
    endpoint
        .split("://")
        .nth(1)
        .unwrap_or(endpoint)
        .trim_end_matches('/')
}

/// A name no other test run uses.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        ulid::Ulid::generate().to_string().to_ascii_lowercase()
    )
}

/// A new, empty table shaped like the stack's: partition key `pk`, on demand.
pub async fn fresh_table(config: &SdkConfig) -> String {
    let ddb = aws_sdk_dynamodb::Client::new(config);
    let name = unique("magiclink-test");
    ddb.create_table()
        .table_name(&name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .expect("key schema"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable on the emulator");
    name
}

/// A new asymmetric signing key like the stack's (ECC_NIST_P256, SIGN_VERIFY).
pub async fn fresh_signing_key(config: &SdkConfig) -> String {
    let kms = aws_sdk_kms::Client::new(config);
    let key = kms
        .create_key()
        .key_spec(KeySpec::EccNistP256)
        .key_usage(KeyUsageType::SignVerify)
        .description("magiclink integration test")
        .send()
        .await
        .expect("CreateKey on the emulator");
    key.key_metadata()
        .map(|m| m.key_id().to_owned())
        .expect("CreateKey returned key metadata")
}

/// A new bus whose `magiclink` events are routed to a new SQS queue, as the
/// stack routes them: returns the bus name and the queue URL.
pub async fn bus_with_queue(config: &SdkConfig) -> (String, String) {
    let bus = unique("magiclink-bus");
    aws_sdk_eventbridge::Client::new(config)
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .expect("CreateEventBus on the emulator");
    let queue_url = route_to_new_queue(config, &bus, "all-magiclink-events").await;
    (bus, queue_url)
}

/// Makes a queue and a rule `rule` on `bus` that sends it every event whose
/// source is `magiclink`; returns the queue URL.
pub async fn route_to_new_queue(config: &SdkConfig, bus: &str, rule: &str) -> String {
    let events = aws_sdk_eventbridge::Client::new(config);
    let sqs = aws_sdk_sqs::Client::new(config);
    let queue_url = sqs
        .create_queue()
        .queue_name(unique("magiclink-events"))
        .send()
        .await
        .expect("CreateQueue on the emulator")
        .queue_url()
        .expect("CreateQueue returned a URL")
        .to_owned();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes on the emulator")
        .attributes()
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("the queue has an ARN");
    events
        .put_rule()
        .event_bus_name(bus)
        .name(rule)
        .event_pattern(r#"{"source":["magiclink"]}"#)
        .send()
        .await
        .expect("PutRule on the emulator");
    events
        .put_targets()
        .event_bus_name(bus)
        .rule(rule)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("PutTargets on the emulator");
    queue_url
}

/// Receives up to `count` message bodies from `queue_url`, waiting at most
/// `within` in all, and deletes what it received.
pub async fn receive_bodies(
    config: &SdkConfig,
    queue_url: &str,
    count: usize,
    within: Duration,
) -> Vec<String> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let deadline = std::time::Instant::now() + within;
    let mut bodies = Vec::new();
    while bodies.len() < count && std::time::Instant::now() < deadline {
        let received = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("ReceiveMessage on the emulator");
        for message in received.messages() {
            bodies.extend(message.body().map(str::to_owned));
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("DeleteMessage on the emulator");
            }
        }
    }
    bodies
}
