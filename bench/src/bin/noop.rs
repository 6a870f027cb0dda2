//! The emulator's floor: a Lambda function that does nothing, answering each
//! kind of event the stack's functions get in the shape its caller expects.
//! `make bench` deploys it behind the same kinds of triggers as the real
//! functions (an HTTP API, an SQS queue, a user pool's custom-auth triggers),
//! so that what the emulator itself costs is measured and not taken for ours.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

/// Answers `event` as the real function would, minus the work: a 202 for
/// the HTTP API, no failures for a batch, and for Cognito a sign-in that
/// accepts any answer.
async fn answer(event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    // One log line, as every real invocation writes: the emulator waits up
    // to 50 ms for output from a function that wrote none, which would
    // otherwise put the floor above the functions it is the floor of.
    #[expect(
        clippy::print_stdout,
        reason = "a Lambda function's log goes to stdout"
    )]
    {
        println!(r#"{{"level":"INFO","message":"noop"}}"#);
    }
    let mut payload = event.payload;
    if payload.get("requestContext").is_some() {
        return Ok(json!({ "statusCode": 202, "body": r#"{"status":"accepted"}"# }));
    }
    if payload.get("Records").is_some() {
        return Ok(json!({ "batchItemFailures": [] }));
    }
    let trigger = payload["triggerSource"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let answered = payload["request"]["session"]
        .as_array()
        .is_some_and(|s| !s.is_empty());
    payload["response"] = match trigger.as_str() {
        "DefineAuthChallenge_Authentication" if answered => {
            json!({ "issueTokens": true, "failAuthentication": false })
        }
        "DefineAuthChallenge_Authentication" => json!({
            "challengeName": "CUSTOM_CHALLENGE",
            "issueTokens": false,
            "failAuthentication": false
        }),
        "CreateAuthChallenge_Authentication" => json!({
            "publicChallengeParameters": {},
            "privateChallengeParameters": {},
            "challengeMetadata": "NOOP"
        }),
        "VerifyAuthChallengeResponse_Authentication" => json!({ "answerCorrect": true }),
        _ => payload["response"].take(),
    };
    Ok(payload)
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(answer)).await
}
