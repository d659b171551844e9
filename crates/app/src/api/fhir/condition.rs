//! Condition: the problem areas of a person's problem toolkits, read and searched. They are the
//! "problem toolkits" theme of the record, which a person may share on its own.

use super::gate::Gate;
use super::history::{self, Historic};
use super::{
    Caller, FhirError, SameRecord, admitted, created, gone, if_match, no_content, optional_if_match, pairs, parse_id,
    parse_search, require_json, resource_response, search_answer, stale,
};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::Action;
use carethread_domain::problems::ProblemDetails;
use carethread_domain::themes::Theme;
use carethread_fhir::condition::{self as fhir_condition, ConditionForm, SEARCH, StoredProblem};
use carethread_store::themes::{self, ProblemRecord};
use serde_json::Value;
use uuid::Uuid;

pub(super) const ACTION: Action = Action::ReadSection(Section::Theme(Theme::ProblemToolkits));

pub(super) fn as_fhir(person: PersonId, p: &ProblemRecord) -> Value {
    fhir_condition::to_fhir(&StoredProblem {
        id: p.id,
        person_id: person.as_uuid(),
        details: &p.details,
        version: p.version,
        updated_at: p.updated_at,
    })
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Condition")?;
    let whose = themes::person_of_problem(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Condition"))?;
    let person = whose.person;
    Gate::new(&state, &caller).admit(person, ACTION, "Condition").await?;
    if whose.removed {
        return Err(gone("Condition"));
    }
    let p = read_back(&state, &caller, person, id).await?;
    Ok(resource_response(StatusCode::OK, &as_fhir(person, &p), Some(p.version)))
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&SEARCH, &query, &headers)?;
    let mut found = Vec::new();
    for person in admitted(&state, &caller, &s, ACTION).await? {
        found.extend(themes::problems(&state.db, &caller.audit(), person).await?.iter().map(|p| as_fhir(person, p)));
    }
    Ok(search_answer(&state, &headers, "Condition", query, &s, found))
}

/// The Condition in the body, checked by the problem-area form's rules.
fn read_body(body: &[u8]) -> Result<(ConditionForm, ProblemDetails), FhirError> {
    let form = carethread_fhir::parse::json(body).and_then(fhir_condition::from_fhir).map_err(FhirError::invalid)?;
    let details = form.input.parse().map_err(|e| FhirError::invalid(fhir_condition::form_errors(&e)))?;
    Ok((form, details))
}

/// One problem area of the record (an audited read).
async fn read_back(state: &AppState, caller: &Caller, person: PersonId, id: Uuid) -> Result<ProblemRecord, FhirError> {
    themes::problems(&state.db, &caller.audit(), person)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| FhirError::not_found("Condition"))
}

/// Adds a problem area to the record the Condition's subject names.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let (form, details) = read_body(&body)?;
    let person = Gate::new(&state, &caller).writable(form.person, "Condition.subject", Action::EditPerson).await?;
    let id = themes::add_problem(&state.db, &caller.audit(), person, &details).await?;
    let p = read_back(&state, &caller, person, id).await?;
    Ok(created(&state, &headers, &as_fhir(person, &p), "Condition", id, p.version))
}

/// Changes a problem area, only from the version the client read (If-Match).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Condition")?;
    let whose = themes::person_of_problem(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Condition"))?;
    let person = whose.person;
    Gate::new(&state, &caller).admit(person, Action::EditPerson, "Condition").await?;
    if whose.removed {
        return Err(gone("Condition"));
    }
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let (form, details) = read_body(&body)?;
    SameRecord { raw: &raw, person, subject: "Condition.subject" }
        .check(form.id.as_deref(), form.person.map(|r| r.id))?;
    match themes::change_problem(&state.db, &caller.audit(), person, id, base, Some(&details)).await? {
        Ok(_) => {
            let p = read_back(&state, &caller, person, id).await?;
            Ok(resource_response(StatusCode::OK, &as_fhir(person, &p), Some(p.version)))
        }
        Err((_, current)) => Err(stale("Condition", base, current)),
    }
}

/// Takes a problem area off the record (its history stays). With If-Match, only from that
/// version.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Condition")?;
    let whose = themes::person_of_problem(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Condition"))?;
    let person = whose.person;
    Gate::new(&state, &caller).admit(person, Action::EditPerson, "Condition").await?;
    if whose.removed {
        return Err(gone("Condition"));
    }
    let base = match optional_if_match(&headers)? {
        Some(v) => v,
        None => read_back(&state, &caller, person, id).await?.version,
    };
    match themes::change_problem(&state.db, &caller.audit(), person, id, base, None).await? {
        Ok(_) => Ok(no_content()),
        Err((_, current)) => Err(stale("Condition", base, current)),
    }
}

/// Every version of a problem area, newest first, its removal included: its history stays
/// readable after it is taken off the record.
pub struct Versions;

impl history::Kept for Versions {
    const KIND: &'static str = "Condition";

    async fn versions(state: &AppState, caller: &Caller, raw: &str) -> Result<Vec<Historic>, FhirError> {
        let id = parse_id(raw, "Condition")?;
        let whose = themes::person_of_problem(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Condition"))?;
        let person = whose.person;
        Gate::new(state, caller).admit(person, ACTION, "Condition").await?;
        let versions = themes::problem_versions(&state.db, &caller.audit(), person, id).await?;
        Ok(history::of(versions, |details, version, updated_at| {
            fhir_condition::to_fhir(&StoredProblem { id, person_id: person.as_uuid(), details, version, updated_at })
        }))
    }
}
