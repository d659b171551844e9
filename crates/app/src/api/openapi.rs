//! `GET /api/openapi.json`: an OpenAPI 3.1 description of the machine interfaces, built from the
//! same route table as the router, so every API route is described and none is invented.

use crate::web::routes::Route;
use serde_json::{Map, Value, json};

/// What one path's operations are, in words, and which query parameters its search takes.
fn describe(path: &str, method: &str) -> (&'static str, &'static [&'static str]) {
    match (path, method) {
        ("/fhir/metadata", _) => ("The CapabilityStatement: what this server supports", &[]),
        ("/fhir", _) => ("A batch Bundle: each entry a request of its own, answered in order", &[]),
        ("/fhir/Patient", "get") => (
            "Search people you have a working relationship with",
            &[
                "_id",
                "identifier",
                "name",
                "birthdate",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/Patient", "post") => ("Register a person (If-None-Exist for a conditional create)", &[]),
        ("/fhir/Patient/{id}", "get") => ("Read a person's details", &["_format"]),
        ("/fhir/Patient/{id}", "put") => ("Change a person's details (If-Match required)", &[]),
        ("/fhir/Patient/{id}", "delete") => ("Not allowed: records are closed, never deleted", &[]),
        ("/fhir/Patient/{id}/_history/{version}", _) => ("Read one version of a person's details", &[]),
        ("/fhir/AuditEvent", _) => (
            "Who has looked at a person's record (patient is required)",
            &["_id", "patient", "subject", "_lastUpdated", "_count", "_offset", "_sort", "_summary", "_format"],
        ),
        ("/fhir/CarePlan", _) => (
            "Search plan versions (each in three parts: care-and-support, management, escalation)",
            &[
                "_id",
                "patient",
                "subject",
                "status",
                "category",
                "_include",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/CarePlan/{id}", _) => ("Read one part of one version of a person's plan", &["_format"]),
        ("/fhir/CarePlan/{id}/_history/{version}", _) => ("Read a plan part at its version", &[]),
        ("/fhir/Goal", _) => (
            "Search the goals of people's plans, as the latest plan version states them",
            &[
                "_id",
                "patient",
                "subject",
                "status",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/Goal/{id}", _) => ("Read a goal", &["_format"]),
        ("/fhir/Goal/{id}/_history", _) => ("A goal as each version of the plan stated it", &[]),
        ("/fhir/Goal/{id}/_history/{version}", _) => ("A goal as one plan version stated it", &[]),
        ("/fhir/CareTeam", _) => (
            "Search circles of support",
            &[
                "_id",
                "patient",
                "subject",
                "status",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/CareTeam/{id}", _) => ("Read a person's circle of support (its id is the person's)", &["_format"]),
        ("/fhir/Task", "get") => (
            "Search tasks",
            &[
                "_id",
                "patient",
                "subject",
                "owner",
                "status",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/Task", "post") => ("Add a task to a person's case", &[]),
        ("/fhir/Task/{id}", "put") => ("Change a task (If-Match required)", &[]),
        ("/fhir/Task/{id}", _) => ("Read a task", &["_format"]),
        ("/fhir/$export" | "/fhir/Patient/$export", _) => (
            "Start a bulk export (NDJSON) of what you may read; poll the Content-Location it answers with",
            &["_type", "_outputFormat"],
        ),
        ("/fhir/$export-status/{id}", "get") => ("Poll a bulk export: 202 while it runs, then its manifest", &[]),
        ("/fhir/$export-status/{id}", "delete") => ("Delete a bulk export and its files, or cancel it", &[]),
        ("/fhir/$export-file/{id}/{type}/{part}", _) => ("One NDJSON file of a finished bulk export", &[]),
        ("/fhir/Questionnaire", _) => ("The prompt sheet's questions", &[]),
        ("/fhir/Questionnaire/{id}", _) => ("The prompt sheet's questions (id prompt-sheet)", &[]),
        ("/fhir/QuestionnaireResponse", _) => (
            "Search prompt sheets filled in before reviews",
            &[
                "_id",
                "patient",
                "subject",
                "encounter",
                "status",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/QuestionnaireResponse/{id}", _) => {
            ("Read the prompt sheet of a review (its id is the review's)", &["_format"])
        }
        ("/fhir/RelatedPerson", _) => (
            "Search the members of circles of support",
            &["_id", "patient", "subject", "_lastUpdated", "_count", "_offset", "_sort", "_summary", "_format"],
        ),
        ("/fhir/RelatedPerson/{id}", _) => ("Read someone in a person's circle of support", &["_format"]),
        ("/fhir/Practitioner/{id}", _) => ("Read a member of staff of your organisation", &["_format"]),
        ("/fhir/PractitionerRole/{id}", _) => ("Read a member of staff's role and team", &["_format"]),
        ("/fhir/Organization/{id}", _) => ("Read your organisation or one of its teams", &["_format"]),
        ("/fhir/Condition", _) => (
            "Search problem areas",
            &["_id", "patient", "subject", "_lastUpdated", "_count", "_offset", "_sort", "_summary", "_format"],
        ),
        ("/fhir/Condition/{id}", _) => ("Read a problem area", &["_format"]),
        ("/fhir/Consent", _) => (
            "Search consents to share",
            &[
                "_id",
                "patient",
                "subject",
                "status",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/Consent/{id}", _) => ("Read a consent to share", &["_format"]),
        ("/fhir/Encounter", _) => (
            "Search reviews of people's cases",
            &[
                "_id",
                "patient",
                "subject",
                "status",
                "date",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/Encounter/{id}", _) => ("Read a review, with its attendees", &["_format"]),
        ("/fhir/Observation", "get") => (
            "Search review votes (one per attendee per theme per review)",
            &[
                "_id",
                "patient",
                "subject",
                "encounter",
                "code",
                "status",
                "date",
                "_lastUpdated",
                "_count",
                "_offset",
                "_sort",
                "_summary",
                "_format",
            ],
        ),
        ("/fhir/Observation", "post") => ("Record one attendee's vote on one theme in a review", &[]),
        ("/fhir/Observation/{id}", _) => ("Read one vote", &["_format"]),
        ("/fhir/CodeSystem", _) => ("Carethread's code systems", &["url", "_format"]),
        ("/fhir/CodeSystem/{id}", _) => ("One code system", &[]),
        ("/fhir/ValueSet", _) => ("Carethread's value sets", &["url", "_format"]),
        ("/fhir/ValueSet/{id}", _) => ("One value set", &[]),
        _ => ("", &[]),
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
        parameters
            .extend(query.iter().map(|name| json!({ "name": name, "in": "query", "schema": { "type": "string" } })));
        if route.method == "put" {
            parameters.push(json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The ETag read, such as W/\"3\"" }));
        }
        if route.method == "post" {
            parameters.push(json!({ "name": "If-None-Exist", "in": "header", "schema": { "type": "string" } }));
        }
        let mut responses = Map::new();
        let ok = if route.method == "post" { "201" } else { "200" };
        responses.insert(ok.into(), json!({ "description": "The resource or bundle", "content": fhir_content() }));
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
        if route.method == "put" {
            responses.insert(
                "412".into(),
                json!({ "description": "Changed by someone else since", "content": fhir_content() }),
            );
            responses.insert("428".into(), json!({ "description": "If-Match missing", "content": fhir_content() }));
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
