//! The CloudFormation custom resource protocol, as far as these resources
//! need it: the request CloudFormation invokes the function with, and the
//! response it waits for at the request's `ResponseURL`. Two resource types:
//! `Custom::PublicKeys` (the accepted keys' public halves) and
//! `Custom::PoolTriggers` (an existing pool's triggers, see
//! [`crate::pool`]).
//!
//! CloudFormation waits up to an hour for a response that never comes, so a
//! request that can be answered is always answered: a bad property is a
//! `FAILED` response with its reason, not an error of the function.

use std::collections::BTreeMap;

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use serde::Serialize;
use serde_json::Value;

use crate::pool::PoolTriggers;

/// The resource type of an existing pool's triggers; any other is a keys
/// resource.
pub const POOL_TRIGGERS: &str = "Custom::PoolTriggers";

/// The resource's physical id. It never changes, so an update (new key ids)
/// is an update in place, and CloudFormation never deletes the old set.
pub const PHYSICAL_ID: &str = "magiclink-accepted-public-keys";

/// At most this many keys are accepted: each takes about 190 bytes of the
/// verifier's environment, which Lambda caps at 4 KB in all.
pub const MAX_KEYS: usize = 10;

/// An event that is not a custom resource request: there is nowhere to send a
/// response.
#[derive(Debug, thiserror::Error)]
#[error("not a CloudFormation custom resource request: {0}")]
pub struct NotARequest(String);

/// What CloudFormation asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create or update: read these keys (or say why the property is wrong).
    Read(Result<Vec<String>, String>),
    /// Delete: nothing to do, the keys stay in KMS.
    Delete,
    /// Create or update: make the function the pool's custom-auth triggers.
    Attach(Result<PoolTriggers, String>),
    /// Delete: take the function out of the pool's triggers (nothing to do
    /// when the properties name none).
    Detach(Option<PoolTriggers>),
}

/// A request, with what its response must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub action: Action,
    /// The pre-signed URL the response is put to; never logged.
    pub response_url: String,
    pub reply: ReplyTo,
}

/// The fields a response echoes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    /// The resource's physical id: fixed for the keys; for a pool's
    /// triggers, named after the pool, so that another pool is another
    /// resource (CloudFormation then deletes the old one: its triggers go).
    pub physical_id: String,
}

impl Request {
    pub fn parse(event: Value) -> Result<Self, NotARequest> {
        let request: CloudFormationCustomResourceRequest =
            serde_json::from_value(event).map_err(|e| NotARequest(e.to_string()))?;
        let (action, response_url, reply) = match request {
            CloudFormationCustomResourceRequest::Create(r) => (
                create_or_update(&r.resource_type, &r.resource_properties),
                r.response_url,
                ReplyTo::of(r.stack_id, r.request_id, r.logical_resource_id),
            ),
            CloudFormationCustomResourceRequest::Update(r) => (
                create_or_update(&r.resource_type, &r.resource_properties),
                r.response_url,
                ReplyTo::of(r.stack_id, r.request_id, r.logical_resource_id),
            ),
            CloudFormationCustomResourceRequest::Delete(r) => (
                if r.resource_type == POOL_TRIGGERS {
                    Action::Detach(pool_triggers(&r.resource_properties).ok())
                } else {
                    Action::Delete
                },
                r.response_url,
                ReplyTo::of(r.stack_id, r.request_id, r.logical_resource_id)
                    .named(Some(r.physical_resource_id)),
            ),
            _ => return Err(NotARequest("unknown RequestType".into())),
        };
        let reply = match &action {
            Action::Attach(Ok(triggers)) | Action::Detach(Some(triggers)) => {
                reply.named(Some(triggers_id(triggers)))
            }
            Action::Read(_) | Action::Attach(Err(_)) => reply.named(None),
            Action::Delete | Action::Detach(None) => reply,
        };
        Ok(Self {
            action,
            response_url,
            reply,
        })
    }
}

fn create_or_update(resource_type: &str, properties: &Value) -> Action {
    if resource_type == POOL_TRIGGERS {
        Action::Attach(pool_triggers(properties))
    } else {
        Action::Read(key_ids(properties))
    }
}

/// The physical id of a pool's triggers.
fn triggers_id(triggers: &PoolTriggers) -> String {
    format!("{}/magiclink-triggers", triggers.user_pool_id)
}

/// The `UserPoolId` and `FunctionArn` properties of a pool's triggers.
fn pool_triggers(properties: &Value) -> Result<PoolTriggers, String> {
    let text = |name: &str| {
        properties
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 2048 && !v.chars().any(char::is_control))
            .map(str::to_owned)
            .ok_or_else(|| format!("the property {name} is required"))
    };
    Ok(PoolTriggers {
        user_pool_id: text("UserPoolId")?,
        function_arn: text("FunctionArn")?,
    })
}

/// The `KeyIds` property: comma-separated KMS key ids or ARNs (the stack's
/// signing key, then any others accepted during a rotation); blanks and
/// repeats are dropped.
fn key_ids(properties: &Value) -> Result<Vec<String>, String> {
    let raw = properties
        .get("KeyIds")
        .and_then(Value::as_str)
        .ok_or("the property KeyIds (comma-separated key ids) is required")?;
    let mut ids: Vec<String> = Vec::new();
    for id in raw.split(',').map(str::trim).filter(|id| !id.is_empty()) {
        if id.chars().any(|c| c.is_control() || c.is_whitespace()) || id.len() > 2048 {
            return Err("KeyIds holds something that is not a key id".into());
        }
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    match ids.len() {
        0 => Err("KeyIds names no key".into()),
        n if n > MAX_KEYS => Err(format!(
            "KeyIds names {n} keys; at most {MAX_KEYS} are accepted"
        )),
        _ => Ok(ids),
    }
}

impl ReplyTo {
    fn of(stack_id: String, request_id: String, logical_resource_id: String) -> Self {
        Self {
            stack_id,
            request_id,
            logical_resource_id,
            physical_id: PHYSICAL_ID.to_owned(),
        }
    }

    /// This reply under physical id `id` (`None`: the keys' fixed one).
    fn named(self, id: Option<String>) -> Self {
        Self {
            physical_id: id.unwrap_or_else(|| PHYSICAL_ID.to_owned()),
            ..self
        }
    }

    pub fn success(self, data: BTreeMap<String, String>) -> Response {
        self.respond(Status::Success, None, data)
    }

    pub fn failure(self, reason: String) -> Response {
        self.respond(Status::Failed, Some(reason), BTreeMap::new())
    }

    fn respond(
        self,
        status: Status,
        reason: Option<String>,
        data: BTreeMap<String, String>,
    ) -> Response {
        Response {
            status,
            reason,
            physical_resource_id: self.physical_id,
            stack_id: self.stack_id,
            request_id: self.request_id,
            logical_resource_id: self.logical_resource_id,
            data,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Success,
    Failed,
}

/// The body put to the `ResponseURL`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub physical_resource_id: String,
    pub stack_id: String,
    pub request_id: String,
    pub logical_resource_id: String,
    pub data: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        reason = "test code: a panic is how a test reports failure"
    )]

    use serde_json::json;

    use super::*;

    fn event(kind: &str, properties: Value) -> Value {
        let mut event = json!({
            "RequestType": kind,
            "ServiceToken": "arn:aws:lambda:eu-west-1:111122223333:function:magiclink-keys",
            "ResponseURL": "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/signed",
            "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/magiclink/1",
            "RequestId": "e1a7",
            "ResourceType": "Custom::PublicKeys",
            "LogicalResourceId": "AcceptedPublicKeys",
            "ResourceProperties": properties
        });
        if kind != "Create" {
            event["PhysicalResourceId"] = PHYSICAL_ID.into();
        }
        if kind == "Update" {
            event["OldResourceProperties"] = json!({"KeyIds": "old"});
        }
        event
    }

    fn read(properties: Value) -> Result<Vec<String>, String> {
        match Request::parse(event("Create", properties)).unwrap().action {
            Action::Read(ids) => ids,
            other => panic!("a create is a read: {other:?}"),
        }
    }

    #[test]
    fn create_and_update_read_the_listed_keys_and_delete_reads_none() {
        let properties = json!({"KeyIds": "k1, arn:aws:kms:eu-west-1:1:key/k2,,k1,"});
        let wanted = Action::Read(Ok(vec![
            "k1".into(),
            "arn:aws:kms:eu-west-1:1:key/k2".into(),
        ]));
        for kind in ["Create", "Update"] {
            let request = Request::parse(event(kind, properties.clone())).unwrap();
            assert_eq!(request.action, wanted, "{kind}");
            assert_eq!(request.reply.logical_resource_id, "AcceptedPublicKeys");
        }
        let delete = Request::parse(event("Delete", properties)).unwrap();
        assert_eq!(delete.action, Action::Delete);
    }

    #[test]
    fn a_bad_property_is_a_reason_to_fail_not_an_error() {
        assert!(read(json!({})).unwrap_err().contains("required"));
        assert!(
            read(json!({"KeyIds": ["k1"]}))
                .unwrap_err()
                .contains("required")
        );
        assert_eq!(
            read(json!({"KeyIds": " , "})),
            Err("KeyIds names no key".into())
        );
        assert!(
            read(json!({"KeyIds": "k1\nk2"}))
                .unwrap_err()
                .contains("not a key id")
        );
        let eleven = (0..11)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(
            read(json!({"KeyIds": eleven}))
                .unwrap_err()
                .contains("at most 10")
        );
    }

    fn triggers_event(kind: &str, properties: Value) -> Value {
        let mut event = event(kind, properties);
        event["ResourceType"] = POOL_TRIGGERS.into();
        event["LogicalResourceId"] = "PoolTriggers".into();
        if kind != "Create" {
            event["PhysicalResourceId"] = "eu-west-1_old/magiclink-triggers".into();
        }
        event
    }

    #[test]
    fn a_pools_triggers_are_attached_and_detached_under_the_pools_name() {
        let properties = json!({"UserPoolId": "eu-west-1_abc", "FunctionArn": "arn:f"});
        let triggers = PoolTriggers {
            user_pool_id: "eu-west-1_abc".into(),
            function_arn: "arn:f".into(),
        };
        for kind in ["Create", "Update"] {
            let request = Request::parse(triggers_event(kind, properties.clone())).unwrap();
            assert_eq!(
                request.action,
                Action::Attach(Ok(triggers.clone())),
                "{kind}"
            );
            assert_eq!(
                request.reply.physical_id,
                "eu-west-1_abc/magiclink-triggers"
            );
        }
        let delete = Request::parse(triggers_event("Delete", properties)).unwrap();
        assert_eq!(delete.action, Action::Detach(Some(triggers)));
        let bad = Request::parse(triggers_event("Create", json!({"UserPoolId": " "}))).unwrap();
        assert!(matches!(bad.action, Action::Attach(Err(reason)) if reason.contains("UserPoolId")));
        // A delete whose properties name nothing has nothing to take back,
        // under the id CloudFormation knows.
        let nothing = Request::parse(triggers_event("Delete", json!({}))).unwrap();
        assert_eq!(nothing.action, Action::Detach(None));
        assert_eq!(
            nothing.reply.physical_id,
            "eu-west-1_old/magiclink-triggers"
        );
    }

    #[test]
    fn events_that_are_not_requests_are_errors() {
        assert!(Request::parse(json!({"Records": []})).is_err());
        assert!(Request::parse(event("Replace", json!({"KeyIds": "k1"}))).is_err());
    }

    #[test]
    fn responses_echo_the_request_with_a_fixed_physical_id() {
        let reply = Request::parse(event("Create", json!({"KeyIds": "k1"})))
            .unwrap()
            .reply;
        let ok = reply
            .clone()
            .success(BTreeMap::from([("Jwks".to_owned(), "{}".to_owned())]));
        assert_eq!(
            serde_json::to_value(&ok).unwrap(),
            json!({
                "Status": "SUCCESS",
                "PhysicalResourceId": PHYSICAL_ID,
                "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/magiclink/1",
                "RequestId": "e1a7",
                "LogicalResourceId": "AcceptedPublicKeys",
                "Data": {"Jwks": "{}"}
            })
        );
        let failed = serde_json::to_value(reply.failure("no".into())).unwrap();
        assert_eq!(failed["Status"], "FAILED");
        assert_eq!(failed["Reason"], "no");
        assert_eq!(failed["Data"], json!({}));
    }
}
