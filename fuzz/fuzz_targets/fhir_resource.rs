//! FHIR resources from a client: any bytes must give a resource or an OperationOutcome, never a
//! panic. The same bytes go to every parser of incoming resources: a Patient (and on to a
//! person's details), a Task (as the task form would have it) and an Observation (a vote).
#![no_main]

use carethread_fhir::patient::{Patient, from_fhir};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = carethread_fhir::parse::resource::<Patient>(data, "Patient") {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        let _ = from_fhir(&p, today);
    }
    let _ = carethread_fhir::task::task_from_fhir(data);
    let _ = carethread_fhir::review::vote_from_fhir(data);
});
