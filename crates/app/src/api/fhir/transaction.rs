//! `POST /fhir` with a transaction Bundle of changes to cases already here: every entry is an
//! ordinary request (create, update, delete, read, search), handled by the same code, policy
//! and audit as when it is sent on its own, and all of them run inside one database transaction.
//! The first entry to fail undoes everything before it, and its OperationOutcome, naming the
//! entry, is the answer; otherwise every entry's answer comes back in a transaction-response.
//!
//! As FHIR asks, deletions run first, then creates, then updates, then reads, each group in the
//! Bundle's order. A create may carry a `urn:uuid:` fullUrl; entries after it refer to the new
//! record by that, and the reference is rewritten to its id before the entry runs.
//! (A transaction that creates Patients is an import of new cases instead: `case_import`.)

use super::batch::{self, Answer, EntryRequest};
use super::{FhirError, resource_response};
use crate::state::AppState;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use serde_json::{Value, json};
use std::collections::HashMap;

fn refused(at: String, message: &str) -> FhirError {
    FhirError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        outcome: OperationOutcome::at(IssueCode::NotSupported, at, message),
    }
}

/// One entry, checked: where it was in the Bundle, the fullUrl a create names its record by,
/// and its request.
struct Entry {
    index: usize,
    new_record: Option<String>,
    request: EntryRequest,
}

fn read_entry(index: usize, value: &Value, named: &mut Vec<String>) -> Result<Entry, FhirError> {
    let at = |e: &str| format!("Bundle.entry[{index}].{e}");
    let request = batch::entry_request(index, value)?;
    if request.url.contains('$') {
        return Err(refused(
            at("request.url"),
            "An operation such as $export does not belong in a transaction: ask for it on its own.",
        ));
    }
    let mut new_record = None;
    if request.method == Method::POST
        && let Some(full_url) = value.get("fullUrl")
    {
        let Some(full_url) = full_url.as_str().filter(|u| u.starts_with("urn:uuid:")) else {
            return Err(FhirError {
                status: StatusCode::BAD_REQUEST,
                outcome: OperationOutcome::at(
                    IssueCode::Value,
                    at("fullUrl"),
                    "A new record's fullUrl is urn:uuid: followed by a UUID; later entries refer to it by that.",
                ),
            });
        };
        if named.iter().any(|n| n == full_url) {
            return Err(FhirError {
                status: StatusCode::BAD_REQUEST,
                outcome: OperationOutcome::at(
                    IssueCode::Duplicate,
                    at("fullUrl"),
                    "Two entries have the same fullUrl.",
                ),
            });
        }
        named.push(full_url.to_string());
        new_record = Some(full_url.to_string());
    }
    Ok(Entry { index, new_record, request })
}

/// FHIR's order of processing: deletions, creates, updates, then reads.
fn phase(method: &Method) -> u8 {
    match *method {
        Method::DELETE => 0,
        Method::POST => 1,
        Method::PUT => 2,
        _ => 3,
    }
}

pub async fn run(state: &AppState, headers: &HeaderMap, values: &[Value]) -> Result<Response, FhirError> {
    let mut named = Vec::new();
    let mut entries: Vec<Entry> =
        values.iter().enumerate().map(|(i, v)| read_entry(i, v, &mut named)).collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| (phase(&e.request.method), e.index));

    let scope = state.db.scope().await?;
    let router = super::service(AppState { db: scope.db.clone(), ..state.clone() });
    let mut created: HashMap<String, String> = HashMap::new();
    let mut answers = vec![Value::Null; values.len()];
    for mut entry in entries {
        let answer = match resolve(&mut entry, &created) {
            Ok(()) => {
                let what = format!("{} {}", entry.request.method, entry.request.url);
                let answer = Answer::read(batch::forward(&router, headers, entry.request).await?).await;
                if !answer.status.is_success() { Err(failed(entry.index, &what, answer)) } else { Ok(answer) }
            }
            Err(e) => Err(e),
        };
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                drop(router);
                scope.rollback().await?;
                return Err(e);
            }
        };
        if let Some(full_url) = entry.new_record {
            let kind = answer.body.get("resourceType").and_then(Value::as_str);
            let id = answer.body.get("id").and_then(Value::as_str);
            if let (Some(kind), Some(id)) = (kind, id) {
                created.insert(full_url, format!("{kind}/{id}"));
            }
        }
        answers[entry.index] = answer.entry();
    }
    drop(router);
    scope.commit().await?;
    let reply = json!({ "resourceType": "Bundle", "type": "transaction-response", "entry": answers });
    Ok(resource_response(StatusCode::OK, &reply, None))
}

/// Rewrites the entry's references to records created earlier in the Bundle (by their
/// `urn:uuid:` fullUrl) as references to their ids: in the resource, and in a search's query.
fn resolve(entry: &mut Entry, created: &HashMap<String, String>) -> Result<(), FhirError> {
    if let Some(body) = entry.request.body.as_mut() {
        let at = format!("Bundle.entry[{}].resource", entry.index);
        carethread_fhir::bundle::rewrite_references(body, &at, created).map_err(|element| FhirError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            outcome: OperationOutcome::at(
                IssueCode::NotFound,
                element,
                "This reference names no record created before it in the Bundle. Creates run in the Bundle's \
                 order: put the entry it names first, and give that entry this fullUrl.",
            ),
        })?;
    }
    if let Some((path, query)) = entry.request.url.split_once('?') {
        let mut query = query.to_string();
        for (urn, reference) in created {
            query = query.replace(urn.as_str(), reference);
        }
        entry.request.url = format!("{path}?{query}");
    }
    Ok(())
}

/// The answer to a transaction one of whose entries failed: that entry's own outcome, with each
/// element named from inside the Bundle and the entry named in the message.
fn failed(index: usize, what: &str, answer: Answer) -> FhirError {
    let own: Option<OperationOutcome> = serde_json::from_value(answer.body).ok();
    let mut outcome = own
        .unwrap_or_else(|| OperationOutcome::error(IssueCode::Exception, "The request could not be completed."))
        .within_entry(index);
    for issue in &mut outcome.issue {
        issue.diagnostics =
            format!("Entry {index} ({what}) failed, so nothing in the transaction was written: {}", issue.diagnostics);
    }
    FhirError { status: answer.status, outcome }
}
