//! A FHIR Patient from a client: any bytes must give a Patient or an OperationOutcome, never a
//! panic; a Patient that parses must convert to details or to an OperationOutcome.
#![no_main]

use carethread_fhir::patient::{Patient, from_fhir};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = carethread_fhir::parse::resource::<Patient>(data, "Patient") {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        let _ = from_fhir(&p, today);
    }
});
