//! The admin service's Lambda entry point: configuration and clients, then
//! the runtime loop.

use magiclink::admission::Admissions;
use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::ChallengeStore;
use magiclink::config::Env;
use magiclink::fingerprint::FingerprintKey;
use magiclink_admin::backend::AwsBackend;
use magiclink_admin::config::AdminConfig;
use magiclink_admin::http::serve;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    magiclink::telemetry::init();
    let config = AdminConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::INTERACTIVE).await;
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    let table = &config.store.table_name;
    let backend = AwsBackend {
        admissions: Admissions::new(ddb.clone(), table),
        store: ChallengeStore::new(ddb, table),
        fingerprints: FingerprintKey::new(
            aws_sdk_kms::Client::new(&aws),
            &config.events.fingerprint_key_id,
        ),
        cognito: aws_sdk_cognitoidentityprovider::Client::new(&aws),
        user_pool_id: config.user_pool_id.clone(),
    };
    let (backend, config) = (&backend, &config);
    lambda_http::run(lambda_http::service_fn(move |request| async move {
        Ok::<_, std::convert::Infallible>(serve(backend, config, request).await)
    }))
    .await
}
