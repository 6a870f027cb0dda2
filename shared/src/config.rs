//! Configuration, read once from the environment at start-up.
//!
//! Each service describes what it needs as a struct of the sections below and
//! builds it through an [`Env`]. Every error names the variable at fault, so a
//! misconfigured function fails its first start with a line that says what to
//! fix, and never halfway through a request.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use crate::code::CodeDigits;
use crate::rate_limit::Limit;
use crate::redirect::RedirectPolicy;
use crate::token::PublicKeys;

/// A configuration variable that is missing or cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {name} is required but not set")]
    Missing { name: &'static str },
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Where configuration values come from: the process environment, or a map
/// in tests.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    /// A snapshot of the process environment.
    pub fn from_process() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An environment made of the given pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// The variable's value; an empty value counts as unset.
    pub fn optional(&self, name: &'static str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The variable's value, which must be set and not empty.
    pub fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing { name })
    }

    /// The variable parsed as `T`, or `default` when unset.
    pub fn parse_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: format!("{raw:?}: {e}"),
            }),
        }
    }

    /// A comma-separated list; empty items are dropped.
    pub fn list(&self, name: &'static str) -> Vec<String> {
        self.optional(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A positive number of seconds, or `default` when unset.
    pub fn seconds_or(&self, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let secs: u64 = self.parse_or(name, default)?;
        if secs == 0 {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be at least 1 second".into(),
            });
        }
        Ok(Duration::from_secs(secs))
    }

    /// A positive count, or `default` when unset.
    pub fn count_or(&self, name: &'static str, default: u32) -> Result<u32, ConfigError> {
        let n: u32 = self.parse_or(name, default)?;
        if n == 0 {
            return Err(ConfigError::Invalid {
                name,
                reason: "must be at least 1".into(),
            });
        }
        Ok(n)
    }
}

/// Where challenges and rate-limit counters live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `TABLE_NAME`: the DynamoDB table.
    pub table_name: String,
}

impl StoreConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: env.required("TABLE_NAME")?.to_owned(),
        })
    }
}

/// Where events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsConfig {
    /// `EVENT_BUS_NAME`: the EventBridge bus.
    pub bus_name: String,
    /// `FINGERPRINT_KEY_ID`: the KMS HMAC key from which the key of the
    /// fingerprints that events, logs and table keys carry instead of
    /// addresses and IPs is derived (see [`crate::fingerprint`]).
    pub fingerprint_key_id: String,
}

impl EventsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            bus_name: env.required("EVENT_BUS_NAME")?.to_owned(),
            fingerprint_key_id: env.required("FINGERPRINT_KEY_ID")?.to_owned(),
        })
    }
}

/// The one-time code each mail carries (see [`crate::code`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeConfig {
    /// `CODE_KEY_ID`: the KMS HMAC key the code key is derived from.
    pub key_id: String,
    /// `CODE_DIGITS`: 6 to 10; default 8.
    pub digits: CodeDigits,
    /// `CODE_GUESS_BUDGET` wrong codes per `CODE_GUESS_WINDOW_SECONDS`, one
    /// user's across all their challenges; default 20 per 86400 s. Once spent,
    /// no code signs that user in until the window passes.
    pub guesses: Limit,
}

impl CodeConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            key_id: env.required("CODE_KEY_ID")?.to_owned(),
            digits: env.parse_or("CODE_DIGITS", CodeDigits::DEFAULT)?,
            guesses: Limit::new(
                env.count_or("CODE_GUESS_BUDGET", 20)?,
                env.seconds_or("CODE_GUESS_WINDOW_SECONDS", 86_400)?,
            ),
        })
    }
}

/// What a link token says and how long it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenConfig {
    /// `TOKEN_ISSUER`: the `iss` claim written and expected; default `magiclink`.
    pub issuer: String,
    /// `LINK_TTL_SECONDS`: a link's lifetime; default 900 (15 minutes).
    pub link_ttl: Duration,
}

impl TokenConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let link_ttl = env.seconds_or("LINK_TTL_SECONDS", 900)?;
        if link_ttl > Duration::from_secs(24 * 3600) {
            return Err(ConfigError::Invalid {
                name: "LINK_TTL_SECONDS",
                reason: "a link may live at most 86400 seconds".into(),
            });
        }
        Ok(Self {
            issuer: env
                .optional("TOKEN_ISSUER")
                .unwrap_or("magiclink")
                .to_owned(),
            link_ttl,
        })
    }
}

/// `ALLOWED_REDIRECT_URIS` (comma-separated, required) and
/// `DEFAULT_REDIRECT_URI` (one of them): where a link may point.
pub fn redirects_from_env(env: &Env) -> Result<RedirectPolicy, ConfigError> {
    let allowed = env.list("ALLOWED_REDIRECT_URIS");
    if allowed.is_empty() {
        return Err(ConfigError::Missing {
            name: "ALLOWED_REDIRECT_URIS",
        });
    }
    let default = env.required("DEFAULT_REDIRECT_URI")?;
    RedirectPolicy::new(&allowed, default).map_err(|reason| ConfigError::Invalid {
        name: "ALLOWED_REDIRECT_URIS",
        reason,
    })
}

/// The signing key the mailer signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningConfig {
    /// `SIGNING_KEY_ID`: the KMS key id or ARN; it is also the token's `kid`.
    pub key_id: String,
}

impl SigningConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            key_id: env.required("SIGNING_KEY_ID")?.to_owned(),
        })
    }
}

/// The keys whose signatures the verifier accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationConfig {
    /// `ACCEPTED_PUBLIC_KEYS`: a JSON Web Key Set of the accepted keys, each
    /// under its `kid` (the KMS key id the mailer signs with). The template
    /// fills it at deploy time from KMS; a rotation adds the new key before
    /// the mailer signs with it, and drops the old one a link lifetime later.
    pub keys: PublicKeys,
}

impl VerificationConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            keys: key_set(env, "ACCEPTED_PUBLIC_KEYS")?,
        })
    }
}

/// The JSON Web Key Set in the variable `name`.
fn key_set(env: &Env, name: &'static str) -> Result<PublicKeys, ConfigError> {
    PublicKeys::from_jwks(env.required(name)?).map_err(|e| ConfigError::Invalid {
        name,
        reason: e.to_string(),
    })
}

/// The keys whose signatures prove an approval (see [`crate::approval`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalKeysConfig {
    /// `APPROVAL_PUBLIC_KEYS`: a JSON Web Key Set of the approval key's
    /// public half, under its `kid` (the KMS key id); filled at deploy time
    /// from KMS like `ACCEPTED_PUBLIC_KEYS`.
    pub keys: PublicKeys,
}

impl ApprovalKeysConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            keys: key_set(env, "APPROVAL_PUBLIC_KEYS")?,
        })
    }
}

/// How many link requests are admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// `RATE_EMAIL_MAX` per `RATE_EMAIL_WINDOW_SECONDS`; default 5 per 900 s.
    pub per_email: Limit,
    /// `RATE_EMAIL_BURST_WINDOW_SECONDS`: at most one link per this many
    /// seconds for one address; default 30.
    pub per_email_burst: Limit,
    /// `RATE_MAILBOX_MAX` per `RATE_EMAIL_WINDOW_SECONDS`, for all the
    /// spellings of one mailbox together; default 10 per 900 s.
    pub per_mailbox: Limit,
    /// `RATE_IP_MAX` per `RATE_IP_WINDOW_SECONDS`; default 30 per 900 s.
    pub per_ip: Limit,
}

impl RateLimitConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let email_window = env.seconds_or("RATE_EMAIL_WINDOW_SECONDS", 900)?;
        Ok(Self {
            per_email: Limit::new(env.count_or("RATE_EMAIL_MAX", 5)?, email_window),
            per_mailbox: Limit::new(env.count_or("RATE_MAILBOX_MAX", 10)?, email_window),
            per_email_burst: Limit::new(1, env.seconds_or("RATE_EMAIL_BURST_WINDOW_SECONDS", 30)?),
            per_ip: Limit::new(
                env.count_or("RATE_IP_MAX", 30)?,
                env.seconds_or("RATE_IP_WINDOW_SECONDS", 900)?,
            ),
        })
    }
}

/// Who may receive a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignUpMode {
    /// An unknown address gets an account (created by the mailer).
    #[default]
    Open,
    /// Only existing users get links; the rest are suppressed.
    Existing,
}

impl FromStr for SignUpMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Self::Open),
            "existing" => Ok(Self::Existing),
            other => Err(format!("expected \"open\" or \"existing\", got {other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_variable_is_named() {
        let env = Env::from_pairs([("TABLE_NAME", "  ")]);
        assert_eq!(
            StoreConfig::from_env(&env),
            Err(ConfigError::Missing { name: "TABLE_NAME" })
        );
        assert_eq!(
            ConfigError::Missing { name: "TABLE_NAME" }.to_string(),
            "environment variable TABLE_NAME is required but not set"
        );
    }

    #[test]
    fn malformed_number_is_named_with_its_value() {
        let env = Env::from_pairs([("LINK_TTL_SECONDS", "15m")]);
        let err = TokenConfig::from_env(&env).unwrap_err();
        match err {
            ConfigError::Invalid { name, reason } => {
                assert_eq!(name, "LINK_TTL_SECONDS");
                assert!(reason.contains("\"15m\""), "{reason}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn zero_and_overlong_lifetimes_are_refused() {
        for raw in ["0", "86401"] {
            let env = Env::from_pairs([("LINK_TTL_SECONDS", raw)]);
            assert!(
                matches!(
                    TokenConfig::from_env(&env),
                    Err(ConfigError::Invalid {
                        name: "LINK_TTL_SECONDS",
                        ..
                    })
                ),
                "{raw}"
            );
        }
    }

    #[test]
    fn defaults_follow_the_design() {
        let env = Env::default();
        let token = TokenConfig::from_env(&env).unwrap();
        assert_eq!(token.link_ttl, Duration::from_secs(900));
        assert_eq!(token.issuer, "magiclink");
        let limits = RateLimitConfig::from_env(&env).unwrap();
        assert_eq!(limits.per_email, Limit::new(5, Duration::from_secs(900)));
        assert_eq!(
            limits.per_email_burst,
            Limit::new(1, Duration::from_secs(30))
        );
        assert_eq!(limits.per_ip, Limit::new(30, Duration::from_secs(900)));
        assert_eq!(limits.per_mailbox, Limit::new(10, Duration::from_secs(900)));
    }

    #[test]
    fn a_users_wrong_codes_are_budgeted_20_a_day_unless_configured() {
        let env = Env::from_pairs([("CODE_KEY_ID", "k")]);
        assert_eq!(
            CodeConfig::from_env(&env).unwrap().guesses,
            Limit::new(20, Duration::from_secs(86_400))
        );
        let env = Env::from_pairs([
            ("CODE_KEY_ID", "k"),
            ("CODE_GUESS_BUDGET", "3"),
            ("CODE_GUESS_WINDOW_SECONDS", "60"),
        ]);
        assert_eq!(
            CodeConfig::from_env(&env).unwrap().guesses,
            Limit::new(3, Duration::from_secs(60))
        );
        for (name, bad) in [
            ("CODE_GUESS_BUDGET", "0"),
            ("CODE_GUESS_BUDGET", "-1"),
            ("CODE_GUESS_WINDOW_SECONDS", "0"),
            ("CODE_GUESS_WINDOW_SECONDS", "a day"),
        ] {
            let env = Env::from_pairs([("CODE_KEY_ID", "k"), (name, bad)]);
            assert!(
                matches!(CodeConfig::from_env(&env), Err(ConfigError::Invalid { name: n, .. }) if n == name),
                "{name}={bad}"
            );
        }
    }

    #[test]
    fn codes_have_eight_digits_unless_configured_within_six_to_ten() {
        let env = Env::from_pairs([("CODE_KEY_ID", "k")]);
        assert_eq!(
            CodeConfig::from_env(&env).unwrap().digits,
            CodeDigits::DEFAULT
        );
        let env = Env::from_pairs([("CODE_KEY_ID", "k"), ("CODE_DIGITS", "6")]);
        assert_eq!(CodeConfig::from_env(&env).unwrap().digits.get(), 6);
        for bad in ["5", "11", "eight"] {
            let env = Env::from_pairs([("CODE_KEY_ID", "k"), ("CODE_DIGITS", bad)]);
            assert!(matches!(
                CodeConfig::from_env(&env),
                Err(ConfigError::Invalid {
                    name: "CODE_DIGITS",
                    ..
                })
            ));
        }
        assert_eq!(
            CodeConfig::from_env(&Env::default()),
            Err(ConfigError::Missing {
                name: "CODE_KEY_ID"
            })
        );
    }

    #[test]
    fn accepted_keys_are_a_key_set() {
        let mut keys = PublicKeys::default();
        let key = p256::ecdsa::SigningKey::from_slice(&[3; 32]).unwrap();
        keys.insert("k1".into(), *key.verifying_key()).unwrap();
        let env = Env::from_pairs([("ACCEPTED_PUBLIC_KEYS", keys.to_jwks().as_str())]);
        assert_eq!(VerificationConfig::from_env(&env).unwrap().keys, keys);
        assert_eq!(
            VerificationConfig::from_env(&Env::default()),
            Err(ConfigError::Missing {
                name: "ACCEPTED_PUBLIC_KEYS"
            })
        );
        let env = Env::from_pairs([("ACCEPTED_PUBLIC_KEYS", r#"{"keys":[]}"#)]);
        assert_eq!(
            VerificationConfig::from_env(&env),
            Err(ConfigError::Invalid {
                name: "ACCEPTED_PUBLIC_KEYS",
                reason: "the key set is empty".into()
            })
        );
    }

    #[test]
    fn sign_up_mode_parses_both_modes_only() {
        let env = Env::from_pairs([("SIGNUP_MODE", "existing")]);
        assert_eq!(
            env.parse_or("SIGNUP_MODE", SignUpMode::Open).unwrap(),
            SignUpMode::Existing
        );
        let env = Env::from_pairs([("SIGNUP_MODE", "closed")]);
        assert!(env.parse_or("SIGNUP_MODE", SignUpMode::Open).is_err());
    }
}
