use super::DirectoryError;
use serde::{Deserialize, Serialize};

/// A login name: 2-64 characters of lowercase letters, digits, '.', '-' or '_'.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, DirectoryError> {
        let name = raw.trim().to_lowercase();
        let ok = (2..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok {
            Ok(Self(name))
        } else {
            Err(DirectoryError::BadUsername)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
