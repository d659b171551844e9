//! FHIR search parameters: any query string, strict or lenient, parses or is refused, for every
//! resource type that can be searched.
#![no_main]

use carethread_fhir::search::{self, Params};
use libfuzzer_sys::fuzz_target;

const SEARCHABLE: [Params; 8] = [
    carethread_fhir::careplan::CAREPLAN_SEARCH,
    carethread_fhir::careplan::GOAL_SEARCH,
    carethread_fhir::careteam::SEARCH,
    carethread_fhir::task::SEARCH,
    carethread_fhir::review::ENCOUNTER_SEARCH,
    carethread_fhir::review::OBSERVATION_SEARCH,
    carethread_fhir::condition::SEARCH,
    carethread_fhir::consent::SEARCH,
];

fuzz_target!(|data: &[u8]| {
    if let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) {
        let _ = search::patient(&pairs, false);
        let _ = search::patient(&pairs, true);
        for params in &SEARCHABLE {
            let _ = search::resource(params, &pairs, false);
            let _ = search::resource(params, &pairs, true);
        }
    }
});
