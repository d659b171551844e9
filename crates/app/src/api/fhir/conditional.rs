//! `If-None-Exist` on any create. The condition is run as the search it is, with the caller's
//! own token, so the same policy and audit apply: one match is answered instead of creating
//! (200 with that resource), more than one is refused (412), and none lets the create go ahead.
//! A match the caller may not see does not count, as it would not in the search.

use super::batch::Answer;
use super::{FhirError, resource_response};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use serde_json::Value;
use tower::ServiceExt;

const HEADER: &str = "if-none-exist";

fn refused(status: StatusCode, code: IssueCode, message: String) -> Response {
    FhirError { status, outcome: OperationOutcome::at(code, "If-None-Exist", message) }.into_response()
}

pub async fn create_if_none_exist(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let kind = request
        .uri()
        .path()
        .strip_prefix("/fhir/")
        .filter(|k| !k.is_empty() && !k.contains('/') && !k.starts_with('$'))
        .map(str::to_string);
    let (Some(kind), Some(condition), &Method::POST) = (kind, request.headers().get(HEADER).cloned(), request.method())
    else {
        return next.run(request).await;
    };
    let condition = condition.to_str().unwrap_or("").trim().trim_start_matches('?').to_string();
    if condition.is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            IssueCode::Required,
            format!(
                "If-None-Exist holds a search, such as identifier=...; ask GET /fhir/{kind} which parameters it takes."
            ),
        );
    }
    // Two hits are enough to tell one match from many.
    let mut search = Request::builder().method(Method::GET).uri(format!("/fhir/{kind}?{condition}&_count=2"));
    for name in [header::AUTHORIZATION, header::HOST, header::USER_AGENT] {
        if let Some(v) = request.headers().get(&name) {
            search = search.header(name, v.clone());
        }
    }
    let Ok(search) = search.body(Body::empty()) else {
        return refused(
            StatusCode::BAD_REQUEST,
            IssueCode::Value,
            "If-None-Exist is not a search this server can read.".into(),
        );
    };
    let found = super::service(state).oneshot(search).await.unwrap_or_else(|never| match never {});
    if !found.status().is_success() {
        // The search's own answer: an unknown parameter is named, a missing token refused.
        return found;
    }
    let found = Answer::read(found).await.body;
    let matches: Vec<&Value> = found["entry"]
        .as_array()
        .map(|list| list.iter().filter(|e| e["search"]["mode"] != "include").map(|e| &e["resource"]).collect())
        .unwrap_or_default();
    let total = found["total"].as_u64().unwrap_or(matches.len() as u64);
    match (total, matches.first()) {
        (0, _) => next.run(request).await,
        (1, Some(existing)) => {
            let version = existing["meta"]["versionId"].as_str().and_then(|v| v.parse().ok());
            resource_response(StatusCode::OK, existing, version)
        }
        _ => refused(
            StatusCode::PRECONDITION_FAILED,
            IssueCode::Duplicate,
            format!("More than one {kind} matches If-None-Exist: make the condition more specific."),
        ),
    }
}
