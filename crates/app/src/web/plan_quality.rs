//! The plan-quality report: for a team (or the whole organisation), the share of open cases
//! whose plan meets each audit criterion, and the list of those that do not, with why.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use carethread_domain::plan::quality::{Criterion, CurrentPlan, check};
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::{PersonId, TeamId};
use carethread_store::{audit, plans};
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/plans/quality" => get(report),
    }
}

pub struct Share {
    pub criterion: Criterion,
    pub met: usize,
    pub total: usize,
}

impl Share {
    pub fn percent(&self) -> usize {
        (self.met * 100 + self.total / 2).checked_div(self.total).unwrap_or(0)
    }
}

pub struct Shortfall {
    pub person_id: PersonId,
    pub name: String,
    pub team: String,
    pub why: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "plan_quality.html")]
struct ReportPage {
    layout: Layout,
    teams: Vec<(TeamId, String)>,
    team: Option<TeamId>,
    /// The team as the report's links carry it.
    team_query: String,
    shares: Vec<Share>,
    criterion: Option<Criterion>,
    shortfalls: Vec<Shortfall>,
}

impl ReportPage {
    fn is_team(&self, id: &TeamId) -> bool {
        self.team == Some(*id)
    }
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    team: Option<String>,
    criterion: Option<String>,
}

async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Query(q): Query<ReportQuery>,
) -> Result<Response, AppError> {
    if let Decision::Deny(reason) = decide(&viewer.principal(), Action::ViewPlanQuality, None) {
        return Err(AppError::Forbidden(reason.to_string()));
    }
    let (teams, team) =
        crate::web::choose_team(&state, &viewer, q.team.as_deref(), viewer.user.team_id.map(TeamId::from_uuid)).await?;
    let criterion = match q.criterion.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(slug) => Some(
            Criterion::from_slug(slug)
                .ok_or_else(|| AppError::BadRequest("Choose a criterion from the report.".into()))?,
        ),
    };
    let today = crate::web::current_date();
    let rows = plans::for_quality_report(&state.db, &viewer.audit(&meta), &viewer.principal(), team).await?;
    let mut shares: Vec<Share> = Criterion::ALL.into_iter().map(|c| Share { criterion: c, met: 0, total: 0 }).collect();
    let mut shortfalls = Vec::new();
    for row in &rows {
        let current = row.plan.current().and_then(|v| {
            Some(CurrentPlan { content: &v.content, agreement: v.agreement.as_ref()?, review_due: v.review_due? })
        });
        let consents: Vec<_> = row.consents.iter().filter(|c| c.in_force(today)).map(|c| &c.details).collect();
        for (c, result) in check(current.as_ref(), &consents, today) {
            if let Some(share) = shares.iter_mut().find(|s| s.criterion == c) {
                share.total += 1;
                share.met += usize::from(result.is_ok());
            }
            if let (Some(wanted), Err(why)) = (criterion, result)
                && wanted == c
            {
                shortfalls.push(Shortfall {
                    person_id: row.person_id,
                    name: row.name.clone(),
                    team: row.team_name.clone().unwrap_or_else(|| "No team".into()),
                    why,
                });
            }
        }
    }
    let named: Vec<PersonId> = shortfalls.iter().map(|s| s.person_id).collect();
    audit::record_each(&state.db, &viewer.audit(&meta), &named, "listed in the plan-quality report").await?;
    Ok(ReportPage {
        layout: Layout::new(&viewer, "Plan quality", "/plans/quality"),
        teams,
        team_query: team.map_or_else(|| "all".to_string(), |t| t.to_string()),
        team,
        shares,
        criterion,
        shortfalls,
    }
    .into_response())
}
