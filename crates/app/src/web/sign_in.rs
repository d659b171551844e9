//! Signing in and out.

use crate::auth::session::{
    PRE_SESSION_CSRF_COOKIE, SESSION_COOKIE, SessionTimedOut, clear_cookie, cookie_value, pre_session_csrf, set_cookie,
};
use crate::auth::{RequestMeta, Viewer, password, token};
use crate::config::{MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, THROTTLE_WINDOW};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Form, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use carethread_store::{AuditContext, accounts, sessions, two_factor};
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/sign-in" => get(show).post(submit),
        "/sign-out" => post(sign_out),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    next: String,
    username: String,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
    /// Just back from accepting an invitation.
    #[serde(default)]
    invited: Option<String>,
    /// The time for entering a two-factor code ran out.
    #[serde(default)]
    code: Option<String>,
}

/// Only a path on this site may be a destination after sign-in (never another site).
pub(crate) fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_string()
    } else {
        "/".to_string()
    }
}

async fn show(
    State(state): State<AppState>,
    viewer: Option<Extension<Viewer>>,
    timed_out: Option<Extension<SessionTimedOut>>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    if viewer.is_some() {
        return Redirect::to(&safe_next(&q.next)).into_response();
    }
    let (csrf, set) = pre_session_csrf(&headers, state.config.secure_cookies);
    let notice = if timed_out.is_some() {
        Some(
            "You were signed out because you had not used Carethread for a while. Sign in again to carry on."
                .to_string(),
        )
    } else if q.signed_out.is_some() {
        Some("You have signed out.".to_string())
    } else if q.code.is_some() {
        Some("The time to enter your code ran out, or there were too many tries. Sign in again.".to_string())
    } else if q.invited.is_some() {
        Some("Your account is ready. Sign in with the username and password you chose.".to_string())
    } else {
        None
    };
    let page = SignInPage {
        layout: Layout::anonymous("Sign in", csrf),
        next: safe_next(&q.next),
        username: String::new(),
        error: None,
        notice,
    };
    (AppendHeaders(set.map(|c| (SET_COOKIE, c))), page).into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn submit(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let username = form.username.trim().to_lowercase();
    let since = carethread_store::now() - chrono::Duration::from_std(THROTTLE_WINDOW).unwrap_or_default();
    let (by_account, by_address) = sessions::recent_failures(&state.db, &username, &meta.ip, since).await?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::TooManyAttempts { retry_after_secs: THROTTLE_WINDOW.as_secs() });
    }
    let found = if username.is_empty() || username.len() > 64 {
        None
    } else {
        accounts::password_hash(&state.db, &username).await?
    };
    // Check a real hash even when there is no such account, so the time taken does not reveal
    // which usernames exist.
    let stored = match found.as_ref().and_then(|(_, h)| h.clone()) {
        Some(hash) => hash,
        None => state.dummy_hash.get_or_try_init(|| password::hash(token::random_secret())).await?.clone(),
    };
    let password_ok = password::verify(form.password, stored).await;
    let user = match found {
        Some((user, Some(_))) if password_ok && user.active => user,
        other => {
            let ctx = AuditContext {
                org_id: other.as_ref().map(|(u, _)| u.org()),
                user_id: other.as_ref().map(|(u, _)| u.user_id()),
                username: if username.is_empty() { "(blank)".into() } else { username.chars().take(64).collect() },
                role: other.as_ref().map(|(u, _)| u.role.clone()).unwrap_or_else(|| "unknown".into()),
                ip: meta.ip.clone(),
                request_id: meta.request_id.clone(),
            };
            sessions::record_failure(&state.db, &ctx, &ctx.username, &meta.ip).await?;
            let page = SignInPage {
                layout: Layout::anonymous("Sign in", form.csrf),
                next: safe_next(&form.next),
                username: form.username.chars().take(64).collect(),
                error: Some(
                    "Enter a correct username and password. After 5 wrong tries, signing in is paused for 15 minutes."
                        .into(),
                ),
                notice: None,
            };
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
    };
    // With two-factor sign-in on, the password only opens the door to the code.
    if user.two_factor {
        let challenge = token::random_secret();
        two_factor::start_challenge(
            &state.db,
            user.user_id(),
            user.org(),
            &token::hash(&challenge),
            &safe_next(&form.next),
        )
        .await?;
        let cookie = set_cookie(crate::web::two_factor::CHALLENGE_COOKIE, challenge, state.config.secure_cookies);
        return Ok((AppendHeaders([(SET_COOKIE, cookie)]), Redirect::to("/sign-in/code")).into_response());
    }
    start_session(&state, &user, meta, &headers, &form.next).await
}

/// Starts a session for someone who has proved who they are, replacing any session id the
/// browser held, and sends them on to `next` (a path on this site).
pub(crate) async fn start_session(
    state: &AppState,
    user: &accounts::UserRow,
    meta: RequestMeta,
    headers: &HeaderMap,
    next: &str,
) -> Result<Response, AppError> {
    let secret = token::random_secret();
    let csrf = token::random_secret();
    let previous = cookie_value(headers, SESSION_COOKIE).map(token::hash);
    let ctx = AuditContext {
        org_id: Some(user.org()),
        user_id: Some(user.user_id()),
        username: user.username.clone(),
        role: user.role.clone(),
        ip: meta.ip,
        request_id: meta.request_id,
    };
    sessions::start(&state.db, &ctx, user.user_id(), user.org(), &token::hash(&secret), &csrf, previous.as_deref())
        .await?;
    let secure = state.config.secure_cookies;
    Ok((
        AppendHeaders([
            (SET_COOKIE, set_cookie(SESSION_COOKIE, secret, secure)),
            (SET_COOKIE, clear_cookie(PRE_SESSION_CSRF_COOKIE, secure)),
            (SET_COOKIE, clear_cookie(crate::web::two_factor::CHALLENGE_COOKIE, secure)),
        ]),
        Redirect::to(&safe_next(next)),
    )
        .into_response())
}

async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if let Some(secret) = cookie_value(&headers, SESSION_COOKIE) {
        sessions::end(&state.db, &viewer.audit(&meta), &token::hash(secret)).await?;
    }
    Ok((
        AppendHeaders([(SET_COOKIE, clear_cookie(SESSION_COOKIE, state.config.secure_cookies))]),
        Redirect::to("/sign-in?signed_out=1"),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(super::safe_next("/people/1"), "/people/1");
        assert_eq!(super::safe_next("//evil.example"), "/");
        assert_eq!(super::safe_next("https://evil.example"), "/");
        assert_eq!(super::safe_next("/\\evil.example"), "/");
    }
}
