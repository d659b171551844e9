//! Staff pages for people and their cases: caseload, search, register, the case page, edit
//! details, history, allocation, close and reopen.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{Versioned, parse_version};
use crate::web::layout::Layout;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::policy::{Action, Decision, Target, decide};
use carethread_domain::search::PeopleQuery;
use carethread_domain::{CaseStatus, FieldErrors, PersonId, PersonInput, TeamId, UserId};
use carethread_store::StoreError;
use carethread_store::accounts::{self, TeamRow, UserRow};
use carethread_store::people::{self, Allocation, CaseChange, DetailsVersion, PersonRecord, PersonSummary};
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/caseload" => get(caseload),
        "/people" => get(search).post(register),
        "/people/new" => get(new_person),
        "/people/{id}" => get(case_page),
        "/people/{id}/edit" => get(edit_form).post(edit),
        "/people/{id}/history" => get(history),
        "/people/{id}/allocation" => get(allocation_form).post(allocate),
        "/people/{id}/close" => get(close_form).post(close),
        "/people/{id}/reopen" => post(reopen),
        "/people/{id}/review-plan" => get(review_plan_form).post(set_review_plan),
    }
}

/// Reads the person id from the path and asks the policy whether the viewer may act on that
/// person's record. Every refusal is audited. A member of staff of the same organisation with no
/// relationship to the record is told so and offered emergency access; anyone else gets the same
/// "not found" as for a record that does not exist, so the page does not reveal who is registered.
pub(crate) async fn authorise(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    action: Action,
    raw_id: &str,
) -> Result<PersonId, AppError> {
    let id: PersonId = raw_id.parse().map_err(|_| AppError::NotFound)?;
    let principal = viewer.principal();
    let target = target(state, viewer, id).await?.ok_or(AppError::NotFound)?;
    match decide(&principal, action, Some(&target)) {
        Decision::Allow => {
            if target.ties.break_glass && !target.ties.working_relationship() {
                let until = carethread_store::break_glass::active_until(&state.db, principal.user_id, id).await?;
                crate::web::layout::note_emergency_access(until);
            }
            Ok(id)
        }
        Decision::Deny(reason) => {
            people::record_denied(&state.db, &viewer.audit(meta), Some(id), reason).await?;
            if target.ties.break_glass && principal.org_id == target.org_id {
                Err(AppError::Forbidden(
                    "Emergency access lets you read this record, not change it. To work on it, ask the team holding the case to add you."
                        .into(),
                ))
            } else if decide(&principal, Action::BreakGlass, Some(&target)).is_allowed() {
                Err(AppError::NoRelationship(id))
            } else {
                Err(AppError::NotFound)
            }
        }
    }
}

tokio::task_local! {
    /// The viewer's ties to each record this request has asked about: a page asks the policy
    /// several times (may they read it, change it, see what is withheld), from one lookup.
    pub static TIES: std::cell::RefCell<std::collections::HashMap<PersonId, Option<Target>>>;
}

/// The person's record as the policy sees it for this viewer: how they are tied to it today.
/// Looked up once per request and record.
pub(crate) async fn target(state: &AppState, viewer: &Viewer, id: PersonId) -> Result<Option<Target>, AppError> {
    if let Ok(Some(found)) = TIES.try_with(|t| t.borrow().get(&id).cloned()) {
        return Ok(found);
    }
    let found =
        carethread_store::access::target(&state.db, &viewer.principal(), id, crate::web::current_date()).await?;
    let _ = TIES.try_with(|t| t.borrow_mut().insert(id, found.clone()));
    Ok(found)
}

/// Whether the policy allows the viewer this action on the person's record, without auditing:
/// pages use it to show or hide links and forms. Every request is authorised again.
pub(crate) async fn allowed(state: &AppState, viewer: &Viewer, action: Action, id: PersonId) -> Result<bool, AppError> {
    let target = target(state, viewer, id).await?;
    Ok(target.is_some_and(|t| decide(&viewer.principal(), action, Some(&t)).is_allowed()))
}

/// Whether the viewer may change this person's record (staff with a relationship).
pub(crate) async fn may_edit(state: &AppState, viewer: &Viewer, id: PersonId) -> Result<bool, AppError> {
    allowed(state, viewer, Action::EditPerson, id).await
}

/// Whether the viewer sees entries withheld from the person: the team, and staff using
/// emergency access, do.
pub(crate) async fn audience(
    state: &AppState,
    viewer: &Viewer,
    id: PersonId,
) -> Result<carethread_domain::themes::Audience, AppError> {
    Ok(carethread_domain::themes::Audience::given(allowed(state, viewer, Action::SeeWithheld, id).await?))
}

/// The same for actions that are not about one person (finding people, registering one).
fn authorise_general(viewer: &Viewer, action: Action) -> Result<(), AppError> {
    match decide(&viewer.principal(), action, None) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(AppError::Forbidden(reason.to_string())),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "caseload.html")]
struct CaseloadPage {
    layout: Layout,
    people: Vec<PersonSummary>,
    include_closed: bool,
    /// Just back from ending emergency access to a record.
    emergency_ended: bool,
}

#[derive(Deserialize)]
struct CaseloadQuery {
    closed: Option<String>,
    emergency: Option<String>,
}

async fn caseload(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Query(q): Query<CaseloadQuery>,
) -> Result<Response, AppError> {
    authorise_general(&viewer, Action::FindPeople)?;
    let include_closed = q.closed.is_some();
    let people = people::caseload(&state.db, &viewer.audit(&meta), viewer.user.user_id(), include_closed).await?;
    let emergency_ended = q.emergency.as_deref() == Some("ended");
    Ok(CaseloadPage {
        layout: Layout::new(&viewer, "My caseload", "/caseload"),
        people,
        include_closed,
        emergency_ended,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    error: Option<String>,
    results: Option<Vec<PersonSummary>>,
    limit: usize,
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Query(sq): Query<SearchQuery>,
) -> Result<Response, AppError> {
    authorise_general(&viewer, Action::FindPeople)?;
    let layout = Layout::new(&viewer, "Find a person", "/people");
    let limit = people::SEARCH_LIMIT as usize;
    if sq.q.trim().is_empty() {
        return Ok(SearchPage { layout, q: String::new(), error: None, results: None, limit }.into_response());
    }
    let q: String = sq.q.chars().take(200).collect();
    match PeopleQuery::parse(&q) {
        Ok(query) => {
            let results = people::search(&state.db, &viewer.audit(&meta), &viewer.principal(), &query).await?;
            Ok(SearchPage { layout, q, error: None, results: Some(results), limit }.into_response())
        }
        // A search that cannot run is a normal state of the search page, shown beside the box.
        Err(message) => Ok(SearchPage { layout, q, error: Some(message), results: None, limit }.into_response()),
    }
}

/// The register and edit form, with what was typed, any errors, and (for a stale edit) what
/// changed underneath.
#[derive(Template, WebTemplate)]
#[template(path = "person_form.html")]
struct PersonFormPage {
    layout: Layout,
    /// `None` when registering.
    person_id: Option<PersonId>,
    form: PersonInput,
    errors: FieldErrors,
    version: i64,
    teams: Vec<TeamRow>,
    workers: Vec<UserRow>,
    team_id: String,
    key_worker_id: String,
    conflict: Option<people::Conflict>,
}

async fn allocation_choices(state: &AppState, viewer: &Viewer) -> Result<(Vec<TeamRow>, Vec<UserRow>), AppError> {
    let teams =
        accounts::list_teams(&state.db, Some(viewer.user.org())).await?.into_iter().filter(|t| t.active).collect();
    let workers = accounts::key_workers(&state.db, viewer.user.org()).await?;
    Ok((teams, workers))
}

async fn new_person(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    authorise_general(&viewer, Action::RegisterPerson)?;
    let (teams, workers) = allocation_choices(&state, &viewer).await?;
    // A person registered by a key worker is theirs unless they choose someone else.
    let key_worker_id =
        if workers.iter().any(|w| w.id == viewer.user.id) { viewer.user.id.to_string() } else { String::new() };
    let team_id = viewer.user.team_id.map(|t| t.to_string()).unwrap_or_default();
    Ok(PersonFormPage {
        layout: Layout::new(&viewer, "Register a person", "/people/new"),
        person_id: None,
        form: PersonInput::default(),
        errors: FieldErrors::new(),
        version: 0,
        teams,
        workers,
        team_id,
        key_worker_id,
        conflict: None,
    }
    .into_response())
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(flatten)]
    person: PersonInput,
    /// Absent (not sent at all) means "my team"; an empty choice means "no team yet".
    team_id: Option<String>,
    /// Absent (not sent at all) means "me", so a key worker who registers someone holds the
    /// case unless they choose otherwise; an empty choice means "no key worker yet".
    key_worker_id: Option<String>,
}

fn parse_allocation(errors: &mut FieldErrors, team: &str, worker: &str) -> Allocation {
    let team_id = match team.trim() {
        "" => None,
        t => t.parse::<TeamId>().map_err(|_| errors.add("team_id", "Choose a team from the list.")).ok(),
    };
    let key_worker_id = match worker.trim() {
        "" => None,
        w => w.parse::<UserId>().map_err(|_| errors.add("key_worker_id", "Choose a key worker from the list.")).ok(),
    };
    Allocation { team_id, key_worker_id }
}

async fn register(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Form(f): Form<RegisterForm>,
) -> Result<Response, AppError> {
    authorise_general(&viewer, Action::RegisterPerson)?;
    let mut errors = FieldErrors::new();
    let (teams, workers) = allocation_choices(&state, &viewer).await?;
    let me = if workers.iter().any(|w| w.id == viewer.user.id) { viewer.user.id.to_string() } else { String::new() };
    let key_worker_id = f.key_worker_id.clone().unwrap_or(me);
    let my_team = viewer.user.team_id.map(|t| t.to_string()).unwrap_or_default();
    let team_id = f.team_id.clone().unwrap_or(my_team);
    let allocation = parse_allocation(&mut errors, &team_id, &key_worker_id);
    // Access follows the team and the key worker: a case with neither could be opened by no one.
    if errors.is_empty() && allocation.team_id.is_none() && allocation.key_worker_id.is_none() {
        errors.add("team_id", "Choose a team or a key worker to hold the case: with neither, no one could open it.");
    }
    let parsed = f.person.parse(crate::web::current_date());
    let result = match (parsed, errors.is_empty()) {
        (Ok(details), true) => {
            match people::register(&state.db, &viewer.audit(&meta), viewer.user.org(), &details, allocation).await {
                Ok(id) => return Ok(Redirect::to(&format!("/people/{id}")).into_response()),
                Err(StoreError::Duplicate { .. }) => {
                    errors.add(
                        "nhs_number",
                        "Someone with this NHS number is already registered here. Search for them instead.",
                    );
                    errors
                }
                Err(StoreError::Invalid(message)) => {
                    errors.add("key_worker_id", message);
                    errors
                }
                Err(e) => return Err(e.into()),
            }
        }
        (Ok(_), false) => errors,
        (Err(field_errors), _) => {
            let mut all = field_errors;
            for e in errors.iter() {
                all.add(e.field, e.message.clone());
            }
            all
        }
    };
    let page = PersonFormPage {
        layout: Layout::new(&viewer, "Register a person", "/people/new"),
        person_id: None,
        form: f.person,
        errors: result,
        version: 0,
        teams,
        workers,
        team_id,
        key_worker_id,
        conflict: None,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
struct CasePage {
    layout: Layout,
    record: PersonRecord,
    /// The case map as SVG, and the same facts as table rows.
    map: String,
    glance: Vec<(carethread_domain::themes::Theme, carethread_domain::themes::ThemeGlance)>,
    circle_members: i64,
    /// Entries withheld from the person, flagged to the team.
    withheld: usize,
    /// Staff who may change the record see its change links; the person reads it.
    can_edit: bool,
}

async fn case_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let (id, record, can_edit, mut by_theme, withheld, latest, circle_members) = state
        .in_one_snapshot(async |state| {
            let id = authorise(state, &viewer, &meta, Action::ReadPerson, &id).await?;
            let record = people::read(&state.db, &viewer.audit(&meta), id, "opened the case").await?;
            let can_edit = may_edit(state, &viewer, id).await?;
            let audience = audience(state, &viewer, id).await?;
            let (by_theme, withheld) = carethread_store::themes::glance(&state.db, id, audience).await?;
            let latest = carethread_store::reviews::latest_outcome(&state.db, id).await?;
            let circle_members = carethread_store::themes::member_count(&state.db, id).await?;
            Ok::<_, AppError>((id, record, can_edit, by_theme, withheld, latest, circle_members))
        })
        .await?;
    let title = record.details.display_name();
    for (key, outcome) in latest.iter().flatten() {
        by_theme.entry(key.theme()).or_default().latest_outcome = Some(outcome.tally.headline());
    }
    let easy_read = crate::web::easy_read::wanted(&headers, record.details.easy_read);
    let map = crate::web::svg::case_map(&title, &format!("/people/{id}"), &by_theme, circle_members, easy_read);
    let glance = carethread_domain::themes::Theme::ALL
        .into_iter()
        .map(|t| (t, by_theme.get(&t).cloned().unwrap_or_default()))
        .collect();
    let mut layout = Layout::new(&viewer, title, "");
    layout.easy_read = easy_read;
    Ok(CasePage { layout, record, map, glance, circle_members, withheld, can_edit }.into_response())
}

async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let record = people::read(&state.db, &viewer.audit(&meta), id, "opened the details to edit").await?;
    Ok(PersonFormPage {
        layout: Layout::new(&viewer, format!("Edit details: {}", record.details.display_name()), ""),
        person_id: Some(id),
        form: record.details.to_input(),
        errors: FieldErrors::new(),
        version: record.version,
        teams: Vec::new(),
        workers: Vec::new(),
        team_id: String::new(),
        key_worker_id: String::new(),
        conflict: None,
    }
    .into_response())
}

async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<Versioned<PersonInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let version = f.version()?;
    let page =
        |errors: FieldErrors, version: i64, conflict: Option<people::Conflict>, form: PersonInput| PersonFormPage {
            layout: Layout::new(&viewer, "Edit details", ""),
            person_id: Some(id),
            form,
            errors,
            version,
            teams: Vec::new(),
            workers: Vec::new(),
            team_id: String::new(),
            key_worker_id: String::new(),
            conflict,
        };
    let details = match f.form.parse(crate::web::current_date()) {
        Ok(d) => d,
        Err(errors) => {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(errors, version, None, f.form)).into_response());
        }
    };
    match people::update_details(&state.db, &viewer.audit(&meta), id, version, &details).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        // Keep what they typed; the form now carries the current version, so sending it again
        // deliberately replaces the other person's change.
        Ok(Err(conflict)) => {
            let current = conflict.current.version;
            Ok((StatusCode::CONFLICT, page(FieldErrors::new(), current, Some(conflict), f.form)).into_response())
        }
        Err(StoreError::Duplicate { .. }) => {
            let mut errors = FieldErrors::new();
            errors.add("nhs_number", "Someone else registered here already has this NHS number. Check the number.");
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(errors, version, None, f.form)).into_response())
        }
        Err(StoreError::StaleVersion { .. }) => {
            Err(AppError::BadRequest("Someone else saved a change at the same moment. Go back, reload the page and try again; nothing of yours was saved.".into()))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    /// Each version with what changed from the one before it.
    versions: Vec<(DetailsVersion, Vec<carethread_domain::person::FieldChange>)>,
}

async fn history(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let versions = people::history(&state.db, &viewer.audit(&meta), id).await?;
    let name = versions.first().map(|v| v.details.display_name()).unwrap_or_default();
    let with_changes = versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let changes = versions.get(i + 1).map(|older| older.details.differences(&v.details)).unwrap_or_default();
            (v.clone(), changes)
        })
        .collect();
    Ok(HistoryPage {
        layout: Layout::new(&viewer, format!("History: {name}"), ""),
        person_id: id,
        name,
        versions: with_changes,
    }
    .into_response())
}

/// Which change to a case a page is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CaseChangeMode {
    Close,
    Allocation,
}

#[derive(Template, WebTemplate)]
#[template(path = "case_change.html")]
struct CaseChangePage {
    layout: Layout,
    record: PersonRecord,
    mode: CaseChangeMode,
    reason: String,
    error: Option<String>,
    teams: Vec<TeamRow>,
    workers: Vec<UserRow>,
    team_id: String,
    key_worker_id: String,
}

async fn case_change_page(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
    mode: CaseChangeMode,
) -> Result<CaseChangePage, AppError> {
    let record = people::read(&state.db, &viewer.audit(meta), id, "opened a change to the case").await?;
    let (teams, workers) = if mode == CaseChangeMode::Allocation {
        allocation_choices(state, viewer).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let title = if mode == CaseChangeMode::Close { "Close the case" } else { "Change who holds the case" };
    Ok(CaseChangePage {
        layout: Layout::new(viewer, title, ""),
        team_id: record.case.team_id.map(|t| t.to_string()).unwrap_or_default(),
        key_worker_id: record.case.key_worker_id.map(|k| k.to_string()).unwrap_or_default(),
        record,
        mode,
        reason: String::new(),
        error: None,
        teams,
        workers,
    })
}

async fn close_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    Ok(case_change_page(&state, &viewer, &meta, id, CaseChangeMode::Close).await?.into_response())
}

#[derive(Deserialize)]
struct CaseForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    key_worker_id: String,
}

/// Applies a case change, turning a refusal into the form again with the reason.
async fn apply_case_change(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
    mode: CaseChangeMode,
    form: &CaseForm,
    change: CaseChange<'_>,
) -> Result<Response, AppError> {
    let version = parse_version(&form.version)?;
    let refusal = match people::change_case(&state.db, &viewer.audit(meta), id, version, change).await {
        Ok(Ok(_)) => return Ok(Redirect::to(&format!("/people/{id}")).into_response()),
        Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => {
            (StatusCode::CONFLICT, "Someone else changed this case while you were looking at it. Check it below and try again if it is still needed.".to_string())
        }
        Err(StoreError::Invalid(message)) => (StatusCode::UNPROCESSABLE_ENTITY, message.to_string()),
        Err(e) => return Err(e.into()),
    };
    let mut page = case_change_page(state, viewer, meta, id, mode).await?;
    page.error = Some(refusal.1);
    page.reason = form.reason.clone();
    if mode == CaseChangeMode::Allocation {
        page.team_id = form.team_id.clone();
        page.key_worker_id = form.key_worker_id.clone();
    }
    Ok((refusal.0, page).into_response())
}

async fn close(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let reason = match carethread_domain::case::parse_close_reason(&f.reason) {
        Ok(r) => r,
        Err(errors) => {
            let mut page = case_change_page(&state, &viewer, &meta, id, CaseChangeMode::Close).await?;
            page.error = errors.get("reason").map(str::to_owned);
            page.reason = f.reason.clone();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    apply_case_change(&state, &viewer, &meta, id, CaseChangeMode::Close, &f, CaseChange::Close { reason: &reason })
        .await
}

async fn reopen(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    apply_case_change(&state, &viewer, &meta, id, CaseChangeMode::Close, &f, CaseChange::Reopen).await
}

async fn allocation_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    Ok(case_change_page(&state, &viewer, &meta, id, CaseChangeMode::Allocation).await?.into_response())
}

async fn allocate(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<CaseForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let mut errors = FieldErrors::new();
    let allocation = parse_allocation(&mut errors, &f.team_id, &f.key_worker_id);
    if let Some(e) = errors.iter().next() {
        let mut page = case_change_page(&state, &viewer, &meta, id, CaseChangeMode::Allocation).await?;
        page.error = Some(e.message.clone());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    apply_case_change(&state, &viewer, &meta, id, CaseChangeMode::Allocation, &f, CaseChange::Allocate(allocation))
        .await
}

impl CasePage {
    fn is_open(&self) -> bool {
        self.record.case.status == CaseStatus::Open
    }
}

impl CaseChangePage {
    fn is_open(&self) -> bool {
        self.record.case.status == CaseStatus::Open
    }
    fn is_close(&self) -> bool {
        self.mode == CaseChangeMode::Close
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "review_plan.html")]
struct ReviewPlanPage {
    layout: Layout,
    record: PersonRecord,
    form: carethread_domain::case::ReviewPlanInput,
    errors: FieldErrors,
    version: i64,
    changed_by_someone_else: bool,
}

async fn review_plan_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let record = people::read(&state.db, &viewer.audit(&meta), id, "opened the review plan").await?;
    let form = record.case.review_plan.map(|p| p.to_input()).unwrap_or_default();
    let version = record.case.version;
    let layout = Layout::new(&viewer, "How often we review", "");
    Ok(ReviewPlanPage { layout, record, form, errors: FieldErrors::new(), version, changed_by_someone_else: false }
        .into_response())
}

async fn set_review_plan(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<Versioned<carethread_domain::case::ReviewPlanInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let version = f.version()?;
    let ctx = viewer.audit(&meta);
    let refused = |record: PersonRecord, errors: FieldErrors, version: i64, stale: bool, form| ReviewPlanPage {
        layout: Layout::new(&viewer, "How often we review", ""),
        record,
        form,
        errors,
        version,
        changed_by_someone_else: stale,
    };
    let plan = match f.form.parse(crate::web::current_date()) {
        Ok(plan) => plan,
        Err(errors) => {
            let record = people::read(&state.db, &ctx, id, "opened the review plan").await?;
            return Ok(
                (StatusCode::UNPROCESSABLE_ENTITY, refused(record, errors, version, false, f.form)).into_response()
            );
        }
    };
    match people::change_case(&state.db, &ctx, id, version, CaseChange::SetReviewPlan(plan)).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/themes/progress")).into_response()),
        Ok(Err(current)) => {
            let latest = current.case.version;
            Ok((StatusCode::CONFLICT, refused(current, FieldErrors::new(), latest, true, f.form)).into_response())
        }
        Err(StoreError::StaleVersion { .. }) => Err(AppError::BadRequest(
            "Someone else saved a change at the same moment. Go back, reload and try again.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
