//! SES's events, as EventBridge delivers them, read into what magiclink
//! keeps of them. Pure code.
//!
//! The shape (AWS's "Amazon SES event publishing" record, in an EventBridge
//! envelope with `source` `aws.ses` and `detail-type` `Email Delivered`,
//! `Email Bounced`, `Email Complaint Received` or `Email Rejected`):
//! `detail.eventType` (`Delivery`, `Bounce`, `Complaint`, `Reject`),
//! `detail.mail.messageId`, `detail.mail.destination` (the recipients),
//! `detail.mail.tags` (each tag's values, as a list), and per type
//! `detail.bounce.bounceType` (`Permanent`, `Transient`, `Undetermined`)
//! with `bounceSubType`, or `detail.complaint.complaintFeedbackType`.
//!
//! The recipients a report is about are the ones SES names in it
//! (`detail.bounce.bouncedRecipients`, `detail.complaint.complainedRecipients`,
//! `detail.delivery.recipients`; a rejection is about the whole mail,
//! `detail.mail.destination`): a mail to several recipients may bounce for
//! one of them only, and only that one is suppressed.
//!
//! Other event types (sends, opens, delays) are no report. The address is
//! needed only to suppress it and to fingerprint it; it is never logged.

use magiclink::challenge::{BounceType, Delivery, DeliveryReport, MAIL_TAG};
use magiclink::email::EmailAddress;
use magiclink::metrics::Metric;
use magiclink::notice::NOTICE_TAG;
use magiclink::suppression::Cause;
use serde_json::Value;
use ulid::Ulid;

/// Which of magiclink's mails a report is on, by the mail's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaggedMail {
    /// A sign-in mail, by its challenge (tag `challenge`).
    SignIn(Ulid),
    /// A passkey change's notice, by the passkey (tag `notice`).
    Notice(Ulid),
}

/// One report of SES on one of magiclink's mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SesReport {
    pub mail: TaggedMail,
    pub ses_message_id: String,
    /// The recipients the report is about, as SES named them; never empty.
    pub recipients: Vec<EmailAddress>,
    pub report: DeliveryReport,
}

impl SesReport {
    /// Why this report stops mail to its address for a while, if it does:
    /// a hard bounce or a complaint.
    pub fn suppression(&self) -> Option<Cause> {
        match self.report.delivery {
            Delivery::Bounced if self.report.bounce_type == Some(BounceType::Permanent) => {
                Some(Cause::Bounce)
            }
            Delivery::Complained => Some(Cause::Complaint),
            _ => None,
        }
    }

    /// The metric this report counts in: a delivery, a hard bounce (as
    /// SES's own bounce rate counts them), a complaint.
    pub fn metric(&self) -> Option<Metric> {
        match self.suppression() {
            Some(Cause::Bounce) => Some(Metric::MailsBounced),
            Some(Cause::Complaint) => Some(Metric::MailsComplained),
            None if self.report.delivery == Delivery::Delivered => Some(Metric::MailsDelivered),
            None => None,
        }
    }
}

/// Why an SES event cannot be used; it is logged and dropped (no retry can
/// mend it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    #[error("the event has no detail.eventType")]
    NoEventType,
    #[error("the event has no detail.mail.messageId")]
    NoMessageId,
    #[error("the mail has neither a {MAIL_TAG} nor a {NOTICE_TAG} tag: not a magiclink mail")]
    NoTag,
    #[error("the mail's {MAIL_TAG} or {NOTICE_TAG} tag is not a ULID")]
    BadTag,
    #[error("the report names no readable recipient")]
    NoRecipient,
}

/// SES's sub-types and feedback types are short words; anything else is
/// not kept (it would end up in the table and in events).
fn word(raw: Option<&str>) -> Option<String> {
    raw.filter(|w| {
        (1..=64).contains(&w.len())
            && w.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
    .map(str::to_owned)
}

/// The report in `event`, `None` for an event type that is no report.
pub fn read(event: &Value) -> Result<Option<SesReport>, Unusable> {
    let detail = &event["detail"];
    let event_type = detail["eventType"].as_str().ok_or(Unusable::NoEventType)?;
    let report = match event_type {
        "Delivery" => DeliveryReport {
            delivery: Delivery::Delivered,
            bounce_type: None,
            sub_type: None,
        },
        "Bounce" => DeliveryReport {
            delivery: Delivery::Bounced,
            bounce_type: Some(
                detail["bounce"]["bounceType"]
                    .as_str()
                    .map(str::to_ascii_lowercase)
                    .and_then(|t| BounceType::parse(&t))
                    .unwrap_or(BounceType::Undetermined),
            ),
            sub_type: word(detail["bounce"]["bounceSubType"].as_str()),
        },
        "Complaint" => DeliveryReport {
            delivery: Delivery::Complained,
            bounce_type: None,
            sub_type: word(detail["complaint"]["complaintFeedbackType"].as_str()),
        },
        "Reject" => DeliveryReport {
            delivery: Delivery::Rejected,
            bounce_type: None,
            sub_type: None,
        },
        _ => return Ok(None),
    };
    let mail = &detail["mail"];
    let ses_message_id = mail["messageId"]
        .as_str()
        .filter(|id| !id.is_empty())
        .ok_or(Unusable::NoMessageId)?
        .to_owned();
    let tag = |name: &str| {
        mail["tags"][name][0]
            .as_str()
            .map(|value| Ulid::from_string(value).map_err(|_| Unusable::BadTag))
    };
    let tagged = match (tag(MAIL_TAG), tag(NOTICE_TAG)) {
        (Some(challenge), _) => TaggedMail::SignIn(challenge?),
        (None, Some(passkey)) => TaggedMail::Notice(passkey?),
        (None, None) => return Err(Unusable::NoTag),
    };
    let named = match event_type {
        "Bounce" => &detail["bounce"]["bouncedRecipients"],
        "Complaint" => &detail["complaint"]["complainedRecipients"],
        "Delivery" => &detail["delivery"]["recipients"],
        _ => &mail["destination"],
    };
    let recipients: Vec<EmailAddress> = named
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| entry.as_str().or_else(|| entry["emailAddress"].as_str()))
        .filter_map(|raw| EmailAddress::parse(raw).ok())
        .collect();
    if recipients.is_empty() {
        return Err(Unusable::NoRecipient);
    }
    Ok(Some(SesReport {
        mail: tagged,
        ses_message_id,
        recipients,
        report,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ID: &str = "01JD0000000000000000000000";

    /// An event as SES publishes it to EventBridge (AWS's documented
    /// example, with this project's tag), of `event_type` with `extra` in
    /// its detail.
    fn ses_event(detail_type: &str, event_type: &str, extra: Value) -> Value {
        let mut detail = json!({
            "eventType": event_type,
            "mail": {
                "timestamp": "2026-11-22T08:00:00.000Z",
                "source": "no-reply@magiclink.test",
                "sendingAccountId": "000000000000",
                "messageId": "0100019a-0b1c-4d2e-9f30-123456789abc-000000",
                "destination": ["ann@example.com"],
                "headersTruncated": false,
                "tags": {
                    "ses:configuration-set": ["magiclink-mail"],
                    "ses:source-ip": ["192.0.2.1"],
                    "challenge": [ID]
                }
            }
        });
        if let (Value::Object(detail), Value::Object(extra)) = (&mut detail, extra) {
            detail.extend(extra);
        }
        json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": detail_type,
            "source": "aws.ses",
            "account": "000000000000",
            "time": "2026-11-22T08:00:01Z",
            "region": "us-east-1",
            "resources": ["arn:aws:ses:us-east-1:000000000000:configuration-set/magiclink-mail"],
            "detail": detail
        })
    }

    fn bounce(bounce_type: &str, sub_type: &str) -> Value {
        ses_event(
            "Email Bounced",
            "Bounce",
            json!({"bounce": {
                "feedbackId": "0100019a-feedback",
                "bounceType": bounce_type,
                "bounceSubType": sub_type,
                "bouncedRecipients": [{"emailAddress": "ann@example.com", "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
                "timestamp": "2026-11-22T08:00:01.000Z",
                "reportingMTA": "dsn; a1-2.smtp-out.amazonses.com"
            }}),
        )
    }

    #[test]
    fn each_report_type_is_read() {
        let delivered = read(&ses_event(
            "Email Delivered",
            "Delivery",
            json!({"delivery": {"timestamp": "2026-11-22T08:00:01.000Z", "processingTimeMillis": 900, "recipients": ["ann@example.com"], "smtpResponse": "250 ok"}}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(delivered.mail, TaggedMail::SignIn(ID.parse().unwrap()));
        assert_eq!(
            delivered.ses_message_id,
            "0100019a-0b1c-4d2e-9f30-123456789abc-000000"
        );
        assert_eq!(
            delivered.recipients,
            [EmailAddress::parse("ann@example.com").unwrap()]
        );
        assert_eq!(delivered.report.delivery, Delivery::Delivered);
        assert_eq!(delivered.suppression(), None);

        let hard = read(&bounce("Permanent", "NoEmail")).unwrap().unwrap();
        assert_eq!(
            hard.report,
            DeliveryReport {
                delivery: Delivery::Bounced,
                bounce_type: Some(BounceType::Permanent),
                sub_type: Some("NoEmail".into()),
            }
        );
        assert_eq!(hard.suppression(), Some(Cause::Bounce));
        let soft = read(&bounce("Transient", "MailboxFull")).unwrap().unwrap();
        assert_eq!(soft.report.bounce_type, Some(BounceType::Transient));
        assert_eq!(
            soft.suppression(),
            None,
            "a full mailbox is worth trying later"
        );

        let complaint = read(&ses_event(
            "Email Complaint Received",
            "Complaint",
            json!({"complaint": {"complainedRecipients": [{"emailAddress": "ann@example.com"}], "timestamp": "2026-11-22T09:00:00.000Z", "feedbackId": "f", "complaintFeedbackType": "abuse"}}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(complaint.report.delivery, Delivery::Complained);
        assert_eq!(complaint.report.sub_type.as_deref(), Some("abuse"));
        assert_eq!(complaint.suppression(), Some(Cause::Complaint));

        let rejected = read(&ses_event(
            "Email Rejected",
            "Reject",
            json!({"reject": {"reason": "Bad content"}}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(rejected.report.delivery, Delivery::Rejected);
        assert_eq!(rejected.suppression(), None);
    }

    #[test]
    fn a_notices_bounce_is_a_report_on_the_notice() {
        let mut notice = bounce("Permanent", "General");
        let tags = notice["detail"]["mail"]["tags"].as_object_mut().unwrap();
        tags.remove("challenge");
        tags.insert("notice".into(), json!([ID]));
        let report = read(&notice).unwrap().unwrap();
        assert_eq!(report.mail, TaggedMail::Notice(ID.parse().unwrap()));
        assert_eq!(report.suppression(), Some(Cause::Bounce));
    }

    #[test]
    fn other_event_types_are_no_report() {
        for (detail_type, event_type) in [
            ("Email Sent", "Send"),
            ("Email Opened", "Open"),
            ("Email Delivery Delayed", "DeliveryDelay"),
        ] {
            assert_eq!(
                read(&ses_event(detail_type, event_type, json!({}))),
                Ok(None)
            );
        }
    }

    #[test]
    fn unusable_events_are_refused_with_their_reason() {
        let mut untagged = bounce("Permanent", "General");
        untagged["detail"]["mail"]["tags"]
            .as_object_mut()
            .unwrap()
            .remove("challenge");
        assert_eq!(read(&untagged), Err(Unusable::NoTag));
        let mut bad_tag = bounce("Permanent", "General");
        bad_tag["detail"]["mail"]["tags"]["challenge"] = json!(["not-a-ulid"]);
        assert_eq!(read(&bad_tag), Err(Unusable::BadTag));
        let mut notice = untagged.clone();
        notice["detail"]["mail"]["tags"]["notice"] = json!(["not-a-ulid"]);
        assert_eq!(read(&notice), Err(Unusable::BadTag));
        let mut no_id = bounce("Permanent", "General");
        no_id["detail"]["mail"]["messageId"] = json!("");
        assert_eq!(read(&no_id), Err(Unusable::NoMessageId));
        let mut no_recipient = bounce("Permanent", "General");
        no_recipient["detail"]["bounce"]["bouncedRecipients"] =
            json!([{"emailAddress": "not an address"}]);
        assert_eq!(read(&no_recipient), Err(Unusable::NoRecipient));
        let mut none_named = bounce("Permanent", "General");
        none_named["detail"]["bounce"]
            .as_object_mut()
            .unwrap()
            .remove("bouncedRecipients");
        assert_eq!(read(&none_named), Err(Unusable::NoRecipient));
        assert_eq!(read(&json!({"detail": 7})), Err(Unusable::NoEventType));
        assert_eq!(read(&json!("text")), Err(Unusable::NoEventType));
    }

    #[test]
    fn a_report_is_about_the_recipients_ses_names_not_the_first_destination() {
        let address = |raw| EmailAddress::parse(raw).unwrap();
        let mut bounced = bounce("Permanent", "General");
        bounced["detail"]["mail"]["destination"] = json!(["ann@example.com", "bob@example.com"]);
        bounced["detail"]["bounce"]["bouncedRecipients"] =
            json!([{"emailAddress": "bob@example.com", "action": "failed"}]);
        assert_eq!(
            read(&bounced).unwrap().unwrap().recipients,
            [address("bob@example.com")]
        );
        let mut complained = ses_event(
            "Email Complaint Received",
            "Complaint",
            json!({"complaint": {"complainedRecipients": [{"emailAddress": "bob@example.com"}, {"emailAddress": "cy@example.com"}]}}),
        );
        complained["detail"]["mail"]["destination"] = json!(["ann@example.com"]);
        assert_eq!(
            read(&complained).unwrap().unwrap().recipients,
            [address("bob@example.com"), address("cy@example.com")]
        );
        let mut rejected = ses_event("Email Rejected", "Reject", json!({"reject": {}}));
        rejected["detail"]["mail"]["destination"] = json!(["ann@example.com", "bob@example.com"]);
        assert_eq!(read(&rejected).unwrap().unwrap().recipients.len(), 2);
    }

    #[test]
    fn odd_words_from_ses_are_not_kept() {
        let odd = read(&bounce("permanent", "No\r\nEmail")).unwrap().unwrap();
        assert_eq!(odd.report.bounce_type, Some(BounceType::Permanent));
        assert_eq!(odd.report.sub_type, None);
        let huge = read(&bounce("Sideways", &"x".repeat(65))).unwrap().unwrap();
        assert_eq!(huge.report.bounce_type, Some(BounceType::Undetermined));
        assert_eq!(huge.report.sub_type, None);
    }
}
