//! Sending the mail: SES v2 `SendEmail`, and what its failures mean.
//!
//! A failure is either worth retrying (throttling, a 5xx, a timeout, and
//! also problems of the sending account rather than of this message: an
//! unverified sender, a paused or suspended account, a missing configuration
//! set; an operator can fix those, and the message waits in the queue or the
//! dead-letter queue meanwhile), or permanent for this message (SES rejected
//! it, or the address is unusable), which no retry can change.

use std::future::Future;

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use magiclink::challenge::MAIL_TAG;
use magiclink::notice::NOTICE_TAG;
use ulid::Ulid;

use crate::template::RenderedMail;

/// Why a mail was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SendError {
    /// The service's error code, such as `MessageRejected`.
    pub code: String,
    /// The service's message, every address in it replaced by `<address>`
    /// (SES names the identities that failed a check), since it is logged.
    pub message: String,
    /// No retry can send this message.
    pub permanent: bool,
}

/// What a mail is tagged with, for SES's reports on it (see the feedback
/// function).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTag {
    /// A sign-in mail, by its challenge.
    Challenge(Ulid),
    /// A passkey change's notice, by the passkey.
    Notice(Ulid),
}

impl MailTag {
    /// The tag's name and value; a ULID is within a tag value's allowed
    /// characters.
    fn parts(self) -> (&'static str, String) {
        match self {
            Self::Challenge(id) => (MAIL_TAG, id.to_string()),
            Self::Notice(id) => (NOTICE_TAG, id.to_string()),
        }
    }
}

/// Where mail goes.
pub trait Outbox {
    /// Sends `mail` to `to`, tagged with `tag`; the provider's message id.
    fn send(
        &self,
        to: &str,
        mail: &RenderedMail,
        tag: MailTag,
    ) -> impl Future<Output = Result<String, SendError>> + Send;
}

/// Whether an SES error code, with its message, is permanent for the message.
pub fn is_permanent(code: &str, message: &str) -> bool {
    match code {
        // "Email address is not verified" is about the sender (or, in the
        // sandbox, an unverified recipient): fixable, so retried.
        "MessageRejected" => !message.contains("not verified"),
        "BadRequestException" | "InvalidParameterValue" => true,
        _ => false,
    }
}

/// `message` with every word that holds an `@` replaced by `<address>`.
pub fn without_addresses(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// SES v2.
#[derive(Debug, Clone)]
pub struct SesOutbox {
    pub ses: aws_sdk_sesv2::Client,
    pub from: String,
    pub configuration_set: Option<String>,
}

fn content(data: &str) -> Result<Content, SendError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| SendError {
            code: "InvalidContent".into(),
            message: e.to_string(),
            permanent: true,
        })
}

impl Outbox for SesOutbox {
    async fn send(&self, to: &str, mail: &RenderedMail, tag: MailTag) -> Result<String, SendError> {
        // SES repeats the tag in each report on the mail.
        let (name, value) = tag.parts();
        let tag = MessageTag::builder()
            .name(name)
            .value(value)
            .build()
            .map_err(|e| SendError {
                code: "InvalidTag".into(),
                message: e.to_string(),
                permanent: true,
            })?;
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(
                Body::builder()
                    .text(content(&mail.text)?)
                    .html(content(&mail.html)?)
                    .build(),
            )
            .build();
        let result = self
            .ses
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .email_tags(tag)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.message_id().unwrap_or_default().to_owned()),
            Err(error) => {
                let transient = magiclink::aws::is_transient(&error);
                let code = error.code().unwrap_or("Unknown").to_owned();
                let message = error.message().unwrap_or_default().to_owned();
                let permanent = !transient && is_permanent(&code, &message);
                let message = if message.is_empty() {
                    aws_smithy_types::error::display::DisplayErrorContext(&error).to_string()
                } else {
                    message
                };
                Err(SendError {
                    permanent,
                    code,
                    message: without_addresses(&message),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_taken_out_of_messages() {
        assert_eq!(
            without_addresses(
                "Email address is not verified. The following identities failed the check: ann.lee@example.com, <bob@b.co>"
            ),
            "Email address is not verified. The following identities failed the check: <address> <address>"
        );
        assert_eq!(without_addresses("Throttling"), "Throttling");
    }

    #[test]
    fn only_message_level_failures_are_permanent() {
        assert!(is_permanent("MessageRejected", "Email content rejected"));
        assert!(is_permanent(
            "BadRequestException",
            "Missing final '@domain'"
        ));
        assert!(!is_permanent(
            "MessageRejected",
            "Email address is not verified. The following identities failed the check: a@b.co"
        ));
        for code in [
            "AccountSuspendedException",
            "SendingPausedException",
            "NotFoundException",
            "TooManyRequestsException",
            "LimitExceededException",
        ] {
            assert!(!is_permanent(code, ""), "{code}");
        }
    }
}
