//! The admin service's configuration, read once at start-up.

use magiclink::config::{ConfigError, Env, EventsConfig, StoreConfig, redirects_from_env};
use magiclink::rate_limit::Limit;
use magiclink::redirect::RedirectPolicy;

/// What the admin endpoints need to know.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub store: StoreConfig,
    pub events: EventsConfig,
    /// `USER_POOL_ID`: whose users are looked up and signed out.
    pub user_pool_id: String,
    /// Where an invitation's link may point: the link requests' allow-list.
    pub redirects: RedirectPolicy,
    /// `INVITE_CALLER_MAX` per `INVITE_CALLER_WINDOW_SECONDS` (default 1000
    /// an hour): invitations one IAM principal may send.
    pub per_caller: Limit,
    /// `INVITE_EMAIL_MAX` per `INVITE_EMAIL_WINDOW_SECONDS` (default 5 a
    /// day): invitations one address may receive.
    pub per_email: Limit,
}

impl AdminConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            user_pool_id: env.required("USER_POOL_ID")?.to_owned(),
            redirects: redirects_from_env(env)?,
            per_caller: Limit::new(
                env.count_or("INVITE_CALLER_MAX", 1000)?,
                env.seconds_or("INVITE_CALLER_WINDOW_SECONDS", 3600)?,
            ),
            per_email: Limit::new(
                env.count_or("INVITE_EMAIL_MAX", 5)?,
                env.seconds_or("INVITE_EMAIL_WINDOW_SECONDS", 86_400)?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn env(extra: &[(&str, &str)]) -> Env {
        let mut vars = vec![
            ("TABLE_NAME", "t"),
            ("EVENT_BUS_NAME", "b"),
            ("FINGERPRINT_KEY_ID", "k"),
            ("USER_POOL_ID", "us-east-1_x"),
            ("ALLOWED_REDIRECT_URIS", "https://app.example/"),
            ("DEFAULT_REDIRECT_URI", "https://app.example/"),
        ];
        vars.extend_from_slice(extra);
        Env::from_pairs(vars)
    }

    #[test]
    fn the_defaults_and_each_bad_value_are_told() {
        let config = AdminConfig::from_env(&env(&[])).unwrap();
        assert_eq!(config.per_caller.max, 1000);
        assert_eq!(config.per_email.max, 5);
        assert_eq!(
            config.per_email.window,
            std::time::Duration::from_secs(86_400)
        );
        let bad = AdminConfig::from_env(&env(&[("INVITE_EMAIL_MAX", "many")])).unwrap_err();
        assert!(bad.to_string().contains("INVITE_EMAIL_MAX"), "{bad}");
        let missing = AdminConfig::from_env(&Env::from_pairs([("TABLE_NAME", "t")])).unwrap_err();
        assert!(!missing.to_string().is_empty());
    }
}
