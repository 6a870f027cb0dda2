//! The adapter between `lambda_http` and the endpoints: reads what they need
//! from the API Gateway (payload 2.0) request, picks the endpoint by the
//! route API Gateway matched, and writes the answer back.

use std::time::{Instant, SystemTime};

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::api::{ApiError, ApiResponse};
use crate::approval::{self, Asked, VERIFIER_HEADER};
use crate::backend::Approvals;
use crate::config::RequestConfig;
use crate::handler::{Inbound, handle};

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
    let started = Instant::now();
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let (source_ip, route) = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            (context.http.source_ip.clone(), context.route_key.clone())
        }
        _ => (None, None),
    };
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &lambda_http::http::HeaderValue| v.to_str().ok())
    };
    let content_type = header(lambda_http::http::header::CONTENT_TYPE.as_str());
    let path_parameters = request.path_parameters_ref();
    let asked = Asked {
        challenge_id: path_parameters.and_then(|p| p.first("challengeId")),
        source_ip: source_ip.as_deref(),
    };
    let body = request.body().as_ref();
    let now = SystemTime::now();
    let span = tracing::info_span!("request", request_id = %request_id);
    let work = async {
        match route.as_deref() {
            Some(ASK) | None => {
                let inbound = Inbound {
                    content_type,
                    body,
                    source_ip: source_ip.as_deref(),
                };
                outcome(handle(backend, config, inbound, now).await)
            }
            Some(STATUS) => {
                let verifier = header(VERIFIER_HEADER);
                outcome(approval::status(backend, &config.approval, asked, verifier, now).await)
            }
            Some(APPROVE) => outcome(
                approval::approve(backend, &config.approval, asked, content_type, body, now).await,
            ),
            Some(_) => outcome::<()>(Err(ApiError::NotFound)),
        }
    };
    let (answer, code) = tracing::Instrument::instrument(work, span).await;
    tracing::info!(
        request_id = %request_id,
        route = route.as_deref().unwrap_or(ASK),
        status = answer.status,
        code,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "answered"
    );
    to_response(answer)
}

/// The answer to an endpoint's result, and its error code for the log.
fn outcome<T>(result: Result<T, ApiError>) -> (ApiResponse, Option<&'static str>)
where
    ApiResponse: From<Result<T, ApiError>>,
{
    let code = result.as_ref().err().map(ApiError::code);
    (ApiResponse::from(result), code)
}

fn to_response(answer: ApiResponse) -> Response<Body> {
    let body = if answer.body.is_empty() {
        Body::Empty
    } else {
        Body::Text(answer.body)
    };
    let mut response = Response::new(body);
    *response.status_mut() = lambda_http::http::StatusCode::from_u16(answer.status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let Ok(value) = lambda_http::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
