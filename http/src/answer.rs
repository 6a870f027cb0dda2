//! An endpoint's answer, ready to be written as an HTTP response, and the
//! one shape of every error: `{"error": {"code", "message", …}}` with the
//! status its service gives it.

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{Map, Value, json};

/// An error as the API tells it. Implemented by each service's error type,
/// which says the status and code of each of its errors in one place.
pub trait HttpError: std::fmt::Display {
    /// The HTTP status (4xx, or 503 when the request may be repeated).
    fn status(&self) -> u16;
    /// The stable `error.code` that clients branch on (`openapi.json`).
    fn code(&self) -> &'static str;
    /// Headers the error brings (`retry-after`, `www-authenticate`).
    fn headers(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// Fields of the `error` object beside `code` and `message`.
    fn details(&self) -> Map<String, Value> {
        Map::new()
    }
}

/// An answer: status, headers and body (JSON, or empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Answer {
    /// `status` with the JSON `body`; never cached.
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "application/json".into()),
                ("cache-control", "no-store".into()),
            ],
            body: body.to_string(),
        }
    }

    /// `status` with no body (a `204`); never cached.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: vec![("cache-control", "no-store".into())],
            body: String::new(),
        }
    }

    /// The answer to an endpoint's `result`, its success written by `ok`.
    pub fn of<T, E: HttpError>(result: Result<T, E>, ok: impl FnOnce(T) -> Self) -> Self {
        result.map_or_else(|error| Self::error(&error), ok)
    }

    /// The answer to `error`: its status, its headers and
    /// `{"error": {"code", "message", …its details}}`.
    pub fn error(error: &impl HttpError) -> Self {
        let mut fields = Map::new();
        fields.insert("code".into(), error.code().into());
        fields.insert("message".into(), error.to_string().into());
        fields.extend(error.details());
        let mut answer = Self::json(error.status(), &json!({ "error": fields }));
        answer.headers.extend(error.headers());
        answer
    }

    /// The value of header `name`, if the answer has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The response `lambda_http` writes back to API Gateway.
    pub fn into_response(self) -> Response<Body> {
        let body = if self.body.is_empty() {
            Body::Empty
        } else {
            Body::Text(self.body)
        };
        let mut response = Response::new(body);
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[derive(Debug, thiserror::Error)]
    enum Refusal {
        #[error("slow down")]
        Limited { after: u64 },
        #[error("wrong \"number\"\n")]
        Wrong { left: u64 },
    }

    impl HttpError for Refusal {
        fn status(&self) -> u16 {
            match self {
                Self::Limited { .. } => 429,
                Self::Wrong { .. } => 400,
            }
        }
        fn code(&self) -> &'static str {
            match self {
                Self::Limited { .. } => "rate_limited",
                Self::Wrong { .. } => "wrong_number",
            }
        }
        fn headers(&self) -> Vec<(&'static str, String)> {
            match self {
                Self::Limited { after } => vec![("retry-after", after.to_string())],
                Self::Wrong { .. } => Vec::new(),
            }
        }
        fn details(&self) -> Map<String, Value> {
            match self {
                Self::Wrong { left } => Map::from_iter([("attemptsLeft".into(), json!(left))]),
                Self::Limited { .. } => Map::new(),
            }
        }
    }

    #[test]
    fn an_error_is_its_status_code_message_details_and_headers() {
        let limited = Answer::error(&Refusal::Limited { after: 7 });
        assert_eq!(limited.status, 429);
        assert_eq!(limited.header("Retry-After"), Some("7"));
        assert_eq!(limited.header("content-type"), Some("application/json"));
        assert_eq!(limited.header("cache-control"), Some("no-store"));
        let body: Value = serde_json::from_str(&limited.body).unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "rate_limited", "message": "slow down"}})
        );

        let wrong = Answer::error(&Refusal::Wrong { left: 2 });
        let body: Value = serde_json::from_str(&wrong.body).unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": "wrong_number", "message": "wrong \"number\"\n", "attemptsLeft": 2}})
        );
    }

    #[test]
    fn the_response_carries_the_status_headers_and_body() {
        let response = Answer::json(201, &json!({"id": "x"})).into_response();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(response.body(), &Body::Text(r#"{"id":"x"}"#.into()));

        let empty = Answer::empty(204).into_response();
        assert_eq!(empty.status(), 204);
        assert_eq!(empty.body(), &Body::Empty);
        assert!(empty.headers().get("content-type").is_none());
    }

    #[test]
    fn a_header_value_that_http_refuses_is_left_out_not_a_panic() {
        let mut answer = Answer::empty(204);
        answer.headers.push(("x-bad", "a\r\nb".into()));
        let response = answer.into_response();
        assert!(response.headers().get("x-bad").is_none());
    }
}
