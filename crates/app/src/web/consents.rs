//! Consent to share: the person's record of who may see what of their plan and record, why,
//! for how long, and how they agreed; and withdrawing it, which takes effect the same day.
//! Recorded here; the access rules for supporters and other organisations read it.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Pairs;
use crate::web::layout::Layout;
use crate::web::people::{authorise, may_edit};
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::plan::consent::{ConsentInput, Section, withdrawal_reason};
use carethread_domain::policy::Action;
use carethread_domain::{FieldErrors, PersonId};
use carethread_store::plans::{self, ConsentRecord};
use carethread_store::{StoreError, people, themes};
use uuid::Uuid;

pub fn router() -> Routes<AppState> {
    routes! {
        "/people/{id}/consents" => get(consents_page).post(add_consent),
        "/people/{id}/consents/{consent}/withdraw" => post(withdraw),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "consents.html")]
struct ConsentsPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    consents: Vec<ConsentRecord>,
    members: Vec<(Uuid, String)>,
    sections: Vec<Section>,
    form: ConsentInput,
    errors: FieldErrors,
    /// The consent whose withdrawal failed, and why.
    withdraw_error: Option<(Uuid, String)>,
    can_edit: bool,
    /// The person themselves or their team: may invite supporters and withdraw consents.
    can_manage: bool,
    /// The circle's members with whether each signs in, or has an invitation waiting.
    supporters: Vec<SupporterRow>,
    today: chrono::NaiveDate,
}

/// One member of the circle of support, as the "signing in" list shows them.
struct SupporterRow {
    id: Uuid,
    name: String,
    signs_in: bool,
    invited_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl ConsentsPage {
    fn withdraw_error_for(&self, id: &Uuid) -> Option<&str> {
        self.withdraw_error.as_ref().filter(|(c, _)| c == id).map(|(_, m)| m.as_str())
    }
    fn has_section(&self, section: &Section) -> bool {
        self.form.sections.contains(&section.slug())
    }
}

async fn members(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(themes::members(&state.db, &viewer.audit(meta), id)
        .await?
        .into_iter()
        .map(|m| (m.id, format!("{} ({})", m.details.name, m.details.relationship)))
        .collect())
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
    form: ConsentInput,
    errors: FieldErrors,
    withdraw_error: Option<(Uuid, String)>,
) -> Result<ConsentsPage, AppError> {
    let ctx = viewer.audit(meta);
    let record = people::read(&state.db, &ctx, id, "opened the consents to share").await?;
    let waiting = carethread_store::invites::waiting(&state.db, id).await?;
    let supporters = themes::members(&state.db, &ctx, id)
        .await?
        .into_iter()
        .map(|m| SupporterRow {
            id: m.id,
            name: format!("{} ({})", m.details.name, m.details.relationship),
            signs_in: m.account_id.is_some(),
            invited_until: waiting.iter().find(|(member, _)| *member == m.id).map(|(_, until)| *until),
        })
        .collect();
    Ok(ConsentsPage {
        layout: Layout::new(viewer, format!("Consent to share: {}", record.details.display_name()), ""),
        person_id: id,
        name: record.details.display_name(),
        consents: plans::consents(&state.db, &ctx, id).await?,
        members: members(state, viewer, meta, id).await?,
        sections: Section::all(),
        form,
        errors,
        withdraw_error,
        can_edit: may_edit(state, viewer, id).await?,
        can_manage: crate::web::supporters::may_invite(state, viewer, id).await?,
        supporters,
        today: crate::web::current_date(),
    })
}

async fn consents_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let form = ConsentInput { from: crate::web::current_date().to_string(), ..ConsentInput::default() };
    Ok(page(&state, &viewer, &meta, id, form, FieldErrors::new(), None).await?.into_response())
}

async fn add_consent(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let f = Pairs(pairs);
    let form = ConsentInput {
        with_kind: f.one("with_kind"),
        member: f.one("member"),
        role: f.one("role"),
        organisation: f.one("organisation"),
        scope: f.one("scope"),
        sections: f.all("sections"),
        purpose: f.one("purpose"),
        from: f.one("from"),
        until: f.one("until"),
        given: f.one("given"),
        best_interests: f.one("best_interests"),
    };
    let choices = members(&state, &viewer, &meta, id).await?;
    let errors = match form.parse(&choices) {
        Ok(details) => match plans::add_consent(&state.db, &viewer.audit(&meta), id, &details).await {
            Ok(_) => return Ok(Redirect::to(&format!("/people/{id}/consents")).into_response()),
            Err(StoreError::Invalid(message)) => {
                let mut errors = FieldErrors::new();
                errors.add("member", message);
                errors
            }
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    let page = page(&state, &viewer, &meta, id, form, errors, None).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, consent)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ManageSharing, &id).await?;
    let consent: Uuid = crate::web::record_id(&consent)?;
    let typed = Pairs(pairs).one("reason");
    let problem = match withdrawal_reason(&typed) {
        Err(message) => Some(message.to_string()),
        Ok(reason) => {
            match plans::withdraw_consent(
                &state.db,
                &viewer.audit(&meta),
                id,
                consent,
                crate::web::current_date(),
                reason,
            )
            .await
            {
                Ok(()) => None,
                Err(StoreError::Invalid(message)) => Some(message.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    match problem {
        None => Ok(Redirect::to(&format!("/people/{id}/consents")).into_response()),
        Some(message) => {
            let form = ConsentInput { from: crate::web::current_date().to_string(), ..ConsentInput::default() };
            let page = page(&state, &viewer, &meta, id, form, FieldErrors::new(), Some((consent, message))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
