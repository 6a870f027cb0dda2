//! The language a sign-in mail is written in: a BCP 47 tag (`de-AT`), read
//! leniently and kept in one spelling.
//!
//! A tag comes from a request body or a Cognito user's `locale` attribute, so
//! it is untrusted: [`Locale::parse`] keeps only what is shaped like a tag
//! (letters, digits and `-`, a language subtag first, at most
//! [`Locale::MAX_LEN`] characters) and answers `None` for anything else, which
//! means "the default language". Nothing else is an error: a request's locale
//! never decides whether it is accepted. The kept spelling is lowercase with
//! `-` separators (`de_AT` and `DE-at` are `de-at`), which is also how
//! language folders are named, and it cannot carry a line break or a quote
//! into a header or an attribute.

use std::fmt;

/// A well-formed language tag, lowercase.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Locale(String);

impl Locale {
    /// The longest tag kept: RFC 5646 asks every implementation to handle
    /// tags of at least 35 characters, and no language needs more.
    pub const MAX_LEN: usize = 35;

    /// `raw` as a tag, or `None` when it is not shaped like one. `_` is read
    /// as `-` (POSIX locales such as `de_DE` are common in user attributes).
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > Self::MAX_LEN {
            return None;
        }
        let tag = raw.to_ascii_lowercase().replace('_', "-");
        let mut subtags = tag.split('-');
        let language = subtags.next()?;
        let language_ok =
            (2..=8).contains(&language.len()) && language.bytes().all(|b| b.is_ascii_lowercase());
        let rest_ok = subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
        (language_ok && rest_ok).then_some(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The tag, then each shorter prefix of it, down to the language alone:
    /// `de-at-1996`, `de-at`, `de`.
    pub fn fallbacks(&self) -> impl Iterator<Item = &str> {
        let tag = self.0.as_str();
        std::iter::successors(Some(tag), |t| t.rfind('-').map(|at| &t[..at]))
    }
}

impl fmt::Debug for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Locale({})", self.0)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_kept_in_one_spelling() {
        for (raw, kept) in [
            ("de-DE", "de-de"),
            ("de_AT", "de-at"),
            ("  FR  ", "fr"),
            ("zh-Hant-TW", "zh-hant-tw"),
            ("sr-Latn-RS-u-nu-latn", "sr-latn-rs-u-nu-latn"),
            ("es-419", "es-419"),
        ] {
            assert_eq!(Locale::parse(raw).unwrap().as_str(), kept, "{raw}");
        }
    }

    #[test]
    fn anything_not_shaped_like_a_tag_is_no_locale() {
        let long = format!("de-{}", "a-".repeat(150));
        for raw in [
            "",
            " ",
            "d",
            "1de",
            "de-",
            "-de",
            "de--at",
            "de-toolongsubtag",
            "de\r\nBcc: x@y.z",
            "de\u{0}",
            "de at",
            "\"de\"",
            "dé",
            "de-ÄT",
            long.as_str(),
            &"x".repeat(300),
        ] {
            assert_eq!(Locale::parse(raw), None, "{raw:?}");
        }
        assert!(Locale::parse(&format!("de-{}", "a".repeat(8))).is_some());
        let longest = format!("de{}", "-abcdefg".repeat(4));
        assert_eq!(longest.len(), 34);
        assert!(Locale::parse(&longest).is_some());
        assert!(
            Locale::parse(&format!("{longest}-ab")).is_none(),
            "37 characters"
        );
    }

    #[test]
    fn fallbacks_shorten_the_tag_down_to_its_language() {
        let tag = Locale::parse("de-AT-1996").unwrap();
        assert_eq!(
            tag.fallbacks().collect::<Vec<_>>(),
            ["de-at-1996", "de-at", "de"]
        );
        let plain = Locale::parse("en").unwrap();
        assert_eq!(plain.fallbacks().collect::<Vec<_>>(), ["en"]);
    }
}
