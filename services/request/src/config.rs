//! The request service's configuration, read once at start-up.

use magiclink::config::{
    ConfigError, Env, EventsConfig, RateLimitConfig, StoreConfig, TokenConfig,
};

use crate::redirect::RedirectPolicy;

/// Everything the request handler needs to know.
#[derive(Debug, Clone)]
pub struct RequestConfig {
    pub store: StoreConfig,
    pub events: EventsConfig,
    pub token: TokenConfig,
    pub limits: RateLimitConfig,
    /// `ALLOWED_REDIRECT_URIS` (comma-separated) and `DEFAULT_REDIRECT_URI`.
    pub redirects: RedirectPolicy,
}

impl RequestConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let allowed = env.list("ALLOWED_REDIRECT_URIS");
        if allowed.is_empty() {
            return Err(ConfigError::Missing {
                name: "ALLOWED_REDIRECT_URIS",
            });
        }
        let default = env.required("DEFAULT_REDIRECT_URI")?;
        let redirects =
            RedirectPolicy::new(&allowed, default).map_err(|reason| ConfigError::Invalid {
                name: "ALLOWED_REDIRECT_URIS",
                reason,
            })?;
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            token: TokenConfig::from_env(env)?,
            limits: RateLimitConfig::from_env(env)?,
            redirects,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("TABLE_NAME", "t"),
            ("EVENT_BUS_NAME", "b"),
            ("FINGERPRINT_KEY_ID", "fingerprint-key"),
            ("ALLOWED_REDIRECT_URIS", "https://app.example.com/auth/*"),
            ("DEFAULT_REDIRECT_URI", "https://app.example.com/auth/cb"),
        ]
    }

    #[test]
    fn a_complete_environment_loads() {
        let config = RequestConfig::from_env(&Env::from_pairs(base())).unwrap();
        assert_eq!(config.store.table_name, "t");
    }

    #[test]
    fn each_missing_variable_is_named() {
        for name in [
            "TABLE_NAME",
            "EVENT_BUS_NAME",
            "FINGERPRINT_KEY_ID",
            "ALLOWED_REDIRECT_URIS",
            "DEFAULT_REDIRECT_URI",
        ] {
            let env = Env::from_pairs(base().into_iter().filter(|(k, _)| *k != name));
            assert_eq!(
                RequestConfig::from_env(&env).unwrap_err(),
                ConfigError::Missing { name },
                "{name}"
            );
        }
    }

    #[test]
    fn a_default_outside_the_allow_list_is_refused() {
        let mut pairs = base();
        pairs.push(("DEFAULT_REDIRECT_URI", "https://evil.example/"));
        let err = RequestConfig::from_env(&Env::from_pairs(pairs)).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::Invalid {
                    name: "ALLOWED_REDIRECT_URIS",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
