//! The passkeys service: `/v1/passkeys` on the HTTP API.
//!
//! - `POST /v1/passkeys/registration-options`, `POST /v1/passkeys`,
//!   `GET /v1/passkeys`, `DELETE /v1/passkeys/{passkeyId}`: a signed-in
//!   user's passkeys, authorized by their Cognito access token (a JWT
//!   authorizer on AWS, and this service's own check: see [`identity`]).
//! - `POST /v1/passkeys/sign-in-options`: a usernameless sign-in's challenge,
//!   for anyone, limited per client IP.
//!
//! Its modules are layered, each using only those below it: [`http`] (the
//! routes) → [`endpoints`] (what each endpoint does) → [`backend`] (their
//! side effects, as a trait, and the real ones on AWS), [`api`],
//! [`identity`], [`device`], [`config`].
//!
//! - [`endpoints`]: what each endpoint does, over a small [`backend::Backend`].
//! - [`backend`]: the side effects, and [`backend::AwsBackend`].
//! - [`identity`]: who an access token belongs to.
//! - [`device`]: the browser a change came from, for its notice mail.
//! - [`api`]: the errors, the status of each, and each endpoint's answer.
//! - [`config`]: configuration, read once.
//! - [`http`]: the routes, over [`magiclink_http`] (the inbound request,
//!   the body, the answer and its log line, shared with the request
//!   service).

pub mod api;
pub mod backend;
pub mod config;
pub mod device;
pub mod endpoints;
pub mod http;
pub mod identity;
