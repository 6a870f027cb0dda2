//! JSON errors told without what they quote.
//!
//! serde_json's messages quote the input they stumbled on (`invalid type:
//! integer `12345678`, expected a string`), so an error made from an answer
//! or a request body would carry a code, a token or an address into a log
//! line. What is told instead is the kind of fault and where it is.

use serde_json::error::Category;

/// `error` as its kind and place, with no part of the input.
pub fn fault(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not JSON",
        Category::Data => "JSON of the wrong shape or types",
        Category::Eof => "JSON cut short",
    };
    format!("{kind} (line {}, column {})", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_part_of_the_input_is_told() {
        let secret = "87654321";
        let mut quoted = 0;
        for raw in [
            format!(r#"{{"code":{secret}}}"#),
            format!(r#"{{"code":"{secret}","{secret}":1}}"#),
            format!(r#"{{"code":[{secret}"#),
            format!(r#"{{"{secret}"#),
        ] {
            #[derive(Debug, serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            #[allow(dead_code, reason = "only the parse is tested")]
            struct Answer {
                code: String,
            }
            let error = serde_json::from_str::<Answer>(&raw).expect_err(&raw);
            quoted += usize::from(error.to_string().contains(secret));
            let told = fault(&error);
            assert!(!told.contains(secret), "{told}");
            assert!(told.contains("column"), "{told}");
        }
        assert!(quoted >= 2, "serde's own messages quote the input");
    }
}
