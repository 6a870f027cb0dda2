//! The sign-in mail: a subject, a plain-text part and an HTML part, rendered
//! from templates with `{{placeholders}}`.
//!
//! The default templates are the files in `services/mailer/templates/`, built
//! into the binary. A deployment may replace them by pointing
//! `MAIL_TEMPLATE_DIR` at a folder with `subject.txt`, `body.txt` and
//! `body.html` (in a Lambda layer, say). Templates are checked at start-up:
//! an unknown placeholder, or a body without `{{link}}` or `{{code}}`, stops
//! the function from starting rather than sending a mail without them.
//!
//! Placeholders: `{{email}}`, `{{link}}`, `{{code}}` (the one-time code, its
//! digits in one run, as mail clients' code autofill reads it),
//! `{{code_grouped}}` (the same in two groups, `1234 5678`, for reading),
//! `{{expires_at}}` (UTC), `{{lifetime_minutes}}`. In the HTML part every
//! value is escaped; in the subject, line breaks are removed.

use std::path::Path;

use magiclink::code::grouped;

/// The placeholders a template may use.
const PLACEHOLDERS: [&str; 6] = [
    "email",
    "link",
    "code",
    "code_grouped",
    "expires_at",
    "lifetime_minutes",
];

/// The placeholders each body must use.
const REQUIRED: [&str; 2] = ["link", "code"];

/// Why a template cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("template {file}: cannot read it: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("template {file}: unknown placeholder {{{{{name}}}}}")]
    UnknownPlaceholder { file: String, name: String },
    #[error("template {file}: an opening {{{{ without its closing }}}}")]
    Unclosed { file: String },
    #[error("template {file}: it must contain {{{{{name}}}}}")]
    Missing { file: String, name: &'static str },
}

/// What one mail says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailValues<'a> {
    pub email: &'a str,
    pub link: &'a str,
    /// The one-time code's digits.
    pub code: &'a str,
    /// Seconds since the epoch.
    pub expires_at: u64,
    pub lifetime_minutes: u64,
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The three templates of the sign-in mail.
#[derive(Debug, Clone)]
pub struct MailTemplate {
    subject: String,
    text: String,
    html: String,
}

impl MailTemplate {
    /// The templates built into the binary.
    pub fn built_in() -> Result<Self, TemplateError> {
        Self::new(
            include_str!("../templates/subject.txt"),
            include_str!("../templates/body.txt"),
            include_str!("../templates/body.html"),
        )
    }

    /// The templates in `dir`: `subject.txt`, `body.txt`, `body.html`.
    pub fn from_dir(dir: &Path) -> Result<Self, TemplateError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path).map_err(|e| TemplateError::Unreadable {
                file: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        Self::new(
            &read("subject.txt")?,
            &read("body.txt")?,
            &read("body.html")?,
        )
    }

    /// Checks and keeps the three templates.
    pub fn new(subject: &str, text: &str, html: &str) -> Result<Self, TemplateError> {
        for (file, template) in [
            ("subject.txt", subject),
            ("body.txt", text),
            ("body.html", html),
        ] {
            for name in placeholders(file, template)? {
                if !PLACEHOLDERS.contains(&name) {
                    return Err(TemplateError::UnknownPlaceholder {
                        file: file.into(),
                        name: name.into(),
                    });
                }
            }
        }
        for (file, template) in [("body.txt", text), ("body.html", html)] {
            let used = placeholders(file, template)?;
            if let Some(name) = REQUIRED.into_iter().find(|name| !used.contains(name)) {
                return Err(TemplateError::Missing {
                    file: file.into(),
                    name,
                });
            }
        }
        Ok(Self {
            subject: subject.trim().to_owned(),
            text: text.to_owned(),
            html: html.to_owned(),
        })
    }

    /// The mail for `values`.
    pub fn render(&self, values: &MailValues<'_>) -> RenderedMail {
        let expires_at = format_utc(values.expires_at);
        let minutes = values.lifetime_minutes.to_string();
        let code_grouped = grouped(values.code);
        let value = |name: &str| -> &str {
            match name {
                "email" => values.email,
                "link" => values.link,
                "code" => values.code,
                "code_grouped" => &code_grouped,
                "expires_at" => &expires_at,
                _ => &minutes,
            }
        };
        RenderedMail {
            subject: substitute(&self.subject, |n| value(n).replace(['\r', '\n'], " ")),
            text: substitute(&self.text, |n| value(n).to_owned()),
            html: substitute(&self.html, |n| escape_html(value(n))),
        }
    }
}

/// The placeholder names in `template`, in order.
fn placeholders<'a>(file: &str, template: &'a str) -> Result<Vec<&'a str>, TemplateError> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError::Unclosed { file: file.into() })?;
        names.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    Ok(names)
}

fn substitute(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len() + 512);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        // Templates were checked in `new`: every opening has its closing.
        let end = after.find("}}").unwrap_or(after.len());
        out.push_str(&value(after[..end].trim()));
        rest = after.get(end + 2..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Escapes text for an HTML element or a quoted attribute.
pub fn escape_html(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the epoch.
pub fn format_utc(secs: u64) -> String {
    let days = secs / 86_400;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(email: &'a str, link: &'a str) -> MailValues<'a> {
        MailValues {
            email,
            link,
            code: "01234567",
            expires_at: 1_795_000_000,
            lifetime_minutes: 15,
        }
    }

    #[test]
    fn dates_are_formatted_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_795_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(format_utc(4_102_444_799), "2099-12-31 23:59 UTC");
    }

    #[test]
    fn the_built_in_mail_has_the_link_in_both_parts_and_the_expiry() {
        let mail = MailTemplate::built_in().unwrap().render(&values(
            "ann@example.com",
            "https://app.example.com/cb#tok.en.sig",
        ));
        assert_eq!(mail.subject, "Your sign-in link and code");
        assert!(mail.html.contains(">0123 4567</p>"), "large and grouped");
        for part in [&mail.text, &mail.html] {
            assert!(
                part.contains("Sign-in code: 01234567"),
                "the digits in one run, after the word code, for autofill: {part}"
            );
            assert!(
                part.contains("https://app.example.com/cb#tok.en.sig"),
                "{part}"
            );
            assert!(part.contains("2026-11-18 11:06 UTC"));
            assert!(part.contains("15 minutes"));
            assert!(part.contains("did not ask"));
            assert!(!part.contains("{{"), "every placeholder is filled");
        }
    }

    #[test]
    fn hostile_display_data_is_escaped_in_html() {
        let template = MailTemplate::built_in().unwrap();
        let mail = template.render(&values(
            "o'brien&co@example.com",
            "https://app.example.com/cb?a=1&b=\"><script>alert(1)</script>#t",
        ));
        assert!(mail.html.contains("o&#39;brien&amp;co@example.com"));
        assert!(
            mail.html
                .contains("href=\"https://app.example.com/cb?a=1&amp;b=&quot;&gt;&lt;script&gt;")
        );
        assert!(!mail.html.contains("<script>"));
        assert!(
            mail.html.contains("ses:no-track"),
            "SES click tracking would rewrite the link, token and all"
        );
        assert!(
            mail.text.contains("o'brien&co@example.com"),
            "the text part is plain text"
        );
    }

    #[test]
    fn line_breaks_never_reach_the_subject() {
        let template = MailTemplate::new(
            "Sign in as {{email}}",
            "{{link}} {{code}}",
            "{{link}} {{code}}",
        )
        .unwrap();
        let mail = template.render(&values("a@b.co\r\nBcc: x@y.z", "l"));
        assert_eq!(mail.subject, "Sign in as a@b.co  Bcc: x@y.z");
    }

    #[test]
    fn bad_templates_are_refused_at_start_up() {
        let body = "{{link}} {{code}}";
        assert_eq!(
            MailTemplate::new("Hi {{name}}", body, body).unwrap_err(),
            TemplateError::UnknownPlaceholder {
                file: "subject.txt".into(),
                name: "name".into()
            }
        );
        assert_eq!(
            MailTemplate::new("Hi", "no link here {{code}}", body).unwrap_err(),
            TemplateError::Missing {
                file: "body.txt".into(),
                name: "link"
            }
        );
        assert_eq!(
            MailTemplate::new("Hi", body, "{{link}}, and no code").unwrap_err(),
            TemplateError::Missing {
                file: "body.html".into(),
                name: "code"
            }
        );
        assert_eq!(
            MailTemplate::new("Hi", body, "{{link").unwrap_err(),
            TemplateError::Unclosed {
                file: "body.html".into()
            }
        );
        assert!(matches!(
            MailTemplate::from_dir(Path::new("/nonexistent")).unwrap_err(),
            TemplateError::Unreadable { .. }
        ));
    }
}
