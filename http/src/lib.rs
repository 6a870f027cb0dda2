//! What every function behind the HTTP API (API Gateway, payload 2.0) does
//! the same way, written once for the request and passkeys services: read
//! the inbound request ([`Inbound`]), read its JSON object body
//! ([`json_object`]), turn an endpoint's result into an [`Answer`] (errors
//! through [`HttpError`], one shape for all), and [`serve`] it: the request's
//! span, the response, and the one `answered` log line per request.
//!
//! Each service keeps what is its own: its routes, its endpoints, its error
//! type and which status each error has (its `api` module). See
//! ARCHITECTURE.md.

mod answer;
mod body;
mod inbound;

pub use answer::{Answer, HttpError};
pub use body::{BodyError, MAX_BODY_BYTES, is_json, json_object};
pub use inbound::Inbound;

use std::time::Instant;

use lambda_http::{Body, Request, Response};

/// What an endpoint answered, and its error code for the log line (none
/// when it succeeded).
#[derive(Debug)]
pub struct Outcome {
    pub answer: Answer,
    pub code: Option<&'static str>,
}

impl Outcome {
    /// The outcome of an endpoint's `result`, its success written by `ok`.
    pub fn of<T, E: HttpError>(result: Result<T, E>, ok: impl FnOnce(T) -> Answer) -> Self {
        match result {
            Ok(value) => Self {
                answer: ok(value),
                code: None,
            },
            Err(error) => Self::error(&error),
        }
    }

    /// The outcome of `error`.
    pub fn error(error: &impl HttpError) -> Self {
        Self {
            answer: Answer::error(error),
            code: Some(error.code()),
        }
    }
}

/// Serves one request: reads it, runs `endpoint` on it inside the request's
/// span, logs the one `answered` line (request id, route, status, error
/// code, time taken: never a header or body) and writes the response.
pub async fn serve<'a, F, Fut>(request: &'a Request, endpoint: F) -> Response<Body>
where
    F: FnOnce(Inbound<'a>) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let started = Instant::now();
    let inbound = Inbound::of(request);
    let (request_id, route) = (inbound.request_id, inbound.route);
    let span = tracing::info_span!("request", request_id = %request_id);
    let outcome = tracing::Instrument::instrument(endpoint(inbound), span).await;
    tracing::info!(
        request_id = %request_id,
        route = route.unwrap_or("none"),
        status = outcome.answer.status,
        code = outcome.code,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "answered"
    );
    outcome.answer.into_response()
}
