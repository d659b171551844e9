//! The anti-forgery form token. Every state-changing request must carry the token of the
//! session it claims to come from (or, before sign-in, of the browser's pre-session cookie), as
//! the `_csrf` form field or the `X-CSRF-Token` header. This complements the Origin and
//! Sec-Fetch-Site check of `tower_http::csrf`, which runs first.

use super::session::{PRE_SESSION_CSRF_COOKIE, cookie_value};
use super::token;
use super::viewer::Viewer;
use crate::error::AppError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const FORM_FIELD: &str = "_csrf";
pub const HEADER: &str = "x-csrf-token";
/// Forms are small; a larger body is refused before it is read into memory.
const MAX_FORM_BYTES: usize = 256 * 1024;

pub async fn verify(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let expected = match req.extensions().get::<Viewer>() {
        Some(viewer) => Some(viewer.csrf.clone()),
        None => cookie_value(req.headers(), PRE_SESSION_CSRF_COOKIE).map(str::to_owned),
    };
    let Some(expected) = expected else {
        return AppError::BadFormToken.into_response();
    };
    if let Some(sent) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        return if token::same(sent, &expected) { next.run(req).await } else { AppError::BadFormToken.into_response() };
    }
    let (parts, body) = req.into_parts();
    let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return AppError::BadRequest(
                "The form was too large to accept. Shorten the longest answers and try again.".into(),
            )
            .into_response();
        }
    };
    let sent = form_urlencoded_field(&bytes, FORM_FIELD);
    match sent {
        Some(sent) if token::same(&sent, &expected) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        _ => AppError::BadFormToken.into_response(),
    }
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
