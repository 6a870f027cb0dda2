//! The request service: `POST /v1/magic-links` behind an API Gateway HTTP API.
//!
//! - [`handler`]: what the endpoint does, over a small [`handler::Backend`].
//! - [`api`]: errors and their HTTP form, in one place.
//! - [`redirect`]: the redirect allow-list.
//! - [`config`]: configuration, read once.
//! - [`http`]: the adapter between `lambda_http` and the handler.

pub mod api;
pub mod config;
pub mod handler;
pub mod http;
pub mod redirect;
