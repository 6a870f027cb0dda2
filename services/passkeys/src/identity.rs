//! Who an access token belongs to. On AWS a JWT authorizer checks the token
//! before the function runs; the function does not rely on it. It reads the
//! bearer token, checks the claims it can check alone (an access token, of
//! this pool, for this app client), then asks Cognito (`GetUser`, a call
//! authorized by the token itself, no IAM permission), which checks the
//! signature, the expiry and revocation, and names the user and their
//! address. A claim the authorizer passed on must name the same user.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The longest `Authorization` header read.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A signed-in user, as Cognito names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub sub: String,
    pub email: String,
    /// When the user signed in (the token's `auth_time`, which a refreshed
    /// token keeps on AWS), seconds since the epoch.
    pub auth_time: Option<u64>,
}

/// What an access token says of itself, once its claims are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub sub: String,
    pub auth_time: Option<u64>,
}

/// Whether a user who signed in at `auth_time` did so within `window`
/// seconds of `now` (seconds since the epoch). A token without `auth_time`
/// is not fresh.
pub fn signed_in_within(auth_time: Option<u64>, now: u64, window: u64) -> bool {
    auth_time.is_some_and(|at| now.saturating_sub(at) <= window)
}

/// Why a request is not authorized. Every case answers the same `401`; the
/// reason is for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorized {
    #[error("no bearer token")]
    Missing,
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the token is not an access token")]
    NotAccess,
    #[error("the token is for another user pool")]
    OtherPool,
    #[error("the token is for another app client")]
    OtherClient,
    #[error("the token has expired")]
    Expired,
    #[error("Cognito refused the token")]
    Refused,
    #[error("the authorizer and the token name different users")]
    OtherUser,
}

/// The claims read before Cognito is asked.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    iss: String,
    token_use: String,
    client_id: Option<String>,
    exp: u64,
    auth_time: Option<u64>,
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(header: Option<&str>) -> Result<&str, Unauthorized> {
    let header = header.ok_or(Unauthorized::Missing)?;
    if header.len() > MAX_TOKEN_BYTES {
        return Err(Unauthorized::Malformed);
    }
    let (scheme, token) = header.trim().split_once(' ').ok_or(Unauthorized::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(Unauthorized::Missing);
    }
    Ok(token.trim())
}

/// Checks what a token says of itself (not its signature: Cognito does):
/// an access token of pool `pool_id` for app client `client_id`, unexpired
/// at `now` (seconds since the epoch). Gives the `sub` it names, and when
/// that user signed in.
pub fn check_claims(
    token: &str,
    pool_id: &str,
    client_id: &str,
    now: u64,
) -> Result<Claimed, Unauthorized> {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Unauthorized::Malformed);
    };
    let claims: Claims = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|json| serde_json::from_slice(&json).ok())
        .ok_or(Unauthorized::Malformed)?;
    if claims.token_use != "access" {
        return Err(Unauthorized::NotAccess);
    }
    if claims.iss.rsplit('/').next() != Some(pool_id) {
        return Err(Unauthorized::OtherPool);
    }
    if claims.client_id.as_deref() != Some(client_id) {
        return Err(Unauthorized::OtherClient);
    }
    if claims.exp <= now {
        return Err(Unauthorized::Expired);
    }
    Ok(Claimed {
        sub: claims.sub,
        auth_time: claims.auth_time,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use serde_json::json;

    use super::*;

    const POOL: &str = "us-east-1_abc";
    const NOW: u64 = 1_800_000_000;

    fn token(claims: serde_json::Value) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn access() -> serde_json::Value {
        json!({
            "sub": "u-1",
            "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{POOL}"),
            "token_use": "access",
            "client_id": "client",
            "exp": NOW + 60,
            "auth_time": NOW - 10,
        })
    }

    #[test]
    fn a_sign_in_is_fresh_within_its_window_only() {
        assert!(signed_in_within(Some(NOW - 300), NOW, 300));
        assert!(signed_in_within(Some(NOW + 5), NOW, 300), "a clock ahead");
        assert!(!signed_in_within(Some(NOW - 301), NOW, 300));
        assert!(!signed_in_within(None, NOW, 300));
        assert!(!signed_in_within(Some(0), NOW, 300));
    }

    #[test]
    fn a_bearer_header_gives_its_token() {
        assert_eq!(bearer(Some("Bearer a.b.c")), Ok("a.b.c"));
        assert_eq!(bearer(Some("bearer  a.b.c ")), Ok("a.b.c"));
        for bad in [
            None,
            Some(""),
            Some("a.b.c"),
            Some("Basic a.b.c"),
            Some("Bearer "),
        ] {
            assert_eq!(bearer(bad), Err(Unauthorized::Missing), "{bad:?}");
        }
        let huge = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES));
        assert_eq!(bearer(Some(&huge)), Err(Unauthorized::Malformed));
    }

    #[test]
    fn only_this_clients_access_tokens_pass() {
        assert_eq!(
            check_claims(&token(access()), POOL, "client", NOW),
            Ok(Claimed {
                sub: "u-1".into(),
                auth_time: Some(NOW - 10)
            })
        );
        let with = |key: &str, value: serde_json::Value| {
            let mut claims = access();
            claims[key] = value;
            token(claims)
        };
        let cases = [
            (with("token_use", json!("id")), Unauthorized::NotAccess),
            (
                with(
                    "iss",
                    json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"),
                ),
                Unauthorized::OtherPool,
            ),
            (
                with("client_id", json!("another")),
                Unauthorized::OtherClient,
            ),
            (with("client_id", json!(null)), Unauthorized::OtherClient),
            (with("exp", json!(NOW)), Unauthorized::Expired),
            (with("exp", json!("soon")), Unauthorized::Malformed),
            (with("sub", json!(7)), Unauthorized::Malformed),
            (
                with("auth_time", json!("recently")),
                Unauthorized::Malformed,
            ),
            (with("auth_time", json!(-1)), Unauthorized::Malformed),
            ("a.b".into(), Unauthorized::Malformed),
            ("a.b.c.d".into(), Unauthorized::Malformed),
            ("a.!!!.c".into(), Unauthorized::Malformed),
            (
                format!("a.{}.c", URL_SAFE_NO_PAD.encode("[]")),
                Unauthorized::Malformed,
            ),
        ];
        for (token, expected) in cases {
            assert_eq!(
                check_claims(&token, POOL, "client", NOW),
                Err(expected),
                "{token}"
            );
        }
    }
}
