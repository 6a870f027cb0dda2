//! The verifier service: the user pool's custom-auth triggers.
//!
//! - [`triggers`]: dispatch on `triggerSource`.
//! - [`define`]: DefineAuthChallenge, the session's state machine.
//! - [`create`]: CreateAuthChallenge, what the client is asked.
//! - [`answer`]: VerifyAuthChallengeResponse, checking and consuming the link
//!   or the code.
//! - [`form`]: the forms an answer takes.
//! - [`sign_up`]: PreSignUp, for pools that also allow self sign-up.
//! - [`config`]: configuration, read once.
//!
//! It holds no Cognito client at all: a sign-in makes no admin call.

pub mod answer;
pub mod config;
pub mod create;
pub mod define;
pub mod form;
pub mod sign_up;
pub mod triggers;
