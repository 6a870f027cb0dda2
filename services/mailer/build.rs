//! Builds the mail templates in `templates/` into the binary: one entry per
//! language folder (its sign-in mail, its notices' folders, its
//! `duration.txt`, its invitation's folder), so that a
//! language is added by adding a folder. The
//! templates are checked when the mailer starts (and by its tests).

#![allow(
    clippy::print_stdout,
    reason = "cargo reads a build script's instructions from its standard output"
)]

use std::fmt::Write as _;
use std::path::Path;

/// The files of a language's sign-in mail, in the order `MailTemplate::new`
/// takes them.
const FILES: [&str; 4] = ["subject.txt", "body.txt", "body.html", "date.txt"];

/// The notices' folders in a language folder, and each one's files, in the
/// order `NoticeTemplate::new` takes them.
const NOTICES: [&str; 2] = ["passkey-added", "passkey-removed"];
const NOTICE_FILES: [&str; 3] = ["subject.txt", "body.txt", "body.html"];

/// How a language writes a lifetime (see the mailer's `duration` module).
const DURATION: &str = "duration.txt";

/// The invitation's folder and its files, in the order
/// `MailTemplate::invitation` takes them.
const INVITATION: &str = "invitation";
const INVITATION_FILES: [&str; 4] = ["subject.txt", "body.txt", "body.html", "someone.txt"];

fn main() {
    // Read when the script runs, not when it was compiled: a cached build
    // script may serve a checkout at another path.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("templates");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut languages: Vec<_> = std::fs::read_dir(&dir)
        .expect("templates/ is readable")
        .map(|entry| entry.expect("templates/ is readable").path())
        .filter(|path| path.is_dir())
        .collect();
    languages.sort();
    let mut code = String::from("&[\n");
    for language in languages {
        let name = language
            .file_name()
            .and_then(|n| n.to_str())
            .expect("language folders have UTF-8 names");
        let include = |code: &mut String, path: &Path| {
            write!(code, "include_str!({:?}), ", path.display().to_string())
                .expect("writing to a String");
        };
        write!(code, "    ({name:?}, [").expect("writing to a String");
        for file in FILES {
            include(&mut code, &language.join(file));
        }
        code.push_str("], [");
        for notice in NOTICES {
            code.push('[');
            for file in NOTICE_FILES {
                include(&mut code, &language.join(notice).join(file));
            }
            code.push_str("], ");
        }
        code.push_str("], ");
        include(&mut code, &language.join(DURATION));
        code.push('[');
        for file in INVITATION_FILES {
            include(&mut code, &language.join(INVITATION).join(file));
        }
        code.push_str("]),\n");
    }
    code.push(']');
    let out =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("languages.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
