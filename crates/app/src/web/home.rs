//! Where each role lands after signing in, and a person's own details.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::Role;
use carethread_domain::policy::Action;
use carethread_store::people::{self, PersonRecord};

pub fn router() -> Routes<AppState> {
    routes! {
        "/" => get(home),
        "/me" => get(me),
    }
}

async fn home(viewer: Viewer) -> Response {
    let to = match viewer.role {
        Role::KeyWorker | Role::Clinician | Role::TeamManager | Role::PracticeAdmin => "/caseload",
        Role::Admin => "/admin",
        Role::Commissioner => "/insights",
        Role::Person => "/me",
        Role::Supporter => "/supporting",
    };
    Redirect::to(to).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "me.html")]
struct MePage {
    layout: Layout,
    record: PersonRecord,
    /// Reviews of their case still open for votes.
    open_reviews: Vec<carethread_store::reviews::ReviewSummary>,
    /// Just back from saving a prompt sheet.
    sheet_saved: bool,
}

/// A person's own record, as far as the foundation holds it: their details and their case.
#[derive(serde::Deserialize, Default)]
struct MeQuery {
    sheet: Option<String>,
}

async fn me(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    axum::extract::Query(q): axum::extract::Query<MeQuery>,
) -> Result<Response, AppError> {
    let Some(person_id) = viewer.user.person() else {
        return Err(AppError::Forbidden(
            "This page shows a person their own record. Your account is not linked to one.".into(),
        ));
    };
    if !crate::web::people::allowed(&state, &viewer, Action::ReadPerson, person_id).await? {
        return Err(AppError::NotFound);
    }
    let record = people::read(&state.db, &viewer.audit(&meta), person_id, "the person viewed their own record").await?;
    let open_reviews = carethread_store::reviews::reviews(&state.db, person_id)
        .await?
        .into_iter()
        .filter(|r| r.status == carethread_store::reviews::ReviewStatus::Scheduled)
        .collect();
    let sheet_saved = q.sheet.as_deref() == Some("saved");
    Ok(MePage { layout: Layout::new(&viewer, "My details", "/me"), record, open_reviews, sheet_saved }.into_response())
}
