//! The HTTP, FHIR and command-line tests, in one binary so the workspace links one test
//! executable per crate rather than one per file (each is hundreds of megabytes on a debug build).
//! Every test gets its own fresh database on the backend `CARETHREAD_TEST_BACKEND` names.

mod common;

mod access;
mod authz_matrix;
mod cli;
mod fhir_case;
mod fhir_circle;
mod fhir_import;
mod fhir_patient;
mod fhir_plan_write;
mod fhir_review_write;
mod fhir_transaction;
mod http;
mod insights;
mod plans;
mod reviews;
mod themes;
mod two_factor;
