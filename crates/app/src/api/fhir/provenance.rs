//! Provenance (read and search): who changed a person's records, and when. Only for those who
//! may read the whole record (their staff and the person themselves): it names who wrote what.

use super::gate::Gate;
use super::{Caller, FhirError, admitted, pairs, parse_id, parse_search, resource_response, search_answer};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::policy::Action;
use carethread_fhir::provenance::{self as fhir_provenance, Activity, SEARCH, StoredProvenance, Target, Who};
use carethread_store::provenance::{self, Author, Kind, ProvenanceRecord};
use serde_json::Value;

const ACTION: Action = Action::ReadPerson;

fn who(a: Option<&Author>) -> Who<'_> {
    match a {
        None => Who::System,
        Some(a) => match (a.role.as_str(), a.person_id) {
            ("person", Some(id)) => Who::Person { id, name: &a.name },
            ("supporter", _) => Who::Named(&a.name),
            _ => Who::Staff { id: a.user_id, name: &a.name },
        },
    }
}

pub(super) fn as_fhir(person: PersonId, r: &ProvenanceRecord) -> Value {
    fhir_provenance::to_fhir(&StoredProvenance {
        id: r.id,
        person_id: person.as_uuid(),
        target: match r.kind {
            Kind::Person => Target::Patient,
            Kind::CircleMember => Target::RelatedPerson,
            Kind::ProblemArea => Target::Condition,
            Kind::PlanVersion => Target::CarePlan,
        },
        target_id: r.record_id,
        version: r.version,
        at: r.at,
        activity: match r.activity {
            provenance::Activity::Create => Activity::Create,
            provenance::Activity::Update => Activity::Update,
            provenance::Activity::Remove => Activity::Delete,
        },
        author: who(r.author.as_ref()),
        agreement_recorded_by: r.agreement_recorded_by.as_ref().map(|a| who(Some(a))),
    })
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Provenance")?;
    let person = provenance::person_of(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Provenance"))?;
    Gate::new(&state, &caller).admit(person, ACTION, "Provenance").await?;
    let found = provenance::of_person(&state.db, &caller.audit(), person)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| FhirError::not_found("Provenance"))?;
    Ok(resource_response(StatusCode::OK, &as_fhir(person, &found), Some(1)))
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
        found.extend(
            provenance::of_person(&state.db, &caller.audit(), person).await?.iter().map(|r| as_fhir(person, r)),
        );
    }
    Ok(search_answer(&state, &headers, "Provenance", query, &s, found))
}
