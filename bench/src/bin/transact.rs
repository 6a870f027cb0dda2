//! The request path's second floor: a Lambda function that makes the one
//! `TransactWriteItems` a link request makes (four rate-limit counters and a
//! challenge, through the request service's own `magiclink::admission`) and
//! nothing else. `make bench` puts it behind an HTTP API of its own, writing
//! to the stack's table, so that the request handler's latency is compared
//! with what the emulator's API, Lambda and DynamoDB cost for the same write:
//! the difference is this code's.
//!
//! Like the handler, every request counts against one client IP's counter
//! (the emulator gives every request 127.0.0.1) and a new address's.

use std::time::{Duration, SystemTime};

use lambda_runtime::{LambdaEvent, service_fn};
use magiclink::EmailAddress;
use magiclink::admission::{Admissions, Counter};
use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::Challenge;
use magiclink::rate_limit::Limit;
use serde_json::{Value, json};
use ulid::Ulid;

/// Limits no bench run reaches: every request is admitted, as the
/// stack's are under `make up`'s parameters.
const OPEN: Limit = Limit::new(1_000_000, Duration::from_secs(900));

async fn admit(admissions: &Admissions) -> Result<Value, lambda_runtime::Error> {
    let now = SystemTime::now();
    let id = Ulid::from_datetime(now).to_string().to_lowercase();
    let email = EmailAddress::parse(&format!("floor-{id}@example.com"))?;
    let counter = |scope, key: &str, holds| Counter {
        scope,
        key: key.to_owned(),
        limit: OPEN,
        holds,
    };
    let counters = [
        counter("ip", "bench-floor", false),
        counter("email-burst", &id, false),
        counter("email", &id, false),
        counter("mailbox", &id, true),
    ];
    let redirect = "http://localhost:8000/".to_owned();
    let challenge = Challenge::new(email, redirect, now, Duration::from_secs(90));
    admissions.admit(&counters, &challenge, now).await?;
    // One log line, as the handler writes one: the emulator waits up to
    // 50 ms for output from a function that wrote none.
    #[expect(
        clippy::print_stdout,
        reason = "a Lambda function's log goes to stdout"
    )]
    {
        println!(r#"{{"level":"INFO","message":"admitted"}}"#);
    }
    Ok(json!({ "statusCode": 202, "body": r#"{"status":"accepted"}"# }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let table = std::env::var("TABLE_NAME")?;
    let aws = load_config(CallBudget::INTERACTIVE).await;
    let admissions = Admissions::new(aws_sdk_dynamodb::Client::new(&aws), table);
    let admissions = &admissions;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| admit(admissions))).await
}
