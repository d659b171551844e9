//! The CapabilityStatement: exactly what this server supports, for clients to read first.

use crate::search::Params;
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
            "interaction": [{
                "code": "batch",
                "documentation": "Each entry is handled as a request of its own, with the same token, policy and audit."
            }, {
                "code": "transaction",
                "documentation": "All or nothing, in one of two ways. A transaction that creates Patients imports new cases: POST entries creating Patients with their RelatedPersons, CareTeam, Conditions, Goals and one CarePlan (the plan in their own words; it arrives as a draft until the person's agreement is recorded). Any other transaction runs its entries (create, update with ifMatch, delete, read, search) as the requests they would be alone, in one database transaction, in FHIR's order: deletes, creates, updates, reads. Entries refer to records created before them by fullUrl (urn:uuid:). The first entry to fail, named in the OperationOutcome, leaves nothing written."
            }],
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
            documented(
                case_resource(
                    &crate::careplan::CAREPLAN_SEARCH,
                    &["read", "vread", "history-instance", "search-type", "create", "update", "delete"],
                ),
                "Each plan version is three linked CarePlans told apart by category. Create a part to start the next draft from the plan in force; update a part of the draft with If-Match, or delete its management or escalation part (with If-Match) to clear it. An agreed version never changes (409), and a plan comes into force only when the person's agreement is recorded on the plan page.",
            ),
            case_resource(
                &crate::careplan::GOAL_SEARCH,
                &["read", "vread", "history-instance", "search-type", "create", "update"],
            ),
            case_resource(&crate::careteam::SEARCH, &["read", "search-type"]),
            case_resource(
                &crate::task::SEARCH,
                &["read", "vread", "history-instance", "search-type", "create", "update"],
            ),
            documented(
                case_resource(&crate::review::ENCOUNTER_SEARCH, &["read", "vread", "search-type", "create"]),
                "A review. Create a planned Encounter to schedule one: its kind as type text, period.start, the place as location display, the chair in the review-chair extension, and who is invited as participants (the person always is). Attendance, minutes and sign-off are recorded on the review page.",
            ),
            case_resource(
                &crate::directory::RELATED_SEARCH,
                &["read", "vread", "history-instance", "search-type", "create", "update", "delete"],
            ),
            case_resource(
                &crate::condition::SEARCH,
                &["read", "vread", "history-instance", "search-type", "create", "update", "delete"],
            ),
            case_resource(
                &crate::consent::SEARCH,
                &["read", "vread", "history-instance", "search-type", "create", "update"],
            ),
            case_resource(&crate::audit_event::SEARCH, &["search-type"]),
            case_resource(&crate::provenance::SEARCH, &["read", "search-type"]),
            documented(
                case_resource(
                    &crate::prompt_sheet::RESPONSE_SEARCH,
                    &["read", "vread", "history-instance", "search-type", "create", "update"],
                ),
                "A review's prompt sheet; its id is the review's. Create it with the review as encounter; update it with If-Match until the review is signed off.",
            ),
            { "type": "Questionnaire", "interaction": [{ "code": "read" }, { "code": "search-type" }] },
            { "type": "Practitioner", "interaction": [{ "code": "read" }] },
            { "type": "PractitionerRole", "interaction": [{ "code": "read" }] },
            { "type": "Organization", "interaction": [{ "code": "read" }] },
            case_resource(&crate::review::OBSERVATION_SEARCH, &["read", "vread", "search-type", "create"]),
            documented(
                case_resource(&crate::minutes::SEARCH, &["read", "vread", "search-type", "update"]),
                "A review's minutes; its id is the review's. A section per theme (coded from the themes CodeSystem) holds Notes and Decisions sections of plain text, and emptyReason notasked when the theme was not discussed. Update it with If-Match while the review is open (status preliminary); it is final once the review is signed off, amended after a correction.",
            ),
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

/// A resource's entry with a word on how it is written.
fn documented(mut resource: Value, documentation: &str) -> Value {
    resource["documentation"] = json!(documentation);
    resource
}

/// A case resource: its interactions and the search parameters it takes.
fn case_resource(params: &Params, interactions: &[&str]) -> Value {
    let param = |name: &str, kind: &str, doc: String| json!({ "name": name, "type": kind, "documentation": doc });
    let mut search = vec![
        param("_id", "token", "One or more ids, comma separated.".into()),
        param("patient", "reference", "The person whose record it is: Patient/<id>.".into()),
        param("subject", "reference", "The same as patient.".into()),
        param("_lastUpdated", "date", "When it last changed, with ge, gt, le, lt or eq.".into()),
    ];
    if !params.statuses.is_empty() {
        search.push(param("status", "token", format!("One of: {}.", params.statuses.join(", "))));
    }
    if !params.categories.is_empty() {
        search.push(param("category", "token", format!("One of: {}.", params.categories.join(", "))));
    }
    if !params.owners.is_empty() {
        search.push(param("owner", "reference", format!("A {}.", params.owners.join(", "))));
    }
    if !params.codes.is_empty() {
        search.push(param("code", "token", format!("One of: {}.", params.codes.join(", "))));
    }
    if params.encounter {
        search.push(param("encounter", "reference", "The review: Encounter/<id>.".into()));
    }
    if params.date {
        search.push(param(
            "date",
            "date",
            "When the review is or was, with ge, gt, le, lt or eq; _sort=date (or -date) orders by it.".into(),
        ));
    }
    json!({
        "type": params.resource,
        "versioning": "versioned",
        // vread of earlier versions, which only resources with a history keep.
        "readHistory": interactions.contains(&"history-instance"),
        // If-None-Exist runs as this resource's search, for every resource that can be created.
        "conditionalCreate": interactions.contains(&"create"),
        "interaction": interactions.iter().map(|i| json!({ "code": i })).collect::<Vec<_>>(),
        "searchInclude": params.includes,
        "searchParam": search,
    })
}
