//! Questionnaire (the prompt sheet, public: it holds no one's answers) and QuestionnaireResponse
//! (one review's prompt sheet, read and searched by those who may read the record).

use super::gate::Gate;
use super::review::person_reviews;
use super::{
    Caller, FhirError, base_url, pairs, parse_id, parse_search, resource_response, search_answer, searchset_response,
};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::policy::Action;
use carethread_fhir::prompt_sheet::{self as sheet, RESPONSE_SEARCH, StoredSheet};
use carethread_store::reviews::{self, ReviewRecord};
use serde_json::Value;

pub async fn read_questionnaire(Path(raw): Path<String>) -> Result<Response, FhirError> {
    if raw != sheet::ID {
        return Err(FhirError::not_found("Questionnaire"));
    }
    Ok(resource_response(StatusCode::OK, &sheet::questionnaire(), Some(1)))
}

pub async fn search_questionnaires(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let page = carethread_fhir::search::Page::default();
    let base = base_url(&state, &headers);
    searchset_response(&base, "Questionnaire", Vec::new(), &page, 1, vec![sheet::questionnaire()], Vec::new())
}

fn as_fhir(person: PersonId, r: &ReviewRecord) -> Option<Value> {
    let (s, by, at) = r.prompt_sheet.as_ref()?;
    Some(sheet::response(&StoredSheet {
        review_id: r.id,
        person_id: person.as_uuid(),
        sheet: s,
        saved_by: by.as_deref(),
        saved_at: *at,
    }))
}

pub async fn read_response(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "QuestionnaireResponse")?;
    let person =
        reviews::person_of(&state.db, id).await?.ok_or_else(|| FhirError::not_found("QuestionnaireResponse"))?;
    Gate::new(&state, &caller).admit(person, Action::ReadPerson, "QuestionnaireResponse").await?;
    let r = reviews::review(&state.db, &caller.audit(), person, id).await?;
    let response = as_fhir(person, &r).ok_or_else(|| FhirError::not_found("QuestionnaireResponse"))?;
    Ok(resource_response(StatusCode::OK, &response, Some(1)))
}

pub async fn search_responses(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&RESPONSE_SEARCH, &query, &headers)?;
    let mut gate = Gate::new(&state, &caller);
    let found = person_reviews(&state, &caller, &mut gate, &s)
        .await?
        .iter()
        .filter_map(|(person, r)| as_fhir(*person, r))
        .collect();
    Ok(search_answer(&state, &headers, "QuestionnaireResponse", query, &s, found))
}
