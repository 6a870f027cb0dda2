//! CreateAuthChallenge: what the client is asked for. Only public
//! parameters, which say what to send; the answer is checked against the
//! token itself, so nothing private is kept in the session.

use std::collections::HashMap;

/// The parameters a client sees with `CUSTOM_CHALLENGE`.
pub fn public_parameters() -> HashMap<String, String> {
    HashMap::from([
        ("challenge".to_owned(), "MAGIC_LINK".to_owned()),
        (
            "answer".to_owned(),
            "the token from the sign-in link's fragment (after #)".to_owned(),
        ),
    ])
}

/// Recorded in the session, so later rounds can see what was asked.
pub const CHALLENGE_METADATA: &str = "MAGIC_LINK";
