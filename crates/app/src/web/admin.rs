//! Administration: organisations, teams, accounts, and the audit log.

use crate::auth::{RequestMeta, Viewer, password};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::{FieldErrors, NhsNumber, OrgId, PersonId, Role, TeamId, UserId, Username};
use carethread_store::StoreError;
use carethread_store::accounts::{self, NewUser, OrgRow, TeamRow, UserRow};
use carethread_store::audit::{self, AuditEntry, AuditFilter};
use chrono::{NaiveDate, TimeZone};
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/admin" => get(overview),
        "/admin/organisations" => post(create_org),
        "/admin/organisations/{id}/active" => post(set_org_active),
        "/admin/teams" => post(create_team),
        "/admin/teams/{id}/active" => post(set_team_active),
        "/admin/users" => post(create_user),
        "/admin/users/new" => get(new_user),
        "/admin/users/{id}/role" => post(set_role),
        "/admin/users/{id}/active" => post(set_active),
        "/admin/users/{id}/two-factor/reset" => post(reset_two_factor),
        "/admin/organisations/{id}/two-factor" => post(require_two_factor),
        "/admin/audit" => get(audit_log),
    }
}

fn require_admin(viewer: &Viewer, action: Action) -> Result<(), AppError> {
    match decide(&viewer.principal(), action, None) {
        Decision::Allow => Ok(()),
        Decision::Deny(reason) => Err(AppError::Forbidden(reason.to_string())),
    }
}

pub const ORG_KINDS: [(&str, &str); 6] = [
    ("nhs-trust", "NHS trust"),
    ("gp-practice", "GP practice"),
    ("council", "Council"),
    ("voluntary", "Voluntary or community organisation"),
    ("programme", "Complex-care programme"),
    ("partnership", "Care partnership"),
];

#[derive(Template, WebTemplate)]
#[template(path = "admin.html")]
struct AdminPage {
    layout: Layout,
    orgs: Vec<OrgRow>,
    teams: Vec<TeamRow>,
    users: Vec<UserRow>,
    roles: [Role; 8],
    kinds: [(&'static str, &'static str); 6],
    org_form: OrgForm,
    team_form: TeamForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    time_zone: String,
}

#[derive(Deserialize, Default, Clone)]
struct TeamForm {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    team_name: String,
}

impl AdminPage {
    /// How an organisation kind is named to people.
    fn kind_label<'a>(&self, kind: &'a str) -> &'a str {
        ORG_KINDS.iter().find(|(k, _)| *k == kind).map(|(_, label)| *label).unwrap_or(kind)
    }
}

async fn admin_page(
    state: &AppState,
    viewer: &Viewer,
    org_form: OrgForm,
    team_form: TeamForm,
    errors: FieldErrors,
) -> Result<AdminPage, AppError> {
    Ok(AdminPage {
        layout: Layout::new(viewer, "Organisations and accounts", "/admin"),
        orgs: accounts::list_orgs(&state.db).await?,
        teams: accounts::list_teams(&state.db, None).await?,
        users: accounts::list_users(&state.db).await?,
        roles: Role::ALL,
        kinds: ORG_KINDS,
        org_form,
        team_form,
        errors,
    })
}

async fn overview(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let org_form = OrgForm { time_zone: "Europe/London".into(), ..OrgForm::default() };
    Ok(admin_page(&state, &viewer, org_form, TeamForm::default(), FieldErrors::new()).await?.into_response())
}

async fn create_org(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Form(f): Form<OrgForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let mut errors = FieldErrors::new();
    let name = carethread_domain::text::required(&mut errors, "name", "the organisation's name", &f.name, 120);
    if !ORG_KINDS.iter().any(|(k, _)| *k == f.kind) {
        errors.add("kind", "Choose what kind of organisation it is.");
    }
    let tz = f.time_zone.trim();
    if tz.parse::<chrono_tz::Tz>().is_err() {
        errors.add("time_zone", "Enter a time zone name like Europe/London.");
    }
    if errors.is_empty() {
        match accounts::create_org(&state.db, &viewer.audit(&meta), &name, &f.kind, tz).await {
            Ok(_) => return Ok(Redirect::to("/admin").into_response()),
            Err(StoreError::Duplicate { .. }) => errors.add("name", "An organisation with this name already exists."),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, admin_page(&state, &viewer, f, TeamForm::default(), errors).await?)
        .into_response())
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

async fn set_org_active(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let id: OrgId = id.parse().map_err(|_| AppError::NotFound)?;
    if id == viewer.user.org() && f.active != "yes" {
        return Err(AppError::BadRequest(
            "You cannot deactivate your own organisation: you would lock yourself out.".into(),
        ));
    }
    accounts::set_org_active(&state.db, &viewer.audit(&meta), id, f.active == "yes").await?;
    Ok(Redirect::to("/admin").into_response())
}

async fn create_team(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Form(f): Form<TeamForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let mut errors = FieldErrors::new();
    let name = carethread_domain::text::required(&mut errors, "team_name", "the team's name", &f.team_name, 120);
    let org = f
        .org_id
        .parse::<OrgId>()
        .map_err(|_| errors.add("org_id", "Choose the organisation the team belongs to."))
        .ok();
    if let (Some(org), true) = (org, errors.is_empty()) {
        let ctx = carethread_store::AuditContext { org_id: Some(org), ..viewer.audit(&meta) };
        match accounts::create_team(&state.db, &ctx, org, &name).await {
            Ok(_) => return Ok(Redirect::to("/admin").into_response()),
            Err(StoreError::Duplicate { .. }) => {
                errors.add("team_name", "This organisation already has a team with this name.")
            }
            Err(StoreError::Invalid(message)) => errors.add("org_id", message),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, admin_page(&state, &viewer, OrgForm::default(), f, errors).await?)
        .into_response())
}

async fn set_team_active(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let id: TeamId = id.parse().map_err(|_| AppError::NotFound)?;
    accounts::set_team_active(&state.db, &viewer.audit(&meta), id, f.active == "yes").await?;
    Ok(Redirect::to("/admin").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_user.html")]
struct NewUserPage {
    layout: Layout,
    orgs: Vec<OrgRow>,
    teams: Vec<TeamRow>,
    roles: [Role; 8],
    form: UserForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
struct UserForm {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    person_nhs_number: String,
    #[serde(default)]
    password: String,
}

async fn new_user_page(
    state: &AppState,
    viewer: &Viewer,
    form: UserForm,
    errors: FieldErrors,
) -> Result<NewUserPage, AppError> {
    Ok(NewUserPage {
        layout: Layout::new(viewer, "Add an account", "/admin"),
        orgs: accounts::list_orgs(&state.db).await?.into_iter().filter(|o| o.active).collect(),
        teams: accounts::list_teams(&state.db, None).await?.into_iter().filter(|t| t.active).collect(),
        roles: Role::ALL,
        form,
        errors,
    })
}

async fn new_user(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    Ok(new_user_page(&state, &viewer, UserForm::default(), FieldErrors::new()).await?.into_response())
}

async fn create_user(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Form(mut f): Form<UserForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let mut errors = FieldErrors::new();
    let org = f.org_id.parse::<OrgId>().map_err(|_| errors.add("org_id", "Choose an organisation.")).ok();
    let username = f.username.trim().parse::<Username>().map_err(|e| errors.add("username", e.to_string())).ok();
    let display_name =
        carethread_domain::text::required(&mut errors, "display_name", "the person's full name", &f.display_name, 100);
    let role = f.role.parse::<Role>().map_err(|e| errors.add("role", e.to_string())).ok();
    let team = match f.team_id.trim() {
        "" => None,
        t => t.parse::<TeamId>().map_err(|_| errors.add("team_id", "Choose a team from the list.")).ok(),
    };
    if let Err(message) = password::check_new(&f.password) {
        errors.add("password", message);
    }
    let mut person: Option<PersonId> = None;
    if role == Some(Role::Person) {
        match (f.person_nhs_number.parse::<NhsNumber>(), org) {
            (Ok(nhs), Some(org)) => match carethread_store::people::id_by_nhs_number(&state.db, org, &nhs).await? {
                Some(id) => person = Some(id),
                None => {
                    errors.add("person_nhs_number", "No one with this NHS number is registered in that organisation.")
                }
            },
            (Err(e), _) => {
                errors.add("person_nhs_number", format!("A person's own account must be linked to their record. {e}"))
            }
            (Ok(_), None) => {}
        }
    }
    if let (Some(org), Some(username), Some(role), true) = (org, username.as_ref(), role, errors.is_empty()) {
        let hash = password::hash(std::mem::take(&mut f.password)).await?;
        let ctx = carethread_store::AuditContext { org_id: Some(org), ..viewer.audit(&meta) };
        let new = NewUser {
            org_id: org,
            username,
            display_name: &display_name,
            role,
            team_id: team,
            person_id: person,
            password_hash: Some(&hash),
        };
        match accounts::create_user(&state.db, &ctx, new).await {
            Ok(_) => return Ok(Redirect::to("/admin").into_response()),
            Err(StoreError::Duplicate { .. }) => {
                errors.add("username", "This username is already taken. Choose another.")
            }
            Err(StoreError::Invalid(message)) => errors.add("team_id", message),
            Err(e) => return Err(e.into()),
        }
    }
    f.password.clear();
    Ok((StatusCode::UNPROCESSABLE_ENTITY, new_user_page(&state, &viewer, f, errors).await?).into_response())
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

async fn set_role(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let id: UserId = id.parse().map_err(|_| AppError::NotFound)?;
    let role: Role =
        f.role.parse().map_err(|e: carethread_domain::role::UnknownRole| AppError::BadRequest(e.to_string()))?;
    if id == viewer.user.user_id() && role != Role::Admin {
        return Err(AppError::BadRequest(
            "You cannot take the administrator role away from yourself. Ask another administrator.".into(),
        ));
    }
    let target = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    if role == Role::Person && target.person_id.is_none() {
        return Err(AppError::BadRequest("An account can only have the person role when it is linked to that person's record. Create a new account for them instead.".into()));
    }
    accounts::set_user_role(&state.db, &viewer.audit(&meta), id, role).await?;
    Ok(Redirect::to("/admin").into_response())
}

async fn set_active(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let id: UserId = id.parse().map_err(|_| AppError::NotFound)?;
    if id == viewer.user.user_id() {
        return Err(AppError::BadRequest("You cannot deactivate your own account.".into()));
    }
    let target = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    accounts::set_user_active(&state.db, &viewer.audit(&meta), &target.username, f.active == "yes").await?;
    Ok(Redirect::to("/admin").into_response())
}

#[derive(Deserialize)]
struct RequireForm {
    #[serde(default)]
    required: String,
}

/// Makes two-factor sign-in required, or optional, for an organisation's staff.
async fn require_two_factor(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<RequireForm>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let id: OrgId = id.parse().map_err(|_| AppError::NotFound)?;
    let required = match f.required.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(AppError::BadRequest("Choose whether two-factor sign-in is required.".into())),
    };
    carethread_store::two_factor::set_required(&state.db, &viewer.audit(&meta), id, required).await?;
    Ok(Redirect::to("/admin").into_response())
}

/// Clears an account's two-factor sign-in after a lost phone: they set it up again next time.
async fn reset_two_factor(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ManageAccounts)?;
    let id: UserId = id.parse().map_err(|_| AppError::NotFound)?;
    let target = accounts::user_by_id(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let detail = format!("reset two-factor sign-in for '{}'", target.username);
    carethread_store::two_factor::turn_off(&state.db, &viewer.audit(&meta), id, &detail).await?;
    Ok(Redirect::to("/admin").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    filter: AuditQuery,
    entries: Vec<AuditEntry>,
    errors: FieldErrors,
    page: i64,
    more: bool,
}

#[derive(Deserialize, Default, Clone)]
struct AuditQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: Option<i64>,
}

impl AuditQuery {
    /// The filter as a query string, for the next and previous page links.
    fn link(&self, page: i64) -> String {
        serde_urlencoded::to_string([
            ("person", self.person.as_str()),
            ("user", self.user.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default()
    }
}

async fn audit_log(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    require_admin(&viewer, Action::ViewAudit)?;
    let layout = Layout::new(&viewer, "Audit log", "/admin/audit");
    let tz = layout.tz;
    let mut errors = FieldErrors::new();
    let person_id = match q.person.trim() {
        "" => None,
        p => match p.parse::<PersonId>() {
            Ok(id) => Some(id),
            Err(_) => match p.parse::<NhsNumber>() {
                Ok(nhs) => {
                    match carethread_store::people::id_by_nhs_number(&state.db, viewer.user.org(), &nhs).await? {
                        Some(id) => Some(id),
                        None => {
                            errors.add("person", "No one with this NHS number is registered in your organisation.");
                            None
                        }
                    }
                }
                Err(_) => {
                    errors.add("person", "Enter the person's NHS number or their record id.");
                    None
                }
            },
        },
    };
    // Dates are days in the organisation's time zone: "from" is inclusive, "to" includes the
    // whole day.
    let mut day = |field: &'static str, raw: &str, end_of_day: bool| -> Option<chrono::DateTime<chrono::Utc>> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(d) => {
                let d = if end_of_day { d.succ_opt().unwrap_or(d) } else { d };
                let midnight = d.and_hms_opt(0, 0, 0)?;
                tz.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&chrono::Utc))
            }
            Err(_) => {
                errors.add(field, "Enter a date like 2026-11-23.");
                None
            }
        }
    };
    let from = day("from", &q.from, false);
    let until = day("to", &q.to, true);
    let page = q.page.unwrap_or(0).max(0);
    let (entries, more) = if errors.is_empty() {
        let filter =
            AuditFilter { person_id, username: Some(q.user.trim().to_string()).filter(|u| !u.is_empty()), from, until };
        audit::browse(&state.db, &viewer.audit(&meta), &filter, page).await?
    } else {
        (Vec::new(), false)
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    Ok((status, AuditPage { layout, filter: q, entries, errors, page, more }).into_response())
}
