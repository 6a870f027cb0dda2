//! Fuzzes the verifier's answer parser with hostile answers, and checks every
//! passkey assertion it reads against a registered passkey and an open
//! sign-in challenge, as a sign-in does.
//!
//! Whatever the input: no panic, and an assertion passes the check only if
//! it answers the open challenge with the registered credential (which no
//! mutation of the fuzzer's can sign).

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use magiclink::code::CodeDigits;
use magiclink::config::Env;
use magiclink_webauthn::soft::SoftAuthenticator;
use magiclink_webauthn::{PasskeyConfig, RelyingParty};
use magiclink_verifier::form::{AnswerForm, parse};

const SUB: &str = "5f1c2e3a-7b9d-4c1e-8f2a-6d3b9e0c1a24";

/// The relying party, a registered passkey (credential, id) and an open
/// sign-in challenge (challenge, state).
struct World {
    rp: RelyingParty,
    credential: String,
    credential_id: Vec<u8>,
    challenge: String,
    state: String,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let config = PasskeyConfig::from_env(&Env::from_pairs([
        ("PASSKEY_RP_ID", "example.com"),
        ("PASSKEY_ORIGINS", "https://example.com"),
    ]))
    .expect("a valid configuration")
    .expect("passkeys on");
    let rp = RelyingParty::new(&config);
    let authenticator =
        SoftAuthenticator::new(7, "example.com", "https://example.com", SUB.as_bytes());
    let registration = rp
        .registration(SUB, "someone@example.com", vec![])
        .expect("registration options");
    let registered = rp
        .register(
            authenticator.register(&registration.options),
            &registration.state,
        )
        .expect("the soft authenticator registers");
    let challenge = rp.sign_in().expect("a sign-in challenge");
    World {
        rp,
        credential: registered.credential,
        credential_id: registered.credential_id,
        challenge: challenge.challenge,
        state: challenge.state,
    }
});

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let world = &*WORLD;
    let Ok(AnswerForm::Passkey(assertion)) = parse(raw, CodeDigits::DEFAULT) else {
        return;
    };
    if world
        .rp
        .check(&assertion, &world.state, &world.credential, 0)
        .is_ok()
    {
        assert_eq!(assertion.challenge(), world.challenge);
        assert_eq!(assertion.credential_id(), world.credential_id.as_slice());
    }
});
