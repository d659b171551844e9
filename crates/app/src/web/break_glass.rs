//! Emergency ("break-glass") access, from the member of staff's side (ask with a reason, read,
//! end it) and the reviewer's (the queue of accesses, each marked justified or a concern).

use crate::auth::session::{SESSION_COOKIE, cookie_value, set_cookie};
use crate::auth::{RequestMeta, Viewer, token};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::people::{authorise, target};
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::search::PeopleQuery;
use carethread_store::break_glass::{self, GrantRow, Reason, Rotation, Scope, Verdict};
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/emergency-access" => get(queue_page),
        "/emergency-access/find" => get(find),
        "/emergency-access/{grant}/review" => post(review),
        "/people/{id}/emergency-access" => get(ask_form).post(start),
        "/people/{id}/emergency-access/end" => post(end),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "break_glass_ask.html")]
struct AskPage {
    layout: Layout,
    person_id: carethread_domain::PersonId,
    reason: String,
    error: Option<&'static str>,
    hours: i64,
}

async fn ask_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    // Someone who already has a relationship has nothing to ask for.
    if let Ok(id) = raw.parse()
        && crate::web::people::allowed(&state, &viewer, Action::ReadPerson, id).await?
    {
        return Ok(Redirect::to(&format!("/people/{id}")).into_response());
    }
    let person_id = authorise(&state, &viewer, &meta, Action::BreakGlass, &raw).await?;
    Ok(ask_page(&viewer, person_id, String::new(), None).into_response())
}

fn ask_page(
    viewer: &Viewer,
    person_id: carethread_domain::PersonId,
    reason: String,
    error: Option<&'static str>,
) -> AskPage {
    AskPage {
        layout: Layout::new(viewer, "Emergency access to a record", ""),
        person_id,
        reason,
        error,
        hours: break_glass::DEFAULT_HOURS,
    }
}

/// Every field defaults, so a malformed form reaches the policy check before any validation.
#[derive(Deserialize)]
struct AskForm {
    #[serde(default)]
    reason: String,
}

async fn start(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(raw): Path<String>,
    headers: HeaderMap,
    Form(form): Form<AskForm>,
) -> Result<Response, AppError> {
    let person_id = authorise(&state, &viewer, &meta, Action::BreakGlass, &raw).await?;
    let reason = match Reason::parse(&form.reason) {
        Ok(r) => r,
        Err(message) => {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, ask_page(&viewer, person_id, form.reason, Some(message)))
                .into_response());
        }
    };
    // A new session id from here on, so an id seen before the access cannot ride on it.
    let old = cookie_value(&headers, SESSION_COOKIE).map(token::hash);
    let (secret, csrf) = (token::random_secret(), token::random_secret());
    let new_hash = token::hash(&secret);
    let rotation =
        old.as_deref().map(|old| Rotation { old_token_hash: old, new_token_hash: &new_hash, new_csrf: &csrf });
    break_glass::start(&state.db, &viewer.audit(&meta), person_id, &reason, rotation).await?;
    let redirect = Redirect::to(&format!("/people/{person_id}"));
    if old.is_some() {
        let cookie = set_cookie(SESSION_COOKIE, secret, state.config.secure_cookies);
        Ok((AppendHeaders([(SET_COOKIE, cookie)]), redirect).into_response())
    } else {
        Ok(redirect.into_response())
    }
}

async fn end(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    if !viewer.role.works_with_named_records() {
        return Err(AppError::Forbidden("Only staff use emergency access.".into()));
    }
    let person_id: carethread_domain::PersonId = raw.parse().map_err(|_| AppError::NotFound)?;
    // Ending one's own access needs no permission beyond holding it; with none, nothing happens.
    break_glass::end(&state.db, &viewer.audit(&meta), person_id).await?;
    let home = if viewer.role.works_with_named_records() { "/caseload" } else { "/" };
    Ok(Redirect::to(&format!("{home}?emergency=ended")).into_response())
}

#[derive(Deserialize)]
struct FindQuery {
    #[serde(default)]
    nhs_number: String,
}

/// Finds a record by its NHS number (the only way in for someone with no relationship, so a
/// name cannot be browsed for) and sends the asker to the emergency access form.
async fn find(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Query(q): Query<FindQuery>,
) -> Result<Response, AppError> {
    if let Decision::Deny(reason) = decide(&viewer.principal(), Action::FindPeople, None) {
        return Err(AppError::Forbidden(reason.to_string()));
    }
    let nhs = match PeopleQuery::parse(&q.nhs_number) {
        Ok(PeopleQuery::NhsNumber(n)) => n,
        _ => {
            return Err(AppError::BadRequest(
                "Enter the person's 10-digit NHS number, such as 999 000 0018, to ask for emergency access.".into(),
            ));
        }
    };
    let Some(id) = carethread_store::people::id_by_nhs_number(&state.db, viewer.user.org(), &nhs).await? else {
        return Err(AppError::BadRequest(
            "No one with that NHS number has a case here. Check the number, or register the person.".into(),
        ));
    };
    let Some(t) = target(&state, &viewer, id).await? else { return Err(AppError::NotFound) };
    if decide(&viewer.principal(), Action::ReadPerson, Some(&t)).is_allowed() {
        return Ok(Redirect::to(&format!("/people/{id}")).into_response());
    }
    authorise(&state, &viewer, &meta, Action::BreakGlass, &id.to_string()).await?;
    Ok(Redirect::to(&format!("/people/{id}/emergency-access")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "break_glass_queue.html")]
struct QueuePage {
    layout: Layout,
    grants: Vec<GrantRow>,
    now: chrono::DateTime<chrono::Utc>,
    /// A review that could not be recorded: (grant, why).
    problem: Option<(uuid::Uuid, &'static str)>,
    /// The reviewer's own account: their own accesses are someone else's to review.
    me: uuid::Uuid,
}

impl QueuePage {
    fn problem_for(&self, id: &uuid::Uuid) -> Option<&'static str> {
        self.problem.filter(|(g, _)| g == id).map(|(_, m)| m)
    }
    fn waiting(&self) -> usize {
        self.grants.iter().filter(|g| g.reviewed_at.is_none()).count()
    }
}

/// A team manager reviews accesses by their team's staff or to their team's records; an
/// administrator, as privacy officer, the organisation's.
fn scope(viewer: &Viewer) -> Scope {
    if viewer.role == carethread_domain::Role::Admin {
        Scope::Organisation
    } else {
        Scope::Team(viewer.user.team_id.map(carethread_domain::TeamId::from_uuid))
    }
}

async fn queue(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    problem: Option<(uuid::Uuid, &'static str)>,
) -> Result<QueuePage, AppError> {
    if let Decision::Deny(reason) = decide(&viewer.principal(), Action::ReviewBreakGlass, None) {
        return Err(AppError::Forbidden(reason.to_string()));
    }
    let grants = break_glass::queue(&state.db, &viewer.audit(meta), viewer.user.org(), scope(viewer)).await?;
    Ok(QueuePage {
        layout: Layout::new(viewer, "Emergency access to review", "/emergency-access"),
        grants,
        now: carethread_store::now(),
        problem,
        me: viewer.user.id,
    })
}

async fn queue_page(State(state): State<AppState>, viewer: Viewer, meta: RequestMeta) -> Result<Response, AppError> {
    Ok(queue(&state, &viewer, &meta, None).await?.into_response())
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    note: String,
}

async fn review(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(raw): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, AppError> {
    if let Decision::Deny(reason) = decide(&viewer.principal(), Action::ReviewBreakGlass, None) {
        return Err(AppError::Forbidden(reason.to_string()));
    }
    let grant = crate::web::record_id(&raw)?;
    let outcome = match Verdict::parse(&form.verdict) {
        None => Err("Choose whether the access was justified or is a concern."),
        Some(verdict) => {
            let org = viewer.user.org();
            break_glass::review(&state.db, &viewer.audit(&meta), org, scope(&viewer), grant, verdict, &form.note)
                .await?
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/emergency-access").into_response()),
        Err(message) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, queue(&state, &viewer, &meta, Some((grant, message))).await?)
                .into_response())
        }
    }
}
