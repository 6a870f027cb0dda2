//! The adapter between `lambda_http` and the handler: reads what the handler
//! needs from the API Gateway (payload 2.0) request, writes its answer back.

use std::time::{Instant, SystemTime};

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::api::ApiResponse;
use crate::config::RequestConfig;
use crate::handler::{Backend, Inbound, handle};

/// Serves one Lambda invocation.
pub async fn serve<B: Backend>(
    backend: &B,
    config: &RequestConfig,
    request: Request,
) -> Response<Body> {
    let started = Instant::now();
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let source_ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    let content_type = request
        .headers()
        .get(lambda_http::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let inbound = Inbound {
        content_type,
        body: request.body().as_ref(),
        source_ip: source_ip.as_deref(),
    };
    let span = tracing::info_span!("request", request_id = %request_id);
    let result =
        tracing::Instrument::instrument(handle(backend, config, inbound, SystemTime::now()), span)
            .await;
    let answer = ApiResponse::from(result.clone());
    tracing::info!(
        request_id = %request_id,
        status = answer.status,
        code = result.err().map(|e| e.code()),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "answered"
    );
    to_response(answer)
}

fn to_response(answer: ApiResponse) -> Response<Body> {
    let mut response = Response::new(Body::Text(answer.body));
    *response.status_mut() = lambda_http::http::StatusCode::from_u16(answer.status)
        .unwrap_or(lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in answer.headers {
        if let Ok(value) = lambda_http::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
