//! Which change of a challenge item is which event. Pure code: a stream
//! record in, at most one event out.
//!
//! - a new challenge (`INSERT`, status `pending`): `MagicLinkRequested`;
//! - status `pending` to `mailed`: `MagicLinkSent`;
//! - status to `approved`: `MagicLinkApproved`;
//! - status to `consumed`: `SignInSucceeded`;
//! - an invitation (`invitedBy` present): its insert is `InvitationSent`
//!   instead of `MagicLinkRequested`, its status to `revoked`
//!   `InvitationRevoked`;
//! - `wrongNumbers` raised (a wrong approval number, written by the approval
//!   endpoint): `SignInRejected` with reason `wrong_number`, so that approval
//!   phishing shows;
//! - what SES reported of the mail (`delivery`, written by the feedback
//!   function), at its first value or a worse one: `delivered` to
//!   `MagicLinkDelivered`, `bounced` to `MagicLinkBounced`, `complained` to
//!   `MagicLinkComplained`, `rejected` to a permanent
//!   `MagicLinkDeliveryFailed` (`errorCode` `Rejected`). `suppressed` and
//!   `withheld` (the mailer's, which publishes `MagicLinkSuppressed` itself)
//!   are no event.
//!
//! A user's passkeys item (`passkeys#<sub>`, see [`magiclink::passkeys`])
//! makes the passkeys' events: a `passkey#<ULID>` attribute added is
//! `PasskeyRegistered`, one removed `PasskeyRemoved` (each with the user's
//! `sub`, the passkey's name, the browser of `changedFrom` and the change's
//! time, which the mailer's notice tells), and a new `signIn` a passkey
//! sign-in's `SignInSucceeded` (its `challengeId` the sign-in's id).
//!
//! A revocation item's insert (`revocation#<ULID>`) is `UserRevoked`.
//!
//! Anything else (a mailing lease taken or given back, an item expiring, rate
//! counters and other items, which the event source's filter keeps away
//! anyway) is no event. Each event's `eventId` names the change
//! ([`change_id`]), so a record delivered twice gives the same id twice.

use std::str::FromStr;

use aws_lambda_events::event::dynamodb::EventRecord;
use magiclink::challenge::{BounceType, Delivery, SignInMethod};
use magiclink::email::EmailAddress;
use magiclink::events::{
    Event, InvitationRevoked, InvitationSent, MagicLinkApproved, MagicLinkRequested, MagicLinkSent,
    MailReport, PasskeyChange, RejectionReason, RevokedBy, SignInRejected, SignInSucceeded,
    UserRevoked, V1, change_id,
};
use magiclink::fingerprint::Fingerprints;
use magiclink::passkeys::{self, UNKNOWN_BROWSER};
use magiclink::table::{self, Kind, challenge, passkeys as passkeys_item, revocation};
use serde_dynamo::AttributeValue;
use ulid::Ulid;

/// Why a record that should make an event cannot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("item {key}: {what}")]
pub struct Unreadable {
    pub key: String,
    pub what: &'static str,
}

fn text<'a>(item: &'a serde_dynamo::Item, name: &str) -> Option<&'a str> {
    match item.get(name)? {
        AttributeValue::S(value) => Some(value),
        _ => None,
    }
}

fn number(item: &serde_dynamo::Item, name: &str) -> Option<u64> {
    match item.get(name)? {
        AttributeValue::N(value) => value.parse().ok(),
        _ => None,
    }
}

/// The event of `record`, if its change is one; `keys` fingerprint the
/// address.
pub fn event_of(record: &EventRecord, keys: &Fingerprints) -> Result<Option<Event>, Unreadable> {
    let change = &record.change;
    let Some(key) = text(&change.keys, table::PK) else {
        return Ok(None);
    };
    let id = match Kind::of(key) {
        Kind::Challenge(id) => id,
        Kind::Passkeys(sub) => return passkey_event_of(record, key, sub),
        Kind::Revocation(id) => return revocation_event_of(record, key, id),
        Kind::Other => return Ok(None),
    };
    let unreadable = |what| Unreadable {
        key: key.to_owned(),
        what,
    };
    let id = Ulid::from_str(id).map_err(|_| unreadable("the id is not a ULID"))?;
    let new = &change.new_image;
    if record.event_name == "REMOVE" {
        return Ok(None);
    }
    let subject_hash = || {
        text(new, challenge::EMAIL)
            .and_then(|raw| EmailAddress::parse(raw).ok())
            .map(|email| email.fingerprint(keys))
            .ok_or_else(|| unreadable("no readable email"))
    };
    let (old_status, new_status) = (
        text(&change.old_image, challenge::STATUS),
        text(new, challenge::STATUS),
    );
    let wrong_numbers = |image| number(image, challenge::WRONG_NUMBERS).unwrap_or(0);
    if wrong_numbers(new) > wrong_numbers(&change.old_image) {
        return Ok(Some(Event::SignInRejected(SignInRejected {
            version: V1,
            challenge_id: Some(id),
            subject_hash: subject_hash()?,
            reason: RejectionReason::WrongNumber,
        })));
    }
    if old_status == new_status {
        let (old_delivery, new_delivery) = (
            text(&change.old_image, challenge::DELIVERY),
            text(new, challenge::DELIVERY),
        );
        if old_delivery == new_delivery {
            return Ok(None);
        }
        let Some(delivery) = new_delivery else {
            return Ok(None);
        };
        let delivery = Delivery::parse(delivery).ok_or_else(|| unreadable("unknown delivery"))?;
        if matches!(delivery, Delivery::Suppressed | Delivery::Withheld) {
            return Ok(None);
        }
        let ses_message_id = || {
            text(new, challenge::SES_MESSAGE_ID)
                .map(str::to_owned)
                .ok_or_else(|| unreadable("no sesMessageId"))
        };
        let report = MailReport {
            challenge_id: id,
            subject_hash: subject_hash()?,
            ses_message_id: ses_message_id()?,
        };
        return Ok(report.event(
            delivery,
            text(new, challenge::BOUNCE_TYPE).and_then(BounceType::parse),
            text(new, challenge::BOUNCE_SUB_TYPE).or_else(|| text(new, challenge::FEEDBACK_TYPE)),
        ));
    }
    let invitation = text(new, challenge::INVITED_BY).is_some();
    let event = match (old_status, new_status) {
        (None, Some("pending")) if invitation => Event::InvitationSent(InvitationSent {
            version: V1,
            event_id: change_id(id, "invited"),
            challenge_id: id,
            subject_hash: subject_hash()?,
            expires_at: number(new, challenge::EXPIRES_AT)
                .ok_or_else(|| unreadable("no expiresAt"))?,
        }),
        (_, Some("revoked")) => Event::InvitationRevoked(InvitationRevoked {
            version: V1,
            event_id: change_id(id, "revoked"),
            challenge_id: id,
            subject_hash: subject_hash()?,
        }),
        (None, Some("pending")) => Event::MagicLinkRequested(MagicLinkRequested {
            version: V1,
            event_id: change_id(id, "requested"),
            challenge_id: id,
            subject_hash: subject_hash()?,
            expires_at: number(new, challenge::EXPIRES_AT)
                .ok_or_else(|| unreadable("no expiresAt"))?,
        }),
        (_, Some("mailed")) => Event::MagicLinkSent(MagicLinkSent {
            version: V1,
            event_id: change_id(id, "mailed"),
            challenge_id: id,
            subject_hash: subject_hash()?,
            ses_message_id: text(new, challenge::SES_MESSAGE_ID)
                .ok_or_else(|| unreadable("no sesMessageId"))?
                .to_owned(),
        }),
        (_, Some("approved")) => Event::MagicLinkApproved(MagicLinkApproved {
            version: V1,
            event_id: change_id(id, "approved"),
            challenge_id: id,
            subject_hash: subject_hash()?,
        }),
        (_, Some("consumed")) => Event::SignInSucceeded(SignInSucceeded {
            version: V1,
            event_id: change_id(id, "consumed"),
            challenge_id: id,
            subject_hash: subject_hash()?,
            // Challenges consumed before codes existed carry no method.
            method: match text(new, challenge::CONSUMED_BY) {
                None => SignInMethod::Link,
                Some(raw) => {
                    SignInMethod::parse(raw).ok_or_else(|| unreadable("unknown consumedBy"))?
                }
            },
        }),
        _ => return Ok(None),
    };
    Ok(Some(event))
}

/// The event of a revocation item's insert: `UserRevoked`.
fn revocation_event_of(
    record: &EventRecord,
    key: &str,
    id: &str,
) -> Result<Option<Event>, Unreadable> {
    if record.event_name != "INSERT" {
        return Ok(None);
    }
    let unreadable = |what| Unreadable {
        key: key.to_owned(),
        what,
    };
    let new = &record.change.new_image;
    let id = Ulid::from_str(id).map_err(|_| unreadable("the id is not a ULID"))?;
    let passkeys = match new.get(revocation::PASSKEYS) {
        Some(AttributeValue::Bool(passkeys)) => *passkeys,
        _ => return Err(unreadable("no passkeys flag")),
    };
    Ok(Some(Event::UserRevoked(UserRevoked {
        version: V1,
        event_id: change_id(id, "revoked"),
        revocation_id: id,
        subject_hash: text(new, revocation::SUBJECT_HASH)
            .ok_or_else(|| unreadable("no subjectHash"))?
            .to_owned(),
        passkeys,
        revoked_by: text(new, revocation::BY)
            .and_then(RevokedBy::parse)
            .ok_or_else(|| unreadable("no readable by"))?,
    })))
}

/// The ids of the passkeys an image holds.
fn passkey_ids(image: &serde_dynamo::Item) -> Vec<Ulid> {
    image
        .keys()
        .filter_map(|name| name.strip_prefix(passkeys_item::PASSKEY)?.parse().ok())
        .collect()
}

/// The event of a change of a user's passkeys item, if it is one.
fn passkey_event_of(
    record: &EventRecord,
    key: &str,
    sub: &str,
) -> Result<Option<Event>, Unreadable> {
    let change = &record.change;
    if record.event_name == "REMOVE" {
        return Ok(None);
    }
    let unreadable = |what| Unreadable {
        key: key.to_owned(),
        what,
    };
    let (old, new) = (&change.old_image, &change.new_image);
    let subject_hash = || {
        text(new, passkeys_item::SUBJECT_HASH)
            .map(str::to_owned)
            .ok_or_else(|| unreadable("no subjectHash"))
    };
    let sign_in = text(new, passkeys_item::SIGN_IN);
    if sign_in.is_some() && sign_in != text(old, passkeys_item::SIGN_IN) {
        let id = sign_in
            .and_then(|raw| Ulid::from_str(raw).ok())
            .ok_or_else(|| unreadable("signIn is not a ULID"))?;
        return Ok(Some(Event::SignInSucceeded(SignInSucceeded {
            version: V1,
            event_id: change_id(id, "consumed"),
            challenge_id: id,
            subject_hash: subject_hash()?,
            method: SignInMethod::Passkey,
        })));
    }
    let (before, after) = (passkey_ids(old), passkey_ids(new));
    let added = after.iter().find(|id| !before.contains(id));
    let removed = before.iter().find(|id| !after.contains(id));
    // An added passkey's entry is in the new image, a removed one's in the old.
    let (id, image, state, event): (_, _, _, fn(PasskeyChange) -> Event) = match (added, removed) {
        (Some(id), _) => (*id, new, "registered", Event::PasskeyRegistered),
        (None, Some(id)) => (*id, old, "removed", Event::PasskeyRemoved),
        (None, None) => return Ok(None),
    };
    let passkey_name = match image.get(&passkeys::attribute(id)) {
        Some(AttributeValue::M(entry)) => match entry.get(passkeys_item::NAME) {
            Some(AttributeValue::S(name)) => Some(name.clone()),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| unreadable("a passkey without a name"))?;
    // Written by every registration and removal; an item from before it
    // was names no browser.
    let browser = text(new, passkeys_item::CHANGED_FROM)
        .unwrap_or(UNKNOWN_BROWSER)
        .to_owned();
    let changed_at = u64::try_from(change.approximate_creation_date_time.timestamp()).unwrap_or(0);
    let change = PasskeyChange {
        version: V1,
        event_id: change_id(id, state),
        passkey_id: id,
        subject_hash: subject_hash()?,
        sub: sub.to_owned(),
        passkey_name,
        browser,
        changed_at,
    };
    Ok(Some(event(change)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use serde_json::{Value, json};

    use super::*;

    const ID: &str = "01JD0000000000000000000000";

    fn keys() -> Fingerprints {
        Fingerprints::from_key(b"k")
    }

    fn image(status: &str, extra: Value) -> Value {
        let mut image = json!({
            "pk": {"S": format!("challenge#{ID}")},
            "email": {"S": "ann@example.com"},
            "status": {"S": status},
            "expiresAt": {"N": "1800000900"},
            "createdAt": {"N": "1800000000"},
            "redirectUri": {"S": "https://app.example/"}
        });
        if let (Value::Object(image), Value::Object(extra)) = (&mut image, extra) {
            image.extend(extra);
        }
        image
    }

    fn record(name: &str, old: Option<Value>, new: Option<Value>) -> EventRecord {
        let mut dynamodb = json!({
            "Keys": {"pk": {"S": format!("challenge#{ID}")}},
            "SequenceNumber": "100",
            "SizeBytes": 1,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "ApproximateCreationDateTime": 1800000000.0
        });
        if let Some(old) = old {
            dynamodb["OldImage"] = old;
        }
        if let Some(new) = new {
            dynamodb["NewImage"] = new;
        }
        serde_json::from_value(json!({
            "eventID": "e-1",
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "dynamodb": dynamodb
        }))
        .unwrap()
    }

    #[test]
    fn an_insert_is_a_request() {
        let event = event_of(
            &record("INSERT", None, Some(image("pending", json!({})))),
            &keys(),
        )
        .unwrap()
        .unwrap();
        let Event::MagicLinkRequested(e) = event else {
            panic!("{event:?}");
        };
        assert_eq!(e.challenge_id.to_string(), ID);
        assert_eq!(e.event_id, format!("{ID}/requested"));
        assert_eq!(e.expires_at, 1_800_000_900);
        assert_eq!(e.subject_hash, keys().of("ann@example.com"));
    }

    #[test]
    fn an_invitation_is_sent_then_revoked() {
        let invited = image("pending", json!({"invitedBy": {"S": "Ann"}}));
        let event = event_of(&record("INSERT", None, Some(invited.clone())), &keys())
            .unwrap()
            .unwrap();
        let Event::InvitationSent(e) = event else {
            panic!("{event:?}");
        };
        assert_eq!(e.event_id, format!("{ID}/invited"));
        assert_eq!(e.expires_at, 1_800_000_900);
        let mailed = image(
            "mailed",
            json!({"invitedBy": {"S": ""}, "sesMessageId": {"S": "m"}}),
        );
        let revoked = image("revoked", json!({"invitedBy": {"S": ""}}));
        let event = event_of(&record("MODIFY", Some(mailed), Some(revoked)), &keys())
            .unwrap()
            .unwrap();
        let Event::InvitationRevoked(e) = event else {
            panic!("{event:?}");
        };
        assert_eq!(e.event_id, format!("{ID}/revoked"));
        assert_eq!(e.subject_hash, invited_hash());
    }

    fn invited_hash() -> String {
        EmailAddress::parse("ann@example.com")
            .unwrap()
            .fingerprint(&keys())
    }

    fn revocation_record(name: &str, new: Value) -> EventRecord {
        let mut record = record(name, None, Some(new));
        record.change.keys =
            serde_json::from_value(json!({"pk": {"S": format!("revocation#{ID}")}})).unwrap();
        record
    }

    #[test]
    fn a_revocations_insert_is_user_revoked_and_nothing_else_of_it_is() {
        let new = json!({
            "pk": {"S": format!("revocation#{ID}")},
            "subjectHash": {"S": "0123456789abcdef0123456789abcdef"},
            "passkeys": {"BOOL": true},
            "by": {"S": "self"}
        });
        let event = event_of(&revocation_record("INSERT", new.clone()), &keys())
            .unwrap()
            .unwrap();
        let Event::UserRevoked(e) = event else {
            panic!("{event:?}");
        };
        assert_eq!(e.event_id, format!("{ID}/revoked"));
        assert_eq!(e.revocation_id.to_string(), ID);
        assert!(e.passkeys);
        assert_eq!(e.revoked_by, RevokedBy::User);
        // Its expiry is no event.
        assert_eq!(
            event_of(&revocation_record("REMOVE", new.clone()), &keys()).unwrap(),
            None
        );
        let mut unreadable = new;
        unreadable["by"] = json!({"S": "someone"});
        assert!(event_of(&revocation_record("INSERT", unreadable), &keys()).is_err());
    }

    #[test]
    fn mailed_and_consumed_are_sent_and_succeeded() {
        let mailed = record(
            "MODIFY",
            Some(image("pending", json!({"mailingUntil": {"N": "1"}}))),
            Some(image("mailed", json!({"sesMessageId": {"S": "m-1"}}))),
        );
        match event_of(&mailed, &keys()).unwrap().unwrap() {
            Event::MagicLinkSent(e) => {
                assert_eq!(e.ses_message_id, "m-1");
                assert_eq!(e.event_id, format!("{ID}/mailed"));
            }
            other => panic!("{other:?}"),
        }
        for before in ["pending", "mailed"] {
            let consumed = record(
                "MODIFY",
                Some(image(before, json!({}))),
                Some(image("consumed", json!({}))),
            );
            match event_of(&consumed, &keys()).unwrap().unwrap() {
                Event::SignInSucceeded(e) => assert_eq!(e.event_id, format!("{ID}/consumed")),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn an_approval_and_the_sign_in_after_it_are_approved_and_succeeded() {
        let approved = record(
            "MODIFY",
            Some(image("mailed", json!({}))),
            Some(image(
                "approved",
                json!({"approvedAt": {"N": "1800000100"}}),
            )),
        );
        match event_of(&approved, &keys()).unwrap().unwrap() {
            Event::MagicLinkApproved(e) => {
                assert_eq!(e.event_id, format!("{ID}/approved"));
                assert_eq!(e.subject_hash, keys().of("ann@example.com"));
            }
            other => panic!("{other:?}"),
        }
        let consumed = record(
            "MODIFY",
            Some(image("approved", json!({}))),
            Some(image("consumed", json!({"consumedBy": {"S": "approval"}}))),
        );
        match event_of(&consumed, &keys()).unwrap().unwrap() {
            Event::SignInSucceeded(e) => assert_eq!(e.method, SignInMethod::Approval),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_wrong_approval_number_is_a_rejection_and_a_wrong_code_is_not() {
        for (before, after) in [(None, "1"), (Some("1"), "2"), (Some("2"), "3")] {
            let old = match before {
                None => image("mailed", json!({})),
                Some(n) => image("mailed", json!({"wrongNumbers": {"N": n}})),
            };
            let new = image("mailed", json!({"wrongNumbers": {"N": after}}));
            match event_of(&record("MODIFY", Some(old), Some(new)), &keys()).unwrap() {
                Some(Event::SignInRejected(e)) => {
                    assert_eq!(e.reason, RejectionReason::WrongNumber);
                    assert_eq!(e.challenge_id.map(|id| id.to_string()).as_deref(), Some(ID));
                    assert_eq!(e.subject_hash, keys().of("ann@example.com"));
                }
                other => panic!("{before:?} to {after}: {other:?}"),
            }
        }
        // The verifier publishes wrong codes itself; their count is no event.
        let code = record(
            "MODIFY",
            Some(image("mailed", json!({}))),
            Some(image("mailed", json!({"wrongCodes": {"N": "1"}}))),
        );
        assert_eq!(event_of(&code, &keys()).unwrap(), None);
    }

    #[test]
    fn each_ses_report_is_its_event_once() {
        let mailed = || image("mailed", json!({"sesMessageId": {"S": "m-1"}}));
        let with = |extra: Value| {
            let mut new = mailed();
            if let (Value::Object(new), Value::Object(extra)) = (&mut new, extra) {
                new.extend(extra);
            }
            new
        };
        let delivered = record(
            "MODIFY",
            Some(mailed()),
            Some(with(
                json!({"delivery": {"S": "delivered"}, "deliveryAt": {"N": "1"}}),
            )),
        );
        match event_of(&delivered, &keys()).unwrap().unwrap() {
            Event::MagicLinkDelivered(e) => {
                assert_eq!(e.event_id, format!("{ID}/delivered"));
                assert_eq!(e.ses_message_id, "m-1");
                assert_eq!(e.subject_hash, keys().of("ann@example.com"));
            }
            other => panic!("{other:?}"),
        }
        let bounced = record(
            "MODIFY",
            Some(with(json!({"delivery": {"S": "delivered"}}))),
            Some(with(json!({
                "delivery": {"S": "bounced"},
                "bounceType": {"S": "permanent"},
                "bounceSubType": {"S": "NoEmail"}
            }))),
        );
        match event_of(&bounced, &keys()).unwrap().unwrap() {
            Event::MagicLinkBounced(e) => {
                assert_eq!(e.event_id, format!("{ID}/bounced"));
                assert_eq!(e.bounce_type, BounceType::Permanent);
                assert_eq!(e.bounce_sub_type, "NoEmail");
            }
            other => panic!("{other:?}"),
        }
        let complained = record(
            "MODIFY",
            Some(mailed()),
            Some(with(
                json!({"delivery": {"S": "complained"}, "feedbackType": {"S": "abuse"}}),
            )),
        );
        match event_of(&complained, &keys()).unwrap().unwrap() {
            Event::MagicLinkComplained(e) => {
                assert_eq!(e.feedback_type.as_deref(), Some("abuse"))
            }
            other => panic!("{other:?}"),
        }
        let rejected = record(
            "MODIFY",
            Some(mailed()),
            Some(with(json!({"delivery": {"S": "rejected"}}))),
        );
        match event_of(&rejected, &keys()).unwrap().unwrap() {
            Event::MagicLinkDeliveryFailed(e) => {
                assert!(e.permanent);
                assert_eq!(e.error_code, "Rejected");
                assert_eq!(e.event_id, Some(format!("{ID}/rejected")));
            }
            other => panic!("{other:?}"),
        }
        for unsent in ["suppressed", "withheld"] {
            let marked = record(
                "MODIFY",
                Some(image("pending", json!({}))),
                Some(image("pending", json!({"delivery": {"S": unsent}}))),
            );
            assert_eq!(event_of(&marked, &keys()), Ok(None), "{unsent}");
        }
        let again = record(
            "MODIFY",
            Some(with(json!({"delivery": {"S": "delivered"}}))),
            Some(with(
                json!({"delivery": {"S": "delivered"}, "wrongCodes": {"N": "1"}}),
            )),
        );
        assert_eq!(event_of(&again, &keys()), Ok(None), "no new report");
        let unknown = record(
            "MODIFY",
            Some(mailed()),
            Some(with(json!({"delivery": {"S": "opened"}}))),
        );
        assert_eq!(
            event_of(&unknown, &keys()).unwrap_err().what,
            "unknown delivery"
        );
    }

    #[test]
    fn changes_that_are_no_state_change_are_no_event() {
        let lease = record(
            "MODIFY",
            Some(image("pending", json!({}))),
            Some(image("pending", json!({"mailingUntil": {"N": "1"}}))),
        );
        assert_eq!(event_of(&lease, &keys()), Ok(None));
        let expired = record("REMOVE", Some(image("mailed", json!({}))), None);
        assert_eq!(event_of(&expired, &keys()), Ok(None));
        let mut counter = record(
            "INSERT",
            None,
            Some(json!({"pk": {"S": "rate#ip#x#900#1"}, "hits": {"N": "1"}})),
        );
        counter.change.keys =
            serde_json::from_value(json!({"pk": {"S": "rate#ip#x#900#1"}})).unwrap();
        assert_eq!(event_of(&counter, &keys()), Ok(None));
    }

    const SUB: &str = "3f1c2a8e-5d6b-4f7a-9c0d-1e2f3a4b5c6d";
    const PASSKEY: &str = "01JD0000000000000000000001";
    const SIGN_IN: &str = "01JD0000000000000000000002";
    const HASH: &str = "0123456789abcdef0123456789abcdef";

    fn passkeys_record(name: &str, old: Option<Value>, new: Option<Value>) -> EventRecord {
        let mut record = record(name, old, new);
        record.change.keys =
            serde_json::from_value(json!({"pk": {"S": format!("passkeys#{SUB}")}})).unwrap();
        record
    }

    fn passkeys_image(passkeys: &[&str], sign_in: Option<&str>) -> Value {
        let mut image = json!({
            "pk": {"S": format!("passkeys#{SUB}")},
            "subjectHash": {"S": HASH},
            "passkeyCount": {"N": passkeys.len().to_string()},
        });
        for id in passkeys {
            image[format!("passkey#{id}")] =
                json!({"M": {"signCount": {"N": "0"}, "name": {"S": "Laptop"}}});
        }
        image["changedFrom"] = json!({"S": "Firefox · Linux"});
        if let Some(sign_in) = sign_in {
            image["signIn"] = json!({"S": sign_in});
        }
        image
    }

    #[test]
    fn a_passkey_added_used_and_removed_is_each_its_event() {
        let added = passkeys_record("INSERT", None, Some(passkeys_image(&[PASSKEY], None)));
        match event_of(&added, &keys()).unwrap().unwrap() {
            Event::PasskeyRegistered(e) => {
                assert_eq!(e.passkey_id.to_string(), PASSKEY);
                assert_eq!(e.event_id, format!("{PASSKEY}/registered"));
                assert_eq!(e.subject_hash, HASH);
                assert_eq!(e.sub, SUB, "the notice's addressee");
                assert_eq!(e.passkey_name, "Laptop");
                assert_eq!(e.browser, "Firefox · Linux");
                assert_eq!(e.changed_at, 1_800_000_000, "the change's own time");
            }
            other => panic!("{other:?}"),
        }
        let used = passkeys_record(
            "MODIFY",
            Some(passkeys_image(&[PASSKEY], None)),
            Some(passkeys_image(&[PASSKEY], Some(SIGN_IN))),
        );
        match event_of(&used, &keys()).unwrap().unwrap() {
            Event::SignInSucceeded(e) => {
                assert_eq!(e.method, SignInMethod::Passkey);
                assert_eq!(e.challenge_id.to_string(), SIGN_IN);
                assert_eq!(e.event_id, format!("{SIGN_IN}/consumed"));
            }
            other => panic!("{other:?}"),
        }
        let removed = passkeys_record(
            "MODIFY",
            Some(passkeys_image(&[PASSKEY], Some(SIGN_IN))),
            Some(passkeys_image(&[], Some(SIGN_IN))),
        );
        match event_of(&removed, &keys()).unwrap().unwrap() {
            Event::PasskeyRemoved(e) => {
                assert_eq!(e.event_id, format!("{PASSKEY}/removed"));
                assert_eq!(e.sub, SUB);
                assert_eq!(
                    e.passkey_name, "Laptop",
                    "the name it had, from the old image"
                );
            }
            other => panic!("{other:?}"),
        }
        let mut before_browsers = passkeys_image(&[], None);
        before_browsers
            .as_object_mut()
            .unwrap()
            .remove("changedFrom");
        let old_item = passkeys_record(
            "MODIFY",
            Some(passkeys_image(&[PASSKEY], None)),
            Some(before_browsers),
        );
        match event_of(&old_item, &keys()).unwrap().unwrap() {
            Event::PasskeyRemoved(e) => assert_eq!(e.browser, UNKNOWN_BROWSER),
            other => panic!("{other:?}"),
        }
        let unchanged = passkeys_record(
            "MODIFY",
            Some(passkeys_image(&[PASSKEY], Some(SIGN_IN))),
            Some(passkeys_image(&[PASSKEY], Some(SIGN_IN))),
        );
        assert_eq!(event_of(&unchanged, &keys()), Ok(None));
        let deleted = passkeys_record("REMOVE", Some(passkeys_image(&[PASSKEY], None)), None);
        assert_eq!(event_of(&deleted, &keys()), Ok(None));
    }

    #[test]
    fn an_unreadable_passkeys_item_is_an_error_not_a_panic() {
        let mut no_hash = passkeys_image(&[PASSKEY], None);
        no_hash.as_object_mut().unwrap().remove("subjectHash");
        let error = event_of(&passkeys_record("INSERT", None, Some(no_hash)), &keys()).unwrap_err();
        assert_eq!(error.what, "no subjectHash");
        let bad = passkeys_record(
            "MODIFY",
            Some(passkeys_image(&[PASSKEY], None)),
            Some(passkeys_image(&[PASSKEY], Some("nope"))),
        );
        assert_eq!(
            event_of(&bad, &keys()).unwrap_err().what,
            "signIn is not a ULID"
        );
        let mut nameless = passkeys_image(&[PASSKEY], None);
        nameless[format!("passkey#{PASSKEY}")] = json!({"M": {"signCount": {"N": "0"}}});
        let error =
            event_of(&passkeys_record("INSERT", None, Some(nameless)), &keys()).unwrap_err();
        assert_eq!(error.what, "a passkey without a name");
    }

    #[test]
    fn an_unreadable_challenge_is_an_error_not_a_panic() {
        let mut broken = image("pending", json!({}));
        broken["email"] = json!({"S": "not an address"});
        let error = event_of(&record("INSERT", None, Some(broken)), &keys()).unwrap_err();
        assert_eq!(error.what, "no readable email");
        let mut bad_id = record("INSERT", None, Some(image("pending", json!({}))));
        bad_id.change.keys =
            serde_json::from_value(json!({"pk": {"S": "challenge#nope"}})).unwrap();
        assert_eq!(
            event_of(&bad_id, &keys()).unwrap_err().what,
            "the id is not a ULID"
        );
    }
}
