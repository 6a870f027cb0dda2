//! The doctor's reading of the world: the stack (DescribeStacks,
//! ListStackResources), the SES account and identities, the configuration
//! set's event destinations, the KMS keys, the user pool's triggers, the
//! log groups, and the From domain's DMARC record through a DNS resolver.
//! Read-only calls, each fact independent: one that cannot be read is kept
//! as its error, for [`super::examine`] to report.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use aws_config::SdkConfig;
use aws_sdk_cloudformation::error::DisplayErrorContext;
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;

use super::{Account, Destination, Facts, Identity, Read, StackFacts, TRIGGERS, Triggers};
use crate::CliError;

/// An SDK error as one line, with its cause.
fn said<E: std::error::Error>(e: E) -> String {
    DisplayErrorContext(e).to_string()
}

/// The clients the doctor reads with.
#[derive(Debug)]
pub struct Probe {
    config: SdkConfig,
    dns: TokioResolver,
}

impl Probe {
    /// A probe over `config`'s account and region; DMARC is looked up at
    /// `dns_server` (`ip:port`), else at the system's resolvers.
    pub fn new(config: &SdkConfig, dns_server: Option<SocketAddr>) -> Result<Self, CliError> {
        let dns = resolver(dns_server).map_err(|e| CliError::Dns(said(e)))?;
        Ok(Self {
            config: config.clone(),
            dns,
        })
    }

    /// Everything about `stack` that the checks judge. Only the stack itself
    /// must be readable; every other fact may come back as its error.
    pub async fn facts(&self, stack: &str) -> Result<Facts, CliError> {
        let stack = self.stack(stack).await?;
        let domain = super::from_domain_of(stack.parameter("FromAddress"));
        let set = stack
            .physical("MailConfigurationSet")
            .unwrap_or_else(|| stack.parameter("SesConfigurationSet"))
            .to_owned();
        let (account, identities, dmarc, destinations, keys, triggers, log_groups) = tokio::join!(
            self.account(),
            self.identities(stack.parameter("FromAddress"), &domain),
            self.dmarc(&domain),
            self.destinations(&set),
            self.keys(&stack),
            self.triggers(&stack),
            self.log_groups(&stack),
        );
        Ok(Facts {
            account,
            identities,
            dmarc,
            configuration_set: (set, destinations),
            keys,
            triggers,
            log_groups,
            stack,
        })
    }

    async fn stack(&self, name: &str) -> Result<StackFacts, CliError> {
        let failed = |reason: String| CliError::Stack {
            stack: name.to_owned(),
            reason,
        };
        let cfn = aws_sdk_cloudformation::Client::new(&self.config);
        let described = cfn
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| failed(said(e)))?;
        let stack = described
            .stacks()
            .first()
            .ok_or_else(|| failed("no such stack".into()))?;
        let parameters = stack
            .parameters()
            .iter()
            .filter_map(|p| {
                Some((
                    p.parameter_key()?.to_owned(),
                    p.parameter_value().unwrap_or_default().to_owned(),
                ))
            })
            .collect();
        let outputs = stack
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
            .collect();
        let mut resources = Vec::new();
        let mut pages = cfn
            .list_stack_resources()
            .stack_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed(said(e)))?;
            resources.extend(page.stack_resource_summaries().iter().filter_map(|r| {
                Some((
                    r.logical_resource_id()?.to_owned(),
                    r.resource_type()?.to_owned(),
                    r.physical_resource_id()?.to_owned(),
                ))
            }));
        }
        Ok(StackFacts {
            name: name.to_owned(),
            parameters,
            outputs,
            resources,
        })
    }

    async fn account(&self) -> Read<Account> {
        let account = aws_sdk_sesv2::Client::new(&self.config)
            .get_account()
            .send()
            .await
            .map_err(said)?;
        Ok(Account {
            production_access: account.production_access_enabled(),
            sending_enabled: account.sending_enabled(),
            enforcement: account.enforcement_status().unwrap_or("HEALTHY").to_owned(),
            max_send_rate: account.send_quota().map_or(0.0, |q| q.max_send_rate()),
        })
    }

    /// The identities that may verify `from`: the address, its domain, and
    /// each parent domain above it.
    async fn identities(&self, from: &str, domain: &str) -> Vec<(String, Read<Option<Identity>>)> {
        let ses = aws_sdk_sesv2::Client::new(&self.config);
        let mut names = vec![from.to_owned()];
        names.extend(super::domain_and_parents(domain));
        let mut identities = Vec::with_capacity(names.len());
        for name in names {
            let read = match ses.get_email_identity().email_identity(&name).send().await {
                Ok(found) => Ok(Some(Identity {
                    verified: found.verified_for_sending_status(),
                    dkim_signing: found.dkim_attributes().is_some_and(|d| d.signing_enabled()),
                    dkim_status: found
                        .dkim_attributes()
                        .and_then(|d| d.status())
                        .map_or("NOT_STARTED", |s| s.as_str())
                        .to_owned(),
                    mail_from_domain: found
                        .mail_from_attributes()
                        .map(|m| m.mail_from_domain().to_owned())
                        .filter(|d| !d.is_empty()),
                    mail_from_status: found
                        .mail_from_attributes()
                        .map(|m| m.mail_from_domain_status().as_str().to_owned())
                        .unwrap_or_default(),
                })),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_not_found_exception()) =>
                {
                    Ok(None)
                }
                Err(e) => Err(said(e)),
            };
            identities.push((name, read));
        }
        identities
    }

    /// The DMARC record of `domain`, else of the nearest parent that has one
    /// (where receivers look for the organizational domain's).
    async fn dmarc(&self, domain: &str) -> Read<Option<(String, String)>> {
        for name in super::domain_and_parents(domain) {
            let query = format!("_dmarc.{name}.");
            let lookup = match self.dns.txt_lookup(query.as_str()).await {
                Ok(lookup) => lookup,
                Err(e) if e.is_no_records_found() => continue,
                Err(e) => return Err(format!("DNS lookup of {query}: {e}")),
            };
            let record = lookup
                .answers()
                .iter()
                .find_map(|answer| match &answer.data {
                    RData::TXT(txt) => {
                        let text: String = txt
                            .txt_data
                            .iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect();
                        text.to_ascii_lowercase()
                            .starts_with("v=dmarc1")
                            .then_some(text)
                    }
                    _ => None,
                });
            if let Some(record) = record {
                return Ok(Some((format!("_dmarc.{name}"), record)));
            }
        }
        Ok(None)
    }

    async fn destinations(&self, set: &str) -> Read<Vec<Destination>> {
        if set.is_empty() {
            return Err("the stack names no configuration set".into());
        }
        let found = aws_sdk_sesv2::Client::new(&self.config)
            .get_configuration_set_event_destinations()
            .configuration_set_name(set)
            .send()
            .await
            .map_err(said)?;
        Ok(found
            .event_destinations()
            .iter()
            .map(|d| Destination {
                name: d.name().to_owned(),
                enabled: d.enabled(),
                events: d
                    .matching_event_types()
                    .iter()
                    .map(|e| e.as_str().to_owned())
                    .collect(),
                to_event_bridge: d.event_bridge_destination().is_some(),
            })
            .collect())
    }

    async fn keys(&self, stack: &StackFacts) -> Vec<(String, Read<String>)> {
        let kms = aws_sdk_kms::Client::new(&self.config);
        let mut keys = Vec::new();
        for (logical, key_id) in stack.resources_of("AWS::KMS::Key") {
            let state = kms
                .describe_key()
                .key_id(key_id)
                .send()
                .await
                .map_err(said)
                .and_then(|d| {
                    d.key_metadata()
                        .and_then(|m| m.key_state())
                        .map(|s| s.as_str().to_owned())
                        .ok_or_else(|| "DescribeKey named no key state".to_owned())
                });
            keys.push((logical.to_owned(), state));
        }
        keys
    }

    async fn triggers(&self, stack: &StackFacts) -> Read<Triggers> {
        let pool_id = stack
            .outputs
            .get("UserPoolId")
            .ok_or("the stack has no output UserPoolId")?;
        let described = aws_sdk_cognitoidentityprovider::Client::new(&self.config)
            .describe_user_pool()
            .user_pool_id(pool_id)
            .send()
            .await
            .map_err(said)?;
        let lambda = described.user_pool().and_then(|p| p.lambda_config());
        let held = [
            lambda.and_then(|l| l.define_auth_challenge()),
            lambda.and_then(|l| l.create_auth_challenge()),
            lambda.and_then(|l| l.verify_auth_challenge_response()),
        ];
        Ok(TRIGGERS
            .into_iter()
            .zip(held)
            .map(|(name, arn)| (name, arn.map(str::to_owned)))
            .collect::<BTreeMap<_, _>>())
    }

    async fn log_groups(&self, stack: &StackFacts) -> Vec<(String, Read<Option<i32>>)> {
        let logs = aws_sdk_cloudwatchlogs::Client::new(&self.config);
        let mut groups = Vec::new();
        for (_, name) in stack.resources_of("AWS::Logs::LogGroup") {
            let retention = logs
                .describe_log_groups()
                .log_group_name_prefix(name)
                .send()
                .await
                .map_err(said)
                .and_then(|found| {
                    found
                        .log_groups()
                        .iter()
                        .find(|g| g.log_group_name() == Some(name))
                        .map(|g| g.retention_in_days())
                        .ok_or_else(|| "no such log group".to_owned())
                });
            groups.push((name.to_owned(), retention));
        }
        groups
    }
}

/// A resolver asking `server` (UDP, and TCP for long answers), else the
/// system's resolvers (`/etc/resolv.conf`).
fn resolver(server: Option<SocketAddr>) -> Result<TokioResolver, hickory_resolver::net::NetError> {
    let builder = match server {
        Some(address) => {
            let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                .into_iter()
                .map(|mut connection| {
                    connection.port = address.port();
                    connection
                })
                .collect();
            let server = NameServerConfig::new(address.ip(), true, connections);
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![server]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio()?,
    };
    builder.build()
}
