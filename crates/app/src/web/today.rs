//! "Today" for a team: reviews this week, overdue tasks, people whose latest review judged a
//! theme to have slipped back, and people with no review within their review period.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use carethread_domain::TeamId;
use carethread_domain::policy::{Action, decide};
use carethread_store::accounts::{self, TeamRow};
use carethread_store::today::{self, Today};
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/today" => get(today_page),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "today.html")]
struct TodayPage {
    layout: Layout,
    today: Today,
    teams: Vec<TeamRow>,
    /// The team shown, or none for every team.
    team: Option<TeamId>,
    date: chrono::NaiveDate,
}

impl TodayPage {
    fn is_team(&self, team: &TeamRow) -> bool {
        self.team.map(|t| t.as_uuid()) == Some(team.id)
    }
}

#[derive(Deserialize, Default)]
struct TeamQuery {
    team: Option<String>,
}

async fn today_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Query(q): Query<TeamQuery>,
) -> Result<Response, AppError> {
    if let carethread_domain::policy::Decision::Deny(reason) = decide(&viewer.principal(), Action::FindPeople, None) {
        return Err(AppError::Forbidden(reason.to_string()));
    }
    let org = viewer.user.org();
    let teams: Vec<TeamRow> =
        accounts::list_teams(&state.db, Some(org)).await?.into_iter().filter(|t| t.active).collect();
    // The viewer's own team by default; "all" for every team; a team of another organisation is
    // not one of the choices and is refused.
    let team = match q.team.as_deref() {
        None => viewer.user.team_id.map(TeamId::from_uuid),
        Some("all") => None,
        Some(raw) => {
            let id: uuid::Uuid = raw.parse().map_err(|_| AppError::NotFound)?;
            Some(TeamId::from_uuid(teams.iter().find(|t| t.id == id).ok_or(AppError::NotFound)?.id))
        }
    };
    let date = carethread_store::now().date_naive();
    let today = today::for_team(&state.db, &viewer.audit(&meta), &viewer.principal(), team, date).await?;
    Ok(TodayPage { layout: Layout::new(&viewer, "Today", "/today"), today, teams, team, date }.into_response())
}
