//! The HTML pages, one module per area. Handlers parse input, ask the policy, call the store
//! and render a template; they hold no SQL and no business rules of their own.

pub mod access_log;
pub mod admin;
pub mod assets;
pub mod consents;
pub mod easy_read;
pub mod forms;
pub mod health;
pub mod home;
pub mod insights;
pub mod layout;
pub mod people;
pub mod pictograms;
pub mod plan_quality;
pub mod plan_views;
pub mod plans;
pub mod reviews;
pub mod sign_in;
pub mod svg;
pub mod tasks;
pub mod themes;
pub mod today;

/// Today's date, for checks such as "a due date may not be more than a year back".
pub fn current_date() -> chrono::NaiveDate {
    carethread_store::now().date_naive()
}

/// A record id from a web address. Anything that is not an id is simply not found.
pub fn record_id(raw: &str) -> Result<uuid::Uuid, crate::error::AppError> {
    raw.parse().map_err(|_| crate::error::AppError::NotFound)
}
