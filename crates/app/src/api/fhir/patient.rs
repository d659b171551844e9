//! Patient: read, vread, search, create (with If-None-Exist) and update (with If-Match).
//! People's records are never deleted: a case is closed instead.

use super::gate::Gate;
use super::{
    Caller, FhirError, base_url, created, id_mismatch, if_match, lenient, pairs, require_json, resource_response, stale,
};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::{CaseStatus, PersonId, Role};
use carethread_fhir::bundle::{Entry, EntrySearch, Total, searchset};
use carethread_fhir::outcome::IssueCode;
use carethread_fhir::patient::{self as fhir_patient, Patient, Stored};
use carethread_fhir::search::{self, Direction};
use carethread_store::people::{self, Allocation, Filter, PersonRecord};

pub(super) fn as_fhir(r: &PersonRecord) -> Patient {
    fhir_patient::to_fhir(&Stored {
        id: r.id.to_string(),
        version: r.version,
        updated_at: r.updated_at,
        details: &r.details,
        case_open: r.case.status == CaseStatus::Open,
    })
}

/// The person a Patient id names, once the policy lets the caller do `action` on their record.
async fn authorise(state: &AppState, caller: &Caller, action: Action, raw: &str) -> Result<PersonId, FhirError> {
    let id: PersonId = raw.parse().map_err(|_| FhirError::not_found("Patient"))?;
    Gate::new(state, caller).admit(id, action, "Patient").await?;
    Ok(id)
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, FhirError> {
    let record = state
        .in_one_snapshot(async |state| {
            let id = authorise(state, &caller, Action::ReadPerson, &id).await?;
            Ok::<_, FhirError>(people::read(&state.db, &caller.audit(), id, "read the Patient through FHIR").await?)
        })
        .await?;
    Ok(resource_response(StatusCode::OK, &as_fhir(&record), Some(record.version)))
}

pub async fn vread(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, FhirError> {
    let id = authorise(&state, &caller, Action::ReadPerson, &id).await?;
    let version: i64 = version.parse().map_err(|_| FhirError::not_found("version"))?;
    let record =
        people::read(&state.db, &caller.audit(), id, "read a past version of the Patient through FHIR").await?;
    let past = people::history(&state.db, &caller.audit(), id)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or_else(|| FhirError::not_found("version of this Patient"))?;
    let patient = fhir_patient::to_fhir(&Stored {
        id: id.to_string(),
        version: past.version,
        updated_at: past.changed_at,
        details: &past.details,
        case_open: record.case.status == CaseStatus::Open,
    });
    Ok(resource_response(StatusCode::OK, &patient, Some(past.version)))
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    if let Decision::Deny(reason) = decide(&caller.principal, Action::FindPeople, None) {
        return Err(FhirError::new(StatusCode::FORBIDDEN, IssueCode::Forbidden, reason));
    }
    let query = pairs(raw.as_deref())?;
    let s = search::patient(&query, lenient(&headers))
        .map_err(|o| FhirError { status: StatusCode::BAD_REQUEST, outcome: o })?;
    let mut filter = Filter {
        ids: s.ids.map(|ids| ids.into_iter().map(PersonId::from_uuid).collect()),
        nhs_number: s.nhs_number,
        name: s.name,
        date_of_birth: s.birthdate,
        newest_first: s.page.sort_last_updated.map(|d| d == Direction::Descending),
        ..Filter::default()
    };
    for b in &s.last_updated {
        filter.updated_from.extend(b.from);
        filter.updated_until.extend(b.until);
    }
    let limit = if s.page.count_only { 0 } else { s.page.count };
    let (records, total) =
        people::find(&state.db, &caller.audit(), &caller.principal, &filter, limit, s.page.offset).await?;
    let base = base_url(&state, &headers);
    let entries = records
        .iter()
        .map(|r| Entry {
            full_url: format!("{base}/Patient/{}", r.id),
            resource: serde_json::to_value(as_fhir(r)).unwrap_or_default(),
            search: EntrySearch { mode: "match" },
        })
        .collect();
    let kept: Vec<(String, String)> =
        query.into_iter().filter(|(k, _)| !matches!(k.as_str(), "_offset" | "_count")).collect();
    let kept = serde_urlencoded::to_string(&kept).unwrap_or_default();
    let bundle =
        searchset(&format!("{base}/Patient"), &kept, Total::Exact(total), s.page.offset, s.page.count, entries);
    Ok(resource_response(StatusCode::OK, &bundle, None))
}

/// The resource in the body, as a person's details.
fn details_from(body: &[u8]) -> Result<(Patient, carethread_domain::PersonDetails), FhirError> {
    let patient: Patient = carethread_fhir::parse::resource(body, "Patient").map_err(FhirError::invalid)?;
    let details = fhir_patient::from_fhir(&patient, crate::web::current_date()).map_err(FhirError::invalid)?;
    Ok((patient, details))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    if let Decision::Deny(reason) = decide(&caller.principal, Action::RegisterPerson, None) {
        return Err(FhirError::new(StatusCode::FORBIDDEN, IssueCode::Forbidden, reason));
    }
    require_json(&headers)?;
    // If-None-Exist was answered before this, by `conditional`.
    let (_, details) = details_from(&body)?;
    let id = people::register(&state.db, &caller.audit(), caller.user.org(), &details, allocation(&caller)?).await?;
    let record = people::read(&state.db, &caller.audit(), id, "read the new Patient back through FHIR").await?;
    Ok(created(&state, &headers, &as_fhir(&record), "Patient", id, record.version))
}

/// Who holds a case the caller registers (through FHIR, or by importing it): the caller's team,
/// and the caller as key worker when they are one, as on the registration page.
pub(super) fn allocation(caller: &Caller) -> Result<Allocation, FhirError> {
    let allocation = Allocation {
        team_id: caller.principal.team_id,
        key_worker_id: (caller.principal.role == Role::KeyWorker).then_some(caller.principal.user_id),
    };
    if allocation.team_id.is_none() && allocation.key_worker_id.is_none() {
        return Err(FhirError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            IssueCode::Invariant,
            "Your account has no team, so no one could open the new record. Ask an administrator to put you in a team.",
        ));
    }
    Ok(allocation)
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let id = authorise(&state, &caller, Action::EditPerson, &raw).await?;
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let (patient, details) = details_from(&body)?;
    if patient.id.as_deref() != Some(raw.as_str()) {
        return Err(id_mismatch("Patient"));
    }
    match people::update_details(&state.db, &caller.audit(), id, base, &details).await? {
        Ok(_) => {
            let record =
                people::read(&state.db, &caller.audit(), id, "read the changed Patient back through FHIR").await?;
            Ok(resource_response(StatusCode::OK, &as_fhir(&record), Some(record.version)))
        }
        Err(conflict) => Err(stale("Patient", base, conflict.current.version)),
    }
}

pub async fn delete(caller: Caller, Path(_id): Path<String>) -> Result<Response, FhirError> {
    let _ = caller;
    Err(FhirError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        IssueCode::NotSupported,
        "People's records are never deleted: they are part of the care record. Close the person's case instead.",
    ))
}
