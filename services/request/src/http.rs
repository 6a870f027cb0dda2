//! The adapter between `lambda_http` and the endpoints: picks the endpoint
//! by the route API Gateway matched and gives it what it reads; the reading
//! and writing themselves are [`magiclink_http`]'s.

use std::time::{Instant, SystemTime};

use lambda_http::{Body, Request, Response};
use magiclink::metrics::{Metric, Point};
use magiclink::telemetry::emit;
use magiclink_http::{HttpError, Inbound, Outcome};

use crate::api::{self, ApiError};
use crate::approval::{self, Asked, VERIFIER_HEADER};
use crate::backend::Approvals;
use crate::config::RequestConfig;
use crate::handler::{self, handle};

/// The routes of the template, as API Gateway names them.
const ASK: &str = "POST /v1/magic-links";
const STATUS: &str = "GET /v1/magic-links/{challengeId}";
const APPROVE: &str = "POST /v1/magic-links/{challengeId}/approval";

/// Serves one Lambda invocation.
pub async fn serve<B: Approvals>(
    backend: &B,
    config: &RequestConfig,
    request: Request,
) -> Response<Body> {
    magiclink_http::serve(&request, |inbound| route(backend, config, inbound)).await
}

async fn route<B: Approvals>(backend: &B, config: &RequestConfig, inbound: Inbound<'_>) -> Outcome {
    let now = SystemTime::now();
    let asked = Asked {
        challenge_id: inbound.path_parameter("challengeId"),
        source_ip: inbound.source_ip,
    };
    match inbound.route {
        Some(ASK) | None => {
            let ask = handler::Inbound {
                content_type: inbound.content_type(),
                body: inbound.body,
                source_ip: inbound.source_ip,
            };
            let started = Instant::now();
            let result = handle(backend, config, ask, now).await;
            emit(match &result {
                Ok(_) => Point::count(Metric::LinksRequested),
                Err(refused) => Point::count_by(Metric::LinksRefused, refused.code()),
            });
            emit(Point::time(Metric::RequestTime, started.elapsed()));
            Outcome::of(result, api::accepted)
        }
        Some(STATUS) => {
            let verifier = inbound.header(VERIFIER_HEADER);
            let result = approval::status(backend, &config.approval, asked, verifier, now).await;
            Outcome::of(result, api::status)
        }
        Some(APPROVE) => {
            let (content_type, body) = (inbound.content_type(), inbound.body);
            let result =
                approval::approve(backend, &config.approval, asked, content_type, body, now).await;
            Outcome::of(result, |()| api::approved())
        }
        Some(_) => Outcome::error(&ApiError::NotFound),
    }
}
