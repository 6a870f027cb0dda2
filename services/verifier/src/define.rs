//! DefineAuthChallenge: the state machine of a custom-auth session.
//!
//! A session is the list of challenges answered so far. Its next step:
//! - any challenge other than `CUSTOM_CHALLENGE` in it (say, a client that sent
//!   `SRP_A`): fail, since this pool signs in by link only;
//! - the last answer correct: issue tokens;
//! - [`MAX_ANSWERS`] wrong answers: fail;
//! - otherwise: ask (again) for the link's token.
//!
//! An unknown user (Cognito's `userNotFound`, with user-existence errors
//! prevented) is asked like anyone else; the answer is then refused, so the
//! flow reveals nothing about which addresses have accounts.

use aws_lambda_events::event::cognito::CognitoEventUserPoolsChallengeResult;

/// Wrong answers that end a session.
pub const MAX_ANSWERS: usize = 3;

/// The one challenge this pool uses.
pub const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// What Cognito should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Challenge,
    IssueTokens,
    Fail,
}

/// The next step for a session (see the module documentation).
pub fn next_step(session: &[Option<CognitoEventUserPoolsChallengeResult>]) -> Next {
    let mut answers = Vec::with_capacity(session.len());
    for entry in session {
        match entry {
            Some(result) if result.challenge_name.as_deref() == Some(CUSTOM_CHALLENGE) => {
                answers.push(result.challenge_result);
            }
            _ => return Next::Fail,
        }
    }
    match answers.last() {
        Some(true) => Next::IssueTokens,
        _ if answers.len() >= MAX_ANSWERS => Next::Fail,
        _ => Next::Challenge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(name: &str, correct: bool) -> Option<CognitoEventUserPoolsChallengeResult> {
        let mut result = CognitoEventUserPoolsChallengeResult::default();
        result.challenge_name = Some(name.to_owned());
        result.challenge_result = correct;
        Some(result)
    }

    fn custom(correct: bool) -> Option<CognitoEventUserPoolsChallengeResult> {
        round(CUSTOM_CHALLENGE, correct)
    }

    #[test]
    fn every_session_shape() {
        let cases: Vec<(
            &str,
            Vec<Option<CognitoEventUserPoolsChallengeResult>>,
            Next,
        )> = vec![
            ("fresh", vec![], Next::Challenge),
            ("right at once", vec![custom(true)], Next::IssueTokens),
            ("one wrong", vec![custom(false)], Next::Challenge),
            (
                "two wrong",
                vec![custom(false), custom(false)],
                Next::Challenge,
            ),
            (
                "three wrong",
                vec![custom(false), custom(false), custom(false)],
                Next::Fail,
            ),
            (
                "wrong then right",
                vec![custom(false), custom(true)],
                Next::IssueTokens,
            ),
            (
                "two wrong then right",
                vec![custom(false), custom(false), custom(true)],
                Next::IssueTokens,
            ),
            ("SRP first", vec![round("SRP_A", true)], Next::Fail),
            (
                "password verifier",
                vec![round("PASSWORD_VERIFIER", true), custom(true)],
                Next::Fail,
            ),
            (
                "custom then SMS",
                vec![custom(false), round("SMS_MFA", true)],
                Next::Fail,
            ),
            ("null entry", vec![None], Next::Fail),
            (
                "unnamed entry",
                vec![Some(CognitoEventUserPoolsChallengeResult::default())],
                Next::Fail,
            ),
        ];
        for (name, session, next) in cases {
            assert_eq!(next_step(&session), next, "{name}");
        }
    }
}
