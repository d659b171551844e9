//! Liveness, readiness and metrics for whoever runs Carethread.

use crate::state::AppState;
use crate::web::routes::{Routes, routes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;

pub fn router() -> Routes<AppState> {
    routes! {
        "/healthz" => get(healthz),
        "/readyz" => get(readyz),
        "/metrics" => get(metrics),
    }
}

/// 200 while the process runs.
async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 only when the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database not answering\n")
        }
    }
}

/// Prometheus text format: request counts and latencies by route.
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render())
}
