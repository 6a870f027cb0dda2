//! The mail the emulator's SES captured (`GET /_ministack/ses/messages`): what
//! a user would find in their mailbox. Only the emulator has it: on AWS the
//! tests that read mail fail, saying so (see [`emulator_endpoint`]).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::emulator::emulator_endpoint;

/// One captured mail.
#[derive(Debug, Clone)]
pub struct Mail {
    pub message_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The sign-in link in the text part: the line that holds a `#`.
    pub fn link(&self) -> String {
        self.text
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("http") && line.contains('#'))
            .unwrap_or_else(|| panic!("no link in the mail: {}", self.text))
            .to_owned()
    }

    /// The token: what follows `#` in the link.
    pub fn token(&self) -> String {
        let link = self.link();
        link.split_once('#')
            .map(|(_, t)| t.to_owned())
            .unwrap_or_default()
    }

    /// The one-time code in the text part: the digits after `Sign-in code:`.
    pub fn code(&self) -> String {
        self.text
            .lines()
            .find_map(|line| line.trim().strip_prefix("Sign-in code:"))
            .map(|code| code.trim().to_owned())
            .unwrap_or_else(|| panic!("no code in the mail: {}", self.text))
    }

    /// The challenge the mail answers: its token's `jti`.
    pub fn challenge_id(&self) -> String {
        crate::jwt_claims(&self.token())["jti"]
            .as_str()
            .expect("a jti")
            .to_owned()
    }
}

/// Every mail captured so far, across accounts.
pub async fn captured_mail() -> Vec<Mail> {
    let endpoint = emulator_endpoint("reading the mail SES sent");
    let body: Value = reqwest::get(format!(
        "{}/_ministack/ses/messages",
        endpoint.trim_end_matches('/')
    ))
    .await
    .expect("the emulator's captured mail")
    .json()
    .await
    .expect("captured mail is JSON");
    let text = |m: &Value, k: &str| m[k].as_str().unwrap_or_default().to_owned();
    body["messages"]
        .as_object()
        .into_iter()
        .flat_map(|accounts| accounts.values())
        .filter_map(Value::as_array)
        .flatten()
        .map(|m| Mail {
            message_id: text(m, "MessageId"),
            from: text(m, "Source"),
            to: m["To"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            subject: text(m, "Subject"),
            text: text(m, "BodyText"),
            html: text(m, "BodyHtml"),
        })
        .collect()
}

/// The mail to `address`, once `count` have arrived or `within` has passed.
pub async fn mail_to(address: &str, count: usize, within: Duration) -> Vec<Mail> {
    let deadline = Instant::now() + within;
    loop {
        let mail: Vec<Mail> = captured_mail()
            .await
            .into_iter()
            .filter(|m| m.to.iter().any(|to| to == address))
            .collect();
        if mail.len() >= count || Instant::now() >= deadline {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
