//! Bulk data export (FHIR Bulk Data Access, `$export`): a kick-off answered 202 with the address
//! to poll, a background job that writes one NDJSON file set per resource type, the manifest
//! when it is done, and the files. Everything in it is what the caller may read, each record
//! passing the same policy as a read, and each person's exported record is audited.
//!
//! `GET /fhir/$export` and `GET /fhir/Patient/$export` export the same: every resource here
//! belongs to one person's record. The answer is always asynchronous, whether or not the client
//! sends `Prefer: respond-async`.

use super::gate::Gate;
use super::{
    Caller, FhirError, base_url, careplan, careteam, condition, consent, minutes, pairs, patient, prompt_sheet,
    provenance, related_person, review, task,
};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use carethread_domain::PersonId;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::{Action, Decision, decide};
use carethread_fhir::outcome::IssueCode;
use carethread_store::exports::{self, JobStatus};
use carethread_store::tasks;
use carethread_store::{access, people, plans, reviews, themes};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

/// What an export holds, in the order the files are listed.
pub const TYPES: [&str; 13] = [
    "Patient",
    "RelatedPerson",
    "CareTeam",
    "CarePlan",
    "Goal",
    "Condition",
    "Consent",
    "Task",
    "Encounter",
    "Observation",
    "Composition",
    "QuestionnaireResponse",
    "Provenance",
];

/// Lines per stored part: a file a client downloads, and the most held in memory per type.
const PART_LINES: usize = 5_000;

/// Bytes at which a part is stored even with fewer lines: plans and minutes run to kilobytes a
/// line, and thirteen types' parts are held in memory at once while an export runs.
const PART_BYTES: usize = 2 * 1024 * 1024;

/// People whose records are read in one read-only scope: long enough to spare most per-read
/// waits for the audit writer, short enough that SQLite's log can be checkpointed between.
const PEOPLE_PER_SCOPE: usize = 100;

/// Groups of people read at once, each in a task and a read connection of its own: one group
/// alone waited on its queries in turn and kept less than one core busy (measured with perf).
const GROUPS_AT_ONCE: usize = 3;

const NDJSON: &str = "application/fhir+ndjson";

fn bad_request(element: &str, message: impl Into<String>) -> FhirError {
    FhirError {
        status: StatusCode::BAD_REQUEST,
        outcome: carethread_fhir::outcome::OperationOutcome::at(IssueCode::Invalid, element, message),
    }
}

/// The resource types asked for: `_type`, or all of them.
fn requested_types(query: &[(String, String)]) -> Result<Vec<&'static str>, FhirError> {
    let mut types: Vec<&'static str> = Vec::new();
    for (name, value) in query {
        match name.as_str() {
            "_type" => {
                for t in value.split(',').map(str::trim) {
                    let known = TYPES.iter().find(|k| **k == t).ok_or_else(|| {
                        bad_request("_type", format!("{t:?} cannot be exported. Choose from: {}.", TYPES.join(", ")))
                    })?;
                    if !types.contains(known) {
                        types.push(known);
                    }
                }
            }
            "_outputFormat" => {
                if !matches!(value.as_str(), "application/fhir+ndjson" | "application/ndjson" | "ndjson") {
                    return Err(bad_request("_outputFormat", "Exports are written as NDJSON only."));
                }
            }
            other => {
                return Err(FhirError {
                    status: StatusCode::BAD_REQUEST,
                    outcome: carethread_fhir::outcome::OperationOutcome::at(
                        IssueCode::NotSupported,
                        other,
                        format!("$export takes _type and _outputFormat, not {other}."),
                    ),
                });
            }
        }
    }
    Ok(if types.is_empty() { TYPES.to_vec() } else { TYPES.iter().copied().filter(|t| types.contains(t)).collect() })
}

pub async fn kick_off(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    if let Decision::Deny(reason) = decide(&caller.principal, Action::BulkExport, None) {
        return Err(FhirError::new(StatusCode::FORBIDDEN, IssueCode::Forbidden, reason));
    }
    let query = pairs(raw.as_deref())?;
    let types = requested_types(&query)?;
    let base = base_url(&state, &headers);
    let request = match raw.as_deref() {
        Some(q) if !q.is_empty() => format!("{base}/$export?{q}"),
        _ => format!("{base}/$export"),
    };
    let job =
        exports::start(&state.db, &caller.audit(), caller.principal.org_id, caller.principal.user_id, &request).await?;
    let (job_state, job_caller) = (state.clone(), caller.clone());
    tokio::spawn(async move {
        let outcome = write_export(&job_state, &job_caller, job, &types).await;
        let error = outcome.err().map(|e| {
            tracing::error!(job = %job, "bulk export failed");
            e.outcome.issue.first().map(|i| i.diagnostics.clone()).unwrap_or_else(|| "The export failed.".into())
        });
        if let Err(e) = exports::finish(&job_state.db, job, error.as_deref()).await {
            tracing::error!(job = %job, error = %e, "could not record the end of a bulk export");
        }
    });
    let mut response = StatusCode::ACCEPTED.into_response();
    if let Ok(location) = HeaderValue::from_str(&format!("{base}/$export-status/{job}")) {
        response.headers_mut().insert(header::CONTENT_LOCATION, location);
    }
    Ok(response)
}

/// Writes every resource of the requested types that the caller may read, person by person,
/// [`GROUPS_AT_ONCE`] groups of people at a time, storing the files in the order of the people.
async fn write_export(state: &AppState, caller: &Caller, job: Uuid, types: &[&'static str]) -> Result<(), FhirError> {
    // Per type: the NDJSON not yet stored, its line count, and the next part's number.
    let mut pending: BTreeMap<&str, (String, usize, i32)> = BTreeMap::new();
    let people = access::people_within_reach(&state.db, &caller.principal).await?;
    for groups in people.chunks(PEOPLE_PER_SCOPE * GROUPS_AT_ONCE) {
        let reading: Vec<_> = groups
            .chunks(PEOPLE_PER_SCOPE)
            .map(|group| {
                let (state, caller, group, types) = (state.clone(), caller.clone(), group.to_vec(), types.to_vec());
                tokio::spawn(async move { read_group(&state, &caller, &group, &types).await })
            })
            .collect();
        // Every group ends (its reads on record) before any is stored, or the first error stops
        // the export. The parts are stored while no group is reading: SQLite's log can only
        // start again from its beginning when no read began before its end, and otherwise it
        // grew by every part stored (to 432 MB in an export of 12,500 people, measured).
        let mut found = Vec::new();
        let mut failed = None;
        for group in reading {
            match joined(group.await) {
                Ok(resources) => found.extend(resources),
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        for (kind, resource) in found {
            let (text, lines, part) = pending.entry(kind).or_insert_with(|| (String::new(), 0, 1));
            text.push_str(&resource);
            text.push('\n');
            *lines += 1;
            if *lines >= PART_LINES || text.len() >= PART_BYTES {
                exports::add_part(&state.db, job, kind, *part, *lines as i64, text).await?;
                // Not `clear`, which would keep the grown buffer for the rest of the export.
                *text = String::new();
                *lines = 0;
                *part += 1;
            }
        }
    }
    for (kind, (text, lines, part)) in pending {
        if lines > 0 {
            exports::add_part(&state.db, job, kind, part, lines as i64, &text).await?;
        }
    }
    Ok(())
}

/// A group's resources, or why it could not be read (a panic in its task included).
fn joined<T>(outcome: Result<Result<T, FhirError>, tokio::task::JoinError>) -> Result<T, FhirError> {
    outcome.unwrap_or_else(|e| Err(anyhow::anyhow!("an export's reading task ended early: {e}").into()))
}

/// Every resource of these people's records, of the given types, that the caller may read, as
/// (type, NDJSON line) in the order of the people: read in one read-only scope (see
/// `Db::read_scope`), whose reads' audit entries are written when it ends.
async fn read_group(
    state: &AppState,
    caller: &Caller,
    group: &[PersonId],
    types: &[&str],
) -> Result<Vec<(&'static str, String)>, FhirError> {
    let scope = state.db.read_scope().await?;
    let reading = AppState { db: scope.db.clone(), ..state.clone() };
    let read = async {
        let mut gate = Gate::new(&reading, caller);
        gate.prefetch(group.iter().copied()).await?;
        let mut found = Vec::new();
        for person in group {
            let resources = resources_of(&reading, caller, &mut gate, *person, types).await?;
            // Kept as text, a tenth of the memory of the parsed resource.
            found.extend(resources.into_iter().map(|r| {
                let kind = TYPES.iter().find(|t| r["resourceType"] == **t).copied().unwrap_or("Unknown");
                (kind, r.to_string())
            }));
        }
        Ok(found)
    }
    .await;
    // Ended either way, so the reads made before a failure are on record too.
    scope.commit().await?;
    read
}

/// Every resource of one person's record, of the given types, that the caller may read.
async fn resources_of(
    state: &AppState,
    caller: &Caller,
    gate: &mut Gate<'_>,
    person: PersonId,
    types: &[&str],
) -> Result<Vec<Value>, FhirError> {
    let wants = |t: &str| types.contains(&t);
    let audit = caller.audit();
    let mut out = Vec::new();
    let whole = gate.allows(person, Action::ReadPerson).await?;
    let circle = gate.allows(person, related_person::CIRCLE).await?;
    let (with_patient, with_team, with_related) =
        (wants("Patient") && whole, wants("CareTeam") && circle, wants("RelatedPerson") && circle);
    // The record and the circle are read once, for the Patient, the RelatedPersons and the CareTeam.
    let record = if with_patient || with_team {
        Some(people::read(&state.db, &audit, person, "exported through FHIR").await?)
    } else {
        None
    };
    let members =
        if with_related || with_team { themes::members(&state.db, &audit, person).await? } else { Vec::new() };
    if let (true, Some(record)) = (with_patient, &record) {
        out.push(serde_json::to_value(patient::as_fhir(record)).unwrap_or_default());
    }
    if with_related {
        out.extend(members.iter().map(|m| related_person::related(person, m)));
    }
    if let (true, Some(record)) = (with_team, &record) {
        out.push(careteam::circle_of(state, record, &members).await?.0);
    }
    let mut plan_readable = false;
    for action in careplan::PLAN_SECTIONS {
        plan_readable |= gate.allows(person, action).await?;
    }
    // The plan's versions are read once, for the CarePlans and the Goals.
    if (wants("CarePlan") || wants("Goal")) && plan_readable {
        let versions = careplan::visible_versions(state, caller, gate, person).await?;
        if wants("CarePlan") {
            out.extend(careplan::care_plans_of(gate, person, &versions).await?.into_iter().map(|(_, r)| r));
        }
        if wants("Goal") && gate.allows(person, Action::ReadSection(Section::Goals)).await? {
            out.extend(
                careplan::goals_of(person, &versions)
                    .into_iter()
                    .filter_map(|(_, v)| v.into_iter().next().map(|v| v.resource)),
            );
        }
    }
    if wants("Condition") && gate.allows(person, condition::ACTION).await? {
        for p in themes::problems(&state.db, &audit, person).await? {
            out.push(condition::as_fhir(person, &p));
        }
    }
    if wants("Consent") && whole {
        for c in plans::consents(&state.db, &audit, person).await? {
            out.push(consent::as_fhir(person, &c));
        }
    }
    if wants("Task") && whole {
        out.extend(tasks::for_person(&state.db, &audit, person).await?.iter().map(task::as_fhir));
    }
    let of_reviews = ["Encounter", "Observation", "Composition", "QuestionnaireResponse"];
    if of_reviews.into_iter().any(wants) && whole {
        for r in reviews::reviews_in_full(&state.db, &audit, person).await? {
            let stored = review::stored(&r, person, caller);
            if wants("Encounter") {
                out.push(carethread_fhir::review::to_encounter(&stored));
            }
            if wants("Observation") {
                out.extend(review::observations(&r, &stored));
            }
            if wants("Composition") {
                out.push(minutes::as_fhir(person, &r));
            }
            if wants("QuestionnaireResponse") {
                out.extend(prompt_sheet::as_fhir(person, &r));
            }
        }
    }
    if wants("Provenance") && whole {
        for r in carethread_store::provenance::of_person(&state.db, &audit, person).await? {
            out.push(provenance::as_fhir(person, &r));
        }
    }
    Ok(out)
}

fn not_found() -> FhirError {
    FhirError::new(StatusCode::NOT_FOUND, IssueCode::NotFound, "No export with that id is yours.")
}

/// Polling: 202 while it runs, the manifest when it is done, the reason if it failed.
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id: Uuid = raw.parse().map_err(|_| not_found())?;
    let job = exports::job(&state.db, caller.principal.user_id, id).await?.ok_or_else(not_found)?;
    match job.status {
        JobStatus::Running => {
            let mut r = StatusCode::ACCEPTED.into_response();
            r.headers_mut().insert("x-progress", HeaderValue::from_static("in progress"));
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            Ok(r)
        }
        JobStatus::Failed => Err(FhirError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            IssueCode::Exception,
            job.error.unwrap_or_else(|| "The export failed.".into()),
        )),
        JobStatus::Complete => {
            let base = base_url(&state, &headers);
            let output: Vec<Value> = job
                .parts
                .iter()
                .map(|p| {
                    json!({
                        "type": p.resource_type,
                        "url": format!("{base}/$export-file/{}/{}/{}", job.id, p.resource_type, p.part),
                        "count": p.lines,
                    })
                })
                .collect();
            let manifest = json!({
                "transactionTime": carethread_fhir::instant(job.created_at),
                "request": job.request,
                "requiresAccessToken": true,
                "output": output,
                "error": [],
            });
            let mut r = (StatusCode::OK, manifest.to_string()).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok(r)
        }
    }
}

/// The client is done with the files, or cancels the export.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id: Uuid = raw.parse().map_err(|_| not_found())?;
    if exports::delete(&state.db, caller.principal.user_id, id).await? {
        Ok(StatusCode::ACCEPTED.into_response())
    } else {
        Err(not_found())
    }
}

/// One NDJSON file of a finished export.
pub async fn file(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, kind, part)): Path<(String, String, String)>,
) -> Result<Response, FhirError> {
    let id: Uuid = raw.parse().map_err(|_| not_found())?;
    let part: i32 = part.parse().map_err(|_| not_found())?;
    let content = exports::part(&state.db, caller.principal.user_id, id, &kind, part).await?.ok_or_else(not_found)?;
    let mut r = (StatusCode::OK, content).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    Ok(r)
}
