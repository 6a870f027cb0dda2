//! The operator's side of the admin API: a client that signs each request
//! with SigV4 (service `execute-api`) from the AWS SDK's credentials chain
//! (environment, profile, SSO, instance role, …), as the HTTP API's
//! `AWS_IAM` routes require, and finds the API of a deployed stack by its
//! outputs. The `magiclink` binary is a thin command line over it and over
//! [`doctor`], which checks a deployed stack before go-live.

pub mod doctor;

use std::time::SystemTime;

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{Value, json};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("no AWS credentials: {0}")]
    Credentials(String),
    #[error("no AWS region: set AWS_REGION or a profile's region")]
    Region,
    #[error("stack {stack}: {reason}")]
    Stack { stack: String, reason: String },
    #[error("cannot sign the request: {0}")]
    Signing(String),
    #[error("cannot make a DNS resolver: {0}")]
    Dns(String),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The API refused: its status, `error.code` and message.
    #[error("{status} {code}: {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
}

/// An invitation, as `POST /v1/invitations` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub redirect_uri: Option<String>,
    pub locale: Option<String>,
    pub expires_in_seconds: Option<u64>,
    pub invited_by: Option<String>,
}

impl Invitation {
    /// The request body: the fields given, no others.
    pub fn body(&self) -> Value {
        let mut body = json!({"email": self.email});
        let fields = [
            ("redirectUri", self.redirect_uri.clone().map(Value::from)),
            ("locale", self.locale.clone().map(Value::from)),
            ("expiresInSeconds", self.expires_in_seconds.map(Value::from)),
            ("invitedBy", self.invited_by.clone().map(Value::from)),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                body[name] = value;
            }
        }
        body
    }
}

/// A successful answer: its status and its body (`Null` when empty).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// The admin API of one deployment.
#[derive(Debug, Clone)]
pub struct AdminClient {
    api_url: String,
    region: String,
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
    http: reqwest::Client,
}

impl AdminClient {
    /// A client of the API at `api_url`, signing with `config`'s
    /// credentials for its region.
    pub fn new(config: &aws_config::SdkConfig, api_url: &str) -> Result<Self, CliError> {
        Ok(Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            region: config.region().ok_or(CliError::Region)?.to_string(),
            credentials: config
                .credentials_provider()
                .ok_or_else(|| CliError::Credentials("no credentials provider".into()))?,
            http: reqwest::Client::new(),
        })
    }

    /// The API of stack `stack`: its output `ApiUrl`.
    pub async fn for_stack(config: &aws_config::SdkConfig, stack: &str) -> Result<Self, CliError> {
        let failed = |reason: String| CliError::Stack {
            stack: stack.to_owned(),
            reason,
        };
        let described = aws_sdk_cloudformation::Client::new(config)
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .map_err(|e| {
                failed(aws_sdk_cloudformation::error::DisplayErrorContext(e).to_string())
            })?;
        let url = described
            .stacks()
            .first()
            .and_then(|s| {
                s.outputs()
                    .iter()
                    .find(|o| o.output_key() == Some("ApiUrl"))
            })
            .and_then(|o| o.output_value())
            .ok_or_else(|| failed("no output ApiUrl: is it a magiclink stack?".into()))?;
        Self::new(config, url)
    }

    /// `POST /v1/invitations`: `201 {"challengeId","expiresAt"}`.
    pub async fn invite(&self, invitation: &Invitation) -> Result<Reply, CliError> {
        self.send("POST", "/v1/invitations", Some(&invitation.body()))
            .await
    }

    /// `DELETE /v1/invitations/{challengeId}`: `204`.
    pub async fn revoke_invitation(&self, challenge_id: &str) -> Result<Reply, CliError> {
        let path = format!("/v1/invitations/{}", path_segment(challenge_id));
        self.send("DELETE", &path, None).await
    }

    /// `POST /v1/users/revocations`: `202 {"status","revocationId"}`.
    pub async fn revoke_user(&self, email: &str, passkeys: bool) -> Result<Reply, CliError> {
        let body = json!({"email": email, "passkeys": passkeys});
        self.send("POST", "/v1/users/revocations", Some(&body))
            .await
    }

    /// Sends one signed request; an answer outside 2xx is a
    /// [`CliError::Refused`].
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, CliError> {
        let url = format!("{}{path}", self.api_url);
        let body = body.map(Value::to_string).unwrap_or_default();
        let mut headers = vec![("host", host_of(&url)?)];
        if !body.is_empty() {
            headers.push(("content-type", "application/json".to_owned()));
        }
        let signature = self.sign(method, &url, &headers, body.as_bytes()).await?;
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| CliError::Signing(e.to_string()))?;
        let mut request = self.http.request(method, &url);
        for (name, value) in headers.iter().skip(1).chain(&signature) {
            request = request.header(*name, value);
        }
        let unreachable = |e: reqwest::Error| CliError::Unreachable {
            url: url.clone(),
            reason: e.to_string(),
        };
        let response = request.body(body).send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(unreachable)?;
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if (200..300).contains(&status) {
            return Ok(Reply { status, body });
        }
        let error = &body["error"];
        Err(CliError::Refused {
            status,
            code: error["code"].as_str().unwrap_or("refused").to_owned(),
            message: error["message"]
                .as_str()
                .or_else(|| body["message"].as_str())
                .unwrap_or("no message")
                .to_owned(),
        })
    }

    /// The SigV4 headers of a request (`authorization`, `x-amz-date`, and
    /// `x-amz-security-token` for temporary credentials).
    async fn sign(
        &self,
        method: &str,
        url: &str,
        headers: &[(&'static str, String)],
        body: &[u8],
    ) -> Result<Vec<(&'static str, String)>, CliError> {
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| CliError::Credentials(e.to_string()))?;
        let identity: Identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("execute-api")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| CliError::Signing(e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            method,
            url,
            headers.iter().map(|(n, v)| (*n, v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| CliError::Signing(e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| CliError::Signing(e.to_string()))?
            .into_parts();
        Ok(instructions
            .headers()
            .filter_map(|(name, value)| Some((signed_header(name)?, value.to_owned())))
            .collect())
    }
}

/// The headers SigV4 adds, by their static names.
fn signed_header(name: &str) -> Option<&'static str> {
    [
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
    ]
    .into_iter()
    .find(|known| known.eq_ignore_ascii_case(name))
}

/// The `host[:port]` of `url`.
fn host_of(url: &str) -> Result<String, CliError> {
    let rest = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .ok_or_else(|| CliError::Signing(format!("not an absolute URL: {url}")))?;
    Ok(rest.split('/').next().unwrap_or(rest).to_owned())
}

/// `raw` as one path segment: characters outside the unreserved set are
/// percent-encoded, so an id cannot reach another route.
fn path_segment(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    #[test]
    fn an_invitations_body_has_the_fields_given_only() {
        let plain = Invitation {
            email: "ann@example.com".into(),
            ..Invitation::default()
        };
        assert_eq!(plain.body(), json!({"email": "ann@example.com"}));
        let full = Invitation {
            email: "ann@example.com".into(),
            redirect_uri: Some("https://app.example/".into()),
            locale: Some("de".into()),
            expires_in_seconds: Some(3600),
            invited_by: Some("Bob".into()),
        };
        assert_eq!(
            full.body(),
            json!({"email": "ann@example.com", "redirectUri": "https://app.example/",
                   "locale": "de", "expiresInSeconds": 3600, "invitedBy": "Bob"})
        );
    }

    #[test]
    fn an_id_stays_one_path_segment() {
        assert_eq!(
            path_segment("01JD0000000000000000000000"),
            "01JD0000000000000000000000"
        );
        assert_eq!(
            path_segment("../users/revocations"),
            "..%2Fusers%2Frevocations"
        );
        assert_eq!(path_segment("a b?c#d"), "a%20b%3Fc%23d");
    }

    #[test]
    fn the_host_includes_its_port() {
        assert_eq!(
            host_of("http://127.0.0.1:4566/v1/x").unwrap(),
            "127.0.0.1:4566"
        );
        assert_eq!(
            host_of("https://api.example.com").unwrap(),
            "api.example.com"
        );
        assert!(host_of("api.example.com/x").is_err());
    }
}
