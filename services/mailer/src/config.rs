//! The mailer's configuration, read once at start-up.

use std::path::PathBuf;
use std::time::Duration;

use magiclink::config::{
    CodeConfig, ConfigError, Env, EventsConfig, SignUpMode, SigningConfig, StoreConfig, TokenConfig,
};

use magiclink::send_window::Limit;

use crate::template::MailTemplates;

/// Everything the mailer needs to know.
#[derive(Debug, Clone)]
pub struct MailerConfig {
    pub store: StoreConfig,
    pub events: EventsConfig,
    pub token: TokenConfig,
    pub signing: SigningConfig,
    pub code: CodeConfig,
    /// `USER_POOL_ID`.
    pub user_pool_id: String,
    /// `USERNAME_IS_EMAIL` (default `true`): the pool's usernames are
    /// addresses (the stack's own pool, `UsernameAttributes: [email]`);
    /// `false` for an existing pool where the address is an alias, whose
    /// new accounts get a username of their own.
    pub username_is_email: bool,
    /// `USER_POOL_CLIENT_ID`: the app client the links sign in through (the
    /// tokens' audience, with the pool).
    pub user_pool_client_id: String,
    /// `MAX_ACCOUNTS_PER_HOUR`: new accounts per hour at most, in sign-up
    /// mode `open` (default 500).
    pub accounts_per_hour: u32,
    /// `FROM_ADDRESS`: the mail's From, verified in SES.
    pub from_address: String,
    /// `SES_CONFIGURATION_SET`, optional.
    pub configuration_set: Option<String>,
    /// `SIGNUP_MODE`: `open` (default) or `existing`.
    pub sign_up: SignUpMode,
    /// `MAIL_QUEUE_URL`: where redelivery delays are set; optional.
    pub queue_url: Option<String>,
    /// `MAX_RECEIVE_COUNT`: the queue's `maxReceiveCount` (default 5); the
    /// last receive reports a delivery failure before the message moves to
    /// the dead-letter queue.
    pub max_receives: u32,
    /// `RETRY_BASE_SECONDS`: the first redelivery delay, doubled on each
    /// further receive (default 30).
    pub retry_base: Duration,
    /// `SES_MAX_SEND_RATE`: the account's SES sends per second (default
    /// 14), shared by every instance through the table; 0 turns pacing off.
    pub send_limit: Option<Limit>,
    /// `MAIL_TEMPLATE_DIR` (a folder of language folders), or the built-in
    /// templates; `DEFAULT_LOCALE` (default `en`) is the language of a mail
    /// whose reader's language has none.
    pub templates: MailTemplates,
}

impl MailerConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let default = env.optional("DEFAULT_LOCALE").unwrap_or("en");
        let templates = match env.optional("MAIL_TEMPLATE_DIR") {
            Some(dir) => MailTemplates::from_dir(&PathBuf::from(dir), default),
            None => MailTemplates::built_in(default),
        }
        .map_err(|e| ConfigError::Invalid {
            name: "MAIL_TEMPLATE_DIR",
            reason: e.to_string(),
        })?;
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            token: TokenConfig::from_env(env)?,
            signing: SigningConfig::from_env(env)?,
            code: CodeConfig::from_env(env)?,
            user_pool_id: env.required("USER_POOL_ID")?.to_owned(),
            username_is_email: env.parse_or("USERNAME_IS_EMAIL", true)?,
            user_pool_client_id: env.required("USER_POOL_CLIENT_ID")?.to_owned(),
            accounts_per_hour: env.count_or("MAX_ACCOUNTS_PER_HOUR", 500)?,
            from_address: env.required("FROM_ADDRESS")?.to_owned(),
            configuration_set: env.optional("SES_CONFIGURATION_SET").map(str::to_owned),
            sign_up: env.parse_or("SIGNUP_MODE", SignUpMode::Open)?,
            queue_url: env.optional("MAIL_QUEUE_URL").map(str::to_owned),
            max_receives: env.count_or("MAX_RECEIVE_COUNT", 5)?,
            retry_base: env.seconds_or("RETRY_BASE_SECONDS", 30)?,
            send_limit: send_limit(env.parse_or("SES_MAX_SEND_RATE", 14.0)?)?,
            templates,
        })
    }
}

/// The limit of `per_second` sends a second; none for 0.
fn send_limit(per_second: f64) -> Result<Option<Limit>, ConfigError> {
    if per_second == 0.0 {
        return Ok(None);
    }
    Limit::per_second(per_second)
        .map(Some)
        .ok_or_else(|| ConfigError::Invalid {
            name: "SES_MAX_SEND_RATE",
            reason: format!("{per_second} is not a number of mails per second"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_required_variable_is_named() {
        let all = [
            ("TABLE_NAME", "t"),
            ("EVENT_BUS_NAME", "b"),
            ("FINGERPRINT_KEY_ID", "fingerprint-key"),
            ("SIGNING_KEY_ID", "k"),
            ("CODE_KEY_ID", "code-key"),
            ("USER_POOL_ID", "p"),
            ("USER_POOL_CLIENT_ID", "c"),
            ("FROM_ADDRESS", "no-reply@example.com"),
        ];
        assert!(MailerConfig::from_env(&Env::from_pairs(all)).is_ok());
        for (name, _) in all {
            let env = Env::from_pairs(all.into_iter().filter(|(k, _)| *k != name));
            assert_eq!(
                MailerConfig::from_env(&env).unwrap_err(),
                ConfigError::Missing { name },
                "{name}"
            );
        }
        let mut no_such_language = all.to_vec();
        no_such_language.push(("DEFAULT_LOCALE", "pt"));
        assert!(matches!(
            MailerConfig::from_env(&Env::from_pairs(no_such_language)).unwrap_err(),
            ConfigError::Invalid { name: "MAIL_TEMPLATE_DIR", reason } if reason.contains("\"pt\"")
        ));
        for (rate, limit) in [
            ("0", None),
            ("14", Limit::per_second(14.0)),
            ("0.5", Limit::per_second(0.5)),
        ] {
            let mut env = all.to_vec();
            env.push(("SES_MAX_SEND_RATE", rate));
            let config = MailerConfig::from_env(&Env::from_pairs(env)).unwrap();
            assert_eq!(config.send_limit, limit, "{rate}");
        }
        for rate in ["-1", "NaN", "inf", "fast"] {
            let mut env = all.to_vec();
            env.push(("SES_MAX_SEND_RATE", rate));
            assert!(
                matches!(
                    MailerConfig::from_env(&Env::from_pairs(env)),
                    Err(ConfigError::Invalid {
                        name: "SES_MAX_SEND_RATE",
                        ..
                    })
                ),
                "{rate}"
            );
        }
        let mut bad = all.to_vec();
        bad.push(("SIGNUP_MODE", "closed"));
        assert!(matches!(
            MailerConfig::from_env(&Env::from_pairs(bad)).unwrap_err(),
            ConfigError::Invalid {
                name: "SIGNUP_MODE",
                ..
            }
        ));
    }
}
