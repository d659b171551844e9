//! The machine interfaces: FHIR R4 at `/fhir`, described at `/api/openapi.json`. Callers sign
//! in with a bearer token; the same policy and audit as the pages apply to every request and
//! every row.

pub mod fhir;
pub mod openapi;

use crate::state::AppState;
use crate::web::routes::{Routes, routes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub fn router() -> Routes<AppState> {
    fhir::router().merge(routes! {
        "/api/openapi.json" => get(openapi_json),
    })
}

/// Built once, from the route table, on first request.
static OPENAPI: std::sync::OnceLock<String> = std::sync::OnceLock::new();

async fn openapi_json() -> Response {
    let doc = OPENAPI.get_or_init(|| openapi::document(router().table(), env!("CARGO_PKG_VERSION")).to_string());
    let mut r = doc.clone().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
