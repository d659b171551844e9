//! Review pages: scheduling, the review itself (agenda, attendance, minutes, outcome,
//! sign-off), and the ballot, filled in by the chair going round the table or by an attendee on
//! their own device.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::Versioned;
use crate::web::layout::Layout;
use crate::web::people::authorise;
use crate::web::routes::{Routes, routes};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::case::{ReviewPlan, ReviewPlanInput};
use carethread_domain::policy::Action;
use carethread_domain::reviews::{
    self, Attendance, AttendeeDetails, AttendeeInput, BallotInput, HEADLINE_RULE, MinutesInput, ReviewInput,
    ReviewKind, Vote,
};
use carethread_domain::themes::Theme;
use carethread_domain::{FieldErrors, PersonId};
use carethread_store::reviews::{self as store, Invitee, ReviewRecord, ReviewStatus, ThemeKey, ThemeOutcome};
use carethread_store::{StoreError, people, themes};
use std::collections::BTreeMap;
use uuid::Uuid;

pub fn router() -> Routes<AppState> {
    routes! {
        "/people/{id}/reviews" => post(schedule),
        "/people/{id}/reviews/new" => get(new_review),
        "/people/{id}/reviews/{review}" => get(review_page),
        "/people/{id}/reviews/{review}/attendance" => post(set_attendance),
        "/people/{id}/reviews/{review}/attendees" => post(add_attendee),
        "/people/{id}/reviews/{review}/minutes" => post(save_minutes),
        "/people/{id}/reviews/{review}/sign-off" => post(sign_off),
        "/people/{id}/reviews/{review}/amendments" => post(amend),
        "/people/{id}/reviews/{review}/votes/{attendee}" => get(ballot_page).post(record_ballot),
        "/people/{id}/reviews/{review}/my-votes" => get(my_ballot_page).post(record_my_ballot),
        "/people/{id}/reviews/{review}/prompt-sheet" => get(prompt_sheet_page).post(save_prompt_sheet),
    }
}

/// What every review page needs about the request: the app, who is asking, and whose case.
#[derive(Clone, Copy)]
struct On<'a> {
    state: &'a AppState,
    viewer: &'a Viewer,
    meta: &'a RequestMeta,
    id: PersonId,
}

/// Whose ballot, in which review, and where its form posts.
struct BallotTarget {
    review: Uuid,
    attendee: Uuid,
    action: String,
}

/// A store refusal that the person can act on becomes a plain message; the rest stay errors.
fn refusal(e: StoreError) -> Result<String, AppError> {
    match e {
        StoreError::Invalid(m) => Ok(m.to_string()),
        StoreError::Duplicate { what } => Ok(format!("{what} has just been recorded from another device. Reload to see it.")),
        StoreError::StaleVersion { .. } => {
            Ok("Someone else changed this review while you had it open. Nothing of yours was saved; check it and try again.".into())
        }
        other => Err(other.into()),
    }
}

// ----- scheduling -----

#[derive(Template, WebTemplate)]
#[template(path = "review_new.html")]
struct NewReviewPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    kinds: &'static [ReviewKind],
    form: ReviewInput,
    /// Circle members who can be invited: (id, name, relationship).
    members: Vec<(Uuid, String, String)>,
    invited: Vec<String>,
    other: AttendeeInput,
    errors: FieldErrors,
}

impl NewReviewPage {
    fn is_invited(&self, id: &Uuid) -> bool {
        self.invited.iter().any(|i| *i == id.to_string())
    }
}

async fn new_review_page(
    on: On<'_>,
    form: ReviewInput,
    invited: Vec<String>,
    other: AttendeeInput,
    errors: FieldErrors,
) -> Result<NewReviewPage, AppError> {
    let On { state, viewer, meta, id } = on;
    let ctx = viewer.audit(meta);
    let record = people::read(&state.db, &ctx, id, "opened the form to schedule a review").await?;
    let members = themes::members(&state.db, &ctx, id)
        .await?
        .into_iter()
        .map(|m| (m.id, m.details.name, m.details.relationship))
        .collect();
    Ok(NewReviewPage {
        layout: Layout::new(viewer, "Schedule a review", ""),
        person_id: id,
        name: record.details.display_name(),
        kinds: ReviewKind::ALL,
        form,
        members,
        invited,
        other,
        errors,
    })
}

async fn new_review(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let form = ReviewInput {
        kind: ReviewKind::FormalReview.slug().into(),
        chair: viewer.user.display_name.clone(),
        ..ReviewInput::default()
    };
    Ok(new_review_page(
        On { state: &state, viewer: &viewer, meta: &meta, id },
        form,
        Vec::new(),
        AttendeeInput::default(),
        FieldErrors::new(),
    )
    .await?
    .into_response())
}

/// The scheduling form: the review's fields, `invite` once per circle member ticked, and one
/// optional extra invitee.
async fn schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = ReviewInput {
        kind: field("kind"),
        day: field("day"),
        month: field("month"),
        year: field("year"),
        time: field("time"),
        place: field("place"),
        chair: field("chair"),
    };
    let invited: Vec<String> = pairs.iter().filter(|(k, _)| k == "invite").map(|(_, v)| v.clone()).collect();
    let other = AttendeeInput { name: field("other_name"), role: field("other_role") };
    let ctx = viewer.audit(&meta);
    let mut errors = FieldErrors::new();
    let details = form
        .parse(crate::web::current_date())
        .map_err(|e| e.iter().for_each(|x| errors.add(x.field, x.message.clone())))
        .ok();
    let extra = if other.name.trim().is_empty() && other.role.trim().is_empty() {
        None
    } else {
        match other.parse() {
            Ok(d) => Some(d),
            Err(e) => {
                for x in e.iter() {
                    errors.add(if x.field == "name" { "other_name" } else { "other_role" }, x.message.clone());
                }
                None
            }
        }
    };
    let Some(details) = details.filter(|_| errors.is_empty()) else {
        let page =
            new_review_page(On { state: &state, viewer: &viewer, meta: &meta, id }, form, invited, other, errors)
                .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    // A box ticked for someone taken off the circle meanwhile invites nobody.
    let members: Vec<Uuid> = invited.iter().filter_map(|m| m.parse().ok()).collect();
    let (invitees, _) = invitees(&state.db, &ctx, id, &members, extra.into_iter().collect()).await?;
    let review = store::schedule(&state.db, &ctx, id, &details, &invitees).await?;
    Ok(Redirect::to(&format!("/people/{id}/reviews/{review}")).into_response())
}

/// Who a new review invites: the person always, then the members of their circle among
/// `members` (in the circle's order), then anyone else by name. The ids in `members` that are
/// not in the circle come back beside them.
pub(crate) async fn invitees(
    db: &carethread_store::Db,
    ctx: &carethread_store::AuditContext,
    person: PersonId,
    members: &[Uuid],
    others: Vec<AttendeeDetails>,
) -> Result<(Vec<Invitee>, Vec<Uuid>), StoreError> {
    let record = people::read(db, ctx, person, "scheduled a review").await?;
    let circle = themes::members(db, ctx, person).await?;
    let mut invitees = vec![Invitee {
        details: AttendeeDetails { name: record.details.display_name(), role: "The person".into(), is_person: true },
        member_id: None,
        account_id: people::account_of(db, person).await?,
    }];
    for m in circle.iter().filter(|m| members.contains(&m.id)) {
        invitees.push(Invitee {
            details: AttendeeDetails {
                name: m.details.name.clone(),
                role: m.details.relationship.clone(),
                is_person: false,
            },
            member_id: Some(m.id),
            account_id: m.account_id,
        });
    }
    invitees.extend(others.into_iter().map(|details| Invitee { details, member_id: None, account_id: None }));
    let unknown = members.iter().filter(|id| !circle.iter().any(|m| m.id == **id)).copied().collect();
    Ok((invitees, unknown))
}

// ----- the review page -----

/// One theme on the review page: the agenda before, the outcome after.
struct ThemeRow {
    theme: Theme,
    /// What the person wrote about this theme on their prompt sheet.
    prompts: reviews::PromptAnswers,
    /// Open tasks serving this theme: (title, who).
    open_tasks: Vec<(String, String)>,
    /// Entries written or changed since the last signed-off review.
    changed: Vec<String>,
    open_steps: usize,
    outcome: ThemeOutcome,
    notes: String,
    decisions: String,
    not_discussed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "review.html")]
struct ReviewPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    review: ReviewRecord,
    rows: Vec<ThemeRow>,
    attendances: &'static [Attendance],
    rule: &'static str,
    /// The viewer's own attendee record, when they can vote from their own sign-in.
    my_attendee: Option<Uuid>,
    plan: ReviewPlanInput,
    /// Why it cannot be signed off yet, or why the last action was refused.
    problems: Vec<String>,
    errors: FieldErrors,
    new_attendee: AttendeeInput,
    /// Staff may change the review; the person may read it and give their own votes.
    can_edit: bool,
    /// The actions agreed at this review, as tasks, and what has happened to them.
    actions: Vec<carethread_store::tasks::TaskRecord>,
    today: chrono::NaiveDate,
}

impl ReviewPage {
    fn is_open(&self) -> bool {
        self.review.status == ReviewStatus::Scheduled
    }
    fn theme_error(&self, prefix: &str, theme: &Theme) -> Option<&str> {
        self.errors.get(&format!("{prefix}-{}", theme.slug()))
    }
    fn votes_of(&self, attendee: &Uuid) -> usize {
        self.review.votes.iter().filter(|v| v.attendee_id == *attendee).count()
    }
}

async fn review_page_for(
    on: On<'_>,
    review_id: Uuid,
    problems: Vec<String>,
    errors: FieldErrors,
    minutes_form: Option<MinutesInput>,
) -> Result<ReviewPage, AppError> {
    let On { state, viewer, meta, id } = on;
    let ctx = viewer.audit(meta);
    let record = people::read(&state.db, &ctx, id, "opened a review").await?;
    let review = store::review(&state.db, &ctx, id, review_id).await?;
    let since = store::last_signed_off(&state.db, id).await?.filter(|t| *t < review.details.at);
    let audience = crate::web::people::audience(state, viewer, id).await?;
    let changed = themes::changed_since(&state.db, id, since.map(|t| t.and_utc()), audience).await?;
    let (glance, _) = themes::glance(&state.db, id, audience).await?;
    let outcome = review.outcome();
    let all_tasks = carethread_store::tasks::for_person(&state.db, &ctx, id).await?;
    let rows = Theme::ALL
        .iter()
        .map(|t| {
            let m = review.minutes.of(*t);
            let typed =
                |prefix: &str| minutes_form.as_ref().and_then(|f| f.get(&format!("{prefix}-{}", t.slug())).cloned());
            ThemeRow {
                theme: *t,
                prompts: review.prompt_sheet.as_ref().map(|saved| saved.sheet.of(*t)).unwrap_or_default(),
                open_tasks: all_tasks
                    .iter()
                    .filter(|task| task.details.theme == Some(*t) && task.details.status.is_open())
                    .map(|task| (task.details.title.clone(), task.owner_name.clone()))
                    .collect(),
                changed: changed.get(t).cloned().unwrap_or_default(),
                open_steps: glance.get(t).map(|g| g.open_steps).unwrap_or(0),
                outcome: outcome[&ThemeKey::of(*t)].clone(),
                notes: typed("notes").unwrap_or_else(|| m.notes.clone().unwrap_or_default()),
                decisions: typed("decisions").unwrap_or_else(|| m.decisions.clone().unwrap_or_default()),
                not_discussed: minutes_form
                    .as_ref()
                    .map(|f| f.contains_key(&format!("not-discussed-{}", t.slug())))
                    .unwrap_or(m.not_discussed),
            }
        })
        .collect();
    let plan = match record.case.review_plan {
        Some(p) => ReviewPlan {
            every_weeks: p.every_weeks,
            next_review: review.details.at.date() + chrono::Duration::weeks(p.every_weeks.into()),
        },
        None => ReviewPlan { every_weeks: 12, next_review: review.details.at.date() + chrono::Duration::weeks(12) },
    }
    .to_input();
    let actions = all_tasks.iter().filter(|t| t.review.map(|(r, _)| r) == Some(review.id)).cloned().collect();
    let my_attendee = review.attendees.iter().find(|a| a.account_id == Some(viewer.user.user_id())).map(|a| a.id);
    Ok(ReviewPage {
        layout: Layout::new(
            viewer,
            format!("{} on {}", review.details.kind.label(), review.details.at.format("%-d %B %Y")),
            "",
        ),
        person_id: id,
        name: record.details.display_name(),
        review,
        rows,
        attendances: Attendance::ALL,
        rule: HEADLINE_RULE,
        my_attendee,
        plan,
        problems,
        errors,
        new_attendee: AttendeeInput::default(),
        actions,
        today: crate::web::current_date(),
        can_edit: crate::web::people::may_edit(state, viewer, id).await?,
    })
}

async fn review_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let page = state
        .in_one_snapshot(async |state| {
            let id = authorise(state, &viewer, &meta, Action::ReadPerson, &id).await?;
            let review = crate::web::record_id(&review)?;
            let on = On { state, viewer: &viewer, meta: &meta, id };
            review_page_for(on, review, Vec::new(), FieldErrors::new(), None).await
        })
        .await?;
    Ok(page.into_response())
}

/// Shows the review again with a refusal, or goes back to it after a successful change.
async fn after(on: On<'_>, review: Uuid, result: Result<(), StoreError>, anchor: &str) -> Result<Response, AppError> {
    let id = on.id;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/people/{id}/reviews/{review}#{anchor}")).into_response()),
        Err(e) => {
            let message = refusal(e)?;
            let page = review_page_for(on, review, vec![message], FieldErrors::new(), None).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

/// Attendance: `attendance-<attendee id>` = invited | present | sent-views | apologies.
async fn set_attendance(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let review = crate::web::record_id(&review)?;
    let mut marks = Vec::new();
    for (key, value) in &form {
        if let Some(attendee) = key.strip_prefix("attendance-") {
            let attendee = crate::web::record_id(attendee)
                .map_err(|_| AppError::BadRequest("The attendance form was garbled.".into()))?;
            let mark: Attendance =
                value.parse().map_err(|_| AppError::BadRequest("Choose one of the attendance answers.".into()))?;
            marks.push((attendee, mark));
        }
    }
    let result = store::set_attendance(&state.db, &viewer.audit(&meta), id, review, &marks).await;
    after(On { state: &state, viewer: &viewer, meta: &meta, id }, review, result, "attendance").await
}

async fn add_attendee(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    Form(form): Form<AttendeeInput>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let review = crate::web::record_id(&review)?;
    match form.parse() {
        Ok(details) => {
            let invitee = Invitee { details, member_id: None, account_id: None };
            let result = store::add_attendee(&state.db, &viewer.audit(&meta), id, review, &invitee).await.map(|_| ());
            after(On { state: &state, viewer: &viewer, meta: &meta, id }, review, result, "attendance").await
        }
        Err(errors) => {
            let mut page = review_page_for(
                On { state: &state, viewer: &viewer, meta: &meta, id },
                review,
                Vec::new(),
                errors,
                None,
            )
            .await?;
            page.new_attendee = form;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn save_minutes(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    Form(form): Form<Versioned<MinutesInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let review = crate::web::record_id(&review)?;
    let version = form.version()?;
    let typed = form.form;
    let minutes = match reviews::parse_minutes(&typed) {
        Ok(m) => m,
        Err(errors) => {
            let page = review_page_for(
                On { state: &state, viewer: &viewer, meta: &meta, id },
                review,
                Vec::new(),
                errors,
                Some(typed),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match store::save_minutes(&state.db, &viewer.audit(&meta), id, review, version, &minutes).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/reviews/{review}#minutes")).into_response()),
        Ok(Err(_)) => {
            let message = "Someone else saved the minutes while you were typing. Nothing of yours was saved: your words are below, and what they wrote is saved. Merge them and save again.".to_string();
            let page = review_page_for(
                On { state: &state, viewer: &viewer, meta: &meta, id },
                review,
                vec![message],
                FieldErrors::new(),
                Some(typed),
            )
            .await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => {
            let message = refusal(e)?;
            let page = review_page_for(
                On { state: &state, viewer: &viewer, meta: &meta, id },
                review,
                vec![message],
                FieldErrors::new(),
                Some(typed),
            )
            .await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

async fn sign_off(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    Form(form): Form<Versioned<ReviewPlanInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let review = crate::web::record_id(&review)?;
    let version = form.version()?;
    let plan = match form.form.parse(crate::web::current_date()) {
        Ok(p) => p,
        Err(errors) => {
            let mut page = review_page_for(
                On { state: &state, viewer: &viewer, meta: &meta, id },
                review,
                Vec::new(),
                errors,
                None,
            )
            .await?;
            page.plan = form.form;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match store::sign_off(&state.db, &viewer.audit(&meta), id, review, version, plan).await {
        Ok(Ok(())) => Ok(Redirect::to(&format!("/people/{id}/reviews/{review}")).into_response()),
        Ok(Err(problems)) => {
            let mut page = review_page_for(
                On { state: &state, viewer: &viewer, meta: &meta, id },
                review,
                problems,
                FieldErrors::new(),
                None,
            )
            .await?;
            page.plan = form.form;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => after(On { state: &state, viewer: &viewer, meta: &meta, id }, review, Err(e), "sign-off").await,
    }
}

// ----- ballots -----

#[derive(Template, WebTemplate)]
#[template(path = "review_ballot.html")]
struct BallotPage {
    layout: Layout,
    person_id: PersonId,
    review_id: Uuid,
    /// Whose votes these are.
    voter: String,
    /// Where the form posts: the chair's page for one attendee, or "my votes".
    action: String,
    themes: [Theme; 6],
    votes: &'static [Vote],
    form: BallotInput,
    errors: FieldErrors,
    problem: Option<String>,
}

impl BallotPage {
    fn chosen(&self, theme: &Theme, vote: &Vote) -> bool {
        self.form.get(&format!("vote-{}", theme.slug())).map(String::as_str) == Some(vote.slug())
    }
    fn vote_error(&self, theme: &Theme) -> Option<&str> {
        self.errors.get(reviews::vote_field(*theme))
    }
    fn comment(&self, theme: &Theme) -> &str {
        self.form.get(&format!("comment-{}", theme.slug())).map(String::as_str).unwrap_or("")
    }
    fn picto_theme(&self, t: &Theme) -> String {
        crate::web::pictograms::theme(*t)
    }
}

async fn ballot_for(
    on: On<'_>,
    target: BallotTarget,
    typed: Option<BallotInput>,
    errors: FieldErrors,
    problem: Option<String>,
    headers: &HeaderMap,
) -> Result<BallotPage, AppError> {
    let On { state, viewer, meta, id } = on;
    let BallotTarget { review: review_id, attendee, action } = target;
    let review = store::review(&state.db, &viewer.audit(meta), id, review_id).await?;
    let who = review.attendee(attendee).ok_or(AppError::NotFound)?;
    let form = typed.unwrap_or_else(|| {
        review
            .votes
            .iter()
            .filter(|v| v.attendee_id == attendee)
            .flat_map(|v| {
                let mut pairs = vec![(format!("vote-{}", v.theme.slug()), v.vote.slug().to_string())];
                if let Some(c) = &v.comment {
                    pairs.push((format!("comment-{}", v.theme.slug()), c.clone()));
                }
                pairs
            })
            .collect()
    });
    let mut layout = Layout::new(viewer, format!("Votes of {}", who.details.name), "");
    let record = people::read(&state.db, &viewer.audit(meta), id, "opened a review ballot").await?;
    layout.easy_read = crate::web::easy_read::wanted(headers, record.details.easy_read);
    Ok(BallotPage {
        layout,
        person_id: id,
        review_id,
        voter: who.details.name.clone(),
        action,
        themes: Theme::ALL,
        votes: Vote::ALL,
        form,
        errors,
        problem,
    })
}

async fn ballot_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review, attendee)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let (review, attendee) = (crate::web::record_id(&review)?, crate::web::record_id(&attendee)?);
    let action = format!("/people/{id}/reviews/{review}/votes/{attendee}");
    let page = ballot_for(
        On { state: &state, viewer: &viewer, meta: &meta, id },
        BallotTarget { review, attendee, action },
        None,
        FieldErrors::new(),
        None,
        &headers,
    )
    .await?;
    Ok(page.into_response())
}

async fn save_ballot(
    on: On<'_>,
    target: BallotTarget,
    form: BallotInput,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let (id, review, attendee) = (on.id, target.review, target.attendee);
    let ballot = match reviews::parse_ballot(&form) {
        Ok(b) => b,
        Err(errors) => {
            let page = ballot_for(on, target, Some(form), errors, None, headers).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match store::record_ballot(&on.state.db, &on.viewer.audit(on.meta), id, review, attendee, &ballot).await {
        Ok(()) => Ok(Redirect::to(&format!("/people/{id}/reviews/{review}#outcome")).into_response()),
        Err(e) => {
            let message = refusal(e)?;
            let page = ballot_for(on, target, Some(form), FieldErrors::new(), Some(message), headers).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

async fn record_ballot(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review, attendee)): Path<(String, String, String)>,
    headers: HeaderMap,
    Form(form): Form<BallotInput>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let (review, attendee) = (crate::web::record_id(&review)?, crate::web::record_id(&attendee)?);
    let action = format!("/people/{id}/reviews/{review}/votes/{attendee}");
    save_ballot(
        On { state: &state, viewer: &viewer, meta: &meta, id },
        BallotTarget { review, attendee, action },
        form,
        &headers,
    )
    .await
}

/// The viewer's own attendee record in the review: only their own votes can be recorded here.
async fn my_attendee(on: On<'_>, review: Uuid) -> Result<Uuid, AppError> {
    let On { state, viewer, meta, id } = on;
    let r = store::review(&state.db, &viewer.audit(meta), id, review).await?;
    r.attendees.iter().find(|a| a.account_id == Some(viewer.user.user_id())).map(|a| a.id).ok_or_else(|| {
        AppError::Forbidden("You are not on the list of attendees for this review, so you cannot vote in it.".into())
    })
}

async fn my_ballot_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::VoteInReview, &id).await?;
    let review = crate::web::record_id(&review)?;
    let attendee = my_attendee(On { state: &state, viewer: &viewer, meta: &meta, id }, review).await?;
    let action = format!("/people/{id}/reviews/{review}/my-votes");
    let page = ballot_for(
        On { state: &state, viewer: &viewer, meta: &meta, id },
        BallotTarget { review, attendee, action },
        None,
        FieldErrors::new(),
        None,
        &headers,
    )
    .await?;
    Ok(page.into_response())
}

async fn record_my_ballot(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<BallotInput>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::VoteInReview, &id).await?;
    let review = crate::web::record_id(&review)?;
    let attendee = my_attendee(On { state: &state, viewer: &viewer, meta: &meta, id }, review).await?;
    let action = format!("/people/{id}/reviews/{review}/my-votes");
    save_ballot(
        On { state: &state, viewer: &viewer, meta: &meta, id },
        BallotTarget { review, attendee, action },
        form,
        &headers,
    )
    .await
}

// ----- the prompt sheet -----

#[derive(Template, WebTemplate)]
#[template(path = "review_prompt_sheet.html")]
struct PromptSheetPage {
    layout: Layout,
    person_id: PersonId,
    review_id: Uuid,
    when: String,
    themes: [Theme; 6],
    form: reviews::PromptSheetInput,
    errors: FieldErrors,
    problem: Option<String>,
    /// True when the person is filling it in from their own sign-in.
    own: bool,
}

impl PromptSheetPage {
    fn value(&self, prompt: &str, theme: &Theme) -> &str {
        self.form.get(reviews::prompt_field(prompt, *theme)).map(String::as_str).unwrap_or("")
    }
    fn field(&self, prompt: &str, theme: &Theme) -> &'static str {
        reviews::prompt_field(prompt, *theme)
    }
    fn other(&self, key: &str) -> &str {
        self.form.get(key).map(String::as_str).unwrap_or("")
    }
    /// The version of the sheet the form was opened at.
    fn version(&self) -> &str {
        self.other("version")
    }
    fn picto_theme(&self, t: &Theme) -> String {
        crate::web::pictograms::theme(*t)
    }
}

async fn prompt_sheet_for(
    on: On<'_>,
    review_id: Uuid,
    typed: Option<reviews::PromptSheetInput>,
    errors: FieldErrors,
    problem: Option<String>,
) -> Result<PromptSheetPage, AppError> {
    let On { state, viewer, meta, id } = on;
    let review = store::review(&state.db, &viewer.audit(meta), id, review_id).await?;
    let saved = review.prompt_sheet.as_ref();
    // A form sent back with errors keeps the version it was opened at, so saving it again is
    // still checked against what its writer saw.
    let form = typed.unwrap_or_else(|| {
        let mut form = saved.map(|s| s.sheet.to_input()).unwrap_or_default();
        form.insert("version".into(), saved.map_or(0, |s| s.version).to_string());
        form
    });
    let mut layout = Layout::new(viewer, "Before my review", "");
    // The sheet is always easy read: it is written for the person.
    layout.easy_read = true;
    Ok(PromptSheetPage {
        layout,
        person_id: id,
        review_id,
        when: review.details.at.format("%A %-d %B at %H:%M").to_string(),
        themes: Theme::ALL,
        form,
        errors,
        problem,
        own: viewer.user.person() == Some(id),
    })
}

async fn prompt_sheet_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::VoteInReview, &id).await?;
    let review = crate::web::record_id(&review)?;
    let on = On { state: &state, viewer: &viewer, meta: &meta, id };
    Ok(prompt_sheet_for(on, review, None, FieldErrors::new(), None).await?.into_response())
}

async fn save_prompt_sheet(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    Form(form): Form<reviews::PromptSheetInput>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::VoteInReview, &id).await?;
    let review = crate::web::record_id(&review)?;
    let on = On { state: &state, viewer: &viewer, meta: &meta, id };
    let sheet = match reviews::parse_prompt_sheet(&form) {
        Ok(s) => s,
        Err(errors) => {
            let page = prompt_sheet_for(on, review, Some(form), errors, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let base = crate::web::forms::parse_version(form.get("version").map_or("", String::as_str))?;
    match store::save_prompt_sheet(&state.db, &viewer.audit(&meta), id, review, base, &sheet).await {
        Ok(_) if viewer.user.person() == Some(id) => Ok(Redirect::to("/me?sheet=saved").into_response()),
        Ok(_) => Ok(Redirect::to(&format!("/people/{id}/reviews/{review}#minutes")).into_response()),
        Err(e) => {
            let message = refusal(e)?;
            let page = prompt_sheet_for(on, review, Some(form), FieldErrors::new(), Some(message)).await?;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
    }
}

#[derive(serde::Deserialize)]
struct AmendForm {
    #[serde(default)]
    body: String,
}

/// A correction after sign-off: recorded beside the review, which itself stays as signed off.
async fn amend(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, review)): Path<(String, String)>,
    Form(form): Form<AmendForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let review = crate::web::record_id(&review)?;
    let on = On { state: &state, viewer: &viewer, meta: &meta, id };
    let mut errors = FieldErrors::new();
    let body = carethread_domain::text::required(&mut errors, "body", "what is amended and why", &form.body, 2000);
    if !errors.is_empty() {
        let page = review_page_for(on, review, Vec::new(), errors, None).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let result = store::amend(&state.db, &viewer.audit(&meta), id, review, &body).await;
    after(on, review, result, "amendments").await
}
