//! Supporters: family, friends, carers and advocates in a person's circle of support who sign in
//! to see what the person has consented to share with them. The person or their team invites
//! them with a single-use code; what they then see follows the person's consents, day by day,
//! and stops the moment a consent is withdrawn.

use crate::auth::session::pre_session_csrf;
use crate::auth::{RequestMeta, Viewer, password, token};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::layout::Layout;
use crate::web::people::{allowed, authorise, target};
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use carethread_domain::plan::PlanContent;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::{Action, decide};
use carethread_domain::themes::Theme;
use carethread_domain::{FieldErrors, PersonId, Username};
use carethread_store::access::{self, Sharer};
use carethread_store::invites::{self, NewSupporter, RedeemError};
use carethread_store::themes::EntryRecord;
use carethread_store::{AuditContext, plans, themes};
use serde::Deserialize;

pub fn router() -> Routes<AppState> {
    routes! {
        "/supporting" => get(supporting),
        "/people/{id}/shared" => get(shared),
        "/people/{id}/invites" => post(invite),
        "/invite" => get(accept_form).post(accept),
    }
}

// ---- The supporter's own pages ----

#[derive(Template, WebTemplate)]
#[template(path = "supporting.html")]
struct SupportingPage {
    layout: Layout,
    sharers: Vec<Sharer>,
}

/// A supporter's home: the people who share something with them today.
async fn supporting(State(state): State<AppState>, viewer: Viewer, meta: RequestMeta) -> Result<Response, AppError> {
    if viewer.role != carethread_domain::Role::Supporter {
        return Err(AppError::Forbidden("This page is for supporters: family, friends, carers and advocates.".into()));
    }
    let principal = viewer.principal();
    let listed = access::sharing_with(&state.db, &viewer.audit(&meta), &principal, crate::web::current_date()).await?;
    // Each row passes the policy, like every other list.
    let mut sharers = Vec::new();
    for s in listed {
        if let Some(t) = target(&state, &viewer, s.person).await?
            && s.sections.iter().any(|sec| decide(&principal, Action::ReadSection(*sec), Some(&t)).is_allowed())
        {
            sharers.push(s);
        }
    }
    Ok(SupportingPage { layout: Layout::new(&viewer, "People you support", "/supporting"), sharers }.into_response())
}

/// One theme's entries, as shared.
struct SharedTheme {
    theme: Theme,
    entries: Vec<EntryRecord>,
}

#[derive(Template, WebTemplate)]
#[template(path = "shared.html")]
struct SharedPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    themes: Vec<SharedTheme>,
    /// The agreed plan in force, when any part of it is shared.
    content: Option<PlanContent>,
    goals: bool,
    management: bool,
    escalation: bool,
    /// Always false here: the template parts are shared with the team's plan page.
    can_edit: bool,
    can_write_goals: bool,
}

/// What the person shares with the viewer, section by section: only the sections the policy
/// allows, only entries not withheld from the person, and only the plan as agreed.
async fn shared(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(raw): Path<String>,
) -> Result<Response, AppError> {
    let id: PersonId = raw.parse().map_err(|_| AppError::NotFound)?;
    let t = target(&state, &viewer, id).await?.ok_or(AppError::NotFound)?;
    let principal = viewer.principal();
    let sections: Vec<Section> = Section::all()
        .into_iter()
        .filter(|s| decide(&principal, Action::ReadSection(*s), Some(&t)).is_allowed())
        .collect();
    if sections.is_empty() {
        // Audits the refusal and answers as for any record one may not see.
        authorise(&state, &viewer, &meta, Action::ReadSection(Section::Escalation), &raw).await?;
        return Err(AppError::NotFound);
    }
    let ctx = viewer.audit(&meta);
    let shown: Vec<Theme> =
        sections.iter().filter_map(|s| if let Section::Theme(t) = s { Some(*t) } else { None }).collect();
    let labels: Vec<String> = sections.iter().map(|s| s.label()).collect();
    let what = format!("opened what is shared with them: {}", labels.join("; "));
    let record = carethread_store::people::read(&state.db, &ctx, id, &what).await?;
    let mut themes_shown = Vec::new();
    if !shown.is_empty() {
        let entries = themes::shareable_entries(&state.db, &ctx, id, "read the shared themes").await?;
        for theme in shown {
            let entries = entries.iter().filter(|e| e.theme == theme).cloned().collect();
            themes_shown.push(SharedTheme { theme, entries });
        }
    }
    let has = |s: Section| sections.contains(&s);
    let content = if has(Section::Goals) || has(Section::Management) || has(Section::Escalation) {
        let plan = plans::plan(&state.db, &ctx, id, "read the shared parts of the agreed plan").await?;
        plan.current().map(|v| v.content.clone())
    } else {
        None
    };
    let name = record.details.display_name();
    Ok(SharedPage {
        layout: Layout::new(&viewer, format!("What {name} shares with you"), ""),
        person_id: id,
        name,
        themes: themes_shown,
        content,
        goals: has(Section::Goals),
        management: has(Section::Management),
        escalation: has(Section::Escalation),
        can_edit: false,
        can_write_goals: false,
    }
    .into_response())
}

// ---- Inviting ----

#[derive(Deserialize)]
struct InviteForm {
    #[serde(default)]
    member: String,
}

/// Makes an invitation for one member of the circle and shows its code, once.
async fn invite(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(raw): Path<String>,
    headers: HeaderMap,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ManageSharing, &raw).await?;
    let member: uuid::Uuid =
        form.member.parse().map_err(|_| AppError::BadRequest("Choose someone from the circle of support.".into()))?;
    let code = token::invite_code();
    let expires =
        invites::create(&state.db, &viewer.audit(&meta), id, member, &token::hash(&code.normalised())).await?;
    let members = themes::members(&state.db, &viewer.audit(&meta), id).await?;
    let member_name = members.iter().find(|m| m.id == member).map(|m| m.details.name.clone()).unwrap_or_default();
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    let link = format!("{scheme}://{host}/invite?code={}", code.normalised());
    Ok(InvitedPage {
        layout: Layout::new(&viewer, format!("Invitation for {member_name}"), ""),
        person_id: id,
        member_name,
        code: code.display(),
        link,
        expires,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "invited.html")]
struct InvitedPage {
    layout: Layout,
    person_id: PersonId,
    member_name: String,
    code: String,
    link: String,
    expires: chrono::DateTime<chrono::Utc>,
}

/// Whether the viewer may invite supporters for this person: for the consents page.
pub(crate) async fn may_invite(state: &AppState, viewer: &Viewer, id: PersonId) -> Result<bool, AppError> {
    allowed(state, viewer, Action::ManageSharing, id).await
}

// ---- Accepting an invitation (before signing in) ----

#[derive(Template, WebTemplate)]
#[template(path = "invite_accept.html")]
struct AcceptPage {
    layout: Layout,
    form: AcceptForm,
    errors: FieldErrors,
    /// Whose circle the code is for, once a valid code was given: (member name, person's first name).
    invitation: Option<(String, String)>,
    signed_in_as: Option<String>,
}

#[derive(Deserialize, Default)]
struct AcceptQuery {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize, Default, Clone)]
struct AcceptForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn invitation_for(state: &AppState, code: &str) -> Result<Option<(String, String)>, AppError> {
    let normalised = token::InviteCode::normalise(code);
    if normalised.is_empty() {
        return Ok(None);
    }
    Ok(invites::lookup(&state.db, &token::hash(&normalised))
        .await?
        .map(|i| (i.member_name(), i.person_first_name().to_string())))
}

async fn accept_form(
    State(state): State<AppState>,
    viewer: Option<Extension<Viewer>>,
    headers: HeaderMap,
    Query(q): Query<AcceptQuery>,
) -> Result<Response, AppError> {
    let (csrf, set) = pre_session_csrf(&headers, state.config.secure_cookies);
    let invitation = invitation_for(&state, &q.code).await?;
    let page = AcceptPage {
        layout: Layout::anonymous("Accept an invitation to Carethread", csrf),
        form: AcceptForm { code: q.code, ..AcceptForm::default() },
        errors: FieldErrors::new(),
        invitation,
        signed_in_as: viewer.map(|v| v.user.display_name.clone()),
    };
    Ok((AppendHeaders(set.map(|c| (SET_COOKIE, c))), page).into_response())
}

const NOT_VALID: &str = "This code does not work. It may have been typed wrongly, used already, replaced by a newer one, or expired. Ask whoever invited you for a new one.";

async fn accept(
    State(state): State<AppState>,
    viewer: Option<Extension<Viewer>>,
    meta: RequestMeta,
    headers: HeaderMap,
    Form(mut form): Form<AcceptForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let code = token::InviteCode::normalise(&form.code);
    let invitation = invitation_for(&state, &code).await?;
    if invitation.is_none() {
        errors.add("code", NOT_VALID);
    }
    let display_name = form.display_name.trim().to_string();
    if display_name.is_empty() {
        errors.add("display_name", "Enter your name, as you would like others to see it.");
    } else if display_name.chars().count() > 100 {
        errors.add("display_name", "Your name must be 100 characters or fewer.");
    }
    let username: Option<Username> = match form.username.trim().to_lowercase().parse() {
        Ok(u) => Some(u),
        Err(e) => {
            errors.add("username", e.to_string());
            None
        }
    };
    if let Err(message) = password::check_new(&form.password) {
        errors.add("password", message);
    } else if form.password != form.confirm {
        errors.add("confirm", "The two passwords are not the same. Type the same password twice.");
    }
    if errors.is_empty()
        && let Some(username) = username
    {
        let hash = password::hash(std::mem::take(&mut form.password)).await?;
        let ctx = AuditContext {
            org_id: None,
            user_id: None,
            username: username.as_str().to_string(),
            role: "supporter".into(),
            ip: meta.ip.clone(),
            request_id: meta.request_id.clone(),
        };
        let new = NewSupporter { username: &username, display_name: &display_name, password_hash: &hash };
        match invites::redeem(&state.db, &ctx, &token::hash(&code), new).await? {
            Ok(_) => return Ok(Redirect::to("/sign-in?invited=1").into_response()),
            Err(RedeemError::NotValid) => errors.add("code", NOT_VALID),
            Err(RedeemError::UsernameTaken) => {
                errors.add("username", "That username is taken. Choose another.");
            }
        }
    }
    form.password.clear();
    form.confirm.clear();
    let (csrf, set) = pre_session_csrf(&headers, state.config.secure_cookies);
    let page = AcceptPage {
        layout: Layout::anonymous("Accept an invitation to Carethread", csrf),
        form,
        errors,
        invitation,
        signed_in_as: viewer.map(|v| v.user.display_name.clone()),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, AppendHeaders(set.map(|c| (SET_COOKIE, c))), page).into_response())
}
