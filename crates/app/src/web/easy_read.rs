//! Easy-read mode: large type, short lines and pictograms. A person's record opens in easy read
//! when they prefer it; anyone viewing can switch it on or off for themselves, and that choice
//! (kept in a cookie, as it is only about how pages look) wins until they switch back.

use crate::web::routes::{Routes, routes};
use crate::web::sign_in::safe_next;
use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;

const COOKIE: &str = "ct_view";

pub fn router<S: Clone + Send + Sync + 'static>() -> Routes<S> {
    routes! {
        "/view/{mode}" => get(switch),
    }
}

/// Whether to show pages in easy read: the viewer's own choice if they made one, otherwise the
/// person's preference.
pub fn wanted(headers: &HeaderMap, person_prefers: bool) -> bool {
    match crate::auth::session::cookie_value(headers, COOKIE) {
        Some("easy-read") => true,
        Some("standard") => false,
        _ => person_prefers,
    }
}

#[derive(Deserialize)]
struct Back {
    #[serde(default)]
    back: String,
}

async fn switch(Path(mode): Path<String>, Query(q): Query<Back>) -> Response {
    let value = match mode.as_str() {
        "easy-read" | "standard" => mode,
        _ => return crate::error::AppError::NotFound.into_response(),
    };
    let cookie =
        cookie::Cookie::build((COOKIE, value)).path("/").same_site(cookie::SameSite::Lax).http_only(true).build();
    (AppendHeaders([(SET_COOKIE, cookie.to_string())]), Redirect::to(&safe_next(&q.back))).into_response()
}
