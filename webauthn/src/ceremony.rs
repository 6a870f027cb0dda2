//! The WebAuthn ceremonies of the relying party.
//!
//! - Registration: [`RelyingParty::registration`] gives the options for
//!   `navigator.credentials.create()` (a discoverable credential, so that the
//!   user can later sign in without typing an address; the user's handle is
//!   their Cognito `sub`) and the state to keep; [`RelyingParty::register`]
//!   checks the browser's answer against it (challenge, origin, RP id hash,
//!   flags, attestation `none` or a valid one) and gives the credential to
//!   store.
//! - Sign-in: [`RelyingParty::sign_in`] makes a challenge and its state;
//!   [`Assertion::read`] reads a browser's assertion strictly, within
//!   [`MAX_ASSERTION_BYTES`]; [`RelyingParty::check`] checks it against the
//!   stored credential (challenge, origin, RP id hash, user presence and, per
//!   configuration, verification, signature, counter).
//!
//! States are `webauthn-rs-core`'s own, as JSON; nothing in them is secret.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use magiclink::json::fault;
use serde::Deserialize;
use serde_json::Value;
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::error::WebauthnError;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AuthenticationState, Credential, PublicKeyCredential,
    RegisterPublicKeyCredential, RegistrationState, UserVerificationPolicy,
};

use crate::config::{PasskeyConfig, UserVerification};

/// An assertion longer than this is refused unread.
pub const MAX_ASSERTION_BYTES: usize = 6 * 1024;

/// WebAuthn's longest credential id.
pub const MAX_CREDENTIAL_ID_BYTES: usize = 1023;

/// WebAuthn's longest user handle.
pub const MAX_USER_HANDLE_BYTES: usize = 64;

/// How long the browser may take, and how long a challenge lives.
pub const CEREMONY_TIMEOUT: Duration = Duration::from_secs(300);

/// Why an assertion cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the assertion is longer than {MAX_ASSERTION_BYTES} bytes")]
    TooLong,
    #[error("the assertion is not a public-key credential: {0}")]
    NotACredential(String),
    #[error("the credential's type is not public-key")]
    WrongType,
    #[error("the credential's id and rawId differ")]
    IdMismatch,
    #[error("the credential id is empty or longer than {MAX_CREDENTIAL_ID_BYTES} bytes")]
    BadCredentialId,
    #[error("the user handle is empty or longer than {MAX_USER_HANDLE_BYTES} bytes")]
    BadUserHandle,
    #[error("the client data is not readable: {0}")]
    BadClientData(String),
}

/// Why an assertion or a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("it answers another challenge")]
    WrongChallenge,
    #[error("it was made on a page of an origin not allowed")]
    WrongOrigin,
    #[error("it was made for another relying party")]
    WrongRpId,
    #[error("the authenticator did not verify its user")]
    UserNotVerified,
    #[error("its signature does not verify with the passkey's public key")]
    BadSignature,
    #[error("the passkey's counter went backwards: it may have been cloned")]
    CounterRegressed,
    #[error("the credential's algorithm or key is not accepted")]
    UnsupportedKey,
    #[error("it is malformed: {0}")]
    Malformed(String),
}

impl From<WebauthnError> for Refusal {
    fn from(error: WebauthnError) -> Self {
        use WebauthnError as E;
        match error {
            E::MismatchedChallenge | E::ChallengeNotFound => Self::WrongChallenge,
            E::InvalidRPOrigin | E::CredentialCrossOrigin => Self::WrongOrigin,
            E::InvalidRPIDHash => Self::WrongRpId,
            E::UserNotPresent | E::UserNotVerified => Self::UserNotVerified,
            E::AuthenticationFailure | E::SignatureInvalid => Self::BadSignature,
            E::CredentialPossibleCompromise => Self::CounterRegressed,
            E::COSEKeyInvalidAlgorithm
            | E::COSEKeyEDUnsupported
            | E::COSEKeyInvalidType
            | E::COSEKeyECDSAInvalidCurve
            | E::CredentialAlteredAlgFromRequest
            | E::CredentialInsecureCryptography => Self::UnsupportedKey,
            other => Self::Malformed(other.to_string()),
        }
    }
}

/// A failure of the relying party itself (not of what the browser sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the passkey ceremony could not be prepared: {0}")]
pub struct CeremonyError(String);

/// Options for `navigator.credentials.create()` and the state to keep.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The `publicKey` member, base64url for the binary fields.
    pub options: Value,
    pub state: String,
}

/// A credential the browser registered, checked, to store.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The credential as JSON (`webauthn-rs-core`'s form).
    pub credential: String,
    pub credential_id: Vec<u8>,
    pub counter: u32,
}

/// A sign-in challenge: options for `navigator.credentials.get()`, the
/// challenge (base64url, as the assertion's client data carries it) and
/// the state to keep.
#[derive(Debug, Clone)]
pub struct SignInChallenge {
    pub options: Value,
    pub challenge: String,
    pub state: String,
}

/// What a checked assertion tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asserted {
    pub counter: u32,
    pub user_verified: bool,
}

/// A browser's assertion, read.
#[derive(Debug, Clone)]
pub struct Assertion {
    credential: PublicKeyCredential,
    challenge: String,
}

/// Two assertions are equal when they say the same, field for field.
impl PartialEq for Assertion {
    fn eq(&self, other: &Self) -> bool {
        self.challenge == other.challenge
            && serde_json::to_value(&self.credential).ok()
                == serde_json::to_value(&other.credential).ok()
    }
}

impl Eq for Assertion {}

/// The part of the client data read before the check: which challenge it
/// answers.
#[derive(Deserialize)]
struct ClientData {
    challenge: String,
}

impl Assertion {
    /// Reads an assertion as the browser's `PublicKeyCredential.toJSON()`
    /// gives it (binary fields in base64url).
    pub fn read(raw: &str) -> Result<Self, AssertionError> {
        if raw.len() > MAX_ASSERTION_BYTES {
            return Err(AssertionError::TooLong);
        }
        let value: Value =
            serde_json::from_str(raw).map_err(|e| AssertionError::NotACredential(fault(&e)))?;
        Self::from_value(value)
    }

    /// Reads an assertion already parsed as JSON.
    pub fn from_value(value: Value) -> Result<Self, AssertionError> {
        let credential: PublicKeyCredential =
            serde_json::from_value(value).map_err(|e| AssertionError::NotACredential(fault(&e)))?;
        if credential.type_ != "public-key" {
            return Err(AssertionError::WrongType);
        }
        if credential.raw_id.is_empty() || credential.raw_id.len() > MAX_CREDENTIAL_ID_BYTES {
            return Err(AssertionError::BadCredentialId);
        }
        if URL_SAFE_NO_PAD.decode(&credential.id).ok().as_deref() != Some(&credential.raw_id[..]) {
            return Err(AssertionError::IdMismatch);
        }
        if let Some(handle) = credential.get_user_unique_id()
            && (handle.is_empty() || handle.len() > MAX_USER_HANDLE_BYTES)
        {
            return Err(AssertionError::BadUserHandle);
        }
        let client_data: ClientData =
            serde_json::from_slice(credential.response.client_data_json.as_ref())
                .map_err(|e| AssertionError::BadClientData(fault(&e)))?;
        Ok(Self {
            credential,
            challenge: client_data.challenge,
        })
    }

    /// The challenge the client data says it answers (base64url).
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    pub fn credential_id(&self) -> &[u8] {
        &self.credential.raw_id
    }

    /// The user handle, which a discoverable credential gives back.
    pub fn user_handle(&self) -> Option<&[u8]> {
        self.credential.get_user_unique_id()
    }
}

/// The relying party, built once from its configuration.
#[derive(Debug)]
pub struct RelyingParty {
    core: WebauthnCore,
    policy: UserVerificationPolicy,
    rp_id: String,
}

impl RelyingParty {
    pub fn new(config: &PasskeyConfig) -> Self {
        Self {
            core: WebauthnCore::new_unsafe_experts_only(
                &config.rp_name,
                &config.rp_id,
                config.origins.clone(),
                CEREMONY_TIMEOUT,
                Some(false),
                Some(false),
            ),
            policy: match config.user_verification {
                UserVerification::Required => UserVerificationPolicy::Required,
                UserVerification::Preferred => UserVerificationPolicy::Preferred,
            },
            rp_id: config.rp_id.clone(),
        }
    }

    /// The relying party's id (a domain), which a browser's passkeys are scoped to.
    pub fn id(&self) -> &str {
        &self.rp_id
    }

    /// Options to register a passkey for the user whose handle is `sub`,
    /// shown as `name`, excluding the credentials they hold already.
    pub fn registration(
        &self,
        sub: &str,
        name: &str,
        exclude: Vec<Vec<u8>>,
    ) -> Result<Registration, CeremonyError> {
        let fail = |e: WebauthnError| CeremonyError(e.to_string());
        let builder = self
            .core
            .new_challenge_register_builder(sub.as_bytes(), name, name)
            .map_err(fail)?
            .attestation(AttestationConveyancePreference::None)
            .user_verification_policy(self.policy)
            .require_resident_key(true)
            .exclude_credentials(Some(exclude));
        let (options, state) = self
            .core
            .generate_challenge_register(builder)
            .map_err(fail)?;
        Ok(Registration {
            options: serde_json::to_value(options.public_key)
                .map_err(|e| CeremonyError(e.to_string()))?,
            state: serde_json::to_string(&state).map_err(|e| CeremonyError(e.to_string()))?,
        })
    }

    /// Checks the browser's answer to the registration of `state`.
    pub fn register(&self, answer: Value, state: &str) -> Result<Registered, Refusal> {
        let answer: RegisterPublicKeyCredential =
            serde_json::from_value(answer).map_err(|e| Refusal::Malformed(e.to_string()))?;
        if answer.type_ != "public-key" {
            return Err(Refusal::Malformed("the type is not public-key".into()));
        }
        let state: RegistrationState =
            serde_json::from_str(state).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let credential = self.core.register_credential(&answer, &state, None)?;
        Ok(Registered {
            credential: serde_json::to_string(&credential)
                .map_err(|e| Refusal::Malformed(e.to_string()))?,
            credential_id: credential.cred_id.clone(),
            counter: credential.counter,
        })
    }

    /// A sign-in challenge for any of the relying party's discoverable
    /// credentials.
    pub fn sign_in(&self) -> Result<SignInChallenge, CeremonyError> {
        let fail = |e: WebauthnError| CeremonyError(e.to_string());
        let builder = self
            .core
            .new_challenge_authenticate_builder(Vec::new(), Some(self.policy))
            .map_err(fail)?;
        let (options, state) = self
            .core
            .generate_challenge_authenticate(builder)
            .map_err(fail)?;
        let options =
            serde_json::to_value(options.public_key).map_err(|e| CeremonyError(e.to_string()))?;
        let challenge = options
            .get("challenge")
            .and_then(Value::as_str)
            .ok_or_else(|| CeremonyError("the options carry no challenge".into()))?
            .to_owned();
        Ok(SignInChallenge {
            options,
            challenge,
            state: serde_json::to_string(&state).map_err(|e| CeremonyError(e.to_string()))?,
        })
    }

    /// Checks `assertion` against the sign-in `state` and the stored
    /// `credential` (JSON), whose counter is now `counter`.
    pub fn check(
        &self,
        assertion: &Assertion,
        state: &str,
        credential: &str,
        counter: u32,
    ) -> Result<Asserted, Refusal> {
        let state: AuthenticationState =
            serde_json::from_str(state).map_err(|e| Refusal::Malformed(e.to_string()))?;
        let mut credential: Credential =
            serde_json::from_str(credential).map_err(|e| Refusal::Malformed(e.to_string()))?;
        credential.counter = counter;
        let result =
            self.core
                .authenticate_single_credential(&assertion.credential, &state, &credential)?;
        Ok(Asserted {
            counter: result.counter(),
            user_verified: result.user_verified(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use magiclink::config::Env;
    use serde_json::json;

    use super::*;
    use crate::soft::SoftAuthenticator;

    const ORIGIN: &str = "https://example.com";
    const SUB: &str = "3f1c2a8e-5d6b-4f7a-9c0d-1e2f3a4b5c6d";

    fn party(verification: &str) -> RelyingParty {
        let env = Env::from_pairs([
            ("PASSKEY_RP_ID", "example.com"),
            ("PASSKEY_ORIGINS", ORIGIN),
            ("PASSKEY_USER_VERIFICATION", verification),
        ]);
        RelyingParty::new(&PasskeyConfig::from_env(&env).unwrap().unwrap())
    }

    /// A registered authenticator, its stored credential and a party.
    fn registered() -> (RelyingParty, SoftAuthenticator, Registered) {
        let rp = party("required");
        let authenticator = SoftAuthenticator::new(7, "example.com", ORIGIN, SUB.as_bytes());
        let registration = rp.registration(SUB, "someone@example.com", vec![]).unwrap();
        let answer = authenticator.register(&registration.options);
        let stored = rp.register(answer, &registration.state).unwrap();
        (rp, authenticator, stored)
    }

    fn read(value: &Value) -> Assertion {
        Assertion::read(&value.to_string()).unwrap()
    }

    #[test]
    fn registration_options_ask_for_a_discoverable_verified_credential() {
        let options = party("required")
            .registration(SUB, "someone@example.com", vec![vec![1, 2, 3]])
            .unwrap()
            .options;
        assert_eq!(options["rp"]["id"], "example.com");
        assert_eq!(options["user"]["id"], URL_SAFE_NO_PAD.encode(SUB));
        assert_eq!(options["user"]["name"], "someone@example.com");
        assert_eq!(options["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(
            options["authenticatorSelection"]["userVerification"],
            "required"
        );
        assert_eq!(options["attestation"], "none");
        assert_eq!(options["excludeCredentials"][0]["id"], "AQID");
        assert!(options["challenge"].as_str().unwrap().len() >= 43);
    }

    #[test]
    fn a_registered_passkey_signs_in() {
        let (rp, mut authenticator, stored) = registered();
        assert_eq!(stored.credential_id, authenticator.credential_id);
        let challenge = rp.sign_in().unwrap();
        assert_eq!(challenge.options["userVerification"], "required");
        assert_eq!(challenge.options["rpId"], "example.com");
        let assertion = read(&authenticator.assert(&challenge.challenge));
        assert_eq!(assertion.challenge(), challenge.challenge);
        assert_eq!(assertion.user_handle(), Some(SUB.as_bytes()));
        let asserted = rp
            .check(&assertion, &challenge.state, &stored.credential, 0)
            .unwrap();
        assert_eq!(
            asserted,
            Asserted {
                counter: 0,
                user_verified: true
            }
        );
    }

    #[test]
    fn counters_must_move_forward() {
        let (rp, mut authenticator, stored) = registered();
        authenticator.counter = 5;
        let challenge = rp.sign_in().unwrap();
        let assertion = read(&authenticator.assert(&challenge.challenge));
        let asserted = rp
            .check(&assertion, &challenge.state, &stored.credential, 5)
            .unwrap();
        assert_eq!(asserted.counter, 6);
        let behind = read(&authenticator.assertion(&challenge.challenge, 4));
        assert_eq!(
            rp.check(&behind, &challenge.state, &stored.credential, 6),
            Err(Refusal::CounterRegressed)
        );
    }

    #[test]
    fn bad_assertions_are_refused_with_their_reason() {
        let (rp, authenticator, stored) = registered();
        let challenge = rp.sign_in().unwrap();
        let other = rp.sign_in().unwrap();
        let check = |a: &SoftAuthenticator, state: &str| {
            rp.check(
                &read(&a.assertion(&challenge.challenge, 0)),
                state,
                &stored.credential,
                0,
            )
        };
        assert_eq!(
            check(&authenticator, &other.state),
            Err(Refusal::WrongChallenge)
        );
        let mut elsewhere = authenticator.clone();
        elsewhere.origin = "https://evil.example.net".into();
        assert_eq!(
            check(&elsewhere, &challenge.state),
            Err(Refusal::WrongOrigin)
        );
        let mut sub_origin = authenticator.clone();
        sub_origin.origin = "https://app.example.com".into();
        assert_eq!(
            check(&sub_origin, &challenge.state),
            Err(Refusal::WrongOrigin)
        );
        let mut other_rp = authenticator.clone();
        other_rp.rp_id = "evil.example.net".into();
        assert_eq!(check(&other_rp, &challenge.state), Err(Refusal::WrongRpId));
        let mut unverified = authenticator.clone();
        unverified.verifies_user = false;
        assert_eq!(
            check(&unverified, &challenge.state),
            Err(Refusal::UserNotVerified)
        );
        let forger = SoftAuthenticator::new(8, "example.com", ORIGIN, SUB.as_bytes());
        let mut forged = forger.assertion(&challenge.challenge, 0);
        forged["id"] = json_string(&authenticator.credential_id);
        forged["rawId"] = json_string(&authenticator.credential_id);
        assert_eq!(
            rp.check(&read(&forged), &challenge.state, &stored.credential, 0),
            Err(Refusal::BadSignature)
        );
        let mut tampered = authenticator.assertion(&challenge.challenge, 0);
        let flipped = {
            let mut data = URL_SAFE_NO_PAD
                .decode(tampered["response"]["authenticatorData"].as_str().unwrap())
                .unwrap();
            data[33] = 0xff;
            URL_SAFE_NO_PAD.encode(data)
        };
        tampered["response"]["authenticatorData"] = Value::String(flipped);
        assert!(
            rp.check(&read(&tampered), &challenge.state, &stored.credential, 0)
                .is_err()
        );
    }

    #[test]
    fn preferred_verification_takes_presence_alone() {
        let rp = party("preferred");
        let mut authenticator = SoftAuthenticator::new(9, "example.com", ORIGIN, SUB.as_bytes());
        authenticator.verifies_user = false;
        let registration = rp.registration(SUB, "someone@example.com", vec![]).unwrap();
        let stored = rp
            .register(
                authenticator.register(&registration.options),
                &registration.state,
            )
            .unwrap();
        let challenge = rp.sign_in().unwrap();
        let assertion = read(&authenticator.assert(&challenge.challenge));
        let asserted = rp
            .check(&assertion, &challenge.state, &stored.credential, 0)
            .unwrap();
        assert!(!asserted.user_verified);
    }

    #[test]
    fn bad_registrations_are_refused_with_their_reason() {
        let rp = party("required");
        let authenticator = SoftAuthenticator::new(7, "example.com", ORIGIN, SUB.as_bytes());
        let registration = rp.registration(SUB, "someone@example.com", vec![]).unwrap();
        let other = rp.registration(SUB, "someone@example.com", vec![]).unwrap();
        let answer = authenticator.register(&registration.options);
        assert_eq!(
            rp.register(answer.clone(), &other.state).unwrap_err(),
            Refusal::WrongChallenge
        );
        let mut elsewhere = authenticator.clone();
        elsewhere.origin = "https://evil.example.net".into();
        assert_eq!(
            rp.register(
                elsewhere.register(&registration.options),
                &registration.state
            )
            .unwrap_err(),
            Refusal::WrongOrigin
        );
        let mut unverified = authenticator.clone();
        unverified.verifies_user = false;
        assert_eq!(
            rp.register(
                unverified.register(&registration.options),
                &registration.state
            )
            .unwrap_err(),
            Refusal::UserNotVerified
        );
        let excluding = rp
            .registration(
                SUB,
                "someone@example.com",
                vec![authenticator.credential_id.clone()],
            )
            .unwrap();
        assert!(
            rp.register(authenticator.register(&excluding.options), &excluding.state)
                .is_err()
        );
        for hostile in [
            json!(null),
            json!("text"),
            json!({}),
            json!({"id": "AQID", "rawId": "AQID", "type": "public-key", "response": {}}),
            json!({"id": "AQID", "rawId": "AQID", "type": "public-key",
                   "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}),
            json!({"id": "AQID", "rawId": "AQID", "type": "public-key",
                   "response": {"clientDataJSON": "!!", "attestationObject": "!!"}}),
        ] {
            assert!(
                matches!(
                    rp.register(hostile.clone(), &registration.state),
                    Err(Refusal::Malformed(_))
                ),
                "{hostile}"
            );
        }
        let mut huge = answer;
        huge["response"]["attestationObject"] = Value::String("A".repeat(200_000));
        assert!(rp.register(huge, &registration.state).is_err());
    }

    fn json_string(bytes: &[u8]) -> Value {
        Value::String(URL_SAFE_NO_PAD.encode(bytes))
    }

    #[test]
    fn hostile_assertions_are_refused_unread() {
        let (rp, authenticator, _) = registered();
        let challenge = rp.sign_in().unwrap();
        let good = authenticator.assertion(&challenge.challenge, 0);
        let with = |path: &[&str], value: Value| {
            let mut v = good.clone();
            let mut at = &mut v;
            for key in &path[..path.len() - 1] {
                at = &mut at[*key];
            }
            at[path[path.len() - 1]] = value;
            v.to_string()
        };
        type Expectation = fn(&AssertionError) -> bool;
        let cases: Vec<(String, Expectation)> = vec![
            ("x".repeat(MAX_ASSERTION_BYTES + 1), |e| {
                *e == AssertionError::TooLong
            }),
            ("[]".into(), |e| {
                matches!(e, AssertionError::NotACredential(_))
            }),
            ("{".into(), |e| {
                matches!(e, AssertionError::NotACredential(_))
            }),
            (with(&["type"], json!("password")), |e| {
                *e == AssertionError::WrongType
            }),
            (with(&["id"], json!("AAAA")), |e| {
                *e == AssertionError::IdMismatch
            }),
            (with(&["rawId"], json!("")), |e| {
                *e == AssertionError::BadCredentialId
            }),
            (with(&["rawId"], json!(7)), |e| {
                matches!(e, AssertionError::NotACredential(_))
            }),
            (
                with(&["response", "userHandle"], json!("A".repeat(100))),
                |e| *e == AssertionError::BadUserHandle,
            ),
            (
                with(&["response", "clientDataJSON"], json!("bm90IGpzb24")),
                |e| matches!(e, AssertionError::BadClientData(_)),
            ),
            (with(&["response", "clientDataJSON"], json!("e30")), |e| {
                matches!(e, AssertionError::BadClientData(_))
            }),
            (with(&["response", "signature"], json!("\u{0}\r\n")), |e| {
                matches!(e, AssertionError::NotACredential(_))
            }),
            (with(&["response"], json!(null)), |e| {
                matches!(e, AssertionError::NotACredential(_))
            }),
        ];
        for (raw, expected) in cases {
            let error = Assertion::read(&raw).unwrap_err();
            assert!(expected(&error), "{raw:.80}: {error:?}");
        }
    }

    /// A passkey of Windows Hello (RS256, user verified), recorded by
    /// webauthn-rs's authors: its registration and one sign-in, byte for byte.
    mod recorded {
        pub const RP_ID: &str = "etools-dev.example.com";
        pub const ORIGIN: &str = "https://etools-dev.example.com:8080";
        pub const REGISTRATION_CHALLENGE: &str = "FQky0FqnmV5KYqFU96E9aApSIRtjXiKcVFUf8Am8iDQ";
        pub const CREDENTIAL_ID: &str = "KwlEDOBCBc9P1YU3NWihYLCeY-I9KGMhPap9vwHbVoI";
        pub const ATTESTATION_OBJECT: &str = "o2NmbXRkbm9uZWdhdHRTdG10oGhhdXRoRGF0YVkBZ2wpgejnsqySxmYA_6D63eOJKMSO0N1z9i_GRS2layobRQAAAAAAAAAAAAAAAAAAAAAAAAAAACArCUQM4EIFz0_VhTc1aKFgsJ5j4j0oYyE9qn2_AdtWgqQBAwM5AQAgWQEApqOD6WFAiM9vJ1BQ5hMuOwz3l3GnnYzG46if0-hwdNE2lBqcOFg4G3Rm7VhjUUFPhfLAGRwtdIOB_blbI4EjwSxAVleJLBNK70iy8wvDh8LYbT5UrBC2UoyqAf9bUElkAXU9lLNfx6nk9K5FNrkPawUAbpsc83IgsNxdxKyeFgOaEpQUhF6mLRgbCP9sH-bEen3w19t2UOCSXFDbW9NYLRyFh1P01B15hGi9A2IqtAr56DuszG1AzotM9-YoJEdPC4tU05l9bGw3w80FWvhIKl4oiMFZA2ZtHkF1TGeWBCybaM9-XBChr9939ql_SA1TgQykZiqNrWaMNDkrcwzuWSFDAQAB";
        pub const REGISTRATION_CLIENT_DATA: &str = "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIiwiY2hhbGxlbmdlIjoiRlFreTBGcW5tVjVLWXFGVTk2RTlhQXBTSVJ0alhpS2NWRlVmOEFtOGlEUSIsIm9yaWdpbiI6Imh0dHBzOi8vZXRvb2xzLWRldi5leGFtcGxlLmNvbTo4MDgwIiwiY3Jvc3NPcmlnaW4iOmZhbHNlfQ";
        pub const SIGN_IN_CHALLENGE: &str = "vXR-a0od0rVjsq3WptR82x2pCToaG3j2V62p0vGZlr0";
        pub const AUTHENTICATOR_DATA: &str = "bCmB6OeyrJLGZgD_oPrd44koxI7Q3XP2L8ZFLaVrKhsFAAAAAQ";
        pub const SIGN_IN_CLIENT_DATA: &str = "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0IiwiY2hhbGxlbmdlIjoidlhSLWEwb2QwclZqc3EzV3B0UjgyeDJwQ1RvYUczajJWNjJwMHZHWmxyMCIsIm9yaWdpbiI6Imh0dHBzOi8vZXRvb2xzLWRldi5leGFtcGxlLmNvbTo4MDgwIiwiY3Jvc3NPcmlnaW4iOmZhbHNlfQ";
        pub const SIGNATURE: &str = "Tf2YU7jGBRBEM7IF5BSUqLYDyTuitWDdQ4jmPfwAJvSPYmQO4t_qOkgJ5r4AvbBlrLCSGd11Tw2wY9DThw889Wrow9clRojGGbqc4k3YVWSLSUmt0vR0VGy0inMPu4zGbtpO7mOD0uXyuIXbsetgu49S81h41rZ2WMad6VPOpbtvU9NEk4mwHK0kQlfh_MNltSx3xjDSury-FE4OMUOQg0xVRl-CiYSoIcRxUzsmLgGna8io8gZqjct7yzJFrQa3dXblvCd4vDA2dd8PmXoEGNo4-62mcfDnrxUc5PgKAUneNDlIMyyDzgTzQmQ9ce3dc7Ylux36Z7JoRZkv1EzI8g";
        pub const USER_HANDLE: &str = "bWNoYW4";
    }

    /// `state` (a ceremony's serialized state) with the recorded `challenge`
    /// in place of its own.
    fn with_challenge(state: &str, challenge: &str) -> String {
        let mut state: Value = serde_json::from_str(state).unwrap();
        state["challenge"] = json!(challenge);
        state.to_string()
    }

    #[test]
    fn a_recorded_windows_hello_passkey_registers_and_signs_in_once() {
        use recorded::*;
        let env = Env::from_pairs([("PASSKEY_RP_ID", RP_ID), ("PASSKEY_ORIGINS", ORIGIN)]);
        let rp = RelyingParty::new(&PasskeyConfig::from_env(&env).unwrap().unwrap());
        let registration = rp.registration("mchan", "mchan", vec![]).unwrap();
        let registered = rp
            .register(
                json!({
                    "id": CREDENTIAL_ID,
                    "rawId": CREDENTIAL_ID,
                    "type": "public-key",
                    "response": {
                        "attestationObject": ATTESTATION_OBJECT,
                        "clientDataJSON": REGISTRATION_CLIENT_DATA,
                    },
                }),
                &with_challenge(&registration.state, REGISTRATION_CHALLENGE),
            )
            .unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&registered.credential_id),
            CREDENTIAL_ID
        );
        assert_eq!(registered.counter, 0);

        let assertion = recorded_assertion(SIGNATURE);
        assert_eq!(assertion.challenge(), SIGN_IN_CHALLENGE);
        assert_eq!(assertion.user_handle(), Some(&b"mchan"[..]));
        let state = with_challenge(&rp.sign_in().unwrap().state, SIGN_IN_CHALLENGE);
        let asserted = rp
            .check(
                &assertion,
                &state,
                &registered.credential,
                registered.counter,
            )
            .unwrap();
        assert_eq!(asserted.counter, 1);
        assert!(asserted.user_verified);

        // Once the counter has moved to 1, the same assertion is a clone's.
        assert_eq!(
            rp.check(&assertion, &state, &registered.credential, 1),
            Err(Refusal::CounterRegressed)
        );
        // Against another challenge, or at another site, it is refused.
        let other = rp.sign_in().unwrap().state;
        assert_eq!(
            rp.check(&assertion, &other, &registered.credential, 0),
            Err(Refusal::WrongChallenge)
        );
        let elsewhere = party("required");
        assert_eq!(
            elsewhere.check(&assertion, &state, &registered.credential, 0),
            Err(Refusal::WrongOrigin)
        );
        // A signature with one bit flipped does not verify.
        let mut signature = URL_SAFE_NO_PAD.decode(SIGNATURE).unwrap();
        signature[100] ^= 1;
        let forged = recorded_assertion(&URL_SAFE_NO_PAD.encode(signature));
        assert_eq!(
            rp.check(&forged, &state, &registered.credential, 0),
            Err(Refusal::BadSignature)
        );
    }

    /// The recorded sign-in's assertion, with `signature` as its signature.
    fn recorded_assertion(signature: &str) -> Assertion {
        use recorded::*;
        Assertion::from_value(json!({
            "id": CREDENTIAL_ID,
            "rawId": CREDENTIAL_ID,
            "type": "public-key",
            "response": {
                "authenticatorData": AUTHENTICATOR_DATA,
                "clientDataJSON": SIGN_IN_CLIENT_DATA,
                "signature": signature,
                "userHandle": USER_HANDLE,
            },
        }))
        .unwrap()
    }
}
