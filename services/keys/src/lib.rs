//! The keys resource: a CloudFormation custom resource that reads, at deploy
//! time, the public halves of the KMS keys whose signatures the verifier
//! accepts, and gives them to the stack as a JSON Web Key Set. The template
//! passes the set to the verifier as `ACCEPTED_PUBLIC_KEYS`, so that a
//! sign-in, not even a cold start's first, never waits on KMS.
//! It also answers for an existing user pool's triggers (template parameter
//! `UserPoolId`): the one other thing a deploy must do outside
//! CloudFormation's own resources.
//! - [`resource`]: the custom resource protocol (pure);
//! - [`pool`]: an existing pool's triggers, added and taken back;
//! - [`answer`]: what a request is answered with;
//! - [`target`]: where a response may be put.

pub mod answer;
pub mod pool;
pub mod resource;
pub mod target;
