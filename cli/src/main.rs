//! `magiclink`: the operator's command line for the admin API. Each request
//! is signed with SigV4 from the AWS SDK's credentials chain; `--stack`
//! finds the API by the stack's outputs (or `--api-url` names it). Prints
//! the API's answer as JSON; a refusal goes to standard error with its
//! status and reason, and the exit status is 1.
//!
//! `magiclink doctor --stack NAME` prints each go-live check as pass, warn
//! or fail with its fix; the exit status is 1 when one fails.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command line answers on its standard output and error"
)]

use clap::{Parser, Subcommand};
use magiclink_cli::doctor::{self, probe::Probe};
use magiclink_cli::{AdminClient, CliError, Invitation};

#[derive(Debug, Parser)]
#[command(
    name = "magiclink",
    version,
    about = "Invite and revoke users of a magiclink deployment, and check it before go-live"
)]
struct Cli {
    /// The deployment's CloudFormation stack (its output ApiUrl is used).
    #[arg(
        long,
        env = "MAGICLINK_STACK",
        global = true,
        conflicts_with = "api_url"
    )]
    stack: Option<String>,
    /// The deployment's API URL, instead of --stack.
    #[arg(long, env = "MAGICLINK_API_URL", global = true)]
    api_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Admin(Admin),
    /// Check the stack (--stack) and its account before go-live: SES, the
    /// sender's domain, DMARC, feedback, redirects, keys, triggers, logs.
    Doctor {
        /// Ask this DNS server (ip:port) for the DMARC record, not the system's.
        #[arg(long, value_name = "IP:PORT")]
        dns_server: Option<std::net::SocketAddr>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The admin API's commands.
#[derive(Debug, Subcommand)]
enum Admin {
    /// Invite a user by mail (the account is made when there is none).
    Invite {
        email: String,
        /// Where the link leads (on the deployment's allow-list).
        #[arg(long)]
        redirect_uri: Option<String>,
        /// The mail's language, such as de-DE.
        #[arg(long)]
        locale: Option<String>,
        /// How long the invitation works, in seconds (60 to 604800; default 3 days).
        #[arg(long)]
        expires_in: Option<u64>,
        /// Who invites, as the mail names them.
        #[arg(long)]
        invited_by: Option<String>,
    },
    /// Revoke a user's links, codes, approvals and sessions; or, with
    /// --invitation, one invitation not yet used.
    Revoke {
        /// The user's address.
        #[arg(required_unless_present = "invitation", conflicts_with = "invitation")]
        email: Option<String>,
        /// Remove the user's passkeys too.
        #[arg(long, conflicts_with = "invitation")]
        passkeys: bool,
        /// The invitation's id (what `invite` printed as challengeId).
        #[arg(long)]
        invitation: Option<String>,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok((answer, healthy)) => {
            println!("{answer}");
            if healthy {
                std::process::ExitCode::SUCCESS
            } else {
                std::process::ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("magiclink: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The answer to print, and whether the exit status is 0.
async fn run(cli: Cli) -> Result<(String, bool), CliError> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    match cli.command {
        Command::Doctor { dns_server, json } => {
            let stack = cli.stack.ok_or_else(|| CliError::Stack {
                stack: String::new(),
                reason: "name the deployment with --stack".into(),
            })?;
            let facts = Probe::new(&config, dns_server)?.facts(&stack).await?;
            let report = doctor::examine(&facts);
            let answer = if json {
                report.to_json().to_string()
            } else {
                report.to_string()
            };
            Ok((answer, !report.failed()))
        }
        Command::Admin(command) => {
            let client = match (&cli.stack, &cli.api_url) {
                (_, Some(url)) => AdminClient::new(&config, url)?,
                (Some(stack), None) => AdminClient::for_stack(&config, stack).await?,
                (None, None) => {
                    return Err(CliError::Stack {
                        stack: String::new(),
                        reason: "name the deployment with --stack or --api-url".into(),
                    });
                }
            };
            Ok((admin(&client, command).await?, true))
        }
    }
}

/// One admin API call; its answer as JSON.
async fn admin(client: &AdminClient, command: Admin) -> Result<String, CliError> {
    let reply = match command {
        Admin::Invite {
            email,
            redirect_uri,
            locale,
            expires_in,
            invited_by,
        } => {
            let invitation = Invitation {
                email,
                redirect_uri,
                locale,
                expires_in_seconds: expires_in,
                invited_by,
            };
            client.invite(&invitation).await?
        }
        Admin::Revoke {
            invitation: Some(id),
            ..
        } => client.revoke_invitation(&id).await?,
        Admin::Revoke {
            email, passkeys, ..
        } => {
            let email = email.unwrap_or_default();
            client.revoke_user(&email, passkeys).await?
        }
    };
    Ok(if reply.body.is_null() {
        format!("{{\"status\": {}}}", reply.status)
    } else {
        reply.body.to_string()
    })
}
