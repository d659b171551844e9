//! Cookie sessions backed by the database, with idle and absolute timeouts.

use super::token;
use super::viewer::Viewer;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use carethread_domain::Role;
use carethread_store::sessions;
use cookie::{Cookie, SameSite};

pub const SESSION_COOKIE: &str = "ct_session";
/// Anti-forgery token for forms shown before sign-in (the sign-in form itself).
pub const PRE_SESSION_CSRF_COOKIE: &str = "ct_csrf";

/// Marks a response whose request arrived with a session that had just timed out, so the
/// sign-in page can say why the person has to sign in again.
#[derive(Clone, Copy, Debug)]
pub struct SessionTimedOut;

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(name: &'static str, value: String, secure: bool) -> String {
    Cookie::build((name, value)).http_only(true).secure(secure).same_site(SameSite::Lax).path("/").build().to_string()
}

/// The anti-forgery token for a form shown before sign-in: the browser's pre-session cookie,
/// or a new one with the `Set-Cookie` value that plants it.
pub fn pre_session_csrf(headers: &HeaderMap, secure: bool) -> (String, Option<String>) {
    match cookie_value(headers, PRE_SESSION_CSRF_COOKIE) {
        Some(existing) if existing.len() == 43 => (existing.to_string(), None),
        _ => {
            let fresh = super::token::random_secret();
            (fresh.clone(), Some(set_cookie(PRE_SESSION_CSRF_COOKIE, fresh, secure)))
        }
    }
}

pub fn clear_cookie(name: &'static str, secure: bool) -> String {
    let mut c = Cookie::build((name, "")).http_only(true).secure(secure).same_site(SameSite::Lax).path("/").build();
    c.make_removal();
    c.to_string()
}

/// Middleware: turns a valid session cookie into a [`Viewer`] in the request's extensions.
/// Timed-out sessions are deleted on the server and their cookie cleared.
pub async fn load(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(secret) = cookie_value(req.headers(), SESSION_COOKIE).map(str::to_owned) else {
        return next.run(req).await;
    };
    match find_viewer(&state, &secret).await {
        Ok(Found::Live(viewer)) => {
            // Staff of an organisation that requires two-factor sign-in set it up first.
            let must_set_up = viewer.role.is_staff() && viewer.user.org_requires_two_factor && !viewer.user.two_factor;
            if must_set_up && !crate::web::two_factor::reachable_before_setup(req.uri().path()) {
                return axum::response::Redirect::to("/account/two-factor").into_response();
            }
            req.extensions_mut().insert(*viewer);
            next.run(req).await
        }
        Ok(Found::TimedOut) => {
            req.extensions_mut().insert(SessionTimedOut);
            let mut response = next.run(req).await;
            if let Ok(v) = clear_cookie(SESSION_COOKIE, state.config.secure_cookies).parse() {
                response.headers_mut().append(SET_COOKIE, v);
            }
            response
        }
        Ok(Found::Nothing) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

enum Found {
    Live(Box<Viewer>),
    TimedOut,
    Nothing,
}

async fn find_viewer(state: &AppState, secret: &str) -> Result<Found, AppError> {
    let Some(session) = sessions::find(&state.db, &token::hash(secret)).await? else {
        return Ok(Found::Nothing);
    };
    let role = session.user.role()?;
    let idle = if role.is_staff() { state.config.staff_idle } else { state.config.person_idle };
    let now = carethread_store::now();
    let idle_for = (now - session.last_seen_at).to_std().unwrap_or_default();
    let age = (now - session.created_at).to_std().unwrap_or_default();
    if idle_for > idle || age > state.config.session_max {
        sessions::expire(&state.db, session.id).await?;
        return Ok(Found::TimedOut);
    }
    // Writing on every request would serialise all reads on SQLite; a minute's precision is
    // plenty for a timeout counted in minutes.
    if idle_for.as_secs() >= 60 {
        sessions::touch(&state.db, session.id).await?;
    }
    Ok(Found::Live(Box::new(Viewer { user: session.user, role, csrf: session.csrf_token })))
}

/// How long this role's sessions may stay idle, for telling people.
pub fn idle_minutes(state: &AppState, role: Role) -> u64 {
    let idle = if role.is_staff() { state.config.staff_idle } else { state.config.person_idle };
    idle.as_secs() / 60
}
