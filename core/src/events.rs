//! The events magiclink puts on its EventBridge bus: the contract (their
//! publisher is `magiclink::events::EventPublisher`).
//!
//! Every event has `source = "magiclink"`, a detail type named after its
//! struct, and a detail that starts with `"version": 1`. The JSON Schemas in
//! `schemas/events/` describe the details; a test keeps them in step with
//! these types. No event carries a token, a key or an address: a user appears
//! as `subjectHash`, the salted fingerprint of the address, and in a
//! passkey's events also as `sub`, the Cognito user's id, to whom the mailer
//! sends the change's notice.
//!
//! Deserializing an [`Event`] from the JSON that EventBridge delivers (to SQS,
//! say) works directly: the enum is tagged by `detail-type` with its content
//! in `detail`, and the envelope's other fields are ignored.
//!
//! The events of a challenge's state changes (`MagicLinkRequested`,
//! `MagicLinkSent`, `MagicLinkApproved`, `SignInSucceeded`, and what SES
//! reported of the mail: `MagicLinkDelivered`, `MagicLinkBounced`,
//! `MagicLinkComplained`, a rejection's `MagicLinkDeliveryFailed`) are
//! published from the table's change stream by the relay, at least once; each carries an `eventId` named after
//! the change ([`change_id`]), the same however often it is delivered, so that
//! a consumer can drop duplicates. So are a passkey's (`PasskeyRegistered`,
//! `PasskeyRemoved`, and a passkey sign-in's `SignInSucceeded`), from the
//! changes of its user's passkeys item; an invitation's (`InvitationSent`,
//! `InvitationRevoked`), from its challenge's; and `UserRevoked`, from the
//! revocation's own item.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

use crate::challenge::{BounceType, Delivery, SignInMethod, SuppressionReason};

/// The `source` of every magiclink event.
pub const SOURCE: &str = "magiclink";

/// The detail schema version, always 1; deserializing any other fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct V1;

impl Serialize for V1 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(1)
    }
}

impl<'de> Deserialize<'de> for V1 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u8::deserialize(deserializer)? {
            1 => Ok(Self),
            other => Err(serde::de::Error::custom(format!(
                "unsupported detail version {other}"
            ))),
        }
    }
}

/// The `eventId` of the event of challenge `challenge_id`'s change to
/// `state`: `<challenge id>/<state>`.
pub fn change_id(challenge_id: Ulid, state: &str) -> String {
    format!("{challenge_id}/{state}")
}

/// A challenge was created; the mailer will send its link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkRequested {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    /// Seconds since the epoch.
    pub expires_at: u64,
}

/// The link's mail was accepted by SES.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkSent {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    pub ses_message_id: String,
}

/// The link's mail could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkDeliveryFailed {
    pub version: V1,
    /// When SES reported the failure after accepting the mail (`errorCode`
    /// `Rejected`), the change's id (see [`change_id`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    /// True when retrying cannot help (the message was rejected); false when
    /// the retries ran out on a transient failure.
    pub permanent: bool,
    /// The failing service's error code, such as `MessageRejected`.
    pub error_code: String,
}

/// The recipient's mail server accepted the link's mail (as SES reported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkDelivered {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    pub ses_message_id: String,
}

/// The link's mail bounced (as SES reported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkBounced {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    pub ses_message_id: String,
    pub bounce_type: BounceType,
    /// SES's finer reason, such as `NoEmail` or `MailboxFull`.
    pub bounce_sub_type: String,
}

/// The recipient marked the link's mail as spam (as SES reported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkComplained {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    pub ses_message_id: String,
    /// The complaint's feedback type (`abuse`, say), when the mailbox
    /// provider gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_type: Option<String>,
}

/// No mail was sent for a challenge, by design.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkSuppressed {
    pub version: V1,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    pub reason: SuppressionReason,
}

/// The holder of a challenge's link approved, from another device, the
/// sign-in of the browser that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MagicLinkApproved {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
}

/// A challenge signed its user in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInSucceeded {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    /// Whether the link, the code or an approval was used.
    pub method: SignInMethod,
}

/// Why an answer to a sign-in challenge was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    Expired,
    Used,
    Revoked,
    BadSignature,
    WrongUser,
    Malformed,
    /// The account's address is not the one magiclink verified for it.
    AddressChanged,
    /// A code that is not the challenge's (counted on the challenge).
    WrongCode,
    /// Too many wrong attempts: the challenge's code after five wrong codes,
    /// every code of the user once their budget of wrong codes is spent, or
    /// the whole challenge after three wrong approval numbers.
    TooManyAttempts,
    /// An approval with a number that is not the asking browser's (counted
    /// on the challenge; three burn it). Published by the relay, from the
    /// count's change, so that approval phishing shows.
    WrongNumber,
    /// A link or code of a challenge approved for the device that asked:
    /// only that device signs in with it now.
    ApprovedElsewhere,
    /// A verifier for a challenge that was not approved (yet).
    NotApproved,
    /// A verifier that is not the one the challenge was asked with.
    WrongVerifier,
    /// A verifier for a challenge marked approved whose approval carries no
    /// valid proof of the approval endpoint's key: written into the table
    /// by something else (see [`crate::approval`]).
    UnprovenApproval,
    /// A passkey the user does not hold (never registered, or removed).
    UnknownPasskey,
    /// A passkey assertion of another challenge, or of a usernameless
    /// challenge used or expired.
    WrongChallenge,
    /// A passkey assertion made on a page of an origin not allowed.
    WrongOrigin,
    /// A passkey assertion made for another relying party.
    WrongRpId,
    /// A passkey whose authenticator did not verify its user, where the
    /// configuration requires it.
    UserNotVerified,
    /// A passkey whose counter did not move forward: maybe a clone.
    CounterRegressed,
}

impl RejectionReason {
    /// The reason as the events spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Used => "used",
            Self::Revoked => "revoked",
            Self::BadSignature => "bad_signature",
            Self::WrongUser => "wrong_user",
            Self::Malformed => "malformed",
            Self::AddressChanged => "address_changed",
            Self::WrongCode => "wrong_code",
            Self::TooManyAttempts => "too_many_attempts",
            Self::WrongNumber => "wrong_number",
            Self::ApprovedElsewhere => "approved_elsewhere",
            Self::NotApproved => "not_approved",
            Self::WrongVerifier => "wrong_verifier",
            Self::UnprovenApproval => "unproven_approval",
            Self::UnknownPasskey => "unknown_passkey",
            Self::WrongChallenge => "wrong_challenge",
            Self::WrongOrigin => "wrong_origin",
            Self::WrongRpId => "wrong_rp_id",
            Self::UserNotVerified => "user_not_verified",
            Self::CounterRegressed => "counter_regressed",
        }
    }
}

/// A passkey added to or removed from a user's account: the detail of
/// [`PasskeyRegistered`] and of [`PasskeyRemoved`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyChange {
    pub version: V1,
    /// `<passkey id>/registered` or `<passkey id>/removed`, for
    /// deduplication.
    pub event_id: String,
    /// The passkey's id in magiclink (not the WebAuthn credential id).
    pub passkey_id: Ulid,
    pub subject_hash: String,
    /// The Cognito user's `sub`: whom the notice mail goes to.
    pub sub: String,
    /// The passkey's name, as its user gave it.
    pub passkey_name: String,
    /// The browser and system it was done from, such as `Firefox · Linux`
    /// (`—` when unknown).
    pub browser: String,
    /// Seconds since the epoch.
    pub changed_at: u64,
}

/// An operator invited a user (`POST /v1/invitations`): the challenge is
/// recorded and the mailer will send the invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationSent {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
    /// Seconds since the epoch.
    pub expires_at: u64,
}

/// An operator revoked an invitation before it was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationRevoked {
    pub version: V1,
    /// The change's id (see [`change_id`]), for deduplication.
    pub event_id: String,
    pub challenge_id: Ulid,
    pub subject_hash: String,
}

/// Who revoked a user's sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokedBy {
    /// An operator, through the admin API (`POST /v1/users/revocations`).
    Admin,
    /// The user, signed in (`POST /v1/me/sign-out-everywhere`).
    #[serde(rename = "self")]
    User,
}

impl RevokedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::User => "self",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "admin" => Some(Self::Admin),
            "self" => Some(Self::User),
            _ => None,
        }
    }
}

/// Every outstanding link, code and approval of a user stopped working and
/// all the user's sessions ended; with `passkeys`, the user's passkeys were
/// removed too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRevoked {
    pub version: V1,
    /// `<revocation id>/revoked`, for deduplication.
    pub event_id: String,
    /// The revocation (a ULID, its time).
    pub revocation_id: Ulid,
    pub subject_hash: String,
    pub passkeys: bool,
    pub revoked_by: RevokedBy,
}

/// A user added a passkey to their account.
pub type PasskeyRegistered = PasskeyChange;

/// A user removed a passkey from their account.
pub type PasskeyRemoved = PasskeyChange;

/// An answer to a sign-in challenge was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInRejected {
    pub version: V1,
    /// The challenge the answer named, when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_id: Option<Ulid>,
    /// The user who was signing in.
    pub subject_hash: String,
    pub reason: RejectionReason,
}

/// The challenge an SES report is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailReport {
    pub challenge_id: Ulid,
    pub subject_hash: String,
    pub ses_message_id: String,
}

impl MailReport {
    /// The event of `delivery` (none for `suppressed`); `bounce_type` and
    /// `sub_type` as [`crate::challenge::DeliveryReport`] has them. The
    /// feedback function uses it too, for a report whose challenge is gone,
    /// so both give the same event with the same `eventId`.
    pub fn event(
        self,
        delivery: Delivery,
        bounce_type: Option<BounceType>,
        sub_type: Option<&str>,
    ) -> Option<Event> {
        let Self {
            challenge_id,
            subject_hash,
            ses_message_id,
        } = self;
        let event_id = change_id(challenge_id, delivery.as_str());
        Some(match delivery {
            Delivery::Delivered => Event::MagicLinkDelivered(MagicLinkDelivered {
                version: V1,
                event_id,
                challenge_id,
                subject_hash,
                ses_message_id,
            }),
            Delivery::Bounced => Event::MagicLinkBounced(MagicLinkBounced {
                version: V1,
                event_id,
                challenge_id,
                subject_hash,
                ses_message_id,
                bounce_type: bounce_type.unwrap_or(BounceType::Undetermined),
                bounce_sub_type: sub_type.unwrap_or("Undetermined").to_owned(),
            }),
            Delivery::Complained => Event::MagicLinkComplained(MagicLinkComplained {
                version: V1,
                event_id,
                challenge_id,
                subject_hash,
                ses_message_id,
                feedback_type: sub_type.map(str::to_owned),
            }),
            Delivery::Rejected => Event::MagicLinkDeliveryFailed(MagicLinkDeliveryFailed {
                version: V1,
                event_id: Some(event_id),
                challenge_id,
                subject_hash,
                permanent: true,
                error_code: "Rejected".into(),
            }),
            Delivery::Suppressed | Delivery::Withheld => return None,
        })
    }
}

/// Any magiclink event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "detail-type", content = "detail")]
pub enum Event {
    MagicLinkRequested(MagicLinkRequested),
    MagicLinkSent(MagicLinkSent),
    MagicLinkDeliveryFailed(MagicLinkDeliveryFailed),
    MagicLinkSuppressed(MagicLinkSuppressed),
    MagicLinkApproved(MagicLinkApproved),
    MagicLinkDelivered(MagicLinkDelivered),
    MagicLinkBounced(MagicLinkBounced),
    MagicLinkComplained(MagicLinkComplained),
    SignInSucceeded(SignInSucceeded),
    SignInRejected(SignInRejected),
    PasskeyRegistered(PasskeyRegistered),
    PasskeyRemoved(PasskeyRemoved),
    InvitationSent(InvitationSent),
    InvitationRevoked(InvitationRevoked),
    UserRevoked(UserRevoked),
}

impl Event {
    /// The EventBridge `detail-type`.
    pub fn detail_type(&self) -> &'static str {
        match self {
            Self::MagicLinkRequested(_) => "MagicLinkRequested",
            Self::MagicLinkSent(_) => "MagicLinkSent",
            Self::MagicLinkDeliveryFailed(_) => "MagicLinkDeliveryFailed",
            Self::MagicLinkSuppressed(_) => "MagicLinkSuppressed",
            Self::MagicLinkApproved(_) => "MagicLinkApproved",
            Self::MagicLinkDelivered(_) => "MagicLinkDelivered",
            Self::MagicLinkBounced(_) => "MagicLinkBounced",
            Self::MagicLinkComplained(_) => "MagicLinkComplained",
            Self::SignInSucceeded(_) => "SignInSucceeded",
            Self::SignInRejected(_) => "SignInRejected",
            Self::PasskeyRegistered(_) => "PasskeyRegistered",
            Self::PasskeyRemoved(_) => "PasskeyRemoved",
            Self::InvitationSent(_) => "InvitationSent",
            Self::InvitationRevoked(_) => "InvitationRevoked",
            Self::UserRevoked(_) => "UserRevoked",
        }
    }

    /// The EventBridge `detail`, as JSON.
    pub fn detail_json(&self) -> String {
        let detail = match self {
            Self::MagicLinkRequested(d) => serde_json::to_string(d),
            Self::MagicLinkSent(d) => serde_json::to_string(d),
            Self::MagicLinkDeliveryFailed(d) => serde_json::to_string(d),
            Self::MagicLinkSuppressed(d) => serde_json::to_string(d),
            Self::MagicLinkApproved(d) => serde_json::to_string(d),
            Self::MagicLinkDelivered(d) => serde_json::to_string(d),
            Self::MagicLinkBounced(d) => serde_json::to_string(d),
            Self::MagicLinkComplained(d) => serde_json::to_string(d),
            Self::SignInSucceeded(d) => serde_json::to_string(d),
            Self::SignInRejected(d) => serde_json::to_string(d),
            Self::PasskeyRegistered(d) => serde_json::to_string(d),
            Self::PasskeyRemoved(d) => serde_json::to_string(d),
            Self::InvitationSent(d) => serde_json::to_string(d),
            Self::InvitationRevoked(d) => serde_json::to_string(d),
            Self::UserRevoked(d) => serde_json::to_string(d),
        };
        // Plain structs of strings, numbers and enums always serialize.
        detail.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Ulid {
        Ulid::from_parts(1_800_000_000_000, 42)
    }

    #[test]
    fn detail_carries_version_one_and_camel_case() {
        let event = Event::MagicLinkSent(MagicLinkSent {
            version: V1,
            event_id: change_id(id(), "mailed"),
            challenge_id: id(),
            subject_hash: "ab12".into(),
            ses_message_id: "m-1".into(),
        });
        assert_eq!(event.detail_type(), "MagicLinkSent");
        let detail: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
        assert_eq!(
            detail,
            serde_json::json!({
                "version": 1,
                "eventId": format!("{}/mailed", id()),
                "challengeId": id().to_string(),
                "subjectHash": "ab12",
                "sesMessageId": "m-1",
            })
        );
    }

    #[test]
    fn an_eventbridge_envelope_deserializes() {
        let envelope = serde_json::json!({
            "version": "0",
            "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "MagicLinkRequested",
            "source": "magiclink",
            "account": "000000000000",
            "time": "2026-11-21T12:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail": {"version": 1, "eventId": format!("{}/requested", id()), "challengeId": id().to_string(), "subjectHash": "ab12", "expiresAt": 1800000900u64}
        });
        let event: Event = serde_json::from_value(envelope).unwrap();
        assert_eq!(
            event,
            Event::MagicLinkRequested(MagicLinkRequested {
                version: V1,
                event_id: change_id(id(), "requested"),
                challenge_id: id(),
                subject_hash: "ab12".into(),
                expires_at: 1_800_000_900,
            })
        );
    }

    #[test]
    fn another_version_is_refused() {
        let envelope = serde_json::json!({
            "detail-type": "SignInSucceeded",
            "detail": {"version": 2, "challengeId": id().to_string(), "subjectHash": "ab12"}
        });
        assert!(serde_json::from_value::<Event>(envelope).is_err());
    }

    #[test]
    fn rejection_reasons_use_the_contract_names() {
        use RejectionReason::*;
        for (reason, name) in [
            (Expired, "expired"),
            (Used, "used"),
            (Revoked, "revoked"),
            (BadSignature, "bad_signature"),
            (WrongUser, "wrong_user"),
            (Malformed, "malformed"),
            (AddressChanged, "address_changed"),
            (WrongCode, "wrong_code"),
            (TooManyAttempts, "too_many_attempts"),
            (WrongNumber, "wrong_number"),
            (ApprovedElsewhere, "approved_elsewhere"),
            (NotApproved, "not_approved"),
            (WrongVerifier, "wrong_verifier"),
            (UnprovenApproval, "unproven_approval"),
        ] {
            assert_eq!(serde_json::to_value(reason).unwrap(), name);
            assert_eq!(reason.as_str(), name);
        }
    }

    fn samples() -> Vec<Event> {
        let subject_hash = "0123456789abcdef0123456789abcdef".to_owned();
        vec![
            Event::PasskeyRegistered(PasskeyRegistered {
                version: V1,
                event_id: change_id(id(), "registered"),
                passkey_id: id(),
                subject_hash: subject_hash.clone(),
                sub: "3f1c2a8e-5d6b-4f7a-9c0d-1e2f3a4b5c6d".into(),
                passkey_name: "Laptop".into(),
                browser: "Firefox · Linux".into(),
                changed_at: 1_800_000_000,
            }),
            Event::PasskeyRemoved(PasskeyRemoved {
                version: V1,
                event_id: change_id(id(), "removed"),
                passkey_id: id(),
                subject_hash: subject_hash.clone(),
                sub: "3f1c2a8e-5d6b-4f7a-9c0d-1e2f3a4b5c6d".into(),
                passkey_name: "Laptop".into(),
                browser: "Firefox · Linux".into(),
                changed_at: 1_800_000_000,
            }),
            Event::MagicLinkRequested(MagicLinkRequested {
                version: V1,
                event_id: change_id(id(), "requested"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                expires_at: 1_800_000_900,
            }),
            Event::MagicLinkSent(MagicLinkSent {
                version: V1,
                event_id: change_id(id(), "mailed"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                ses_message_id: "0100018c-abc".into(),
            }),
            Event::MagicLinkDeliveryFailed(MagicLinkDeliveryFailed {
                version: V1,
                event_id: Some(change_id(id(), "rejected")),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                permanent: true,
                error_code: "MessageRejected".into(),
            }),
            Event::MagicLinkSuppressed(MagicLinkSuppressed {
                version: V1,
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                reason: SuppressionReason::Bounced,
            }),
            Event::MagicLinkDelivered(MagicLinkDelivered {
                version: V1,
                event_id: change_id(id(), "delivered"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                ses_message_id: "0100018c-abc".into(),
            }),
            Event::MagicLinkBounced(MagicLinkBounced {
                version: V1,
                event_id: change_id(id(), "bounced"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                ses_message_id: "0100018c-abc".into(),
                bounce_type: BounceType::Permanent,
                bounce_sub_type: "NoEmail".into(),
            }),
            Event::MagicLinkComplained(MagicLinkComplained {
                version: V1,
                event_id: change_id(id(), "complained"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                ses_message_id: "0100018c-abc".into(),
                feedback_type: Some("abuse".into()),
            }),
            Event::MagicLinkApproved(MagicLinkApproved {
                version: V1,
                event_id: change_id(id(), "approved"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
            }),
            Event::SignInSucceeded(SignInSucceeded {
                version: V1,
                event_id: change_id(id(), "consumed"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                method: SignInMethod::Approval,
            }),
            Event::InvitationSent(InvitationSent {
                version: V1,
                event_id: change_id(id(), "invited"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
                expires_at: 1_800_259_200,
            }),
            Event::InvitationRevoked(InvitationRevoked {
                version: V1,
                event_id: change_id(id(), "revoked"),
                challenge_id: id(),
                subject_hash: subject_hash.clone(),
            }),
            Event::UserRevoked(UserRevoked {
                version: V1,
                event_id: change_id(id(), "revoked"),
                revocation_id: id(),
                subject_hash: subject_hash.clone(),
                passkeys: true,
                revoked_by: RevokedBy::User,
            }),
            Event::SignInRejected(SignInRejected {
                version: V1,
                challenge_id: Some(id()),
                subject_hash,
                reason: RejectionReason::ApprovedElsewhere,
            }),
        ]
    }

    fn schema(detail_type: &str) -> jsonschema::Validator {
        let path = format!(
            "{}/../schemas/events/{detail_type}.json",
            std::env::var("CARGO_MANIFEST_DIR").unwrap()
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    }

    #[test]
    fn every_event_matches_its_schema_and_every_schema_has_an_event() {
        let samples = samples();
        for event in &samples {
            let detail: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
            let validator = schema(event.detail_type());
            let errors: Vec<String> = validator
                .iter_errors(&detail)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{}: {errors:?}", event.detail_type());
        }
        let dir = format!(
            "{}/../schemas/events",
            std::env::var("CARGO_MANIFEST_DIR").unwrap()
        );
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .trim_end_matches(".json")
                    .to_owned()
            })
            .collect();
        files.sort();
        let mut types: Vec<&str> = samples.iter().map(Event::detail_type).collect();
        types.sort();
        assert_eq!(files, types);
    }

    #[test]
    fn the_schemas_refuse_extra_fields_such_as_a_token() {
        let event = &samples()[1];
        let mut detail: serde_json::Value = serde_json::from_str(&event.detail_json()).unwrap();
        detail["token"] = "eyJhbGciOiJFUzI1NiJ9.e30.sig".into();
        assert!(!schema(event.detail_type()).is_valid(&detail));
    }
}
