//! The passkeys service's Lambda entry point: configuration and clients,
//! then the runtime loop.

use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::ChallengeStore;
use magiclink::config::Env;
use magiclink::fingerprint::FingerprintKey;
use magiclink::passkeys::PasskeyStore;
use magiclink::rate_limit::RateLimiter;
use magiclink_passkeys::backend::AwsBackend;
use magiclink_passkeys::config::PasskeysConfig;
use magiclink_passkeys::endpoints::Service;
use magiclink_passkeys::http::serve;
use magiclink_webauthn::RelyingParty;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    magiclink::telemetry::init();
    let config = PasskeysConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::INTERACTIVE).await;
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    let table = &config.store.table_name;
    let service = Service {
        rp: config.passkeys.as_ref().map(RelyingParty::new),
        backend: AwsBackend {
            store: PasskeyStore::new(ddb.clone(), table),
            cognito: aws_sdk_cognitoidentityprovider::Client::new(&aws),
            limiter: RateLimiter::new(ddb.clone(), table),
            challenges: ChallengeStore::new(ddb, table),
            fingerprints: FingerprintKey::new(
                aws_sdk_kms::Client::new(&aws),
                &config.events.fingerprint_key_id,
            ),
        },
    };
    let (service, config) = (&service, &config);
    lambda_http::run(lambda_http::service_fn(move |request| async move {
        Ok::<_, std::convert::Infallible>(serve(service, config, request).await)
    }))
    .await
}
