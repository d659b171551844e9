//! Condition: the problem areas of a person's problem toolkits, read and searched. They are the
//! "problem toolkits" theme of the record, which a person may share on its own.

use super::gate::Gate;
use super::{Caller, FhirError, admitted, pairs, parse_id, parse_search, resource_response, search_answer};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::Action;
use carethread_domain::themes::Theme;
use carethread_fhir::condition::{self as fhir_condition, SEARCH, StoredProblem};
use carethread_store::themes::{self, ProblemRecord};
use serde_json::Value;

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
    let person = themes::person_of_problem(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Condition"))?;
    Gate::new(&state, &caller).admit(person, ACTION, "Condition").await?;
    let p = themes::problems(&state.db, &caller.audit(), person)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or_else(|| FhirError::not_found("Condition"))?;
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
