//! Consent: the person's consents to share, read and searched by those who may read the record.

use super::gate::Gate;
use super::{
    Caller, FhirError, base_url, page_of, pairs, parse_id, parse_search, resource_response, searchset_response,
    sort_by_last_updated,
};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::policy::Action;
use carethread_fhir::consent::{self as fhir_consent, SEARCH, StoredConsent};
use carethread_store::plans::{self, ConsentRecord};
use serde_json::Value;

pub(super) fn as_fhir(person: PersonId, c: &ConsentRecord) -> Value {
    fhir_consent::to_fhir(
        &StoredConsent {
            id: c.id,
            person_id: person.as_uuid(),
            details: &c.details,
            withdrawn: c.withdrawn.as_ref().map(|(on, why)| (*on, why.as_str())),
            created_at: c.created_at,
        },
        crate::web::current_date(),
    )
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Consent")?;
    let person = plans::person_of_consent(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Consent"))?;
    Gate::new(&state, &caller).admit(person, Action::ReadPerson, "Consent").await?;
    let c = plans::consents(&state.db, &caller.audit(), person)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| FhirError::not_found("Consent"))?;
    let consent = as_fhir(person, &c);
    let version = consent["meta"]["versionId"].as_str().and_then(|v| v.parse().ok());
    Ok(resource_response(StatusCode::OK, &consent, version))
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
    let mut found = Vec::new();
    for person in gate.people(s.patient, &[Action::ReadPerson]).await? {
        if !gate.allows(person, Action::ReadPerson).await? {
            continue;
        }
        for c in plans::consents(&state.db, &caller.audit(), person).await? {
            let consent = as_fhir(person, &c);
            let id_ok = s.ids.as_ref().is_none_or(|ids| ids.contains(&c.id));
            let status_ok = s.statuses.is_empty() || s.statuses.iter().any(|st| consent["status"] == st.as_str());
            if id_ok && status_ok && s.updated_within(c.created_at) {
                found.push(consent);
            }
        }
    }
    sort_by_last_updated(&mut found, &s.page);
    let (page, total) = page_of(found, &s.page);
    Ok(searchset_response(&base_url(&state, &headers), "Consent", query, &s.page, total, page, Vec::new()))
}
