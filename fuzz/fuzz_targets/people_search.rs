//! The "find a person" box: a name, an NHS number or a date of birth, or a plain refusal.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = carethread_domain::search::PeopleQuery::parse(text);
        let _ = text.parse::<carethread_domain::NhsNumber>();
    }
});
