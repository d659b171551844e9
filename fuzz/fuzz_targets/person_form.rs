//! The registration form as posted: every field checked, errors in words, never a panic.
#![no_main]

use carethread_domain::PersonInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(form) = serde_urlencoded::from_bytes::<PersonInput>(data) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        let _ = form.parse(today);
    }
});
