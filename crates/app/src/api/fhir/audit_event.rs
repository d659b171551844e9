//! AuditEvent: who has looked at a person's record, searched by patient, for those who may read
//! the record (the person first of all), as on the "Who has looked at my record" page.

use super::gate::Gate;
use super::{Caller, FhirError, pairs, parse_search, search_answer};
use crate::state::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::policy::Action;
use carethread_fhir::audit_event::{self, SEARCH, StoredLook};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_store::audit;

/// The most entries one search returns: the log of a busy record is long.
const MOST: i64 = 1_000;

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&SEARCH, &query, &headers)?;
    let Some(patient) = s.patient else {
        return Err(FhirError {
            status: StatusCode::BAD_REQUEST,
            outcome: OperationOutcome::at(
                IssueCode::Required,
                "patient",
                "Say whose record: AuditEvent?patient=Patient/<id>. The whole log is browsed on the audit page.",
            ),
        });
    };
    let person = PersonId::from_uuid(patient);
    let mut found = Vec::new();
    if Gate::new(&state, &caller).allows(person, Action::ReadPerson).await? {
        for l in audit::looks_at(&state.db, &caller.audit(), person, MOST).await? {
            let event = audit_event::to_fhir(&StoredLook {
                id: l.id,
                person_id: patient,
                at: l.at,
                who: &l.who,
                role: &l.role,
                action: &l.action,
                detail: &l.detail,
            });
            found.push(event);
        }
    }
    Ok(search_answer(&state, &headers, "AuditEvent", query, &s, found))
}
