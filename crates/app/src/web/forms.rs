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
