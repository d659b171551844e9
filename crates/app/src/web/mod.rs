//! The HTML pages, one module per area. Handlers parse input, ask the policy, call the store
//! and render a template; they hold no SQL and no business rules of their own.

pub mod access_log;
pub mod admin;
pub mod assets;
pub mod break_glass;
pub mod consents;
pub mod easy_read;
pub mod forms;
pub mod health;
pub mod home;
pub mod insights;
pub mod layout;
pub mod people;
pub mod pictograms;
pub mod plan_quality;
pub mod plan_views;
pub mod plans;
pub mod reviews;
pub mod routes;
pub mod sign_in;
pub mod supporters;
pub mod svg;
pub mod tasks;
pub mod themes;
pub mod today;
pub mod two_factor;

/// Today's date, for checks such as "a due date may not be more than a year back".
pub fn current_date() -> chrono::NaiveDate {
    carethread_store::now().date_naive()
}

/// A record id from a web address. Anything that is not an id is simply not found.
pub fn record_id(raw: &str) -> Result<uuid::Uuid, crate::error::AppError> {
    raw.parse().map_err(|_| crate::error::AppError::NotFound)
}

/// The active teams of the viewer's organisation, and the one a report was asked for: `all` (or
/// nothing, without a default) for every team; a team of another organisation is refused.
pub(crate) async fn choose_team(
    state: &crate::state::AppState,
    viewer: &crate::auth::Viewer,
    raw: Option<&str>,
    default: Option<carethread_domain::TeamId>,
) -> Result<(Vec<(carethread_domain::TeamId, String)>, Option<carethread_domain::TeamId>), crate::error::AppError> {
    use carethread_domain::TeamId;
    let teams: Vec<(TeamId, String)> = carethread_store::accounts::list_teams(&state.db, Some(viewer.user.org()))
        .await?
        .into_iter()
        .filter(|t| t.active)
        .map(|t| (TeamId::from_uuid(t.id), t.name))
        .collect();
    let refused = || crate::error::AppError::BadRequest("Choose a team from the list.".into());
    let chosen = match raw.map(str::trim) {
        None => default,
        Some("" | "all") => None,
        Some(raw) => {
            Some(raw.parse::<TeamId>().ok().filter(|id| teams.iter().any(|(t, _)| t == id)).ok_or_else(refused)?)
        }
    };
    Ok((teams, chosen))
}
