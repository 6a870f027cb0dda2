//! The one entry point for every trigger of the user pool: dispatch on
//! `triggerSource`, answer through the module that owns that trigger, and
//! hand the event back with its `response` filled in.

use std::time::SystemTime;

use aws_lambda_events::event::cognito::{
    CognitoEventUserPoolsCreateAuthChallenge, CognitoEventUserPoolsDefineAuthChallenge,
    CognitoEventUserPoolsPreSignup, CognitoEventUserPoolsVerifyAuthChallenge,
};
use serde_json::Value;

use crate::answer::AnswerChecker;
use crate::define::{CUSTOM_CHALLENGE, Next, next_step};
use crate::{create, sign_up};

/// Why an event could not be handled. Cognito turns a Lambda error into a
/// failed request, so these are kept for events that are not ours.
#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("the event has no triggerSource")]
    NoTriggerSource,
    #[error("trigger {0} is not served by this function")]
    Unsupported(String),
    #[error("the {trigger} event is malformed: {source}")]
    Malformed {
        trigger: String,
        #[source]
        source: serde_json::Error,
    },
}

/// Handles one trigger invocation.
pub async fn handle(
    checker: &AnswerChecker,
    event: Value,
    now: SystemTime,
) -> Result<Value, TriggerError> {
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
            match next_step(&e.request.session) {
                Next::Challenge => e.response.challenge_name = Some(CUSTOM_CHALLENGE.to_owned()),
                Next::IssueTokens => e.response.issue_tokens = true,
                Next::Fail => e.response.fail_authentication = true,
            }
            serde_json::to_value(e)
        }
        "CreateAuthChallenge_Authentication" => {
            let mut e: CognitoEventUserPoolsCreateAuthChallenge =
                serde_json::from_value(event).map_err(malformed)?;
            e.response.public_challenge_parameters = create::public_parameters();
            e.response.challenge_metadata = Some(create::CHALLENGE_METADATA.to_owned());
            serde_json::to_value(e)
        }
        "VerifyAuthChallengeResponse_Authentication" => {
            let mut e: CognitoEventUserPoolsVerifyAuthChallenge =
                serde_json::from_value(event).map_err(malformed)?;
            let email = if e.request.user_not_found {
                None
            } else {
                e.request.user_attributes.get("email").map(String::as_str)
            };
            let answer = e.request.challenge_answer.as_ref().and_then(Value::as_str);
            let verdict = checker.check(email, answer, now).await;
            e.response.answer_correct = verdict.is_correct();
            serde_json::to_value(e)
        }
        trigger if trigger.starts_with("PreSignUp_") => {
            let mut e: CognitoEventUserPoolsPreSignup =
                serde_json::from_value(event).map_err(malformed)?;
            let has_email = e.request.user_attributes.contains_key("email");
            if let Some((confirm, verify)) = sign_up::confirm(trigger, has_email) {
                e.response.auto_confirm_user = confirm;
                e.response.auto_verify_email = verify;
            }
            serde_json::to_value(e)
        }
        other => return Err(TriggerError::Unsupported(other.to_owned())),
    };
    answer.map_err(malformed)
}
