//! The feedback function's configuration, read once at start-up.

use std::time::Duration;

use magiclink::config::{ConfigError, Env, EventsConfig, StoreConfig};

/// Everything the feedback function needs to know.
#[derive(Debug, Clone)]
pub struct FeedbackConfig {
    pub store: StoreConfig,
    pub events: EventsConfig,
    /// `SUPPRESSION_DAYS`: how long a hard bounce or a complaint stops
    /// magiclink mailing the address (default 30; 0: only SES's own
    /// suppression list applies).
    pub suppress_for: Duration,
}

const DAY: u64 = 24 * 3600;

impl FeedbackConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let days: u16 = env.parse_or("SUPPRESSION_DAYS", 30)?;
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            suppress_for: Duration::from_secs(u64::from(days) * DAY),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIRED: [(&str, &str); 3] = [
        ("TABLE_NAME", "t"),
        ("EVENT_BUS_NAME", "b"),
        ("FINGERPRINT_KEY_ID", "k"),
    ];

    #[test]
    fn suppression_lasts_thirty_days_unless_told() {
        let config = FeedbackConfig::from_env(&Env::from_pairs(REQUIRED)).unwrap();
        assert_eq!(config.suppress_for, Duration::from_secs(30 * DAY));
        let mut off = REQUIRED.to_vec();
        off.push(("SUPPRESSION_DAYS", "0"));
        let config = FeedbackConfig::from_env(&Env::from_pairs(off)).unwrap();
        assert_eq!(config.suppress_for, Duration::ZERO);
        let mut bad = REQUIRED.to_vec();
        bad.push(("SUPPRESSION_DAYS", "-1"));
        assert!(matches!(
            FeedbackConfig::from_env(&Env::from_pairs(bad)).unwrap_err(),
            ConfigError::Invalid {
                name: "SUPPRESSION_DAYS",
                ..
            }
        ));
    }
}
