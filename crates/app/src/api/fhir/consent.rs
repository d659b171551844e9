//! Consent: the person's consents to share, read and searched by those who may read the record;
//! recorded and withdrawn by the person themselves or staff who work with them.

use super::gate::Gate;
use super::history::{self, Historic};
use super::{
    Caller, FhirError, SameRecord, admitted, created, if_match, pairs, parse_id, parse_search, require_json,
    resource_response, search_answer, stale,
};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::plan::consent::{ShareWith, withdrawal_reason};
use carethread_domain::policy::Action;
use carethread_fhir::consent::{self as fhir_consent, SEARCH, StoredConsent};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_store::plans::{self, ConsentRecord};
use carethread_store::themes;
use serde_json::Value;
use uuid::Uuid;

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
    let c = read_back(&state, &caller, person, id).await?;
    Ok(resource_response(StatusCode::OK, &as_fhir(person, &c), Some(version(&c))))
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

/// The members of the person's circle, by name: who a consent may name.
async fn members(state: &AppState, caller: &Caller, person: PersonId) -> Result<Vec<(Uuid, String)>, FhirError> {
    Ok(themes::members(&state.db, &caller.audit(), person).await?.into_iter().map(|m| (m.id, m.details.name)).collect())
}

fn invalid_at(element: &str, message: &str) -> FhirError {
    FhirError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        outcome: OperationOutcome::at(IssueCode::Invariant, element, message),
    }
}

/// Records a consent to share, as the person's sharing page does: by the person themselves, or
/// by staff who work with them.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let form = carethread_fhir::parse::json(&body).and_then(fhir_consent::from_fhir).map_err(FhirError::invalid)?;
    if !matches!(form.status.as_str(), "active" | "proposed") {
        return Err(invalid_at("Consent.status", "A new consent is active, or proposed when it starts later."));
    }
    let person = Gate::new(&state, &caller).writable(form.person, "Consent.patient", Action::ManageSharing).await?;
    let details = form
        .input
        .parse(&members(&state, &caller, person).await?)
        .map_err(|e| FhirError::invalid(fhir_consent::form_errors(&e)))?;
    let id = plans::add_consent(&state.db, &caller.audit(), person, &details).await?;
    let c = read_back(&state, &caller, person, id).await?;
    Ok(created(&state, &headers, &as_fhir(person, &c), "Consent", id, version(&c)))
}

/// Withdraws a consent: the same Consent sent back with status `inactive` and the reason in the
/// `withdrawn` extension, from the version read (If-Match). What a consent says is never changed:
/// withdraw it and record a new one.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Consent")?;
    let person = plans::person_of_consent(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Consent"))?;
    Gate::new(&state, &caller).admit(person, Action::ManageSharing, "Consent").await?;
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let form = carethread_fhir::parse::json(&body).and_then(fhir_consent::from_fhir).map_err(FhirError::invalid)?;
    SameRecord { raw: &raw, person, subject: "Consent.patient" }
        .check(form.id.as_deref(), form.person.map(|r| r.id))?;
    let current = read_back(&state, &caller, person, id).await?;
    if version(&current) != base {
        return Err(stale("Consent", base, version(&current)));
    }
    // The consent names its member as they were called when it was recorded (and they may have
    // left the circle since): compare it as it names them.
    let mut named = members(&state, &caller, person).await?;
    if let ShareWith::Member { id, name } = &current.details.with {
        named.retain(|(m, _)| m != id);
        named.push((*id, name.clone()));
    }
    let sent = form.input.parse(&named).map_err(|e| FhirError::invalid(fhir_consent::form_errors(&e)))?;
    if sent != current.details {
        return Err(invalid_at(
            "Consent.provision",
            "What a consent says is not changed: withdraw it (status inactive) and record a new one.",
        ));
    }
    match (form.status.as_str(), current.withdrawn.is_some()) {
        ("inactive", false) => {
            let typed = form.withdrawal_reason.unwrap_or_default();
            let reason = withdrawal_reason(&typed).map_err(|m| invalid_at("Consent.extension", m))?;
            plans::withdraw_consent(&state.db, &caller.audit(), person, id, crate::web::current_date(), reason).await?;
        }
        ("inactive", true) | ("active" | "proposed", false) => {}
        _ => {
            return Err(invalid_at(
                "Consent.status",
                "A withdrawn consent stays withdrawn: record a new consent instead.",
            ));
        }
    }
    let c = read_back(&state, &caller, person, id).await?;
    Ok(resource_response(StatusCode::OK, &as_fhir(person, &c), Some(version(&c))))
}

fn version(c: &ConsentRecord) -> i64 {
    fhir_consent::version(c.withdrawn.is_some())
}

async fn read_back(state: &AppState, caller: &Caller, person: PersonId, id: Uuid) -> Result<ConsentRecord, FhirError> {
    plans::consents(&state.db, &caller.audit(), person)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| FhirError::not_found("Consent"))
}

/// Both versions a consent can have, newest first. A consent changes once, when it is
/// withdrawn, and nothing else in it changes then: its first version is the same consent
/// before the withdrawal.
pub struct Versions;

impl history::Kept for Versions {
    const KIND: &'static str = "Consent";

    async fn versions(state: &AppState, caller: &Caller, raw: &str) -> Result<Vec<Historic>, FhirError> {
        let id = parse_id(raw, "Consent")?;
        let person = plans::person_of_consent(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Consent"))?;
        Gate::new(state, caller).admit(person, Action::ReadPerson, "Consent").await?;
        let c = read_back(state, caller, person, id).await?;
        let mut all = vec![Historic::Kept(as_fhir(person, &c))];
        if c.withdrawn.is_some() {
            all.push(Historic::Kept(as_fhir(person, &ConsentRecord { withdrawn: None, ..c })));
        }
        Ok(all)
    }
}
