//! Who is asking: passwords, sessions, API tokens and the anti-forgery check.

pub mod csrf;
pub mod password;
pub mod session;
pub mod token;
pub mod totp;
pub mod viewer;

pub use viewer::{RequestMeta, Viewer};
