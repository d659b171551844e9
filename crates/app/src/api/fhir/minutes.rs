//! Composition: a review's minutes, read and searched by those who may read the record, and
//! written (PUT with If-Match) by those who may change it, by the review page's rules, until the
//! review is signed off. Its id is the review's: every review has its minutes.

use super::gate::Gate;
use super::review::{person_reviews, unprocessable};
use super::{
    Caller, FhirError, SameRecord, if_match, pairs, parse_id, parse_search, require_json, resource_response,
    search_answer, stale,
};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::policy::Action;
use carethread_domain::reviews::parse_minutes;
use carethread_fhir::minutes::{self as fhir_minutes, SEARCH, StoredMinutes};
use carethread_store::StoreError;
use carethread_store::reviews::{self, ReviewRecord, ReviewStatus};
use serde_json::Value;

pub(super) fn as_fhir(person: PersonId, r: &ReviewRecord) -> Value {
    let review = format!("{} on {}", r.details.kind.label().to_lowercase(), r.details.at.format("%-d %B %Y"));
    fhir_minutes::to_fhir(&StoredMinutes {
        review_id: r.id,
        person_id: person.as_uuid(),
        minutes: &r.minutes,
        review: &review,
        chair: &r.details.chair,
        signed_off: r.status == ReviewStatus::SignedOff,
        amended: !r.amendments.is_empty(),
        version: r.minutes_version,
        updated_at: r.updated_at,
    })
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Composition")?;
    let person = reviews::person_of(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Composition"))?;
    Gate::new(&state, &caller).admit(person, Action::ReadPerson, "Composition").await?;
    let r = reviews::review(&state.db, &caller.audit(), person, id).await?;
    Ok(resource_response(StatusCode::OK, &as_fhir(person, &r), Some(r.minutes_version)))
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&SEARCH, &query, &headers)?;
    let mut gate = Gate::new(&state, &caller);
    let found = person_reviews(&state, &caller, &mut gate, &s)
        .await?
        .iter()
        .map(|(person, r)| as_fhir(*person, r))
        .filter(|c| s.statuses.is_empty() || s.statuses.iter().any(|st| c["status"] == st.as_str()))
        .collect();
    Ok(search_answer(&state, &headers, "Composition", query, &s, found))
}

/// Writes the minutes from the version the client read (the review's).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let review = parse_id(&raw, "Composition")?;
    let person = reviews::person_of(&state.db, review).await?.ok_or_else(|| FhirError::not_found("Composition"))?;
    let mut gate = Gate::new(&state, &caller);
    gate.admit(person, Action::ReadPerson, "Composition").await?;
    gate.admit(person, Action::EditPerson, "Composition").await?;
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let form = fhir_minutes::minutes_from_fhir(&body).map_err(FhirError::invalid)?;
    SameRecord { raw: &raw, person, subject: "Composition.subject" }
        .check(form.id.as_deref(), form.person.as_ref().map(|p| p.id))?;
    if form.review.as_ref().map(|r| (r.kind.as_str(), r.id)) != Some(("Encounter", review)) {
        return Err(unprocessable(
            "Composition.encounter",
            "A review's minutes belong to that review: the encounter is the review in the Composition's id.",
        ));
    }
    let minutes = parse_minutes(&form.input).map_err(|e| FhirError::invalid(fhir_minutes::minutes_errors(&e)))?;
    match reviews::save_minutes(&state.db, &caller.audit(), person, review, base, &minutes).await {
        Ok(Ok(_)) => {}
        Ok(Err(current)) => return Err(stale("Composition", base, current.minutes_version)),
        Err(StoreError::Invalid(m)) => return Err(unprocessable("Composition.status", m)),
        Err(e) => return Err(e.into()),
    }
    let r = reviews::review(&state.db, &caller.audit(), person, review).await?;
    Ok(resource_response(StatusCode::OK, &as_fhir(person, &r), Some(r.minutes_version)))
}

/// The minutes at one version: only their current version is kept.
pub async fn vread(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, FhirError> {
    super::history::current_only(read(State(state), caller, Path(raw)).await?, &version, "Composition")
}
