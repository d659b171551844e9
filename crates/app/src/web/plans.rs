//! The care and support plan pages: the plan itself, writing goals (the person too, in their
//! own words), the management and escalation plans, who owns it, agreeing a version and making
//! it active, and every version with what changed between two of them.
//!
//! All changes go to the draft. When there is none, the first change starts one from the plan
//! in force, so an agreed version is never edited. Each form carries the draft's lock: if
//! someone else saved first, nothing is written and the form comes back with the typing kept.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Pairs;
use crate::web::layout::Layout;
use crate::web::people::{authorise, may_edit};
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::plan::lifecycle::{AgreedHow, AgreementInput, PlanStatus};
use carethread_domain::plan::{
    Achievement, ContactInput, DutyInput, EscalationInput, GoalChoices, GoalInput, ManagementInput, MandateInput,
    MandateKind, PlanContent, SettingsInput, StepInput,
};
use carethread_domain::policy::Action;
use carethread_domain::tasks::Owner;
use carethread_domain::themes::Theme;
use carethread_domain::{FieldErrors, PersonId};
use carethread_store::plans::{self, Plan, PlanVersion};
use carethread_store::{StoreError, people, tasks, themes};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Routes<AppState> {
    routes! {
        "/people/{id}/plan" => get(plan_page),
        "/people/{id}/plan/goals/{goal}" => get(goal_form).post(save_goal),
        "/people/{id}/plan/management" => get(management_form).post(save_management),
        "/people/{id}/plan/escalation" => get(escalation_form).post(save_escalation),
        "/people/{id}/plan/settings" => get(settings_form).post(save_settings),
        "/people/{id}/plan/agree" => get(agree_form).post(agree),
        "/people/{id}/plan/my-agreement" => post(agree_myself),
        "/people/{id}/plan/versions" => get(versions_page),
        "/people/{id}/plan/versions/{number}" => get(version_page),
        "/people/{id}/plan/versions/{number}/activate" => post(activate),
    }
}

/// The person whose plan it is, and the plan, read once per request.
pub(crate) struct Subject {
    pub id: PersonId,
    pub name: String,
    pub details: carethread_domain::PersonDetails,
    pub plan: Plan,
}

pub(crate) async fn subject(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
    what: &str,
) -> Result<Subject, AppError> {
    let ctx = viewer.audit(meta);
    let record = people::read(&state.db, &ctx, id, what).await?;
    let plan = plans::plan(&state.db, &ctx, id, what).await?;
    Ok(Subject { id, name: record.details.display_name(), details: record.details, plan })
}

/// What every plan form page shows around its fields.
struct Frame {
    heading: String,
    person_id: PersonId,
    name: String,
    /// The draft's lock the form was opened at (0: saving will start a new draft).
    lock: i64,
    errors: FieldErrors,
    /// Someone else saved the plan first: nothing of this form was written.
    conflict: bool,
    /// A draft exists (or will be started by saving).
    draft_number: Option<i32>,
}

impl Frame {
    fn new(title: &str, s: &Subject) -> Frame {
        Frame {
            heading: title.to_string(),
            person_id: s.id,
            name: s.name.clone(),
            lock: s.plan.working_copy().1,
            errors: FieldErrors::new(),
            conflict: false,
            draft_number: s.plan.draft().map(|d| d.number),
        }
    }
}

impl Frame {
    fn layout(&self, viewer: &Viewer) -> Layout {
        Layout::new(viewer, format!("{}: {}", self.heading, self.name), "")
    }
}

/// A submitted plan form, with what is needed to save it or to show it again.
struct Submission<'a> {
    state: &'a AppState,
    viewer: &'a Viewer,
    meta: &'a RequestMeta,
    subject: &'a Subject,
    /// The draft's lock the form was opened at.
    lock: i64,
    heading: &'static str,
    /// What the change was, for the audit log.
    what: &'static str,
}

impl Submission<'_> {
    /// Applies the parsed change to the working copy and saves the draft, then goes back to the
    /// plan. Otherwise the form comes back, built by `page`, with the typing kept: with the
    /// errors (422), or with the warning that someone else saved first and nothing was written
    /// (409).
    async fn save<P: IntoResponse>(
        self,
        change: Result<impl FnOnce(&mut PlanContent) -> Result<(), AppError>, FieldErrors>,
        page: impl FnOnce(Frame) -> P,
    ) -> Result<Response, AppError> {
        let s = self.subject;
        let mut frame = Frame::new(self.heading, s);
        frame.lock = self.lock;
        let apply = match change {
            Ok(apply) => apply,
            Err(errors) => {
                frame.errors = errors;
                return Ok(refused(page(frame)));
            }
        };
        let (mut content, current) = s.plan.working_copy();
        if current == self.lock {
            apply(&mut content)?;
            let ctx = self.viewer.audit(self.meta);
            match plans::save_draft(&self.state.db, &ctx, s.id, self.lock, &content, self.what).await {
                Ok(Ok(_)) => return Ok(back_to_plan(s.id)),
                Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let now = subject(self.state, self.viewer, self.meta, s.id, "reloaded the care plan after a conflict").await?;
        let mut frame = Frame::new(self.heading, &now);
        frame.conflict = true;
        Ok(conflicted(page(frame)))
    }
}

fn back_to_plan(id: PersonId) -> Response {
    Redirect::to(&format!("/people/{id}/plan")).into_response()
}

fn refused<T: IntoResponse>(page: T) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

fn conflicted<T: IntoResponse>(page: T) -> Response {
    (StatusCode::CONFLICT, page).into_response()
}

// ---------------------------------------------------------------------------------------------
// The plan page

#[derive(Template, WebTemplate)]
#[template(path = "plan.html")]
struct PlanPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    /// The version shown: the draft when there is one, else the plan in force.
    shown: Option<PlanVersion>,
    in_force: Option<PlanVersion>,
    content: PlanContent,
    can_edit: bool,
    can_write_goals: bool,
    /// The person on their own plan: they can agree to a draft themselves.
    is_person: bool,
    today: chrono::NaiveDate,
    version_count: usize,
}

async fn plan_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (id, s, can_edit) = state
        .in_one_snapshot(async |state| {
            let id = authorise(state, &viewer, &meta, Action::ReadPerson, &id).await?;
            let s = subject(state, &viewer, &meta, id, "opened the care plan").await?;
            Ok::<_, AppError>((id, s, may_edit(state, &viewer, id).await?))
        })
        .await?;
    let shown = s.plan.draft().or(s.plan.agreed_waiting()).or(s.plan.current()).cloned();
    Ok(PlanPage {
        layout: Layout::new(&viewer, format!("Care and support plan: {}", s.name), ""),
        person_id: id,
        content: shown.as_ref().map(|v| v.content.clone()).unwrap_or_default(),
        in_force: s.plan.in_force().cloned(),
        shown,
        can_edit,
        can_write_goals: can_edit || viewer.user.person() == Some(id),
        is_person: viewer.user.person() == Some(id),
        today: crate::web::current_date(),
        version_count: s.plan.versions.len(),
        name: s.name,
    }
    .into_response())
}

// ---------------------------------------------------------------------------------------------
// Goals

#[derive(Template, WebTemplate)]
#[template(path = "plan_goal_form.html")]
struct GoalFormPage {
    layout: Layout,
    frame: Frame,
    /// `new`, or the goal's id.
    goal: String,
    form: GoalInput,
    supporters: Vec<(Owner, String)>,
    problems: Vec<(Uuid, String)>,
    themes: [Theme; 6],
    achievements: [Achievement; 3],
    /// The person writing their own goal: no "whose words" question, and plainer labels.
    by_person: bool,
}

impl GoalFormPage {
    fn has_theme(&self, t: &Theme) -> bool {
        self.form.themes.iter().any(|s| s == t.slug())
    }
    fn has_problem(&self, id: &Uuid) -> bool {
        self.form.problems.iter().any(|p| *p == id.to_string())
    }
}

/// Who may support a step (or do something in the management plan): the person by name, their
/// circle of support, and the staff and teams of the organisation holding the case.
async fn supporters(state: &AppState, s: &Subject) -> Result<Vec<(Owner, String)>, AppError> {
    Ok(tasks::owner_choices(&state.db, s.id)
        .await?
        .into_iter()
        .map(|c| match c.owner {
            Owner::Person => (Owner::Person, s.name.clone()),
            other => (other, c.label),
        })
        .collect())
}

async fn problem_choices(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(themes::problems(&state.db, &viewer.audit(meta), id)
        .await?
        .into_iter()
        .map(|p| (p.id, p.details.name.clone()))
        .collect())
}

fn goal_id(raw: &str) -> Result<Option<Uuid>, AppError> {
    if raw == "new" { Ok(None) } else { crate::web::record_id(raw).map(Some) }
}

async fn goal_page(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    s: &Subject,
    goal: &str,
    form: GoalInput,
    frame: Frame,
) -> Result<GoalFormPage, AppError> {
    Ok(GoalFormPage {
        layout: frame.layout(viewer),
        frame,
        goal: goal.to_string(),
        form,
        supporters: supporters(state, s).await?,
        problems: problem_choices(state, viewer, meta, s.id).await?,
        themes: Theme::ALL,
        achievements: Achievement::ALL,
        by_person: viewer.user.person() == Some(s.id),
    })
}

async fn goal_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, goal)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::WriteOwnWords, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened a goal in the care plan").await?;
    let (content, _) = s.plan.working_copy();
    let (title, form) = match goal_id(&goal)? {
        None => ("Add a goal", GoalInput::blank()),
        Some(g) => ("Change a goal", content.goal(g).ok_or(AppError::NotFound)?.to_input()),
    };
    let frame = Frame::new(title, &s);
    Ok(goal_page(&state, &viewer, &meta, &s, &goal, form, frame).await?.into_response())
}

fn goal_input(f: &Pairs) -> Result<GoalInput, AppError> {
    let steps = f
        .rows(["step_what", "step_who", "step_by"])?
        .into_iter()
        .map(|[what, who, by]| StepInput { what, who, by })
        .collect();
    Ok(GoalInput {
        what_matters: f.one("what_matters"),
        achieve: f.one("achieve"),
        voice: f.one("voice"),
        perspective_of: f.one("perspective_of"),
        commitment: f.one("commitment"),
        themes: f.all("themes"),
        problems: f.all("problems"),
        achievement: f.one("achievement"),
        steps,
    })
}

async fn save_goal(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, goal)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::WriteOwnWords, &id).await?;
    let f = Pairs(pairs);
    let lock = f.version()?;
    let input = goal_input(&f)?;
    let s = subject(&state, &viewer, &meta, id, "opened a goal in the care plan").await?;
    let existing = goal_id(&goal)?;
    let by_person = viewer.user.person() == Some(id);
    let supporters = supporters(&state, &s).await?;
    let problems = problem_choices(&state, &viewer, &meta, id).await?;
    let ids: Vec<Uuid> = problems.iter().map(|(p, _)| *p).collect();
    let choices = GoalChoices { supporters: &supporters, problems: &ids, written_by_person: by_person };
    let change = input.parse(existing.unwrap_or_else(Uuid::now_v7), &choices).map(|parsed| {
        move |content: &mut PlanContent| match existing {
            None => {
                content.goals.push(parsed);
                Ok(())
            }
            Some(g) => {
                let slot = content.goals.iter_mut().find(|x| x.id == g).ok_or(AppError::NotFound)?;
                *slot = parsed;
                Ok(())
            }
        }
    });
    let (heading, what) =
        if existing.is_some() { ("Change a goal", "changed a goal") } else { ("Add a goal", "added a goal") };
    let submission = Submission { state: &state, viewer: &viewer, meta: &meta, subject: &s, lock, heading, what };
    submission
        .save(change, |frame| GoalFormPage {
            layout: frame.layout(&viewer),
            frame,
            goal,
            form: input,
            supporters,
            problems,
            themes: Theme::ALL,
            achievements: Achievement::ALL,
            by_person,
        })
        .await
}

// ---------------------------------------------------------------------------------------------
// Management plan

#[derive(Template, WebTemplate)]
#[template(path = "plan_management_form.html")]
struct ManagementPage {
    layout: Layout,
    frame: Frame,
    form: ManagementInput,
    supporters: Vec<(Owner, String)>,
}

async fn management_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened the management plan").await?;
    let form = s.plan.working_copy().0.management.to_input();
    let supporters = supporters(&state, &s).await?;
    let frame = Frame::new("Management plan", &s);
    Ok(ManagementPage { layout: frame.layout(&viewer), frame, form, supporters }.into_response())
}

async fn save_management(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let f = Pairs(pairs);
    let lock = f.version()?;
    let form = ManagementInput {
        treatments: f.one("treatments"),
        social_prescribing: f.one("social_prescribing"),
        self_management: f.one("self_management"),
        duties: f.rows(["duty_who", "duty_what"])?.into_iter().map(|[who, what]| DutyInput { who, what }).collect(),
    };
    let s = subject(&state, &viewer, &meta, id, "opened the management plan").await?;
    let supporters = supporters(&state, &s).await?;
    let change = form.parse(&supporters).map(|management| {
        |content: &mut PlanContent| {
            content.management = management;
            Ok(())
        }
    });
    let (heading, what) = ("Management plan", "changed the management plan");
    let submission = Submission { state: &state, viewer: &viewer, meta: &meta, subject: &s, lock, heading, what };
    submission.save(change, |frame| ManagementPage { layout: frame.layout(&viewer), frame, form, supporters }).await
}

// ---------------------------------------------------------------------------------------------
// Escalation plan

#[derive(Template, WebTemplate)]
#[template(path = "plan_escalation_form.html")]
struct EscalationPage {
    layout: Layout,
    frame: Frame,
    form: EscalationInput,
    kinds: [MandateKind; 4],
}

async fn escalation_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened the escalation plan").await?;
    let form = s.plan.working_copy().0.escalation.to_input();
    let frame = Frame::new("Escalation plan", &s);
    Ok(EscalationPage { layout: frame.layout(&viewer), frame, form, kinds: MandateKind::ALL }.into_response())
}

async fn save_escalation(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let f = Pairs(pairs);
    let lock = f.version()?;
    let form = EscalationInput {
        warning_signs: f.one("warning_signs"),
        what_helps: f.one("what_helps"),
        what_to_do: f.one("what_to_do"),
        what_not_to_do: f.one("what_not_to_do"),
        crisis_preferences: f.one("crisis_preferences"),
        contacts: f
            .rows(["contact_name", "contact_role", "contact_phone", "contact_hours"])?
            .into_iter()
            .map(|[name, role, phone, hours]| ContactInput { name, role, phone, hours })
            .collect(),
        mandates: f
            .rows(["mandate_kind", "mandate_says", "mandate_kept_at"])?
            .into_iter()
            .map(|[kind, says, kept_at]| MandateInput { kind, says, kept_at })
            .collect(),
    };
    let s = subject(&state, &viewer, &meta, id, "opened the escalation plan").await?;
    let change = form.parse().map(|escalation| {
        |content: &mut PlanContent| {
            content.escalation = escalation;
            Ok(())
        }
    });
    let (heading, what) = ("Escalation plan", "changed the escalation plan");
    let submission = Submission { state: &state, viewer: &viewer, meta: &meta, subject: &s, lock, heading, what };
    submission
        .save(change, |frame| EscalationPage { layout: frame.layout(&viewer), frame, form, kinds: MandateKind::ALL })
        .await
}

// ---------------------------------------------------------------------------------------------
// Ownership and review interval

#[derive(Template, WebTemplate)]
#[template(path = "plan_settings_form.html")]
struct SettingsPage {
    layout: Layout,
    frame: Frame,
    form: SettingsInput,
}

async fn settings_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened the plan's owner and review settings").await?;
    let form = SettingsInput::from_content(&s.plan.working_copy().0);
    let frame = Frame::new("Who owns the plan", &s);
    Ok(SettingsPage { layout: frame.layout(&viewer), frame, form }.into_response())
}

#[derive(Deserialize)]
struct SettingsForm {
    #[serde(flatten)]
    form: SettingsInput,
    #[serde(default)]
    version: String,
}

async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let lock = crate::web::forms::parse_version(&f.version)?;
    let s = subject(&state, &viewer, &meta, id, "opened the plan's owner and review settings").await?;
    let change = f.form.parse().map(|(ownership, interval)| {
        move |content: &mut PlanContent| {
            content.ownership = ownership;
            content.review_months = interval;
            Ok(())
        }
    });
    let (heading, what) = ("Who owns the plan", "changed who owns the plan or how often it is reviewed");
    let submission = Submission { state: &state, viewer: &viewer, meta: &meta, subject: &s, lock, heading, what };
    submission.save(change, |frame| SettingsPage { layout: frame.layout(&viewer), frame, form: f.form }).await
}

// ---------------------------------------------------------------------------------------------
// Agreeing and activating

#[derive(Template, WebTemplate)]
#[template(path = "plan_agree.html")]
struct AgreePage {
    layout: Layout,
    frame: Frame,
    form: AgreementInput,
    ways: [AgreedHow; 4],
    draft: PlanVersion,
    today: chrono::NaiveDate,
}

async fn agree_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened the care plan to record agreement").await?;
    let draft = s.plan.draft().cloned().ok_or_else(|| {
        AppError::BadRequest("There is no draft to agree. Change the plan first; that starts a new draft.".into())
    })?;
    let today = crate::web::current_date();
    let form = AgreementInput { on: today.to_string(), ..AgreementInput::default() };
    let frame = Frame::new("Record agreement", &s);
    Ok(AgreePage { layout: frame.layout(&viewer), frame, form, ways: AgreedHow::BY_STAFF, draft, today }
        .into_response())
}

#[derive(Deserialize)]
struct AgreeForm {
    #[serde(flatten)]
    form: AgreementInput,
    #[serde(default)]
    version: String,
}

async fn agree(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(f): Form<AgreeForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let lock = crate::web::forms::parse_version(&f.version)?;
    let s = subject(&state, &viewer, &meta, id, "opened the care plan to record agreement").await?;
    let today = crate::web::current_date();
    let Some(draft) = s.plan.draft().cloned() else {
        return Ok(back_to_plan(id));
    };
    let page = |frame: Frame, draft: PlanVersion| AgreePage {
        layout: frame.layout(&viewer),
        frame,
        form: f.form.clone(),
        ways: AgreedHow::BY_STAFF,
        draft,
        today,
    };
    let mut frame = Frame::new("Record agreement", &s);
    if draft.version != lock {
        frame.conflict = true;
        return Ok(conflicted(page(frame, draft)));
    }
    match f.form.parse(&draft.content, &s.name, today) {
        Err(errors) => {
            frame.errors = errors;
            Ok(refused(page(frame, draft)))
        }
        Ok(agreement) => match plans::agree(&state.db, &viewer.audit(&meta), id, lock, &agreement).await? {
            Ok(_) => Ok(back_to_plan(id)),
            Err(now) => {
                let draft = now.draft().cloned().ok_or(AppError::NotFound)?;
                frame.conflict = true;
                frame.lock = draft.version;
                Ok(conflicted(page(frame, draft)))
            }
        },
    }
}

/// The person agreeing to the draft themselves, from their own sign-in.
async fn agree_myself(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::WriteOwnWords, &id).await?;
    if viewer.user.person() != Some(id) {
        return Err(AppError::NotFound);
    }
    let lock = Pairs(pairs).version()?;
    let s = subject(&state, &viewer, &meta, id, "opened the care plan to agree to it").await?;
    let changed =
        || AppError::BadRequest("Your plan changed while you were reading it. Read it again, then agree.".into());
    let draft = s.plan.draft().filter(|d| d.version == lock).ok_or_else(changed)?;
    let agreement =
        carethread_domain::plan::lifecycle::Agreement::from_own_sign_in(&draft.content, crate::web::current_date())
            .map_err(|why| AppError::BadRequest(why.into()))?;
    match plans::agree(&state.db, &viewer.audit(&meta), id, lock, &agreement).await? {
        Ok(_) => Ok(back_to_plan(id)),
        Err(_) => Err(changed()),
    }
}

async fn activate(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let number: i32 = number.parse().map_err(|_| AppError::NotFound)?;
    plans::activate(&state.db, &viewer.audit(&meta), id, number).await?;
    Ok(back_to_plan(id))
}

// ---------------------------------------------------------------------------------------------
// Versions and what changed

#[derive(Template, WebTemplate)]
#[template(path = "plan_versions.html")]
struct VersionsPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    versions: Vec<PlanVersion>,
    from: i32,
    to: i32,
    /// The plain-words changes from `from` to `to`, when two versions were chosen.
    changes: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct Compare {
    from: Option<String>,
    to: Option<String>,
}

async fn versions_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Query(q): Query<Compare>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened the care plan's versions").await?;
    let newest = s.plan.versions.first().map_or(0, |v| v.number);
    let number = |raw: Option<&str>, default: i32| -> Result<i32, AppError> {
        match raw.map(str::trim).filter(|r| !r.is_empty()) {
            None => Ok(default),
            Some(r) => r.parse().map_err(|_| AppError::BadRequest("Choose versions from the lists.".into())),
        }
    };
    let chosen = q.from.is_some() || q.to.is_some();
    let from = number(q.from.as_deref(), (newest - 1).max(1))?;
    let to = number(q.to.as_deref(), newest)?;
    let changes = if chosen {
        let (a, b) = match (s.plan.version(from), s.plan.version(to)) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(AppError::BadRequest("Choose two versions that exist.".into())),
        };
        Some(carethread_domain::plan::diff::describe(&a.content, &b.content))
    } else {
        None
    };
    Ok(VersionsPage {
        layout: Layout::new(&viewer, format!("Versions of the plan: {}", s.name), ""),
        person_id: id,
        name: s.name,
        versions: s.plan.versions,
        from,
        to,
        changes,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "plan_version.html")]
struct VersionPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    version: PlanVersion,
    content: PlanContent,
    can_edit: bool,
    can_write_goals: bool,
}

async fn version_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let number: i32 = number.parse().map_err(|_| AppError::NotFound)?;
    let s = subject(&state, &viewer, &meta, id, "opened a version of the care plan").await?;
    let version = s.plan.version(number).cloned().ok_or(AppError::NotFound)?;
    Ok(VersionPage {
        layout: Layout::new(&viewer, format!("Version {number} of the plan: {}", s.name), ""),
        person_id: id,
        content: version.content.clone(),
        version,
        name: s.name,
        // A past version is read-only: its change links would edit the draft, not this.
        can_edit: false,
        can_write_goals: false,
    }
    .into_response())
}

/// How a version is described in lists and headings.
pub(crate) fn status_tag(status: &PlanStatus) -> &'static str {
    match status {
        PlanStatus::Draft => "nhsuk-tag--yellow",
        PlanStatus::Agreed => "nhsuk-tag--blue",
        PlanStatus::Active => "nhsuk-tag--green",
        PlanStatus::UnderReview => "nhsuk-tag--orange",
        PlanStatus::Superseded => "nhsuk-tag--grey",
    }
}
