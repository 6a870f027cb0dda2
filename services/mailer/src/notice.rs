//! The notice of a passkey change (`PasskeyRegistered`, `PasskeyRemoved`):
//! a short mail to the account's owner saying what changed, when, from
//! which browser, and what to do if it was not them.
//!
//! For one event: find the account by its `sub` (gone: nothing to send);
//! send only to the address the change was made under, its fingerprint the
//! event's `subjectHash` (an address changed outside magiclink since gets
//! nothing, as it gets no links), and not to an address suppressed after a
//! bounce or a complaint; take the notice's lease (see
//! [`magiclink::notice`]), so that an event delivered twice mails once;
//! write it in the account's language and send it, tagged with the passkey
//! for SES's reports. Failures are retried as a sign-in mail's are; a
//! notice has no challenge, so no delivery event tells of it.

use std::time::SystemTime;

use magiclink::events::PasskeyChange;
use magiclink::notice::NoticeClaim;

use crate::directory::{Directory, UserSub};
use crate::outbox::{MailTag, Outbox};
use crate::process::{MAILING_LEASE, Mailer, Outcome};
use crate::template::{NoticeKind, NoticeValues};

impl<D: Directory, O: Outbox> Mailer<D, O> {
    /// Sends the notice of `kind` of `notice` to its account's owner, once.
    pub async fn notify(
        &self,
        kind: NoticeKind,
        notice: &PasskeyChange,
        now: SystemTime,
    ) -> Outcome {
        let event = notice.event_id.as_str();
        let retry = |e: &dyn std::fmt::Display, code: &str| {
            tracing::warn!(notice = event, error = %e, "transient failure");
            Outcome::Retry {
                code: code.to_owned(),
            }
        };
        let sub = UserSub(notice.sub.clone());
        let addressee = match self.directory.addressee(&sub).await {
            Ok(Some(addressee)) => addressee,
            Ok(None) => return Outcome::Skipped("no such account"),
            Err(e) => return retry(&e, "Cognito"),
        };
        let address_hash = match self.fingerprints.get().await {
            Ok(fingerprints) => addressee.email.fingerprint(fingerprints),
            Err(e) => return retry(&e, "KMS"),
        };
        if address_hash != notice.subject_hash {
            return Outcome::Skipped("the account's address is not the one it had");
        }
        match self.suppressions.find(&address_hash, now).await {
            Ok(None) => {}
            Ok(Some(_)) => return Outcome::Skipped("the address is suppressed"),
            Err(e) => return retry(&e, "DynamoDB"),
        }
        match self.notices.claim(event, now, MAILING_LEASE).await {
            Ok(NoticeClaim::Claimed) => {}
            Ok(NoticeClaim::Busy) => {
                return Outcome::Retry {
                    code: "InProgress".into(),
                };
            }
            Ok(NoticeClaim::Sent) => return Outcome::Skipped("already sent"),
            Err(e) => return retry(&e, "DynamoDB"),
        }
        let (language, template) = self.settings.templates.choose_notice(&addressee.locale);
        let mail = template.render(
            kind,
            &NoticeValues {
                email: addressee.email.as_str(),
                passkey_name: &notice.passkey_name,
                browser: &notice.browser,
                changed_at: notice.changed_at,
            },
        );
        if let Err(e) = self.pacer.wait().await {
            self.release_notice(event).await;
            return retry(&e, "DynamoDB");
        }
        tracing::debug!(notice = event, language, "notice written");
        let tag = MailTag::Notice(notice.passkey_id);
        match self.outbox.send(addressee.email.as_str(), &mail, tag).await {
            Ok(ses_message_id) => {
                if let Err(e) = self.notices.mark_sent(event, SystemTime::now()).await {
                    tracing::error!(notice = event, error = %e, "sent, but not recorded as sent");
                }
                Outcome::Sent { ses_message_id }
            }
            Err(e) if e.permanent => {
                tracing::error!(notice = event, code = %e.code, "SES refused the notice for good");
                self.release_notice(event).await;
                Outcome::Rejected { code: e.code }
            }
            Err(e) => {
                self.release_notice(event).await;
                retry(&e, &e.code)
            }
        }
    }

    /// Gives a notice's lease back after a failure.
    async fn release_notice(&self, event: &str) {
        if let Err(e) = self.notices.release(event).await {
            tracing::warn!(notice = event, error = %e, "notice lease not released; it will end by itself");
        }
    }
}
