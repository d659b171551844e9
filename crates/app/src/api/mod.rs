//! The machine interfaces: FHIR R4 at `/fhir`. Callers sign in with a bearer token; the same
//! policy and audit as the pages apply to every request and every row.

pub mod fhir;
