//! The request service: the HTTP API behind API Gateway. `POST
//! /v1/magic-links` asks for a link; `GET /v1/magic-links/{challengeId}` and
//! `POST /v1/magic-links/{challengeId}/approval` are cross-device approval's.
//!
//! - [`handler`]: what asking for a link does, over a small [`handler::Backend`].
//! - [`approval`]: the status and approval endpoints.
//! - [`api`]: errors and their HTTP form, in one place.
//! - [`redirect`]: the redirect allow-list.
//! - [`config`]: configuration, read once.
//! - [`http`]: the adapter between `lambda_http` and the handler.

pub mod api;
pub mod approval;
pub mod config;
pub mod handler;
pub mod http;
pub mod redirect;
