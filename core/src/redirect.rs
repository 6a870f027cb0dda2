//! The redirect allow-list: where a sign-in link may point.
//!
//! A link is `<redirectUri>#<token>`, so an attacker who could choose the
//! redirect would receive the token, and so would any page the redirect
//! forwards to. A candidate is accepted only if it is an absolute URL without
//! user info, query or fragment, and an allowed entry admits it:
//! - an entry admits its own URL exactly: scheme, host, port and path;
//! - an entry that ends in `*` admits, besides, every path under its prefix,
//!   segment by segment (`https://app.example/auth/*` admits `/auth/` and
//!   `/auth/cb`; `https://app.example/auth*` admits `/auth` and `/auth/cb`,
//!   never `/authority`).
//!
//! `https` is required, except for loopback hosts (`localhost`, `127.0.0.0/8`,
//! `[::1]`), where a developer's page runs on plain `http`. URLs are parsed as
//! browsers parse them (WHATWG), so `//evil.example`, `javascript:…`,
//! backslashes, dot segments and odd host spellings are judged by what a
//! browser would open.

use url::{Host, Url};

/// The longest redirect URI accepted.
pub const MAX_REDIRECT_LEN: usize = 2048;

/// Why a redirect URI is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectError {
    #[error("redirectUri is longer than {MAX_REDIRECT_LEN} characters")]
    TooLong,
    #[error("redirectUri is not an absolute URL")]
    NotAbsolute,
    #[error(
        "redirectUri must be an https URL (http only on a loopback host) without user info, query or fragment"
    )]
    Unsafe,
    #[error("redirectUri is not on the allow-list")]
    NotAllowed,
}

/// One allow-list entry: a URL, and whether it also admits the paths below it.
#[derive(Debug, Clone)]
struct Entry {
    url: Url,
    prefix: bool,
}

impl Entry {
    fn parse(raw: &str) -> Result<Self, String> {
        let (raw_url, prefix) = match raw.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (raw, false),
        };
        let url = parse_safe(raw_url).map_err(|e| format!("{raw:?}: {e}"))?;
        if url.path().contains('*') {
            return Err(format!("{raw:?}: `*` may only end an entry"));
        }
        Ok(Self { url, prefix })
    }

    fn admits(&self, url: &Url) -> bool {
        let origin_ok = self.url.scheme() == url.scheme()
            && self.url.host() == url.host()
            && self.url.port_or_known_default() == url.port_or_known_default();
        let stem = self.url.path();
        let path = url.path();
        let path_ok = path == stem
            || (self.prefix
                && path.starts_with(stem)
                && (stem.ends_with('/') || path[stem.len()..].starts_with('/')));
        origin_ok && path_ok
    }
}

/// The allowed redirects and the default.
#[derive(Debug, Clone)]
pub struct RedirectPolicy {
    allowed: Vec<Entry>,
    default: Url,
}

impl RedirectPolicy {
    /// `allowed` entries are absolute URLs, each optionally ending in `*`;
    /// `default` must be allowed by them.
    pub fn new(allowed: &[String], default: &str) -> Result<Self, String> {
        let allowed = allowed
            .iter()
            .map(|entry| Entry::parse(entry))
            .collect::<Result<Vec<_>, _>>()?;
        if allowed.is_empty() {
            return Err("the allow-list is empty".into());
        }
        let policy = Self {
            default: parse_safe(default).map_err(|e| format!("default {default:?}: {e}"))?,
            allowed,
        };
        policy
            .check(default)
            .map_err(|_| format!("the default {default:?} is not on the allow-list"))?;
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
        if self.allowed.iter().any(|entry| entry.admits(&url)) {
            Ok(url)
        } else {
            Err(RedirectError::NotAllowed)
        }
    }
}

fn parse_safe(raw: &str) -> Result<Url, RedirectError> {
    let url = Url::parse(raw).map_err(|_| RedirectError::NotAbsolute)?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => url.host().is_some_and(is_loopback),
        _ => false,
    };
    // `Url` drops an empty query or fragment (`?`, `#`) when it parses, so
    // the raw text is looked at too.
    let safe = scheme_ok
        && url.has_host()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && !raw.contains(['?', '#']);
    if safe {
        Ok(url)
    } else {
        Err(RedirectError::Unsafe)
    }
}

fn is_loopback(host: Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name == "localhost",
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RedirectPolicy {
        RedirectPolicy::new(
            &[
                "https://app.example.com/auth/*".into(),
                "https://app.example.com/signed-in".into(),
                "https://app.example.com/cb*".into(),
                "http://localhost:8080/".into(),
            ],
            "https://app.example.com/signed-in",
        )
        .unwrap()
    }

    #[test]
    fn allowed_redirects() {
        let p = policy();
        for ok in [
            "https://app.example.com/signed-in",
            "https://APP.example.com:443/signed-in",
            "https://app.example.com/auth/",
            "https://app.example.com/auth/callback",
            "https://app.example.com/auth/a/b",
            "https://app.example.com/auth/../auth/cb",
            "https://app.example.com/cb",
            "https://app.example.com/cb/deeper",
            "http://localhost:8080/",
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
            ("https://app.example.com/auth/x#frag", Unsafe),
            ("https://app.example.com/auth/x#", Unsafe),
            ("https://user:pw@app.example.com/auth/x", Unsafe),
            ("https://app.example.com@evil.example/auth/x", Unsafe),
            ("ftp://app.example.com/auth/x", Unsafe),
            // A query could tell a page where to go next, token and all.
            ("http://localhost:8080/?next=https://evil.example/", Unsafe),
            ("https://app.example.com/auth/cb?next=%2Fhome", Unsafe),
            ("https://app.example.com/signed-in?", Unsafe),
            // Plain http only on loopback.
            ("http://app.example.com/auth/x", Unsafe),
            // Exact entries admit nothing below them.
            ("http://localhost:8080/anything/here", NotAllowed),
            ("https://app.example.com/signed-in/x", NotAllowed),
            ("https://app.example.com/signed-in/", NotAllowed),
            ("https://app.example.com/auth", NotAllowed),
            ("https://evil.example/auth/x", NotAllowed),
            ("https://app.example.com.evil.example/auth/x", NotAllowed),
            ("https://app.example.com:8443/auth/x", NotAllowed),
            ("https://app.example.com/authority", NotAllowed),
            ("https://app.example.com/cbx", NotAllowed),
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
    fn loopback_hosts_may_use_http() {
        for entry in [
            "http://localhost:8000/",
            "http://127.0.0.1:8000/",
            "http://127.5.5.5/",
            "http://[::1]:8000/",
        ] {
            let p = RedirectPolicy::new(&[entry.into()], entry).unwrap();
            assert!(p.resolve(Some(entry)).is_ok(), "{entry}");
        }
        for entry in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://localhost.example/",
        ] {
            assert!(
                RedirectPolicy::new(&[entry.into()], entry).is_err(),
                "{entry}"
            );
        }
    }

    #[test]
    fn a_missing_redirect_uses_the_default() {
        assert_eq!(
            policy().resolve(None).unwrap().as_str(),
            "https://app.example.com/signed-in"
        );
    }

    #[test]
    fn a_bad_configuration_is_refused_with_its_reason() {
        let err = RedirectPolicy::new(
            &["https://app.example.com/auth".into()],
            "https://evil.example/",
        )
        .unwrap_err();
        assert!(err.contains("not on the allow-list"), "{err}");
        assert!(RedirectPolicy::new(&[], "https://app.example.com/").is_err());
        assert!(RedirectPolicy::new(&["not a url".into()], "https://app.example.com/").is_err());
        let err = RedirectPolicy::new(
            &["https://app.example.com/*/cb".into()],
            "https://app.example.com/x/cb",
        )
        .unwrap_err();
        assert!(err.contains("may only end"), "{err}");
        assert!(
            RedirectPolicy::new(
                &["https://app.example.com/?a=1".into()],
                "https://app.example.com/"
            )
            .is_err()
        );
    }
}
