//! The six theme pages: entries in each theme, the circle of support's members, and the
//! history of every entry and member.

use crate::auth::{RequestMeta, Viewer};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::forms::{Versioned, parse_version};
use crate::web::layout::Layout;
use crate::web::people::authorise;
use crate::web::routes::{Routes, routes};
use crate::web::svg;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use carethread_domain::circle::{self, Involvement, MemberInput, Source};
use carethread_domain::good_lives::{Good, GoodLives, GoodLivesInput, Standing};
use carethread_domain::policy::Action;
use carethread_domain::problems::{ProblemDetails, ProblemInput};
use carethread_domain::themes::{EntryDetails, EntryInput, EntryKind, Theme, Topic};
use carethread_domain::{FieldErrors, PersonId};
use carethread_store::StoreError;
use carethread_store::people;
use carethread_store::themes::{self, EntryRecord, MemberChange, MemberRecord, Version};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Routes<AppState> {
    routes! {
        "/people/{id}/themes/{theme}" => get(theme_page),
        "/people/{id}/summary" => get(summary),
        "/people/{id}/good-lives" => get(good_lives_form).post(save_good_lives),
        "/people/{id}/problems" => post(add_problem),
        "/people/{id}/problems/new" => get(new_problem),
        "/people/{id}/problems/{problem}/edit" => get(edit_problem_form).post(edit_problem),
        "/people/{id}/problems/{problem}/remove" => post(remove_problem),
        "/people/{id}/problems/{problem}/history" => get(problem_history),
        "/people/{id}/problems/{problem}/links" => post(link_problem),
        "/people/{id}/problems/{problem}/links/{other}/remove" => post(unlink_problem),
        "/people/{id}/themes/{theme}/entries" => post(add_entry),
        "/people/{id}/entries/{entry}/edit" => get(edit_entry_form).post(edit_entry),
        "/people/{id}/entries/{entry}/remove" => post(remove_entry),
        "/people/{id}/entries/{entry}/history" => get(entry_history),
        "/people/{id}/entries/{entry}/comments" => post(add_comment),
        "/people/{id}/circle" => post(add_member),
        "/people/{id}/circle/new" => get(new_member),
        "/people/{id}/circle/{member}/edit" => get(edit_member_form).post(edit_member),
        "/people/{id}/circle/{member}/remove" => post(remove_member),
        "/people/{id}/circle/{member}/history" => get(member_history),
    }
}

fn parse_theme(raw: &str) -> Result<Theme, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// The reviews and conversations an entry can say it came from: (id, "Formal case review, 4 Dec 2026").
async fn review_choices(state: &AppState, person: PersonId) -> Result<Vec<(Uuid, String)>, AppError> {
    Ok(carethread_store::reviews::reviews(&state.db, person)
        .await?
        .into_iter()
        .rev()
        .map(|r| (r.id, format!("{}, {}", r.details.kind.label(), r.details.at.format("%-d %b %Y"))))
        .collect())
}

/// A part of a theme page: one topic (for themes that have topics) or one kind of entry.
struct Section {
    anchor: &'static str,
    title: &'static str,
    hint: Option<&'static str>,
    entries: Vec<EntryRecord>,
}

/// Themes with topics are laid out by topic, then entries about the theme as a whole; the
/// others by kind of entry.
fn sections(theme: Theme, entries: &[EntryRecord]) -> Vec<Section> {
    let pick = |keep: &dyn Fn(&EntryRecord) -> bool| entries.iter().filter(|e| keep(e)).cloned().collect::<Vec<_>>();
    let mut out: Vec<Section> = Topic::of(theme)
        .map(|t| Section {
            anchor: t.slug(),
            title: t.label(),
            hint: Some(t.hint()),
            entries: pick(&|e| e.details.topic == Some(t)),
        })
        .collect();
    if out.is_empty() {
        out = EntryKind::ALL
            .into_iter()
            .map(|k| Section {
                anchor: k.slug(),
                title: k.label(),
                hint: None,
                entries: pick(&|e| e.details.kind == k),
            })
            .collect();
    } else {
        out.push(Section {
            anchor: "whole-theme",
            title: "About the theme as a whole",
            hint: None,
            entries: pick(&|e| e.details.topic.is_none()),
        });
    }
    out
}

/// Where on the theme page an entry appears (the `sections` it falls in).
fn anchor(theme: Theme, details: &EntryDetails) -> &'static str {
    match (details.topic, Topic::of(theme).next()) {
        (Some(topic), _) => topic.slug(),
        (None, Some(_)) => "whole-theme",
        (None, None) => details.kind.slug(),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "theme.html")]
struct ThemePage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    theme: Theme,
    sections: Vec<Section>,
    kinds: [EntryKind; 4],
    topics: Vec<Topic>,
    form: EntryInput,
    errors: FieldErrors,
    members: Vec<MemberRecord>,
    circle_svg: String,
    prompts: Vec<&'static str>,
    sources: [Source; 3],
    review_plan: Option<carethread_domain::case::ReviewPlan>,
    /// For problem toolkits: the problem areas.
    problems: Vec<themes::ProblemRecord>,
    /// For joining in: the Good Lives checklist as it stands.
    good_lives: Vec<(Good, carethread_domain::good_lives::GoodLine)>,
    /// For progress: every review, oldest first, with its outcome.
    reviews: Vec<carethread_store::reviews::ReviewSummary>,
    /// For progress: the trajectory chart of the signed-off reviews (empty until there is one).
    trajectory: String,
    /// Reviews an entry can link to (the golden thread).
    review_choices: Vec<(Uuid, String)>,
    /// For progress: per review, its actions as (agreed, done).
    review_actions: std::collections::HashMap<Uuid, (usize, usize)>,
    /// Staff who may change the record see the forms; the person reads.
    can_edit: bool,
    /// The person on their own "about me": a short form to write in their own words.
    can_write_own: bool,
    /// The person, or staff with a relationship: may answer an entry with a comment.
    can_comment: bool,
    comments: Vec<themes::CommentRecord>,
    /// A comment that could not be added: (entry, why).
    comment_error: Option<(uuid::Uuid, &'static str)>,
}

async fn theme_page_for(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
    theme: Theme,
    headers: &HeaderMap,
    (form, errors): (EntryInput, FieldErrors),
) -> Result<ThemePage, AppError> {
    let ctx = viewer.audit(meta);
    let record = people::read(&state.db, &ctx, id, &format!("opened the theme {}", theme.title())).await?;
    let name = record.details.display_name();
    let can_edit = crate::web::people::may_edit(state, viewer, id).await?;
    let audience = crate::web::people::audience(state, viewer, id).await?;
    let entries = themes::entries(&state.db, &ctx, id, theme, audience).await?;
    let sections = sections(theme, &entries);
    let (members, circle_svg, prompts) = if theme == Theme::CircleOfSupport {
        let members = themes::members(&state.db, &ctx, id).await?;
        let dots: Vec<svg::Dot<'_>> = members
            .iter()
            .map(|m| svg::Dot { name: &m.details.name, source: m.details.source, involvement: m.details.involvement })
            .collect();
        let picture = svg::circle(&name, &dots);
        let details: Vec<_> = members.iter().map(|m| m.details.clone()).collect();
        let capacity = themes::capacity_in_question(&state.db, id).await?;
        (members, picture, circle::prompts(&details, capacity))
    } else {
        (Vec::new(), String::new(), Vec::new())
    };
    let problems = if theme == Theme::ProblemToolkits {
        themes::problems(&state.db, &viewer.audit(meta), id).await?
    } else {
        Vec::new()
    };
    let good_lives = if theme == Theme::JoiningIn {
        themes::good_lives(&state.db, id).await?.0.0.into_iter().collect()
    } else {
        Vec::new()
    };
    let reviews =
        if theme == Theme::Progress { carethread_store::reviews::reviews(&state.db, id).await? } else { Vec::new() };
    let trajectory = trajectory_chart(&reviews);
    let mut review_actions = std::collections::HashMap::new();
    if theme == Theme::Progress {
        for t in carethread_store::tasks::for_person(&state.db, &ctx, id).await? {
            if let Some((review, _)) = t.review {
                let e: &mut (usize, usize) = review_actions.entry(review).or_default();
                e.0 += 1;
                e.1 += usize::from(t.details.status == carethread_domain::tasks::TaskStatus::Done);
            }
        }
    }
    let mut layout = Layout::new(viewer, format!("{}: {name}", theme.title()), "");
    layout.easy_read = crate::web::easy_read::wanted(headers, record.details.easy_read);
    Ok(ThemePage {
        layout,
        person_id: id,
        name,
        theme,
        sections,
        kinds: EntryKind::ALL,
        topics: Topic::of(theme).collect(),
        form,
        errors,
        members,
        circle_svg,
        prompts,
        sources: Source::ALL,
        review_plan: record.case.review_plan,
        good_lives,
        problems,
        reviews,
        trajectory,
        review_choices: review_choices(state, id).await?,
        review_actions,
        can_write_own: !can_edit && theme == Theme::AboutMe && viewer.user.person() == Some(id),
        can_edit,
        can_comment: crate::web::people::allowed(state, viewer, Action::Comment, id).await?,
        comments: themes::comments(&state.db, id, theme).await?,
        comment_error: None,
    })
}

/// The trajectory over the signed-off reviews; nothing to draw before the first one.
fn trajectory_chart(reviews: &[carethread_store::reviews::ReviewSummary]) -> String {
    use carethread_store::reviews::{ReviewStatus, ThemeKey};
    let points: Vec<svg::ChartPoint> = reviews
        .iter()
        .filter(|r| r.status == ReviewStatus::SignedOff)
        .map(|r| svg::ChartPoint {
            label: r.details.at.format("%-d %b %Y").to_string(),
            headlines: Theme::ALL.map(|t| r.outcome[&ThemeKey::of(t)].tally.headline()),
        })
        .collect();
    if points.is_empty() { String::new() } else { svg::trajectory(&points) }
}

async fn theme_page(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, theme)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let form =
        EntryInput { kind: EntryKind::Working.slug().into(), voice: "with-person".into(), ..EntryInput::default() };
    let page = state
        .in_one_snapshot(async |state| {
            let id = authorise(state, &viewer, &meta, Action::ReadPerson, &id).await?;
            let theme = parse_theme(&theme)?;
            theme_page_for(state, &viewer, &meta, id, theme, &headers, (form, FieldErrors::new())).await
        })
        .await?;
    Ok(page.into_response())
}

#[derive(serde::Deserialize)]
struct CommentForm {
    #[serde(default)]
    body: String,
}

/// The person (or staff working with them) answers an entry with a comment.
async fn add_comment(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, entry)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::Comment, &id).await?;
    let entry = crate::web::record_id(&entry)?;
    let audience = crate::web::people::audience(&state, &viewer, id).await?;
    // An entry withheld from the person does not exist for them.
    let theme = themes::visible_entry_theme(&state.db, id, entry, audience).await?.ok_or(AppError::NotFound)?;
    match carethread_domain::themes::CommentText::parse(&form.body) {
        Ok(text) => {
            themes::add_comment(&state.db, &viewer.audit(&meta), id, entry, audience, &text).await?;
            Ok(Redirect::to(&format!("/people/{id}/themes/{}#entry-{entry}", theme.slug())).into_response())
        }
        Err(message) => {
            let mut page = theme_page_for(
                &state,
                &viewer,
                &meta,
                id,
                theme,
                &headers,
                (EntryInput::default(), FieldErrors::new()),
            )
            .await?;
            page.comment_error = Some((entry, message));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn add_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, theme)): Path<(String, String)>,
    headers: HeaderMap,
    Form(form): Form<EntryInput>,
) -> Result<Response, AppError> {
    let theme = parse_theme(&theme)?;
    // "About me" takes the person's own words from their own sign-in; every theme takes staff's.
    let action = if theme == Theme::AboutMe { Action::WriteOwnWords } else { Action::EditPerson };
    let id = authorise(&state, &viewer, &meta, action, &id).await?;
    let form = if viewer.user.person() == Some(id) { own_words(form) } else { form };
    match form.parse(theme, crate::web::current_date()) {
        Ok(details) => match themes::add_entry(&state.db, &viewer.audit(&meta), id, theme, &details).await {
            Ok(_) => Ok(Redirect::to(&format!("/people/{id}/themes/{}#{}", theme.slug(), anchor(theme, &details)))
                .into_response()),
            Err(StoreError::Invalid(message)) => {
                let mut errors = FieldErrors::new();
                errors.add("from_review", message);
                let page = theme_page_for(&state, &viewer, &meta, id, theme, &headers, (form, errors)).await?;
                Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
            }
            Err(e) => Err(e.into()),
        },
        Err(errors) => {
            let page = theme_page_for(&state, &viewer, &meta, id, theme, &headers, (form, errors)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// What the person writes about themselves is in their own words and theirs to see: whatever the
/// form says, it is their view, not withheld, not someone else's, and not filed under a review.
fn own_words(form: EntryInput) -> EntryInput {
    EntryInput {
        topic: carethread_domain::themes::Topic::MyView.slug().into(),
        voice: "own-words".into(),
        perspective_of: String::new(),
        withhold: None,
        withhold_reason: String::new(),
        from_review: String::new(),
        source: String::new(),
        ..form
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "entry_form.html")]
struct EntryFormPage {
    layout: Layout,
    person_id: PersonId,
    entry: EntryRecord,
    form: EntryInput,
    errors: FieldErrors,
    kinds: [EntryKind; 4],
    topics: Vec<Topic>,
    version: i64,
    /// Set when the save was refused because someone else changed the entry first.
    changed_by_someone_else: bool,
    review_choices: Vec<(Uuid, String)>,
}

impl EntryFormPage {
    fn keeping_safe(&self) -> bool {
        self.entry.theme == Theme::KeepingSafe
    }
}

async fn edit_entry_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, entry)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let entry = themes::entry(&state.db, &viewer.audit(&meta), id, crate::web::record_id(&entry)?).await?;
    Ok(EntryFormPage {
        layout: Layout::new(&viewer, format!("Change an entry in {}", entry.theme.title()), ""),
        person_id: id,
        form: entry.details.to_input(),
        version: entry.version,
        topics: Topic::of(entry.theme).collect(),
        entry,
        errors: FieldErrors::new(),
        kinds: EntryKind::ALL,
        changed_by_someone_else: false,
        review_choices: review_choices(&state, id).await?,
    }
    .into_response())
}

async fn edit_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, entry_id)): Path<(String, String)>,
    Form(f): Form<Versioned<EntryInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let entry_id = crate::web::record_id(&entry_id)?;
    let version = f.version()?;
    let ctx = viewer.audit(&meta);
    let choices = review_choices(&state, id).await?;
    let refused =
        |entry: EntryRecord, errors: FieldErrors, version: i64, stale: bool, form: EntryInput| EntryFormPage {
            review_choices: choices.clone(),
            layout: Layout::new(&viewer, format!("Change an entry in {}", entry.theme.title()), ""),
            person_id: id,
            form,
            errors,
            kinds: EntryKind::ALL,
            topics: Topic::of(entry.theme).collect(),
            entry,
            version,
            changed_by_someone_else: stale,
        };
    let entry = themes::entry(&state.db, &ctx, id, entry_id).await?;
    let details: EntryDetails = match f.form.parse(entry.theme, crate::web::current_date()) {
        Ok(d) => d,
        Err(errors) => {
            return Ok(
                (StatusCode::UNPROCESSABLE_ENTITY, refused(entry, errors, version, false, f.form)).into_response()
            );
        }
    };
    match themes::update_entry(&state.db, &ctx, id, entry_id, version, &details).await {
        Ok(Ok(_)) => {
            Ok(Redirect::to(&format!("/people/{id}/themes/{}#{}", entry.theme.slug(), anchor(entry.theme, &details)))
                .into_response())
        }
        // Keep their typing; the form now carries the latest version, so saving again is a
        // deliberate choice to replace the other change.
        Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => {
            let current = themes::entry(&state.db, &ctx, id, entry_id).await?;
            let latest = current.version;
            Ok((StatusCode::CONFLICT, refused(current, FieldErrors::new(), latest, true, f.form)).into_response())
        }
        Err(StoreError::Invalid(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("from_review", message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, refused(entry, errors, version, false, f.form)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct VersionForm {
    #[serde(default)]
    version: String,
}

async fn remove_entry(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, entry_id)): Path<(String, String)>,
    Form(f): Form<VersionForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let entry_id = crate::web::record_id(&entry_id)?;
    let ctx = viewer.audit(&meta);
    let entry = themes::entry(&state.db, &ctx, id, entry_id).await?;
    match themes::remove_entry(&state.db, &ctx, id, entry_id, parse_version(&f.version)?).await {
        Ok(Ok(())) => Ok(Redirect::to(&format!("/people/{id}/themes/{}", entry.theme.slug())).into_response()),
        Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => Err(AppError::BadRequest(
            "Someone else changed this entry while you were looking at it, so it was not removed. Go back, reload the page and check it.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "record_history.html")]
struct HistoryPage {
    layout: Layout,
    back: String,
    versions: Vec<HistoryEntry>,
}

/// One version of a record, described for people.
struct HistoryEntry {
    version: i64,
    when: String,
    who: String,
    removed: bool,
    /// (what, value) pairs describing that version.
    lines: Vec<(String, String)>,
}

fn describe_entry(d: &EntryDetails) -> Vec<(String, String)> {
    let mut lines = vec![
        ("Kind".to_string(), d.kind.label().to_string()),
        ("Words".into(), d.body.clone()),
        ("Whose words".into(), d.voice.describe()),
    ];
    if let Some(p) = &d.particulars {
        lines.extend(p.lines().into_iter().map(|(q, a)| (q.to_string(), a)));
    }
    if let Some(s) = &d.source {
        lines.push(("Came from".into(), s.clone()));
    }
    if let Some(status) = d.status {
        lines.push(("Status".into(), status.label().to_string()));
    }
    if let Some(w) = &d.withheld {
        lines.push((
            "Not shown to the person".into(),
            format!("until {} – {}", w.review_by.format("%-d %B %Y"), w.reason),
        ));
    }
    lines
}

fn history_rows<T>(
    layout: &Layout,
    versions: Vec<Version<T>>,
    describe: impl Fn(&T) -> Vec<(String, String)>,
) -> Vec<HistoryEntry> {
    versions
        .into_iter()
        .map(|v| HistoryEntry {
            version: v.version,
            when: layout.time(&v.changed_at),
            who: v.changed_by.unwrap_or_else(|| "the system".into()),
            removed: v.removed,
            lines: describe(&v.details),
        })
        .collect()
}

async fn entry_history(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, entry_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let versions =
        themes::entry_versions(&state.db, &viewer.audit(&meta), id, crate::web::record_id(&entry_id)?).await?;
    // Someone who may not see withheld entries cannot read the history of one that is (or was
    // ever) withheld.
    if !crate::web::people::audience(&state, &viewer, id).await?.sees_withheld()
        && versions.iter().any(|v| v.details.withheld.is_some())
    {
        return Err(AppError::NotFound);
    }
    let layout = Layout::new(&viewer, "Earlier versions of an entry", "");
    let versions = history_rows(&layout, versions, describe_entry);
    Ok(HistoryPage { layout, back: format!("/people/{id}"), versions }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "member_form.html")]
struct MemberFormPage {
    layout: Layout,
    person_id: PersonId,
    /// `None` when adding.
    member_id: Option<Uuid>,
    form: MemberInput,
    errors: FieldErrors,
    version: i64,
    sources: [Source; 3],
    involvements: [Involvement; 3],
    changed_by_someone_else: bool,
}

impl MemberFormPage {
    fn new(
        viewer: &Viewer,
        person_id: PersonId,
        member_id: Option<Uuid>,
        form: MemberInput,
        errors: FieldErrors,
        version: i64,
    ) -> Self {
        let title =
            if member_id.is_some() { "Change a member of the circle" } else { "Add someone to the circle of support" };
        MemberFormPage {
            layout: Layout::new(viewer, title, ""),
            person_id,
            member_id,
            form,
            errors,
            version,
            sources: Source::ALL,
            involvements: Involvement::ALL,
            changed_by_someone_else: false,
        }
    }
}

async fn new_member(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    Ok(MemberFormPage::new(&viewer, id, None, MemberInput::default(), FieldErrors::new(), 0).into_response())
}

async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(form): Form<MemberInput>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let errors = match form.parse() {
        Ok(details) => {
            match themes::add_member(&state.db, &viewer.audit(&meta), id, &details, Some(&form.account)).await {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("/people/{id}/themes/circle-of-support")).into_response());
                }
                Err(StoreError::Invalid(message)) => {
                    let mut e = FieldErrors::new();
                    e.add("account", message);
                    e
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, MemberFormPage::new(&viewer, id, None, form, errors, 0)).into_response())
}

async fn edit_member_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, member)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let member = themes::member(&state.db, &viewer.audit(&meta), id, crate::web::record_id(&member)?).await?;
    let form = member.details.to_input(member.account.as_deref());
    Ok(MemberFormPage::new(&viewer, id, Some(member.id), form, FieldErrors::new(), member.version).into_response())
}

async fn edit_member(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, member_id)): Path<(String, String)>,
    Form(f): Form<Versioned<MemberInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let member_id = crate::web::record_id(&member_id)?;
    let version = f.version()?;
    let details = match f.form.parse() {
        Ok(d) => d,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                MemberFormPage::new(&viewer, id, Some(member_id), f.form, errors, version),
            )
                .into_response());
        }
    };
    let change = MemberChange::Update { details: &details, account: Some(&f.form.account) };
    match themes::change_member(&state.db, &viewer.audit(&meta), id, member_id, version, change).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/themes/circle-of-support")).into_response()),
        Ok(Err(current)) => {
            let mut page =
                MemberFormPage::new(&viewer, id, Some(member_id), f.form, FieldErrors::new(), current.version);
            page.changed_by_someone_else = true;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(StoreError::Invalid(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("account", message);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                MemberFormPage::new(&viewer, id, Some(member_id), f.form, errors, version),
            )
                .into_response())
        }
        Err(StoreError::StaleVersion { .. }) => Err(AppError::BadRequest(
            "Someone else saved a change at the same moment. Go back, reload and try again.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn remove_member(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, member_id)): Path<(String, String)>,
    Form(f): Form<VersionForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let member_id = crate::web::record_id(&member_id)?;
    match themes::change_member(&state.db, &viewer.audit(&meta), id, member_id, parse_version(&f.version)?, MemberChange::Remove).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/themes/circle-of-support")).into_response()),
        Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => Err(AppError::BadRequest(
            "Someone else changed this member while you were looking, so nothing was removed. Go back, reload and check.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn member_history(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, member_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let versions =
        themes::member_versions(&state.db, &viewer.audit(&meta), id, crate::web::record_id(&member_id)?).await?;
    let layout = Layout::new(&viewer, "Earlier versions of a circle member", "");
    let versions = history_rows(&layout, versions, |d: &circle::MemberDetails| {
        vec![
            ("Name".into(), d.name.clone()),
            ("Relationship or role".into(), d.relationship.clone()),
            ("Organisation".into(), d.organisation.clone().unwrap_or_default()),
            ("Contact".into(), d.contact.clone().unwrap_or_default()),
            ("From".into(), d.source.label().into()),
            ("Involvement".into(), d.involvement.label().into()),
            ("What they bring".into(), d.brings.clone().unwrap_or_default()),
        ]
    });
    Ok(HistoryPage { layout, back: format!("/people/{id}/themes/circle-of-support"), versions }.into_response())
}

impl ThemePage {
    fn comments_on(&self, entry: &uuid::Uuid) -> Vec<&themes::CommentRecord> {
        self.comments.iter().filter(|c| c.entry_id == *entry).collect()
    }
    fn comment_error_on(&self, entry: &uuid::Uuid) -> Option<&'static str> {
        self.comment_error.filter(|(e, _)| e == entry).map(|(_, m)| m)
    }
    fn role_label(&self, slug: &str) -> &'static str {
        if slug == carethread_domain::Role::Person.as_str() {
            "the person"
        } else {
            slug.parse::<carethread_domain::Role>().map(|r| r.label()).unwrap_or("Other")
        }
    }
    fn is_circle(&self) -> bool {
        self.theme == Theme::CircleOfSupport
    }
    fn is_progress(&self) -> bool {
        self.theme == Theme::Progress
    }
    fn is_joining_in(&self) -> bool {
        self.theme == Theme::JoiningIn
    }
    fn is_problems(&self) -> bool {
        self.theme == Theme::ProblemToolkits
    }
    /// The entry form asks the risk and best-interests questions only in "keeping safe and well".
    fn keeping_safe(&self) -> bool {
        self.theme == Theme::KeepingSafe
    }
    /// The label of the review an entry came from, for its card.
    fn review_label(&self, id: &Uuid) -> Option<&str> {
        self.review_choices.iter().find(|(r, _)| r == id).map(|(_, l)| l.as_str())
    }
    fn actions_of(&self, review: &Uuid) -> String {
        match self.review_actions.get(review) {
            None => "None".into(),
            Some((agreed, done)) => format!("{agreed} agreed, {done} done"),
        }
    }
    fn all_themes(&self) -> [Theme; 6] {
        Theme::ALL
    }
    fn headline_of(&self, review: &carethread_store::reviews::ReviewSummary, theme: &Theme) -> String {
        let o = &review.outcome[&carethread_store::reviews::ThemeKey::of(*theme)];
        if o.tally.total() == 0 {
            "–".into()
        } else {
            format!(
                "{} ({}·{}·{})",
                o.tally.headline().label(),
                o.tally.progressed,
                o.tally.unchanged,
                o.tally.slipped_back
            )
        }
    }
    fn picto_theme(&self, t: &Theme) -> String {
        crate::web::pictograms::theme(*t)
    }
    fn picto_kind(&self, k: &EntryKind) -> String {
        crate::web::pictograms::entry_kind(*k)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "summary.html")]
struct SummaryPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    /// Each theme with the entries to show under it: what is working, worries, open next steps.
    themes: Vec<(Theme, Vec<EntryRecord>)>,
    members: Vec<MemberRecord>,
    printed: String,
}

impl SummaryPage {
    fn picto_theme(&self, t: &Theme) -> String {
        crate::web::pictograms::theme(*t)
    }
    fn picto_kind(&self, k: &EntryKind) -> String {
        crate::web::pictograms::entry_kind(*k)
    }
}

/// An easy-read summary of the six themes, to print or to read with the person. Entries
/// withheld from the person are left out, so the page can always be shared with them.
pub(crate) async fn summary(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let ctx = viewer.audit(&meta);
    let record = people::read(&state.db, &ctx, id, "opened the easy-read summary").await?;
    let entries =
        themes::shareable_entries(&state.db, &ctx, id, "opened the easy-read summary of the six themes").await?;
    let members = themes::members(&state.db, &ctx, id).await?;
    let shown = |e: &&EntryRecord| match e.details.kind {
        EntryKind::Working | EntryKind::Worry => true,
        EntryKind::NextStep => e.details.status == Some(carethread_domain::themes::StepStatus::Open),
        EntryKind::Note => false,
    };
    let themes = Theme::ALL
        .into_iter()
        .map(|t| (t, entries.iter().filter(|e| e.theme == t).filter(shown).cloned().collect()))
        .collect();
    let name = record.details.display_name();
    let mut layout = Layout::new(&viewer, format!("{name}: my care in six parts"), "");
    layout.easy_read = true;
    let printed = layout.date(&carethread_store::now().date_naive());
    Ok(SummaryPage { layout, person_id: id, name, themes, members, printed }.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "good_lives.html")]
struct GoodLivesPage {
    layout: Layout,
    person_id: PersonId,
    name: String,
    form: GoodLivesInput,
    errors: FieldErrors,
    version: i64,
    goods: [Good; 11],
    standings: [Standing; 3],
    changed_by_someone_else: bool,
}

impl GoodLivesPage {
    fn value<'a>(&'a self, field: &str) -> &'a str {
        self.form.get(field).map_or("", String::as_str)
    }
    fn note_field(&self, good: &Good) -> &'static str {
        Good::note_field(*good)
    }
}

async fn good_lives_page(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
) -> Result<(GoodLivesPage, GoodLives), AppError> {
    let record = people::read(&state.db, &viewer.audit(meta), id, "opened the Good Lives checklist").await?;
    let (checklist, version) = themes::good_lives(&state.db, id).await?;
    let page = GoodLivesPage {
        layout: Layout::new(viewer, "Good Lives checklist", ""),
        person_id: id,
        name: record.details.display_name(),
        form: checklist.to_input(),
        errors: FieldErrors::new(),
        version,
        goods: Good::ALL,
        standings: Standing::ALL,
        changed_by_someone_else: false,
    };
    Ok((page, checklist))
}

async fn good_lives_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    Ok(good_lives_page(&state, &viewer, &meta, id).await?.0.into_response())
}

async fn save_good_lives(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(form): Form<GoodLivesInput>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let version = parse_version(form.get("version").map_or("", String::as_str))?;
    let (mut page, _) = good_lives_page(&state, &viewer, &meta, id).await?;
    let checklist = match GoodLives::parse(&form) {
        Ok(c) => c,
        Err(errors) => {
            page.form = form;
            page.errors = errors;
            page.version = version;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match themes::save_good_lives(&state.db, &viewer.audit(&meta), id, version, &checklist).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/themes/joining-in#good-lives")).into_response()),
        // Someone else saved first: keep this person's answers on the form, now at the latest
        // version, so saving again is a deliberate choice.
        Ok(Err(_)) | Err(StoreError::StaleVersion { .. } | StoreError::Duplicate { .. }) => {
            page.form = form;
            page.changed_by_someone_else = true;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "problem_form.html")]
struct ProblemFormPage {
    layout: Layout,
    person_id: PersonId,
    /// `None` when adding.
    problem_id: Option<Uuid>,
    form: ProblemInput,
    errors: FieldErrors,
    version: i64,
    changed_by_someone_else: bool,
}

impl ProblemFormPage {
    fn new(
        viewer: &Viewer,
        person_id: PersonId,
        problem_id: Option<Uuid>,
        form: ProblemInput,
        errors: FieldErrors,
        version: i64,
    ) -> Self {
        let title = if problem_id.is_some() { "Change a problem area" } else { "Add a problem area" };
        ProblemFormPage {
            layout: Layout::new(viewer, title, ""),
            person_id,
            problem_id,
            form,
            errors,
            version,
            changed_by_someone_else: false,
        }
    }
}

const PROBLEMS_PAGE: &str = "themes/problem-toolkits#problem-areas";

async fn new_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    Ok(ProblemFormPage::new(&viewer, id, None, ProblemInput::default(), FieldErrors::new(), 0).into_response())
}

async fn add_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path(id): Path<String>,
    Form(form): Form<ProblemInput>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    match form.parse() {
        Ok(details) => {
            themes::add_problem(&state.db, &viewer.audit(&meta), id, &details).await?;
            Ok(Redirect::to(&format!("/people/{id}/{PROBLEMS_PAGE}")).into_response())
        }
        Err(errors) => Ok((StatusCode::UNPROCESSABLE_ENTITY, ProblemFormPage::new(&viewer, id, None, form, errors, 0))
            .into_response()),
    }
}

async fn edit_problem_form(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, problem)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let problem = crate::web::record_id(&problem)?;
    let (details, version) = themes::problem(&state.db, &viewer.audit(&meta), id, problem).await?;
    Ok(ProblemFormPage::new(&viewer, id, Some(problem), details.to_input(), FieldErrors::new(), version)
        .into_response())
}

async fn edit_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, problem)): Path<(String, String)>,
    Form(f): Form<Versioned<ProblemInput>>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let problem = crate::web::record_id(&problem)?;
    let version = f.version()?;
    let details = match f.form.parse() {
        Ok(d) => d,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                ProblemFormPage::new(&viewer, id, Some(problem), f.form, errors, version),
            )
                .into_response());
        }
    };
    match themes::change_problem(&state.db, &viewer.audit(&meta), id, problem, version, Some(&details)).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/{PROBLEMS_PAGE}")).into_response()),
        Ok(Err((_, latest))) => {
            let mut page = ProblemFormPage::new(&viewer, id, Some(problem), f.form, FieldErrors::new(), latest);
            page.changed_by_someone_else = true;
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(StoreError::StaleVersion { .. }) => Err(AppError::BadRequest(
            "Someone else saved a change at the same moment. Go back, reload and try again.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn remove_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, problem)): Path<(String, String)>,
    Form(f): Form<VersionForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let problem = crate::web::record_id(&problem)?;
    match themes::change_problem(&state.db, &viewer.audit(&meta), id, problem, parse_version(&f.version)?, None).await {
        Ok(Ok(_)) => Ok(Redirect::to(&format!("/people/{id}/{PROBLEMS_PAGE}")).into_response()),
        Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => Err(AppError::BadRequest(
            "Someone else changed this problem area while you were looking, so it was not removed. Go back, reload and check.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct LinkForm {
    #[serde(default)]
    other: String,
}

async fn link_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, problem)): Path<(String, String)>,
    Form(f): Form<LinkForm>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let problem = crate::web::record_id(&problem)?;
    let other = Uuid::parse_str(f.other.trim())
        .map_err(|_| AppError::BadRequest("Choose the problem area to link it with from the list.".into()))?;
    set_link(&state, &viewer, &meta, id, problem, other, true).await
}

async fn unlink_problem(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, problem, other)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::EditPerson, &id).await?;
    let (problem, other) = (crate::web::record_id(&problem)?, crate::web::record_id(&other)?);
    set_link(&state, &viewer, &meta, id, problem, other, false).await
}

async fn set_link(
    state: &AppState,
    viewer: &Viewer,
    meta: &RequestMeta,
    id: PersonId,
    problem: Uuid,
    other: Uuid,
    linked: bool,
) -> Result<Response, AppError> {
    match themes::set_problem_link(&state.db, &viewer.audit(meta), id, problem, other, linked).await {
        Ok(()) => Ok(Redirect::to(&format!("/people/{id}/{PROBLEMS_PAGE}")).into_response()),
        Err(StoreError::Invalid(message)) => Err(AppError::BadRequest(message.into())),
        Err(e) => Err(e.into()),
    }
}

async fn problem_history(
    State(state): State<AppState>,
    viewer: Viewer,
    meta: RequestMeta,
    Path((id, problem)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = authorise(&state, &viewer, &meta, Action::ReadPerson, &id).await?;
    let versions =
        themes::problem_versions(&state.db, &viewer.audit(&meta), id, crate::web::record_id(&problem)?).await?;
    let layout = Layout::new(&viewer, "Earlier versions of a problem area", "");
    let versions = history_rows(&layout, versions, |d: &ProblemDetails| {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            ("Problem area".into(), d.name.clone()),
            ("Described as".into(), d.described_as.label().into()),
            ("Code".into(), s(&d.code)),
            ("Effect on daily life".into(), d.impact.clone()),
            ("Assessments".into(), s(&d.assessments)),
            ("Guidelines".into(), s(&d.guidelines)),
            ("Plan".into(), s(&d.plan)),
            ("Progress".into(), s(&d.progress)),
            ("Next initiatives".into(), s(&d.next_initiatives)),
        ]
    });
    Ok(HistoryPage { layout, back: format!("/people/{id}/{PROBLEMS_PAGE}"), versions }.into_response())
}
