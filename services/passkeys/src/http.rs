//! The adapter between `lambda_http` and the endpoints: picks the endpoint
//! by the route API Gateway matched and gives it what it reads; the reading
//! and writing themselves are [`magiclink_http`]'s.

use std::time::SystemTime;

use lambda_http::{Body, Request, Response};
use magiclink_http::Outcome;

use crate::api::{self, ApiError};
use crate::backend::Backend;
use crate::config::PasskeysConfig;
use crate::endpoints::{Inbound, Service};

/// The routes of the template, as API Gateway names them.
const OPTIONS: &str = "POST /v1/passkeys/registration-options";
const REGISTER: &str = "POST /v1/passkeys";
const LIST: &str = "GET /v1/passkeys";
const REMOVE: &str = "DELETE /v1/passkeys/{passkeyId}";
const SIGN_IN: &str = "POST /v1/passkeys/sign-in-options";
const SIGN_OUT_EVERYWHERE: &str = "POST /v1/me/sign-out-everywhere";

/// Serves one Lambda invocation.
pub async fn serve<B: Backend>(
    service: &Service<B>,
    config: &PasskeysConfig,
    request: Request,
) -> Response<Body> {
    magiclink_http::serve(&request, |inbound| async move {
        let route = inbound.route;
        let inbound = Inbound {
            authorization: inbound.header("authorization"),
            authorizer_sub: inbound.authorizer_sub,
            content_type: inbound.content_type(),
            body: inbound.body,
            passkey_id: inbound.path_parameter("passkeyId"),
            source_ip: inbound.source_ip,
            user_agent: inbound.header("user-agent"),
        };
        let now = SystemTime::now();
        let result = match route {
            Some(OPTIONS) => service.registration_options(config, inbound, now).await,
            Some(REGISTER) => service.register(config, inbound, now).await,
            Some(LIST) => service.list(config, inbound, now).await,
            Some(REMOVE) => service.remove(config, inbound, now).await,
            Some(SIGN_IN) => service.sign_in_options(config, inbound, now).await,
            Some(SIGN_OUT_EVERYWHERE) => service.sign_out_everywhere(config, inbound, now).await,
            _ => Err(ApiError::NotFound),
        };
        Outcome::of(result, api::answer)
    })
    .await
}
