use chrono::{DateTime, SubsecRound, Utc};

/// The current time, to the microsecond. Both databases keep microseconds, so truncating here
/// means a time read back equals the time written, and SQLite's text times sort correctly.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
