//! Carethread's code systems and value sets (the six themes, the three votes). They hold no
//! personal data, so, like the CapabilityStatement, they can be read without signing in.

use super::{FhirError, base_url, resource_response};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_fhir::bundle::{Entry, EntrySearch, Total, searchset};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_fhir::terminology;
use serde_json::Value;

pub async fn read_code_system(Path(id): Path<String>) -> Result<Response, FhirError> {
    let cs = terminology::code_system(&id).ok_or_else(|| FhirError::not_found("CodeSystem"))?;
    Ok(resource_response(StatusCode::OK, &cs, Some(1)))
}

pub async fn read_value_set(Path(id): Path<String>) -> Result<Response, FhirError> {
    let vs = terminology::value_set(&id).ok_or_else(|| FhirError::not_found("ValueSet"))?;
    Ok(resource_response(StatusCode::OK, &vs, Some(1)))
}

/// A search by `url` (or none, for all): only `url` and `_format` are understood.
fn search(
    state: &AppState,
    headers: &HeaderMap,
    raw: Option<&str>,
    kind: &str,
    make: fn(&str) -> Option<Value>,
) -> Result<Response, FhirError> {
    let query: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|_| {
        FhirError::new(StatusCode::BAD_REQUEST, IssueCode::Structure, "The query string could not be read.")
    })?;
    let mut url = None;
    for (name, value) in &query {
        match name.as_str() {
            "url" => url = Some(value.clone()),
            "_format" if value.contains("json") => {}
            other if !super::lenient(headers) => {
                return Err(FhirError {
                    status: StatusCode::BAD_REQUEST,
                    outcome: OperationOutcome::at(
                        IssueCode::NotSupported,
                        other.to_string(),
                        format!("{kind} is searched by url only."),
                    ),
                });
            }
            _ => {}
        }
    }
    let base = base_url(state, headers);
    let entries: Vec<Entry> = terminology::ALL
        .iter()
        .filter_map(|id| make(id))
        .filter(|r| url.as_deref().is_none_or(|u| r["url"] == u))
        .map(|r| Entry {
            full_url: format!("{base}/{kind}/{}", r["id"].as_str().unwrap_or_default()),
            resource: r,
            search: EntrySearch { mode: "match" },
        })
        .collect();
    let total = entries.len();
    Ok(resource_response(
        StatusCode::OK,
        &searchset(&format!("{base}/{kind}"), "", Total::Exact(total), 0, total.max(1), entries),
        None,
    ))
}

pub async fn search_code_systems(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    search(&state, &headers, raw.as_deref(), "CodeSystem", terminology::code_system)
}

pub async fn search_value_sets(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    search(&state, &headers, raw.as_deref(), "ValueSet", terminology::value_set)
}
