//! CreateAuthChallenge: what the client is asked for. The public parameters
//! say what to send. A link or a code is checked against the token or the
//! challenge itself, so nothing private is kept for them; with passkeys on,
//! each round also carries a fresh WebAuthn challenge (`passkeyOptions`, the
//! options for `navigator.credentials.get()`), whose ceremony state is the
//! round's private parameters.

use std::collections::HashMap;

use magiclink_webauthn::RelyingParty;
use magiclink_webauthn::ceremony::CeremonyError;

/// The private parameter that holds the round's passkey ceremony state.
pub const PASSKEY_STATE: &str = "passkeyState";

/// The private parameter that holds the round's passkey challenge
/// (base64url), which an assertion of this round answers.
pub const PASSKEY_CHALLENGE: &str = "passkeyChallenge";

/// The public and private parameters of one round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    pub public: HashMap<String, String>,
    pub private: HashMap<String, String>,
}

/// The parameters of a new round.
pub fn round(passkeys: Option<&RelyingParty>) -> Result<Round, CeremonyError> {
    let mut public = HashMap::from([
        ("challenge".to_owned(), "MAGIC_LINK".to_owned()),
        (
            "answer".to_owned(),
            "the token from the sign-in link's fragment (after #); or JSON: {\"challengeId\",\"code\"}, {\"challengeId\",\"verifier\"} or {\"passkey\": <PublicKeyCredential.toJSON()>}".to_owned(),
        ),
    ]);
    let mut private = HashMap::new();
    if let Some(rp) = passkeys {
        let challenge = rp.sign_in()?;
        public.insert("passkeyOptions".to_owned(), challenge.options.to_string());
        private.insert(PASSKEY_STATE.to_owned(), challenge.state);
        private.insert(PASSKEY_CHALLENGE.to_owned(), challenge.challenge);
    }
    Ok(Round { public, private })
}

/// Recorded in the session, so later rounds can see what was asked.
pub const CHALLENGE_METADATA: &str = "MAGIC_LINK";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use magiclink::config::Env;
    use magiclink_webauthn::PasskeyConfig;

    use super::*;

    #[test]
    fn without_passkeys_a_round_keeps_nothing_private() {
        let round = round(None).unwrap();
        assert_eq!(round.public["challenge"], "MAGIC_LINK");
        assert!(!round.public.contains_key("passkeyOptions"));
        assert!(round.private.is_empty());
    }

    #[test]
    fn with_passkeys_each_round_has_its_own_challenge() {
        let env = Env::from_pairs([
            ("PASSKEY_RP_ID", "example.com"),
            ("PASSKEY_ORIGINS", "https://example.com"),
        ]);
        let rp = RelyingParty::new(&PasskeyConfig::from_env(&env).unwrap().unwrap());
        let (first, second) = (round(Some(&rp)).unwrap(), round(Some(&rp)).unwrap());
        let options: serde_json::Value =
            serde_json::from_str(&first.public["passkeyOptions"]).unwrap();
        assert_eq!(options["rpId"], "example.com");
        assert_eq!(options["allowCredentials"], serde_json::json!([]));
        assert_ne!(
            first.public["passkeyOptions"],
            second.public["passkeyOptions"]
        );
        assert_eq!(
            first.private[PASSKEY_CHALLENGE],
            options["challenge"].as_str().unwrap()
        );
        assert!(first.private[PASSKEY_STATE].contains(&first.private[PASSKEY_CHALLENGE]));
    }
}
