//! The conditions of the store's writes, as pure functions: under which a
//! challenge can still be used for each kind of answer, and how a
//! transaction's cancellation reasons become the precise refusal. The
//! store's calls send them; the tests below check them without a table.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};

use super::rules::{MAX_WRONG_CODES, MAX_WRONG_NUMBERS, refusal, unexplained};
use super::{ChallengeStatus, ConsumeError, Proof};
use crate::aws::CallError;
use crate::binding::DeviceBinding;
use crate::dynamo::{Item, get_s, item_found, n, s};
use crate::email::EmailAddress;
use crate::table::challenge::{
    EMAIL, EXPIRES_AT, STATUS, WRONG_NUMBERS as WRONG_NUMBERS_ATTRIBUTE,
};

/// The condition on a user's watermark under which their challenge `:id`
/// is not revoked (see the module docs of [`crate::challenge`]).
pub(super) const UNREVOKED: &str = "attribute_not_exists(revokedThrough) OR revokedThrough < :id";

/// A kind of wrong answer counted on a challenge: its attribute, and how
/// many burn the challenge.
#[derive(Debug, Clone, Copy)]
pub(super) struct Wrong {
    pub attribute: &'static str,
    pub max: u64,
}

pub(super) const WRONG_CODES: Wrong = Wrong {
    attribute: "wrongCodes",
    max: MAX_WRONG_CODES,
};
pub(super) const WRONG_NUMBERS: Wrong = Wrong {
    attribute: WRONG_NUMBERS_ATTRIBUTE,
    max: MAX_WRONG_NUMBERS,
};

/// Which state a challenge must be in for an update.
#[derive(Debug, Clone, Copy)]
pub(super) enum Awaiting {
    /// Mailed (or still pending) and unapproved: a link may sign in.
    Link,
    /// Likewise, and its code not spent: a code may sign in, a wrong code is
    /// counted.
    Code,
    /// Likewise, and asked for with a binding: it may be approved, a wrong
    /// number is counted.
    Approval,
    /// Approved, with this binding: the asking browser's verifier may sign in.
    Verifier(DeviceBinding),
}

/// The condition under which a challenge can still be used as `awaiting`
/// says by `email` at `now_secs`: it exists, is `email`'s, has not expired
/// and has not been burnt (and for a code, its code is not spent), and is
/// in the state `awaiting` needs. With the
/// values it names (its `#s` is `status`) and the update's own `extra` ones.
pub(super) fn usable<const N: usize>(
    email: &EmailAddress,
    now_secs: u64,
    awaiting: Awaiting,
    extra: [(&str, AttributeValue); N],
) -> (String, Item) {
    let live = format!(
        "attribute_exists(pk) AND {EMAIL} = :email AND {EXPIRES_AT} > :now \
         AND (attribute_not_exists({WRONG_NUMBERS_ATTRIBUTE}) \
         OR {WRONG_NUMBERS_ATTRIBUTE} < :maxNumbers)"
    );
    const UNAPPROVED: &str = "(#s = :pending OR #s = :mailed)";
    const CODE_LEFT: &str = "(attribute_not_exists(wrongCodes) OR wrongCodes < :maxWrong)";
    let mut values = Item::from([
        (":email".to_owned(), s(email.as_str())),
        (":now".to_owned(), n(now_secs)),
        (":maxNumbers".to_owned(), n(MAX_WRONG_NUMBERS)),
    ]);
    let unapproved = [
        (":pending".to_owned(), s(ChallengeStatus::Pending.as_str())),
        (":mailed".to_owned(), s(ChallengeStatus::Mailed.as_str())),
    ];
    let condition = match awaiting {
        Awaiting::Link => {
            values.extend(unapproved);
            format!("{live} AND {UNAPPROVED}")
        }
        Awaiting::Code => {
            values.extend(unapproved);
            values.insert(":maxWrong".into(), n(MAX_WRONG_CODES));
            format!("{live} AND {UNAPPROVED} AND {CODE_LEFT}")
        }
        Awaiting::Approval => {
            values.extend(unapproved);
            format!("{live} AND {UNAPPROVED} AND attribute_exists(binding)")
        }
        Awaiting::Verifier(binding) => {
            values.insert(":approved".into(), s(ChallengeStatus::Approved.as_str()));
            values.insert(":binding".into(), s(binding.encoded()));
            format!("{live} AND #s = :approved AND binding = :binding")
        }
    };
    values.extend(extra.map(|(name, value)| (name.to_owned(), value)));
    (condition, values)
}

/// One consume attempt's failure: final, or worth another try.
pub(super) enum Attempt {
    Failed(ConsumeError),
    Conflict,
}

pub(super) const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// The status of the item that made a conditional update fail (the update
/// asked for it with `ALL_OLD`), or `None` when there was no item.
pub(super) fn status_found(error: &UpdateItemError) -> Option<ChallengeStatus> {
    item_found(error)
        .and_then(|item| get_s(item, STATUS))
        .and_then(ChallengeStatus::parse)
}

/// Turns the transaction's cancellation reasons into the precise refusal.
pub(super) fn why_cancelled(
    email: &EmailAddress,
    now_secs: u64,
    proof: Proof,
    reasons: &[CancellationReason],
) -> Attempt {
    let code = |i: usize| reasons.get(i).and_then(CancellationReason::code);
    if reasons
        .iter()
        .any(|r| r.code() == Some("TransactionConflict"))
    {
        return Attempt::Conflict;
    }
    if code(0) == Some(CONDITION_FAILED) {
        let item = reasons.first().and_then(CancellationReason::item);
        return Attempt::Failed(refusal(item, email, now_secs, proof).unwrap_or_else(unexplained));
    }
    if code(1) == Some(CONDITION_FAILED) {
        return Attempt::Failed(ConsumeError::Revoked);
    }
    if code(2) == Some(CONDITION_FAILED) {
        return Attempt::Failed(ConsumeError::AddressChanged);
    }
    if code(3) == Some(CONDITION_FAILED) {
        return Attempt::Failed(ConsumeError::TooManyAttempts);
    }
    Attempt::Failed(ConsumeError::Store(CallError::unexpected(
        "TransactWriteItems",
        "cancelled for an unexpected reason",
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::collections::BTreeSet;

    use super::*;
    use crate::binding::Verifier;

    const NOW: u64 = 1_800_000_000;

    fn ann() -> EmailAddress {
        EmailAddress::parse("ann@example.com").unwrap()
    }

    /// The `:name`s a condition or update expression uses.
    fn placeholders(expression: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut rest = expression;
        while let Some(at) = rest.find(':') {
            let name: String = rest[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            names.insert(format!(":{name}"));
            rest = &rest[at + 1..];
        }
        names
    }

    #[test]
    fn each_condition_has_a_value_for_every_name_it_uses_and_no_other() {
        let binding = Verifier::parse(&"v".repeat(43)).unwrap().binding();
        for awaiting in [
            Awaiting::Link,
            Awaiting::Code,
            Awaiting::Approval,
            Awaiting::Verifier(binding),
        ] {
            let (condition, values) = usable(&ann(), NOW, awaiting, [(":extra", n(1))]);
            let mut used = placeholders(&condition);
            used.insert(":extra".into());
            let given: BTreeSet<String> = values.keys().cloned().collect();
            assert_eq!(used, given, "{awaiting:?}: {condition}");
            assert!(condition.contains("email = :email"), "{condition}");
            assert!(condition.contains("expiresAt > :now"), "{condition}");
            assert!(
                condition.contains("wrongNumbers < :maxNumbers"),
                "{condition}"
            );
        }
    }

    #[test]
    fn each_kind_of_answer_needs_its_own_state() {
        let binding = Verifier::parse(&"v".repeat(43)).unwrap().binding();
        let (link, _) = usable(&ann(), NOW, Awaiting::Link, []);
        assert!(link.contains("(#s = :pending OR #s = :mailed)") && !link.contains("wrongCodes"));
        let (code, values) = usable(&ann(), NOW, Awaiting::Code, []);
        assert!(code.contains("wrongCodes < :maxWrong"), "{code}");
        assert_eq!(values[":maxWrong"], n(MAX_WRONG_CODES));
        let (approval, _) = usable(&ann(), NOW, Awaiting::Approval, []);
        assert!(approval.contains("attribute_exists(binding)"), "{approval}");
        let (verifier, values) = usable(&ann(), NOW, Awaiting::Verifier(binding), []);
        assert!(
            verifier.contains("#s = :approved AND binding = :binding"),
            "{verifier}"
        );
        assert!(!verifier.contains(":pending"), "{verifier}");
        assert_eq!(values[":binding"], s(binding.encoded()));
        assert_eq!(values[":email"], s("ann@example.com"));
        assert_eq!(values[":now"], n(NOW));
    }

    fn reason(code: &str, item: Option<Item>) -> CancellationReason {
        CancellationReason::builder()
            .code(code)
            .set_item(item)
            .build()
    }

    fn refused(reasons: &[CancellationReason]) -> String {
        match why_cancelled(&ann(), NOW, Proof::Link, reasons) {
            Attempt::Failed(error) => format!("{error:?}"),
            Attempt::Conflict => "Conflict".into(),
        }
    }

    #[test]
    fn a_cancelled_consume_is_refused_for_the_condition_that_failed() {
        let none = || reason("None", None);
        let failed = |item| reason(CONDITION_FAILED, item);
        let expired = Item::from([
            ("email".to_owned(), s("ann@example.com")),
            (STATUS.to_owned(), s("mailed")),
            ("expiresAt".to_owned(), n(NOW - 1)),
        ]);
        assert_eq!(
            refused(&[failed(Some(expired)), none(), none(), none()]),
            "Expired"
        );
        assert_eq!(refused(&[failed(None), none(), none(), none()]), "NotFound");
        assert_eq!(refused(&[none(), failed(None), none(), none()]), "Revoked");
        assert_eq!(
            refused(&[none(), none(), failed(None), none()]),
            "AddressChanged"
        );
        assert_eq!(
            refused(&[none(), none(), none(), failed(None)]),
            "TooManyAttempts"
        );
        let conflict = reason("TransactionConflict", None);
        assert_eq!(refused(&[none(), conflict, none(), none()]), "Conflict");
        assert!(refused(&[none(), none(), none(), none()]).starts_with("Store("));
        assert!(refused(&[]).starts_with("Store("));
    }
}
