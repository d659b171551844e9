//! Task: read and search (by patient or subject, owner, status, `_id`, `_lastUpdated`). Every
//! row passes the policy: a task is part of the whole record, not a section a person shares.

use super::gate::Gate;
use super::{
    Caller, FhirError, base_url, page_of, pairs, parse_id, parse_search, resource_response, searchset_response,
    sort_by_last_updated,
};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::policy::Action;
use carethread_domain::tasks::Owner;
use carethread_domain::{PersonId, TeamId, UserId};
use carethread_fhir::task::{self as fhir_task, SEARCH, Stored};
use carethread_store::tasks::{self, TaskFilter, TaskRecord};
use serde_json::Value;

pub(super) fn as_fhir(t: &TaskRecord) -> Value {
    fhir_task::to_fhir(&Stored {
        id: t.id,
        person_id: t.person_id.as_uuid(),
        person_name: &t.person_name,
        details: &t.details,
        owner_name: &t.owner_name,
        review: t.review.map(|(id, _)| id),
        version: t.version,
        updated_at: t.updated_at,
    })
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Task")?;
    let person = tasks::person_of(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Task"))?;
    Gate::new(&state, &caller).admit(person, Action::ReadPerson, "Task").await?;
    let task = tasks::task(&state.db, &caller.audit(), person, id).await?;
    Ok(resource_response(StatusCode::OK, &as_fhir(&task), Some(task.version)))
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&SEARCH, &query, &headers)?;
    let mut filter = TaskFilter {
        person: s.patient.map(PersonId::from_uuid),
        ids: s.ids.clone(),
        statuses: s.statuses.iter().filter_map(|c| fhir_task::status_slug(c)).collect(),
        newest_first: s.page.sort_last_updated.map(|d| d == carethread_fhir::search::Direction::Descending),
        ..TaskFilter::default()
    };
    for b in &s.last_updated {
        filter.updated_from.extend(b.from);
        filter.updated_until.extend(b.until);
    }
    let mut nothing = false;
    if let Some(owner) = &s.owner {
        filter.owner = Some(match owner.kind.as_str() {
            "Practitioner" => Owner::Staff(UserId::from_uuid(owner.id)),
            "RelatedPerson" => Owner::Member(owner.id),
            "Organization" => Owner::Team(TeamId::from_uuid(owner.id)),
            _ => {
                // The person's own tasks: owned by the Patient they are for.
                let person = PersonId::from_uuid(owner.id);
                nothing |= filter.person.is_some_and(|p| p != person);
                filter.person = Some(person);
                Owner::Person
            }
        });
    }
    let mut gate = Gate::new(&state, &caller);
    if let Some(person) = filter.person {
        nothing |= !gate.allows(person, Action::ReadPerson).await?;
    }
    let mut found = Vec::new();
    if !nothing {
        for t in tasks::search(&state.db, &caller.audit(), &caller.principal, &filter).await? {
            if gate.allows(t.person_id, Action::ReadPerson).await? {
                found.push(as_fhir(&t));
            }
        }
    }
    sort_by_last_updated(&mut found, &s.page);
    let (page, total) = page_of(found, &s.page);
    Ok(searchset_response(&base_url(&state, &headers), "Task", query, &s.page, total, page, Vec::new()))
}
