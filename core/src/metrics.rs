//! The metrics the functions emit, in CloudWatch's embedded metric format
//! (EMF): a JSON line in a function's log that CloudWatch Logs turns into
//! metric points of namespace [`NAMESPACE`], so that no path makes an AWS
//! call for them. Dimensions are low-cardinality by construction: the
//! stack's name, and at most one more whose value is a `&'static str` (a
//! reason, a method, a trigger), never an address, an id or an IP.

use std::time::Duration;

use serde_json::{Map, Value, json};

/// The namespace of every metric (DESIGN.md, "Wave 3").
pub const NAMESPACE: &str = "Magiclink";

/// The dimension every point carries: the stack's name.
pub const STACK: &str = "Stack";

/// What a metric counts or times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A link request accepted (`202`).
    LinksRequested,
    /// A link request refused, by `Reason` (the API's error code).
    LinksRefused,
    /// The request handler's own time for `POST /v1/magic-links`.
    RequestTime,
    /// A mail handed to SES (a link, an invitation).
    MailsSent,
    /// A mail not sent, by `Reason`: refused by SES, suppressed, capped.
    MailsFailed,
    /// From the request's `202` to its mail handed to SES.
    MailDelay,
    /// SES delivered a mail.
    MailsDelivered,
    /// A mail bounced (hard).
    MailsBounced,
    /// A mail marked as spam.
    MailsComplained,
    /// A sign-in, by `Method`: link, code, approval, passkey.
    SignIns,
    /// An answer refused, by `Reason` (`SignInRejected`'s reasons).
    SignInsRefused,
    /// A Cognito trigger's time, by `Trigger`.
    TriggerTime,
    /// A passkey registered.
    PasskeysRegistered,
    /// A passkey removed.
    PasskeysRemoved,
    /// An invitation admitted (`201`).
    InvitationsSent,
    /// An invitation revoked.
    InvitationsRevoked,
    /// A user's revocation (by an admin, or the user everywhere).
    UsersRevoked,
}

/// The unit of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    /// As EMF spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Milliseconds => "Milliseconds",
        }
    }
}

impl Metric {
    /// Every metric, for the dashboard's and the alarms' check.
    pub const ALL: [Self; 17] = [
        Self::LinksRequested,
        Self::LinksRefused,
        Self::RequestTime,
        Self::MailsSent,
        Self::MailsFailed,
        Self::MailDelay,
        Self::MailsDelivered,
        Self::MailsBounced,
        Self::MailsComplained,
        Self::SignIns,
        Self::SignInsRefused,
        Self::TriggerTime,
        Self::PasskeysRegistered,
        Self::PasskeysRemoved,
        Self::InvitationsSent,
        Self::InvitationsRevoked,
        Self::UsersRevoked,
    ];

    /// Its name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Self::LinksRequested => "LinksRequested",
            Self::LinksRefused => "LinksRefused",
            Self::RequestTime => "RequestTime",
            Self::MailsSent => "MailsSent",
            Self::MailsFailed => "MailsFailed",
            Self::MailDelay => "MailDelay",
            Self::MailsDelivered => "MailsDelivered",
            Self::MailsBounced => "MailsBounced",
            Self::MailsComplained => "MailsComplained",
            Self::SignIns => "SignIns",
            Self::SignInsRefused => "SignInsRefused",
            Self::TriggerTime => "TriggerTime",
            Self::PasskeysRegistered => "PasskeysRegistered",
            Self::PasskeysRemoved => "PasskeysRemoved",
            Self::InvitationsSent => "InvitationsSent",
            Self::InvitationsRevoked => "InvitationsRevoked",
            Self::UsersRevoked => "UsersRevoked",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Self::RequestTime | Self::MailDelay | Self::TriggerTime => Unit::Milliseconds,
            _ => Unit::Count,
        }
    }

    /// The name of its second dimension, if it has one.
    pub fn dimension(self) -> Option<&'static str> {
        match self {
            Self::LinksRefused | Self::MailsFailed | Self::SignInsRefused => Some("Reason"),
            Self::SignIns => Some("Method"),
            Self::TriggerTime => Some("Trigger"),
            _ => None,
        }
    }
}

/// One point of a metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub metric: Metric,
    pub value: f64,
    /// The value of the metric's second dimension.
    pub by: Option<&'static str>,
}

impl Point {
    /// One more of `metric`.
    pub fn count(metric: Metric) -> Self {
        Self {
            metric,
            value: 1.0,
            by: None,
        }
    }

    /// One more of `metric`, whose dimension is `by`.
    pub fn count_by(metric: Metric, by: &'static str) -> Self {
        Self {
            by: Some(by),
            ..Self::count(metric)
        }
    }

    /// `took` of `metric`, in milliseconds (fractions kept).
    pub fn time(metric: Metric, took: Duration) -> Self {
        Self {
            metric,
            value: took.as_secs_f64() * 1000.0,
            by: None,
        }
    }

    /// `took` of `metric`, whose dimension is `by`.
    pub fn time_by(metric: Metric, by: &'static str, took: Duration) -> Self {
        Self {
            by: Some(by),
            ..Self::time(metric, took)
        }
    }
}

/// The EMF line of `point` for the stack `stack`, at `timestamp_ms`
/// (milliseconds since the epoch). It declares the metric under the stack
/// alone and, with a second dimension, under both: the total and its
/// breakdown.
pub fn line(stack: &str, point: &Point, timestamp_ms: u64) -> String {
    let name = point.metric.name();
    let mut dimensions = vec![vec![STACK]];
    let mut root = Map::new();
    root.insert(STACK.into(), stack.into());
    if let (Some(key), Some(value)) = (point.metric.dimension(), point.by) {
        dimensions.push(vec![STACK, key]);
        root.insert(key.into(), value.into());
    }
    root.insert(name.into(), json!(point.value));
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{"Name": name, "Unit": point.metric.unit().as_str()}],
            }],
        }),
    );
    Value::Object(root).to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    /// The structure of an EMF document, as AWS publishes it ("Specification:
    /// Embedded metric format", its JSON schema), with the units we use.
    fn specification() -> Value {
        json!({
            "type": "object",
            "required": ["_aws"],
            "properties": {
                "_aws": {
                    "type": "object",
                    "required": ["Timestamp", "CloudWatchMetrics"],
                    "properties": {
                        "Timestamp": {"type": "integer", "minimum": 0},
                        "CloudWatchMetrics": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["Namespace", "Dimensions", "Metrics"],
                                "properties": {
                                    "Namespace": {"type": "string", "minLength": 1, "maxLength": 1024, "pattern": "^[^:].*$"},
                                    "Dimensions": {
                                        "type": "array",
                                        "items": {
                                            "type": "array",
                                            "minItems": 1,
                                            "maxItems": 30,
                                            "items": {"type": "string", "minLength": 1, "maxLength": 250}
                                        }
                                    },
                                    "Metrics": {
                                        "type": "array",
                                        "maxItems": 100,
                                        "items": {
                                            "type": "object",
                                            "required": ["Name"],
                                            "properties": {
                                                "Name": {"type": "string", "minLength": 1, "maxLength": 1024},
                                                "Unit": {"enum": ["Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"]},
                                                "StorageResolution": {"enum": [1, 60]}
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        })
    }

    /// The specification's rule beyond the schema: every dimension and
    /// metric a directive names is a member of the root, dimensions strings
    /// and metrics numbers.
    fn check_targets(document: &Value) {
        for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            for set in directive["Dimensions"].as_array().unwrap() {
                for dimension in set.as_array().unwrap() {
                    let key = dimension.as_str().unwrap();
                    assert!(
                        document[key].is_string(),
                        "dimension {key} is a root string"
                    );
                }
            }
            for metric in directive["Metrics"].as_array().unwrap() {
                let key = metric["Name"].as_str().unwrap();
                assert!(document[key].is_number(), "metric {key} is a root number");
            }
        }
    }

    #[test]
    fn every_metric_makes_a_document_of_the_specification() {
        let schema = jsonschema::validator_for(&specification()).unwrap();
        for metric in Metric::ALL {
            for point in [
                Point::count(metric),
                Point::count_by(metric, "some_reason"),
                Point::time_by(metric, "Verify", Duration::from_micros(1500)),
            ] {
                let document: Value = serde_json::from_str(&line("magiclink", &point, 1)).unwrap();
                let errors: Vec<String> = schema
                    .iter_errors(&document)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{metric:?}: {errors:?}");
                check_targets(&document);
            }
        }
    }

    #[test]
    fn a_point_is_declared_as_its_total_and_its_breakdown() {
        let point = Point::count_by(Metric::LinksRefused, "rate_limited");
        let document: Value =
            serde_json::from_str(&line("magiclink", &point, 1_796_000_000_000)).unwrap();
        assert_eq!(
            document,
            json!({
                "_aws": {
                    "Timestamp": 1_796_000_000_000_u64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Magiclink",
                        "Dimensions": [["Stack"], ["Stack", "Reason"]],
                        "Metrics": [{"Name": "LinksRefused", "Unit": "Count"}],
                    }],
                },
                "Stack": "magiclink",
                "Reason": "rate_limited",
                "LinksRefused": 1.0,
            })
        );
        let timed = line(
            "s",
            &Point::time(Metric::MailDelay, Duration::from_millis(1250)),
            1,
        );
        let timed: Value = serde_json::from_str(&timed).unwrap();
        assert_eq!(timed["MailDelay"], 1250.0);
        assert_eq!(
            timed["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Stack"]])
        );
        assert_eq!(
            timed["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Milliseconds"
        );
    }

    #[test]
    fn a_metric_without_a_second_dimension_ignores_one_given() {
        let document: Value =
            serde_json::from_str(&line("s", &Point::count_by(Metric::MailsSent, "x"), 1)).unwrap();
        assert_eq!(document.get("Reason"), None);
        assert_eq!(
            document["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Stack"]])
        );
    }

    /// The Magiclink metrics the template's dashboard and alarms name.
    fn named_in_template() -> std::collections::BTreeSet<String> {
        let path = format!(
            "{}/../infra/template.yaml",
            std::env::var("CARGO_MANIFEST_DIR").unwrap()
        );
        let template = std::fs::read_to_string(path).unwrap();
        let mut named = std::collections::BTreeSet::new();
        let mut take = |text: &str, before: &str, after: char| {
            for (at, _) in text.match_indices(before) {
                let rest = &text[at + before.len()..];
                let name: String = rest.chars().take_while(|c| *c != after).collect();
                named.insert(name);
            }
        };
        // Dashboard metric rows, and the alarms' (a row's namespace first).
        take(&template, "[\"Magiclink\", \"", '"');
        take(
            &template,
            "Namespace: Magiclink\n              MetricName: ",
            '\n',
        );
        take(&template, "Namespace: Magiclink\n      MetricName: ", '\n');
        // SEARCH expressions of the namespace.
        for (at, _) in template.match_indices("SEARCH('{Magiclink,") {
            let expression: String = template[at..].chars().take_while(|c| *c != ')').collect();
            take(&expression, "MetricName=\\\"", '\\');
        }
        named
    }

    #[test]
    fn the_dashboard_and_the_alarms_name_the_emitted_metrics_and_only_those() {
        let named = named_in_template();
        let emitted: std::collections::BTreeSet<String> =
            Metric::ALL.iter().map(|m| m.name().to_owned()).collect();
        let never_emitted: Vec<&String> = named.difference(&emitted).collect();
        assert!(
            never_emitted.is_empty(),
            "charts or alarms that stay empty: {never_emitted:?}"
        );
        let never_shown: Vec<&String> = emitted.difference(&named).collect();
        assert!(
            never_shown.is_empty(),
            "metrics on no chart: {never_shown:?}"
        );
    }

    #[test]
    fn names_are_unique_and_dimensions_are_the_documented_three() {
        let names: std::collections::BTreeSet<&str> =
            Metric::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(names.len(), Metric::ALL.len());
        for metric in Metric::ALL {
            assert!(matches!(
                metric.dimension(),
                None | Some("Reason" | "Method" | "Trigger")
            ));
        }
    }
}
