//! What a request is answered with: for a create or an update, the listed
//! keys' public halves from KMS as a JSON Web Key Set (`Data.Jwks`); for a
//! delete, a plain success. Every failure becomes a `FAILED` response whose
//! reason names the key and what is wrong with it. For a pool's triggers:
//! attach (`Data.UsernameIsEmail`: `true` or `false`) or detach (see
//! [`crate::pool`]), a failure's reason naming the trigger that is taken,
//! the pool's shape, or the call that failed.

use std::collections::BTreeMap;

use magiclink::token::{PublicKeys, fetch_public_key};

use crate::pool;
use crate::resource::{Action, Request, Response};

/// The clients the answers need.
#[derive(Debug, Clone)]
pub struct Clients {
    pub kms: aws_sdk_kms::Client,
    pub idp: aws_sdk_cognitoidentityprovider::Client,
}

/// The response to `request`.
pub async fn answer(clients: &Clients, request: &Request) -> Response {
    let reply = request.reply.clone();
    let done = |result: Result<(), String>| match result {
        Ok(()) => reply.clone().success(BTreeMap::new()),
        Err(reason) => reply.clone().failure(reason),
    };
    let ids = match &request.action {
        Action::Delete | Action::Detach(None) => return reply.success(BTreeMap::new()),
        Action::Read(Err(reason)) | Action::Attach(Err(reason)) => {
            return reply.failure(reason.clone());
        }
        Action::Attach(Ok(triggers)) => {
            return match pool::attach(&clients.idp, triggers).await {
                Ok(by_email) => reply.success(BTreeMap::from([(
                    "UsernameIsEmail".to_owned(),
                    by_email.to_string(),
                )])),
                Err(reason) => reply.failure(reason),
            };
        }
        Action::Detach(Some(triggers)) => return done(pool::detach(&clients.idp, triggers).await),
        Action::Read(Ok(ids)) => ids,
    };
    let kms = &clients.kms;
    let mut keys = PublicKeys::default();
    for id in ids {
        let inserted = match fetch_public_key(kms, id).await {
            Ok(key) => keys.insert(id.clone(), key),
            Err(e) => Err(e),
        };
        if let Err(e) = inserted {
            return reply.failure(e.to_string());
        }
    }
    reply.success(BTreeMap::from([("Jwks".to_owned(), keys.to_jwks())]))
}
