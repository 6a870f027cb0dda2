//! The passkeys service's configuration, read once at start-up.

use std::time::Duration;

use magiclink::config::{ConfigError, Env, EventsConfig, StoreConfig};
use magiclink::rate_limit::Limit;
use magiclink_webauthn::PasskeyConfig;

/// Everything the endpoints need to know.
#[derive(Debug, Clone)]
pub struct PasskeysConfig {
    pub store: StoreConfig,
    pub events: EventsConfig,
    /// The relying party; `None` when passkeys are off (every endpoint then
    /// answers `404`).
    pub passkeys: Option<PasskeyConfig>,
    /// The pool and app client whose access tokens are accepted
    /// (`USER_POOL_ID`, `USER_POOL_CLIENT_ID`).
    pub user_pool_id: String,
    pub client_id: String,
    /// Usernameless challenges per client IP: `RATE_PASSKEY_IP_MAX` per
    /// `RATE_IP_WINDOW_SECONDS` (default 300 per 900 s).
    pub per_ip: Limit,
    /// A passkey is added or removed only by a user who signed in within
    /// `PASSKEY_FRESH_SECONDS` (default 300).
    pub fresh_for: Duration,
}

impl PasskeysConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            passkeys: PasskeyConfig::from_env(env)?,
            user_pool_id: env.required("USER_POOL_ID")?.to_owned(),
            client_id: env.required("USER_POOL_CLIENT_ID")?.to_owned(),
            per_ip: Limit::new(
                env.count_or("RATE_PASSKEY_IP_MAX", 300)?,
                env.seconds_or("RATE_IP_WINDOW_SECONDS", 900)?,
            ),
            fresh_for: env.seconds_or("PASSKEY_FRESH_SECONDS", 300)?,
        })
    }
}
