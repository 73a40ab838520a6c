//! The words administrators define for staff to choose from — a pause reason, a wrap-up code —
//! kept by a stable key, so that relabelling one changes no report and no stored event.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A key such as `lunch` or `billing_question`: 1–40 lowercase ASCII letters, digits or `_`,
/// starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "must be 1-{} lowercase letters, digits or '_', starting with a letter",
    Code::MAX_CHARS
)]
pub struct BadCode;

impl Code {
    pub const MAX_CHARS: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, BadCode> {
        let starts_with_letter = raw.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        let well_formed = raw.len() <= Self::MAX_CHARS
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if starts_with_letter && well_formed {
            Ok(Self(raw.to_string()))
        } else {
            Err(BadCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Code {
    type Error = BadCode;

    fn try_from(raw: String) -> Result<Self, BadCode> {
        Self::parse(&raw)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_a_lowercase_word() {
        assert_eq!(Code::parse("lunch_2").unwrap().as_str(), "lunch_2");
        for bad in ["", "Lunch", "2nd", "_x", "a-b", "lønn", &"a".repeat(41)] {
            assert_eq!(Code::parse(bad), Err(BadCode), "{bad:?}");
        }
    }

    #[test]
    fn a_stored_code_that_is_not_one_is_refused() {
        assert!(serde_json::from_str::<Code>("\"meeting\"").is_ok());
        assert!(serde_json::from_str::<Code>("\"Not a code\"").is_err());
    }
}
