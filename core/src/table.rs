//! The table, named once: the key of every item kind, and the attributes
//! that more than one function reads. The table is the contract between
//! the functions (the stores write an item, the relay reads its changes
//! from the stream, the feedback function and the mailer read what others
//! wrote), so its names live here and nowhere else; ARCHITECTURE.md lists
//! the item kinds, who writes them and who reads them, and a test keeps
//! that list, the template's IAM key prefixes and these names in step.
//!
//! Attribute names that only one store uses stay beside that store.

use ulid::Ulid;

use crate::email::EmailAddress;

/// The partition key of every item; the only key attribute.
pub const PK: &str = "pk";
/// The attribute DynamoDB's time to live reads (seconds since the epoch).
pub const TTL: &str = "ttl";

/// The prefix of each item kind's key.
pub mod prefix {
    /// `challenge#<ULID>`: a sign-in's challenge.
    pub const CHALLENGE: &str = "challenge#";
    /// `user#<address>`: a user's revocation watermark.
    pub const USER: &str = "user#";
    /// `account#<sub>`: the address magiclink verified for a Cognito user.
    pub const ACCOUNT: &str = "account#";
    /// `rate#<scope>#<key>#<window>#<n>`: a fixed-window counter.
    pub const RATE: &str = "rate#";
    /// `suppressed#<fingerprint>`: an address not mailed for a while.
    pub const SUPPRESSED: &str = "suppressed#";
    /// `passkeys#<sub>`: a user's passkeys.
    pub const PASSKEYS: &str = "passkeys#";
    /// `passkey-registration#<sub>`: a registration's ceremony state.
    pub const PASSKEY_REGISTRATION: &str = "passkey-registration#";
    /// `passkey-challenge#<challenge>`: a usernameless sign-in's challenge.
    pub const PASSKEY_CHALLENGE: &str = "passkey-challenge#";
    /// `notice#<event id>`: that a passkey change's notice went out.
    pub const NOTICE: &str = "notice#";
    /// `revocation#<ULID>`: a user's revocation, for its event.
    pub const REVOCATION: &str = "revocation#";
    /// `send-rate#<name>`: the sends of the last second, which every mailer
    /// instance reads and updates to share SES's rate.
    pub const SEND_RATE: &str = "send-rate#";

    /// Every prefix, for the checks that keep the documentation and the
    /// template's policies in step with the code.
    pub const ALL: [&str; 11] = [
        CHALLENGE,
        USER,
        ACCOUNT,
        RATE,
        SUPPRESSED,
        PASSKEYS,
        PASSKEY_REGISTRATION,
        PASSKEY_CHALLENGE,
        NOTICE,
        REVOCATION,
        SEND_RATE,
    ];
}

/// The keys of the items, written in one place.
pub mod key {
    use super::{EmailAddress, Ulid, prefix};

    pub fn challenge(id: Ulid) -> String {
        format!("{}{id}", prefix::CHALLENGE)
    }

    pub fn user(email: &EmailAddress) -> String {
        format!("{}{}", prefix::USER, email.as_str())
    }

    pub fn account(sub: &str) -> String {
        format!("{}{sub}", prefix::ACCOUNT)
    }

    /// The counter of `key` in `scope` for window number `index` of
    /// `window_secs` seconds.
    pub fn rate(scope: &str, key: &str, window_secs: u64, index: u64) -> String {
        format!("{}{scope}#{key}#{window_secs}#{index}", prefix::RATE)
    }

    pub fn suppressed(subject_hash: &str) -> String {
        format!("{}{subject_hash}", prefix::SUPPRESSED)
    }

    pub fn passkeys(sub: &str) -> String {
        format!("{}{sub}", prefix::PASSKEYS)
    }

    pub fn passkey_registration(sub: &str) -> String {
        format!("{}{sub}", prefix::PASSKEY_REGISTRATION)
    }

    pub fn passkey_challenge(challenge: &str) -> String {
        format!("{}{challenge}", prefix::PASSKEY_CHALLENGE)
    }

    pub fn notice(event_id: &str) -> String {
        format!("{}{event_id}", prefix::NOTICE)
    }

    pub fn revocation(id: Ulid) -> String {
        format!("{}{id}", prefix::REVOCATION)
    }

    /// The send-rate log named `name` (`ses`: the account's SES rate).
    pub fn send_rate(name: &str) -> String {
        format!("{}{name}", prefix::SEND_RATE)
    }
}

/// What an item's key says it is, for a reader of the stream: the kinds
/// whose changes are events, and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    /// A challenge, with the text after its prefix (a ULID when the item is
    /// well formed).
    Challenge(&'a str),
    /// A user's passkeys, with the user's `sub`.
    Passkeys(&'a str),
    /// A user's revocation, with the text after its prefix (a ULID).
    Revocation(&'a str),
    Other,
}

impl<'a> Kind<'a> {
    pub fn of(pk: &'a str) -> Self {
        if let Some(id) = pk.strip_prefix(prefix::CHALLENGE) {
            Self::Challenge(id)
        } else if let Some(sub) = pk.strip_prefix(prefix::PASSKEYS) {
            Self::Passkeys(sub)
        } else if let Some(id) = pk.strip_prefix(prefix::REVOCATION) {
            Self::Revocation(id)
        } else {
            Self::Other
        }
    }
}

/// The attributes of a challenge item that others than its store read: the
/// relay (to tell its changes as events) and the tests.
pub mod challenge {
    /// The address, as the request gave it after normalization.
    pub const EMAIL: &str = "email";
    /// [`ChallengeStatus`](crate::challenge::ChallengeStatus), as text.
    pub const STATUS: &str = "status";
    /// Seconds since the epoch: no use from then on.
    pub const EXPIRES_AT: &str = "expiresAt";
    /// How it was signed in with (`link`, `code`, `approval`).
    pub const CONSUMED_BY: &str = "consumedBy";
    /// Wrong approval numbers so far.
    pub const WRONG_NUMBERS: &str = "wrongNumbers";
    /// Where the mail is ([`Delivery`](crate::challenge::Delivery), as text).
    pub const DELIVERY: &str = "delivery";
    /// When SES's latest report on the mail was recorded.
    pub const DELIVERY_AT: &str = "deliveryAt";
    /// SES's id of the mail, once sent.
    pub const SES_MESSAGE_ID: &str = "sesMessageId";
    /// A bounce's type and subtype, a complaint's feedback type.
    pub const BOUNCE_TYPE: &str = "bounceType";
    pub const BOUNCE_SUB_TYPE: &str = "bounceSubType";
    pub const FEEDBACK_TYPE: &str = "feedbackType";
    /// On an invitation: who invited (may be empty: nobody named).
    pub const INVITED_BY: &str = "invitedBy";
}

/// The attributes of a revocation item (`revocation#<ULID>`), which the
/// relay reads to publish `UserRevoked`.
pub mod revocation {
    /// The fingerprint of the revoked user's address.
    pub const SUBJECT_HASH: &str = "subjectHash";
    /// Whether the user's passkeys were removed too (a boolean).
    pub const PASSKEYS: &str = "passkeys";
    /// Who asked: `admin` (the admin API) or `self` (the user).
    pub const BY: &str = "by";
}

/// The attributes of a suppression item (`suppressed#<fingerprint>`): its
/// store writes them, and the feedback role's IAM policy names them.
pub mod suppressed {
    /// Why the address is not mailed (a bounce or a complaint).
    pub const REASON: &str = "reason";
    /// Until when, seconds since the epoch.
    pub const UNTIL: &str = "until";
}

/// The attributes of a user's passkeys item (`passkeys#<sub>`) that others
/// than its store read: the relay, for the passkey events.
pub mod passkeys {
    /// The prefix of each passkey's attribute, `passkey#<ULID>`.
    pub const PASSKEY: &str = "passkey#";
    /// The fingerprint of the address the user had when the item changed.
    pub const SUBJECT_HASH: &str = "subjectHash";
    /// The last passkey sign-in (its passkey and time), which the verifier
    /// writes.
    pub const SIGN_IN: &str = "signIn";
    /// The browser the last registration or removal came from.
    pub const CHANGED_FROM: &str = "changedFrom";
    /// In a passkey's map: its name.
    pub const NAME: &str = "name";
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn repository_file(path: &str) -> String {
        let path = format!("{}/../{path}", std::env::var("CARGO_MANIFEST_DIR").unwrap());
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn each_key_is_its_prefix_and_reads_back_as_its_kind() {
        let id = Ulid::from_string("01JDV0ZKXH3T5P8W4R9YB2C6NQ").unwrap();
        let challenge = key::challenge(id);
        assert_eq!(challenge, "challenge#01JDV0ZKXH3T5P8W4R9YB2C6NQ");
        assert_eq!(
            Kind::of(&challenge),
            Kind::Challenge("01JDV0ZKXH3T5P8W4R9YB2C6NQ")
        );
        assert_eq!(Kind::of(&key::passkeys("sub-1")), Kind::Passkeys("sub-1"));
        assert_eq!(
            Kind::of(&key::revocation(id)),
            Kind::Revocation("01JDV0ZKXH3T5P8W4R9YB2C6NQ")
        );
        let email = EmailAddress::parse("Ann@Example.com").unwrap();
        for other in [
            key::user(&email),
            key::account("sub-1"),
            key::rate("ip", "x", 900, 3),
            key::suppressed("abc"),
            key::passkey_registration("sub-1"),
            key::passkey_challenge("c"),
            key::notice("e"),
            key::send_rate("ses"),
        ] {
            assert_eq!(Kind::of(&other), Kind::Other, "{other}");
            assert!(prefix::ALL.iter().any(|p| other.starts_with(p)), "{other}");
        }
        assert_eq!(key::rate("ip", "x", 900, 3), "rate#ip#x#900#3");
        assert_eq!(Kind::of("passkey-registration#x"), Kind::Other);
    }

    #[test]
    fn architecture_md_lists_every_item_kind() {
        let map = repository_file("ARCHITECTURE.md");
        for prefix in prefix::ALL {
            assert!(
                map.contains(&format!("| `{prefix}")),
                "ARCHITECTURE.md's table of items has no row for {prefix}"
            );
        }
    }

    #[test]
    fn the_templates_policies_name_only_known_prefixes() {
        let template = repository_file("infra/template.yaml");
        let mut named = 0;
        for line in template.lines() {
            let Some((_, list)) = line.split_once("dynamodb:LeadingKeys:") else {
                continue;
            };
            for quoted in list.split('"').skip(1).step_by(2) {
                named += 1;
                let known = quoted
                    .strip_suffix('*')
                    .is_some_and(|p| prefix::ALL.contains(&p));
                assert!(
                    known,
                    "the template names a key prefix the code does not know: {quoted}"
                );
            }
        }
        assert!(named > 0, "no dynamodb:LeadingKeys found in the template");
    }

    #[test]
    fn the_templates_attribute_conditions_name_only_the_tables_names() {
        let known = [
            PK,
            challenge::SES_MESSAGE_ID,
            challenge::DELIVERY,
            challenge::DELIVERY_AT,
            challenge::BOUNCE_TYPE,
            challenge::BOUNCE_SUB_TYPE,
            challenge::FEEDBACK_TYPE,
            TTL,
            suppressed::REASON,
            suppressed::UNTIL,
        ];
        let template = repository_file("infra/template.yaml");
        let mut lists = 0;
        for line in template.lines() {
            let Some((_, list)) = line.split_once("dynamodb:Attributes:") else {
                continue;
            };
            lists += 1;
            for name in list
                .trim()
                .trim_matches(['[', ']'])
                .split(',')
                .map(str::trim)
            {
                assert!(
                    known.contains(&name),
                    "the template grants an attribute the code does not name: {name}"
                );
            }
        }
        assert!(lists > 0, "no dynamodb:Attributes found in the template");
    }

    #[test]
    fn the_relays_stream_filter_passes_the_kinds_whose_changes_are_events() {
        let template = repository_file("infra/template.yaml");
        let filter = format!(
            r#"{{"prefix": "{}"}}, {{"prefix": "{}"}}, {{"prefix": "{}"}}"#,
            prefix::CHALLENGE,
            prefix::PASSKEYS,
            prefix::REVOCATION
        );
        assert!(
            template.contains(&filter),
            "the relay's filter is not {filter}"
        );
    }
}
