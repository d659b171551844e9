//! FHIR search parameters: any query string, strict or lenient, parses or is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) {
        let _ = carethread_fhir::search::patient(&pairs, false);
        let _ = carethread_fhir::search::patient(&pairs, true);
    }
});
