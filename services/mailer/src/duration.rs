//! A link's lifetime in words, the way each language writes it: "15
//! minutes", "90 seconds", "1 minute", "3 days". Each language folder may
//! hold a `duration.txt`: a first line `singular: 1` naming the counts that
//! take the singular (`singular: 0 1` in French), then one line per unit,
//! seconds, minutes, hours and days, each `singular | plural` with `{{n}}`
//! where the number goes:
//!
//! ```text
//! singular: 1
//! {{n}} second | {{n}} seconds
//! {{n}} minute | {{n}} minutes
//! {{n}} hour | {{n}} hours
//! {{n}} day | {{n}} days
//! ```
//!
//! A lifetime is told in the largest unit that holds it exactly, so that
//! the words are never rounded: 900 s is "15 minutes", 90 s "90 seconds",
//! 259,200 s "3 days".

use crate::template::TemplateError;

/// The units, largest first, with their length in seconds and their line in
/// `duration.txt` (counting from 0 after the `singular:` line).
const UNITS: [(u64, usize); 4] = [(86_400, 3), (3_600, 2), (60, 1), (1, 0)];

/// How one language writes a lifetime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationWords {
    /// The counts written with a unit's singular form.
    singular: Vec<u64>,
    /// Per unit (seconds, minutes, hours, days): its singular and plural
    /// pattern, each with `{{n}}`.
    units: [[String; 2]; 4],
}

impl DurationWords {
    /// Reads a `duration.txt`; `file` names it in errors.
    pub fn new(file: &str, text: &str) -> Result<Self, TemplateError> {
        let bad = |reason: String| TemplateError::Duration {
            file: file.to_owned(),
            reason,
        };
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let singular = lines
            .next()
            .and_then(|line| line.strip_prefix("singular:"))
            .ok_or_else(|| bad("the first line must be `singular:` and its counts".into()))?
            .split_whitespace()
            .map(|count| {
                count
                    .parse::<u64>()
                    .map_err(|_| bad(format!("{count:?} is not a count")))
            })
            .collect::<Result<Vec<u64>, _>>()?;
        let units: Vec<[String; 2]> = lines
            .map(|line| {
                let forms: Vec<&str> = line.split('|').map(str::trim).collect();
                match forms.as_slice() {
                    [one, other] if [one, other].iter().all(|form| is_pattern(form)) => {
                        Ok([(*one).to_owned(), (*other).to_owned()])
                    }
                    _ => Err(bad(format!(
                        "{line:?}: each unit is `singular | plural`, each with {{{{n}}}} and no other {{{{"
                    ))),
                }
            })
            .collect::<Result<_, _>>()?;
        let units: [[String; 2]; 4] = units.try_into().map_err(|units: Vec<_>| {
            bad(format!(
                "{} units; it takes 4: seconds, minutes, hours, days",
                units.len()
            ))
        })?;
        Ok(Self { singular, units })
    }

    /// `seconds` in words, in the largest unit that holds it exactly.
    pub fn words(&self, seconds: u64) -> String {
        let (length, line) = UNITS
            .into_iter()
            .find(|(length, _)| seconds >= *length && seconds.is_multiple_of(*length))
            .unwrap_or((1, 0));
        let count = seconds / length;
        let form = usize::from(!self.singular.contains(&count));
        self.units[line][form].replace("{{n}}", &count.to_string())
    }
}

/// A unit's form: `{{n}}` once, and no other placeholder.
fn is_pattern(form: &str) -> bool {
    form.matches("{{n}}").count() == 1 && form.matches("{{").count() == 1
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;

    const ENGLISH: &str = "singular: 1
{{n}} second | {{n}} seconds
{{n}} minute | {{n}} minutes
{{n}} hour | {{n}} hours
{{n}} day | {{n}} days
";

    #[test]
    fn a_lifetime_is_told_in_the_largest_unit_that_holds_it_exactly() {
        let en = DurationWords::new("en/duration.txt", ENGLISH).unwrap();
        let told: Vec<String> = [
            90, 60, 900, 5_400, 3_600, 7_200, 86_400, 259_200, 90_000, 1, 0,
        ]
        .map(|secs| en.words(secs))
        .into();
        assert_eq!(
            told,
            [
                "90 seconds",
                "1 minute",
                "15 minutes",
                "90 minutes",
                "1 hour",
                "2 hours",
                "1 day",
                "3 days",
                "25 hours",
                "1 second",
                "0 seconds"
            ]
        );
    }

    #[test]
    fn a_language_says_which_counts_are_singular() {
        let fr = DurationWords::new(
            "fr/duration.txt",
            "singular: 0 1\n{{n}} seconde | {{n}} secondes\n{{n}} minute | {{n}} minutes\n{{n}} heure | {{n}} heures\n{{n}} jour | {{n}} jours",
        )
        .unwrap();
        assert_eq!(fr.words(0), "0 seconde");
        assert_eq!(fr.words(60), "1 minute");
        assert_eq!(fr.words(120), "2 minutes");
    }

    #[test]
    fn a_bad_file_is_refused_with_its_reason() {
        let cases = [
            ("", "singular:"),
            ("{{n}} second | {{n}} seconds", "singular:"),
            ("singular: one", "not a count"),
            ("singular: 1\n{{n}} second | {{n}} seconds", "1 units"),
            (
                "singular: 1\n{{n}} second\n{{n}} minute | {{n}} minutes\n{{n}} hour | {{n}} hours\n{{n}} day | {{n}} days",
                "singular | plural",
            ),
            (
                "singular: 1\nsecond | {{n}} seconds\n{{n}} minute | {{n}} minutes\n{{n}} hour | {{n}} hours\n{{n}} day | {{n}} days",
                "singular | plural",
            ),
            (
                "singular: 1\n{{n}} second | {{n}} {{x}}\n{{n}} minute | {{n}} minutes\n{{n}} hour | {{n}} hours\n{{n}} day | {{n}} days",
                "singular | plural",
            ),
        ];
        for (text, why) in cases {
            let error = DurationWords::new("xx/duration.txt", text)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("xx/duration.txt") && error.contains(why),
                "{text:?}: {error}"
            );
        }
    }
}
