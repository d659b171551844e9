//! The CapabilityStatement: exactly what this server supports, for clients to read first.

use serde_json::{Value, json};

/// The statement, with `base` the absolute address of the FHIR endpoint and `version` the
/// software's version.
pub fn statement(base: &str, version: &str, date: &str) -> Value {
    let param = |name: &str, kind: &str, doc: &str| json!({ "name": name, "type": kind, "documentation": doc });
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date,
        "publisher": "Carethread",
        "kind": "instance",
        "software": { "name": "Carethread", "version": version },
        "implementation": { "description": "Carethread care planning", "url": base },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "cors": false,
                "description": "Send Authorization: Bearer <token>, a token from `carethread token create`. Every read, search row and write passes the same access policy as the web pages and is audited."
            },
            "resource": [
            {
                "type": "CodeSystem",
                "interaction": [{ "code": "read" }, { "code": "search-type" }],
                "searchParam": [param("url", "uri", "The canonical address of the code system.")]
            },
            {
                "type": "ValueSet",
                "interaction": [{ "code": "read" }, { "code": "search-type" }],
                "searchParam": [param("url", "uri", "The canonical address of the value set.")]
            },
            {
                "type": "Patient",
                "versioning": "versioned",
                "readHistory": true,
                "updateCreate": false,
                "conditionalCreate": true,
                "interaction": [
                    { "code": "read" }, { "code": "vread" }, { "code": "update" },
                    { "code": "create" }, { "code": "search-type" }
                ],
                "searchParam": [
                    param("_id", "token", "One or more Carethread ids, comma separated."),
                    param("identifier", "token", "The NHS number, with or without the system https://fhir.nhs.uk/Id/nhs-number."),
                    param("name", "string", "Part of a first, last or preferred name."),
                    param("birthdate", "date", "The date of birth."),
                    param("_lastUpdated", "date", "When the details last changed, with ge, gt, le, lt or eq.")
                ]
            }]
        }]
    })
}
