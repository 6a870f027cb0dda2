//! The request service: the HTTP API behind API Gateway. `POST
//! /v1/magic-links` asks for a link; `GET /v1/magic-links/{challengeId}` and
//! `POST /v1/magic-links/{challengeId}/approval` are cross-device approval's.
//!
//! Its modules are layered, each using only those below it:
//!
//! - [`http`]: the routes, over [`magiclink_http`] (the inbound request,
//!   the body, the answer and its log line, shared with the passkeys
//!   service);
//! - [`handler`]: what asking for a link does; [`approval`]: the status and
//!   approval endpoints;
//! - [`backend`]: their side effects, as traits, and the real ones on AWS;
//!   [`api`]: the errors, the status of each, and each endpoint's answer;
//!   [`config`]: configuration, read once (the redirect allow-list is
//!   [`magiclink::redirect`]'s).

pub mod api;
pub mod approval;
pub mod backend;
pub mod config;
pub mod handler;
pub mod http;
