//! What a request is answered with: for a create or an update, the listed
//! keys' public halves from KMS as a JSON Web Key Set (`Data.Jwks`); for a
//! delete, a plain success. Every failure becomes a `FAILED` response whose
//! reason names the key and what is wrong with it.

use std::collections::BTreeMap;

use magiclink::token::{PublicKeys, fetch_public_key};

use crate::resource::{Action, Request, Response};

/// The response to `request`, reading keys through `kms`.
pub async fn answer(kms: &aws_sdk_kms::Client, request: &Request) -> Response {
    let reply = request.reply.clone();
    let ids = match &request.action {
        Action::Delete => return reply.success(BTreeMap::new()),
        Action::Read(Err(reason)) => return reply.failure(reason.clone()),
        Action::Read(Ok(ids)) => ids,
    };
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
