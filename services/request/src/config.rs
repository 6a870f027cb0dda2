//! The request service's configuration, read once at start-up.

use magiclink::config::{
    ConfigError, Env, EventsConfig, RateLimitConfig, SignUpMode, StoreConfig, TokenConfig,
    VerificationConfig, redirects_from_env,
};
use magiclink::rate_limit::Limit;
use magiclink::redirect::RedirectPolicy;
use magiclink::token::{LinkVerifier, audience};

/// What the status and approval endpoints need to know.
#[derive(Debug, Clone)]
pub struct ApprovalConfig {
    /// Checks the links' tokens (the public keys and issuer the verifier
    /// uses).
    pub tokens: LinkVerifier,
    /// The tokens' audience: `<user pool id>/<app client id>`.
    pub audience: String,
    /// Status and approval requests per client IP.
    pub per_ip: Limit,
    /// Whether the status tells where the mail is (sign-up mode `open`).
    pub reports_delivery: bool,
}

/// Everything the request handler needs to know.
#[derive(Debug, Clone)]
pub struct RequestConfig {
    pub store: StoreConfig,
    pub events: EventsConfig,
    pub token: TokenConfig,
    pub limits: RateLimitConfig,
    /// `ALLOWED_REDIRECT_URIS` (comma-separated) and `DEFAULT_REDIRECT_URI`.
    pub redirects: RedirectPolicy,
    /// The status and approval endpoints: `ACCEPTED_PUBLIC_KEYS` and
    /// `TOKEN_ISSUER` (as the verifier has them), `USER_POOL_ID` and
    /// `USER_POOL_CLIENT_ID` (the tokens' audience), and `RATE_STATUS_IP_MAX`
    /// requests per client IP per `RATE_IP_WINDOW_SECONDS` (default 1200 per
    /// 900 s: a browser polling every 2 s for a whole 15-minute link uses
    /// 450).
    pub approval: ApprovalConfig,
    /// `APPROVAL_KEY_ID`: the KMS key (ECC_NIST_P256, SIGN_VERIFY) that
    /// approvals' proofs are signed with; only this function's role may
    /// use it (see [`magiclink::approval`]).
    pub approval_key_id: String,
}

impl RequestConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let redirects = redirects_from_env(env)?;
        let token = TokenConfig::from_env(env)?;
        let approval = ApprovalConfig {
            tokens: LinkVerifier::new(VerificationConfig::from_env(env)?.keys, &token.issuer),
            audience: audience(
                env.required("USER_POOL_ID")?,
                env.required("USER_POOL_CLIENT_ID")?,
            ),
            per_ip: Limit::new(
                env.count_or("RATE_STATUS_IP_MAX", 1200)?,
                env.seconds_or("RATE_IP_WINDOW_SECONDS", 900)?,
            ),
            reports_delivery: env.parse_or("SIGNUP_MODE", SignUpMode::Open)? == SignUpMode::Open,
        };
        Ok(Self {
            store: StoreConfig::from_env(env)?,
            events: EventsConfig::from_env(env)?,
            token,
            limits: RateLimitConfig::from_env(env)?,
            redirects,
            approval,
            approval_key_id: env.required("APPROVAL_KEY_ID")?.to_owned(),
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
            ("ACCEPTED_PUBLIC_KEYS", KEYS),
            ("USER_POOL_ID", "pool"),
            ("USER_POOL_CLIENT_ID", "client"),
            ("APPROVAL_KEY_ID", "approval-key"),
        ]
    }

    /// A key set of one P-256 key (the test key of RFC 7515, appendix A.3).
    const KEYS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

    #[test]
    fn a_complete_environment_loads() {
        let config = RequestConfig::from_env(&Env::from_pairs(base())).unwrap();
        assert_eq!(config.store.table_name, "t");
        assert_eq!(config.approval.audience, "pool/client");
        assert_eq!(
            config.approval.per_ip,
            Limit::new(1200, std::time::Duration::from_secs(900))
        );
    }

    #[test]
    fn each_missing_variable_is_named() {
        for name in [
            "TABLE_NAME",
            "EVENT_BUS_NAME",
            "FINGERPRINT_KEY_ID",
            "ALLOWED_REDIRECT_URIS",
            "DEFAULT_REDIRECT_URI",
            "ACCEPTED_PUBLIC_KEYS",
            "USER_POOL_ID",
            "USER_POOL_CLIENT_ID",
            "APPROVAL_KEY_ID",
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
