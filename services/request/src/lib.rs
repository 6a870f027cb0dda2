//! The request service: the HTTP API behind API Gateway. `POST
//! /v1/magic-links` asks for a link; `GET /v1/magic-links/{challengeId}` and
//! `POST /v1/magic-links/{challengeId}/approval` are cross-device approval's.
//!
//! Its modules are layered, each using only those below it:
//!
//! - [`http`]: the routes: the adapter between `lambda_http` and the
//!   endpoints;
//! - [`handler`]: what asking for a link does; [`approval`]: the status and
//!   approval endpoints;
//! - [`backend`]: their side effects, as traits, and the real ones on AWS;
//!   [`api`]: the request body, errors and their HTTP form, in one place;
//!   [`config`]: configuration, read once;
//! - [`redirect`]: the redirect allow-list.

pub mod api;
pub mod approval;
pub mod backend;
pub mod config;
pub mod handler;
pub mod http;
pub mod redirect;
