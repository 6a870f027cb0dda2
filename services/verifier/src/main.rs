//! The verifier's Lambda entry point: configuration and clients, then the
//! runtime loop.

use std::time::SystemTime;

use lambda_runtime::{LambdaEvent, service_fn};
use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::ChallengeStore;
use magiclink::config::Env;
use magiclink::events::EventPublisher;
use magiclink::fingerprint::FingerprintKey;
use magiclink::token::LinkVerifier;
use magiclink_verifier::answer::AnswerChecker;
use magiclink_verifier::config::VerifierConfig;
use magiclink_verifier::triggers::handle;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    magiclink::telemetry::init();
    let config = VerifierConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::TRIGGER).await;
    let fingerprints = FingerprintKey::new(
        aws_sdk_kms::Client::new(&aws),
        &config.events.fingerprint_key_id,
    );
    // Derive the fingerprint key now, at cold start, rather than in a user's
    // sign-in; a failure here is retried on first use. The public keys came
    // with the configuration.
    fingerprints.preload().await;
    let checker = AnswerChecker {
        tokens: LinkVerifier::new(config.keys.keys, &config.token.issuer),
        store: ChallengeStore::new(
            aws_sdk_dynamodb::Client::new(&aws),
            &config.store.table_name,
        ),
        events: EventPublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            &config.events.bus_name,
        ),
        fingerprints,
    };
    let checker = &checker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        handle(checker, event.payload, SystemTime::now())
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
