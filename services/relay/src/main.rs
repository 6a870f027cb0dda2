//! The relay's Lambda entry point: configuration and clients, then the
//! runtime loop over batches of the table's change stream.

use aws_lambda_events::event::dynamodb::Event as StreamBatch;
use lambda_runtime::{LambdaEvent, service_fn};
use magiclink::aws::{CallBudget, load_config};
use magiclink::config::{Env, EventsConfig};
use magiclink::events::EventPublisher;
use magiclink::fingerprint::FingerprintKey;
use magiclink::time::instant_of;
use magiclink_relay::relay::Relay;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    magiclink::telemetry::init();
    let config = EventsConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::BACKGROUND).await;
    let fingerprints =
        FingerprintKey::new(aws_sdk_kms::Client::new(&aws), &config.fingerprint_key_id);
    fingerprints.preload().await;
    let relay = Relay {
        publisher: EventPublisher::new(aws_sdk_eventbridge::Client::new(&aws), &config.bus_name),
        fingerprints,
    };
    let relay = &relay;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<StreamBatch>| async move {
            relay
                .handle(event.payload, instant_of(event.context.deadline()))
                .await
                .map_err(lambda_runtime::Error::from)
        },
    ))
    .await
}
