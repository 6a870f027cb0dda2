//! A request's body, read as the JSON object every endpoint with a body
//! takes: its size checked first (before anything is parsed), then its
//! media type, then its JSON.

use serde_json::{Map, Value};

/// A request body larger than this is refused before it is parsed (the
/// largest registration, credential and attestation, fits).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Why a body is not a JSON object an endpoint reads. Each service maps it
/// to its own error (`413`, `415`, `400 invalid_json`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the request body must be application/json")]
    NotJson,
    /// The body is not JSON, or not an object: what is wrong and where.
    #[error("{0}")]
    Invalid(String),
}

/// The fields of a request's JSON object body, or why it is not one.
pub fn json_object(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Map<String, Value>, BodyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(BodyError::TooLarge);
    }
    if !is_json(content_type) {
        return Err(BodyError::NotJson);
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(BodyError::Invalid("the body must be a JSON object".into())),
        Err(e) => Err(BodyError::Invalid(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))),
    }
}

/// `application/json`, with or without parameters such as `charset=utf-8`.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    const JSON: Option<&str> = Some("application/json");

    #[test]
    fn a_json_object_is_read_whatever_the_media_types_case_and_parameters() {
        for media in [
            "application/json",
            "Application/JSON; charset=utf-8",
            " application/json ;x=y",
        ] {
            let fields = json_object(Some(media), br#"{"email": "a@b.c"}"#).unwrap();
            assert_eq!(fields["email"], "a@b.c");
        }
    }

    #[test]
    fn another_media_type_or_none_is_refused() {
        for media in [
            None,
            Some(""),
            Some("text/plain"),
            Some("application/jsonx"),
            Some("application/x-www-form-urlencoded"),
        ] {
            assert_eq!(
                json_object(media, b"{}"),
                Err(BodyError::NotJson),
                "{media:?}"
            );
        }
    }

    #[test]
    fn the_size_is_checked_before_anything_else() {
        let huge = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(json_object(JSON, &huge), Err(BodyError::TooLarge));
        assert_eq!(
            json_object(Some("text/plain"), &huge),
            Err(BodyError::TooLarge)
        );
        let just_fits = format!("{{\"a\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES - 8));
        assert_eq!(just_fits.len(), MAX_BODY_BYTES);
        assert!(json_object(JSON, just_fits.as_bytes()).is_ok());
    }

    #[test]
    fn what_is_no_json_object_is_refused_with_where() {
        for body in [
            &b""[..],
            b"{",
            b"[1]",
            b"\"x\"",
            b"null",
            b"{\"a\":1}x",
            b"\xff\xfe",
        ] {
            assert!(
                matches!(json_object(JSON, body), Err(BodyError::Invalid(_))),
                "{body:?}"
            );
        }
        let Err(BodyError::Invalid(why)) = json_object(JSON, b"{\n  \"a\": }") else {
            panic!("invalid JSON accepted")
        };
        assert!(why.contains("line 2"), "{why}");
    }
}
