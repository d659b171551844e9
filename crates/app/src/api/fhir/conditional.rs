//! `If-None-Exist` on any create. The condition is run as the search it is, with the caller's
//! own token, so the same policy and audit apply: one match is answered instead of creating
//! (200 with that resource), more than one is refused (412), and none lets the create go ahead.
//! A match the caller may not see does not count, as it would not in the search.
//!
//! The search and the create run in one database scope, locked on the condition, so two clients
//! retrying the same create at once make one record, not two.

use super::batch::Answer;
use super::{FhirError, resource_response};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_store::Db;
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
    let condition = request.headers().get(HEADER).cloned();
    let is_create = request.method() == Method::POST;
    let (Some(kind), Some(condition), true) = (kind, condition, is_create) else {
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
    // Inside a transaction Bundle the search and the create already share its scope.
    if state.db.in_scope() {
        return match search_then_create(&state, &kind, &condition, request).await {
            Ok(r) | Err(r) => r,
        };
    }
    let scope = match state.db.scope().await {
        Ok(scope) => scope,
        Err(e) => return FhirError::from(e).into_response(),
    };
    let within = AppState { db: scope.db.clone(), ..state };
    let answer = search_then_create(&within, &kind, &condition, request).await;
    drop(within);
    let succeeded = answer.as_ref().is_ok_and(|r| r.status().is_success());
    let ended = if succeeded { scope.commit().await } else { scope.rollback().await };
    match (ended, answer) {
        (Err(e), _) => FhirError::from(e).into_response(),
        (Ok(()), Ok(r) | Err(r)) => r,
    }
}

/// The search, then (when it finds nothing) the create, both through `state`'s database.
async fn search_then_create(
    state: &AppState,
    kind: &str,
    condition: &str,
    request: Request,
) -> Result<Response, Response> {
    lock(&state.db, &format!("{kind}?{condition}")).await?;
    let service = super::service(state.clone());
    // Two hits are enough to tell one match from many.
    let uri = format!("/fhir/{kind}?{condition}&_count=2");
    let search = Request::builder().method(Method::GET).uri(uri);
    let search = credentials(request.headers(), search).body(Body::empty()).map_err(|_| {
        refused(StatusCode::BAD_REQUEST, IssueCode::Value, "If-None-Exist is not a search this server can read.".into())
    })?;
    let found = service.clone().oneshot(search).await.unwrap_or_else(|never| match never {});
    if !found.status().is_success() {
        // The search's own answer: an unknown parameter is named, a missing token refused.
        return Err(found);
    }
    let found = Answer::read(found).await.body;
    let matches: Vec<&Value> = found["entry"]
        .as_array()
        .map(|list| list.iter().filter(|e| e["search"]["mode"] != "include").map(|e| &e["resource"]).collect())
        .unwrap_or_default();
    let total = found["total"].as_u64().unwrap_or(matches.len() as u64);
    match (total, matches.first()) {
        (0, _) => {
            // The create itself, without the condition (already answered), in the same scope.
            let (mut parts, body) = request.into_parts();
            parts.headers.remove(HEADER);
            Ok(service.oneshot(Request::from_parts(parts, body)).await.unwrap_or_else(|never| match never {}))
        }
        (1, Some(existing)) => {
            let version = existing["meta"]["versionId"].as_str().and_then(|v| v.parse().ok());
            Ok(resource_response(StatusCode::OK, existing, version))
        }
        _ => Err(refused(
            StatusCode::PRECONDITION_FAILED,
            IssueCode::Duplicate,
            format!("More than one {kind} matches If-None-Exist: make the condition more specific."),
        )),
    }
}

async fn lock(db: &Db, key: &str) -> Result<(), Response> {
    db.lock_in_scope(key).await.map_err(|e| FhirError::from(e).into_response())
}

fn credentials(headers: &HeaderMap, mut request: axum::http::request::Builder) -> axum::http::request::Builder {
    for name in [header::AUTHORIZATION, header::HOST, header::USER_AGENT] {
        if let Some(v) = headers.get(&name) {
            request = request.header(name, v.clone());
        }
    }
    request
}
