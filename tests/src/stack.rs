//! The deployed stack `magiclink`, as the tests see it: its outputs, and the
//! URL of its HTTP API.

use std::collections::HashMap;

use aws_config::SdkConfig;
use magiclink::fingerprint::Fingerprints;

/// The stack's name; `make up` deploys it.
pub const STACK_NAME: &str = "magiclink";

/// The outputs of the deployed stack.
#[derive(Debug, Clone)]
pub struct Stack {
    name: String,
    outputs: HashMap<String, String>,
    fingerprints: Fingerprints,
}

impl Stack {
    /// Reads the outputs through CloudFormation. Panics, naming the fix, when
    /// the stack is not deployed.
    pub async fn load(config: &SdkConfig) -> Self {
        Self::load_named(config, STACK_NAME).await
    }

    /// The stack `name` (a second stack beside `magiclink`, say).
    pub async fn load_named(config: &SdkConfig, name: &str) -> Self {
        let cfn = aws_sdk_cloudformation::Client::new(config);
        let described = cfn
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "stack {name} is not deployed ({}); run `make up` first (make test does)",
                    aws_smithy_types::error::display::DisplayErrorContext(&e)
                )
            });
        let stack = described
            .stacks()
            .first()
            .unwrap_or_else(|| panic!("stack {name} is not deployed; run `make up`"));
        let outputs: HashMap<String, String> = stack
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
            .collect();
        let key_id = outputs
            .get("FingerprintKeyId")
            .unwrap_or_else(|| panic!("stack {name} has no output FingerprintKeyId"));
        let fingerprints = magiclink::derived_key::derive::<Fingerprints>(
            &aws_sdk_kms::Client::new(config),
            key_id,
        )
        .await
        .unwrap_or_else(|e| panic!("the stack's fingerprint key: {e}"));
        Self {
            name: name.to_owned(),
            outputs,
            fingerprints,
        }
    }

    /// An output's value. Panics if the stack has no such output.
    pub fn output(&self, key: &str) -> &str {
        self.outputs
            .get(key)
            .unwrap_or_else(|| panic!("stack {} has no output {key}", self.name))
    }

    /// Whether the stack has this output.
    pub fn has_output(&self, key: &str) -> bool {
        self.outputs.contains_key(key)
    }

    /// The fingerprints in the stack's logs, events and table keys, derived
    /// from the stack's KMS HMAC key as the functions derive them.
    pub fn fingerprints(&self) -> &Fingerprints {
        &self.fingerprints
    }

    /// The `iss` the stack's functions write and expect.
    pub fn issuer(&self) -> String {
        format!("magiclink/{}", self.name)
    }

    /// The deployed name of one of the stack's functions: `request`,
    /// `mailer` or `verifier`.
    pub fn function_name(&self, function: &str) -> String {
        format!("{}-{function}", self.name)
    }

    /// Asks the deployed API for a link to `email`; the HTTP status.
    pub async fn request_link(&self, email: &str) -> u16 {
        reqwest::Client::new()
            .post(self.magic_links_url())
            .header("content-type", "application/json")
            .body(serde_json::json!({ "email": email }).to_string())
            .send()
            .await
            .expect("the API answers")
            .status()
            .as_u16()
    }

    /// `POST` here to ask for a link.
    pub fn magic_links_url(&self) -> String {
        self.api_url("/v1/magic-links")
    }

    /// The deployed API's `path`. On the emulator the API is reached through
    /// its path form, since `*.execute-api.localhost` names do not resolve
    /// everywhere; on AWS, through `ApiUrl`.
    pub fn api_url(&self, path: &str) -> String {
        match std::env::var("AWS_ENDPOINT_URL") {
            Ok(endpoint) => format!(
                "{}/_aws/execute-api/{}/$default{path}",
                endpoint.trim_end_matches('/'),
                self.output("ApiId")
            ),
            Err(_) => format!("{}{path}", self.output("ApiUrl").trim_end_matches('/')),
        }
    }
}
