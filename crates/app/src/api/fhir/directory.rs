//! Practitioner, PractitionerRole and Organization (read), for staff of the same organisation.

use super::{Caller, FhirError, parse_id, resource_response};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::{OrgId, UserId};
use carethread_fhir::directory::{self, StoredOrganisation, StoredStaff};
use carethread_fhir::outcome::IssueCode;
use carethread_store::accounts;
use serde_json::Value;

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
