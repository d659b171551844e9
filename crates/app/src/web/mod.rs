//! The HTML pages, one module per area. Handlers parse input, ask the policy, call the store
//! and render a template; they hold no SQL and no business rules of their own.

pub mod admin;
pub mod assets;
pub mod easy_read;
pub mod forms;
pub mod health;
pub mod home;
pub mod layout;
pub mod people;
pub mod pictograms;
pub mod reviews;
pub mod sign_in;
pub mod svg;
pub mod tasks;
pub mod themes;
pub mod today;
