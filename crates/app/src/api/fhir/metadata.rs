//! `GET /fhir/metadata`: what this server supports. Readable without signing in.

use super::{base_url, resource_response};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

pub async fn capability_statement(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let date = carethread_store::now().date_naive().to_string();
    let statement =
        carethread_fhir::capability::statement(&base_url(&state, &headers), env!("CARGO_PKG_VERSION"), &date);
    resource_response(StatusCode::OK, &statement, None)
}
