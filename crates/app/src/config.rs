//! Run-time settings, from command-line flags or `CARETHREAD_*` environment variables.

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    /// How long a staff session may sit unused before it ends.
    pub staff_idle: Duration,
    /// How long a person's or supporter's session may sit unused before it ends.
    pub person_idle: Duration,
    /// The longest any session lasts, however busy.
    pub session_max: Duration,
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
}

impl Config {
    pub const DEFAULT_DATABASE_URL: &'static str = "sqlite://carethread.db";
    pub const DEFAULT_ADDR: &'static str = "127.0.0.1:8080";
}

/// Failed sign-ins allowed per account, and per address, within [`THROTTLE_WINDOW`].
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
