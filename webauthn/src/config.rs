//! The relying party's configuration, read once from the environment:
//! `PASSKEY_RP_ID` (a domain; empty turns passkeys off), `PASSKEY_ORIGINS`
//! (the pages' origins, comma-separated, each on the RP id or under it),
//! `PASSKEY_RP_NAME` and `PASSKEY_USER_VERIFICATION` (`required`, the
//! default, or `preferred`).

use magiclink::config::{ConfigError, Env};
use url::Url;

/// Whether an authenticator must verify its user (PIN, biometrics) or only
/// see them present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserVerification {
    Required,
    Preferred,
}

/// The relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyConfig {
    pub rp_id: String,
    pub rp_name: String,
    pub origins: Vec<Url>,
    pub user_verification: UserVerification,
}

impl PasskeyConfig {
    /// The configuration, or `None` when passkeys are off (no RP id).
    pub fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        let Some(rp_id) = env.optional("PASSKEY_RP_ID") else {
            return Ok(None);
        };
        let invalid = |name, reason: String| ConfigError::Invalid { name, reason };
        let rp_id = rp_id.to_ascii_lowercase();
        if rp_id.contains(['/', ':', ' ']) || rp_id.starts_with('.') || rp_id.ends_with('.') {
            return Err(invalid(
                "PASSKEY_RP_ID",
                format!("{rp_id:?} is not a domain"),
            ));
        }
        let origins = env.list("PASSKEY_ORIGINS");
        if origins.is_empty() {
            return Err(ConfigError::Missing {
                name: "PASSKEY_ORIGINS",
            });
        }
        let origins = origins
            .iter()
            .map(|raw| origin(raw, &rp_id).map_err(|reason| invalid("PASSKEY_ORIGINS", reason)))
            .collect::<Result<Vec<_>, _>>()?;
        let user_verification = match env.optional("PASSKEY_USER_VERIFICATION") {
            None | Some("required") => UserVerification::Required,
            Some("preferred") => UserVerification::Preferred,
            Some(other) => {
                return Err(invalid(
                    "PASSKEY_USER_VERIFICATION",
                    format!("{other:?} is neither required nor preferred"),
                ));
            }
        };
        Ok(Some(Self {
            rp_id,
            rp_name: env
                .optional("PASSKEY_RP_NAME")
                .unwrap_or("magiclink")
                .to_owned(),
            origins,
            user_verification,
        }))
    }
}

/// An allowed origin: a scheme, a host on the RP id (or under it) and a
/// port, nothing else; `https`, or `http` on a loopback host.
fn origin(raw: &str, rp_id: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?}: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
        return Err(format!(
            "{raw:?}: https is required (http on loopback only)"
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{raw:?}: an origin has no path, query or fragment"));
    }
    if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
        return Err(format!("{raw:?}: its host is not {rp_id} nor under it"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<Option<PasskeyConfig>, ConfigError> {
        PasskeyConfig::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn no_rp_id_is_passkeys_off() {
        assert_eq!(read(&[]), Ok(None));
        assert_eq!(read(&[("PASSKEY_RP_ID", " ")]), Ok(None));
    }

    #[test]
    fn a_relying_party_with_its_origins() {
        let config = read(&[
            ("PASSKEY_RP_ID", "Example.com"),
            (
                "PASSKEY_ORIGINS",
                "https://example.com, https://app.example.com:8443",
            ),
            ("PASSKEY_USER_VERIFICATION", "preferred"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(config.rp_id, "example.com");
        assert_eq!(config.rp_name, "magiclink");
        assert_eq!(config.origins.len(), 2);
        assert_eq!(config.user_verification, UserVerification::Preferred);
        let local = read(&[
            ("PASSKEY_RP_ID", "localhost"),
            ("PASSKEY_ORIGINS", "http://localhost:8000"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(local.user_verification, UserVerification::Required);
    }

    #[test]
    fn bad_relying_parties_are_refused_with_their_reason() {
        let cases: [(&[(&str, &str)], &str); 8] = [
            (&[("PASSKEY_RP_ID", "example.com")], "PASSKEY_ORIGINS"),
            (
                &[
                    ("PASSKEY_RP_ID", "https://example.com"),
                    ("PASSKEY_ORIGINS", "https://example.com"),
                ],
                "PASSKEY_RP_ID",
            ),
            (
                &[
                    ("PASSKEY_RP_ID", "example.com"),
                    ("PASSKEY_ORIGINS", "http://example.com"),
                ],
                "PASSKEY_ORIGINS",
            ),
            (
                &[
                    ("PASSKEY_RP_ID", "example.com"),
                    ("PASSKEY_ORIGINS", "https://evil.com"),
                ],
                "PASSKEY_ORIGINS",
            ),
            (
                &[
                    ("PASSKEY_RP_ID", "example.com"),
                    ("PASSKEY_ORIGINS", "https://notexample.com"),
                ],
                "PASSKEY_ORIGINS",
            ),
            (
                &[
                    ("PASSKEY_RP_ID", "example.com"),
                    ("PASSKEY_ORIGINS", "https://example.com/app"),
                ],
                "PASSKEY_ORIGINS",
            ),
            (
                &[
                    ("PASSKEY_RP_ID", "example.com"),
                    ("PASSKEY_ORIGINS", "not a url"),
                ],
                "PASSKEY_ORIGINS",
            ),
            (
                &[
                    ("PASSKEY_RP_ID", "example.com"),
                    ("PASSKEY_ORIGINS", "https://example.com"),
                    ("PASSKEY_USER_VERIFICATION", "discouraged"),
                ],
                "PASSKEY_USER_VERIFICATION",
            ),
        ];
        for (pairs, variable) in cases {
            let error = read(pairs).unwrap_err();
            let named = match &error {
                ConfigError::Missing { name } | ConfigError::Invalid { name, .. } => *name,
            };
            assert_eq!(named, variable, "{pairs:?}: {error}");
        }
    }
}
