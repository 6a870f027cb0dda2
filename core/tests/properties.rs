//! Property-based tests of the two parsers that face hostile input: the
//! e-mail address and the link token.

#![allow(
    clippy::unwrap_used,
    reason = "test code: a panic is how a test reports failure"
)]

use std::time::{Duration, UNIX_EPOCH};

use magiclink_core::token::{Expectations, UnverifiedToken, encode_signing_input, join_signature};
use magiclink_core::{EmailAddress, TokenClaims};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever the input, parsing ends in an address or an error, and an
    /// address is always of the promised shape and normalized for good.
    #[test]
    fn any_string_parses_to_a_safe_normalized_address_or_an_error(input in any::<String>()) {
        if let Ok(email) = EmailAddress::parse(&input) {
            let s = email.as_str();
            prop_assert!(s.len() <= 254);
            prop_assert!(s.is_ascii());
            prop_assert!(!s.chars().any(|c| c.is_control() || c.is_whitespace()));
            prop_assert_eq!(s.matches('@').count(), 1);
            prop_assert_eq!(s.to_ascii_lowercase(), s);
            prop_assert_eq!(EmailAddress::parse(s).unwrap(), email.clone());
        }
    }

    /// Near misses of valid addresses: random bytes spliced into one.
    #[test]
    fn spliced_addresses_are_safe_too(
        local in "[a-zA-Z0-9._%+-]{1,70}",
        domain in "[a-zA-Z0-9.-]{1,70}",
        junk in any::<String>(),
        at in 0usize..140,
    ) {
        let mut input = format!("{local}@{domain}");
        let at = at.min(input.len());
        if input.is_char_boundary(at) {
            input.insert_str(at, &junk);
        }
        if let Ok(email) = EmailAddress::parse(&input) {
            prop_assert!(email.as_str().len() <= 254 && email.as_str().is_ascii());
            prop_assert!(!email.as_str().contains(['\r', '\n', '\0', ' ']));
        }
    }

    /// Well-formed addresses are accepted and only lower-cased.
    #[test]
    fn well_formed_addresses_are_accepted(
        local in "[a-zA-Z0-9_+-]{1,20}(\\.[a-zA-Z0-9_+-]{1,20}){0,2}",
        labels in prop::collection::vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", 1..4),
        tld in "[a-zA-Z]{2,10}",
    ) {
        let input = format!("{local}@{}.{tld}", labels.join("."));
        let email = EmailAddress::parse(&input).unwrap();
        prop_assert_eq!(email.as_str(), input.to_ascii_lowercase());
    }

    /// Whatever the input, the token parser ends in a token or an error.
    #[test]
    fn any_string_is_parsed_or_refused(input in any::<String>()) {
        let _ = UnverifiedToken::parse(&input);
    }

    /// No change to a single byte of a valid token makes it verify.
    #[test]
    fn no_single_byte_change_of_a_token_verifies(position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (token, key, subject) = valid_token();
        let mut bytes = token.clone().into_bytes();
        let at = position.index(bytes.len());
        prop_assume!(bytes[at] != byte);
        bytes[at] = byte;
        let Ok(tampered) = String::from_utf8(bytes) else { return Ok(()) };
        let expect = Expectations { issuer: "magiclink", audience: "pool/client", subject: Some(&subject) };
        let verdict = UnverifiedToken::parse(&tampered)
            .and_then(|t| t.verify(key.verifying_key(), expect, UNIX_EPOCH + Duration::from_secs(1_800_000_001)));
        prop_assert!(verdict.is_err(), "{tampered} verified");
    }
}

fn valid_token() -> (String, SigningKey, EmailAddress) {
    let key = SigningKey::from_slice(&[7u8; 32]).unwrap();
    let subject = EmailAddress::parse("ann@example.com").unwrap();
    let claims = TokenClaims {
        iss: "magiclink".into(),
        aud: "pool/client".into(),
        sub: subject.clone(),
        jti: ulid::Ulid::from_parts(1_800_000_000_000, 1),
        iat: 1_800_000_000,
        exp: 1_800_000_900,
        ah: None,
        apv: false,
    };
    let input = encode_signing_input("k1", &claims);
    let signature: Signature = key.sign(input.as_bytes());
    (
        join_signature(&input, signature.to_der().as_bytes()).unwrap(),
        key,
        subject,
    )
}
