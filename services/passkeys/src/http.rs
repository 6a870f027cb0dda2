//! The adapter between `lambda_http` and the endpoints: reads what they need
//! from the API Gateway (payload 2.0) request, picks the endpoint by the
//! route API Gateway matched, and writes the answer back.

use std::time::{Instant, SystemTime};

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::api::{ApiError, ApiResponse};
use crate::backend::Backend;
use crate::config::PasskeysConfig;
use crate::endpoints::{Inbound, Service};

/// The routes of the template, as API Gateway names them.
const OPTIONS: &str = "POST /v1/passkeys/registration-options";
const REGISTER: &str = "POST /v1/passkeys";
const LIST: &str = "GET /v1/passkeys";
const REMOVE: &str = "DELETE /v1/passkeys/{passkeyId}";
const SIGN_IN: &str = "POST /v1/passkeys/sign-in-options";

/// Serves one Lambda invocation.
pub async fn serve<B: Backend>(
    service: &Service<B>,
    config: &PasskeysConfig,
    request: Request,
) -> Response<Body> {
    let started = Instant::now();
    let request_id = request
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .unwrap_or_default();
    let (source_ip, route, authorizer_sub) = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => (
            context.http.source_ip.clone(),
            context.route_key.clone(),
            context
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .and_then(|jwt| jwt.claims.get("sub").cloned()),
        ),
        _ => (None, None, None),
    };
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v: &lambda_http::http::HeaderValue| v.to_str().ok())
    };
    let path_parameters = request.path_parameters_ref();
    let inbound = Inbound {
        authorization: header("authorization"),
        authorizer_sub: authorizer_sub.as_deref(),
        content_type: header("content-type"),
        body: request.body().as_ref(),
        passkey_id: path_parameters.and_then(|p| p.first("passkeyId")),
        source_ip: source_ip.as_deref(),
        user_agent: header("user-agent"),
    };
    let now = SystemTime::now();
    let span = tracing::info_span!("request", request_id = %request_id);
    let work = async {
        match route.as_deref() {
            Some(OPTIONS) => service.registration_options(config, inbound, now).await,
            Some(REGISTER) => service.register(config, inbound, now).await,
            Some(LIST) => service.list(config, inbound, now).await,
            Some(REMOVE) => service.remove(config, inbound, now).await,
            Some(SIGN_IN) => service.sign_in_options(config, inbound, now).await,
            _ => Err(ApiError::NotFound),
        }
    };
    let result = tracing::Instrument::instrument(work, span).await;
    let code = result.as_ref().err().map(ApiError::code);
    let answer = ApiResponse::from(result);
    tracing::info!(
        request_id = %request_id,
        route = route.as_deref().unwrap_or("none"),
        status = answer.status,
        code,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "answered"
    );
    to_response(answer)
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
