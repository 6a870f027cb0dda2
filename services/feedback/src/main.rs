//! The feedback function's Lambda entry point: configuration and clients,
//! then the runtime loop over SES events from EventBridge.

use std::time::SystemTime;

use lambda_runtime::{LambdaEvent, service_fn};
use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::ChallengeStore;
use magiclink::config::Env;
use magiclink::events::EventPublisher;
use magiclink::fingerprint::FingerprintKey;
use magiclink::suppression::Suppressions;
use magiclink_feedback::config::FeedbackConfig;
use magiclink_feedback::feedback::Feedback;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    magiclink::telemetry::init();
    let config = FeedbackConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::BACKGROUND).await;
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    let table = &config.store.table_name;
    let fingerprints = FingerprintKey::new(
        aws_sdk_kms::Client::new(&aws),
        &config.events.fingerprint_key_id,
    );
    fingerprints.preload().await;
    let feedback = Feedback {
        store: ChallengeStore::new(ddb.clone(), table),
        suppressions: Suppressions::new(ddb, table),
        fingerprints,
        events: EventPublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.events.bus_name,
        ),
        suppress_for: config.suppress_for,
    };
    let feedback = &feedback;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        feedback
            .handle(&event.payload, SystemTime::now())
            .await
            .map(|outcome| format!("{outcome:?}"))
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
