//! `magiclink doctor`: whether a deployed stack and its account are ready
//! for real users. [`probe`] reads the facts (the stack's parameters and
//! resources, SES, KMS, the user pool, the log groups, the domain's DMARC
//! record); [`examine`] judges them, one [`Finding`] per check, each with
//! the fix when it is not a pass. Judging is pure, so every verdict is
//! tested here without AWS.
//!
//! A check that could not be made (no permission, no answer) fails: an exit
//! status of 0 means every check was made and none failed.

pub mod probe;

use std::collections::BTreeMap;
use std::fmt;

use magiclink::config::{Env, redirects_from_env};
use serde_json::{Value, json};

/// A fact as read, or why it could not be read.
pub type Read<T> = Result<T, String>;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pass,
    /// Works, but not as well as it should in production.
    Warn,
    /// Sign-in or mail will break, or the check could not be made.
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// One check's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check's name, stable for scripts: `ses-sandbox`, `dkim`, ….
    pub check: &'static str,
    pub status: Status,
    /// What was found.
    pub detail: String,
    /// What to do, unless it passed.
    pub fix: Option<String>,
}

impl Finding {
    fn pass(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// The check could not be made.
    fn unread(check: &'static str, what: &str, reason: &str) -> Self {
        Self::fail(
            check,
            format!("could not read {what}: {reason}"),
            "run the doctor with credentials that may read it (see the README, Operating magiclink)",
        )
    }
}

/// Every check's verdict, in the order they were made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub stack: String,
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any check failed (the exit status is then 1).
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.status == Status::Fail)
    }

    fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// The report as JSON, for scripts: `{"stack", "findings": [{"check",
    /// "status", "detail", "fix"}]}`.
    pub fn to_json(&self) -> Value {
        let findings: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({"check": f.check, "status": f.status.as_str(),
                       "detail": f.detail, "fix": f.fix})
            })
            .collect();
        json!({"stack": self.stack, "findings": findings})
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "magiclink doctor: stack {}", self.stack)?;
        for finding in &self.findings {
            let label = finding.status.as_str().to_uppercase();
            writeln!(f, "{label}  {:<18} {}", finding.check, finding.detail)?;
            if let Some(fix) = &finding.fix {
                writeln!(f, "      {:<18} fix: {fix}", "")?;
            }
        }
        write!(
            f,
            "{} failed, {} to improve, {} passed",
            self.count(Status::Fail),
            self.count(Status::Warn),
            self.count(Status::Pass)
        )
    }
}

/// The stack as CloudFormation describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackFacts {
    pub name: String,
    pub parameters: BTreeMap<String, String>,
    pub outputs: BTreeMap<String, String>,
    /// `(logical id, resource type, physical id)`.
    pub resources: Vec<(String, String, String)>,
}

impl StackFacts {
    /// A parameter's value; empty when the stack has no such parameter.
    pub fn parameter(&self, name: &str) -> &str {
        self.parameters.get(name).map_or("", String::as_str)
    }

    /// The physical ids of the resources of type `kind`, with their logical ids.
    pub fn resources_of(&self, kind: &str) -> impl Iterator<Item = (&str, &str)> {
        self.resources
            .iter()
            .filter(move |(_, k, _)| k == kind)
            .map(|(logical, _, physical)| (logical.as_str(), physical.as_str()))
    }

    /// The physical id of the resource `logical`.
    pub fn physical(&self, logical: &str) -> Option<&str> {
        self.resources
            .iter()
            .find(|(l, _, _)| l == logical)
            .map(|(_, _, physical)| physical.as_str())
    }
}

/// The SES account (`GetAccount`).
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub production_access: bool,
    pub sending_enabled: bool,
    /// `HEALTHY`, `PROBATION` or `SHUTDOWN`.
    pub enforcement: String,
    pub max_send_rate: f64,
}

/// An SES identity (`GetEmailIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub verified: bool,
    pub dkim_signing: bool,
    /// `SUCCESS`, `PENDING`, `FAILED`, `TEMPORARY_FAILURE`, `NOT_STARTED`.
    pub dkim_status: String,
    pub mail_from_domain: Option<String>,
    pub mail_from_status: String,
}

/// An event destination of the configuration set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Destination {
    pub name: String,
    pub enabled: bool,
    /// `BOUNCE`, `COMPLAINT`, `DELIVERY`, … as SES names them.
    pub events: Vec<String>,
    pub to_event_bridge: bool,
}

/// The user pool's custom-auth triggers, by their `LambdaConfig` names.
pub type Triggers = BTreeMap<&'static str, Option<String>>;

/// Everything the checks judge.
#[derive(Debug, Clone)]
pub struct Facts {
    pub stack: StackFacts,
    pub account: Read<Account>,
    /// The From address, its domain and the parent domains, each with its
    /// identity (`None`: no such identity).
    pub identities: Vec<(String, Read<Option<Identity>>)>,
    /// The DMARC record found (`_dmarc.` name, record), or `None`.
    pub dmarc: Read<Option<(String, String)>>,
    /// The configuration set's name and its event destinations.
    pub configuration_set: (String, Read<Vec<Destination>>),
    /// Each KMS key of the stack: logical id, key state.
    pub keys: Vec<(String, Read<String>)>,
    pub triggers: Read<Triggers>,
    /// Each log group of the stack: name, retention in days.
    pub log_groups: Vec<(String, Read<Option<i32>>)>,
}

/// The custom-auth triggers magiclink answers.
pub const TRIGGERS: [&str; 3] = [
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
];

/// The SES events the feedback function needs.
const FEEDBACK_EVENTS: [&str; 3] = ["BOUNCE", "COMPLAINT", "DELIVERY"];

/// Every check, in the order an operator fixes things.
pub fn examine(facts: &Facts) -> Report {
    let mut findings = vec![sandbox(&facts.account), send_rate(facts)];
    findings.extend(identity(facts));
    findings.push(dmarc(facts));
    findings.push(event_destination(&facts.configuration_set));
    findings.push(redirects(&facts.stack));
    findings.push(keys(&facts.keys));
    findings.push(triggers(facts));
    findings.push(retention(&facts.log_groups));
    findings.push(alarm_topic(&facts.stack));
    Report {
        stack: facts.stack.name.clone(),
        findings,
    }
}

fn sandbox(account: &Read<Account>) -> Finding {
    const CHECK: &str = "ses-sandbox";
    let account = match account {
        Ok(account) => account,
        Err(e) => return Finding::unread(CHECK, "the SES account", e),
    };
    if !account.sending_enabled || account.enforcement == "SHUTDOWN" {
        return Finding::fail(
            CHECK,
            format!(
                "SES sending is off for this account (enforcement {})",
                account.enforcement
            ),
            "read the SES console's Reputation metrics and the notice AWS sent, fix the cause, \
             then ask AWS Support to re-enable sending",
        );
    }
    if !account.production_access {
        return Finding::fail(
            CHECK,
            "SES is in the sandbox: it mails verified addresses only, so nobody else gets a link",
            "ask for production access (SES console, Account dashboard, Request production access)",
        );
    }
    if account.enforcement == "PROBATION" {
        return Finding::warn(
            CHECK,
            "SES has put the account under review (PROBATION)",
            "bring the bounce and complaint rates down before AWS pauses sending (see the dashboard)",
        );
    }
    Finding::pass(CHECK, "production access, sending enabled")
}

fn send_rate(facts: &Facts) -> Finding {
    const CHECK: &str = "ses-send-rate";
    let raw = facts.stack.parameter("SesMaxSendRate");
    let Ok(wanted) = raw.parse::<f64>() else {
        return Finding::fail(
            CHECK,
            format!("the stack's SesMaxSendRate {raw:?} is not a number"),
            "deploy with SesMaxSendRate set to SES's maximum send rate",
        );
    };
    let quota = match &facts.account {
        Ok(account) => account.max_send_rate,
        Err(e) => return Finding::unread(CHECK, "the SES account", e),
    };
    if wanted == 0.0 {
        Finding::warn(
            CHECK,
            format!("SesMaxSendRate is 0: the mailer does not pace itself, SES accepts {quota}/s"),
            format!("deploy with SesMaxSendRate={quota}"),
        )
    } else if wanted > quota {
        Finding::warn(
            CHECK,
            format!(
                "the mailer sends up to {wanted}/s, SES accepts {quota}/s: above it SES throttles \
                 and mail waits for the retries"
            ),
            format!(
                "ask for a higher sending rate (Service Quotas, Amazon SES) or deploy with \
                 SesMaxSendRate={quota}"
            ),
        )
    } else if wanted < quota {
        Finding::warn(
            CHECK,
            format!("the mailer sends up to {wanted}/s of the {quota}/s SES accepts"),
            format!("deploy with SesMaxSendRate={quota} to drain a backlog at SES's full rate"),
        )
    } else {
        Finding::pass(CHECK, format!("{wanted}/s, SES's maximum"))
    }
}

/// The domain of the From address `from` (lower case).
fn from_domain_of(from: &str) -> String {
    from.rsplit_once('@')
        .map_or(from, |(_, domain)| domain)
        .to_ascii_lowercase()
}

fn from_domain(facts: &Facts) -> String {
    from_domain_of(facts.stack.parameter("FromAddress"))
}

/// `domain` and each parent domain with two labels or more:
/// `a.mail.example.com`, `mail.example.com`, `example.com`.
fn domain_and_parents(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    (0..labels.len().saturating_sub(1))
        .map(|start| labels[start..].join("."))
        .collect()
}

/// An identity that was read and exists, with its name.
fn found((name, read): &(String, Read<Option<Identity>>)) -> Option<(&str, &Identity)> {
    read.as_ref()
        .ok()
        .and_then(Option::as_ref)
        .map(|identity| (name.as_str(), identity))
}

/// `from-identity`, `dkim` and `mail-from`.
fn identity(facts: &Facts) -> Vec<Finding> {
    let from = facts.stack.parameter("FromAddress");
    let unread = facts.identities.iter().find_map(|(name, read)| {
        read.as_ref()
            .err()
            .map(|e| Finding::unread("from-identity", &format!("the identity {name}"), e))
    });
    if let Some(finding) = unread {
        return vec![finding];
    }
    let Some((verified_as, _)) = facts
        .identities
        .iter()
        .filter_map(found)
        .find(|(_, identity)| identity.verified)
    else {
        return vec![Finding::fail(
            "from-identity",
            format!("{from} is not verified in SES, nor is its domain: every mail is refused"),
            format!(
                "verify the domain {} in SES (its DKIM records verify it) and wait for \
                 VerifiedForSendingStatus",
                from_domain(facts)
            ),
        )];
    };
    let verified = if verified_as.contains('@') {
        Finding::pass(
            "from-identity",
            format!("{from} is verified, as an address"),
        )
    } else {
        Finding::pass(
            "from-identity",
            format!("{from} is verified through the domain {verified_as}"),
        )
    };
    // DKIM and MAIL FROM are settings of a domain identity.
    let domain = facts
        .identities
        .iter()
        .filter(|(name, _)| !name.contains('@'))
        .filter_map(found)
        .find(|(_, identity)| identity.verified);
    let Some((domain, identity)) = domain else {
        let fix = format!(
            "verify the domain {} in SES: an address identity is not DKIM-signed and has no \
             MAIL FROM domain of its own",
            from_domain(facts)
        );
        return vec![
            verified,
            Finding::warn(
                "dkim",
                "no verified domain identity, so no DKIM",
                fix.clone(),
            ),
            Finding::warn("mail-from", "no verified domain identity", fix),
        ];
    };
    let dkim = if identity.dkim_signing && identity.dkim_status == "SUCCESS" {
        Finding::pass("dkim", format!("{domain} signs with DKIM"))
    } else {
        Finding::warn(
            "dkim",
            format!(
                "{domain} does not sign with DKIM (status {}): mail is likelier to land in spam",
                identity.dkim_status
            ),
            format!("turn on Easy DKIM for {domain} and publish its three CNAME records"),
        )
    };
    let mail_from = match &identity.mail_from_domain {
        Some(name) if identity.mail_from_status == "SUCCESS" => {
            Finding::pass("mail-from", format!("bounces go to {name}"))
        }
        Some(name) => Finding::warn(
            "mail-from",
            format!(
                "the MAIL FROM domain {name} is {}",
                identity.mail_from_status
            ),
            format!("publish {name}'s MX and SPF records as the SES console lists them"),
        ),
        None => Finding::warn(
            "mail-from",
            format!("no custom MAIL FROM domain: SPF passes for amazonses.com, not for {domain}"),
            format!(
                "set a MAIL FROM domain such as bounce.{domain} and publish its MX and SPF records"
            ),
        ),
    };
    vec![verified, dkim, mail_from]
}

/// Whether the From domain's own mail passes DMARC alignment: DKIM signed
/// by the domain, or SPF on a MAIL FROM under it.
fn aligned(facts: &Facts) -> bool {
    facts.identities.iter().filter_map(found).any(|(name, i)| {
        !name.contains('@')
            && i.verified
            && ((i.dkim_signing && i.dkim_status == "SUCCESS")
                || (i.mail_from_domain.is_some() && i.mail_from_status == "SUCCESS"))
    })
}

/// The `p=` policy of a DMARC record.
fn dmarc_policy(record: &str) -> Option<String> {
    record.split(';').find_map(|tag| {
        let (name, value) = tag.split_once('=')?;
        (name.trim().eq_ignore_ascii_case("p")).then(|| value.trim().to_ascii_lowercase())
    })
}

fn dmarc(facts: &Facts) -> Finding {
    const CHECK: &str = "dmarc";
    let domain = from_domain(facts);
    let (name, record) = match &facts.dmarc {
        Err(e) => return Finding::unread(CHECK, &format!("_dmarc.{domain}"), e),
        Ok(None) => {
            return Finding::warn(
                CHECK,
                format!("no DMARC record for {domain}: receivers cannot tell forged sign-in mail"),
                format!(
                    "publish TXT _dmarc.{domain} \"v=DMARC1; p=none; rua=mailto:dmarc@{domain}\", \
                     then move to p=quarantine once the reports are clean"
                ),
            );
        }
        Ok(Some(found)) => found,
    };
    let policy = dmarc_policy(record).unwrap_or_default();
    let enforcing = policy == "quarantine" || policy == "reject";
    if enforcing && !aligned(facts) {
        return Finding::fail(
            CHECK,
            format!(
                "{name} says p={policy}, and nothing of SES's aligns with {domain} (no DKIM, no \
                 MAIL FROM): receivers {} the sign-in mail",
                if policy == "reject" {
                    "reject"
                } else {
                    "quarantine"
                }
            ),
            format!("turn on Easy DKIM for {domain} in SES (or a MAIL FROM domain under it)"),
        );
    }
    match policy.as_str() {
        "quarantine" | "reject" => Finding::pass(CHECK, format!("{name}: p={policy}")),
        "none" => Finding::pass(CHECK, format!("{name}: p=none (reports only)")),
        _ => Finding::warn(
            CHECK,
            format!("{name} has no valid p= policy: {record:?}"),
            format!("publish TXT {name} \"v=DMARC1; p=none; rua=mailto:dmarc@{domain}\""),
        ),
    }
}

fn event_destination((set, destinations): &(String, Read<Vec<Destination>>)) -> Finding {
    const CHECK: &str = "ses-events";
    let destinations = match destinations {
        Ok(destinations) => destinations,
        Err(e) => return Finding::unread(CHECK, &format!("the configuration set {set}"), e),
    };
    let complete = destinations.iter().find(|d| {
        d.enabled
            && d.to_event_bridge
            && FEEDBACK_EVENTS
                .iter()
                .all(|wanted| d.events.iter().any(|e| e.eq_ignore_ascii_case(wanted)))
    });
    match complete {
        Some(d) => Finding::pass(
            CHECK,
            format!(
                "{set} sends deliveries, bounces and complaints to EventBridge ({})",
                d.name
            ),
        ),
        None => Finding::fail(
            CHECK,
            format!(
                "the configuration set {set} has no enabled EventBridge destination for bounces, \
                 complaints and deliveries: magiclink cannot stop mailing a bouncing address, \
                 and SES reviews the account on its bounce rate"
            ),
            "deploy the stack again: its MailEventDestination makes the destination",
        ),
    }
}

fn redirects(stack: &StackFacts) -> Finding {
    const CHECK: &str = "redirects";
    let env = Env::from_pairs([
        (
            "ALLOWED_REDIRECT_URIS",
            stack.parameter("AllowedRedirectUris"),
        ),
        (
            "DEFAULT_REDIRECT_URI",
            stack.parameter("DefaultRedirectUri"),
        ),
    ]);
    if let Err(e) = redirects_from_env(&env) {
        return Finding::fail(
            CHECK,
            format!("the request function refuses its configuration: {e}"),
            "deploy with AllowedRedirectUris of https URLs only (and DefaultRedirectUri one of them)",
        );
    }
    // The entries as the request function reads them.
    let plain: Vec<String> = env
        .list("ALLOWED_REDIRECT_URIS")
        .into_iter()
        .filter(|entry| entry.starts_with("http:"))
        .collect();
    if plain.is_empty() {
        Finding::pass(CHECK, "every allowed redirect is https")
    } else {
        Finding::warn(
            CHECK,
            format!(
                "{} allowed over plain http (loopback, for development): such links work on \
                 the developer's machine only",
                plain.join(", ")
            ),
            "deploy with AllowedRedirectUris of the app's https pages only",
        )
    }
}

fn keys(keys: &[(String, Read<String>)]) -> Finding {
    const CHECK: &str = "kms-keys";
    let mut trouble = Vec::new();
    for (logical, state) in keys {
        match state {
            Err(e) => return Finding::unread(CHECK, &format!("the key {logical}"), e),
            Ok(state) if state != "Enabled" => trouble.push(format!("{logical} is {state}")),
            Ok(_) => {}
        }
    }
    if keys.is_empty() {
        Finding::fail(
            CHECK,
            "the stack has no KMS keys: is it a magiclink stack?",
            "name the magiclink stack with --stack",
        )
    } else if trouble.is_empty() {
        Finding::pass(CHECK, format!("{} keys enabled", keys.len()))
    } else {
        Finding::fail(
            CHECK,
            format!(
                "{}: links, codes and approvals stop working",
                trouble.join(", ")
            ),
            "enable the key (aws kms enable-key), or cancel its deletion (aws kms cancel-key-deletion)",
        )
    }
}

fn triggers(facts: &Facts) -> Finding {
    const CHECK: &str = "pool-triggers";
    let triggers = match &facts.triggers {
        Ok(triggers) => triggers,
        Err(e) => return Finding::unread(CHECK, "the user pool", e),
    };
    let Some(verifier) = facts.stack.physical("VerifierFunction") else {
        return Finding::fail(
            CHECK,
            "the stack has no VerifierFunction: is it a magiclink stack?",
            "name the magiclink stack with --stack",
        );
    };
    let wrong: Vec<String> = TRIGGERS
        .iter()
        .filter_map(|name| {
            let held = triggers.get(name).cloned().flatten();
            let ours = held
                .as_deref()
                .is_some_and(|arn| names_function(arn, verifier));
            (!ours).then(|| format!("{name} is {}", held.as_deref().unwrap_or("empty")))
        })
        .collect();
    if wrong.is_empty() {
        Finding::pass(CHECK, format!("the custom-auth triggers call {verifier}"))
    } else {
        Finding::fail(
            CHECK,
            format!("{}, not {verifier}: no sign-in completes", wrong.join(", ")),
            "deploy the stack again (it sets the triggers); a trigger another function holds \
             must be freed first",
        )
    }
}

/// Whether the Lambda ARN `arn` names the function `name` (any version or
/// alias of it).
fn names_function(arn: &str, name: &str) -> bool {
    let rest = arn.split_once(":function:").map_or(arn, |(_, rest)| rest);
    rest.split(':').next() == Some(name)
}

fn retention(groups: &[(String, Read<Option<i32>>)]) -> Finding {
    const CHECK: &str = "log-retention";
    let mut forever = Vec::new();
    let mut shortest: Option<i32> = None;
    for (name, days) in groups {
        match days {
            Err(e) => return Finding::unread(CHECK, &format!("the log group {name}"), e),
            Ok(None) => forever.push(name.as_str()),
            Ok(Some(days)) => shortest = Some(shortest.map_or(*days, |d| d.min(*days))),
        }
    }
    if forever.is_empty() {
        let days = shortest.map(|d| d.to_string()).unwrap_or_default();
        Finding::pass(
            CHECK,
            format!("{} log groups keep {days} days", groups.len()),
        )
    } else {
        Finding::warn(
            CHECK,
            format!("{} keep their logs forever", forever.join(", ")),
            "deploy the stack again (LogRetentionDays sets each group's retention)",
        )
    }
}

fn alarm_topic(stack: &StackFacts) -> Finding {
    const CHECK: &str = "alarm-topic";
    match stack.parameter("AlarmTopicArn") {
        "" => Finding::warn(
            CHECK,
            "the alarms notify no one",
            "deploy with AlarmTopicArn set to an SNS topic that pages the team",
        ),
        topic => Finding::pass(CHECK, format!("the alarms notify {topic}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn stack() -> StackFacts {
        let parameters = [
            ("FromAddress", "no-reply@mail.example.com"),
            ("SesMaxSendRate", "14"),
            (
                "AllowedRedirectUris",
                "https://app.example.com/, https://app.example.com/auth/*",
            ),
            ("DefaultRedirectUri", "https://app.example.com/"),
            ("AlarmTopicArn", "arn:aws:sns:eu-west-1:1:pager"),
        ];
        StackFacts {
            name: "magiclink".into(),
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            outputs: BTreeMap::new(),
            resources: vec![(
                "VerifierFunction".into(),
                "AWS::Lambda::Function".into(),
                "magiclink-verifier".into(),
            )],
        }
    }

    fn domain_identity() -> Identity {
        Identity {
            verified: true,
            dkim_signing: true,
            dkim_status: "SUCCESS".into(),
            mail_from_domain: Some("bounce.mail.example.com".into()),
            mail_from_status: "SUCCESS".into(),
        }
    }

    /// A stack and account ready for production.
    fn healthy() -> Facts {
        let verifier = "arn:aws:lambda:eu-west-1:1:function:magiclink-verifier";
        Facts {
            stack: stack(),
            account: Ok(Account {
                production_access: true,
                sending_enabled: true,
                enforcement: "HEALTHY".into(),
                max_send_rate: 14.0,
            }),
            identities: vec![
                ("no-reply@mail.example.com".into(), Ok(None)),
                ("mail.example.com".into(), Ok(Some(domain_identity()))),
                ("example.com".into(), Ok(None)),
            ],
            dmarc: Ok(Some((
                "_dmarc.mail.example.com".into(),
                "v=DMARC1; p=reject; rua=mailto:d@example.com".into(),
            ))),
            configuration_set: (
                "magiclink-mail".into(),
                Ok(vec![Destination {
                    name: "magiclink-feedback".into(),
                    enabled: true,
                    events: ["DELIVERY", "BOUNCE", "COMPLAINT", "REJECT"]
                        .map(String::from)
                        .to_vec(),
                    to_event_bridge: true,
                }]),
            ),
            keys: vec![
                ("SigningKey".into(), Ok("Enabled".into())),
                ("CodeKey".into(), Ok("Enabled".into())),
            ],
            triggers: Ok(TRIGGERS
                .iter()
                .map(|t| (*t, Some(verifier.to_owned())))
                .collect()),
            log_groups: vec![("/aws/lambda/magiclink-request".into(), Ok(Some(30)))],
        }
    }

    fn finding_of<'a>(report: &'a Report, check: &str) -> &'a Finding {
        report
            .findings
            .iter()
            .find(|f| f.check == check)
            .unwrap_or_else(|| panic!("no {check} in {report}"))
    }

    fn status_of(report: &Report, check: &str) -> Status {
        finding_of(report, check).status
    }

    #[test]
    fn a_ready_stack_passes_every_check() {
        let report = examine(&healthy());
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.status == Status::Pass && f.fix.is_none()),
            "{report}"
        );
        assert!(!report.failed());
        assert!(
            report
                .to_string()
                .ends_with("0 failed, 0 to improve, 12 passed"),
            "{report}"
        );
    }

    #[test]
    fn the_sandbox_and_a_stopped_account_fail() {
        let mut facts = healthy();
        facts.account.as_mut().unwrap().production_access = false;
        let report = examine(&facts);
        assert_eq!(status_of(&report, "ses-sandbox"), Status::Fail);
        assert!(report.failed());
        facts.account.as_mut().unwrap().production_access = true;
        facts.account.as_mut().unwrap().enforcement = "PROBATION".into();
        assert_eq!(status_of(&examine(&facts), "ses-sandbox"), Status::Warn);
        facts.account.as_mut().unwrap().sending_enabled = false;
        assert_eq!(status_of(&examine(&facts), "ses-sandbox"), Status::Fail);
    }

    #[test]
    fn a_send_rate_away_from_the_quota_is_named_with_the_fix() {
        for (rate, status) in [
            ("14", Status::Pass),
            ("50", Status::Warn),
            ("5", Status::Warn),
            ("0", Status::Warn),
            ("fast", Status::Fail),
        ] {
            let mut facts = healthy();
            facts
                .stack
                .parameters
                .insert("SesMaxSendRate".into(), rate.into());
            let report = examine(&facts);
            let finding = finding_of(&report, "ses-send-rate");
            assert_eq!(finding.status, status, "{rate}: {finding:?}");
        }
        let mut facts = healthy();
        facts
            .stack
            .parameters
            .insert("SesMaxSendRate".into(), "50".into());
        let report = examine(&facts);
        let finding = finding_of(&report, "ses-send-rate");
        assert!(
            finding
                .fix
                .as_deref()
                .unwrap()
                .contains("SesMaxSendRate=14"),
            "{finding:?}"
        );
    }

    #[test]
    fn an_unverified_sender_fails_and_says_which_domain_to_verify() {
        let mut facts = healthy();
        facts.identities[1].1 = Ok(Some(Identity {
            verified: false,
            ..domain_identity()
        }));
        let report = examine(&facts);
        let finding = &report.findings[2];
        assert_eq!(
            (finding.check, finding.status),
            ("from-identity", Status::Fail)
        );
        assert!(finding.fix.as_deref().unwrap().contains("mail.example.com"));
        // Nothing aligns now, and the domain's DMARC says reject.
        assert_eq!(status_of(&report, "dmarc"), Status::Fail);
    }

    #[test]
    fn an_address_identity_sends_but_without_dkim_or_mail_from() {
        let mut facts = healthy();
        facts.identities[0].1 = Ok(Some(Identity {
            verified: true,
            ..Identity::default()
        }));
        facts.identities[1].1 = Ok(None);
        let report = examine(&facts);
        assert_eq!(status_of(&report, "from-identity"), Status::Pass);
        assert_eq!(status_of(&report, "dkim"), Status::Warn);
        assert_eq!(status_of(&report, "mail-from"), Status::Warn);
        // p=reject with nothing aligned: receivers reject the mail.
        assert_eq!(status_of(&report, "dmarc"), Status::Fail);
        facts.dmarc = Ok(Some((
            "_dmarc.mail.example.com".into(),
            "v=DMARC1; p=none".into(),
        )));
        assert_eq!(status_of(&examine(&facts), "dmarc"), Status::Pass);
    }

    #[test]
    fn a_parent_domain_identity_covers_the_sender() {
        let mut facts = healthy();
        facts.identities[1].1 = Ok(None);
        facts.identities[2].1 = Ok(Some(Identity {
            dkim_signing: false,
            dkim_status: "PENDING".into(),
            mail_from_domain: None,
            ..domain_identity()
        }));
        let report = examine(&facts);
        assert_eq!(status_of(&report, "from-identity"), Status::Pass);
        assert!(
            report.findings[2]
                .detail
                .contains("through the domain example.com"),
            "{report}"
        );
        assert_eq!(status_of(&report, "dkim"), Status::Warn);
        assert_eq!(status_of(&report, "mail-from"), Status::Warn);
    }

    #[test]
    fn the_domains_that_may_verify_a_sender() {
        assert_eq!(
            from_domain_of("No-Reply@Mail.Example.com"),
            "mail.example.com"
        );
        assert_eq!(
            domain_and_parents("a.mail.example.com"),
            ["a.mail.example.com", "mail.example.com", "example.com"]
        );
        assert_eq!(domain_and_parents("example.com"), ["example.com"]);
        assert!(domain_and_parents("localhost").is_empty());
    }

    #[test]
    fn dmarc_is_read_from_its_policy() {
        assert_eq!(
            dmarc_policy("v=DMARC1; p=reject; pct=100").as_deref(),
            Some("reject")
        );
        assert_eq!(
            dmarc_policy("v=DMARC1;P = Quarantine").as_deref(),
            Some("quarantine")
        );
        assert_eq!(dmarc_policy("v=DMARC1; rua=mailto:x@y"), None);
        let mut facts = healthy();
        facts.dmarc = Ok(None);
        let report = examine(&facts);
        let finding = finding_of(&report, "dmarc");
        assert_eq!(finding.status, Status::Warn);
        assert!(
            finding
                .fix
                .as_deref()
                .unwrap()
                .contains("TXT _dmarc.mail.example.com")
        );
        facts.dmarc = Ok(Some((
            "_dmarc.example.com".into(),
            "v=DMARC1; sp=none".into(),
        )));
        assert_eq!(status_of(&examine(&facts), "dmarc"), Status::Warn);
        facts.dmarc = Err("timed out".into());
        assert_eq!(status_of(&examine(&facts), "dmarc"), Status::Fail);
    }

    #[test]
    fn feedback_needs_an_enabled_eventbridge_destination_with_every_event() {
        let mut facts = healthy();
        let destinations = facts.configuration_set.1.as_mut().unwrap();
        destinations[0].events.retain(|e| e != "COMPLAINT");
        assert_eq!(status_of(&examine(&facts), "ses-events"), Status::Fail);
        let mut facts = healthy();
        facts.configuration_set.1.as_mut().unwrap()[0].enabled = false;
        assert_eq!(status_of(&examine(&facts), "ses-events"), Status::Fail);
        let mut facts = healthy();
        facts.configuration_set.1 = Ok(Vec::new());
        let report = examine(&facts);
        assert_eq!(status_of(&report, "ses-events"), Status::Fail);
        assert!(report.to_string().contains("magiclink-mail"), "{report}");
    }

    #[test]
    fn an_http_redirect_fails_and_loopback_is_for_development() {
        let mut facts = healthy();
        facts.stack.parameters.insert(
            "AllowedRedirectUris".into(),
            "https://app.example.com/,http://app.example.com/".into(),
        );
        let report = examine(&facts);
        let finding = finding_of(&report, "redirects");
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.detail.contains("http://app.example.com/"),
            "{finding:?}"
        );
        facts.stack.parameters.insert(
            "AllowedRedirectUris".into(),
            "https://app.example.com/,http://localhost:8000/*".into(),
        );
        assert_eq!(status_of(&examine(&facts), "redirects"), Status::Warn);
        facts.stack.parameters.insert(
            "DefaultRedirectUri".into(),
            "https://elsewhere.example/".into(),
        );
        assert_eq!(status_of(&examine(&facts), "redirects"), Status::Fail);
    }

    #[test]
    fn a_disabled_key_or_a_foreign_trigger_fails() {
        let mut facts = healthy();
        facts.keys[1].1 = Ok("PendingDeletion".into());
        let report = examine(&facts);
        let finding = finding_of(&report, "kms-keys");
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding.detail.contains("CodeKey is PendingDeletion"),
            "{finding:?}"
        );

        let mut facts = healthy();
        let triggers = facts.triggers.as_mut().unwrap();
        triggers.insert(
            "CreateAuthChallenge",
            Some("arn:aws:lambda:eu-west-1:1:function:other".into()),
        );
        triggers.insert("VerifyAuthChallengeResponse", None);
        let report = examine(&facts);
        let finding = finding_of(&report, "pool-triggers");
        assert_eq!(finding.status, Status::Fail);
        assert!(
            finding
                .detail
                .contains("VerifyAuthChallengeResponse is empty"),
            "{finding:?}"
        );
        assert!(names_function(
            "arn:aws:lambda:r:1:function:magiclink-verifier:live",
            "magiclink-verifier"
        ));
        assert!(!names_function(
            "arn:aws:lambda:r:1:function:magiclink-verifier2",
            "magiclink-verifier"
        ));
    }

    #[test]
    fn what_cannot_be_read_fails_naming_it() {
        let mut facts = healthy();
        facts.triggers = Err("AccessDeniedException".into());
        facts
            .log_groups
            .push(("/aws/lambda/magiclink-mailer".into(), Ok(None)));
        let report = examine(&facts);
        let finding = finding_of(&report, "pool-triggers");
        assert_eq!(finding.status, Status::Fail);
        assert!(finding.detail.contains("AccessDeniedException"));
        assert_eq!(status_of(&report, "log-retention"), Status::Warn);
        let json = report.to_json();
        assert_eq!(json["stack"], "magiclink");
        assert_eq!(
            json["findings"].as_array().unwrap().len(),
            report.findings.len()
        );
        assert_eq!(json["findings"][0]["status"], "pass");
        assert_eq!(json["findings"][0]["fix"], Value::Null);
    }
}
