//! What an endpoint reads of an API Gateway (payload 2.0) request: the
//! route API Gateway matched, the ids, the caller's address, the headers,
//! the path parameters, the JWT authorizer's `sub` and the body, borrowed
//! from the request.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// An inbound request, as the endpoints read it.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// The route API Gateway matched (`POST /v1/magic-links`); none when the
    /// function is invoked some other way.
    pub route: Option<&'a str>,
    /// Lambda's id of the invocation, for the log ("" outside Lambda).
    pub request_id: &'a str,
    /// The caller's IP address, as API Gateway saw it.
    pub source_ip: Option<&'a str>,
    /// The `sub` claim of the access token the route's JWT authorizer
    /// accepted; none on a route without one.
    pub authorizer_sub: Option<&'a str>,
    /// Who signed the request, on a route with IAM authorization: the
    /// caller's ARN, else its access key id (API Gateway checked the
    /// signature); none on a route without it.
    pub iam_caller: Option<&'a str>,
    pub body: &'a [u8],
    request: &'a Request,
}

impl<'a> Inbound<'a> {
    pub fn of(request: &'a Request) -> Self {
        let context = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => Some(context),
            _ => None,
        };
        Self {
            route: context.and_then(|c| c.route_key.as_deref()),
            request_id: request
                .lambda_context_ref()
                .map_or("", |c| c.request_id.as_str()),
            source_ip: context.and_then(|c| c.http.source_ip.as_deref()),
            authorizer_sub: context
                .and_then(|c| c.authorizer.as_ref())
                .and_then(|a| a.jwt.as_ref())
                .and_then(|jwt| jwt.claims.get("sub"))
                .map(String::as_str),
            iam_caller: context
                .and_then(|c| c.authorizer.as_ref())
                .and_then(|a| a.iam.as_ref())
                .and_then(|iam| iam.user_arn.as_deref().or(iam.access_key.as_deref()))
                .filter(|caller| !caller.is_empty()),
            body: request.body().as_ref(),
            request,
        }
    }

    /// Header `name`'s value, when it is there and is visible ASCII.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.request.headers().get(name)?.to_str().ok()
    }

    /// `Content-Type`.
    pub fn content_type(&self) -> Option<&'a str> {
        self.header("content-type")
    }

    /// Path parameter `name` (`challengeId` of `/v1/magic-links/{challengeId}`).
    pub fn path_parameter(&self, name: &str) -> Option<&'a str> {
        self.request.path_parameters_ref()?.first(name)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    /// A payload 2.0 event of the shape API Gateway sends.
    fn request(extra_context: &str, headers: &str) -> Request {
        let event = format!(
            r#"{{
              "version": "2.0",
              "routeKey": "DELETE /v1/passkeys/{{passkeyId}}",
              "rawPath": "/v1/passkeys/abc",
              "rawQueryString": "",
              "headers": {{{headers}}},
              "pathParameters": {{"passkeyId": "abc"}},
              "requestContext": {{
                "accountId": "123456789012",
                "apiId": "api",
                "domainName": "api.example.com",
                "domainPrefix": "api",
                "http": {{"method": "DELETE", "path": "/v1/passkeys/abc", "protocol": "HTTP/1.1",
                          "sourceIp": "203.0.113.9", "userAgent": "agent"}},
                "requestId": "r1",
                "routeKey": "DELETE /v1/passkeys/{{passkeyId}}",
                "stage": "$default",
                "time": "02/Dec/2026:12:00:00 +0000",
                "timeEpoch": 1796212800000
                {extra_context}
              }},
              "body": "{{\"a\":1}}",
              "isBase64Encoded": false
            }}"#
        );
        lambda_http::request::from_str(&event).unwrap()
    }

    #[test]
    fn the_route_caller_headers_parameters_and_body_are_read() {
        let request = request(
            "",
            r#""content-type": "application/json", "user-agent": "Firefox""#,
        );
        let inbound = Inbound::of(&request);
        assert_eq!(inbound.route, Some("DELETE /v1/passkeys/{passkeyId}"));
        assert_eq!(inbound.source_ip, Some("203.0.113.9"));
        assert_eq!(inbound.content_type(), Some("application/json"));
        assert_eq!(inbound.header("User-Agent"), Some("Firefox"));
        assert_eq!(inbound.header("authorization"), None);
        assert_eq!(inbound.path_parameter("passkeyId"), Some("abc"));
        assert_eq!(inbound.path_parameter("challengeId"), None);
        assert_eq!(inbound.authorizer_sub, None);
        assert_eq!(inbound.iam_caller, None);
        assert_eq!(inbound.body, br#"{"a":1}"#);
        assert_eq!(inbound.request_id, "");
    }

    #[test]
    fn the_authorizers_sub_is_read_from_its_claims() {
        let authorizer = r#", "authorizer": {"jwt": {"claims": {"sub": "user-1", "scope": "aws.cognito.signin.user.admin"}, "scopes": null}}"#;
        let request = request(authorizer, "");
        assert_eq!(Inbound::of(&request).authorizer_sub, Some("user-1"));
    }

    #[test]
    fn the_iam_caller_is_its_arn_else_its_access_key() {
        let iam = |fields: &str| format!(r#", "authorizer": {{"iam": {{{fields}}}}}"#);
        let both = request(
            &iam(r#""accessKey": "AKIA1", "userArn": "arn:aws:iam::123456789012:user/ops""#),
            "",
        );
        assert_eq!(
            Inbound::of(&both).iam_caller,
            Some("arn:aws:iam::123456789012:user/ops")
        );
        let key = request(&iam(r#""accessKey": "AKIA1""#), "");
        assert_eq!(Inbound::of(&key).iam_caller, Some("AKIA1"));
        let empty = request(&iam(r#""accessKey": "", "userArn": null"#), "");
        assert_eq!(Inbound::of(&empty).iam_caller, None);
    }

    #[test]
    fn a_header_that_is_not_visible_ascii_reads_as_absent() {
        let request = request("", r#""x-verifier": "caf\u00e9""#);
        assert_eq!(Inbound::of(&request).header("x-verifier"), None);
    }
}
