//! The keys resource's Lambda entry point: KMS, Cognito and HTTP clients,
//! then the runtime loop over CloudFormation's requests.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use lambda_runtime::{LambdaEvent, service_fn};
use magiclink::aws::{CallBudget, load_config};
use magiclink_keys::answer::{Clients, answer};
use magiclink_keys::resource::{Request, Response, Status};
use magiclink_keys::target::ResponseTargets;
use serde_json::Value;

/// Why a response could not be delivered.
#[derive(Debug, thiserror::Error)]
enum PutError {
    #[error("the response could not be put: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the response URL answered {0}")]
    Status(reqwest::StatusCode),
    #[error("no response was put: {0}")]
    Refused(&'static str),
}

/// Puts `response` to CloudFormation's pre-signed URL (no content type: the
/// signature covers none), retrying a few times.
async fn put(
    http: &reqwest::Client,
    url: reqwest::Url,
    response: &Response,
) -> Result<(), PutError> {
    let body = serde_json::to_vec(response).unwrap_or_default();
    let once = || async {
        let answer = http.put(url.clone()).body(body.clone()).send().await?;
        match answer.status() {
            status if status.is_success() => Ok(()),
            status => Err(PutError::Status(status)),
        }
    };
    once.retry(ExponentialBuilder::default().with_max_times(4))
        .await
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    magiclink::telemetry::init();
    let aws = load_config(CallBudget::BACKGROUND).await;
    let clients = Clients {
        kms: aws_sdk_kms::Client::new(&aws),
        idp: aws_sdk_cognitoidentityprovider::Client::new(&aws),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let targets = ResponseTargets::from_env();
    let (clients, http, targets) = (&clients, &http, &targets);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let request = Request::parse(event.payload)?;
        let url = targets.check(&request.response_url).map_err(|reason| {
            tracing::error!(reason, "request refused");
            PutError::Refused(reason)
        })?;
        let response = answer(clients, &request).await;
        match response.status {
            Status::Success => tracing::info!(action = ?request.action, "answered"),
            Status::Failed => {
                tracing::error!(action = ?request.action, reason = ?response.reason, "refused");
            }
        }
        put(http, url, &response).await?;
        Ok::<(), lambda_runtime::Error>(())
    }))
    .await
}
