//! RelatedPerson: someone in a person's circle of support. Read and searched by whoever may see
//! the circle; added, changed (If-Match) and taken off the circle by staff who may change the
//! record, by the same rules as the circle page.

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
use carethread_domain::circle::MemberDetails;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::Action;
use carethread_domain::themes::Theme;
use carethread_fhir::directory::{self, MemberForm, RELATED_SEARCH, StoredRelated};
use carethread_store::themes::{self, MemberChange, MemberRecord};
use serde_json::Value;

pub(super) const CIRCLE: Action = Action::ReadSection(Section::Theme(Theme::CircleOfSupport));

pub(super) fn related(person: PersonId, m: &MemberRecord) -> Value {
    directory::related_person(&StoredRelated {
        id: m.id,
        person_id: person.as_uuid(),
        details: &m.details,
        version: m.version,
        updated_at: m.updated_at,
    })
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "RelatedPerson")?;
    let whose = themes::person_of_member(&state.db, id).await?.ok_or_else(|| FhirError::not_found("RelatedPerson"))?;
    let person = whose.person;
    Gate::new(&state, &caller).admit(person, CIRCLE, "RelatedPerson").await?;
    if whose.removed {
        return Err(gone("RelatedPerson"));
    }
    let m = themes::member(&state.db, &caller.audit(), person, id).await?;
    Ok(resource_response(StatusCode::OK, &related(person, &m), Some(m.version)))
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&RELATED_SEARCH, &query, &headers)?;
    let mut found = Vec::new();
    for person in admitted(&state, &caller, &s, CIRCLE).await? {
        found.extend(themes::members(&state.db, &caller.audit(), person).await?.iter().map(|m| related(person, m)));
    }
    Ok(search_answer(&state, &headers, "RelatedPerson", query, &s, found))
}

/// The RelatedPerson in the body, checked by the circle form's rules.
fn read_body(body: &[u8]) -> Result<(MemberForm, MemberDetails), FhirError> {
    let form = carethread_fhir::parse::json(body).and_then(directory::member_from_fhir).map_err(FhirError::invalid)?;
    let details = form.input.parse().map_err(|e| FhirError::invalid(directory::member_errors(&e)))?;
    Ok((form, details))
}

/// Adds someone to the circle of the Patient the RelatedPerson names.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let (form, details) = read_body(&body)?;
    let person = Gate::new(&state, &caller).writable(form.person, "RelatedPerson.patient", Action::EditPerson).await?;
    let id = themes::add_member(&state.db, &caller.audit(), person, &details, None).await?;
    let m = themes::member(&state.db, &caller.audit(), person, id).await?;
    Ok(created(&state, &headers, &related(person, &m), "RelatedPerson", id, m.version))
}

/// Changes what the circle says of someone, only from the version the client read. A link to
/// their Carethread account is kept as it is (it is made on the circle page).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "RelatedPerson")?;
    let whose = themes::person_of_member(&state.db, id).await?.ok_or_else(|| FhirError::not_found("RelatedPerson"))?;
    let person = whose.person;
    Gate::new(&state, &caller).admit(person, Action::EditPerson, "RelatedPerson").await?;
    if whose.removed {
        return Err(gone("RelatedPerson"));
    }
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let (form, details) = read_body(&body)?;
    SameRecord { raw: &raw, person, subject: "RelatedPerson.patient" }
        .check(form.id.as_deref(), form.person.map(|r| r.id))?;
    let current = themes::member(&state.db, &caller.audit(), person, id).await?;
    let change = MemberChange::Update { details: &details, account: current.account.as_deref() };
    match themes::change_member(&state.db, &caller.audit(), person, id, base, change).await? {
        Ok(_) => {
            let m = themes::member(&state.db, &caller.audit(), person, id).await?;
            Ok(resource_response(StatusCode::OK, &related(person, &m), Some(m.version)))
        }
        Err(now) => Err(stale("RelatedPerson", base, now.version)),
    }
}

/// Takes someone off the circle (the circle's history keeps them). With If-Match, only from
/// that version.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "RelatedPerson")?;
    let whose = themes::person_of_member(&state.db, id).await?.ok_or_else(|| FhirError::not_found("RelatedPerson"))?;
    let person = whose.person;
    Gate::new(&state, &caller).admit(person, Action::EditPerson, "RelatedPerson").await?;
    if whose.removed {
        return Err(gone("RelatedPerson"));
    }
    let base = match optional_if_match(&headers)? {
        Some(v) => v,
        None => themes::member(&state.db, &caller.audit(), person, id).await?.version,
    };
    match themes::change_member(&state.db, &caller.audit(), person, id, base, MemberChange::Remove).await? {
        Ok(_) => Ok(no_content()),
        Err(now) => Err(stale("RelatedPerson", base, now.version)),
    }
}

/// Every version of what the circle has said of someone, newest first, their removal included:
/// the history stays readable after they are taken off the circle.
pub struct Versions;

impl history::Kept for Versions {
    const KIND: &'static str = "RelatedPerson";

    async fn versions(state: &AppState, caller: &Caller, raw: &str) -> Result<Vec<Historic>, FhirError> {
        let id = parse_id(raw, "RelatedPerson")?;
        let whose =
            themes::person_of_member(&state.db, id).await?.ok_or_else(|| FhirError::not_found("RelatedPerson"))?;
        let person = whose.person;
        Gate::new(state, caller).admit(person, CIRCLE, "RelatedPerson").await?;
        let versions = themes::member_versions(&state.db, &caller.audit(), person, id).await?;
        Ok(history::of(versions, |details, version, updated_at| {
            directory::related_person(&StoredRelated { id, person_id: person.as_uuid(), details, version, updated_at })
        }))
    }
}
