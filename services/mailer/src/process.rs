//! What the mailer does with each message of a batch from the mail queue.
//!
//! A `PasskeyRegistered` or `PasskeyRemoved` is a notice to the account's
//! owner (see [`crate::notice`]); any other event but the one below is
//! acknowledged and dropped.
//!
//! For one `MagicLinkRequested` (or `InvitationSent`, an operator's
//! invitation: the same, with the invitation's template, and the account
//! made whatever the sign-up mode): load the challenge; skip it (and acknowledge)
//! if it was mailed, used or revoked, so a redelivered message sends nothing
//! (ARCHITECTURE.md, invariant 5); if it expired unsent, report that as a permanent
//! `MagicLinkDeliveryFailed` (`errorCode` `Expired`); find the account, or
//! make one in sign-up mode `open` while the hour's allowance of new accounts
//! lasts, and check that it is still bound to the address magiclink verified
//! (see [`magiclink::account`]), else report `MagicLinkSuppressed`; likewise
//! for an address that bounced or complained recently (see
//! [`magiclink::suppression`]), and for a request held because its
//! mailbox's allowance was spent unless the address signed in lately (see
//! [`magiclink::admission`]); each suppression recorded on the challenge
//! too, so that the asking browser can be told (as mailed, where the reason
//! would tell whether the address has an account); take the
//! challenge's mailing lease, so that two deliveries of one message at the
//! same moment (SQS delivers at least once) send one mail; sign the token;
//! write the mail in the reader's language (the request's, else the
//! account's `locale`, else the default; see [`crate::template`]) and send
//! it, tagged with its challenge for SES's reports; mark the challenge
//! mailed, which the relay publishes from the table's change stream as
//! `MagicLinkSent`.
//!
//! Failures: a transient one (throttling, 5xx, timeouts, fixable account
//! problems) leaves the message in the queue, to be received again after a
//! delay that doubles with each receive; on the last receive before the
//! dead-letter queue, `MagicLinkDeliveryFailed` (`permanent: false`) is
//! published. A permanent one (SES rejected this message) publishes
//! `MagicLinkDeliveryFailed` (`permanent: true`) and is acknowledged.
//! Each AWS call already retries in-process with the SDK's jittered
//! exponential backoff (`CallBudget::BACKGROUND`); a message is given back to
//! the queue only once those retries are spent.
//!
//! Once SES has accepted a mail, the message is acknowledged even if the
//! bookkeeping after it fails: sending twice is worse than a challenge left
//! `pending` (a pending challenge still signs in). Only a crash between the
//! two can send the same challenge's link twice.

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;
use magiclink::TokenClaims;
use magiclink::account::{AccountRef, AccountStore, Binding};
use magiclink::aws::CallError;
use magiclink::challenge::{
    Challenge, ChallengeStatus, ChallengeStore, Delivery, MailingClaim, SuppressionReason,
};
use magiclink::code::{CodeDigits, LazyCodeKey};
use magiclink::config::SignUpMode;
use magiclink::email::EmailAddress;
use magiclink::events::{Event, EventPublisher, MagicLinkDeliveryFailed, MagicLinkSuppressed, V1};
use magiclink::fingerprint::FingerprintKey;
use magiclink::locale::Locale;
use magiclink::metrics::{Metric, Point};
use magiclink::notice::Notices;
use magiclink::rate_limit::{Decision, Limit, RateLimiter};
use magiclink::suppression::Suppressions;
use magiclink::telemetry::emit;
use magiclink::time::unix_millis;
use magiclink::token::LinkSigner;
use ulid::Ulid;

use crate::directory::Directory;
use crate::outbox::{MailTag, Outbox};
use crate::pacer::Pacer;
use crate::template::{MailTemplates, MailValues, NoticeKind};

/// What is kept back of a Lambda invocation's time for one message: a message
/// started later than this before the deadline is given back to the queue.
pub const TIME_PER_MESSAGE: Duration = Duration::from_secs(16);

/// How long one delivery may take to sign and send a challenge's mail before
/// another delivery of the same message may try: longer than the SDK budget
/// of the calls in between.
pub(crate) const MAILING_LEASE: Duration = Duration::from_secs(60);

/// The `errorCode` of the delivery failure of a link that expired unsent.
pub const EXPIRED: &str = "Expired";

/// The longest redelivery delay SQS allows.
const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 3600);

/// How one message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        ses_message_id: String,
    },
    /// Nothing to do; the reason is logged.
    Skipped(&'static str),
    /// The link expired before it could be sent (a backlog longer than the
    /// link's lifetime): reported as a permanent delivery failure.
    Expired,
    /// Sign-up mode `existing` and no account: no mail, by design.
    Suppressed,
    /// SES refused this message for good.
    Rejected {
        code: String,
    },
    /// Try again later.
    Retry {
        code: String,
    },
}

/// The challenge a message is about, once known: for the failure event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub challenge_id: Ulid,
    pub subject_hash: String,
}

/// The rate-limit scope of new accounts: one counter for the whole stack.
const ACCOUNTS_CREATED: &str = "accounts-created";

/// The window of [`Settings::accounts_per_hour`].
const HOUR: Duration = Duration::from_secs(3600);

/// Settings of the mailer that are not clients.
#[derive(Debug, Clone)]
pub struct Settings {
    pub sign_up: SignUpMode,
    /// At most this many accounts are created per hour (sign-up mode `open`);
    /// past it, requests for new addresses are suppressed.
    pub accounts_per_hour: u32,
    pub issuer: String,
    /// The tokens' `aud`: the user pool and app client they sign in to.
    pub audience: String,
    pub max_receives: u32,
    /// The mail, in every language the deployment has.
    pub templates: MailTemplates,
    /// How many digits the mail's one-time code has.
    pub code_digits: CodeDigits,
}

/// Where redelivery delays are set: the mail queue.
#[derive(Debug, Clone)]
pub struct Redelivery {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub base: Duration,
}

/// The delay before receive number `receive_count + 1`: `base` doubled for
/// each receive so far, at most twelve hours.
pub fn redelivery_delay(base: Duration, receive_count: u32) -> Duration {
    let doublings = receive_count.saturating_sub(1).min(20);
    base.saturating_mul(1 << doublings).min(MAX_VISIBILITY)
}

/// The account a challenge is mailed for, or why it is not.
enum AccountCheck {
    /// Mail it; the account's language, if it has one.
    Ready(Option<Locale>),
    Suppress(SuppressionReason),
}

/// The mailer, over its user directory and outbox.
#[derive(Debug)]
pub struct Mailer<D, O> {
    pub store: ChallengeStore,
    pub accounts: AccountStore,
    pub limiter: RateLimiter,
    pub fingerprints: FingerprintKey,
    /// Addresses not mailed for a while after a bounce or a complaint.
    pub suppressions: Suppressions,
    /// The notices of passkey changes sent (see [`crate::notice`]).
    pub notices: Notices,
    /// The key of the mails' one-time codes (see [`magiclink::code`]).
    pub codes: LazyCodeKey,
    pub signer: LinkSigner,
    pub events: EventPublisher,
    pub directory: D,
    pub outbox: O,
    pub redelivery: Option<Redelivery>,
    pub pacer: Pacer,
    pub settings: Settings,
}

impl<D: Directory, O: Outbox> Mailer<D, O> {
    /// Handles a batch; the messages to be received again are the failures.
    /// Its messages are worked on together: the pacer alone spaces their
    /// sends, so each message's other calls (the account, the lease, the
    /// signature) overlap the pauses between sends instead of adding to them.
    pub async fn handle(&self, batch: SqsEvent, deadline: Instant) -> SqsBatchResponse {
        let outcomes = join_all(
            batch
                .records
                .iter()
                .map(|record| self.outcome_of(record, deadline)),
        )
        .await;
        let mut response = SqsBatchResponse::default();
        for (record, outcome) in batch.records.iter().zip(outcomes) {
            if self.finish(record, outcome).await {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = record.message_id.clone().unwrap_or_default();
                response.batch_item_failures.push(failure);
            }
        }
        response
    }

    /// One message's outcome, unless too little of the invocation is left to
    /// start it.
    async fn outcome_of(
        &self,
        record: &SqsMessage,
        deadline: Instant,
    ) -> (Outcome, Option<Subject>) {
        if Instant::now() + TIME_PER_MESSAGE > deadline {
            let out_of_time = Outcome::Retry {
                code: "OutOfTime".into(),
            };
            return (out_of_time, None);
        }
        self.process(record.body.as_deref().unwrap_or(""), SystemTime::now())
            .await
    }

    /// Reports an outcome; whether the message goes back to the queue.
    async fn finish(
        &self,
        record: &SqsMessage,
        (outcome, subject): (Outcome, Option<Subject>),
    ) -> bool {
        let challenge = subject.as_ref().map(|s| s.challenge_id.to_string());
        let Outcome::Retry { code } = outcome else {
            tracing::info!(challenge, outcome = ?outcome, "message done");
            return false;
        };
        let receives: u32 = record
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let last = receives >= self.settings.max_receives;
        if last {
            tracing::error!(
                challenge,
                code,
                receives,
                "giving up: the message goes to the dead-letter queue"
            );
            if let Some(subject) = &subject {
                self.publish_failure(subject, false, code).await;
            }
        }
        if let (Some(redelivery), Some(handle)) = (&self.redelivery, &record.receipt_handle) {
            // The last time, the shortest delay: SQS moves the message to the
            // dead-letter queue at its next receive, which need not wait.
            let delay = if last {
                redelivery.base
            } else {
                redelivery_delay(redelivery.base, receives)
            };
            if !last {
                tracing::warn!(challenge, receives, delay_s = delay.as_secs(), "will retry");
            }
            let changed = redelivery
                .sqs
                .change_message_visibility()
                .queue_url(&redelivery.queue_url)
                .receipt_handle(handle)
                .visibility_timeout(i32::try_from(delay.as_secs()).unwrap_or(i32::MAX))
                .send()
                .await;
            if let Err(e) = changed {
                tracing::warn!(error = %CallError::from_sdk("SQS ChangeMessageVisibility", &e), "redelivery delay not set");
            }
        }
        true
    }

    /// Processes one message body at `now`.
    pub async fn process(&self, body: &str, now: SystemTime) -> (Outcome, Option<Subject>) {
        let (challenge_id, subject_hash) = match serde_json::from_str::<Event>(body) {
            Ok(Event::MagicLinkRequested(request)) => (request.challenge_id, request.subject_hash),
            Ok(Event::InvitationSent(invitation)) => {
                (invitation.challenge_id, invitation.subject_hash)
            }
            Ok(Event::PasskeyRegistered(change)) => {
                return (
                    self.notify(NoticeKind::PasskeyAdded, &change, now).await,
                    None,
                );
            }
            Ok(Event::PasskeyRemoved(change)) => {
                return (
                    self.notify(NoticeKind::PasskeyRemoved, &change, now).await,
                    None,
                );
            }
            Ok(other) => return (Outcome::Skipped(other.detail_type()), None),
            Err(e) => {
                tracing::error!(error = %e, "unreadable message");
                return (
                    Outcome::Retry {
                        code: "UnreadableMessage".into(),
                    },
                    None,
                );
            }
        };
        let subject = Subject {
            challenge_id,
            subject_hash,
        };
        let outcome = self.mail(challenge_id, &subject, now).await;
        (outcome, Some(subject))
    }

    async fn mail(&self, id: Ulid, subject: &Subject, now: SystemTime) -> Outcome {
        let retry = |e: &dyn std::fmt::Display, code: &str| {
            tracing::warn!(challenge = %id, error = %e, "transient failure");
            Outcome::Retry {
                code: code.to_owned(),
            }
        };
        let challenge = match self.store.get(id).await {
            Ok(Some(challenge)) => challenge,
            Ok(None) => return Outcome::Skipped("unknown challenge"),
            Err(e) => return retry(&e, "DynamoDB"),
        };
        match standing(&challenge, now) {
            None => {}
            Some(Outcome::Expired) => {
                // Too late to be of use: reported, so that every request
                // ends in an event, and never sent.
                tracing::warn!(challenge = %id, "expired before it could be mailed");
                emit(Point::count_by(Metric::MailsFailed, "expired"));
                self.publish_failure(subject, true, EXPIRED.to_owned())
                    .await;
                return Outcome::Expired;
            }
            Some(outcome) => return outcome,
        }
        // The address's fingerprint, computed here rather than taken from
        // the event: the verifier checks the account's binding against the
        // token's copy of it. It also keys the address's suppression.
        let address_hash = match self.fingerprints.get().await {
            Ok(fingerprints) => challenge.email.fingerprint(fingerprints),
            Err(e) => return retry(&e, "KMS"),
        };
        // Two reads of their own items, at once.
        let (user, suppression) = tokio::join!(
            self.store.user_of(&challenge),
            self.suppressions.find(&address_hash, now)
        );
        let user = match user {
            Ok(user) if user.revoked => return Outcome::Skipped("revoked by a sign-in"),
            Ok(user) => user,
            Err(e) => return retry(&e, "DynamoDB"),
        };
        match suppression {
            Ok(None) => {}
            Ok(Some(cause)) => return self.suppress(subject, cause.reason()).await,
            Err(e) => return retry(&e, "DynamoDB"),
        }
        // A request held because its mailbox's allowance was spent goes
        // only to an address somebody signs in with: a flood of spellings
        // neither locks its users out nor mails strangers.
        if challenge.held && !user.signed_in_lately {
            return self
                .suppress(subject, SuppressionReason::MailboxLimit)
                .await;
        }
        let invited = challenge.invitation.is_some();
        let account_locale = match self
            .check_account(&challenge.email, &address_hash, invited, now)
            .await
        {
            Ok(AccountCheck::Ready(locale)) => locale,
            Ok(AccountCheck::Suppress(reason)) => return self.suppress(subject, reason).await,
            Err((e, service)) => return retry(&e, service),
        };
        match self.store.claim_for_mailing(id, now, MAILING_LEASE).await {
            Ok(claim) => {
                if let Some(outcome) = not_claimed(claim) {
                    return outcome;
                }
            }
            Err(e) => return retry(&e, "DynamoDB"),
        }
        let claims = TokenClaims {
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            sub: challenge.email.clone(),
            jti: challenge.id,
            iat: challenge.created_at,
            exp: challenge.expires_at,
            ah: Some(address_hash),
            apv: challenge.binding.is_some(),
        };
        let token = match self.signer.sign(&claims).await {
            Ok(token) => token,
            Err(e) => return self.give_back(id, retry(&e, "KMS")).await,
        };
        let code = match self.codes.get().await {
            Ok(key) => key.code(challenge.id, self.settings.code_digits),
            Err(e) => return self.give_back(id, retry(&e, "KMS")).await,
        };
        let link = format!("{}#{token}", challenge.redirect_uri);
        let wishes = challenge.locale.iter().chain(&account_locale);
        let templates = &self.settings.templates;
        let (language, template) = match &challenge.invitation {
            None => templates.choose(wishes),
            Some(_) => templates.choose_invitation(wishes),
        };
        let mail = template.render(&MailValues {
            email: challenge.email.as_str(),
            link: &link,
            code: &code,
            expires_at: challenge.expires_at,
            lifetime_secs: challenge.expires_at.saturating_sub(challenge.created_at),
            invited_by: challenge
                .invitation
                .as_ref()
                .and_then(|i| i.invited_by.as_deref()),
        });
        if let Err(e) = self.pacer.wait().await {
            return self.give_back(id, retry(&e, "DynamoDB")).await;
        }
        tracing::debug!(challenge = %id, language, "mail written");
        let ses_message_id = match self
            .outbox
            .send(challenge.email.as_str(), &mail, MailTag::Challenge(id))
            .await
        {
            Ok(message_id) => message_id,
            Err(e) if e.permanent => {
                tracing::error!(challenge = %id, code = %e.code, "SES refused the mail for good");
                emit(Point::count_by(Metric::MailsFailed, "rejected"));
                self.publish_failure(subject, true, e.code.clone()).await;
                return Outcome::Rejected { code: e.code };
            }
            Err(e) => return self.give_back(id, retry(&e, &e.code)).await,
        };
        emit(Point::count(Metric::MailsSent));
        emit(Point::time(Metric::MailDelay, since_asked(id)));
        // The record is the event: its change becomes `MagicLinkSent`.
        if let Err(e) = self
            .store
            .mark_mailed(id, &ses_message_id, SystemTime::now())
            .await
        {
            tracing::error!(challenge = %id, error = %e, "mailed, but not recorded as mailed: no MagicLinkSent");
        }
        Outcome::Sent { ses_message_id }
    }

    /// Finds or makes the account of `email` (whose fingerprint is
    /// `address_hash`), and checks its binding. An invitation (`invited`)
    /// makes the account whatever the sign-up mode, outside the hour's
    /// allowance of sign-ups (an operator asked for it, within the admin
    /// API's own limits). An error names the service that failed.
    async fn check_account(
        &self,
        email: &EmailAddress,
        address_hash: &str,
        invited: bool,
        now: SystemTime,
    ) -> Result<AccountCheck, (CallError, &'static str)> {
        let cognito = |e| (e, "Cognito");
        let dynamodb = |e| (e, "DynamoDB");
        let (sub, locale) = match self.directory.find(email).await.map_err(cognito)? {
            Some(account) => (account.sub, account.locale),
            None if invited => (self.directory.create(email).await.map_err(cognito)?, None),
            None if self.settings.sign_up == SignUpMode::Existing => {
                return Ok(AccountCheck::Suppress(SuppressionReason::UnknownUser));
            }
            None => {
                let cap = Limit::new(self.settings.accounts_per_hour, HOUR);
                let admitted = self
                    .limiter
                    .admit(ACCOUNTS_CREATED, "all", cap, now)
                    .await
                    .map_err(dynamodb)?;
                if admitted != Decision::Admitted {
                    // The alarm `SignUpCapAlarm` counts this line.
                    tracing::warn!(
                        alarm = "SignUpCapReached",
                        cap = self.settings.accounts_per_hour,
                        "the hour's allowance of new accounts is spent"
                    );
                    return Ok(AccountCheck::Suppress(SuppressionReason::SignUpCapReached));
                }
                (self.directory.create(email).await.map_err(cognito)?, None)
            }
        };
        let account = AccountRef {
            sub: sub.0,
            address_hash: address_hash.to_owned(),
        };
        match self.accounts.bind(&account, now).await.map_err(dynamodb)? {
            Binding::Matches => Ok(AccountCheck::Ready(locale)),
            Binding::Changed => Ok(AccountCheck::Suppress(SuppressionReason::AddressChanged)),
        }
    }

    /// Records on `subject`'s challenge that it is not mailed, for `reason`,
    /// and reports it. The asking browser's status shows a suppression;
    /// a reason that tells of the account reads as mailed there (see
    /// [`Delivery::Withheld`]). The event is the record, so a failure to
    /// mark the challenge is only logged.
    async fn suppress(&self, subject: &Subject, reason: SuppressionReason) -> Outcome {
        tracing::warn!(challenge = %subject.challenge_id, ?reason, "not mailed");
        emit(Point::count_by(Metric::MailsFailed, reason.as_str()));
        let unsent = if reason.tells_of_the_account() {
            Delivery::Withheld
        } else {
            Delivery::Suppressed
        };
        if let Err(e) = self.store.mark_unsent(subject.challenge_id, unsent).await {
            tracing::warn!(challenge = %subject.challenge_id, error = %e, "not recorded on the challenge");
        }
        self.publish(Event::MagicLinkSuppressed(MagicLinkSuppressed {
            version: V1,
            challenge_id: subject.challenge_id,
            subject_hash: subject.subject_hash.clone(),
            reason,
        }))
        .await;
        Outcome::Suppressed
    }

    /// Releases the mailing lease after a failure, so that the next delivery
    /// can try at once; returns `outcome`.
    async fn give_back(&self, id: Ulid, outcome: Outcome) -> Outcome {
        if let Err(e) = self.store.release_mailing(id).await {
            tracing::warn!(challenge = %id, error = %e, "mailing lease not released; it will end by itself");
        }
        outcome
    }

    /// Publishes `MagicLinkDeliveryFailed` for `subject`.
    async fn publish_failure(&self, subject: &Subject, permanent: bool, error_code: String) {
        self.publish(Event::MagicLinkDeliveryFailed(MagicLinkDeliveryFailed {
            version: V1,
            event_id: None,
            challenge_id: subject.challenge_id,
            subject_hash: subject.subject_hash.clone(),
            permanent,
            error_code,
        }))
        .await;
    }

    async fn publish(&self, event: Event) {
        if let Err(e) = self.events.publish(&event).await {
            tracing::error!(error = %e, event = event.detail_type(), "event not published");
        }
    }
}

/// How long ago the challenge `id` was asked for: its ULID holds the
/// millisecond of the request's `202`.
fn since_asked(id: Ulid) -> Duration {
    let now_ms = unix_millis(SystemTime::now());
    Duration::from_millis(now_ms.saturating_sub(id.timestamp_ms()))
}

/// Whether a challenge as it was read is still to be mailed (`None`), or
/// else why not: past pending (another delivery mailed it, or it was used or
/// approved), or expired. Its status is looked at first: a mailed challenge
/// that expired since is no failure.
fn standing(challenge: &Challenge, now: SystemTime) -> Option<Outcome> {
    match challenge.status {
        ChallengeStatus::Mailed => Some(Outcome::Skipped("already mailed")),
        ChallengeStatus::Consumed => Some(Outcome::Skipped("already used")),
        ChallengeStatus::Approved => Some(Outcome::Skipped("already approved")),
        ChallengeStatus::Revoked => Some(Outcome::Skipped("revoked")),
        ChallengeStatus::Pending if challenge.is_expired(now) => Some(Outcome::Expired),
        ChallengeStatus::Pending => None,
    }
}

/// Why a claim of the mailing lease lets this delivery not send (`None`: it
/// sends): another delivery is sending now (tried again later), or there is
/// nothing left to send.
fn not_claimed(claim: MailingClaim) -> Option<Outcome> {
    match claim {
        MailingClaim::Claimed => None,
        MailingClaim::Busy => Some(Outcome::Retry {
            code: "InProgress".into(),
        }),
        MailingClaim::Done(Some(ChallengeStatus::Mailed)) => {
            Some(Outcome::Skipped("already mailed"))
        }
        MailingClaim::Done(Some(ChallengeStatus::Revoked)) => Some(Outcome::Skipped("revoked")),
        MailingClaim::Done(Some(_)) => Some(Outcome::Skipped("already used")),
        MailingClaim::Done(None) => Some(Outcome::Skipped("unknown challenge")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redelivery_delays_double_up_to_twelve_hours() {
        let base = Duration::from_secs(30);
        let delays: Vec<u64> = (1..=5)
            .map(|n| redelivery_delay(base, n).as_secs())
            .collect();
        assert_eq!(delays, [30, 60, 120, 240, 480]);
        assert_eq!(redelivery_delay(base, 40), Duration::from_secs(12 * 3600));
        assert_eq!(
            redelivery_delay(Duration::from_secs(1), 0),
            Duration::from_secs(1)
        );
    }

    fn challenge(status: ChallengeStatus) -> (Challenge, SystemTime) {
        let made = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let email = EmailAddress::parse("ann@example.com").unwrap_or_else(|e| panic!("{e}"));
        let mut challenge = Challenge::new(email, "https://app.example/cb".into(), made, HOUR);
        challenge.status = status;
        (challenge, made + HOUR)
    }

    #[test]
    fn only_a_pending_unexpired_challenge_is_mailed() {
        let (pending, expiry) = challenge(ChallengeStatus::Pending);
        assert_eq!(standing(&pending, expiry - Duration::from_secs(1)), None);
        assert_eq!(standing(&pending, expiry), Some(Outcome::Expired));
        for (status, why) in [
            (ChallengeStatus::Mailed, "already mailed"),
            (ChallengeStatus::Consumed, "already used"),
            (ChallengeStatus::Approved, "already approved"),
            (ChallengeStatus::Revoked, "revoked"),
        ] {
            let (read, expiry) = challenge(status);
            assert_eq!(
                standing(&read, expiry),
                Some(Outcome::Skipped(why)),
                "{status:?}"
            );
        }
    }

    #[test]
    fn only_the_holder_of_the_lease_sends() {
        assert_eq!(not_claimed(MailingClaim::Claimed), None);
        assert_eq!(
            not_claimed(MailingClaim::Busy),
            Some(Outcome::Retry {
                code: "InProgress".into()
            })
        );
        let done = |status| not_claimed(MailingClaim::Done(status));
        assert_eq!(
            done(Some(ChallengeStatus::Mailed)),
            Some(Outcome::Skipped("already mailed"))
        );
        assert_eq!(
            done(Some(ChallengeStatus::Consumed)),
            Some(Outcome::Skipped("already used"))
        );
        assert_eq!(
            done(Some(ChallengeStatus::Approved)),
            Some(Outcome::Skipped("already used"))
        );
        assert_eq!(
            done(Some(ChallengeStatus::Revoked)),
            Some(Outcome::Skipped("revoked"))
        );
        assert_eq!(done(None), Some(Outcome::Skipped("unknown challenge")));
    }
}
