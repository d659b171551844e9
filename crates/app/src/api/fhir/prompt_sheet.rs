//! Questionnaire (the prompt sheet, public: it holds no one's answers) and QuestionnaireResponse
//! (one review's prompt sheet, read and searched by those who may read the record, and filled
//! in or changed by those who may take part in the review, until it is signed off).

use super::gate::Gate;
use super::history::{self, Historic};
use super::review::{person_reviews, unprocessable};
use super::{
    Caller, FhirError, SameRecord, base_url, created, if_match, pairs, parse_id, parse_search, require_json,
    resource_response, search_answer, searchset_response, stale,
};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::policy::Action;
use carethread_domain::reviews::{PromptSheet, parse_prompt_sheet};
use carethread_fhir::bundle::Total;
use carethread_fhir::outcome::IssueCode;
use carethread_fhir::prompt_sheet::{self as sheet, RESPONSE_SEARCH, SheetForm, StoredSheet};
use carethread_store::StoreError;
use carethread_store::reviews::{self, ReviewRecord, SavedSheet};
use serde_json::Value;
use uuid::Uuid;

pub async fn read_questionnaire(Path(raw): Path<String>) -> Result<Response, FhirError> {
    if raw != sheet::ID {
        return Err(FhirError::not_found("Questionnaire"));
    }
    Ok(resource_response(StatusCode::OK, &sheet::questionnaire(), Some(1)))
}

pub async fn search_questionnaires(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let page = carethread_fhir::search::Page::default();
    let base = base_url(&state, &headers);
    searchset_response(
        &base,
        "Questionnaire",
        Vec::new(),
        &page,
        Total::Exact(1),
        vec![sheet::questionnaire()],
        Vec::new(),
    )
}

pub(super) fn as_fhir(person: PersonId, r: &ReviewRecord) -> Option<Value> {
    Some(saved_as_fhir(person, r.id, r.prompt_sheet.as_ref()?))
}

fn saved_as_fhir(person: PersonId, review: Uuid, saved: &SavedSheet) -> Value {
    sheet::response(&StoredSheet {
        review_id: review,
        person_id: person.as_uuid(),
        sheet: &saved.sheet,
        saved_by: saved.saved_by.as_deref(),
        saved_at: saved.saved_at,
        version: saved.version,
    })
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
    let version = r.prompt_sheet.as_ref().map(|s| s.version);
    Ok(resource_response(StatusCode::OK, &response, version))
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

/// Saves the sheet from the version `base` the writer started from, and answers with it as
/// read now.
async fn save(
    state: &AppState,
    caller: &Caller,
    person: PersonId,
    review: Uuid,
    base: i64,
    sheet: &PromptSheet,
) -> Result<(Value, i64), FhirError> {
    let audit = caller.audit();
    match reviews::save_prompt_sheet(&state.db, &audit, person, review, base, sheet).await {
        Ok(_) => {}
        Err(StoreError::StaleVersion { current }) if base == 0 => {
            return Err(FhirError::new(
                StatusCode::CONFLICT,
                IssueCode::Conflict,
                format!(
                    "This review's prompt sheet is already filled in; nothing was written. Change it with PUT QuestionnaireResponse/{review} and If-Match: W/\"{current}\"."
                ),
            ));
        }
        Err(StoreError::StaleVersion { current }) => return Err(stale("QuestionnaireResponse", base, current)),
        Err(StoreError::Invalid(m)) => return Err(unprocessable("QuestionnaireResponse.encounter", m)),
        Err(e) => return Err(e.into()),
    }
    let r = reviews::review(&state.db, &audit, person, review).await?;
    let version = r.prompt_sheet.as_ref().map_or(0, |s| s.version);
    let response = as_fhir(person, &r).ok_or_else(|| FhirError::not_found("QuestionnaireResponse"))?;
    Ok((response, version))
}

fn parse(form: &SheetForm) -> Result<PromptSheet, FhirError> {
    parse_prompt_sheet(&form.input).map_err(|e| FhirError::invalid(sheet::sheet_errors(&e)))
}

/// Fills in the prompt sheet of the review the response's encounter names, which has none yet.
pub async fn create_response(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let form = sheet::sheet_from_fhir(&body).map_err(FhirError::invalid)?;
    let unknown = || unprocessable("QuestionnaireResponse.encounter", "No review with that id is available to you.");
    let review = form.review.as_ref().filter(|r| r.kind == "Encounter").ok_or_else(unknown)?.id;
    let person = reviews::person_of(&state.db, review).await?.ok_or_else(unknown)?;
    let mut gate = Gate::new(&state, &caller);
    if !gate.allows(person, Action::ReadPerson).await? {
        return Err(unknown());
    }
    if form.person.as_ref().map(|p| p.id) != Some(person.as_uuid()) {
        return Err(unprocessable(
            "QuestionnaireResponse.subject",
            "The subject must be the person whose review it is.",
        ));
    }
    gate.admit(person, Action::VoteInReview, "Encounter").await?;
    let sheet = parse(&form)?;
    let (response, version) = save(&state, &caller, person, review, 0, &sheet).await?;
    Ok(created(&state, &headers, &response, "QuestionnaireResponse", review, version))
}

/// Changes a review's prompt sheet, only from the version the client read (If-Match).
pub async fn update_response(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let review = parse_id(&raw, "QuestionnaireResponse")?;
    let person =
        reviews::person_of(&state.db, review).await?.ok_or_else(|| FhirError::not_found("QuestionnaireResponse"))?;
    let mut gate = Gate::new(&state, &caller);
    gate.admit(person, Action::ReadPerson, "QuestionnaireResponse").await?;
    gate.admit(person, Action::VoteInReview, "QuestionnaireResponse").await?;
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let form = sheet::sheet_from_fhir(&body).map_err(FhirError::invalid)?;
    SameRecord { raw: &raw, person, subject: "QuestionnaireResponse.subject" }
        .check(form.id.as_deref(), form.person.as_ref().map(|p| p.id))?;
    if form.review.as_ref().map(|r| (r.kind.as_str(), r.id)) != Some(("Encounter", review)) {
        return Err(unprocessable(
            "QuestionnaireResponse.encounter",
            "A prompt sheet belongs to one review: its encounter is the review in its id.",
        ));
    }
    let sheet = parse(&form)?;
    let saved = reviews::review(&state.db, &caller.audit(), person, review).await?;
    if saved.prompt_sheet.is_none() {
        return Err(FhirError::not_found("QuestionnaireResponse"));
    }
    let (response, version) = save(&state, &caller, person, review, base, &sheet).await?;
    Ok(resource_response(StatusCode::OK, &response, Some(version)))
}

/// Every version of a review's prompt sheet still known, newest first.
pub struct Versions;

impl history::Kept for Versions {
    const KIND: &'static str = "QuestionnaireResponse";

    async fn versions(state: &AppState, caller: &Caller, raw: &str) -> Result<Vec<Historic>, FhirError> {
        let review = parse_id(raw, "QuestionnaireResponse")?;
        let person = reviews::person_of(&state.db, review)
            .await?
            .ok_or_else(|| FhirError::not_found("QuestionnaireResponse"))?;
        Gate::new(state, caller).admit(person, Action::ReadPerson, "QuestionnaireResponse").await?;
        let all = reviews::prompt_sheet_versions(&state.db, &caller.audit(), person, review).await?;
        if all.is_empty() {
            return Err(FhirError::not_found("QuestionnaireResponse"));
        }
        Ok(all.iter().map(|saved| Historic::Kept(saved_as_fhir(person, review, saved))).collect())
    }
}
