//! The adapter between `lambda_http` and the endpoints: picks the endpoint
//! by the route API Gateway matched and gives it what it reads; the reading
//! and writing themselves are [`magiclink_http`]'s.

use std::time::SystemTime;

use lambda_http::{Body, Request, Response};
use magiclink_http::Outcome;

use crate::api::{self, ApiError};
use crate::backend::Backend;
use crate::config::AdminConfig;
use crate::endpoints::{self, Inbound};

/// The routes of the template, as API Gateway names them.
const INVITE: &str = "POST /v1/invitations";
const REVOKE_INVITATION: &str = "DELETE /v1/invitations/{challengeId}";
const REVOKE_USER: &str = "POST /v1/users/revocations";

/// Serves one Lambda invocation.
pub async fn serve<B: Backend>(
    backend: &B,
    config: &AdminConfig,
    request: Request,
) -> Response<Body> {
    magiclink_http::serve(&request, |inbound| async move {
        let route = inbound.route;
        let inbound = Inbound {
            iam_caller: inbound.iam_caller,
            content_type: inbound.content_type(),
            body: inbound.body,
            challenge_id: inbound.path_parameter("challengeId"),
        };
        let now = SystemTime::now();
        match route {
            Some(INVITE) => Outcome::of(
                endpoints::invite(backend, config, inbound, now).await,
                |invited| api::invited(invited.challenge_id, invited.expires_at),
            ),
            Some(REVOKE_INVITATION) => Outcome::of(
                endpoints::revoke_invitation(backend, inbound, now).await,
                |()| api::revoked(),
            ),
            Some(REVOKE_USER) => Outcome::of(
                endpoints::revoke_user(backend, inbound, now).await,
                api::revocation_accepted,
            ),
            _ => Outcome::error(&ApiError::NotFound),
        }
    })
    .await
}
