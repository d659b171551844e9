//! `GET /api/openapi.json`: an OpenAPI 3.1 description of the machine interfaces, built from the
//! same route table as the router, so every API route is described and none is invented.

use crate::web::routes::Route;
use carethread_fhir::search::Params;
use serde_json::{Map, Value, json};

/// The query parameters an operation takes.
enum Query {
    None,
    /// A read: only `_format`.
    Format,
    Fixed(&'static [&'static str]),
    /// A search of a case resource: the parameters its parser accepts.
    Search(&'static Params),
}

/// What one path's operations are, in words, and which query parameters they take.
fn describe(path: &str, method: &str) -> (&'static str, Query) {
    use Query::*;
    use carethread_fhir::{
        audit_event, careplan, careteam, condition, consent, directory, minutes, prompt_sheet, provenance, review, task,
    };
    match (path, method) {
        ("/fhir/metadata", _) => ("The CapabilityStatement: what this server supports", None),
        ("/fhir", _) => (
            "A batch Bundle (each entry a request of its own, answered in order), or a transaction Bundle, all or nothing: one creating Patients imports new cases, any other runs its entries as requests inside one database transaction",
            None,
        ),
        ("/fhir/Patient", "get") => (
            "Search people you have a working relationship with",
            Fixed(&[
                "_id",
                "identifier",
                "name",
                "birthdate",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_total",
                "_format",
            ]),
        ),
        ("/fhir/Patient", "post") => ("Register a person (If-None-Exist for a conditional create)", None),
        ("/fhir/Patient/{id}", "get") => ("Read a person's details", Format),
        ("/fhir/Patient/{id}", "put") => ("Change a person's details (If-Match required)", None),
        ("/fhir/Patient/{id}", "delete") => ("Not allowed: records are closed, never deleted", None),
        ("/fhir/Patient/{id}/_history/{version}", _) => ("Read one version of a person's details", None),
        ("/fhir/$export" | "/fhir/Patient/$export", _) => (
            "Start a bulk export (NDJSON) of what you may read; poll the Content-Location it answers with",
            Fixed(&["_type", "_outputFormat"]),
        ),
        ("/fhir/$export-status/{id}", "get") => ("Poll a bulk export: 202 while it runs, then its manifest", None),
        ("/fhir/$export-status/{id}", "delete") => ("Delete a bulk export and its files, or cancel it", None),
        ("/fhir/$export-file/{id}/{type}/{part}", _) => ("One NDJSON file of a finished bulk export", None),
        ("/fhir/AuditEvent", _) => {
            ("Who has looked at a person's record (patient is required)", Search(&audit_event::SEARCH))
        }
        ("/fhir/CarePlan", "post") => {
            ("Start the next draft of a person's plan from the plan in force, with one part as sent", None)
        }
        ("/fhir/CarePlan/{id}", "put") => ("Change one part of the plan's draft (If-Match: its version)", None),
        ("/fhir/CarePlan/{id}", "delete") => {
            ("Clear the management or escalation part of the plan's draft (If-Match: its version)", None)
        }
        ("/fhir/CarePlan", _) => (
            "Search plan versions (each in three parts: care-and-support, management, escalation)",
            Search(&careplan::CAREPLAN_SEARCH),
        ),
        ("/fhir/CarePlan/{id}", _) => ("Read one part of one version of a person's plan", Format),
        ("/fhir/CarePlan/{id}/_history", _) => {
            ("Every state a plan part has been in: its draft's edits, agreement, coming into force, replacement", None)
        }
        ("/fhir/CarePlan/{id}/_history/{version}", _) => ("Read a plan part at its version", None),
        ("/fhir/Goal", "post") => ("Add a goal to a person's plan (in its draft)", None),
        ("/fhir/Goal/{id}", "put") => ("Change a goal in the plan's draft (If-Match: the revision read)", None),
        ("/fhir/Goal", _) => (
            "Search the goals of people's plans, as the latest plan version states them",
            Search(&careplan::GOAL_SEARCH),
        ),
        ("/fhir/Goal/{id}", _) => ("Read a goal", Format),
        ("/fhir/Goal/{id}/_history", _) => ("Each revision of a goal, newest first", None),
        ("/fhir/Goal/{id}/_history/{version}", _) => ("A goal at one revision", None),
        ("/fhir/CareTeam", _) => ("Search circles of support", Search(&careteam::SEARCH)),
        ("/fhir/CareTeam/{id}", _) => ("Read a person's circle of support (its id is the person's)", Format),
        ("/fhir/Condition", "get") => ("Search problem areas", Search(&condition::SEARCH)),
        ("/fhir/Condition", "post") => ("Add a problem area to a person's problem toolkits", None),
        ("/fhir/Condition/{id}", "put") => ("Change a problem area (If-Match required)", None),
        ("/fhir/Condition/{id}", "delete") => ("Take a problem area off the record (If-Match optional)", None),
        ("/fhir/Condition/{id}", _) => ("Read a problem area", Format),
        ("/fhir/Condition/{id}/_history", _) => ("Every version of a problem area, its removal included", None),
        ("/fhir/Condition/{id}/_history/{version}", _) => ("A problem area at one version", None),
        ("/fhir/Consent", "get") => ("Search consents to share", Search(&consent::SEARCH)),
        ("/fhir/Consent", "post") => ("Record a consent to share", None),
        ("/fhir/Consent/{id}", "put") => {
            ("Withdraw a consent: status inactive, the reason in the withdrawn extension (If-Match required)", None)
        }
        ("/fhir/Consent/{id}", _) => ("Read a consent to share", Format),
        ("/fhir/Encounter", "post") => {
            ("Schedule a review: when, where, who chairs it and who is invited (the person always is)", None)
        }
        ("/fhir/Encounter", _) => ("Search reviews of people's cases", Search(&review::ENCOUNTER_SEARCH)),
        ("/fhir/Encounter/{id}", _) => ("Read a review, with its attendees", Format),
        ("/fhir/Composition", _) => ("Search the minutes of reviews", Search(&minutes::SEARCH)),
        ("/fhir/Composition/{id}", "put") => {
            ("Write a review's minutes until it is signed off (If-Match required; the id is the review's)", None)
        }
        ("/fhir/Composition/{id}", _) => ("Read the minutes of a review (its id is the review's)", Format),
        ("/fhir/Observation", "get") => {
            ("Search review votes (one per attendee per theme per review)", Search(&review::OBSERVATION_SEARCH))
        }
        ("/fhir/Observation", "post") => ("Record one attendee's vote on one theme in a review", None),
        ("/fhir/Observation/{id}", _) => ("Read one vote", Format),
        ("/fhir/Questionnaire", _) => ("The prompt sheet's questions", None),
        ("/fhir/Questionnaire/{id}", _) => ("The prompt sheet's questions (id prompt-sheet)", None),
        ("/fhir/QuestionnaireResponse", "post") => {
            ("Fill in the prompt sheet of a review (encounter) that has none yet", None)
        }
        ("/fhir/QuestionnaireResponse/{id}", "put") => {
            ("Change a review's prompt sheet until it is signed off (If-Match required)", None)
        }
        ("/fhir/QuestionnaireResponse", _) => {
            ("Search prompt sheets filled in before reviews", Search(&prompt_sheet::RESPONSE_SEARCH))
        }
        ("/fhir/QuestionnaireResponse/{id}", _) => {
            ("Read the prompt sheet of a review (its id is the review's)", Format)
        }
        ("/fhir/Provenance", _) => ("Who changed a person's records, and when", Search(&provenance::SEARCH)),
        ("/fhir/Provenance/{id}", _) => ("One change to a person's record: what, when and by whom", Format),
        ("/fhir/RelatedPerson", "get") => {
            ("Search the members of circles of support", Search(&directory::RELATED_SEARCH))
        }
        ("/fhir/RelatedPerson", "post") => ("Add someone to a person's circle of support", None),
        ("/fhir/RelatedPerson/{id}", "put") => ("Change what the circle says of someone (If-Match required)", None),
        ("/fhir/RelatedPerson/{id}", "delete") => ("Take someone off the circle (If-Match optional)", None),
        ("/fhir/RelatedPerson/{id}", _) => ("Read someone in a person's circle of support", Format),
        ("/fhir/RelatedPerson/{id}/_history", _) => {
            ("Every version of what the circle says of someone, their removal included", None)
        }
        ("/fhir/RelatedPerson/{id}/_history/{version}", _) => ("Someone in the circle at one version", None),
        ("/fhir/Practitioner/{id}", _) => ("Read a member of staff of your organisation", Format),
        ("/fhir/PractitionerRole/{id}", _) => ("Read a member of staff's role and team", Format),
        ("/fhir/Organization/{id}", _) => ("Read your organisation or one of its teams", Format),
        ("/fhir/Task", "get") => ("Search tasks", Search(&task::SEARCH)),
        ("/fhir/Task", "post") => ("Add a task to a person's case", None),
        ("/fhir/Task/{id}", "put") => ("Change a task (If-Match required)", None),
        ("/fhir/Task/{id}", _) => ("Read a task", Format),
        ("/fhir/Task/{id}/_history" | "/fhir/QuestionnaireResponse/{id}/_history", _) => {
            ("Every version kept, newest first (those replaced before versions were kept are not)", None)
        }
        ("/fhir/Consent/{id}/_history", _) => ("Both versions of a consent: as recorded, and withdrawn", None),
        (
            "/fhir/Task/{id}/_history/{version}"
            | "/fhir/Consent/{id}/_history/{version}"
            | "/fhir/QuestionnaireResponse/{id}/_history/{version}",
            _,
        ) => ("The resource at one version", None),
        (
            "/fhir/Encounter/{id}/_history/{version}"
            | "/fhir/Observation/{id}/_history/{version}"
            | "/fhir/Composition/{id}/_history/{version}",
            _,
        ) => ("The resource at its current version (earlier versions of it are not kept)", None),
        ("/fhir/CodeSystem", _) => ("Carethread's code systems", Fixed(&["url", "_format"])),
        ("/fhir/CodeSystem/{id}", _) => ("One code system", None),
        ("/fhir/ValueSet", _) => ("Carethread's value sets", Fixed(&["url", "_format"])),
        ("/fhir/ValueSet/{id}", _) => ("One value set", None),
        _ => ("", None),
    }
}

impl Query {
    fn names(&self) -> Vec<&'static str> {
        match self {
            Query::None => Vec::new(),
            Query::Format => vec!["_format"],
            Query::Fixed(names) => names.to_vec(),
            Query::Search(params) => params.names(),
        }
    }
}

/// Read without signing in: they hold no personal data.
fn public(path: &str) -> bool {
    path == "/fhir/metadata"
        || path.starts_with("/fhir/CodeSystem")
        || path.starts_with("/fhir/ValueSet")
        || path.starts_with("/fhir/Questionnaire/")
        || path == "/fhir/Questionnaire"
}

fn fhir_content() -> Value {
    json!({ "application/fhir+json": { "schema": { "type": "object", "required": ["resourceType"] } } })
}

pub fn document(routes: &[Route], version: &str) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for route in routes.iter().filter(|r| (r.path == "/fhir" || r.path.starts_with("/fhir/")) && !r.path.contains('*'))
    {
        let (summary, query) = describe(route.path, route.method);
        let mut parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        parameters.extend(
            query.names().iter().map(|name| json!({ "name": name, "in": "query", "schema": { "type": "string" } })),
        );
        if route.method == "put" {
            parameters.push(json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The ETag read, such as W/\"3\"" }));
        }
        if route.method == "delete" {
            parameters.push(json!({ "name": "If-Match", "in": "header", "schema": { "type": "string" }, "description": "Delete only from this version, such as W/\"3\"" }));
        }
        if route.method == "post" {
            parameters.push(json!({ "name": "If-None-Exist", "in": "header", "schema": { "type": "string" } }));
        }
        let mut responses = Map::new();
        match route.method {
            "post" if route.path != "/fhir" => {
                responses.insert("201".into(), json!({ "description": "Created", "content": fhir_content() }))
            }
            "delete" => responses.insert("204".into(), json!({ "description": "Deleted" })),
            _ => responses
                .insert("200".into(), json!({ "description": "The resource or bundle", "content": fhir_content() })),
        };
        for (status, what) in [
            ("400", "Bad request: an OperationOutcome naming the element"),
            ("404", "Not found, or not yours to see"),
            ("422", "Well-formed but breaking a rule"),
        ] {
            responses.insert(status.into(), json!({ "description": what, "content": fhir_content() }));
        }
        if !public(route.path) {
            responses.insert("401".into(), json!({ "description": "No or bad token", "content": fhir_content() }));
            responses.insert(
                "403".into(),
                json!({ "description": "Refused by the access policy", "content": fhir_content() }),
            );
        }
        if matches!(route.method, "put" | "delete") {
            responses.insert(
                "412".into(),
                json!({ "description": "Changed by someone else since", "content": fhir_content() }),
            );
            if route.method == "put" {
                responses.insert("428".into(), json!({ "description": "If-Match missing", "content": fhir_content() }));
            }
        }
        if route.method == "delete" {
            responses.insert("405".into(), json!({ "description": "Not allowed", "content": fhir_content() }));
        }
        let mut operation = json!({
            "summary": summary,
            "operationId": format!("{}{}", route.method, route.path.replace(['/', '{', '}', '_', '$'], "-")),
            "parameters": parameters,
            "responses": responses,
        });
        if matches!(route.method, "post" | "put") {
            operation["requestBody"] = json!({ "required": true, "content": fhir_content() });
        }
        if public(route.path) {
            operation["security"] = json!([]);
        }
        let entry = paths.entry(route.path.to_string()).or_insert_with(|| json!({}));
        entry[route.method] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Carethread API",
            "version": version,
            "description": "HL7 FHIR R4 (JSON). Authenticate with Authorization: Bearer <token> from `carethread token create`."
        },
        "servers": [{ "url": "/" }],
        "components": { "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } },
        "security": [{ "bearer": [] }],
        "paths": paths,
    })
}
