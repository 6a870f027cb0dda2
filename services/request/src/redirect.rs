//! The redirect allow-list: where a sign-in link may point.
//!
//! A link is `<redirectUri>#<token>`, so an attacker who could choose the
//! redirect would receive the token. A candidate is accepted only if it is an
//! absolute `http`/`https` URL, without user info or fragment, whose scheme,
//! host and port equal those of an allowed entry, and whose path starts with
//! the entry's path at a segment boundary (`/auth` admits `/auth` and
//! `/auth/cb`, not `/authority`). URLs are parsed as browsers parse them
//! (WHATWG), so `//evil.example`, `javascript:…`, backslashes, dot segments
//! and odd host spellings are judged by what a browser would open.

use url::Url;

/// The longest redirect URI accepted.
pub const MAX_REDIRECT_LEN: usize = 2048;

/// Why a redirect URI is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("redirectUri is longer than {MAX_REDIRECT_LEN} characters")]
    TooLong,
    #[error("redirectUri is not an absolute URL")]
    NotAbsolute,
    #[error("redirectUri must be an http or https URL without user info or fragment")]
    Unsafe,
    #[error("redirectUri is not on the allow-list")]
    NotAllowed,
}

/// The allowed redirect prefixes and the default.
#[derive(Debug, Clone)]
pub struct RedirectPolicy {
    allowed: Vec<Url>,
    default: Url,
}

impl RedirectPolicy {
    /// `allowed` entries are absolute URLs; `default` must be allowed by them.
    pub fn new(allowed: &[String], default: &str) -> Result<Self, String> {
        let allowed = allowed
            .iter()
            .map(|entry| {
                let url = parse_safe(entry).map_err(|e| format!("{entry:?}: {e}"))?;
                if url.query().is_some() {
                    return Err(format!("{entry:?}: an allow-list entry has no query"));
                }
                Ok(url)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if allowed.is_empty() {
            return Err("the allow-list is empty".into());
        }
        let default = parse_safe(default).map_err(|e| format!("default {default:?}: {e}"))?;
        let policy = Self {
            allowed,
            default: default.clone(),
        };
        policy.check(default.as_str()).map_err(|_| {
            format!(
                "the default {:?} is not on the allow-list",
                default.as_str()
            )
        })?;
        Ok(policy)
    }

    /// The redirect to use: `candidate` if given and allowed, else the default.
    pub fn resolve(&self, candidate: Option<&str>) -> Result<Url, RedirectError> {
        match candidate {
            None => Ok(self.default.clone()),
            Some(candidate) => self.check(candidate),
        }
    }

    fn check(&self, candidate: &str) -> Result<Url, RedirectError> {
        if candidate.len() > MAX_REDIRECT_LEN {
            return Err(RedirectError::TooLong);
        }
        let url = parse_safe(candidate)?;
        if self.allowed.iter().any(|entry| admits(entry, &url)) {
            Ok(url)
        } else {
            Err(RedirectError::NotAllowed)
        }
    }
}

fn parse_safe(raw: &str) -> Result<Url, RedirectError> {
    let url = Url::parse(raw).map_err(|_| RedirectError::NotAbsolute)?;
    let safe = matches!(url.scheme(), "https" | "http")
        && url.has_host()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none();
    if safe {
        Ok(url)
    } else {
        Err(RedirectError::Unsafe)
    }
}

fn admits(entry: &Url, url: &Url) -> bool {
    let prefix = entry.path();
    let path = url.path();
    let path_ok = path == prefix
        || (path.starts_with(prefix)
            && (prefix.ends_with('/') || path[prefix.len()..].starts_with('/')));
    entry.scheme() == url.scheme()
        && entry.host_str() == url.host_str()
        && entry.port_or_known_default() == url.port_or_known_default()
        && path_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RedirectPolicy {
        RedirectPolicy::new(
            &[
                "https://app.example.com/auth".into(),
                "http://localhost:8080/".into(),
            ],
            "https://app.example.com/auth/callback",
        )
        .unwrap()
    }

    #[test]
    fn allowed_redirects() {
        let p = policy();
        for ok in [
            "https://app.example.com/auth",
            "https://app.example.com/auth/callback",
            "https://app.example.com/auth/callback?next=%2Fhome",
            "https://APP.example.com:443/auth/x",
            "https://app.example.com/auth/../auth/cb",
            "http://localhost:8080/",
            "http://localhost:8080/anything/here",
        ] {
            assert!(p.resolve(Some(ok)).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refused_redirects() {
        use RedirectError::*;
        let p = policy();
        let long = format!(
            "https://app.example.com/auth/{}",
            "a".repeat(MAX_REDIRECT_LEN)
        );
        for (bad, error) in [
            ("//evil.example/auth", NotAbsolute),
            ("/auth/callback", NotAbsolute),
            ("", NotAbsolute),
            ("javascript:alert(document.domain)", Unsafe),
            ("data:text/html,<script>alert(1)</script>", Unsafe),
            ("https://app.example.com/auth#frag", Unsafe),
            ("https://user:pw@app.example.com/auth", Unsafe),
            ("https://app.example.com@evil.example/auth", Unsafe),
            ("ftp://app.example.com/auth", Unsafe),
            ("https://evil.example/auth", NotAllowed),
            ("https://app.example.com.evil.example/auth", NotAllowed),
            ("http://app.example.com/auth", NotAllowed),
            ("https://app.example.com:8443/auth", NotAllowed),
            ("https://app.example.com/authority", NotAllowed),
            ("https://app.example.com/", NotAllowed),
            ("https://app.example.com/auth/../admin", NotAllowed),
            ("https://app.example.com/auth/%2e%2e/admin", NotAllowed),
            ("https:\\\\evil.example\\auth", NotAllowed),
            ("http://localhost:8081/", NotAllowed),
            ("http://127.0.0.1:8080/", NotAllowed),
            (&long, TooLong),
        ] {
            assert_eq!(p.resolve(Some(bad)), Err(error), "{bad}");
        }
    }

    #[test]
    fn a_missing_redirect_uses_the_default() {
        assert_eq!(
            policy().resolve(None).unwrap().as_str(),
            "https://app.example.com/auth/callback"
        );
    }

    #[test]
    fn a_default_outside_the_list_is_a_configuration_error() {
        let err = RedirectPolicy::new(
            &["https://app.example.com/auth".into()],
            "https://evil.example/",
        )
        .unwrap_err();
        assert!(err.contains("not on the allow-list"), "{err}");
        assert!(RedirectPolicy::new(&[], "https://app.example.com/").is_err());
        assert!(RedirectPolicy::new(&["not a url".into()], "https://app.example.com/").is_err());
    }
}
