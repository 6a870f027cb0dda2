//! A challenge as the table holds it: the item a new challenge is written
//! as, and the challenge read back from an item. The attributes that later
//! writes add (the mail's lease, the approval, the counts, the delivery)
//! are the store's and the rules'; see the store's module docs for all.

use std::time::Duration;

use ulid::Ulid;

use super::rules::is_burnt;
use super::{Challenge, ChallengeStatus, Delivery, Invitation};
use crate::aws::CallError;
use crate::binding::DeviceBinding;
use crate::dynamo::{Item, PK, TTL, get_n, get_s, n, s};
use crate::email::EmailAddress;
use crate::locale::Locale;
use crate::table::challenge::{DELIVERY, EMAIL, EXPIRES_AT, INVITED_BY, SES_MESSAGE_ID, STATUS};
use crate::table::key;

/// How long a challenge item outlives its expiry: a late replay is still
/// told `used` or `expired` rather than "unknown".
const CHALLENGE_AFTERLIFE: Duration = Duration::from_secs(24 * 3600);

/// The `held` attribute of a challenge asked for while its mailbox's
/// allowance was spent.
const HELD_FOR_MAILBOX: &str = "mailbox";

/// The table item of a new challenge.
pub(crate) fn challenge_item(challenge: &Challenge) -> Item {
    let mut item = Item::from([
        (PK.to_owned(), s(key::challenge(challenge.id))),
        (EMAIL.to_owned(), s(challenge.email.as_str())),
        ("redirectUri".to_owned(), s(&challenge.redirect_uri)),
        ("createdAt".to_owned(), n(challenge.created_at)),
        (EXPIRES_AT.to_owned(), n(challenge.expires_at)),
        (STATUS.to_owned(), s(challenge.status.as_str())),
        (
            TTL.to_owned(),
            n(challenge.expires_at + CHALLENGE_AFTERLIFE.as_secs()),
        ),
    ]);
    if let Some(id) = &challenge.ses_message_id {
        item.insert(SES_MESSAGE_ID.to_owned(), s(id));
    }
    if let Some(binding) = &challenge.binding {
        item.insert("binding".to_owned(), s(binding.encoded()));
    }
    if let Some(locale) = &challenge.locale {
        item.insert("locale".to_owned(), s(locale.as_str()));
    }
    if challenge.held {
        item.insert("held".to_owned(), s(HELD_FOR_MAILBOX));
    }
    if let Some(invitation) = &challenge.invitation {
        // Present (empty when nobody is named) on every invitation.
        let by = invitation.invited_by.as_deref().unwrap_or_default();
        item.insert(INVITED_BY.to_owned(), s(by));
    }
    item
}

pub(super) fn from_item(id: Ulid, item: &Item) -> Result<Challenge, CallError> {
    let corrupt =
        |what: &str| CallError::unexpected("DynamoDB GetItem", format!("challenge {id}: {what}"));
    let email = get_s(item, EMAIL)
        .and_then(|raw| EmailAddress::parse(raw).ok())
        .ok_or_else(|| corrupt(EMAIL))?;
    Ok(Challenge {
        id,
        email,
        redirect_uri: get_s(item, "redirectUri")
            .ok_or_else(|| corrupt("redirectUri"))?
            .to_owned(),
        created_at: get_n(item, "createdAt").ok_or_else(|| corrupt("createdAt"))?,
        expires_at: get_n(item, EXPIRES_AT).ok_or_else(|| corrupt(EXPIRES_AT))?,
        status: get_s(item, STATUS)
            .and_then(ChallengeStatus::parse)
            .ok_or_else(|| corrupt(STATUS))?,
        ses_message_id: get_s(item, SES_MESSAGE_ID).map(str::to_owned),
        binding: match get_s(item, "binding") {
            None => None,
            Some(raw) => Some(DeviceBinding::parse(raw).map_err(|_| corrupt("binding"))?),
        },
        burnt: is_burnt(item),
        locale: get_s(item, "locale").and_then(Locale::parse),
        delivery: get_s(item, DELIVERY).and_then(Delivery::parse),
        held: get_s(item, "held").is_some(),
        invitation: get_s(item, INVITED_BY).map(|by| Invitation {
            invited_by: Some(by).filter(|by| !by.is_empty()).map(str::to_owned),
        }),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::time::SystemTime;

    use super::*;
    use crate::binding::Verifier;

    fn challenge() -> Challenge {
        Challenge::new(
            EmailAddress::parse("Ann@Example.com").unwrap(),
            "https://app.example.com/cb?x=1".into(),
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
            Duration::from_secs(900),
        )
    }

    #[test]
    fn a_challenge_reads_back_as_it_was_written() {
        let plain = challenge();
        assert_eq!(from_item(plain.id, &challenge_item(&plain)).unwrap(), plain);

        let binding = Verifier::parse(&"v".repeat(43)).unwrap().binding();
        let mut full = challenge()
            .with_binding(Some(binding))
            .with_locale(Locale::parse("de-DE"))
            .held();
        full.ses_message_id = Some("m-1".into());
        let item = challenge_item(&full);
        assert_eq!(from_item(full.id, &item).unwrap(), full);
        assert_eq!(get_s(&item, PK), Some(key::challenge(full.id).as_str()));
        assert_eq!(get_s(&item, "held"), Some(HELD_FOR_MAILBOX));

        for invited_by in [None, Some("Ann from Support".to_owned())] {
            let invitation = challenge().invited(Invitation { invited_by });
            let item = challenge_item(&invitation);
            assert_eq!(from_item(invitation.id, &item).unwrap(), invitation);
        }
        assert_eq!(
            from_item(plain.id, &challenge_item(&plain))
                .unwrap()
                .invitation,
            None
        );
    }

    #[test]
    fn the_item_lives_a_day_past_its_expiry() {
        let challenge = challenge();
        let item = challenge_item(&challenge);
        assert_eq!(get_n(&item, EXPIRES_AT), Some(challenge.expires_at));
        assert_eq!(get_n(&item, TTL), Some(challenge.expires_at + 86_400));
    }

    #[test]
    fn a_corrupt_item_is_an_error_that_names_its_attribute() {
        let good = challenge_item(&challenge());
        let id = challenge().id;
        let cases: [(&str, Option<&str>); 6] = [
            (EMAIL, None),
            (EMAIL, Some("not an address")),
            (STATUS, None),
            (STATUS, Some("lost")),
            ("binding", Some("not-a-binding")),
            ("redirectUri", None),
        ];
        for (attribute, value) in cases {
            let mut item = good.clone();
            match value {
                None => item.remove(attribute),
                Some(value) => item.insert(attribute.to_owned(), s(value)),
            };
            let error = from_item(id, &item).unwrap_err().to_string();
            assert!(error.contains(attribute), "{attribute}={value:?}: {error}");
        }
    }

    #[test]
    fn what_later_writes_add_is_read_leniently() {
        let mut item = challenge_item(&challenge());
        item.insert(DELIVERY.to_owned(), s("bounced"));
        item.insert("locale".to_owned(), s("xx-invalid-!"));
        let read = from_item(challenge().id, &item).unwrap();
        assert_eq!(read.delivery, Some(Delivery::Bounced));
        assert_eq!(read.locale, None);
        item.insert(DELIVERY.to_owned(), s("something new"));
        assert_eq!(from_item(challenge().id, &item).unwrap().delivery, None);
    }
}
