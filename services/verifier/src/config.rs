//! The verifier's configuration, read once at start-up.

use magiclink::config::{
    ApprovalKeysConfig, CodeConfig, ConfigError, Env, EventsConfig, StoreConfig, TokenConfig,
    VerificationConfig,
};
use magiclink_webauthn::PasskeyConfig;

/// Everything the triggers need to know.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    pub store: StoreConfig,
    pub events: EventsConfig,
    pub token: TokenConfig,
    pub keys: VerificationConfig,
    pub approvals: ApprovalKeysConfig,
    pub code: CodeConfig,
    /// The relying party of passkey sign-ins; `None` when passkeys are off.
    pub passkeys: Option<PasskeyConfig>,
}

impl VerifierConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            token: TokenConfig::from_env(env)?,
            keys: VerificationConfig::from_env(env)?,
            approvals: ApprovalKeysConfig::from_env(env)?,
            code: CodeConfig::from_env(env)?,
            passkeys: PasskeyConfig::from_env(env)?,
        })
    }
}
