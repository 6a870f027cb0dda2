//! The one-time code in a sign-in mail: the second way to answer the same
//! challenge, for a mail read on another device than the one signing in.
//!
//! A code is derived from the challenge id, never stored: the first 64 bits
//! of HMAC-SHA-256 under the code key, taken modulo 10^digits. The code key
//! is derived from a KMS HMAC key (see [`crate::derived_key`]) whose policy
//! lets only the mailer and the verifier use it, so nobody who can read the
//! table, the logs or the events, nor the request service that makes the
//! challenges, can compute a challenge's code. (A plain or simply hashed code
//! in the table would be no protection: an 8-digit space is searched in
//! seconds.) Guessing is bounded by the store: five wrong codes burn a
//! challenge, across any number of Cognito sessions.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use ulid::Ulid;

use crate::derived_key::Derived;

/// How many digits a code has: 6 to 10 (`CodeDigits`, default 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeDigits(u8);

impl CodeDigits {
    pub const DEFAULT: Self = Self(8);

    pub fn new(digits: u8) -> Option<Self> {
        (6..=10).contains(&digits).then_some(Self(digits))
    }

    pub fn get(self) -> usize {
        usize::from(self.0)
    }
}

impl std::str::FromStr for CodeDigits {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        raw.trim()
            .parse()
            .ok()
            .and_then(Self::new)
            .ok_or_else(|| "a code has 6 to 10 digits".to_owned())
    }
}

/// The key codes are derived with.
#[derive(Clone)]
pub struct CodeKey {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKey(<key>)")
    }
}

impl Derived for CodeKey {
    const LABEL: &'static [u8] = b"magiclink code key v1";
    const NAME: &'static str = "code";

    fn from_key(key: &[u8]) -> Self {
        Self {
            mac: <Hmac<Sha256> as KeyInit>::new_from_slice(key)
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length")),
        }
    }
}

impl CodeKey {
    /// The code of `challenge`: `digits` decimal digits, leading zeros kept.
    pub fn code(&self, challenge: Ulid, digits: CodeDigits) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"code v1\0");
        mac.update(&challenge.to_bytes());
        let out = mac.finalize().into_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&out[..8]);
        // 2^64 is no multiple of 10^digits, but the bias is below 10^-9.
        let value = u64::from_be_bytes(first) % 10u64.pow(u32::from(digits.0));
        format!("{value:0width$}", width = digits.get())
    }

    /// Whether `given` (already [`normalize`]d) is the code of `challenge`,
    /// compared in constant time.
    pub fn matches(&self, challenge: Ulid, digits: CodeDigits, given: &str) -> bool {
        let expected = self.code(challenge, digits);
        bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
    }
}

/// Why a typed code cannot be a code at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeFormatError {
    #[error("a code is made of digits")]
    NotDigits,
    #[error("a code has {0} digits")]
    WrongLength(usize),
}

/// The code a person typed or pasted, without the spaces and dashes people
/// put in (`1234 5678`, `1234-5678`): exactly `digits` ASCII digits.
pub fn normalize(typed: &str, digits: CodeDigits) -> Result<String, CodeFormatError> {
    if typed.len() > 64 {
        return Err(CodeFormatError::WrongLength(digits.get()));
    }
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{a0}' | '\t'))
        .collect();
    if !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(CodeFormatError::NotDigits);
    }
    if code.len() != digits.get() {
        return Err(CodeFormatError::WrongLength(digits.get()));
    }
    Ok(code)
}

/// A code as a person reads it: two groups (`1234 5678`, `123 456`).
pub fn grouped(code: &str) -> String {
    let split = code.len().div_ceil(2);
    match (code.get(..split), code.get(split..)) {
        (Some(first), Some(second)) if !second.is_empty() => format!("{first} {second}"),
        _ => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: a panic is how a test reports failure"
    )]

    use super::*;

    fn key(k: &[u8]) -> CodeKey {
        CodeKey::from_key(k)
    }

    const ID: &str = "01KAB0ZQ8Y3N6M2F4T7W9XRCDE";

    #[test]
    fn known_value() {
        // printf 'code v1\0' + the ULID's 16 bytes | openssl dgst -sha256 -hmac k;
        // the first 8 bytes as a big-endian integer, modulo 10^8.
        let id: Ulid = ID.parse().unwrap();
        let mut message = b"code v1\0".to_vec();
        message.extend_from_slice(&id.to_bytes());
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"k").unwrap();
        mac.update(&message);
        let out = mac.finalize().into_bytes();
        let first = u64::from_be_bytes(out[..8].try_into().unwrap());
        assert_eq!(
            key(b"k").code(id, CodeDigits::DEFAULT),
            format!("{:08}", first % 100_000_000)
        );
    }

    #[test]
    fn codes_have_the_configured_digits_and_depend_on_key_and_challenge() {
        let id: Ulid = ID.parse().unwrap();
        for digits in 6..=10 {
            let digits = CodeDigits::new(digits).unwrap();
            let code = key(b"k").code(id, digits);
            assert_eq!(code.len(), digits.get());
            assert!(code.chars().all(|c| c.is_ascii_digit()));
        }
        let eight = CodeDigits::DEFAULT;
        assert_eq!(key(b"k").code(id, eight), key(b"k").code(id, eight));
        assert_ne!(key(b"k").code(id, eight), key(b"l").code(id, eight));
        assert_ne!(
            key(b"k").code(id, eight),
            key(b"k").code(Ulid::from_parts(1, 2), eight)
        );
        assert!(CodeDigits::new(5).is_none() && CodeDigits::new(11).is_none());
        assert_eq!("6".parse::<CodeDigits>(), Ok(CodeDigits(6)));
        assert!("eight".parse::<CodeDigits>().is_err());
    }

    #[test]
    fn codes_are_spread_over_their_range() {
        // 2,000 challenges, 6 digits: every leading digit turns up, and no
        // code is repeated more than a handful of times.
        let k = key(b"k");
        let six = CodeDigits::new(6).unwrap();
        let codes: Vec<String> = (0..2000u64)
            .map(|i| k.code(Ulid::from_parts(i, u128::from(i)), six))
            .collect();
        let leading: std::collections::HashSet<char> =
            codes.iter().filter_map(|c| c.chars().next()).collect();
        assert_eq!(leading.len(), 10);
        let distinct: std::collections::HashSet<&String> = codes.iter().collect();
        assert!(distinct.len() > 1990, "{}", distinct.len());
    }

    #[test]
    fn only_the_right_code_matches() {
        let (k, id) = (key(b"k"), ID.parse().unwrap());
        let code = k.code(id, CodeDigits::DEFAULT);
        assert!(k.matches(id, CodeDigits::DEFAULT, &code));
        let mut wrong = code.clone().into_bytes();
        wrong[7] = if wrong[7] == b'9' { b'0' } else { wrong[7] + 1 };
        assert!(!k.matches(
            id,
            CodeDigits::DEFAULT,
            std::str::from_utf8(&wrong).unwrap()
        ));
        assert!(!k.matches(id, CodeDigits::DEFAULT, &code[..7]));
        assert!(!k.matches(id, CodeDigits::DEFAULT, ""));
    }

    #[test]
    fn typed_codes_lose_their_spaces_and_dashes_and_nothing_else() {
        let eight = CodeDigits::DEFAULT;
        for typed in ["12345678", "1234 5678", " 1234-5678 ", "12\u{a0}34\t5678"] {
            assert_eq!(normalize(typed, eight), Ok("12345678".into()), "{typed:?}");
        }
        assert_eq!(
            normalize("1234567", eight),
            Err(CodeFormatError::WrongLength(8))
        );
        assert_eq!(
            normalize("123456789", eight),
            Err(CodeFormatError::WrongLength(8))
        );
        assert_eq!(normalize("", eight), Err(CodeFormatError::WrongLength(8)));
        assert_eq!(
            normalize(&"1".repeat(10_000), eight),
            Err(CodeFormatError::WrongLength(8))
        );
        for typed in [
            "1234567a",
            "１２３４５６７８",
            "1234.5678",
            "+12345678",
            "1234\n5678",
            "0x123456",
        ] {
            assert_eq!(
                normalize(typed, eight),
                Err(CodeFormatError::NotDigits),
                "{typed:?}"
            );
        }
    }

    #[test]
    fn codes_are_read_in_two_groups() {
        assert_eq!(grouped("12345678"), "1234 5678");
        assert_eq!(grouped("123456"), "123 456");
        assert_eq!(grouped("1234567"), "1234 567");
        assert_eq!(grouped("1234567890"), "12345 67890");
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        assert_eq!(format!("{:?}", key(b"secret")), "CodeKey(<key>)");
    }
}
