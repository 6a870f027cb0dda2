//! The deployed stack `magiclink`, as the tests see it: its outputs, and the
//! URL of its HTTP API.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use magiclink::fingerprint::Fingerprints;

use crate::emulator::unique;

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

/// The repository's root.
fn root() -> PathBuf {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    PathBuf::from(manifest).join("..")
}

/// Deploys a second stack `name` beside `magiclink`, as `make up` deploys
/// it (`localstack/deploy.py --stack-name`): `magiclink`'s parameters, with
/// `extra` (`Key=Value`) in place of theirs. The deploy's output, to be
/// read whether it succeeded or not.
pub async fn deploy_beside(config: &SdkConfig, name: &str, extra: &[&str]) -> Output {
    let main = aws_sdk_cloudformation::Client::new(config)
        .describe_stacks()
        .stack_name(STACK_NAME)
        .send()
        .await
        .expect("the stack magiclink is deployed (make up)");
    let overridden = |key: &str| extra.iter().any(|e| e.starts_with(&format!("{key}=")));
    let mut params: Vec<String> = main
        .stacks()
        .iter()
        .flat_map(|stack| stack.parameters())
        .filter_map(|p| Some((p.parameter_key()?, p.parameter_value().unwrap_or_default())))
        .filter(|(key, _)| !overridden(key))
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    params.extend(extra.iter().map(|e| (*e).to_owned()));
    let mut command = Command::new(root().join(".venv/bin/python"));
    command
        .arg(root().join("localstack/deploy.py"))
        .args(["--stack-name", name, "--binaries"])
        .arg(binaries());
    for param in &params {
        command.args(["--param", param]);
    }
    command.output().expect("localstack/deploy.py runs")
}

/// Deletes stack `name` and waits until it is gone.
pub async fn delete_stack(config: &SdkConfig, name: &str) {
    let cfn = aws_sdk_cloudformation::Client::new(config);
    cfn.delete_stack()
        .stack_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteStack {name}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let status = cfn
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .ok()
            .and_then(|d| d.stacks().first().and_then(|s| s.stack_status().cloned()));
        match status {
            None => return,
            Some(s) if s.as_str() == "DELETE_COMPLETE" => return,
            Some(s) if s.as_str() == "DELETE_FAILED" => panic!("stack {name}: {s:?}"),
            Some(_) => {}
        }
        assert!(Instant::now() < deadline, "stack {name} was not deleted");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The `magiclink` command line, built beside the test binaries (`make
/// test` builds every binary of the workspace first).
pub fn magiclink_command() -> Command {
    let binary = binaries().join("magiclink");
    assert!(
        binary.is_file(),
        "{} is not built: `make test` builds it (cargo build --bins)",
        binary.display()
    );
    Command::new(binary)
}

/// The folder of the workspace's binaries (the functions, the command
/// line): the test binary sits in its `deps/`.
fn binaries() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary sits in the target's deps/")
        .to_path_buf()
}

/// A name for a stack beside `magiclink`: `prefix`, then 8 random
/// characters (a stack name is short, and lowercase for the resources
/// named after it).
pub fn beside_name(prefix: &str) -> String {
    let id = unique("s").to_lowercase();
    format!("{prefix}-{}", &id[id.len().saturating_sub(8)..])
}

/// What a command printed, its standard output then its standard error.
pub fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
