//! Account usernames: short, lower-case and unambiguous, because people type them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "A username is 3 to 64 characters: lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit."
)]
pub struct BadUsername;

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Username {
    type Err = BadUsername;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let ok_len = (3..=64).contains(&s.len());
        let ok_first = s.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let ok_chars = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
        if ok_len && ok_first && ok_chars { Ok(Self(s.to_string())) } else { Err(BadUsername) }
    }
}

impl TryFrom<String> for Username {
    type Error = BadUsername;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Username> for String {
    fn from(value: Username) -> Self {
        value.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!("demo-keyworker".parse::<Username>().is_ok());
        assert!("j.smith_2".parse::<Username>().is_ok());
        for bad in ["", "ab", "Demo", "-lead", "a b c", "x".repeat(65).as_str(), "ünï"] {
            assert_eq!(bad.parse::<Username>(), Err(BadUsername), "{bad:?} should be refused");
        }
    }
}
