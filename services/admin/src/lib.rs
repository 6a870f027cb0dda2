//! The admin service: the operator's endpoints, which API Gateway serves
//! only to requests signed by an IAM principal (`AWS_IAM` authorization).
//!
//! - `POST /v1/invitations`: invite a user (a challenge of its own kind,
//!   mailed with the invitation's template; the account is made when
//!   absent, whatever the sign-up mode);
//! - `DELETE /v1/invitations/{challengeId}`: revoke an invitation not yet
//!   used;
//! - `POST /v1/users/revocations`: end everything a user has outstanding
//!   (links, codes, approvals, sessions, and on request passkeys).
//!
//! Its modules, each using only those below it: [`http`] (the routes, over
//! [`magiclink_http`]) → [`endpoints`] → [`backend`] (the side effects, as a
//! trait, and the real one on AWS), [`api`] (the errors, the status of each
//! and the answers), [`config`].

pub mod api;
pub mod backend;
pub mod config;
pub mod endpoints;
pub mod http;
