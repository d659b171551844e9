//! Pieces shared by the forms that edit a versioned record.

use crate::error::AppError;
use serde::Deserialize;

/// A form that changes a versioned record: its own fields, plus the version of the record the
/// form was opened at, so a save from a stale page is refused instead of overwriting.
#[derive(Deserialize)]
pub struct Versioned<T> {
    #[serde(flatten)]
    pub form: T,
    #[serde(default)]
    version: String,
}

impl<T> Versioned<T> {
    pub fn version(&self) -> Result<i64, AppError> {
        parse_version(&self.version)
    }
}

/// The version a form was opened at. Missing or garbled means the page was not ours or is broken.
pub fn parse_version(raw: &str) -> Result<i64, AppError> {
    raw.trim().parse().map_err(|_| {
        AppError::BadRequest("The form is missing the record's version. Reload the page and try again.".into())
    })
}

/// A form read as its raw name–value pairs, for forms with repeated rows (the steps of a goal,
/// the contacts of an escalation plan) that a flat struct cannot hold.
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// The first value of a field, or empty.
    pub fn one(&self, key: &str) -> String {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default()
    }
    /// Every value of a repeated field, in page order.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.clone()).collect()
    }
    /// Rows of repeated fields, one row per position. Every column must have as many values as
    /// the first, or the form was not ours.
    pub fn rows<const N: usize>(&self, columns: [&str; N]) -> Result<Vec<[String; N]>, AppError> {
        let values: Vec<Vec<String>> = columns.iter().map(|c| self.all(c)).collect();
        let n = values[0].len();
        if values.iter().any(|v| v.len() != n) {
            return Err(AppError::BadRequest("The form's rows do not line up. Reload the page and try again.".into()));
        }
        Ok((0..n).map(|i| std::array::from_fn(|c| values[c][i].clone())).collect())
    }
    /// The lock of the record the form was opened at (`version`).
    pub fn version(&self) -> Result<i64, AppError> {
        parse_version(&self.one("version"))
    }
}
