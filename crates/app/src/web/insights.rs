//! The organisation's figures, for commissioners (and team managers and administrators): open
//! cases and signed-off reviews by team, and how each theme's democratic outcome came out, for a
//! chosen period. Numbers only, small ones suppressed (see `carethread_domain::insights`).

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
use carethread_domain::insights::{Figure, distribution, row};
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::themes::Theme;
use carethread_store::insights;
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/insights" => get(figures_page),
    }
}

/// The periods offered, in months back from today.
const PERIODS: [(&str, u32, &str); 3] =
    [("3m", 3, "The last 3 months"), ("12m", 12, "The last 12 months"), ("24m", 24, "The last 2 years")];

struct TeamRow {
    team: String,
    open_cases: Figure,
    reviews: Figure,
}

struct OutcomeRow {
    theme: Theme,
    cells: Vec<Figure>,
    total: Figure,
}

#[derive(Template, WebTemplate)]
#[template(path = "insights.html")]
struct FiguresPage {
    layout: Layout,
    periods: [(&'static str, u32, &'static str); 3],
    period: &'static str,
    teams: Vec<(TeamId, String)>,
    team: Option<TeamId>,
    by_team: Vec<TeamRow>,
    totals: (Figure, Figure),
    outcomes: Vec<OutcomeRow>,
}

impl FiguresPage {
    fn is_team(&self, id: &TeamId) -> bool {
        self.team == Some(*id)
    }
}

#[derive(Deserialize, Default)]
struct FiguresQuery {
    period: Option<String>,
    team: Option<String>,
}

async fn figures_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Query(q): Query<FiguresQuery>,
) -> Result<Response, AppError> {
    if let Decision::Deny(reason) = decide(&viewer.principal(), Action::ViewAggregates, None) {
        return Err(AppError::Forbidden(reason.to_string()));
    }
    let org = viewer.user.org();
    let (teams, team) = crate::web::choose_team(&state, &viewer, q.team.as_deref(), None).await?;
    let (period, months, _) = match q.period.as_deref() {
        None => PERIODS[1],
        Some(p) => *PERIODS
            .iter()
            .find(|(slug, _, _)| *slug == p)
            .ok_or_else(|| AppError::BadRequest("Choose a period from the list.".into()))?,
    };
    let until = carethread_store::now();
    let from = until
        .checked_sub_months(chrono::Months::new(months))
        .ok_or_else(|| AppError::BadRequest("That period is too long.".into()))?;
    let f = insights::figures(&state.db, &viewer.audit(&meta), org, team, (from, until)).await?;
    let by_team = f
        .teams
        .iter()
        .map(|t| TeamRow {
            team: t.team.clone(),
            open_cases: Figure::one(t.open_cases),
            reviews: Figure::one(t.reviews),
        })
        .collect();
    // Totals are shown only where no suppressed team count could be worked out from them.
    let (_, open_total) = row(&f.teams.iter().map(|t| t.open_cases).collect::<Vec<_>>());
    let (_, reviews_total) = row(&f.teams.iter().map(|t| t.reviews).collect::<Vec<_>>());
    let outcomes = distribution(f.reviews.iter().map(Vec::as_slice))
        .into_iter()
        .map(|(theme, counts)| {
            let (cells, total) = row(&counts.as_row());
            OutcomeRow { theme, cells, total }
        })
        .collect();
    Ok(FiguresPage {
        layout: Layout::new(&viewer, "Figures", "/insights"),
        periods: PERIODS,
        period,
        teams,
        team,
        by_team,
        totals: (open_total, reviews_total),
        outcomes,
    }
    .into_response())
}
