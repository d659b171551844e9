//! HL7 FHIR R4 (4.0.1) for Carethread: how the domain's records read and are written as FHIR
//! JSON, the search parameters each resource takes, searchset bundles, the CapabilityStatement
//! and OperationOutcome. Pure: no IO, no HTTP types; the app's `api::fhir` serves it.
//!
//! Incoming resources are parsed into strict structs that refuse unknown elements, and every
//! error names the element at fault (`Patient.identifier[0].value`), so a client can fix it.

pub mod audit_event;
pub mod bundle;
pub mod capability;
pub mod careplan;
pub mod careteam;
pub mod condition;
pub mod consent;
pub mod datatypes;
pub mod directory;
pub mod minutes;
pub mod outcome;
pub mod parse;
pub mod patient;
pub mod prompt_sheet;
pub mod provenance;
pub mod review;
pub mod search;
pub mod task;
pub mod terminology;

/// The media type of FHIR JSON.
pub const MEDIA_TYPE: &str = "application/fhir+json";
/// Where Carethread's own extensions, code systems and value sets are named.
pub const CANONICAL: &str = "https://carethread.app/fhir";
/// The identifier system of NHS numbers in England.
pub const NHS_NUMBER_SYSTEM: &str = "https://fhir.nhs.uk/Id/nhs-number";

/// A resource's `meta`: its version and when it last changed.
pub fn meta(version: i64, updated_at: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    serde_json::json!({ "versionId": version.to_string(), "lastUpdated": instant(updated_at) })
}

/// A moment as FHIR writes it: UTC, to the millisecond.
pub fn instant(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
