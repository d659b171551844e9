//! Practitioner, PractitionerRole and Organization (read), for staff of the same organisation;
//! RelatedPerson (read and search), as part of a person's circle of support.

use super::gate::Gate;
use super::{Caller, FhirError, admitted, pairs, parse_id, parse_search, resource_response, search_answer};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::themes::Theme;
use carethread_domain::{OrgId, UserId};
use carethread_fhir::directory::{self, RELATED_SEARCH, StoredOrganisation, StoredRelated, StoredStaff};
use carethread_fhir::outcome::IssueCode;
use carethread_store::{accounts, themes};
use serde_json::Value;

pub(super) const CIRCLE: Action = Action::ReadSection(Section::Theme(Theme::CircleOfSupport));

fn directory_allowed(caller: &Caller) -> Result<(), FhirError> {
    match decide(&caller.principal, Action::ReadDirectory, None) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(FhirError::new(StatusCode::FORBIDDEN, IssueCode::Forbidden, reason)),
    }
}

/// A staff account of the caller's own organisation (people's and supporters' accounts are not
/// staff, and other organisations' staff are not found).
async fn staff(state: &AppState, caller: &Caller, raw: &str, resource: &str) -> Result<Value, FhirError> {
    directory_allowed(caller)?;
    let id = UserId::from_uuid(parse_id(raw, resource)?);
    let user = accounts::user_by_id(&state.db, id)
        .await?
        .filter(|u| u.org() == caller.principal.org_id)
        .filter(|u| u.role().is_ok_and(|r| r.is_staff()))
        .ok_or_else(|| FhirError::not_found(resource))?;
    let role = user.role().map(|r| r.label()).unwrap_or_default();
    let s = StoredStaff {
        id: user.id,
        display_name: &user.display_name,
        role_label: role,
        active: user.active,
        team: user.team_id.zip(user.team_name.as_deref()),
        org: (user.org_id, &user.org_name),
        created_at: user.created_at,
    };
    Ok(if resource == "Practitioner" { directory::practitioner(&s) } else { directory::practitioner_role(&s) })
}

pub async fn read_practitioner(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let p = staff(&state, &caller, &raw, "Practitioner").await?;
    Ok(resource_response(StatusCode::OK, &p, Some(1)))
}

pub async fn read_practitioner_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let p = staff(&state, &caller, &raw, "PractitionerRole").await?;
    Ok(resource_response(StatusCode::OK, &p, Some(1)))
}

/// The caller's organisation, or one of its teams.
pub async fn read_organization(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    directory_allowed(&caller)?;
    let id = parse_id(&raw, "Organization")?;
    let org_id = caller.principal.org_id;
    let org = accounts::org_by_id(&state.db, org_id).await?.ok_or_else(|| FhirError::not_found("Organization"))?;
    let found = if id == org_id.as_uuid() {
        Some(directory::organization(&StoredOrganisation { id, name: &org.name, active: org.active, part_of: None }))
    } else {
        accounts::list_teams(&state.db, Some(OrgId::from_uuid(org.id))).await?.into_iter().find(|t| t.id == id).map(
            |t| {
                directory::organization(&StoredOrganisation {
                    id,
                    name: &t.name,
                    active: t.active,
                    part_of: Some((org.id, &org.name)),
                })
            },
        )
    };
    let o = found.ok_or_else(|| FhirError::not_found("Organization"))?;
    Ok(resource_response(StatusCode::OK, &o, Some(1)))
}

pub(super) fn related(person: carethread_domain::PersonId, m: &themes::MemberRecord) -> Value {
    directory::related_person(&StoredRelated {
        id: m.id,
        person_id: person.as_uuid(),
        details: &m.details,
        version: m.version,
        updated_at: m.updated_at,
    })
}

pub async fn read_related_person(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "RelatedPerson")?;
    let person = themes::person_of_member(&state.db, id).await?.ok_or_else(|| FhirError::not_found("RelatedPerson"))?;
    Gate::new(&state, &caller).admit(person, CIRCLE, "RelatedPerson").await?;
    let m = themes::member(&state.db, &caller.audit(), person, id).await?;
    Ok(resource_response(StatusCode::OK, &related(person, &m), Some(m.version)))
}

pub async fn search_related_people(
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
