//! Task: read and search (by patient or subject, owner, status, `_id`, `_lastUpdated`), create,
//! and update with `If-Match`. Every row passes the policy: a task is part of the whole record,
//! not a section a person shares; writing one needs what changing the record needs.

use super::gate::Gate;
use super::history::{self, Historic};
use super::{
    Caller, FhirError, SameRecord, base_url, created, if_match, page_of, pairs, parse_id, parse_search, require_json,
    resource_response, searchset_response, stale,
};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::policy::Action;
use carethread_domain::tasks::{Owner, TaskDetails};
use carethread_domain::{PersonId, TeamId, UserId};
use carethread_fhir::bundle::Total;
use carethread_fhir::search::{Page, Ref};
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
    let (rows, total) =
        state.in_one_snapshot(async |reading| page_of_tasks(reading, &caller, &s.page, filter, nothing).await).await?;
    let found = rows.iter().map(as_fhir).collect();
    Ok(searchset_response(&base_url(&state, &headers), "Task", query, &s.page, total, found, Vec::new()))
}

/// The tasks on the page the search asks for, each of them one the caller may read, and the
/// total as far as the search counted.
async fn page_of_tasks(
    state: &AppState,
    caller: &Caller,
    page: &Page,
    filter: TaskFilter,
    mut nothing: bool,
) -> Result<(Vec<TaskRecord>, Total), FhirError> {
    let mut gate = Gate::new(state, caller);
    if let Some(person) = filter.person {
        nothing |= !gate.allows(person, Action::ReadPerson).await?;
    }
    // The policy decides on every hit looked at, so the pages (and the total, when counted) hold
    // only what the caller may read; the rows themselves are read (and audited) for the page alone.
    // Unless the client asks for the total, the search stops once it has this page and one task
    // more, which shows a next page exists: a page of a key worker's hundreds of tasks costs a
    // page. The search already keeps to people the caller works with, so the policy seldom turns
    // a hit away; when it does and leaves the page short, every match is looked at.
    let mut allowed = Vec::new();
    let mut complete = true;
    if !nothing {
        let today = crate::web::current_date();
        let enough = page.offset.saturating_add(page.count).saturating_add(1);
        // `_count=0` asks for the total alone, like `_summary=count`.
        let counting = page.count_only || page.accurate_total || page.count == 0;
        let mut limit = (!counting).then_some(enough);
        loop {
            let found = tasks::search(&state.db, &caller.audit(), &caller.principal, &filter, today, limit).await?;
            gate.know(found.facts);
            allowed.clear();
            for hit in found.hits {
                if gate.allows(hit.person_id, Action::ReadPerson).await? {
                    allowed.push(hit.id);
                }
            }
            complete = found.complete;
            if complete || allowed.len() >= enough {
                break;
            }
            limit = None;
        }
    }
    let (ids, counted) = page_of(allowed, page);
    let total = if complete { Total::Exact(counted) } else { Total::More };
    let rows = tasks::by_ids(&state.db, &caller.audit(), caller.principal.org_id, &ids).await?;
    Ok((rows, total))
}

/// The task form's rules, applied to what a client sent for this person's record.
async fn details_for(state: &AppState, person: PersonId, form: fhir_task::TaskForm) -> Result<TaskDetails, FhirError> {
    // Only the owner the task names is looked up; the parse refuses it if it is not on offer.
    let mut owners: Vec<Owner> = Vec::new();
    if let Some(owner) = Owner::parse_value(form.input.owner.trim())
        && tasks::may_own(&state.db, person, owner).await?
    {
        owners.push(owner);
    }
    form.input.parse(&owners, crate::web::current_date()).map_err(|e| FhirError::invalid(fhir_task::form_errors(&e)))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let form = fhir_task::task_from_fhir(&body).map_err(FhirError::invalid)?;
    let patient = Ref { kind: "Patient".into(), id: form.person };
    let person = Gate::new(&state, &caller).writable(Some(patient), "Task.for", Action::EditPerson).await?;
    let details = details_for(&state, person, form).await?;
    let id = tasks::add(&state.db, &caller.audit(), person, &details, None).await?;
    let task = tasks::task(&state.db, &caller.audit(), person, id).await?;
    Ok(created(&state, &headers, &as_fhir(&task), "Task", id, task.version))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Task")?;
    let person = tasks::person_of(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Task"))?;
    Gate::new(&state, &caller).admit(person, Action::EditPerson, "Task").await?;
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let form = fhir_task::task_from_fhir(&body).map_err(FhirError::invalid)?;
    SameRecord { raw: &raw, person, subject: "Task.for" }.check(form.id.as_deref(), Some(form.person))?;
    let details = details_for(&state, person, form).await?;
    match tasks::update(&state.db, &caller.audit(), person, id, base, &details).await? {
        Ok(_) => {
            let task = tasks::task(&state.db, &caller.audit(), person, id).await?;
            Ok(resource_response(StatusCode::OK, &as_fhir(&task), Some(task.version)))
        }
        Err(current) => Err(stale("Task", base, current.version)),
    }
}

/// Every version of a Task still known, newest first.
pub struct Versions;

impl history::Kept for Versions {
    const KIND: &'static str = "Task";

    async fn versions(state: &AppState, caller: &Caller, raw: &str) -> Result<Vec<Historic>, FhirError> {
        let id = parse_id(raw, "Task")?;
        let person = tasks::person_of(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Task"))?;
        Gate::new(state, caller).admit(person, Action::ReadPerson, "Task").await?;
        let all = tasks::task_versions(&state.db, &caller.audit(), person, id).await?;
        Ok(all.iter().map(|t| Historic::Kept(as_fhir(t))).collect())
    }
}
