//! A case: one organisation holding one person's care.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    Open,
    Closed,
}

impl CaseStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Closed => "closed",
        }
    }
}

impl FromStr for CaseStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(CaseStatus::Open),
            "closed" => Ok(CaseStatus::Closed),
            other => Err(format!("unknown case status '{other}'")),
        }
    }
}

/// The reason given when a case is closed: required, so the record says why.
pub fn parse_close_reason(input: &str) -> Result<String, crate::FieldErrors> {
    let mut errors = crate::FieldErrors::new();
    let reason = crate::text::required(&mut errors, "reason", "the reason for closing the case", input, 500);
    errors.into_result(|| reason)
}
