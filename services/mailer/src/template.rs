//! The mails: a subject, a plain-text part and an HTML part, rendered from
//! templates with `{{placeholders}}`, in the reader's language. There are
//! the sign-in mail, the invitation, and the notices of a passkey change
//! ([`NoticeKind`]).
//!
//! Each language is a folder named by its tag (`en`, `de`, `pt-br`) with
//! the sign-in mail's `subject.txt`, `body.txt`, `body.html`, a `date.txt`
//! (how the expiry is
//! written: a pattern over `{{day}}`, `{{month}}`, `{{year}}`, `{{hour}}`
//! and `{{minute}}` on the first line, then the twelve months' names, one
//! per line; times are UTC, the reader's zone being unknown), a
//! `duration.txt` (how the link's lifetime is written, see
//! [`crate::duration`]), and a folder per notice (`passkey-added/`,
//! `passkey-removed/`) with the same three files, and an `invitation/`
//! folder with the invitation's three and `someone.txt` (the words for the
//! inviter when the invitation names nobody, "your team"). The folders in
//! `services/mailer/templates/` are built into the binary (see `build.rs`):
//! a language is added by adding a folder. A deployment may replace them all
//! by pointing `MAIL_TEMPLATE_DIR` at a folder of such folders (in a Lambda
//! layer, say). Every language is checked at start-up: an unknown
//! placeholder, a body without `{{link}}` or `{{code}}`, a bad `date.txt` or
//! a folder name that is not a language tag stops the function from
//! starting rather than sending a mail without them; so does a default
//! language (`DEFAULT_LOCALE`) that has no folder. A folder of
//! `MAIL_TEMPLATE_DIR` without the notices' or the invitation's folders is
//! written with the built-in ones of its language (or of English): a
//! deployment's own templates from before them keep working.
//!
//! A mail's language: the challenge's locale, else the account's `locale`
//! attribute, else the default, each by fallback (`de-at`, then `de`; see
//! [`Locale::fallbacks`]).
//!
//! Placeholders: `{{email}}`, `{{link}}`, `{{code}}` (the one-time code, its
//! digits in one run, as mail clients' code autofill reads it),
//! `{{code_grouped}}` (the same in two groups, `1234 5678`, for reading),
//! `{{expires_at}}` (by the language's `date.txt`), `{{lifetime}}` (the
//! link's lifetime in words, by the language's `duration.txt`, see
//! [`crate::duration`]; a folder without one gets the built-in words of its
//! language, else English), and `{{lifetime_minutes}}` (its whole minutes:
//! kept for deployments' templates written before `{{lifetime}}`). An
//! invitation's: the same and `{{invited_by}}` (the inviter's display name,
//! else the language's `someone.txt`).
//! A notice's: `{{email}}`, `{{passkey_name}}` (required in each body),
//! `{{browser}}` (such as `Firefox · Linux`) and `{{changed_at}}` (by
//! `date.txt`, required in each body). In the HTML part every value is
//! escaped; in the subject, line breaks are removed.

use std::collections::BTreeMap;
use std::path::Path;

use magiclink::code::grouped;
use magiclink::locale::Locale;

use crate::duration::DurationWords;

/// A built-in language: its folder's name, its sign-in mail's files, its
/// notices', its `duration.txt` and its invitation's (see `build.rs`).
type BuiltIn = (
    &'static str,
    [&'static str; 4],
    [[&'static str; 3]; 2],
    &'static str,
    [&'static str; 4],
);

/// The languages built into the binary.
const BUILT_IN: &[BuiltIn] = include!(concat!(env!("OUT_DIR"), "/languages.rs"));

/// A language's files, in the order [`MailTemplate::new`] takes them.
const FILES: [&str; 4] = ["subject.txt", "body.txt", "body.html", "date.txt"];

/// A notice's files, in its folder, in the order [`NoticeTemplate::new`]
/// takes them.
const NOTICE_FILES: [&str; 3] = ["subject.txt", "body.txt", "body.html"];

/// The invitation's folder in a language folder, and its files in the order
/// [`MailTemplate::invitation`] takes them: a sign-in mail's three, then the
/// words that stand for the inviter when the invitation names nobody.
const INVITATION_FOLDER: &str = "invitation";
const INVITATION_FILES: [&str; 4] = ["subject.txt", "body.txt", "body.html", "someone.txt"];

/// The placeholders a notice may use.
const NOTICE_PLACEHOLDERS: [&str; 4] = ["email", "passkey_name", "browser", "changed_at"];

/// The placeholders each notice's body must use.
const NOTICE_REQUIRED: [&str; 2] = ["passkey_name", "changed_at"];

/// The language notices are written in when neither the reader's nor the
/// default language has them (a deployment's own language folders without
/// notices).
const NOTICE_FALLBACK: &str = "en";

/// Which notice: the change it tells the user of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    PasskeyAdded,
    PasskeyRemoved,
}

impl NoticeKind {
    pub const ALL: [Self; 2] = [Self::PasskeyAdded, Self::PasskeyRemoved];

    /// Its folder in a language folder.
    pub fn folder(self) -> &'static str {
        match self {
            Self::PasskeyAdded => "passkey-added",
            Self::PasskeyRemoved => "passkey-removed",
        }
    }
}

/// The placeholders of `date.txt`'s pattern, each one required.
const DATE_PARTS: [&str; 5] = ["day", "month", "year", "hour", "minute"];

/// The placeholders a template may use.
const PLACEHOLDERS: [&str; 7] = [
    "email",
    "link",
    "code",
    "code_grouped",
    "expires_at",
    "lifetime",
    "lifetime_minutes",
];

/// A language's lifetime words, in its folder; a deployment's folder without
/// one gets the built-in one of its language, else this language's.
const DURATION_FILE: &str = "duration.txt";
const DURATION_FALLBACK: &str = "en";

/// The placeholders an invitation may use: a sign-in mail's and who invited.
const INVITATION_PLACEHOLDERS: [&str; 8] = [
    "email",
    "link",
    "code",
    "code_grouped",
    "expires_at",
    "lifetime",
    "lifetime_minutes",
    "invited_by",
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
    #[error(
        "template {file}: a pattern line, then the twelve months' names, one per line: {reason}"
    )]
    Date { file: String, reason: String },
    #[error("template {file}: {reason}")]
    Duration { file: String, reason: String },
    #[error("template folder {name:?}: not a language tag (such as en, de or pt-br)")]
    NotALanguage { name: String },
    #[error("no language folder in {dir}")]
    NoLanguages { dir: String },
    #[error("the default language {name:?} has no template folder (there are: {known})")]
    NoDefault { name: String, known: String },
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
    /// The link's lifetime, from the request to `expires_at`, in seconds.
    pub lifetime_secs: u64,
    /// For an invitation, who invited, when the operator named somebody.
    pub invited_by: Option<&'a str>,
}

/// What one notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeValues<'a> {
    pub email: &'a str,
    pub passkey_name: &'a str,
    pub browser: &'a str,
    /// Seconds since the epoch.
    pub changed_at: u64,
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// How a language writes the expiry time.
#[derive(Debug, Clone)]
struct DateFormat {
    pattern: String,
    months: Vec<String>,
}

impl DateFormat {
    fn new(file: &str, text: &str) -> Result<Self, TemplateError> {
        let bad = |reason: String| TemplateError::Date {
            file: file.to_owned(),
            reason,
        };
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let pattern = lines.next().ok_or_else(|| bad("it is empty".into()))?;
        let used = placeholders(file, pattern)?;
        if let Some(name) = used.iter().find(|n| !DATE_PARTS.contains(n)) {
            return Err(TemplateError::UnknownPlaceholder {
                file: file.into(),
                name: (*name).into(),
            });
        }
        if let Some(name) = DATE_PARTS.into_iter().find(|n| !used.contains(n)) {
            return Err(TemplateError::Missing {
                file: file.into(),
                name,
            });
        }
        let months: Vec<String> = lines.map(str::to_owned).collect();
        if months.len() != 12 {
            return Err(bad(format!("{} month names", months.len())));
        }
        Ok(Self {
            pattern: pattern.to_owned(),
            months,
        })
    }

    /// Seconds since the epoch, written in this language (UTC).
    fn format(&self, secs: u64) -> String {
        let (year, month, day, hour, minute) = civil_utc(secs);
        let month_name = usize::try_from(month - 1)
            .ok()
            .and_then(|m| self.months.get(m))
            .map_or("", String::as_str);
        substitute(&self.pattern, |name| match name {
            "day" => day.to_string(),
            "month" => month_name.to_owned(),
            "year" => year.to_string(),
            "hour" => format!("{hour:02}"),
            _ => format!("{minute:02}"),
        })
    }
}

/// The templates of the sign-in mail, or of the invitation, in one language.
#[derive(Debug, Clone)]
pub struct MailTemplate {
    subject: String,
    text: String,
    html: String,
    date: DateFormat,
    duration: DurationWords,
    /// An invitation's words for the inviter when it names nobody (empty
    /// for the sign-in mail, which has no `{{invited_by}}`).
    someone: String,
}

impl MailTemplate {
    /// Checks and keeps one language's files, with its lifetime words;
    /// `language` names it in errors.
    pub fn new(
        language: &str,
        files: [&str; 4],
        duration: DurationWords,
    ) -> Result<Self, TemplateError> {
        let [subject, text, html, date] = files;
        let file = |name: &str| format!("{language}/{name}");
        Self::checked(
            language,
            [
                (file(FILES[0]), subject),
                (file(FILES[1]), text),
                (file(FILES[2]), html),
            ],
            &PLACEHOLDERS,
            date,
            duration,
            String::new(),
        )
    }

    /// Checks and keeps one language's invitation (its folder's files, in
    /// the order of [`INVITATION_FILES`]) with the language's `date.txt`
    /// and lifetime words.
    pub fn invitation(
        language: &str,
        files: [&str; 4],
        date: &str,
        duration: DurationWords,
    ) -> Result<Self, TemplateError> {
        let [subject, text, html, someone] = files;
        let file = |name: &str| format!("{language}/{INVITATION_FOLDER}/{name}");
        let someone = someone.trim();
        let template = Self::checked(
            language,
            [
                (file(INVITATION_FILES[0]), subject),
                (file(INVITATION_FILES[1]), text),
                (file(INVITATION_FILES[2]), html),
            ],
            &INVITATION_PLACEHOLDERS,
            date,
            duration,
            someone.to_owned(),
        )?;
        if someone.is_empty() || someone.contains('\n') {
            return Err(TemplateError::Unreadable {
                file: file(INVITATION_FILES[3]),
                reason: "it must be one line of words".into(),
            });
        }
        Ok(template)
    }

    /// A mail's subject, text and HTML (each with its file's name), checked
    /// against `placeholders` and `REQUIRED`, kept with `language`'s
    /// `date.txt`, lifetime words and, for an invitation, `someone`.
    fn checked(
        language: &str,
        parts: [(String, &str); 3],
        placeholders: &[&str],
        date: &str,
        duration: DurationWords,
        someone: String,
    ) -> Result<Self, TemplateError> {
        let [subject, text, html] = parts.each_ref().map(|(_, content)| *content);
        check(parts, placeholders, &REQUIRED)?;
        Ok(Self {
            subject: subject.trim().to_owned(),
            text: text.to_owned(),
            html: html.to_owned(),
            date: DateFormat::new(&format!("{language}/date.txt"), date)?,
            duration,
            someone,
        })
    }

    /// The mail for `values`.
    pub fn render(&self, values: &MailValues<'_>) -> RenderedMail {
        let expires_at = self.date.format(values.expires_at);
        let lifetime = self.duration.words(values.lifetime_secs);
        let minutes = (values.lifetime_secs / 60).to_string();
        let code_grouped = grouped(values.code);
        let invited_by = values.invited_by.unwrap_or(&self.someone);
        let value = |name: &str| -> &str {
            match name {
                "invited_by" => invited_by,
                "email" => values.email,
                "link" => values.link,
                "code" => values.code,
                "code_grouped" => &code_grouped,
                "expires_at" => &expires_at,
                "lifetime" => &lifetime,
                _ => &minutes,
            }
        };
        render(&self.subject, &self.text, &self.html, value)
    }
}

/// The notices in one language.
#[derive(Debug, Clone)]
pub struct NoticeTemplate {
    /// Each [`NoticeKind`]'s subject, text and HTML, in the order of
    /// [`NoticeKind::ALL`].
    notices: [[String; 3]; 2],
    date: DateFormat,
}

impl NoticeTemplate {
    /// Checks and keeps one language's notices (each [`NoticeKind`]'s files,
    /// in the order of [`NoticeKind::ALL`]) with its `date.txt`; `language`
    /// names it in errors.
    pub fn new(language: &str, notices: [[&str; 3]; 2], date: &str) -> Result<Self, TemplateError> {
        for (kind, files) in NoticeKind::ALL.into_iter().zip(notices) {
            let file = |name: &str| format!("{language}/{}/{name}", kind.folder());
            check(
                [
                    (file(NOTICE_FILES[0]), files[0]),
                    (file(NOTICE_FILES[1]), files[1]),
                    (file(NOTICE_FILES[2]), files[2]),
                ],
                &NOTICE_PLACEHOLDERS,
                &NOTICE_REQUIRED,
            )?;
        }
        Ok(Self {
            notices: notices.map(|[subject, text, html]| {
                [subject.trim().to_owned(), text.to_owned(), html.to_owned()]
            }),
            date: DateFormat::new(&format!("{language}/date.txt"), date)?,
        })
    }

    /// The notice of `kind` for `values`.
    pub fn render(&self, kind: NoticeKind, values: &NoticeValues<'_>) -> RenderedMail {
        let changed_at = self.date.format(values.changed_at);
        let value = |name: &str| -> &str {
            match name {
                "email" => values.email,
                "passkey_name" => values.passkey_name,
                "browser" => values.browser,
                _ => &changed_at,
            }
        };
        let [subject, text, html] = match kind {
            NoticeKind::PasskeyAdded => &self.notices[0],
            NoticeKind::PasskeyRemoved => &self.notices[1],
        };
        render(subject, text, html, value)
    }
}

/// Checks a mail's subject, text and HTML (each with its file's name): only
/// `allowed` placeholders, and each of `required` in both bodies.
fn check(
    [subject, text, html]: [(String, &str); 3],
    allowed: &[&str],
    required: &[&'static str],
) -> Result<(), TemplateError> {
    for (file, template) in [&subject, &text, &html] {
        if let Some(name) = placeholders(file, template)?
            .into_iter()
            .find(|name| !allowed.contains(name))
        {
            return Err(TemplateError::UnknownPlaceholder {
                file: file.clone(),
                name: name.into(),
            });
        }
    }
    for (file, template) in [&text, &html] {
        let used = placeholders(file, template)?;
        if let Some(name) = required.iter().find(|name| !used.contains(name)) {
            return Err(TemplateError::Missing {
                file: file.clone(),
                name,
            });
        }
    }
    Ok(())
}

/// A mail from its three templates and its values: escaped in the HTML,
/// on one line in the subject.
fn render<'v>(
    subject: &str,
    text: &str,
    html: &str,
    value: impl Fn(&str) -> &'v str,
) -> RenderedMail {
    RenderedMail {
        subject: substitute(subject, |n| value(n).replace(['\r', '\n'], " ")),
        text: substitute(text, |n| value(n).to_owned()),
        html: substitute(html, |n| escape_html(value(n))),
    }
}

/// The mails in every language a deployment has, and its default.
#[derive(Debug, Clone)]
pub struct MailTemplates {
    languages: BTreeMap<String, MailTemplate>,
    default: String,
    /// The default language's templates.
    fallback: MailTemplate,
    /// The notices, by language: a deployment's own, else the built-in.
    notices: BTreeMap<String, NoticeTemplate>,
    /// The invitations, by language: a deployment's own, else the built-in.
    invitations: BTreeMap<String, MailTemplate>,
    /// The language of an invitation none of `invitations` suits, chosen
    /// as for notices, and its templates.
    invitation_default: String,
    invitation_fallback: MailTemplate,
    /// The language of a notice for a reader none of `notices` suits: the
    /// default language if it has notices, else [`NOTICE_FALLBACK`].
    notice_default: String,
    /// Its notices.
    notice_fallback: NoticeTemplate,
}

impl MailTemplates {
    /// The languages built into the binary, with `default` as the default.
    pub fn built_in(default: &str) -> Result<Self, TemplateError> {
        let languages = BUILT_IN
            .iter()
            .map(|(name, files, _, duration, _)| {
                let duration = DurationWords::new(&format!("{name}/{DURATION_FILE}"), duration)?;
                Ok((
                    (*name).to_owned(),
                    MailTemplate::new(name, *files, duration)?,
                ))
            })
            .collect::<Result<_, TemplateError>>()?;
        Self::new(
            languages,
            BTreeMap::new(),
            BTreeMap::new(),
            default,
            "the built-in templates",
        )
    }

    /// The language folders in `dir`, with `default` as the default.
    pub fn from_dir(dir: &Path, default: &str) -> Result<Self, TemplateError> {
        let unreadable = |path: &Path, e: std::io::Error| TemplateError::Unreadable {
            file: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut languages = BTreeMap::new();
        let mut notices = BTreeMap::new();
        let mut invitations = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(|e| unreadable(dir, e))? {
            let path = entry.map_err(|e| unreadable(dir, e))?.path();
            if !path.is_dir() {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let read = |file: &Path| std::fs::read_to_string(file).map_err(|e| unreadable(file, e));
            let files = FILES.map(|file| read(&path.join(file)));
            let [subject, text, html, date] = files;
            let files = [subject?, text?, html?, date?];
            let duration_file = path.join(DURATION_FILE);
            let duration = if duration_file.is_file() {
                let file = format!("{name}/{DURATION_FILE}");
                DurationWords::new(&file, &read(&duration_file)?)?
            } else {
                built_in_duration(&name)?
            };
            let template = MailTemplate::new(
                &name,
                files.each_ref().map(String::as_str),
                duration.clone(),
            )?;
            languages.insert(name.clone(), template);
            let folder = path.join(INVITATION_FOLDER);
            if folder.is_dir() {
                let [subject, text, html, someone] =
                    INVITATION_FILES.map(|file| read(&folder.join(file)));
                let invitation = [subject?, text?, html?, someone?];
                let invitation = MailTemplate::invitation(
                    &name,
                    invitation.each_ref().map(String::as_str),
                    &files[3],
                    duration,
                )?;
                invitations.insert(name.clone(), invitation);
            }
            if NoticeKind::ALL
                .iter()
                .any(|kind| path.join(kind.folder()).is_dir())
            {
                let mut read_notice = |kind: NoticeKind| -> Result<[String; 3], TemplateError> {
                    let [subject, text, html] =
                        NOTICE_FILES.map(|file| read(&path.join(kind.folder()).join(file)));
                    Ok([subject?, text?, html?])
                };
                let [added, removed] = NoticeKind::ALL.map(&mut read_notice);
                let (added, removed) = (added?, removed?);
                let notice = NoticeTemplate::new(
                    &name,
                    [
                        added.each_ref().map(String::as_str),
                        removed.each_ref().map(String::as_str),
                    ],
                    &files[3],
                )?;
                notices.insert(name, notice);
            }
        }
        Self::new(
            languages,
            notices,
            invitations,
            default,
            &dir.display().to_string(),
        )
    }

    /// `languages` and their `notices` and `invitations`, to which the
    /// built-in ones are added for each language that has none.
    fn new(
        languages: BTreeMap<String, MailTemplate>,
        mut notices: BTreeMap<String, NoticeTemplate>,
        mut invitations: BTreeMap<String, MailTemplate>,
        default: &str,
        dir: &str,
    ) -> Result<Self, TemplateError> {
        if languages.is_empty() {
            return Err(TemplateError::NoLanguages { dir: dir.into() });
        }
        if let Some(name) = languages
            .keys()
            .find(|name| Locale::parse(name).is_none_or(|tag| tag.as_str() != name.as_str()))
        {
            return Err(TemplateError::NotALanguage { name: name.clone() });
        }
        let Some(fallback) = languages.get(default).cloned() else {
            return Err(TemplateError::NoDefault {
                name: default.into(),
                known: languages.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        for (name, files, notice_files, duration, invitation) in BUILT_IN {
            if !notices.contains_key(*name) {
                let notice = NoticeTemplate::new(name, *notice_files, files[3])?;
                notices.insert((*name).to_owned(), notice);
            }
            if !invitations.contains_key(*name) {
                let duration = DurationWords::new(&format!("{name}/{DURATION_FILE}"), duration)?;
                let template = MailTemplate::invitation(name, *invitation, files[3], duration)?;
                invitations.insert((*name).to_owned(), template);
            }
        }
        let invitation_default = if invitations.contains_key(default) {
            default
        } else {
            NOTICE_FALLBACK
        };
        let Some(invitation_fallback) = invitations.get(invitation_default).cloned() else {
            return Err(TemplateError::NoDefault {
                name: invitation_default.into(),
                known: invitations.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        let notice_default = if notices.contains_key(default) {
            default
        } else {
            NOTICE_FALLBACK
        };
        let Some(notice_fallback) = notices.get(notice_default).cloned() else {
            return Err(TemplateError::NoDefault {
                name: notice_default.into(),
                known: notices.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        Ok(Self {
            languages,
            default: default.into(),
            fallback,
            notices,
            notice_default: notice_default.into(),
            notice_fallback,
            invitations,
            invitation_default: invitation_default.into(),
            invitation_fallback,
        })
    }

    /// The languages, by name.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.keys().map(String::as_str)
    }

    /// The language a mail for `wishes` (in order of preference) is written
    /// in, and its templates: the first wish that has a language by
    /// fallback, else the default.
    pub fn choose<'a>(
        &self,
        wishes: impl IntoIterator<Item = &'a Locale>,
    ) -> (&str, &MailTemplate) {
        first_wished(&self.languages, wishes, (&self.default, &self.fallback))
    }

    /// The language an invitation for `wishes` is written in, and its
    /// templates, chosen as [`Self::choose`] chooses.
    pub fn choose_invitation<'a>(
        &self,
        wishes: impl IntoIterator<Item = &'a Locale>,
    ) -> (&str, &MailTemplate) {
        first_wished(
            &self.invitations,
            wishes,
            (&self.invitation_default, &self.invitation_fallback),
        )
    }

    /// The language a notice for `wishes` is written in, and its templates,
    /// chosen as [`Self::choose`] chooses.
    pub fn choose_notice<'a>(
        &self,
        wishes: impl IntoIterator<Item = &'a Locale>,
    ) -> (&str, &NoticeTemplate) {
        first_wished(
            &self.notices,
            wishes,
            (&self.notice_default, &self.notice_fallback),
        )
    }
}

/// The built-in lifetime words of `language`, else of [`DURATION_FALLBACK`]:
/// for a deployment's folder that has no `duration.txt`.
fn built_in_duration(language: &str) -> Result<DurationWords, TemplateError> {
    let built_in = |wanted: &str| {
        BUILT_IN
            .iter()
            .find(|(name, ..)| *name == wanted)
            .map(|(name, _, _, text, _)| (*name, *text))
    };
    let (name, text) = built_in(language)
        .or_else(|| built_in(DURATION_FALLBACK))
        .ok_or_else(|| TemplateError::NoDefault {
            name: DURATION_FALLBACK.into(),
            known: BUILT_IN
                .iter()
                .map(|(name, ..)| *name)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    DurationWords::new(&format!("{name}/{DURATION_FILE}"), text)
}

/// The first of `wishes` that `languages` has, by fallback (`de-at`, then
/// `de`), with its name; else `default`.
fn first_wished<'t, 'a, T>(
    languages: &'t BTreeMap<String, T>,
    wishes: impl IntoIterator<Item = &'a Locale>,
    default: (&'t str, &'t T),
) -> (&'t str, &'t T) {
    wishes
        .into_iter()
        .flat_map(Locale::fallbacks)
        .find_map(|tag| languages.get_key_value(tag))
        .map_or(default, |(name, template)| (name.as_str(), template))
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

/// Year, month (1 to 12), day, hour and minute (UTC) of seconds since the
/// epoch.
fn civil_utc(secs: u64) -> (u64, u64, u64, u64, u64) {
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
    (year, month, day, hour, minute)
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
            lifetime_secs: 900,
            invited_by: None,
        }
    }

    fn built_in() -> MailTemplates {
        MailTemplates::built_in("en").unwrap()
    }

    fn english() -> DurationWords {
        built_in_duration("en").unwrap()
    }

    fn language(name: &str) -> MailTemplate {
        built_in().languages[name].clone()
    }

    fn en_files() -> [&'static str; 4] {
        BUILT_IN.iter().find(|(name, ..)| *name == "en").unwrap().1
    }

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil_utc(0), (1970, 1, 1, 0, 0));
        assert_eq!(civil_utc(951_782_400), (2000, 2, 29, 0, 0));
        assert_eq!(civil_utc(1_795_000_000), (2026, 11, 18, 11, 6));
        assert_eq!(civil_utc(4_102_444_799), (2099, 12, 31, 23, 59));
    }

    #[test]
    fn each_language_writes_the_expiry_its_way() {
        let expiry = |name: &str, secs| language(name).date.format(secs);
        assert_eq!(expiry("en", 1_795_000_000), "18 November 2026, 11:06 UTC");
        assert_eq!(
            expiry("de", 1_795_000_000),
            "18. November 2026, 11:06 Uhr (UTC)"
        );
        assert_eq!(expiry("de", 1_772_323_200), "1. März 2026, 00:00 Uhr (UTC)");
        assert_eq!(expiry("fr", 1_787_000_000), "17 août 2026 à 20 h 53 (UTC)");
        assert_eq!(
            expiry("es", 1_795_000_000),
            "18 de noviembre de 2026, a las 11:06 (UTC)"
        );
    }

    /// Every shipped language: the link in both parts, the code in one run
    /// and grouped, the lifetime, the expiry in the language, the HTML's
    /// `lang`, no placeholder left; and the rendered subject and text part
    /// as in `snapshots/<language>.txt` (`UPDATE_SNAPSHOTS=1` rewrites them
    /// after a deliberate change, for review in the diff).
    #[test]
    fn every_shipped_language_renders_as_its_snapshot() {
        let templates = built_in();
        let names: Vec<&str> = templates.languages().collect();
        assert_eq!(names, ["de", "en", "es", "fr"]);
        let link = "https://app.example.com/cb#tok.en.sig";
        for name in names {
            let template = &templates.languages[name];
            let mail = template.render(&values("ann@example.com", link));
            let expiry = template.date.format(1_795_000_000);
            assert!(
                mail.html.contains(&format!("<html lang=\"{name}\">")),
                "{name}"
            );
            assert!(mail.html.contains(">0123 4567</p>"), "{name}: grouped");
            for part in [&mail.text, &mail.html] {
                assert!(part.contains(link), "{name}: {part}");
                assert!(
                    part.contains(": 01234567"),
                    "{name}: the digits in one run after the words, for autofill"
                );
                assert!(part.contains(&expiry), "{name}: {expiry}");
                assert!(part.contains("15"), "{name}: the lifetime");
                assert!(!part.contains("{{"), "{name}: every placeholder is filled");
            }
            let snapshot = format!("{}\n\n{}", mail.subject, mail.text);
            let path = format!(
                "{}/snapshots/{name}.txt",
                std::env::var("CARGO_MANIFEST_DIR").unwrap()
            );
            if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                std::fs::write(&path, &snapshot).unwrap();
            }
            let expected = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e} (UPDATE_SNAPSHOTS=1 writes it)"));
            assert_eq!(snapshot, expected, "{name}");
        }
    }

    #[test]
    fn the_language_is_chosen_by_fallback_then_default() {
        let templates = built_in();
        let tag = |raw: &str| Locale::parse(raw).unwrap();
        let chosen = |wishes: &[Locale]| templates.choose(wishes).0.to_owned();
        assert_eq!(chosen(&[tag("de-AT")]), "de");
        assert_eq!(chosen(&[tag("de")]), "de");
        assert_eq!(chosen(&[tag("fr-CA")]), "fr");
        assert_eq!(chosen(&[tag("es-419")]), "es");
        assert_eq!(chosen(&[tag("pt-BR")]), "en", "unknown: the default");
        assert_eq!(chosen(&[]), "en");
        assert_eq!(
            chosen(&[tag("zh-Hant"), tag("fr")]),
            "fr",
            "the next wish before the default"
        );
        assert_eq!(chosen(&[tag("de-CH"), tag("fr")]), "de");
        let german_default = MailTemplates::built_in("de").unwrap();
        assert_eq!(german_default.choose(&[tag("it")]).0, "de");
        let mail = templates
            .choose(&[tag("de-DE")])
            .1
            .render(&values("a@b.co", "l"));
        assert_eq!(mail.subject, "Ihr Anmeldelink und Code");
    }

    #[test]
    fn hostile_display_data_is_escaped_in_html() {
        let template = language("en");
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
        for name in built_in().languages() {
            assert!(
                language(name).html.contains("ses:no-track"),
                "{name}: SES click tracking would rewrite the link, token and all"
            );
        }
        assert!(
            mail.text.contains("o'brien&co@example.com"),
            "the text part is plain text"
        );
    }

    #[test]
    fn line_breaks_never_reach_the_subject() {
        let [_, _, _, date] = en_files();
        let template = MailTemplate::new(
            "en",
            [
                "Sign in as {{email}}",
                "{{link}} {{code}}",
                "{{link}} {{code}}",
                date,
            ],
            english(),
        )
        .unwrap();
        let mail = template.render(&values("a@b.co\r\nBcc: x@y.z", "l"));
        assert_eq!(mail.subject, "Sign in as a@b.co  Bcc: x@y.z");
    }

    #[test]
    fn bad_templates_are_refused_at_start_up() {
        let [subject, text, html, date] = en_files();
        let body = "{{link}} {{code}}";
        assert_eq!(
            MailTemplate::new("en", ["Hi {{name}}", body, body, date], english()).unwrap_err(),
            TemplateError::UnknownPlaceholder {
                file: "en/subject.txt".into(),
                name: "name".into()
            }
        );
        assert_eq!(
            MailTemplate::new("de", ["Hi", "no link here {{code}}", body, date], english())
                .unwrap_err(),
            TemplateError::Missing {
                file: "de/body.txt".into(),
                name: "link"
            }
        );
        assert_eq!(
            MailTemplate::new("en", ["Hi", body, "{{link}}, and no code", date], english())
                .unwrap_err(),
            TemplateError::Missing {
                file: "en/body.html".into(),
                name: "code"
            }
        );
        assert_eq!(
            MailTemplate::new("en", ["Hi", body, "{{link", date], english()).unwrap_err(),
            TemplateError::Unclosed {
                file: "en/body.html".into()
            }
        );
        let eleven_months = date.lines().take(12).collect::<Vec<_>>().join("\n");
        assert!(matches!(
            MailTemplate::new("en", [subject, text, html, &eleven_months], english()).unwrap_err(),
            TemplateError::Date { file, .. } if file == "en/date.txt"
        ));
        let no_year = date.replacen("{{year}}", "", 1);
        assert_eq!(
            MailTemplate::new("en", [subject, text, html, &no_year], english()).unwrap_err(),
            TemplateError::Missing {
                file: "en/date.txt".into(),
                name: "year"
            }
        );
        let seconds = date.replacen("{{minute}}", "{{minute}}:{{second}}", 1);
        assert!(matches!(
            MailTemplate::new("en", [subject, text, html, &seconds], english()).unwrap_err(),
            TemplateError::UnknownPlaceholder { name, .. } if name == "second"
        ));
        assert!(matches!(
            MailTemplates::from_dir(Path::new("/nonexistent"), "en").unwrap_err(),
            TemplateError::Unreadable { .. }
        ));
        assert!(matches!(
            MailTemplates::built_in("pt").unwrap_err(),
            TemplateError::NoDefault { name, known } if name == "pt" && known == "de, en, es, fr"
        ));
    }

    /// A folder of language folders: each built-in language, plus `extra`
    /// (name and files).
    fn template_dir(extra: &[(&str, [&str; 4])]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "magiclink-templates-{}",
            ulid::Ulid::from_datetime(std::time::SystemTime::now())
        ));
        let built_in = BUILT_IN.iter().map(|(name, files, ..)| (*name, *files));
        for (name, files) in built_in.chain(extra.iter().copied()) {
            let folder = dir.join(name);
            std::fs::create_dir_all(&folder).unwrap();
            for (file, content) in FILES.into_iter().zip(files) {
                std::fs::write(folder.join(file), content).unwrap();
            }
        }
        dir
    }

    #[test]
    fn a_deployment_adds_a_language_by_adding_a_folder() {
        let [_, text, html, _] = en_files();
        let italian = [
            "Il tuo link di accesso",
            text,
            html,
            "{{day}} {{month}} {{year}}, {{hour}}:{{minute}} UTC\ngennaio\nfebbraio\nmarzo\naprile\nmaggio\ngiugno\nluglio\nagosto\nsettembre\nottobre\nnovembre\ndicembre\n",
        ];
        let dir = template_dir(&[("it", italian)]);
        let templates = MailTemplates::from_dir(&dir, "en").unwrap();
        let (name, template) = templates.choose(&[Locale::parse("it-IT").unwrap()]);
        assert_eq!(name, "it");
        let mail = template.render(&values("a@b.co", "l"));
        assert_eq!(mail.subject, "Il tuo link di accesso");
        assert!(mail.text.contains("18 novembre 2026, 11:06 UTC"));

        for bad_name in ["Deutsch", "de_AT", "x"] {
            let dir = template_dir(&[(bad_name, italian)]);
            assert_eq!(
                MailTemplates::from_dir(&dir, "en").unwrap_err(),
                TemplateError::NotALanguage {
                    name: bad_name.into()
                }
            );
        }
        let broken = template_dir(&[("it", ["Hi", "no link", html, italian[3]])]);
        assert!(matches!(
            MailTemplates::from_dir(&broken, "en").unwrap_err(),
            TemplateError::Missing { file, .. } if file == "it/body.txt"
        ));
        let empty = std::env::temp_dir().join(format!(
            "magiclink-empty-{}",
            ulid::Ulid::from_datetime(std::time::SystemTime::now())
        ));
        std::fs::create_dir_all(&empty).unwrap();
        assert!(matches!(
            MailTemplates::from_dir(&empty, "en").unwrap_err(),
            TemplateError::NoLanguages { .. }
        ));
    }

    fn notice_values(passkey_name: &str) -> NoticeValues<'_> {
        NoticeValues {
            email: "ann@example.com",
            passkey_name,
            browser: "Firefox · Linux",
            changed_at: 1_795_000_000,
        }
    }

    /// Every shipped language has both notices: the name, the time in the
    /// language, the browser, the HTML's `lang`, no placeholder left; and
    /// the subject and text part as in `snapshots/<language>-<notice>.txt`.
    #[test]
    fn every_shipped_language_renders_its_notices_as_their_snapshots() {
        let templates = built_in();
        for name in ["de", "en", "es", "fr"] {
            let tag = Locale::parse(name).unwrap();
            let (chosen, notices) = templates.choose_notice([&tag]);
            assert_eq!(chosen, name);
            let changed_at = notices.date.format(1_795_000_000);
            let mut subjects = Vec::new();
            for kind in NoticeKind::ALL {
                let mail = notices.render(kind, &notice_values("Laptop"));
                assert!(mail.html.contains(&format!("<html lang=\"{name}\">")));
                for part in [&mail.text, &mail.html] {
                    for value in [
                        "Laptop",
                        "Firefox · Linux",
                        changed_at.as_str(),
                        "ann@example.com",
                    ] {
                        assert!(part.contains(value), "{name} {kind:?}: {value} in {part}");
                    }
                    assert!(
                        !part.contains("{{"),
                        "{name} {kind:?}: every placeholder is filled"
                    );
                }
                let snapshot = format!("{}\n\n{}", mail.subject, mail.text);
                let path = format!(
                    "{}/snapshots/{name}-{}.txt",
                    std::env::var("CARGO_MANIFEST_DIR").unwrap(),
                    kind.folder()
                );
                if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                    std::fs::write(&path, &snapshot).unwrap();
                }
                let expected = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{path}: {e} (UPDATE_SNAPSHOTS=1 writes it)"));
                assert_eq!(snapshot, expected, "{name} {kind:?}");
                subjects.push(mail.subject);
            }
            assert_ne!(subjects[0], subjects[1], "{name}: added and removed differ");
        }
        assert_eq!(
            templates
                .choose_notice([&Locale::parse("de-CH").unwrap()])
                .0,
            "de"
        );
        assert_eq!(templates.choose_notice([]).0, "en");
    }

    #[test]
    fn a_hostile_passkey_name_is_escaped_in_the_notice() {
        let notices = built_in().choose_notice([]).1.clone();
        let mail = notices.render(
            NoticeKind::PasskeyAdded,
            &notice_values("<img src=x onerror=alert(1)> & co"),
        );
        assert!(
            mail.html
                .contains("&lt;img src=x onerror=alert(1)&gt; &amp; co")
        );
        assert!(!mail.html.contains("<img"));
        assert!(
            mail.text.contains("<img src=x onerror=alert(1)> & co"),
            "plain text"
        );
    }

    #[test]
    fn the_lifetime_is_told_in_each_languages_words() {
        let cases = [
            ("en", 90, "90 seconds"),
            ("en", 60, "1 minute from"),
            ("en", 259_200, "3 days"),
            ("de", 60, "1 Minute ab"),
            ("de", 7_200, "2 Stunden"),
            ("es", 3_600, "1 hora"),
            ("es", 86_400, "1 día"),
            ("fr", 90, "90\u{a0}secondes"),
            ("fr", 60, "soit 1\u{a0}minute"),
        ];
        for (name, lifetime_secs, words) in cases {
            let mail = language(name).render(&MailValues {
                lifetime_secs,
                ..values("ann@example.com", "https://app.example.com/cb#t")
            });
            assert!(
                mail.text.contains(words) && mail.html.contains(words),
                "{name} {lifetime_secs}: {words:?} in {}",
                mail.text
            );
        }
    }

    #[test]
    fn a_deployments_folder_without_lifetime_words_gets_the_built_in_ones() {
        let [_, text, html, date] = en_files();
        let dir = template_dir(&[("it", ["Accesso", text, html, date])]);
        let minute = |templates: &MailTemplates, tag: &str| {
            let (_, template) = templates.choose([&Locale::parse(tag).unwrap()]);
            let mail = template.render(&MailValues {
                lifetime_secs: 60,
                ..values("ann@example.com", "https://app.example.com/cb#t")
            });
            mail.text
        };
        let templates = MailTemplates::from_dir(&dir, "en").unwrap();
        assert!(
            minute(&templates, "it").contains("(1 minute from"),
            "English words"
        );
        assert!(
            minute(&templates, "de").contains("1 Minute ab"),
            "its own language's"
        );

        let words = dir.join("it").join(DURATION_FILE);
        std::fs::write(
            &words,
            "singular: 1\n{{n}} secondo | {{n}} secondi\n{{n}} minuto | {{n}} minuti\n\
             {{n}} ora | {{n}} ore\n{{n}} giorno | {{n}} giorni\n",
        )
        .unwrap();
        let templates = MailTemplates::from_dir(&dir, "en").unwrap();
        assert!(minute(&templates, "it").contains("(1 minuto from"));

        std::fs::write(&words, "singular: 1\n{{n}} secondo | {{n}} secondi\n").unwrap();
        assert!(matches!(
            MailTemplates::from_dir(&dir, "en").unwrap_err(),
            TemplateError::Duration { file, .. } if file == "it/duration.txt"
        ));
    }

    #[test]
    fn every_shipped_language_renders_its_invitation_as_its_snapshot() {
        let templates = built_in();
        let link = "https://app.example.com/cb#tok.en.sig";
        let three_days = MailValues {
            lifetime_secs: 3 * 86_400,
            ..values("ann@example.com", link)
        };
        for name in ["de", "en", "es", "fr"] {
            let tag = Locale::parse(name).unwrap();
            let (chosen, invitation) = templates.choose_invitation([&tag]);
            assert_eq!(chosen, name);
            let named = invitation.render(&MailValues {
                invited_by: Some("Ann <Support>"),
                ..three_days.clone()
            });
            let anonymous = invitation.render(&three_days);
            assert!(named.subject.starts_with("Ann <Support>"), "{name}");
            assert!(named.html.contains("Ann &lt;Support&gt;"), "{name}");
            assert!(anonymous.subject.starts_with(&invitation.someone), "{name}");
            for part in [&named.text, &named.html] {
                assert!(part.contains(link), "{name}: {part}");
                assert!(
                    part.contains(": 01234567") || part.contains(" : 01234567"),
                    "{name}"
                );
                assert!(
                    part.contains(" 3 ") || part.contains(" 3\u{a0}"),
                    "{name}: three days in words"
                );
                assert!(!part.contains("{{"), "{name}: every placeholder is filled");
            }
            assert_ne!(
                named.subject,
                templates.choose([&tag]).1.render(&three_days).subject,
                "{name}: an invitation is not a sign-in mail"
            );
            let snapshot = format!("{}\n\n{}", anonymous.subject, anonymous.text);
            let path = format!(
                "{}/snapshots/{name}-invitation.txt",
                std::env::var("CARGO_MANIFEST_DIR").unwrap()
            );
            if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
                std::fs::write(&path, &snapshot).unwrap();
            }
            let expected = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e} (UPDATE_SNAPSHOTS=1 writes it)"));
            assert_eq!(snapshot, expected, "{name}");
        }
        assert_eq!(templates.choose_invitation([]).0, "en");
    }

    #[test]
    fn a_deployments_folder_without_an_invitation_gets_the_built_in_one() {
        let [_, text, html, date] = en_files();
        let italian = ["Il tuo link di accesso", text, html, date];
        let dir = template_dir(&[("it", italian)]);
        let templates = MailTemplates::from_dir(&dir, "it").unwrap();
        let (language, _) = templates.choose_invitation([&Locale::parse("it").unwrap()]);
        assert_eq!(language, "en", "Italian has none: English's");

        let folder = dir.join("it").join(INVITATION_FOLDER);
        std::fs::create_dir_all(&folder).unwrap();
        let own = [
            "{{invited_by}} ti ha invitato",
            "{{link}} {{code}} {{lifetime}}",
            "{{link}} {{code}}",
            "Il tuo team",
        ];
        for (file, content) in INVITATION_FILES.into_iter().zip(own) {
            std::fs::write(folder.join(file), content).unwrap();
        }
        let templates = MailTemplates::from_dir(&dir, "it").unwrap();
        let (language, invitation) = templates.choose_invitation([]);
        assert_eq!(language, "it", "the default has one now");
        let mail = invitation.render(&values("ann@example.com", "L"));
        assert_eq!(mail.subject, "Il tuo team ti ha invitato");

        std::fs::write(
            folder.join("body.txt"),
            "{{link}} {{code}} {{passkey_name}}",
        )
        .unwrap();
        assert!(matches!(
            MailTemplates::from_dir(&dir, "it").unwrap_err(),
            TemplateError::UnknownPlaceholder { file, name } if file == "it/invitation/body.txt" && name == "passkey_name"
        ));
        std::fs::write(folder.join("body.txt"), "{{link}} only").unwrap();
        assert!(matches!(
            MailTemplates::from_dir(&dir, "it").unwrap_err(),
            TemplateError::Missing { file, name: "code" } if file == "it/invitation/body.txt"
        ));
        std::fs::write(folder.join("body.txt"), "{{link}} {{code}}").unwrap();
        std::fs::write(folder.join("someone.txt"), "  \n").unwrap();
        assert!(matches!(
            MailTemplates::from_dir(&dir, "it").unwrap_err(),
            TemplateError::Unreadable { file, .. } if file == "it/invitation/someone.txt"
        ));
        // The sign-in mail has no inviter to name.
        std::fs::write(
            dir.join("it").join("body.txt"),
            "{{link}} {{code}} {{invited_by}}",
        )
        .unwrap();
        std::fs::write(folder.join("someone.txt"), "Il tuo team").unwrap();
        assert!(matches!(
            MailTemplates::from_dir(&dir, "it").unwrap_err(),
            TemplateError::UnknownPlaceholder { name, .. } if name == "invited_by"
        ));
    }

    #[test]
    fn a_deployments_folders_without_notices_get_the_built_in_ones() {
        let [_, text, html, date] = en_files();
        let italian = ["Il tuo link di accesso", text, html, date];
        let dir = template_dir(&[("it", italian)]);
        for name in ["en", "de", "es", "fr"] {
            std::fs::remove_dir_all(dir.join(name)).unwrap();
        }
        let templates = MailTemplates::from_dir(&dir, "it").unwrap();
        let (language, notices) = templates.choose_notice([&Locale::parse("it").unwrap()]);
        assert_eq!(language, "en", "Italian has none: the built-in default's");
        let mail = notices.render(NoticeKind::PasskeyRemoved, &notice_values("Laptop"));
        assert_eq!(mail.subject, "A passkey was removed from your account");
        assert_eq!(
            templates.choose_notice([&Locale::parse("de").unwrap()]).0,
            "de"
        );

        // Its own notices, checked as the built-in ones are.
        let notice = [
            "Passkey {{passkey_name}}",
            "{{passkey_name}} {{changed_at}}",
            "{{passkey_name}} {{changed_at}} {{browser}}",
        ];
        for kind in NoticeKind::ALL {
            let folder = dir.join("it").join(kind.folder());
            std::fs::create_dir_all(&folder).unwrap();
            for (file, content) in NOTICE_FILES.into_iter().zip(notice) {
                std::fs::write(folder.join(file), content).unwrap();
            }
        }
        let templates = MailTemplates::from_dir(&dir, "it").unwrap();
        let (language, notices) = templates.choose_notice([]);
        assert_eq!(language, "it", "the default has notices now");
        let mail = notices.render(NoticeKind::PasskeyAdded, &notice_values("Laptop"));
        assert_eq!(mail.subject, "Passkey Laptop");
        assert_eq!(mail.text, "Laptop 18 November 2026, 11:06 UTC");

        let removed = dir.join("it").join("passkey-removed");
        std::fs::write(removed.join("body.txt"), "{{changed_at}} only").unwrap();
        assert_eq!(
            MailTemplates::from_dir(&dir, "it").unwrap_err(),
            TemplateError::Missing {
                file: "it/passkey-removed/body.txt".into(),
                name: "passkey_name"
            }
        );
        std::fs::write(
            removed.join("body.txt"),
            "{{passkey_name}} {{changed_at}} {{link}}",
        )
        .unwrap();
        assert!(matches!(
            MailTemplates::from_dir(&dir, "it").unwrap_err(),
            TemplateError::UnknownPlaceholder { file, name } if file == "it/passkey-removed/body.txt" && name == "link"
        ));
        std::fs::remove_dir_all(&removed).unwrap();
        assert!(
            matches!(
                MailTemplates::from_dir(&dir, "it").unwrap_err(),
                TemplateError::Unreadable { file, .. } if file.ends_with("it/passkey-removed/subject.txt")
            ),
            "one notice without the other is refused"
        );
    }
}
