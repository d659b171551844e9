//! `POST /fhir` with a batch Bundle: each entry is an ordinary request (read, search, create,
//! update) handled exactly as if it had been sent on its own, with the same token, policy and
//! audit, and answered in a batch-response Bundle in the same order. One entry failing does not
//! stop the others.
//!
//! A transaction Bundle is all or nothing instead: one that creates Patients imports new cases
//! (`case_import`); any other runs its entries as these requests inside one database
//! transaction (`transaction`).

use super::{Caller, FhirError, require_json, resource_response};
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::Response;
use carethread_fhir::MEDIA_TYPE;
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The most entries one batch may hold.
const MOST: usize = 500;

fn invalid(element: impl Into<String>, message: impl Into<String>) -> FhirError {
    FhirError { status: StatusCode::BAD_REQUEST, outcome: OperationOutcome::at(IssueCode::Invalid, element, message) }
}

/// One entry's request, checked before anything runs.
pub(super) struct EntryRequest {
    pub method: Method,
    pub url: String,
    pub body: Option<Value>,
    if_match: Option<String>,
    if_none_exist: Option<String>,
}

pub(super) fn entry_request(i: usize, entry: &Value) -> Result<EntryRequest, FhirError> {
    let at = |e: &str| format!("Bundle.entry[{i}].{e}");
    let request = entry.get("request").ok_or_else(|| invalid(at("request"), "Each entry needs a request."))?;
    let method = match request.get("method").and_then(Value::as_str) {
        Some("GET") => Method::GET,
        Some("POST") => Method::POST,
        Some("PUT") => Method::PUT,
        Some("DELETE") => Method::DELETE,
        _ => return Err(invalid(at("request.method"), "The method is GET, POST, PUT or DELETE.")),
    };
    let url = request.get("url").and_then(Value::as_str).map(str::trim).unwrap_or("");
    // Relative to the FHIR base, naming a resource type: never the batch endpoint itself.
    if url.is_empty()
        || url.starts_with('/')
        || url.contains("://")
        || !url.starts_with(|c: char| c.is_ascii_uppercase())
    {
        return Err(invalid(at("request.url"), "Give the address relative to the FHIR base, such as Task/<id>."));
    }
    let body = match (&method, entry.get("resource")) {
        (&Method::POST | &Method::PUT, Some(r)) => Some(r.clone()),
        (&Method::POST | &Method::PUT, None) => {
            return Err(invalid(at("resource"), "A create or update entry carries the resource."));
        }
        _ => None,
    };
    let header = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_string);
    Ok(EntryRequest {
        method,
        url: url.to_string(),
        body,
        if_match: header("ifMatch"),
        if_none_exist: header("ifNoneExist"),
    })
}

pub async fn bundle(
    State(state): State<AppState>,
    // A batch takes it only so that a request without a valid token is refused before any
    // entry runs; each entry is then checked again with the same token, as a request of its own.
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let bundle: Value = serde_json::from_slice(&body).map_err(|e| {
        FhirError::new(StatusCode::BAD_REQUEST, IssueCode::Structure, format!("The body is not valid JSON: {e}."))
    })?;
    if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(FhirError {
            status: StatusCode::BAD_REQUEST,
            outcome: OperationOutcome::at(IssueCode::Structure, "resourceType", "POST /fhir takes a Bundle."),
        });
    }
    match bundle.get("type").and_then(Value::as_str) {
        Some("batch") => {}
        Some("transaction") => {}
        _ => return Err(invalid("Bundle.type", "The Bundle's type is batch or transaction.")),
    }
    let entries = bundle.get("entry").and_then(Value::as_array).cloned().unwrap_or_default();
    if entries.len() > MOST {
        return Err(invalid("Bundle.entry", format!("A Bundle holds at most {MOST} entries.")));
    }
    if bundle.get("type").and_then(Value::as_str) == Some("transaction") {
        return if entries.iter().any(creates_patient) {
            super::case_import::import(&state, &caller, &entries).await
        } else {
            super::transaction::run(&state, &headers, &entries).await
        };
    }
    let requests: Vec<EntryRequest> =
        entries.iter().enumerate().map(|(i, e)| entry_request(i, e)).collect::<Result<_, _>>()?;

    let router = super::service(state.clone());
    let mut answers = Vec::with_capacity(requests.len());
    for r in requests {
        answers.push(Answer::read(forward(&router, &headers, r).await?).await.entry());
    }
    let reply = json!({ "resourceType": "Bundle", "type": "batch-response", "entry": answers });
    Ok(resource_response(StatusCode::OK, &reply, None))
}

/// Whether an entry creates a Patient, which makes a transaction an import of new cases.
fn creates_patient(entry: &Value) -> bool {
    let request = entry.get("request");
    let text = |name: &str| request.and_then(|r| r.get(name)).and_then(Value::as_str).map(str::trim);
    text("method") == Some("POST") && text("url") == Some("Patient")
}

/// Sends one entry's request through the FHIR routes, with the Bundle's own token.
pub(super) async fn forward(
    router: &axum::Router,
    headers: &HeaderMap,
    r: EntryRequest,
) -> Result<Response, FhirError> {
    let mut req = Request::builder().method(r.method).uri(format!("/fhir/{}", r.url));
    for name in [header::AUTHORIZATION, header::HOST, header::USER_AGENT] {
        if let Some(v) = headers.get(&name) {
            req = req.header(name, v.clone());
        }
    }
    req = req.header(header::CONTENT_TYPE, MEDIA_TYPE);
    if let Some(v) = r.if_match {
        req = req.header(header::IF_MATCH, v);
    }
    if let Some(v) = r.if_none_exist {
        req = req.header("if-none-exist", v);
    }
    let body = r.body.map(|b| b.to_string()).unwrap_or_default();
    let req = req
        .body(Body::from(body))
        .map_err(|_| invalid("Bundle.entry", "An entry could not be made into a request."))?;
    Ok(router.clone().oneshot(req).await.unwrap_or_else(|never| match never {}))
}

/// What one entry's request answered.
pub(super) struct Answer {
    pub status: StatusCode,
    location: Option<String>,
    etag: Option<String>,
    pub body: Value,
}

impl Answer {
    pub async fn read(response: Response) -> Answer {
        let status = response.status();
        let h = response.headers();
        let text = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (location, etag) = (text(header::LOCATION), text(header::ETAG));
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024).await.unwrap_or_default();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, location, etag, body }
    }

    /// The entry of a batch-response or transaction-response: the status line, where and which
    /// version, and the resource or the OperationOutcome the request answered with.
    pub fn entry(self) -> Value {
        let status = self.status;
        let mut answer = json!({
            "status": format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("")).trim_end().to_string()
        });
        if let Some(l) = self.location {
            answer["location"] = json!(l);
        }
        if let Some(e) = self.etag {
            answer["etag"] = json!(e);
        }
        let mut entry = json!({ "response": answer });
        if self.body.get("resourceType").and_then(Value::as_str) == Some("OperationOutcome") && !status.is_success() {
            entry["response"]["outcome"] = self.body;
        } else if self.body.is_object() {
            entry["resource"] = self.body;
        }
        entry
    }
}
