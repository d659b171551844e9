//! Two-factor sign-in for staff: setting up an authenticator app, entering its code after the
//! password, and turning it off. An organisation that requires it sends its staff to set it up
//! before anything else (see `auth::session`).

use crate::auth::session::{cookie_value, pre_session_csrf};
use crate::auth::{RequestMeta, Viewer, token, totp};
use crate::config::{MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS, THROTTLE_WINDOW};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use carethread_domain::UserId;
use carethread_store::{AuditContext, accounts, sessions, two_factor};
use serde::Deserialize;

/// Holds the sign-in challenge between the password and the code.
pub const CHALLENGE_COOKIE: &str = "ct_2fa";
/// How long, and how many tries, the code may take after a correct password.
const CHALLENGE_MINUTES: i64 = 5;
const CHALLENGE_TRIES: i32 = 5;

pub fn router() -> Routes<AppState> {
    routes! {
        "/sign-in/code" => get(code_form).post(code_submit),
        "/account/two-factor" => get(setup_page).post(confirm),
        "/account/two-factor/off" => post(turn_off),
    }
}

#[derive(Deserialize, Default)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

// ---- After the password ----

#[derive(Template, WebTemplate)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    layout: Layout,
    error: Option<&'static str>,
}

/// The challenge this browser holds, while it is still usable.
async fn live_challenge(state: &AppState, headers: &HeaderMap) -> Result<Option<two_factor::Challenge>, AppError> {
    let Some(raw) = cookie_value(headers, CHALLENGE_COOKIE) else { return Ok(None) };
    let Some(c) = two_factor::challenge(&state.db, &token::hash(raw)).await? else { return Ok(None) };
    let now = carethread_store::now();
    if c.attempts >= CHALLENGE_TRIES || now - c.created_at > chrono::Duration::minutes(CHALLENGE_MINUTES) {
        two_factor::end_challenge(&state.db, c.id, now - chrono::Duration::minutes(CHALLENGE_MINUTES)).await?;
        return Ok(None);
    }
    Ok(Some(c))
}

const START_AGAIN: &str = "/sign-in?code=expired";

async fn code_form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if live_challenge(&state, &headers).await?.is_none() {
        return Ok(Redirect::to(START_AGAIN).into_response());
    }
    let (csrf, set) = pre_session_csrf(&headers, state.config.secure_cookies);
    let page = CodePage { layout: Layout::anonymous("Enter the code from your app", csrf), error: None };
    Ok((AppendHeaders(set.map(|c| (SET_COOKIE, c))), page).into_response())
}

async fn code_submit(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some(challenge) = live_challenge(&state, &headers).await? else {
        return Ok(Redirect::to(START_AGAIN).into_response());
    };
    let user_id = UserId::from_uuid(challenge.user_id);
    let Some(user) = accounts::user_by_id(&state.db, user_id).await?.filter(|u| u.active) else {
        return Ok(Redirect::to(START_AGAIN).into_response());
    };
    // Wrong codes count towards the same pause as wrong passwords.
    let since = carethread_store::now() - chrono::Duration::from_std(THROTTLE_WINDOW).unwrap_or_default();
    let (by_account, by_address) = sessions::recent_failures(&state.db, &user.username, &meta.ip, since).await?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::TooManyAttempts { retry_after_secs: THROTTLE_WINDOW.as_secs() });
    }
    if !code_accepted(&state, user_id, &form.code).await? {
        two_factor::challenge_failed(&state.db, challenge.id).await?;
        let ctx = AuditContext {
            org_id: Some(user.org()),
            user_id: Some(user_id),
            username: user.username.clone(),
            role: user.role.clone(),
            ip: meta.ip.clone(),
            request_id: meta.request_id.clone(),
        };
        sessions::record_failure(&state.db, &ctx, &user.username, &meta.ip).await?;
        let (csrf, _) = pre_session_csrf(&headers, state.config.secure_cookies);
        let page = CodePage {
            layout: Layout::anonymous("Enter the code from your app", csrf),
            error: Some("That code is not right, or was used already. Enter the 6-digit code your app shows now."),
        };
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    }
    let older = carethread_store::now() - chrono::Duration::minutes(CHALLENGE_MINUTES);
    two_factor::end_challenge(&state.db, challenge.id, older).await?;
    crate::web::sign_in::start_session(&state, &user, meta, &headers, &challenge.next).await
}

/// Whether `typed` is the account's current code, not used before; using it uses it up.
async fn code_accepted(state: &AppState, user: UserId, typed: &str) -> Result<bool, AppError> {
    let current = two_factor::state(&state.db, user).await?;
    match current.secret.as_deref().and_then(|s| totp::check(s, typed, totp::unix_now())) {
        Some(step) => Ok(two_factor::accept_step(&state.db, user, step).await?),
        None => Ok(false),
    }
}

// ---- Setting it up, and turning it off ----

#[derive(Template, WebTemplate)]
#[template(path = "two_factor.html")]
struct SetupPage {
    layout: Layout,
    /// On already.
    enabled: bool,
    /// The organisation requires it.
    required: bool,
    /// While setting up: the QR code, and the secret to type instead.
    qr: Option<String>,
    secret: Option<String>,
    error: Option<&'static str>,
    just_enabled: bool,
}

fn staff_only(viewer: &Viewer) -> Result<(), AppError> {
    if viewer.role.is_staff() {
        Ok(())
    } else {
        Err(AppError::Forbidden("Two-factor sign-in is for staff accounts.".into()))
    }
}

async fn setup(
    state: &AppState,
    viewer: &Viewer,
    error: Option<&'static str>,
    just_enabled: bool,
) -> Result<SetupPage, AppError> {
    let current = two_factor::state(&state.db, viewer.user.user_id()).await?;
    let enabled = current.secret.is_some();
    let (qr, secret) = if enabled {
        (None, None)
    } else {
        // The same secret until it is confirmed, so reloading the page after scanning it does
        // not break the app just set up; only a confirmed secret is used to sign in.
        let secret = match current.pending {
            Some(pending) => pending,
            None => {
                let fresh = totp::new_secret();
                two_factor::set_pending(&state.db, viewer.user.user_id(), &fresh).await?;
                fresh
            }
        };
        let uri = totp::setup_uri(&secret, &viewer.user.username, &format!("Carethread {}", viewer.user.org_name))
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("could not build the set-up address")))?;
        (totp::qr_svg(&uri), Some(totp::grouped(&secret)))
    };
    Ok(SetupPage {
        layout: Layout::new(viewer, "Two-factor sign-in", "/account/two-factor"),
        enabled,
        required: viewer.user.org_requires_two_factor,
        qr,
        secret,
        error,
        just_enabled,
    })
}

async fn setup_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    staff_only(&viewer)?;
    Ok(setup(&state, &viewer, None, false).await?.into_response())
}

async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    staff_only(&viewer)?;
    let current = two_factor::state(&state.db, viewer.user.user_id()).await?;
    let Some(pending) = current.pending else {
        return Ok(Redirect::to("/account/two-factor").into_response());
    };
    match totp::check(&pending, &form.code, totp::unix_now()) {
        Some(step) => {
            two_factor::confirm(&state.db, &viewer.audit(&meta), viewer.user.user_id(), step).await?;
            Ok(setup(&state, &viewer, None, true).await?.into_response())
        }
        None => {
            let page = setup(
                &state,
                &viewer,
                Some(
                    "That code is not right. Check the app shows Carethread, then enter the 6-digit code it shows now.",
                ),
                false,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn turn_off(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    staff_only(&viewer)?;
    if viewer.user.org_requires_two_factor {
        return Err(AppError::Forbidden(
            "Your organisation requires two-factor sign-in, so it cannot be turned off. If you lost your phone, ask an administrator to reset it."
                .into(),
        ));
    }
    if !code_accepted(&state, viewer.user.user_id(), &form.code).await? {
        let page =
            setup(&state, &viewer, Some("Enter the 6-digit code your app shows now to turn this off."), false).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    two_factor::turn_off(&state.db, &viewer.audit(&meta), viewer.user.user_id(), "turned off two-factor sign-in")
        .await?;
    Ok(Redirect::to("/account/two-factor").into_response())
}

/// Paths a member of staff may reach before setting up a required second factor.
pub fn reachable_before_setup(path: &str) -> bool {
    path == "/account/two-factor" || path == "/sign-out" || path.starts_with("/assets/")
}
