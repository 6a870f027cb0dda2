//! Fuzzes the link token's parser and verifier with hostile tokens.
//!
//! Half the inputs are the token itself; the other half are the bytes of the
//! claims inside a token that is correctly signed, so that the claim checks
//! (JSON, issuer, times, subject) are reached too, which a random signature
//! never would. Whatever the input: no panic, and a token accepted has passed
//! every check.

#![no_main]

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use magiclink_core::EmailAddress;
use magiclink_core::token::{Expectations, UnverifiedToken};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

static KEY: LazyLock<SigningKey> =
    LazyLock::new(|| SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar"));
static SUBJECT: LazyLock<EmailAddress> =
    LazyLock::new(|| EmailAddress::parse("ann@example.com").expect("a valid address"));
const NOW: u64 = 1_800_000_000;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let token = if mode % 2 == 0 {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#);
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(rest));
        let signature: Signature = KEY.sign(input.as_bytes());
        format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.normalize_s().to_bytes())
        )
    };
    let Ok(parsed) = UnverifiedToken::parse(&token) else {
        return;
    };
    let expect = Expectations {
        issuer: "magiclink",
        audience: "pool/client",
        subject: Some(&*SUBJECT),
    };
    if let Ok(claims) = parsed.verify(
        KEY.verifying_key(),
        expect,
        UNIX_EPOCH + Duration::from_secs(NOW),
    ) {
        assert_eq!(claims.iss, "magiclink");
        assert_eq!(&claims.sub, &*SUBJECT);
        assert!(claims.exp > NOW && claims.iat < claims.exp);
    }
});
