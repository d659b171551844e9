//! The plan as people carry it: the crisis view (one screen, one printed page, for a stranger
//! at 3 a.m.), and the easy-read plan as a web page and as a PDF made from the same data.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::people::authorise;
use crate::web::plans::{Subject, subject};
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use carethread_domain::plan::consent::Section;
use carethread_domain::plan::lifecycle::PlanStatus;
use carethread_domain::plan::{EscalationPlan, PlanContent};
use carethread_domain::policy::Action;
use carethread_domain::tasks::Owner;
use carethread_domain::{NhsNumber, PersonId};
use carethread_store::plans::PlanVersion;
use serde::Serialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/people/{id}/plan/crisis" => get(crisis_page),
        "/people/{id}/plan/easy-read" => get(easy_read_page),
        "/people/{id}/plan/easy-read.pdf" => get(easy_read_pdf),
    }
}

/// The version people should follow, and a warning when it is not agreed yet: the plan in
/// force, else the latest agreed, else the draft.
/// The version to follow, and a warning when it is not in force. `with_draft`: whether a draft
/// may be shown when nothing is agreed (not to supporters, who see only what was agreed).
fn to_follow(s: &Subject, with_draft: bool) -> (Option<&PlanVersion>, Option<String>) {
    match s.plan.current() {
        Some(v) if v.status == PlanStatus::Agreed => {
            (Some(v), Some(format!("Version {} is agreed but not yet in use.", v.number)))
        }
        Some(v) => (Some(v), None),
        None => match s.plan.draft().filter(|_| with_draft) {
            Some(d) => (Some(d), Some("This is a draft. It has not been agreed yet.".into())),
            None => (None, None),
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "plan_crisis.html")]
struct CrisisPage {
    layout: Layout,
    name: String,
    nhs_number: NhsNumber,
    date_of_birth: chrono::NaiveDate,
    communication: Option<String>,
    crisis: EscalationPlan,
    version: Option<i32>,
    warning: Option<String>,
}

async fn crisis_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    // Supporters with the escalation plan shared with them see it too.
    let id = authorise(&state, &viewer, &meta, Action::ReadSection(Section::Escalation), &id).await?;
    let whole_record = crate::web::people::allowed(&state, &viewer, Action::ReadPerson, id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened the crisis plan").await?;
    let (version, warning) = to_follow(&s, whole_record);
    Ok(CrisisPage {
        layout: Layout::new(&viewer, format!("Crisis plan: {}", s.name), ""),
        nhs_number: s.details.nhs_number,
        date_of_birth: s.details.date_of_birth,
        communication: s.details.communication_needs.clone(),
        crisis: version.map(|v| v.content.escalation.clone()).unwrap_or_default(),
        version: version.map(|v| v.number),
        warning,
        name: s.name,
    }
    .into_response())
}

/// The easy-read plan's words: the web page shows them and the PDF template reads them as
/// JSON, so the two always say the same.
#[derive(Serialize)]
pub(crate) struct EasyReadPlan {
    title: String,
    owner: String,
    status_note: Option<String>,
    goals: Vec<EasyGoal>,
    helping: Vec<String>,
    medicines: Vec<String>,
    looking_after: Vec<String>,
    crisis: EasyCrisis,
    review_line: String,
    footer: String,
}

#[derive(Serialize)]
struct EasyGoal {
    achieve: String,
    what_matters: String,
    steps: Vec<EasyStep>,
    commitment: Option<String>,
    status: Option<String>,
}

#[derive(Serialize)]
struct EasyStep {
    what: String,
    /// Who helps, as a sentence: "Samira Karimi (Mum) helps", or "I do this myself".
    who: String,
    by: Option<String>,
}

#[derive(Serialize)]
struct EasyCrisis {
    signs: Vec<String>,
    helps: Vec<String>,
    todo: Vec<String>,
    not_to_do: Vec<String>,
    wishes: Option<String>,
    contacts: Vec<EasyContact>,
    mandates: Vec<EasyMandate>,
}

#[derive(Serialize)]
struct EasyContact {
    name: String,
    role: String,
    phone: String,
    hours: String,
}

#[derive(Serialize)]
struct EasyMandate {
    label: String,
    says: String,
    kept_at: String,
}

fn long_date(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

impl EasyReadPlan {
    pub(crate) fn new(name: &str, version: Option<&PlanVersion>, warning: Option<String>) -> EasyReadPlan {
        let empty = PlanContent::default();
        let c = version.map_or(&empty, |v| &v.content);
        let e = &c.escalation;
        let review_line = match version.and_then(|v| v.review_due) {
            Some(due) => format!("We will look at this plan again by {}.", long_date(due)),
            None => "This plan has not been agreed yet.".into(),
        };
        EasyReadPlan {
            title: format!("{name}'s plan"),
            owner: c.ownership.describe(name),
            status_note: warning.or_else(|| version.is_none().then(|| "There is no plan yet.".to_string())),
            goals: c
                .goals
                .iter()
                .map(|g| EasyGoal {
                    achieve: g.achieve.clone(),
                    what_matters: g.what_matters.clone(),
                    steps: g
                        .steps
                        .iter()
                        .map(|s| EasyStep {
                            what: s.what.clone(),
                            who: match s.who {
                                Owner::Person => "I do this myself".into(),
                                _ => format!("{} helps", s.who_name),
                            },
                            by: s.by.map(long_date),
                        })
                        .collect(),
                    commitment: g.commitment.clone(),
                    status: (g.achievement != carethread_domain::plan::Achievement::Working)
                        .then(|| g.achievement.label().to_string()),
                })
                .collect(),
            helping: c.management.responsibilities.iter().map(|r| format!("{}: {}", r.who_name, r.what)).collect(),
            medicines: c.management.treatments.iter().map(|t| t.text.clone()).collect(),
            looking_after: c
                .management
                .self_management
                .iter()
                .chain(&c.management.social_prescribing)
                .cloned()
                .collect(),
            crisis: EasyCrisis {
                signs: e.warning_signs.clone(),
                helps: e.what_helps.clone(),
                todo: e.what_to_do.clone(),
                not_to_do: e.what_not_to_do.clone(),
                wishes: e.crisis_preferences.clone(),
                contacts: e
                    .contacts
                    .iter()
                    .map(|k| EasyContact {
                        name: k.name.clone(),
                        role: k.role.clone(),
                        phone: k.phone.as_str().to_string(),
                        hours: k.hours.clone(),
                    })
                    .collect(),
                mandates: e
                    .mandates
                    .iter()
                    .map(|m| EasyMandate {
                        label: m.kind.label().into(),
                        says: m.says.clone(),
                        kept_at: m.kept_at.clone(),
                    })
                    .collect(),
            },
            review_line,
            footer: match version {
                Some(v) => format!("{name}'s plan, version {}", v.number),
                None => format!("{name}'s plan"),
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "plan_easy_read.html")]
struct EasyReadPage {
    layout: Layout,
    person_id: PersonId,
    plan: EasyReadPlan,
}

async fn easy_read_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "opened the easy-read plan").await?;
    let (version, warning) = to_follow(&s, true);
    let mut layout = Layout::new(&viewer, format!("{}'s plan", s.name), "");
    layout.easy_read = true;
    Ok(EasyReadPage { layout, person_id: id, plan: EasyReadPlan::new(&s.name, version, warning) }.into_response())
}

async fn easy_read_pdf(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let s = subject(&state, &viewer, &meta, id, "downloaded the easy-read plan as a PDF").await?;
    let (version, warning) = to_follow(&s, true);
    let data =
        serde_json::to_value(EasyReadPlan::new(&s.name, version, warning)).map_err(|e| AppError::Internal(e.into()))?;
    let today = crate::web::current_date();
    // Typesetting is CPU work; keep it off the threads that serve other requests.
    let pdf = tokio::task::spawn_blocking(move || crate::pdf::render(crate::pdf::EASY_READ_PLAN, &data, today))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let file = match version {
        Some(v) => format!("care-plan-version-{}.pdf", v.number),
        None => "care-plan.pdf".to_string(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        pdf,
    )
        .into_response())
}
