//! The request service's Lambda entry point: configuration and clients, then
//! the runtime loop.

use magiclink::admission::Admissions;
use magiclink::approval::ApprovalSigner;
use magiclink::aws::{CallBudget, load_config};
use magiclink::challenge::ChallengeStore;
use magiclink::config::Env;
use magiclink::fingerprint::FingerprintKey;
use magiclink::rate_limit::RateLimiter;
use magiclink_request::backend::AwsBackend;
use magiclink_request::config::RequestConfig;
use magiclink_request::http::serve;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    magiclink::telemetry::init();
    let config = RequestConfig::from_env(&Env::from_process())?;
    let aws = load_config(CallBudget::INTERACTIVE).await;
    let ddb = aws_sdk_dynamodb::Client::new(&aws);
    let kms = aws_sdk_kms::Client::new(&aws);
    let fingerprints = FingerprintKey::new(kms.clone(), &config.events.fingerprint_key_id);
    fingerprints.preload().await;
    let table = &config.store.table_name;
    let backend = AwsBackend {
        fingerprints,
        admissions: Admissions::new(ddb.clone(), table),
        store: ChallengeStore::new(ddb.clone(), table),
        limiter: RateLimiter::new(ddb, table),
        approvals: ApprovalSigner::new(kms, &config.approval_key_id),
    };
    let (backend, config) = (&backend, &config);
    lambda_http::run(lambda_http::service_fn(move |request| async move {
        Ok::<_, std::convert::Infallible>(serve(backend, config, request).await)
    }))
    .await
}
