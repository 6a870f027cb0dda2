//! Cross-device approval: the asking browser's secret and what the server
//! keeps of it.
//!
//! A browser that asks for a link may keep a random [`Verifier`] (43 to 128
//! base64url characters, like a PKCE code verifier) and send its
//! [`DeviceBinding`], base64url(SHA-256(verifier)), with the request. The server
//! stores only the binding, from which the verifier cannot be found: it is
//! 256 bits of randomness when the client makes it as ours does. Whoever
//! shows the verifier later (to read the challenge's status, or to answer
//! Cognito after the approval) is the browser that asked.
//!
//! The two-digit [`DeviceBinding::number`], `u16be(SHA-256(verifier)[0..2]) mod
//! 100`, is shown on the asking screen; the person who opens the link on
//! another device types it to approve. It is not a secret (it is on the
//! screen); it guards against approving a request somebody else made.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest verifier accepted: 32 random bytes in base64url.
pub const MIN_VERIFIER_LEN: usize = 43;
/// The longest verifier accepted.
pub const MAX_VERIFIER_LEN: usize = 128;
/// The length of a binding: 32 bytes in base64url without padding.
pub const BINDING_LEN: usize = 43;

/// Why a verifier or a binding is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BindingError {
    #[error(
        "the verifier must be {MIN_VERIFIER_LEN} to {MAX_VERIFIER_LEN} base64url characters (A-Z, a-z, 0-9, - and _)"
    )]
    BadVerifier,
    #[error("the binding must be {BINDING_LEN} base64url characters: the SHA-256 of the verifier")]
    BadBinding,
}

/// The asking browser's secret, as it shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Verifier(String);

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier(<redacted>)")
    }
}

impl Verifier {
    /// Checks `raw`'s length and alphabet.
    pub fn parse(raw: &str) -> Result<Self, BindingError> {
        let fits = (MIN_VERIFIER_LEN..=MAX_VERIFIER_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if fits {
            Ok(Self(raw.to_owned()))
        } else {
            Err(BindingError::BadVerifier)
        }
    }

    /// The binding this verifier proves.
    pub fn binding(&self) -> DeviceBinding {
        DeviceBinding(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// What the server keeps: SHA-256 of the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceBinding([u8; 32]);

impl DeviceBinding {
    /// Reads a binding in its base64url form: exactly 43 characters that
    /// decode to 32 bytes (one spelling per binding: the last character's
    /// unused bits must be zero).
    pub fn parse(raw: &str) -> Result<Self, BindingError> {
        if raw.len() != BINDING_LEN {
            return Err(BindingError::BadBinding);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| BindingError::BadBinding)?;
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| BindingError::BadBinding)
    }

    /// The base64url form, as stored.
    pub fn encoded(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// The number the asking screen shows and the approver types: 0 to 99.
    pub fn number(&self) -> u8 {
        // At most 99: the cast cannot truncate.
        (u16::from_be_bytes([self.0[0], self.0[1]]) % 100) as u8
    }

    /// Whether `verifier` is the one this binding was made from; constant
    /// time in the hashes' contents.
    pub fn is_proved_by(&self, verifier: &Verifier) -> bool {
        self.0.ct_eq(&verifier.binding().0).into()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    // RFC 7636, appendix B: the verifier and its S256 challenge.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const BINDING: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_binding_is_the_pkce_s256_challenge_of_the_verifier() {
        let verifier = Verifier::parse(VERIFIER).unwrap();
        assert_eq!(verifier.binding().encoded(), BINDING);
        assert_eq!(DeviceBinding::parse(BINDING).unwrap(), verifier.binding());
        assert!(
            DeviceBinding::parse(BINDING)
                .unwrap()
                .is_proved_by(&verifier)
        );
    }

    #[test]
    fn the_number_is_the_first_two_bytes_mod_100() {
        // SHA-256 of the verifier starts 0x13 0xd3: 5075 mod 100.
        assert_eq!(DeviceBinding::parse(BINDING).unwrap().number(), 75);
        let mut numbers = std::collections::BTreeSet::new();
        for i in 0..2000 {
            let verifier = Verifier::parse(&format!("{VERIFIER}{i}")).unwrap();
            numbers.insert(verifier.binding().number());
        }
        assert_eq!(numbers.len(), 100, "every number from 0 to 99 occurs");
        assert_eq!(numbers.last(), Some(&99));
    }

    #[test]
    fn another_verifier_does_not_prove_the_binding() {
        let binding = DeviceBinding::parse(BINDING).unwrap();
        let other = Verifier::parse(&VERIFIER.replace('d', "e")).unwrap();
        assert!(!binding.is_proved_by(&other));
    }

    #[test]
    fn hostile_verifiers_are_refused() {
        for raw in [
            "",
            &VERIFIER[..42],
            &"a".repeat(129),
            &format!("{}=", &VERIFIER[..43]),
            &format!("{} ", &VERIFIER[..43]),
            &format!("{}\n", &VERIFIER[..43]),
            &format!("{}\u{0}", &VERIFIER[..43]),
            &format!("{}+/", &VERIFIER[..43]),
            &format!("{}é", &VERIFIER[..42]),
        ] {
            assert_eq!(
                Verifier::parse(raw),
                Err(BindingError::BadVerifier),
                "{raw:?}"
            );
        }
        assert!(Verifier::parse(&"a".repeat(128)).is_ok());
    }

    #[test]
    fn hostile_bindings_are_refused() {
        for raw in [
            "",
            &BINDING[..42],
            &format!("{BINDING}A"),
            &format!("{BINDING}="),
            &BINDING.replace('-', "+"),
            // The last character's two unused bits set: a second spelling.
            &format!("{}N", &BINDING[..42]),
            &format!("{}\n", &BINDING[..42]),
            &format!("{}a", "é".repeat(21)),
        ] {
            assert_eq!(
                DeviceBinding::parse(raw),
                Err(BindingError::BadBinding),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn a_verifier_never_shows_in_debug_output() {
        let verifier = Verifier::parse(VERIFIER).unwrap();
        assert!(!format!("{verifier:?}").contains(VERIFIER));
    }
}
