//! The forms an answer to the custom challenge takes: a link's token; the
//! JSON text `{"challengeId":"<ULID>","code":"<digits>"}` with the code from
//! the same mail; after an approval from another device, the JSON text
//! `{"challengeId":"<ULID>","verifier":"<the asking browser's verifier>"}`;
//! or a passkey's assertion, `{"passkey":<PublicKeyCredential.toJSON()>}`
//! (read by [`magiclink_webauthn::Assertion`]).
//! Reading one is strict and bounded: anything else is `malformed`,
//! whatever its size or nesting.

use magiclink::binding::{BindingError, Verifier};
use magiclink::code::{CodeDigits, CodeFormatError, normalize};
use magiclink_webauthn::{Assertion, AssertionError};
use serde::Deserialize;
use ulid::Ulid;

/// Answers longer than this are refused unread (a token is far shorter; a
/// passkey's assertion, with a credential id of WebAuthn's longest, fits).
pub const MAX_ANSWER_LEN: usize = 8192;

/// A readable answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerForm<'a> {
    /// A link's token, to be verified.
    Link(&'a str),
    /// A code for a challenge, its digits alone.
    Code { challenge_id: Ulid, code: String },
    /// The verifier of the browser that asked for an approved challenge.
    Approval {
        challenge_id: Ulid,
        verifier: Verifier,
    },
    /// A passkey's assertion, read but not yet checked.
    Passkey(Box<Assertion>),
}

/// Why an answer cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the answer is longer than {MAX_ANSWER_LEN} bytes")]
    TooLong,
    #[error("the answer is not a code answer: {0}")]
    NotACodeAnswer(String),
    #[error("challengeId is not a ULID")]
    BadChallengeId,
    #[error(transparent)]
    BadCode(#[from] CodeFormatError),
    #[error(transparent)]
    BadVerifier(#[from] BindingError),
    #[error(transparent)]
    BadPasskey(#[from] AssertionError),
}

/// A JSON answer: `passkey` alone, or `challengeId` and exactly one of
/// `code` and `verifier`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct JsonAnswer {
    challenge_id: Option<String>,
    code: Option<String>,
    verifier: Option<String>,
    passkey: Option<serde_json::Value>,
}

/// Reads `raw`: JSON text (it starts with `{`) is a code, approval or
/// passkey answer, anything else is taken for a token.
pub fn parse(raw: &str, digits: CodeDigits) -> Result<AnswerForm<'_>, FormError> {
    if raw.len() > MAX_ANSWER_LEN {
        return Err(FormError::TooLong);
    }
    let raw = raw.trim();
    if !raw.starts_with('{') {
        return Ok(AnswerForm::Link(raw));
    }
    let answer: JsonAnswer = serde_json::from_str(raw)
        .map_err(|e| FormError::NotACodeAnswer(magiclink::json::fault(&e)))?;
    if let Some(passkey) = answer.passkey {
        if answer.challenge_id.is_some() || answer.code.is_some() || answer.verifier.is_some() {
            return Err(FormError::NotACodeAnswer(
                "a passkey answer carries the passkey alone".into(),
            ));
        }
        return Ok(AnswerForm::Passkey(Box::new(Assertion::from_value(
            passkey,
        )?)));
    }
    let challenge_id = answer
        .challenge_id
        .ok_or_else(|| FormError::NotACodeAnswer("challengeId is required".into()))?
        .parse()
        .map_err(|_| FormError::BadChallengeId)?;
    match (answer.code, answer.verifier) {
        (Some(code), None) => Ok(AnswerForm::Code {
            challenge_id,
            code: normalize(&code, digits)?,
        }),
        (None, Some(verifier)) => Ok(AnswerForm::Approval {
            challenge_id,
            verifier: Verifier::parse(&verifier)?,
        }),
        _ => Err(FormError::NotACodeAnswer(
            "exactly one of code and verifier is expected".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: a panic is how a test reports failure"
    )]

    use super::*;

    const ID: &str = "01KAB0ZQ8Y3N6M2F4T7W9XRCDE";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn read(raw: &str) -> Result<AnswerForm<'_>, FormError> {
        parse(raw, CodeDigits::DEFAULT)
    }

    #[test]
    fn a_token_is_a_link_answer() {
        assert_eq!(read(" a.b.c\n"), Ok(AnswerForm::Link("a.b.c")));
    }

    #[test]
    fn a_code_answer_names_its_challenge_and_its_digits() {
        let expected = AnswerForm::Code {
            challenge_id: ID.parse().unwrap(),
            code: "01234567".into(),
        };
        for raw in [
            format!(r#"{{"challengeId":"{ID}","code":"01234567"}}"#),
            format!(r#" {{ "code": "0123 4567", "challengeId": "{ID}" }} "#),
            format!(r#"{{"challengeId":"{ID}","code":"0123-4567"}}"#),
        ] {
            assert_eq!(read(&raw), Ok(expected.clone()), "{raw}");
        }
    }

    #[test]
    fn hostile_code_answers_are_refused_with_their_reason() {
        let with_code = |code: &str| format!(r#"{{"challengeId":"{ID}","code":{code}}}"#);
        assert_eq!(
            read(&with_code(r#""1234567""#)),
            Err(FormError::BadCode(CodeFormatError::WrongLength(8)))
        );
        assert_eq!(
            read(&with_code(r#""12345678901""#)),
            Err(FormError::BadCode(CodeFormatError::WrongLength(8)))
        );
        assert_eq!(
            read(&with_code(r#""1234567x""#)),
            Err(FormError::BadCode(CodeFormatError::NotDigits))
        );
        assert_eq!(
            read(&with_code(r#""1234\u00005678""#)),
            Err(FormError::BadCode(CodeFormatError::NotDigits))
        );
        assert_eq!(
            read(r#"{"challengeId":"not-a-ulid","code":"12345678"}"#),
            Err(FormError::BadChallengeId)
        );
        for raw in [
            with_code("12345678"),
            with_code(r#"["12345678"]"#),
            with_code("null"),
            format!(r#"{{"challengeId":"{ID}"}}"#),
            format!(r#"{{"challengeId":"{ID}","code":"12345678","extra":1}}"#),
            format!(r#"{{"challengeId":"{ID}","code":"12345678"}} trailing"#),
            "{".into(),
            "{}".into(),
            format!(r#"{{"challengeId":"{ID}","code":"12345678","verifier":"{VERIFIER}"}}"#),
            format!(r#"{{"challengeId":"{ID}","code":null,"verifier":null}}"#),
            format!(r#"{{"challengeId":"{ID}","verifier":7}}"#),
            format!(
                r#"{{"challengeId":{}"x"{}}}"#,
                "[".repeat(500),
                "]".repeat(500)
            ),
        ] {
            let error = read(&raw);
            assert!(
                matches!(error, Err(FormError::NotACodeAnswer(_))),
                "{raw:.80}: {error:?}"
            );
        }
        let huge = format!(r#"{{"challengeId":"{ID}","code":"{}"}}"#, "1".repeat(9000));
        assert_eq!(read(&huge), Err(FormError::TooLong));
    }

    #[test]
    fn an_approval_answer_names_its_challenge_and_the_verifier() {
        let raw = format!(r#"{{"verifier":"{VERIFIER}","challengeId":"{ID}"}}"#);
        assert_eq!(
            read(&raw),
            Ok(AnswerForm::Approval {
                challenge_id: ID.parse().unwrap(),
                verifier: Verifier::parse(VERIFIER).unwrap(),
            })
        );
    }

    #[test]
    fn hostile_verifiers_are_refused_with_their_reason() {
        for verifier in [
            "",
            &VERIFIER[..42],
            &format!("{VERIFIER} "),
            &format!(r"{}\u0000", &VERIFIER[..43]),
            &format!(r"{}\n", &VERIFIER[..43]),
            &"v".repeat(129),
        ] {
            let raw = format!(r#"{{"challengeId":"{ID}","verifier":"{verifier}"}}"#);
            assert_eq!(
                read(&raw),
                Err(FormError::BadVerifier(BindingError::BadVerifier)),
                "{raw}"
            );
        }
    }
}
