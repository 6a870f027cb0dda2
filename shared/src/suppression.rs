//! Addresses magiclink does not mail for a while: after a hard bounce or a
//! complaint, on top of SES's own suppression list (which, account-wide,
//! keeps an address for good and tells nobody why a mail never came).
//!
//! Item `suppressed#<subject hash>` (the address's fingerprint, never the
//! address): `reason` (`bounced` or `complained`), `until` (seconds since the
//! epoch), and the same as `ttl`, so DynamoDB deletes it some time after it
//! ends; until then [`Suppressions::find`] reads `until` itself. The feedback
//! function writes it, the mailer reads it before each mail.

use std::time::SystemTime;

use aws_sdk_dynamodb::error::SdkError;

use crate::aws::CallError;
use crate::challenge::SuppressionReason;
use crate::dynamo::{PK, TTL, get_n, get_s, n, s};
use crate::table::key;
use crate::table::suppressed::{REASON, UNTIL};
use crate::time::unix_seconds;

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A mail to it bounced for good.
    Bounce,
    /// Its owner marked a mail as spam.
    Complaint,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bounce => "bounced",
            Self::Complaint => "complained",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [Self::Bounce, Self::Complaint]
            .into_iter()
            .find(|c| c.as_str() == raw)
    }

    /// The reason `MagicLinkSuppressed` gives.
    pub fn reason(self) -> SuppressionReason {
        match self {
            Self::Bounce => SuppressionReason::Bounced,
            Self::Complaint => SuppressionReason::Complained,
        }
    }
}

/// The suppressed addresses, in the table.
#[derive(Debug, Clone)]
pub struct Suppressions {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl Suppressions {
    pub fn new(ddb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            ddb,
            table: table.into(),
        }
    }

    /// Suppresses the address of `subject_hash` until `until` for `cause`.
    /// A suppression that lasts longer already is kept as it is.
    pub async fn suppress(
        &self,
        subject_hash: &str,
        cause: Cause,
        until: SystemTime,
    ) -> Result<(), CallError> {
        let until = unix_seconds(until);
        let result = self
            .ddb
            .put_item()
            .table_name(&self.table)
            .item(PK, s(key::suppressed(subject_hash)))
            .item(REASON, s(cause.as_str()))
            .item(UNTIL, n(until))
            .item(TTL, n(until))
            .condition_expression("attribute_not_exists(pk) OR #until < :until")
            .expression_attribute_names("#until", UNTIL)
            .expression_attribute_values(":until", n(until))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(e) => Err(CallError::from_sdk("DynamoDB PutItem", &e)),
        }
    }

    /// Why the address of `subject_hash` is suppressed at `now`, if it is.
    pub async fn find(
        &self,
        subject_hash: &str,
        now: SystemTime,
    ) -> Result<Option<Cause>, CallError> {
        let output = self
            .ddb
            .get_item()
            .table_name(&self.table)
            .key(PK, s(key::suppressed(subject_hash)))
            .send()
            .await
            .map_err(|e| CallError::from_sdk("DynamoDB GetItem", &e))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let ended = get_n(item, UNTIL).is_none_or(|until| until <= unix_seconds(now));
        Ok(if ended {
            None
        } else {
            get_s(item, REASON).and_then(Cause::parse)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_round_trip_and_name_the_events_reason() {
        for cause in [Cause::Bounce, Cause::Complaint] {
            assert_eq!(Cause::parse(cause.as_str()), Some(cause));
            assert_eq!(
                serde_json::to_value(cause.reason()).unwrap(),
                cause.as_str(),
                "the item and the event spell it alike"
            );
        }
        assert_eq!(Cause::parse("unknown_user"), None);
    }
}
