//! The passkeys service: `/v1/passkeys` on the HTTP API.
//!
//! - `POST /v1/passkeys/registration-options`, `POST /v1/passkeys`,
//!   `GET /v1/passkeys`, `DELETE /v1/passkeys/{passkeyId}`: a signed-in
//!   user's passkeys, authorized by their Cognito access token (a JWT
//!   authorizer on AWS, and this service's own check: see [`identity`]).
//! - `POST /v1/passkeys/sign-in-options`: a usernameless sign-in's challenge,
//!   for anyone, limited per client IP.
//!
//! - [`endpoints`]: what each endpoint does, over a small [`endpoints::Backend`].
//! - [`identity`]: who an access token belongs to.
//! - [`device`]: the browser a change came from, for its notice mail.
//! - [`api`]: errors and their HTTP form, in one place.
//! - [`config`]: configuration, read once.
//! - [`http`]: the adapter between `lambda_http` and the endpoints.

pub mod api;
pub mod config;
pub mod device;
pub mod endpoints;
pub mod http;
pub mod identity;
