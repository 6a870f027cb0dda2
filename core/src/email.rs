//! The e-mail address that identifies a user.
//!
//! An [`EmailAddress`] is the normalized form: it is the Cognito username the
//! client passes to `InitiateAuth`, the token's `sub`, and where the mail goes.
//! Two spellings that reach the same mailbox in practice must give the same
//! value, and nothing that could smuggle a header or fool a reader may pass.
//!
//! The policy:
//! - Surrounding spaces are trimmed; nothing else is rewritten but case.
//! - Any control character anywhere (CR, LF, tab, NUL, DEL, C1) is refused, so
//!   no address can inject a mail header.
//! - ASCII only. Internationalized local parts (SMTPUTF8) are refused because
//!   SES cannot deliver to them; an internationalized domain must be written in
//!   its A-label form (`xn--…`). This also shuts out homoglyphs: `аpple.com`
//!   with a Cyrillic `а` is refused, not confused with `apple.com`.
//! - The whole address is lower-cased, the local part too. RFC 5321 allows a
//!   case-sensitive local part, but no common provider has one, and two
//!   accounts for `Ann@x.com` and `ann@x.com` would surprise everyone.
//! - Sub-addresses (`ann+news@x.com`) and dots are kept: they are the user's
//!   choice, and only their provider knows what they mean.
//! - The local part is a dot-atom (no quoted strings, no comments), at most 64
//!   octets; the domain is a host name of at least two labels (no IP
//!   literals), each label 1 to 63 letters, digits or inner hyphens, with a
//!   top-level label that is not all digits; the whole is at most 254 octets.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fingerprint::Fingerprints;

/// The longest address SMTP can carry in a path (RFC 5321 4.5.3.1.3 less the
/// angle brackets).
pub const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;

/// Why a string is not an acceptable address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than {MAX_LEN} octets")]
    TooLong,
    #[error("the address contains a control character")]
    ControlCharacter,
    #[error("the address contains a character outside ASCII; write the domain in its xn-- form")]
    NonAscii,
    #[error("the address has no @")]
    MissingAt,
    #[error("the address has more than one @")]
    MultipleAt,
    #[error("the part before @ is not a valid local part")]
    InvalidLocalPart,
    #[error("the part before @ is longer than {MAX_LOCAL_LEN} octets")]
    LocalPartTooLong,
    #[error("the part after @ is not a valid domain name")]
    InvalidDomain,
}

/// A normalized, validated e-mail address. See the module documentation for
/// the policy.
///
/// Its `Debug` form hides the local part, so an address that slips into a log
/// line does not leak; use [`EmailAddress::as_str`] where the whole address is
/// meant, and [`EmailAddress::fingerprint`] to correlate without revealing it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Validates and normalizes `input`.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim_matches(' ');
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.chars().any(char::is_control) {
            return Err(EmailError::ControlCharacter);
        }
        if !trimmed.is_ascii() {
            return Err(EmailError::NonAscii);
        }
        if trimmed.len() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let mut parts = trimmed.split('@');
        let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
            (Some(local), Some(domain), None) => (local, domain),
            (_, None, _) => return Err(EmailError::MissingAt),
            _ => return Err(EmailError::MultipleAt),
        };
        check_local_part(local)?;
        check_domain(domain)?;
        Ok(Self(trimmed.to_ascii_lowercase()))
    }

    /// The normalized address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The keyed fingerprint of the address (see [`crate::fingerprint`]):
    /// what logs and events carry so that one user's steps can be followed
    /// without the address.
    pub fn fingerprint(&self, keys: &Fingerprints) -> String {
        keys.of(&self.0)
    }

    /// The mailbox the address delivers to, as far as the rules of common
    /// providers tell: the `+tag` dropped, and for Gmail (`gmail.com`,
    /// `googlemail.com`) the dots of the local part dropped too, so that
    /// `V.ictim+1@GoogleMail.com` and `victim@gmail.com` are one mailbox.
    /// Used to rate-limit per mailbox, never as an identity: the address
    /// itself stays the user's choice.
    pub fn mailbox(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let local = local.split_once('+').map_or(local, |(base, _)| base);
        match domain {
            "gmail.com" | "googlemail.com" => format!("{}@gmail.com", local.replace('.', "")),
            _ => format!("{local}@{domain}"),
        }
    }
}

fn check_local_part(local: &str) -> Result<(), EmailError> {
    if local.len() > MAX_LOCAL_LEN {
        return Err(EmailError::LocalPartTooLong);
    }
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let well_formed = !local.is_empty()
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext));
    if well_formed {
        Ok(())
    } else {
        Err(EmailError::InvalidLocalPart)
    }
}

fn check_domain(domain: &str) -> Result<(), EmailError> {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=MAX_LABEL_LEN).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top_ok = labels
        .last()
        .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    if labels.len() >= 2 && labels.iter().all(label_ok) && top_ok {
        Ok(())
    } else {
        Err(EmailError::InvalidDomain)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress(***@{})", self.domain())
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, normalized: &str) {
        assert_eq!(
            EmailAddress::parse(input).map(|e| e.0),
            Ok(normalized.to_owned()),
            "input {input:?}"
        );
    }

    fn bad(input: &str, error: EmailError) {
        assert_eq!(EmailAddress::parse(input), Err(error), "input {input:?}");
    }

    #[test]
    fn accepts_and_normalizes() {
        ok("ann@example.com", "ann@example.com");
        ok("  Ann.Lee@Example.COM ", "ann.lee@example.com");
        ok("ann+news@example.com", "ann+news@example.com");
        ok("o'brien@example.ie", "o'brien@example.ie");
        ok("a@b.co", "a@b.co");
        ok("user@xn--bcher-kva.example", "user@xn--bcher-kva.example");
        ok(
            "first_last-1@sub-1.mail.example.org",
            "first_last-1@sub-1.mail.example.org",
        );
        ok(
            &format!("{}@example.com", "a".repeat(64)),
            &format!("{}@example.com", "a".repeat(64)),
        );
    }

    #[test]
    fn refuses_a_table_of_nasty_inputs() {
        use EmailError::*;
        let long_domain = format!("a@{}.com", vec!["b".repeat(60); 5].join("."));
        let over = format!("{}@example.com", "a".repeat(300));
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long_label = format!("ann@{}.com", "b".repeat(64));
        let cases: Vec<(&str, EmailError)> = vec![
            ("", Empty),
            ("   ", Empty),
            (
                "ann@example.com\r\nBcc: victim@example.com",
                ControlCharacter,
            ),
            ("ann@example.com\r\n", ControlCharacter),
            ("ann@example.com\n", ControlCharacter),
            ("\tann@example.com", ControlCharacter),
            ("ann\0@example.com", ControlCharacter),
            ("ann@exam\u{7f}ple.com", ControlCharacter),
            ("ann@example.com\u{85}", ControlCharacter),
            ("ann@\u{0430}pple.com", NonAscii),
            ("ann@ex\u{200b}ample.com", NonAscii),
            ("ann\u{a0}@example.com", NonAscii),
            ("j\u{f6}rg@example.com", NonAscii),
            ("ann@b\u{fc}cher.example", NonAscii),
            ("ann\u{ff20}example.com", NonAscii),
            (&over, TooLong),
            (&long_domain, TooLong),
            ("annexample.com", MissingAt),
            ("ann@@example.com", MultipleAt),
            ("\"ann@home\"@example.com", MultipleAt),
            ("@example.com", InvalidLocalPart),
            (".ann@example.com", InvalidLocalPart),
            ("ann.@example.com", InvalidLocalPart),
            ("an..n@example.com", InvalidLocalPart),
            ("ann lee@example.com", InvalidLocalPart),
            ("\"ann\"@example.com", InvalidLocalPart),
            ("ann(comment)@example.com", InvalidLocalPart),
            ("<ann@example.com>", InvalidLocalPart),
            ("ann,bob@example.com", InvalidLocalPart),
            (&long_local, LocalPartTooLong),
            ("ann@", InvalidDomain),
            ("ann@localhost", InvalidDomain),
            ("ann@example.com.", InvalidDomain),
            ("ann@.example.com", InvalidDomain),
            ("ann@exa..mple.com", InvalidDomain),
            ("ann@-example.com", InvalidDomain),
            ("ann@example-.com", InvalidDomain),
            ("ann@[127.0.0.1]", InvalidDomain),
            ("ann@127.0.0.1", InvalidDomain),
            ("ann@exa_mple.com", InvalidDomain),
            ("ann@example.com>", InvalidDomain),
            ("ann@example.com;bob", InvalidDomain),
            ("ann@example.com bcc", InvalidDomain),
            (&long_label, InvalidDomain),
        ];
        assert!(cases.len() >= 30);
        for (input, error) in cases {
            bad(input, error);
        }
    }

    #[test]
    fn debug_form_hides_the_local_part() {
        let email = EmailAddress::parse("secret.person@example.com").unwrap();
        let shown = format!("{email:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("example.com"));
    }

    #[test]
    fn one_mailbox_for_tags_case_and_gmail_dots() {
        let mailbox = |raw: &str| EmailAddress::parse(raw).unwrap().mailbox();
        assert_eq!(mailbox("V.ictim+1@GMAIL.com"), "victim@gmail.com");
        assert_eq!(mailbox("victim@googlemail.com"), "victim@gmail.com");
        assert_eq!(mailbox("v.i.c.t.i.m+a+b@gmail.com"), "victim@gmail.com");
        assert_eq!(mailbox("Ann.Lee+news@Example.com"), "ann.lee@example.com");
        assert_eq!(mailbox("ann@example.com"), "ann@example.com");
        // A local part that is all tag keeps its (empty) base: still one mailbox.
        assert_eq!(mailbox("+x@example.com"), "@example.com");
        assert_ne!(mailbox("victim@gmail.co"), mailbox("victim@gmail.com"));
    }

    #[test]
    fn fingerprint_is_keyed_and_stable() {
        let (k1, k2) = (Fingerprints::from_key(b"k1"), Fingerprints::from_key(b"k2"));
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let same = EmailAddress::parse("ANN@example.com").unwrap();
        assert_eq!(email.fingerprint(&k1), same.fingerprint(&k1));
        assert_ne!(email.fingerprint(&k1), email.fingerprint(&k2));
        assert_eq!(email.fingerprint(&k1).len(), 32);
        assert!(!email.fingerprint(&k1).contains("ann"));
    }

    #[test]
    fn deserializing_validates() {
        let email: EmailAddress = serde_json::from_str("\"Ann@Example.com\"").unwrap();
        assert_eq!(email.as_str(), "ann@example.com");
        assert!(serde_json::from_str::<EmailAddress>("\"ann@\"").is_err());
    }
}
