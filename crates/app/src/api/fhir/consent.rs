//! Consent: the person's consents to share, read and searched by those who may read the record.

use super::gate::Gate;
use super::{Caller, FhirError, admitted, pairs, parse_id, parse_search, resource_response, search_answer};
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
    let mut found = Vec::new();
    for person in admitted(&state, &caller, &s, Action::ReadPerson).await? {
        for c in plans::consents(&state.db, &caller.audit(), person).await? {
            let consent = as_fhir(person, &c);
            if s.statuses.is_empty() || s.statuses.iter().any(|st| consent["status"] == st.as_str()) {
                found.push(consent);
            }
        }
    }
    Ok(search_answer(&state, &headers, "Consent", query, &s, found))
}
