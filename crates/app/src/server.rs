//! The web server: the router, the middleware every request passes through, and a graceful
//! stop on SIGTERM or Ctrl-C.

use crate::auth::{csrf, session};
use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;
use crate::web;
use crate::web::layout::{EMERGENCY_ACCESS, OPEN_RECORD, REQUEST_ID};
use crate::web::routes::{Route, Routes};
use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use carethread_store::{Db, sessions};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// A Content-Security-Policy with no inline script or style: every script and stylesheet is a
/// file served from this site.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The Prometheus recorder is process-wide; tests start several servers in one process.
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5],
                )
                .and_then(|b| b.install_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
        })
        .clone()
}

pub async fn state(db: Db, config: Config) -> anyhow::Result<AppState> {
    Ok(AppState { db, config: Arc::new(config), metrics: metrics_handle(), dummy_hash: Arc::default() })
}

/// The pages: everything a person reaches with a session.
fn page_routes() -> Routes<AppState> {
    Routes::default()
        .merge(web::home::router())
        .merge(web::sign_in::router())
        .merge(web::people::router())
        .merge(web::themes::router())
        .merge(web::reviews::router())
        .merge(web::tasks::router())
        .merge(web::today::router())
        .merge(web::plans::router())
        .merge(web::plan_views::router())
        .merge(web::consents::router())
        .merge(web::plan_quality::router())
        .merge(web::access_log::router())
        .merge(web::break_glass::router())
        .merge(web::supporters::router())
        .merge(web::insights::router())
        .merge(web::easy_read::router())
        .merge(web::admin::router())
        .merge(web::two_factor::router())
}

/// Health checks, metrics and static files: no session needed.
fn open_routes() -> Routes<AppState> {
    Routes::default().merge(web::health::router()).merge(web::assets::router())
}

/// The machine interfaces: bearer tokens instead of sessions, so no cookies and no form tokens.
fn api_routes() -> Routes<AppState> {
    crate::api::router()
}

/// Every method and path the service answers, from the same route lists the router is built
/// from: what the authorisation matrix test walks.
pub fn route_table() -> Vec<Route> {
    let mut table: Vec<Route> = page_routes().table().to_vec();
    table.extend_from_slice(open_routes().table());
    table.extend_from_slice(api_routes().table());
    table
}

pub fn router(state: AppState) -> Router {
    // The pages: each request is matched to its session and every change is checked for forgery.
    // Layers wrap the routes added before them, innermost first.
    let pages = page_routes()
        .into_router()
        .layer(middleware::from_fn(csrf::verify))
        .layer(middleware::from_fn_with_state(state.clone(), session::load))
        .layer(tower_http::csrf::CsrfLayer::new().with_rejection_response(|_| AppError::BadFormToken.into_response()));
    // Behind HTTPS (the operator says so with --secure-cookies), browsers are told to use it
    // always, for a year: no first request in the clear that could be intercepted.
    let hsts = state.config.secure_cookies.then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        )
    });
    // Health checks, metrics and static files never need a session, so they skip its database
    // lookups; everything below still gets the security headers, request ids and metrics.
    pages
        .merge(open_routes().into_router())
        .merge(crate::api::fhir::layered(api_routes().into_router(), &state))
        .fallback(|| async { AppError::NotFound })
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(tower::util::option_layer(hsts))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        // Pages carry personal data: no browser or proxy may keep a copy.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(CatchPanicLayer::custom(|_| AppError::Internal(anyhow::anyhow!("a handler panicked")).into_response()))
        .layer(middleware::from_fn(observe))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .with_state(state)
}

/// The person whose record a path is inside (`/people/{id}/...`), so every page of the record
/// can show the record's own links (the crisis plan among them) without each handler passing it.
fn open_record(path: &str) -> Option<carethread_domain::PersonId> {
    let rest = path.strip_prefix("/people/")?;
    rest.split('/').next()?.parse().ok()
}

/// Logs one line per request and counts it for `/metrics`, by route pattern, never by the
/// concrete URL: URLs carry record ids and search text, which must not reach the logs.
async fn observe(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let request_id = req.headers().get(&REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("none").to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, route = %route);
    let record = open_record(req.uri().path());
    let handled = REQUEST_ID.scope(
        request_id,
        OPEN_RECORD.scope(
            record,
            EMERGENCY_ACCESS
                .scope(std::cell::Cell::new(None), web::people::TIES.scope(Default::default(), next.run(req))),
        ),
    );
    let response = tracing::Instrument::instrument(handled, span.clone()).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let labels = [("method", method), ("route", route), ("status", status.to_string())];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(elapsed.as_secs_f64());
    span.in_scope(|| tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1000.0, "served"));
    response
}

/// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish before returning.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    let db = state.db.clone();
    let sweeper = tokio::spawn(sweep_sessions(state.clone()));
    let checkpoints = tokio::spawn(checkpoint_audit(state.db.clone()));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    sweeper.abort();
    checkpoints.abort();
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Every minute: closes emergency accesses whose time ran out (auditing each end; a lapsed
/// access already gives nothing, as the policy reads its expiry), and every five minutes removes
/// timed-out sessions, old sign-in failures and day-old bulk exports.
async fn sweep_sessions(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    let mut ticks: u64 = 0;
    loop {
        every.tick().await;
        ticks += 1;
        if let Err(e) = carethread_store::break_glass::close_lapsed(&state.db).await {
            tracing::warn!(error = %e, "could not close lapsed emergency accesses");
        }
        if ticks % 5 != 1 {
            continue;
        }
        let now = carethread_store::now();
        let longest_idle = state.config.staff_idle.max(state.config.person_idle);
        let idle_cutoff = now - chrono::Duration::from_std(longest_idle).unwrap_or_default();
        let failures_cutoff = now - chrono::Duration::from_std(crate::config::THROTTLE_WINDOW).unwrap_or_default();
        if let Err(e) = sessions::sweep(&state.db, idle_cutoff, failures_cutoff).await {
            tracing::warn!(error = %e, "could not sweep old sessions");
        }
        // Sign-in challenges last minutes; an hour-old one is long dead.
        let challenge_cutoff = now - chrono::Duration::hours(1);
        if let Err(e) =
            carethread_store::two_factor::end_challenge(&state.db, uuid::Uuid::nil(), challenge_cutoff).await
        {
            tracing::warn!(error = %e, "could not sweep old sign-in challenges");
        }
        // Bulk exports are kept for a day; one still running after six hours lost its server.
        if let Err(e) = carethread_store::exports::tidy(
            &state.db,
            now - chrono::Duration::days(1),
            now - chrono::Duration::hours(6),
        )
        .await
        {
            tracing::warn!(error = %e, "could not tidy old bulk exports");
        }
    }
}

/// Records a checkpoint of every audit chain each hour (the first an hour after start), so an
/// administrator can export them (`carethread audit checkpoints`) and later prove with
/// `carethread audit verify --against` that the log was not rewritten.
async fn checkpoint_audit(db: Db) {
    let hour = Duration::from_secs(3600);
    let mut every = tokio::time::interval_at(tokio::time::Instant::now() + hour, hour);
    loop {
        every.tick().await;
        if let Err(e) = carethread_store::audit_chain::checkpoint(&db).await {
            tracing::warn!(error = %e, "could not record an audit checkpoint");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("stopping: finishing requests in flight");
}

/// Opens the database, brings its schema up to date and builds the state a server needs.
pub async fn open(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}
