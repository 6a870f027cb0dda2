//! The one entry point for every trigger of the user pool: dispatch on
//! `triggerSource`, answer through the module that owns that trigger, and
//! hand the event back with its `response` filled in.
//!
//! Every invocation writes one structured log line: the trigger, its outcome
//! and the time it took. (Besides operations, this matters on the emulator,
//! which waits up to 50 ms after an invocation for a first log line.)

use std::time::{Instant, SystemTime};

use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsCreateAuthChallenge, CognitoEventUserPoolsDefineAuthChallenge,
    CognitoEventUserPoolsPreSignup, CognitoEventUserPoolsVerifyAuthChallenge,
};
use serde_json::Value;

use magiclink::metrics::{Metric, Point};
use magiclink::telemetry::emit;
use magiclink::token;

use crate::answer::{AnswerChecker, PasskeyRound, SigningIn};
use crate::define::{CUSTOM_CHALLENGE, Next, next_step};
use crate::{create, sign_up};

/// Why an event could not be handled. Cognito turns a Lambda error into a
/// failed request, so these are kept for events that are not ours and for
/// sign-ups that must fail.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("the event has no triggerSource")]
    NoTriggerSource,
    #[error("trigger {0} is not served by this function")]
    Unsupported(String),
    #[error(transparent)]
    SignUpRefused(#[from] sign_up::SignUpRefused),
    #[error(transparent)]
    Passkey(#[from] magiclink_webauthn::ceremony::CeremonyError),
    #[error("the {trigger} event is malformed: {source}")]
    Malformed {
        trigger: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Handles one trigger invocation, and logs it.
pub async fn handle(
    checker: &AnswerChecker,
    event: Value,
    now: SystemTime,
) -> Result<Value, TriggerError> {
    let started = Instant::now();
    let trigger = event
        .get("triggerSource")
        .and_then(Value::as_str)
        .unwrap_or("none")
        .to_owned();
    let result = dispatch(checker, event, now).await;
    emit(Point::time_by(
        Metric::TriggerTime,
        trigger_name(&trigger),
        started.elapsed(),
    ));
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match &result {
        Ok((outcome, _)) => tracing::info!(trigger, outcome, elapsed_ms, "trigger answered"),
        Err(error) => tracing::warn!(trigger, %error, elapsed_ms, "trigger failed"),
    }
    result.map(|(_, answer)| answer)
}

/// The trigger a `triggerSource` names, as the metrics' `Trigger` dimension.
fn trigger_name(source: &str) -> &'static str {
    match source {
        "DefineAuthChallenge_Authentication" => "DefineAuthChallenge",
        "CreateAuthChallenge_Authentication" => "CreateAuthChallenge",
        "VerifyAuthChallengeResponse_Authentication" => "VerifyAuthChallengeResponse",
        other if other.starts_with("PreSignUp_") => "PreSignUp",
        _ => "other",
    }
}

/// The outcome (for the log) and the answer of one invocation.
async fn dispatch(
    checker: &AnswerChecker,
    event: Value,
    now: SystemTime,
) -> Result<(&'static str, Value), TriggerError> {
    let source = event
        .get("triggerSource")
        .and_then(Value::as_str)
        .ok_or(TriggerError::NoTriggerSource)?
        .to_owned();
    let malformed = |source_error| TriggerError::Malformed {
        trigger: source.clone(),
        source: source_error,
    };
    let answer = match source.as_str() {
        "DefineAuthChallenge_Authentication" => {
            let mut e: CognitoEventUserPoolsDefineAuthChallenge =
                serde_json::from_value(event).map_err(malformed)?;
            let outcome = match next_step(&e.request.session) {
                Next::Challenge => {
                    e.response.challenge_name = Some(CUSTOM_CHALLENGE.to_owned());
                    "challenge"
                }
                Next::IssueTokens => {
                    e.response.issue_tokens = true;
                    "issue_tokens"
                }
                Next::Fail => {
                    e.response.fail_authentication = true;
                    "fail"
                }
            };
            (outcome, serde_json::to_value(e))
        }
        "CreateAuthChallenge_Authentication" => {
            let mut e: CognitoEventUserPoolsCreateAuthChallenge =
                serde_json::from_value(event).map_err(malformed)?;
            let round = create::round(checker.passkeys.as_ref().map(|p| &p.rp))?;
            e.response.public_challenge_parameters = round.public;
            e.response.private_challenge_parameters = round.private;
            e.response.challenge_metadata = Some(create::CHALLENGE_METADATA.to_owned());
            ("challenge_created", serde_json::to_value(e))
        }
        "VerifyAuthChallengeResponse_Authentication" => {
            let mut e: CognitoEventUserPoolsVerifyAuthChallenge =
                serde_json::from_value(event).map_err(malformed)?;
            let attribute = |name: &str| {
                (!e.request.user_not_found)
                    .then(|| e.request.user_attributes.get(name).map(String::as_str))
                    .flatten()
            };
            let audience = token::audience(
                e.cognito_event_user_pools_header
                    .user_pool_id
                    .as_deref()
                    .unwrap_or(""),
                e.cognito_event_user_pools_header
                    .caller_context
                    .client_id
                    .as_deref()
                    .unwrap_or(""),
            );
            let private = &e.request.private_challenge_parameters;
            let passkey_round = match (
                private.get(create::PASSKEY_CHALLENGE),
                private.get(create::PASSKEY_STATE),
            ) {
                (Some(challenge), Some(state)) => Some(PasskeyRound { challenge, state }),
                _ => None,
            };
            // An unknown user (Cognito runs the triggers for one when the
            // client prevents user-existence errors) is checked as the
            // address it was asked for, on the same path as a known user.
            let user_name = e.cognito_event_user_pools_header.user_name.as_deref();
            let who = SigningIn {
                email: attribute("email")
                    .or_else(|| user_name.filter(|_| e.request.user_not_found)),
                sub: attribute("sub"),
                audience: &audience,
                passkey_round,
            };
            let answer = e.request.challenge_answer.as_ref().and_then(Value::as_str);
            let verdict = checker.check(who, answer, now).await;
            e.response.answer_correct = verdict.is_correct();
            (verdict.outcome(), serde_json::to_value(e))
        }
        trigger if trigger.starts_with("PreSignUp_") => {
            // Handed back as it came: nothing is confirmed or verified here.
            let e: CognitoEventUserPoolsPreSignup =
                serde_json::from_value(event).map_err(malformed)?;
            sign_up::admit(trigger)?;
            ("admitted", serde_json::to_value(e))
        }
        other => return Err(TriggerError::Unsupported(other.to_owned())),
    };
    let (outcome, answer) = answer;
    Ok((outcome, answer.map_err(malformed)?))
}
