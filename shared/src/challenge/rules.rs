//! The rules that tell, from a challenge item as the table holds it, whether
//! and why it can no longer be used: pure functions, so that the store's
//! refusals are decided in one place and tested on item fixtures.
//!
//! Three counts end a challenge, each in its own way:
//! - `wrongNumbers` at [`MAX_WRONG_NUMBERS`] burns it: only a link's holder
//!   can type an approval number, so nothing signs in with it any more;
//! - `wrongCodes` at [`MAX_WRONG_CODES`] ends its *code* only: anyone who
//!   knows a challenge id can type codes, so wrong codes must never kill the
//!   link, which only the mailbox's owner holds;
//! - the user's budget of wrong codes across all challenges (a rate-limit
//!   counter, see [`crate::rate_limit`]) ends every code of the user until
//!   its window passes.

use super::ChallengeStatus;
use super::answers::{ApprovalError, ConsumeError, Proof};
use crate::aws::CallError;
use crate::binding::DeviceBinding;
use crate::dynamo::{Item, get_n, get_s};
use crate::email::EmailAddress;
use crate::table::challenge::{EMAIL, EXPIRES_AT, WRONG_NUMBERS};

/// Wrong codes that end a challenge's code, across any number of Cognito
/// sessions. Its link still signs in.
pub const MAX_WRONG_CODES: u64 = 5;
/// Wrong approval numbers that burn a challenge.
pub const MAX_WRONG_NUMBERS: u64 = 3;

/// How a challenge's life ended, whatever the way in.
pub(super) enum Ended {
    Used,
    /// An operator revoked it (an invitation).
    Revoked,
    Burnt,
    Expired,
}

impl From<Ended> for ConsumeError {
    fn from(end: Ended) -> Self {
        match end {
            Ended::Used => Self::Used,
            Ended::Revoked => Self::Revoked,
            Ended::Burnt => Self::TooManyAttempts,
            Ended::Expired => Self::Expired,
        }
    }
}

impl From<Ended> for ApprovalError {
    fn from(end: Ended) -> Self {
        match end {
            Ended::Used => Self::Used,
            Ended::Revoked => Self::Revoked,
            Ended::Burnt => Self::TooManyAttempts,
            Ended::Expired => Self::Expired,
        }
    }
}

/// Whether challenge `item` can no longer be used at `now_secs`, by anyone
/// in any way, and why: used, then revoked, then burnt, then expired, in
/// that order.
pub(super) fn ended(item: &Item, now_secs: u64) -> Option<Ended> {
    let status = get_s(item, "status");
    if status == Some(ChallengeStatus::Consumed.as_str()) {
        Some(Ended::Used)
    } else if status == Some(ChallengeStatus::Revoked.as_str()) {
        Some(Ended::Revoked)
    } else if is_burnt(item) {
        Some(Ended::Burnt)
    } else if get_n(item, EXPIRES_AT).is_none_or(|expires| expires <= now_secs) {
        Some(Ended::Expired)
    } else {
        None
    }
}

/// Whether wrong approval numbers burnt challenge `item`.
pub(super) fn is_burnt(item: &Item) -> bool {
    get_n(item, WRONG_NUMBERS).is_some_and(|wrong| wrong >= MAX_WRONG_NUMBERS)
}

/// Whether wrong codes ended the code of challenge `item`.
pub(super) fn code_spent(item: &Item) -> bool {
    get_n(item, "wrongCodes").is_some_and(|wrong| wrong >= MAX_WRONG_CODES)
}

/// Whether the user's budget of wrong codes is spent, by its counter item
/// `guesses` for the current window (`None`: no wrong code in it yet).
pub(super) fn guesses_spent(guesses: Option<&Item>, budget: u32) -> bool {
    guesses
        .and_then(|item| get_n(item, "hits"))
        .is_some_and(|hits| hits >= u64::from(budget))
}

/// Why challenge `item` (as it was; `None` when there is none) cannot be
/// used by `email` with `proof` at `now_secs`, if the item shows a reason.
/// Whose challenge it is comes first: another user is told nothing else.
pub(super) fn refusal(
    item: Option<&Item>,
    email: &EmailAddress,
    now_secs: u64,
    proof: Proof,
) -> Option<ConsumeError> {
    let Some(item) = item else {
        return Some(ConsumeError::NotFound);
    };
    if get_s(item, EMAIL) != Some(email.as_str()) {
        return Some(ConsumeError::WrongUser);
    }
    if let Some(end) = ended(item, now_secs) {
        return Some(end.into());
    }
    let approved = get_s(item, "status") == Some(ChallengeStatus::Approved.as_str());
    match proof {
        Proof::Approval(binding) if get_s(item, "binding") != Some(binding.encoded().as_str()) => {
            Some(ConsumeError::WrongVerifier)
        }
        Proof::Approval(_) if !approved => Some(ConsumeError::NotApproved),
        Proof::Approval(_) => None,
        Proof::Code if code_spent(item) => Some(ConsumeError::TooManyAttempts),
        Proof::Link | Proof::Code if approved => Some(ConsumeError::ApprovedElsewhere),
        Proof::Link | Proof::Code => None,
    }
}

/// Why a code answered by `email` at `now_secs` for challenge `item` must
/// be refused before the code is even compared: not the user's, ended, its
/// code spent, or the user's budget of wrong codes (`guesses`, of at most
/// `budget`) spent. `None`: compare it.
pub(super) fn code_refusal(
    item: Option<&Item>,
    guesses: Option<&Item>,
    budget: u32,
    email: &EmailAddress,
    now_secs: u64,
) -> Option<ConsumeError> {
    refusal(item, email, now_secs, Proof::Code)
        .or_else(|| guesses_spent(guesses, budget).then_some(ConsumeError::TooManyAttempts))
}

/// A refusal for which the item shows no reason: a condition the store
/// wrote failed while the item it read says it holds.
pub(super) fn unexplained() -> ConsumeError {
    ConsumeError::Store(CallError::unexpected(
        "DynamoDB",
        "a challenge condition failed for no reason the item shows",
    ))
}

/// Why the challenge `item` (as it was; `None` when there was none) could
/// not be approved by the holder of a link for `email` at `now_secs`.
pub(super) fn not_approvable(
    item: Option<&Item>,
    email: &EmailAddress,
    now_secs: u64,
) -> ApprovalError {
    match item.map(|item| approvable(item, email, now_secs)) {
        None => ApprovalError::NotFound,
        Some(Err(error)) => error,
        Some(Ok(_)) => CallError::unexpected(
            "DynamoDB",
            "an approval condition failed for no reason the item shows",
        )
        .into(),
    }
}

/// The binding of challenge `item`, if the holder of a link for `email` may
/// approve it at `now_secs`; else why not. Wrong codes do not stop an
/// approval: only the link's holder can approve.
pub(super) fn approvable(
    item: &Item,
    email: &EmailAddress,
    now_secs: u64,
) -> Result<DeviceBinding, ApprovalError> {
    if get_s(item, EMAIL) != Some(email.as_str()) {
        return Err(ApprovalError::WrongUser);
    }
    let Some(binding) = get_s(item, "binding").and_then(|raw| DeviceBinding::parse(raw).ok())
    else {
        return Err(ApprovalError::NotApprovable);
    };
    if let Some(end) = ended(item, now_secs) {
        return Err(end.into());
    }
    match get_s(item, "status").and_then(ChallengeStatus::parse) {
        Some(ChallengeStatus::Approved) => Err(ApprovalError::AlreadyApproved),
        Some(ChallengeStatus::Pending | ChallengeStatus::Mailed) => Ok(binding),
        Some(ChallengeStatus::Consumed | ChallengeStatus::Revoked) | None => {
            Err(CallError::unexpected("DynamoDB", "a challenge without a readable status").into())
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: a panic is how a test reports failure"
    )]

    use super::*;
    use crate::binding::Verifier;
    use crate::dynamo::{n, s};

    const NOW: u64 = 1_800_000_000;

    fn ann() -> EmailAddress {
        EmailAddress::parse("ann@example.com").unwrap()
    }

    fn binding() -> DeviceBinding {
        Verifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
            .unwrap()
            .binding()
    }

    /// Ann's mailed challenge, live at `NOW`, with `extra` attributes.
    fn item(extra: &[(&str, aws_sdk_dynamodb::types::AttributeValue)]) -> Item {
        let mut item = Item::from([
            ("email".to_owned(), s("ann@example.com")),
            ("status".to_owned(), s("mailed")),
            ("expiresAt".to_owned(), n(NOW + 60)),
        ]);
        item.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        item
    }

    fn reason(error: Option<ConsumeError>) -> Option<String> {
        error.map(|e| format!("{e:?}"))
    }

    #[test]
    fn wrong_codes_end_the_code_never_the_link_nor_an_approval() {
        let spent = item(&[("wrongCodes", n(MAX_WRONG_CODES))]);
        assert!(code_spent(&spent) && !is_burnt(&spent));
        assert!(ended(&spent, NOW).is_none());
        assert_eq!(
            reason(refusal(Some(&spent), &ann(), NOW, Proof::Code)),
            Some("TooManyAttempts".into())
        );
        assert_eq!(
            reason(refusal(Some(&spent), &ann(), NOW, Proof::Link)),
            None
        );
        let bound = item(&[
            ("wrongCodes", n(MAX_WRONG_CODES)),
            ("binding", s(binding().encoded())),
        ]);
        assert!(approvable(&bound, &ann(), NOW).is_ok());
        let approved = item(&[
            ("wrongCodes", n(MAX_WRONG_CODES)),
            ("binding", s(binding().encoded())),
            ("status", s("approved")),
        ]);
        assert_eq!(
            reason(refusal(
                Some(&approved),
                &ann(),
                NOW,
                Proof::Approval(binding())
            )),
            None
        );
        let four = item(&[("wrongCodes", n(MAX_WRONG_CODES - 1))]);
        assert_eq!(reason(refusal(Some(&four), &ann(), NOW, Proof::Code)), None);
    }

    #[test]
    fn a_revoked_invitation_signs_in_no_way_and_cannot_be_approved() {
        let revoked = item(&[
            ("status", s("revoked")),
            ("binding", s(binding().encoded())),
        ]);
        for proof in [Proof::Link, Proof::Code, Proof::Approval(binding())] {
            assert_eq!(
                reason(refusal(Some(&revoked), &ann(), NOW, proof)),
                Some("Revoked".into()),
                "{proof:?}"
            );
        }
        assert!(matches!(
            approvable(&revoked, &ann(), NOW),
            Err(ApprovalError::Revoked)
        ));
        // Revoked reads before expired: the operator's act is the reason.
        let late = item(&[("status", s("revoked")), ("expiresAt", n(NOW - 1))]);
        assert_eq!(
            reason(refusal(Some(&late), &ann(), NOW, Proof::Link)),
            Some("Revoked".into())
        );
    }

    #[test]
    fn wrong_numbers_burn_the_whole_challenge() {
        let burnt = item(&[("wrongNumbers", n(MAX_WRONG_NUMBERS))]);
        for proof in [Proof::Link, Proof::Code, Proof::Approval(binding())] {
            assert_eq!(
                reason(refusal(Some(&burnt), &ann(), NOW, proof)),
                Some("TooManyAttempts".into()),
                "{proof:?}"
            );
        }
    }

    #[test]
    fn another_users_challenge_is_wrong_user_whatever_else_it_shows() {
        let bob = EmailAddress::parse("bob@example.com").unwrap();
        let spent_guesses = Item::from([("hits".to_owned(), n(20))]);
        for challenge in [
            item(&[]),
            item(&[("wrongCodes", n(MAX_WRONG_CODES))]),
            item(&[("status", s("consumed"))]),
            item(&[("expiresAt", n(NOW - 1))]),
        ] {
            for guesses in [None, Some(&spent_guesses)] {
                assert_eq!(
                    reason(code_refusal(Some(&challenge), guesses, 20, &bob, NOW)),
                    Some("WrongUser".into())
                );
            }
        }
        assert_eq!(
            reason(code_refusal(None, None, 20, &bob, NOW)),
            Some("NotFound".into())
        );
    }

    #[test]
    fn a_spent_budget_refuses_every_code_of_the_user() {
        let live = item(&[]);
        let at = |hits| Item::from([("hits".to_owned(), n(hits))]);
        assert_eq!(
            reason(code_refusal(Some(&live), None, 20, &ann(), NOW)),
            None
        );
        assert_eq!(
            reason(code_refusal(Some(&live), Some(&at(19)), 20, &ann(), NOW)),
            None
        );
        assert_eq!(
            reason(code_refusal(Some(&live), Some(&at(20)), 20, &ann(), NOW)),
            Some("TooManyAttempts".into())
        );
        // The challenge's own end is told first.
        let used = item(&[("status", s("consumed"))]);
        assert_eq!(
            reason(code_refusal(Some(&used), Some(&at(20)), 20, &ann(), NOW)),
            Some("Used".into())
        );
    }

    #[test]
    fn an_approved_challenge_signs_in_only_with_its_verifier() {
        let approved = item(&[
            ("status", s("approved")),
            ("binding", s(binding().encoded())),
        ]);
        for proof in [Proof::Link, Proof::Code] {
            assert_eq!(
                reason(refusal(Some(&approved), &ann(), NOW, proof)),
                Some("ApprovedElsewhere".into())
            );
        }
        let other = Verifier::parse(&"x".repeat(43)).unwrap().binding();
        assert_eq!(
            reason(refusal(
                Some(&approved),
                &ann(),
                NOW,
                Proof::Approval(other)
            )),
            Some("WrongVerifier".into())
        );
        let mailed = item(&[("binding", s(binding().encoded()))]);
        assert_eq!(
            reason(refusal(
                Some(&mailed),
                &ann(),
                NOW,
                Proof::Approval(binding())
            )),
            Some("NotApproved".into())
        );
    }
}
