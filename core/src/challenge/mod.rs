//! One-time sign-in challenges: what a link answers.
//!
//! A challenge is created by the request service, mailed by the mailer and
//! consumed by the verifier. Its id is a ULID, so ids order by creation time.
//!
//! **A link is usable while its challenge is unexpired, not yet consumed, and
//! was created after the user's last sign-in.** Using a link thus revokes
//! every other link of that user issued until then, older or newer (ARCHITECTURE.md,
//! invariant 1 asks for the older ones; the newer ones go too, so that after a
//! sign-in no earlier link is left alive in a mailbox). A second request
//! leaves the first link alone until one of them is used (invariant 2), and a
//! link asked for after a sign-in works as usual.
//!
//! The store keeps, per user, a watermark: the id up to which challenges are
//! revoked (`revokedThrough`, the largest ULID of the moment of the last
//! sign-in). Consuming is one DynamoDB transaction that moves the challenge to
//! `consumed` and raises the watermark, each under a condition, so of any
//! number of concurrent attempts exactly one succeeds.

mod outcome;

use std::time::{Duration, SystemTime};

use ulid::Ulid;

use crate::binding::DeviceBinding;
use crate::email::EmailAddress;
use crate::locale::Locale;
use crate::time::{unix_millis, unix_seconds};

pub use outcome::{BounceType, Delivery, SignInMethod, SuppressionReason};

/// The SES message tag that names a mail's challenge: SES repeats a mail's
/// tags in every event it publishes about it, so a report can be tied to its
/// challenge even after the challenge item is gone.
pub const MAIL_TAG: &str = "challenge";

/// Where a challenge is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeStatus {
    /// Created; no mail has gone out yet.
    Pending,
    /// The mail was handed to SES.
    Mailed,
    /// The link's holder approved the sign-in of the browser that asked
    /// (see [`crate::binding`]); only that browser's verifier signs in now.
    Approved,
    /// The challenge signed its user in.
    Consumed,
    /// An operator revoked it (an invitation, see [`Invitation`]) before it
    /// was used: nothing signs in with it any more.
    Revoked,
}

impl ChallengeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Mailed => "mailed",
            Self::Approved => "approved",
            Self::Consumed => "consumed",
            Self::Revoked => "revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pending" => Some(Self::Pending),
            "mailed" => Some(Self::Mailed),
            "approved" => Some(Self::Approved),
            "consumed" => Some(Self::Consumed),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }
}

/// One report of SES on a challenge's mail, as recorded on the challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivery: Delivery,
    /// For a bounce, how SES classified it.
    pub bounce_type: Option<BounceType>,
    /// For a bounce, SES's sub-type (`NoEmail`); for a complaint, the
    /// feedback type (`abuse`), when there is one.
    pub sub_type: Option<String>,
}

/// A one-time challenge. It holds no secret: the link's power is the signed
/// token, which is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: Ulid,
    pub email: EmailAddress,
    pub redirect_uri: String,
    /// Seconds since the epoch.
    pub created_at: u64,
    /// Seconds since the epoch; the link is dead from this second on.
    pub expires_at: u64,
    pub status: ChallengeStatus,
    /// The SES message id, once mailed.
    pub ses_message_id: Option<String>,
    /// The asking browser's binding, when it asked for cross-device
    /// approval (see [`crate::binding`]).
    pub binding: Option<DeviceBinding>,
    /// Burnt by too many wrong approval numbers: nothing signs in with it
    /// any more. (Wrong codes end only its code: see `rules`.)
    pub burnt: bool,
    /// The language the asking browser named, if it named one.
    pub locale: Option<Locale>,
    /// What SES reported of the mail, if anything yet.
    pub delivery: Option<Delivery>,
    /// Asked for while its mailbox's allowance was spent: the mailer sends
    /// it only to an address that signed in lately (see
    /// `magiclink::admission`), and withholds it otherwise.
    pub held: bool,
    /// Made by an operator's invitation rather than asked for by its user.
    pub invitation: Option<Invitation>,
}

/// What makes a challenge an invitation: an operator asked for it through
/// the admin API (`POST /v1/invitations`). It is mailed with the invitation
/// template, its account is made when absent whatever the sign-up mode, and
/// it may live longer than a link (see [`MAX_INVITATION_LIFETIME`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The display name the mail gives as who invited; none: the mail
    /// says it in its language's words for "your team".
    pub invited_by: Option<String>,
}

/// The longest an invitation may live: 7 days.
pub const MAX_INVITATION_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// An invitation's lifetime when the operator names none: 3 days.
pub const DEFAULT_INVITATION_LIFETIME: Duration = Duration::from_secs(3 * 24 * 3600);

impl Challenge {
    /// A new pending challenge created at `now`, living for `lifetime`.
    pub fn new(
        email: EmailAddress,
        redirect_uri: String,
        now: SystemTime,
        lifetime: Duration,
    ) -> Self {
        let created_at = unix_seconds(now);
        Self {
            id: Ulid::from_datetime(now),
            email,
            redirect_uri,
            created_at,
            expires_at: created_at + lifetime.as_secs(),
            status: ChallengeStatus::Pending,
            ses_message_id: None,
            binding: None,
            burnt: false,
            locale: None,
            delivery: None,
            held: false,
            invitation: None,
        }
    }

    /// This challenge, an invitation (see [`Invitation`]).
    pub fn invited(self, invitation: Invitation) -> Self {
        Self {
            invitation: Some(invitation),
            ..self
        }
    }

    /// This challenge, held (see [`Challenge::held`]).
    pub fn held(self) -> Self {
        Self { held: true, ..self }
    }

    /// This challenge, mailed in the language `locale` when there is one.
    pub fn with_locale(self, locale: Option<Locale>) -> Self {
        Self { locale, ..self }
    }

    /// Where the challenge's mail is, as the status endpoint tells it:
    /// `sending` until SES took it, then `sent`, then what went wrong if SES
    /// reported something. A delivery is told as `sent`, and so is a mail
    /// withheld: a delivery report would otherwise tell a mailed challenge
    /// from a withheld one, and so who has an account.
    pub fn mail_progress(&self) -> &'static str {
        match (self.delivery, self.status) {
            (Some(Delivery::Delivered | Delivery::Withheld), _) => "sent",
            (Some(delivery), _) => delivery.as_str(),
            (None, ChallengeStatus::Pending) => "sending",
            (None, _) => "sent",
        }
    }

    /// This challenge, approvable from another device by the browser that
    /// holds the verifier of `binding`.
    pub fn with_binding(self, binding: Option<DeviceBinding>) -> Self {
        Self { binding, ..self }
    }

    /// The watermark a sign-in with challenge `id` at `now` leaves: every
    /// challenge created up to `now` (or up to `id`, should the clock that made
    /// it be ahead) is then revoked.
    pub fn watermark_after(id: Ulid, now: SystemTime) -> Ulid {
        let end_of_now = Ulid::from_parts(unix_millis(now), (1u128 << 80) - 1);
        end_of_now.max(id)
    }

    /// Whether the challenge has expired at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        unix_seconds(now) >= self.expires_at
    }

    /// What the asking browser is told of the challenge at `now` (see
    /// [`Progress`]); `revoked` is whether a sign-in of its user since it was
    /// made revoked it.
    pub fn progress(&self, revoked: bool, now: SystemTime) -> Progress {
        match self.status {
            ChallengeStatus::Consumed => Progress::Used,
            ChallengeStatus::Revoked => Progress::Revoked,
            _ if self.burnt || revoked => Progress::Revoked,
            _ if self.is_expired(now) => Progress::Expired,
            ChallengeStatus::Approved => Progress::Approved,
            ChallengeStatus::Pending | ChallengeStatus::Mailed => Progress::Pending,
        }
    }
}

/// A challenge's state as the status endpoint reports it to the browser
/// that asked: whether to keep waiting, to sign in, or to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Neither used nor approved yet (mailed or not: that is not told, so
    /// that an address without an account looks like any other).
    Pending,
    /// Approved from another device: the asking browser may sign in.
    Approved,
    /// It signed its user in.
    Used,
    Expired,
    /// Another sign-in of the user, a revocation or an operator revoked
    /// it, or wrong numbers burnt it.
    Revoked,
}

impl Progress {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Used => "used",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::from_unix_seconds;

    #[test]
    fn a_new_challenge_expires_after_its_lifetime() {
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let now = from_unix_seconds(1_800_000_000);
        let c = Challenge::new(
            email,
            "https://app.example/cb".into(),
            now,
            Duration::from_secs(900),
        );
        assert_eq!(c.status, ChallengeStatus::Pending);
        assert_eq!(c.expires_at - c.created_at, 900);
        assert!(!c.is_expired(from_unix_seconds(1_800_000_899)));
        assert!(c.is_expired(from_unix_seconds(1_800_000_900)));
        assert_eq!(c.id.datetime(), now);
    }

    #[test]
    fn later_challenges_have_greater_ids() {
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let a = Challenge::new(
            email.clone(),
            String::new(),
            from_unix_seconds(1_800_000_000),
            Duration::from_secs(1),
        );
        let b = Challenge::new(
            email,
            String::new(),
            from_unix_seconds(1_800_000_001),
            Duration::from_secs(1),
        );
        assert!(a.id < b.id);
        assert!(
            a.id.to_string() < b.id.to_string(),
            "string order is id order"
        );
    }

    #[test]
    fn a_sign_in_revokes_everything_created_until_then() {
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let at = |secs| from_unix_seconds(secs);
        let used = Challenge::new(
            email.clone(),
            String::new(),
            at(1_800_000_000),
            Duration::from_secs(900),
        );
        let newer = Challenge::new(
            email.clone(),
            String::new(),
            at(1_800_000_060),
            Duration::from_secs(900),
        );
        let mark = Challenge::watermark_after(used.id, at(1_800_000_120));
        assert!(used.id <= mark && newer.id <= mark, "both revoked");
        let later = Challenge::new(
            email,
            String::new(),
            at(1_800_000_121),
            Duration::from_secs(900),
        );
        assert!(later.id > mark, "a link asked for afterwards works");
        // A verifier clock behind the one that made the challenge still
        // covers the challenge itself.
        assert_eq!(
            Challenge::watermark_after(later.id, at(1_800_000_000)),
            later.id
        );
    }

    #[test]
    fn progress_puts_use_before_revocation_before_expiry() {
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let start = from_unix_seconds(1_800_000_000);
        let late = from_unix_seconds(1_800_000_900);
        let fresh = Challenge::new(email, String::new(), start, Duration::from_secs(900));
        let with = |status, burnt| Challenge {
            status,
            burnt,
            ..fresh.clone()
        };
        use ChallengeStatus::*;
        let cases = [
            (with(Pending, false), false, start, Progress::Pending),
            (with(Mailed, false), false, start, Progress::Pending),
            (with(Approved, false), false, start, Progress::Approved),
            (with(Consumed, false), true, late, Progress::Used),
            (with(Revoked, false), false, start, Progress::Revoked),
            (with(Revoked, false), false, late, Progress::Revoked),
            (with(Mailed, true), false, start, Progress::Revoked),
            (with(Approved, false), true, start, Progress::Revoked),
            (with(Mailed, false), true, late, Progress::Revoked),
            (with(Mailed, false), false, late, Progress::Expired),
            (with(Approved, false), false, late, Progress::Expired),
        ];
        for (challenge, revoked, now, expected) in cases {
            assert_eq!(
                challenge.progress(revoked, now),
                expected,
                "{:?} burnt {} revoked {revoked}",
                challenge.status,
                challenge.burnt
            );
        }
    }

    #[test]
    fn mail_progress_follows_the_mail() {
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let fresh = Challenge::new(
            email,
            String::new(),
            from_unix_seconds(1_800_000_000),
            Duration::from_secs(900),
        );
        let with = |status, delivery| Challenge {
            status,
            delivery,
            ..fresh.clone()
        };
        use ChallengeStatus::*;
        assert_eq!(with(Pending, None).mail_progress(), "sending");
        assert_eq!(with(Mailed, None).mail_progress(), "sent");
        assert_eq!(with(Consumed, None).mail_progress(), "sent");
        assert_eq!(
            with(Pending, Some(Delivery::Suppressed)).mail_progress(),
            "suppressed"
        );
        // Delivered and withheld read alike: `sent`.
        assert_eq!(
            with(Approved, Some(Delivery::Delivered)).mail_progress(),
            "sent"
        );
        assert_eq!(
            with(Pending, Some(Delivery::Withheld)).mail_progress(),
            "sent"
        );
        assert_eq!(
            with(Mailed, Some(Delivery::Bounced)).mail_progress(),
            "bounced"
        );
    }

    #[test]
    fn a_report_never_undoes_a_worse_one() {
        use Delivery::*;
        let all = [
            Delivered, Bounced, Rejected, Complained, Suppressed, Withheld,
        ];
        for d in all {
            assert_eq!(Delivery::parse(d.as_str()), Some(d));
            assert!(!d.replaces().contains(&d), "{d:?} is recorded once");
            for earlier in d.replaces() {
                assert!(!earlier.replaces().contains(&d), "{d:?} {earlier:?}");
            }
        }
        assert!(Complained.replaces().contains(&Delivered));
        assert!(!Delivered.replaces().contains(&Bounced));
        assert_eq!(Delivery::parse("sent"), None);
    }

    #[test]
    fn status_names_round_trip() {
        for status in [
            ChallengeStatus::Pending,
            ChallengeStatus::Mailed,
            ChallengeStatus::Approved,
            ChallengeStatus::Consumed,
            ChallengeStatus::Revoked,
        ] {
            assert_eq!(ChallengeStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ChallengeStatus::parse("expired"), None);
    }
}
