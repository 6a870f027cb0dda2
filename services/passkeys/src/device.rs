//! The browser a passkey change came from, as its notice mail names it:
//! "Firefox · Linux". Read from the `User-Agent` header, and only ever one
//! of a few known names: nothing of the header itself reaches the table,
//! the event or the mail, so a hostile header can neither inject text nor
//! carry a fingerprint of the device.

use magiclink::passkeys::UNKNOWN_BROWSER as UNKNOWN;

/// Browsers by the token that names them, most specific first: Edge and
/// Opera also say `Chrome`, Chrome also says `Safari`.
const BROWSERS: [(&str, &str); 9] = [
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
];

/// Systems by the token that names them, most specific first: Android also
/// says `Linux`, iOS also says `Mac OS X`.
const SYSTEMS: [(&str, &str); 8] = [
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

/// The browser and system a `User-Agent` names, from the known ones.
pub fn describe(user_agent: Option<&str>) -> String {
    let agent = user_agent.unwrap_or_default();
    let known = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(token, _)| agent.contains(token))
            .map(|(_, name)| *name)
    };
    let browser = known(&BROWSERS)
        .or_else(|| (agent.contains("Safari/") && agent.contains("Version/")).then_some("Safari"));
    match (browser, known(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => UNKNOWN.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox · Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
                "Edge · Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
                "Safari · macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                "Chrome · iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                "Samsung Internet · Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome · ChromeOS",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
                "Opera · Windows",
            ),
        ];
        for (agent, expected) in cases {
            assert_eq!(describe(Some(agent)), expected, "{agent}");
        }
    }

    #[test]
    fn nothing_of_an_unknown_or_hostile_header_is_repeated() {
        assert_eq!(describe(None), UNKNOWN);
        assert_eq!(describe(Some("")), UNKNOWN);
        assert_eq!(describe(Some("curl/8.5.0")), UNKNOWN);
        assert_eq!(
            describe(Some("<script>alert(1)</script>\r\nBcc: x@y.z Firefox/1")),
            "Firefox"
        );
        assert_eq!(describe(Some(&"Windows ".repeat(10_000))), "Windows");
    }
}
