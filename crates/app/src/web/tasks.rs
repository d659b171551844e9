//! Task pages: a case's tasks (added on their own or as actions from a review), changing one,
//! and "my tasks" for every account, the person and their supporters included.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Versioned;
use crate::web::layout::Layout;
use crate::web::people::authorise;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::policy::Action;
use carethread_domain::tasks::{Owner, TaskInput, TaskStatus};
use carethread_domain::themes::Theme;
use carethread_domain::{FieldErrors, PersonId, Role, TeamId};
use carethread_store::StoreError;
use carethread_store::people;
use carethread_store::tasks::{self, Holder, OwnerChoice, TaskRecord};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Routes<AppState> {
    routes! {
        "/tasks" => get(my_tasks),
        "/people/{id}/tasks" => get(case_tasks).post(add_task),
        "/people/{id}/tasks/{task}/edit" => get(edit_task_form).post(edit_task),
    }
}

/// The form's choices, shared by the add and edit forms.
struct Choices {
    owners: Vec<OwnerChoice>,
    themes: [Theme; 6],
    statuses: [(&'static str, &'static str); 6],
}

impl Choices {
    async fn load(state: &AppState, person: PersonId) -> Result<Self, AppError> {
        Ok(Choices {
            owners: tasks::owner_choices(&state.db, person).await?,
            themes: Theme::ALL,
            statuses: TaskStatus::SLUGS,
        })
    }
    fn owners(&self) -> Vec<Owner> {
        self.owners.iter().map(|o| o.owner).collect()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tasks.html")]
struct CaseTasksPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    tasks: Vec<TaskRecord>,
    choices: Choices,
    form: TaskInput,
    errors: FieldErrors,
    /// When adding an action agreed at a review.
    review: Option<Uuid>,
    today: chrono::NaiveDate,
    /// Only those who may change the record see the form and the change links.
    can_edit: bool,
}

#[derive(Deserialize, Default)]
struct FromReview {
    review: Option<String>,
}

fn parse_review(raw: Option<&str>) -> Result<Option<Uuid>, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| AppError::NotFound),
    }
}

async fn case_tasks_page(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
    (form, errors, review): (TaskInput, FieldErrors, Option<Uuid>),
) -> Result<CaseTasksPage, AppError> {
    let ctx = viewer.audit(meta);
    let record = people::read(&state.db, &ctx, id, "opened the tasks of the case").await?;
    Ok(CaseTasksPage {
        layout: Layout::new(viewer, format!("Tasks: {}", record.details.display_name()), ""),
        person_id: id,
        name: record.details.display_name(),
        tasks: tasks::for_person(&state.db, &ctx, id).await?,
        choices: Choices::load(state, id).await?,
        form,
        errors,
        review,
        today: crate::web::current_date(),
        can_edit: crate::web::people::may_edit(state, viewer, id).await?,
    })
}

async fn case_tasks(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Query(q): Query<FromReview>,
) -> Result<Response, AppError> {
    let form = TaskInput { status: "requested".into(), ..TaskInput::default() };
    let page = state
        .in_one_snapshot(async |state| {
            let id = authorise(state, &viewer, &meta, Action::ReadPerson, &id).await?;
            let review = parse_review(q.review.as_deref())?;
            case_tasks_page(state, &viewer, &meta, id, (form, FieldErrors::new(), review)).await
        })
        .await?;
    Ok(page.into_response())
}

#[derive(Deserialize)]
struct AddTaskForm {
    #[serde(flatten)]
    task: TaskInput,
    #[serde(default)]
    review: String,
}

async fn add_task(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<AddTaskForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let review = parse_review(Some(&f.review))?;
    let owners = Choices::load(&state, id).await?.owners();
    let refused = |errors| case_tasks_page(&state, &viewer, &meta, id, (f.task.clone(), errors, review));
    match f.task.parse(&owners, crate::web::current_date()) {
        Ok(details) => match tasks::add(&state.db, &viewer.audit(&meta), id, &details, review).await {
            Ok(_) => {
                let back = match review {
                    Some(r) => format!("/people/{id}/reviews/{r}#actions"),
                    None => format!("/people/{id}/tasks"),
                };
                Ok(Redirect::to(&back).into_response())
            }
            Err(StoreError::Invalid(message)) => {
                let mut errors = FieldErrors::new();
                // The store refuses an owner who has left, or a review already signed off.
                errors.add(if message.starts_with("That owner") { "owner" } else { "title" }, message);
                Ok((StatusCode::UNPROCESSABLE_ENTITY, refused(errors).await?).into_response())
            }
            Err(e) => Err(e.into()),
        },
        Err(errors) => Ok((StatusCode::UNPROCESSABLE_ENTITY, refused(errors).await?).into_response()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "task_form.html")]
struct TaskFormPage {
    layout: Layout,
    person_id: PersonId,
    task: TaskRecord,
    choices: Choices,
    form: TaskInput,
    errors: FieldErrors,
    version: i64,
    changed_by_someone_else: bool,
}

async fn edit_task_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, task)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let task_id: Uuid = crate::web::record_id(&task)?;
    let task = tasks::task(&state.db, &viewer.audit(&meta), id, task_id).await?;
    Ok(TaskFormPage {
        layout: Layout::new(&viewer, "Change a task", ""),
        person_id: id,
        form: task.details.to_input(),
        version: task.version,
        task,
        choices: Choices::load(&state, id).await?,
        errors: FieldErrors::new(),
        changed_by_someone_else: false,
    }
    .into_response())
}

async fn edit_task(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, task)): Path<(String, String)>,
    Form(f): Form<Versioned<TaskInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let task_id: Uuid = crate::web::record_id(&task)?;
    let version = f.version()?;
    let ctx = viewer.audit(&meta);
    let choices = Choices::load(&state, id).await?;
    let page = |task: TaskRecord, choices: Choices, errors, version, stale| TaskFormPage {
        layout: Layout::new(&viewer, "Change a task", ""),
        person_id: id,
        task,
        choices,
        form: f.form.clone(),
        errors,
        version,
        changed_by_someone_else: stale,
    };
    let current = tasks::task(&state.db, &ctx, id, task_id).await?;
    let details = match f.form.parse(&choices.owners(), crate::web::current_date()) {
        Ok(d) => d,
        Err(errors) => {
            return Ok(
                (StatusCode::UNPROCESSABLE_ENTITY, page(current, choices, errors, version, false)).into_response()
            );
        }
    };
    match tasks::update(&state.db, &ctx, id, task_id, version, &details).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/tasks")).into_response()),
        Ok(Err(now)) => {
            let v = now.version;
            Ok((StatusCode::CONFLICT, page(now, choices, FieldErrors::new(), v, true)).into_response())
        }
        Err(StoreError::StaleVersion { .. }) => {
            let now = tasks::task(&state.db, &ctx, id, task_id).await?;
            let v = now.version;
            Ok((StatusCode::CONFLICT, page(now, choices, FieldErrors::new(), v, true)).into_response())
        }
        Err(StoreError::Invalid(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("owner", message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page(current, choices, errors, version, false)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "my_tasks.html")]
struct MyTasksPage {
    layout: Layout,
    tasks: Vec<TaskRecord>,
    today: chrono::NaiveDate,
    /// Staff get links into each case; the person and supporters see the list only.
    links: bool,
}

/// Every account's own open tasks. Ownership is the relationship that allows the read: the
/// query only returns tasks given to this account, its team, or (for a person) to them.
async fn my_tasks(State(state): State<AppState>, viewer: Viewer, meta: RequestMeta) -> Result<Response, AppError> {
    if matches!(viewer.role, Role::Admin | Role::Commissioner) {
        return Err(AppError::Forbidden("Administrators and commissioners do not hold tasks in people's care.".into()));
    }
    let holder = Holder {
        user: viewer.user.user_id(),
        org: viewer.user.org(),
        team: viewer.user.team_id.map(TeamId::from_uuid),
        person: viewer.user.person(),
    };
    let list = tasks::for_holder(&state.db, &viewer.audit(&meta), holder).await?;
    Ok(MyTasksPage {
        layout: Layout::new(&viewer, "My tasks", "/tasks"),
        tasks: list,
        today: crate::web::current_date(),
        links: viewer.role.works_with_named_records(),
    }
    .into_response())
}
