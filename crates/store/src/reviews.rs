//! Reviews: scheduling, attendance, minutes, votes and sign-off.
//!
//! Every function takes the person the review belongs to and checks it in SQL, so a review id
//! from one person's page never reaches another's. Writes to a review first touch its row while
//! it is still open (`lock_open`): on PostgreSQL that row lock queues a vote behind a sign-off in
//! progress (and the reverse), so no vote slips in after the outcome is fixed; SQLite's
//! `BEGIN IMMEDIATE` already runs writers one at a time.

use crate::audit::{AuditContext, record};
use crate::db::{Db, Tx};
use crate::error::StoreError;
use crate::json::{from_json, to_json};
use crate::people::org_of;
use carethread_domain::case::ReviewPlan;
use carethread_domain::reviews::{
    Attendance, AttendeeDetails, Ballot, Minutes, PromptSheet, ReviewDetails, Tally, Vote, sign_off_problems,
};
use carethread_domain::themes::Theme;
use carethread_domain::{AuditAction, OrgId, PersonId, UserId};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewStatus {
    Scheduled,
    SignedOff,
}

impl ReviewStatus {
    fn as_str(&self) -> &'static str {
        match self {
            ReviewStatus::Scheduled => "scheduled",
            ReviewStatus::SignedOff => "signed-off",
        }
    }
    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "scheduled" => Ok(ReviewStatus::Scheduled),
            "signed-off" => Ok(ReviewStatus::SignedOff),
            other => Err(StoreError::Corrupt(format!("unknown review status '{other}'"))),
        }
    }
}

/// Someone to invite when scheduling.
#[derive(Clone, Debug)]
pub struct Invitee {
    pub details: AttendeeDetails,
    pub member_id: Option<Uuid>,
    pub account_id: Option<UserId>,
}

#[derive(Clone, Debug)]
pub struct AttendeeRecord {
    pub id: Uuid,
    pub details: AttendeeDetails,
    pub attendance: Attendance,
    pub account_id: Option<UserId>,
    /// The circle of support member they are, when invited from the circle.
    pub member_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct VoteRecord {
    pub id: Uuid,
    pub attendee_id: Uuid,
    pub theme: Theme,
    pub vote: Vote,
    pub comment: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct ReviewRecord {
    pub id: Uuid,
    pub details: ReviewDetails,
    pub minutes: Minutes,
    pub status: ReviewStatus,
    /// Counts every change to the review.
    pub version: i64,
    /// Counts the saves of its minutes (and their sign-off and amendments): what a minutes save
    /// names as the version it started from.
    pub minutes_version: i64,
    pub signed_off_at: Option<DateTime<Utc>>,
    pub signed_off_by: Option<String>,
    /// When anything in it last changed (a vote, attendance, the minutes, sign-off).
    pub updated_at: DateTime<Utc>,
    pub attendees: Vec<AttendeeRecord>,
    pub votes: Vec<VoteRecord>,
    /// The person's prompt sheet, with who saved it, when, and how many times.
    pub prompt_sheet: Option<SavedSheet>,
    /// Corrections recorded after sign-off, oldest first: (what and why, by whom, when).
    pub amendments: Vec<(String, Option<String>, DateTime<Utc>)>,
}

/// The kind of record a prompt sheet's earlier versions are kept as (module `snapshots`).
const PROMPT_SHEET: &str = "prompt-sheet";

/// A review's prompt sheet as last saved.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SavedSheet {
    pub sheet: PromptSheet,
    pub saved_by: Option<String>,
    pub saved_at: DateTime<Utc>,
    /// How many times it has been saved: the lock a change names (see `save_prompt_sheet`).
    pub version: i64,
}

/// One theme's outcome in a review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThemeOutcome {
    pub tally: Tally,
    /// The person's own vote, shown beside the tally.
    pub persons_vote: Option<Vote>,
}

impl ReviewRecord {
    pub fn attendee(&self, id: Uuid) -> Option<&AttendeeRecord> {
        self.attendees.iter().find(|a| a.id == id)
    }

    pub fn outcome(&self) -> BTreeMap<ThemeKey, ThemeOutcome> {
        outcome_of(&self.attendees, &self.votes)
    }

    pub fn vote_of(&self, attendee: Uuid, theme: Theme) -> Option<&VoteRecord> {
        self.votes.iter().find(|v| v.attendee_id == attendee && v.theme == theme)
    }
}

/// Themes in their map order, usable as a map key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ThemeKey(pub usize);

impl ThemeKey {
    pub fn of(theme: Theme) -> Self {
        ThemeKey(Theme::ALL.iter().position(|t| *t == theme).unwrap_or(0))
    }
    pub fn theme(&self) -> Theme {
        Theme::ALL[self.0]
    }
}

fn outcome_of(attendees: &[AttendeeRecord], votes: &[VoteRecord]) -> BTreeMap<ThemeKey, ThemeOutcome> {
    let person: Option<Uuid> = attendees.iter().find(|a| a.details.is_person).map(|a| a.id);
    tally_votes(votes.iter().map(|v| (v.theme, v.vote, Some(v.attendee_id) == person)))
}

/// Each theme's tally from (theme, vote, whether the person cast it); every theme has an entry,
/// so a theme no one voted on shows as such.
fn tally_votes(votes: impl Iterator<Item = (Theme, Vote, bool)>) -> BTreeMap<ThemeKey, ThemeOutcome> {
    let mut out: BTreeMap<ThemeKey, ThemeOutcome> = Theme::ALL
        .iter()
        .map(|t| (ThemeKey::of(*t), ThemeOutcome { tally: Tally::default(), persons_vote: None }))
        .collect();
    for (theme, vote, by_person) in votes {
        let entry =
            out.entry(ThemeKey::of(theme)).or_insert(ThemeOutcome { tally: Tally::default(), persons_vote: None });
        entry.tally.add(vote);
        if by_person {
            entry.persons_vote = Some(vote);
        }
    }
    out
}

/// A review in a list: enough for the timeline and the trajectory.
#[derive(Clone, Debug)]
pub struct ReviewSummary {
    pub id: Uuid,
    pub details: ReviewDetails,
    pub status: ReviewStatus,
    pub outcome: BTreeMap<ThemeKey, ThemeOutcome>,
}

/// Schedules a review with its first invitees. The person is always invited.
pub async fn schedule(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    details: &ReviewDetails,
    invitees: &[Invitee],
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let now = crate::now();
    let mut tx = db.begin().await?;
    let org = org_of(&mut tx, person).await?;
    exec_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO reviews (id, org_id, person_id, kind, scheduled_for, details, minutes, status, version, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(details.kind.slug())
    .bind(details.at)
    .bind(to_json(details)?)
    .bind(to_json(&Minutes::default())?)
    .bind(ReviewStatus::Scheduled.as_str())
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(now)
    .execute(c)
    .await
    })?;
    for invitee in invitees {
        insert_attendee(&mut tx, org, id, invitee).await?;
    }
    record(
        &mut tx,
        ctx,
        AuditAction::Create,
        Some(person),
        &format!(
            "scheduled a {} for {} with {} invited",
            details.kind.label().to_lowercase(),
            details.at.format("%Y-%m-%d %H:%M"),
            invitees.len()
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert_attendee(tx: &mut Tx, org: OrgId, review: Uuid, invitee: &Invitee) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    exec_tx!(tx, |c| sqlx::query(
        "INSERT INTO review_attendees (id, org_id, review_id, name, role, is_person, member_id, account_id, attendance, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(review)
    .bind(&invitee.details.name)
    .bind(&invitee.details.role)
    .bind(invitee.details.is_person)
    .bind(invitee.member_id)
    .bind(invitee.account_id.map(|a| a.as_uuid()))
    .bind(Attendance::Invited.slug())
    .bind(crate::now())
    .execute(c)
    .await)
    .map_err(|e| StoreError::from(e).on_unique("That account").on_missing_reference("That circle member or account does not exist"))?;
    Ok(id)
}

/// An open review, locked for a change by [`lock_open`].
struct Opened {
    /// The version the change started from.
    version: i64,
    /// The organisation holding the review, which every row added to it carries.
    org: OrgId,
}

/// Takes the review's row for this transaction if it is still open, and counts the change this
/// transaction makes as its next version; refuses once signed off. Returns the version the
/// review was at before, and its organisation.
async fn lock_open(tx: &mut Tx, person: PersonId, review: Uuid) -> Result<Opened, StoreError> {
    let bumped: Option<(i64, Uuid)> = on_tx!(tx, |c| sqlx::query_as(
        "UPDATE reviews SET updated_at = $1, version = version + 1 WHERE id = $2 AND person_id = $3 \
         AND status = 'scheduled' RETURNING version, org_id"
    )
    .bind(crate::now())
    .bind(review)
    .bind(person.as_uuid())
    .fetch_optional(c)
    .await)?;
    if let Some((now, org)) = bumped {
        return Ok(Opened { version: now - 1, org: OrgId::from_uuid(org) });
    }
    let exists: Option<(String,)> =
        on_tx!(tx, |c| sqlx::query_as("SELECT status FROM reviews WHERE id = $1 AND person_id = $2")
            .bind(review)
            .bind(person.as_uuid())
            .fetch_optional(c)
            .await)?;
    match exists {
        None => Err(StoreError::NotFound),
        Some(_) => Err(StoreError::Invalid("This review has been signed off, so it can no longer be changed.")),
    }
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    id: Uuid,
    details: String,
    minutes: String,
    status: String,
    version: i64,
    minutes_version: i64,
    signed_off_at: Option<DateTime<Utc>>,
    signed_off_by: Option<String>,
    prompt_sheet: Option<String>,
    prompt_sheet_at: Option<DateTime<Utc>>,
    prompt_sheet_by: Option<String>,
    prompt_sheet_version: i64,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AttendeeRow {
    id: Uuid,
    review_id: Uuid,
    name: String,
    role: String,
    is_person: bool,
    account_id: Option<Uuid>,
    member_id: Option<Uuid>,
    attendance: String,
}

impl TryFrom<AttendeeRow> for AttendeeRecord {
    type Error = StoreError;
    fn try_from(r: AttendeeRow) -> Result<Self, StoreError> {
        Ok(AttendeeRecord {
            id: r.id,
            details: AttendeeDetails { name: r.name, role: r.role, is_person: r.is_person },
            attendance: r.attendance.parse().map_err(StoreError::Corrupt)?,
            account_id: r.account_id.map(UserId::from_uuid),
            member_id: r.member_id,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VoteRow {
    id: Uuid,
    review_id: Uuid,
    attendee_id: Uuid,
    theme: String,
    vote: String,
    comment: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl TryFrom<VoteRow> for VoteRecord {
    type Error = StoreError;
    fn try_from(r: VoteRow) -> Result<Self, StoreError> {
        Ok(VoteRecord {
            id: r.id,
            attendee_id: r.attendee_id,
            theme: r.theme.parse().map_err(StoreError::Corrupt)?,
            vote: r.vote.parse().map_err(StoreError::Corrupt)?,
            comment: r.comment,
            recorded_at: r.recorded_at,
        })
    }
}

async fn load(tx: &mut Tx, person: PersonId, review: Uuid) -> Result<ReviewRecord, StoreError> {
    load_reviews(tx, person, Some(review)).await?.pop().ok_or(StoreError::NotFound)
}

/// The person's reviews in full, oldest first: all of them, or just `only`. Four queries however
/// many reviews there are: an export reads every review of thousands of people.
async fn load_reviews(tx: &mut Tx, person: PersonId, only: Option<Uuid>) -> Result<Vec<ReviewRecord>, StoreError> {
    let rows: Vec<ReviewRow> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT r.id, r.details, r.minutes, r.status, r.version, r.minutes_version, r.signed_off_at, \
             u.display_name AS signed_off_by, \
             r.prompt_sheet, r.prompt_sheet_at, ps.display_name AS prompt_sheet_by, r.prompt_sheet_version, r.updated_at \
             FROM reviews r LEFT JOIN users u ON u.id = r.signed_off_by LEFT JOIN users ps ON ps.id = r.prompt_sheet_by \
             WHERE r.person_id = $1 AND ($2 IS NULL OR r.id = $2) ORDER BY r.scheduled_for, r.id"
    )
    .bind(person.as_uuid())
    .bind(only)
    .fetch_all(c)
    .await
    })?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let attendees: Vec<AttendeeRow> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT a.id, a.review_id, a.name, a.role, a.is_person, a.account_id, a.member_id, a.attendance \
             FROM review_attendees a JOIN reviews r ON r.id = a.review_id WHERE r.person_id = $1 AND ($2 IS NULL OR r.id = $2) ORDER BY a.is_person DESC, a.id"
    )
    .bind(person.as_uuid())
    .bind(only)
    .fetch_all(c)
    .await
    })?;
    let votes: Vec<VoteRow> = on_tx!(tx, |c| {
        sqlx::query_as(
        "SELECT v.id, v.review_id, v.attendee_id, v.theme, v.vote, v.comment, v.recorded_at \
             FROM review_votes v JOIN reviews r ON r.id = v.review_id WHERE r.person_id = $1 AND ($2 IS NULL OR r.id = $2) ORDER BY v.recorded_at, v.id"
    )
    .bind(person.as_uuid())
    .bind(only)
    .fetch_all(c)
    .await
    })?;
    let amendments: Vec<(Uuid, String, Option<String>, DateTime<Utc>)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT a.review_id, a.body, u.display_name, a.made_at FROM review_amendments a \
             JOIN reviews r ON r.id = a.review_id LEFT JOIN users u ON u.id = a.made_by \
             WHERE r.person_id = $1 AND ($2 IS NULL OR r.id = $2) ORDER BY a.made_at, a.id"
    )
    .bind(person.as_uuid())
    .bind(only)
    .fetch_all(c)
    .await)?;
    let mut out: Vec<ReviewRecord> = rows.into_iter().map(review_record).collect::<Result<_, _>>()?;
    let place: HashMap<Uuid, usize> = out.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    // The four queries read one snapshot with one filter, so every row's review was read above.
    let of = |review: Uuid| {
        place.get(&review).copied().ok_or_else(|| StoreError::Corrupt(format!("review {review} vanished while read")))
    };
    for a in attendees {
        let i = of(a.review_id)?;
        out[i].attendees.push(a.try_into()?);
    }
    for v in votes {
        let i = of(v.review_id)?;
        out[i].votes.push(v.try_into()?);
    }
    for (review, body, by, at) in amendments {
        let i = of(review)?;
        out[i].amendments.push((body, by, at));
    }
    Ok(out)
}

/// A review as its row holds it, before its attendees, votes and amendments are added.
fn review_record(row: ReviewRow) -> Result<ReviewRecord, StoreError> {
    Ok(ReviewRecord {
        amendments: Vec::new(),
        id: row.id,
        details: from_json(&row.details)?,
        minutes: from_json(&row.minutes)?,
        status: ReviewStatus::parse(&row.status)?,
        version: row.version,
        minutes_version: row.minutes_version,
        signed_off_at: row.signed_off_at,
        signed_off_by: row.signed_off_by,
        updated_at: row.updated_at,
        attendees: Vec::new(),
        votes: Vec::new(),
        prompt_sheet: match (row.prompt_sheet, row.prompt_sheet_at) {
            (Some(json), Some(at)) => Some(SavedSheet {
                sheet: from_json(&json)?,
                saved_by: row.prompt_sheet_by,
                saved_at: at,
                version: row.prompt_sheet_version,
            }),
            _ => None,
        },
    })
}

/// Reads one review with its attendees and votes (an audited read).
pub async fn review(db: &Db, ctx: &AuditContext, person: PersonId, id: Uuid) -> Result<ReviewRecord, StoreError> {
    let mut tx = db.read().await?;
    let r = load(&mut tx, person, id).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened a review").await?;
    tx.commit().await?;
    Ok(r)
}

/// Every review of the person, oldest first, with its outcome (one query per table, however
/// many reviews there are).
pub async fn reviews(db: &Db, person: PersonId) -> Result<Vec<ReviewSummary>, StoreError> {
    let rows: Vec<(Uuid, String, String)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, details, status FROM reviews WHERE person_id = $1 ORDER BY scheduled_for, id"
    )
    .bind(person.as_uuid())
    .fetch_all(p)
    .await)?;
    let attendees: Vec<AttendeeRow> = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT a.id, a.review_id, a.name, a.role, a.is_person, a.account_id, a.member_id, a.attendance FROM review_attendees a \
         JOIN reviews r ON r.id = a.review_id WHERE r.person_id = $1"
    )
    .bind(person.as_uuid())
    .fetch_all(p)
    .await
    })?;
    let votes: Vec<VoteRow> = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT id, review_id, attendee_id, theme, vote, comment, recorded_at FROM review_votes WHERE person_id = $1"
    )
    .bind(person.as_uuid())
    .fetch_all(p)
    .await
    })?;
    let mut attendees_by: HashMap<Uuid, Vec<AttendeeRecord>> = HashMap::new();
    for a in attendees {
        let review = a.review_id;
        attendees_by.entry(review).or_default().push(a.try_into()?);
    }
    let mut votes_by: HashMap<Uuid, Vec<VoteRecord>> = HashMap::new();
    for v in votes {
        let review = v.review_id;
        votes_by.entry(review).or_default().push(v.try_into()?);
    }
    rows.into_iter()
        .map(|(id, details, status)| {
            let outcome = outcome_of(
                attendees_by.get(&id).map(Vec::as_slice).unwrap_or(&[]),
                votes_by.get(&id).map(Vec::as_slice).unwrap_or(&[]),
            );
            Ok(ReviewSummary { id, details: from_json(&details)?, status: ReviewStatus::parse(&status)?, outcome })
        })
        .collect()
}

/// The outcome of the person's latest signed-off review (the last in the order [`reviews`]
/// lists them), or `None` when no review has been signed off: the case page shows only this, so
/// it reads that one review's votes in one query instead of every review's attendees and votes.
pub async fn latest_outcome(db: &Db, person: PersonId) -> Result<Option<BTreeMap<ThemeKey, ThemeOutcome>>, StoreError> {
    // One row per vote, or a single row of NULLs for a review signed off without votes.
    let rows: Vec<(Option<String>, Option<String>, Option<bool>)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT v.theme, v.vote, a.is_person FROM \
           (SELECT id FROM reviews WHERE person_id = $1 AND status = $2 \
            ORDER BY scheduled_for DESC, id DESC LIMIT 1) r \
         LEFT JOIN review_votes v ON v.review_id = r.id \
         LEFT JOIN review_attendees a ON a.id = v.attendee_id"
    )
    .bind(person.as_uuid())
    .bind(ReviewStatus::SignedOff.as_str())
    .fetch_all(p)
    .await)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut votes = Vec::with_capacity(rows.len());
    for (theme, vote, by_person) in rows {
        if let (Some(theme), Some(vote)) = (theme, vote) {
            votes.push((
                theme.parse().map_err(StoreError::Corrupt)?,
                vote.parse().map_err(StoreError::Corrupt)?,
                by_person == Some(true),
            ));
        }
    }
    Ok(Some(tally_votes(votes.into_iter())))
}

/// Adds someone to an open review.
pub async fn add_attendee(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    review: Uuid,
    invitee: &Invitee,
) -> Result<Uuid, StoreError> {
    let mut tx = db.begin().await?;
    let org = lock_open(&mut tx, person, review).await?.org;
    let id = insert_attendee(&mut tx, org, review, invitee).await?;
    record(&mut tx, ctx, AuditAction::Update, Some(person), "added an attendee to a review").await?;
    tx.commit().await?;
    Ok(id)
}

/// Records who came. Ids not of this review are refused and nothing is written.
pub async fn set_attendance(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    review: Uuid,
    marks: &[(Uuid, Attendance)],
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, person, review).await?;
    for (attendee, attendance) in marks {
        // An attendee who has voted keeps a voting status: their votes would otherwise count
        // for someone recorded as absent.
        let n = exec_tx!(&mut tx, |c| sqlx::query(
            "UPDATE review_attendees SET attendance = $1 WHERE id = $2 AND review_id = $3 \
             AND ($4 OR NOT EXISTS (SELECT 1 FROM review_votes v WHERE v.attendee_id = review_attendees.id))"
        )
        .bind(attendance.slug())
        .bind(attendee)
        .bind(review)
        .bind(attendance.may_vote())
        .execute(c)
        .await)?;
        if n != 1 {
            let known: Option<(Uuid,)> = on_tx!(&mut tx, |c| sqlx::query_as(
                "SELECT id FROM review_attendees WHERE id = $1 AND review_id = $2"
            )
            .bind(attendee)
            .bind(review)
            .fetch_optional(c)
            .await)?;
            return Err(match known {
                None => StoreError::NotFound,
                Some(_) => StoreError::Invalid(
                    "Someone who has already voted must stay marked as present or as having sent their views.",
                ),
            });
        }
    }
    record(&mut tx, ctx, AuditAction::Update, Some(person), "recorded attendance at a review").await?;
    tx.commit().await
}

/// Saves the person's prompt sheet (replacing an earlier one), only if it is still at `base`,
/// the version the writer started from (0: there was none yet); otherwise nothing is written.
/// Their answers count whether or not they come: a person still marked invited, or as sending
/// apologies, becomes "sent their views", which also gives them a vote. Returns the new version.
pub async fn save_prompt_sheet(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    review: Uuid,
    base: i64,
    sheet: &PromptSheet,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    let org = lock_open(&mut tx, person, review).await?.org;
    if let Some(replaced) = load(&mut tx, person, review).await?.prompt_sheet.filter(|s| s.version == base) {
        crate::snapshots::keep(&mut tx, org, PROMPT_SHEET, review, replaced.version, replaced.saved_at, &replaced)
            .await?;
    }
    let changed = exec_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE reviews SET prompt_sheet = $1, prompt_sheet_at = $2, prompt_sheet_by = $3, \
         prompt_sheet_version = prompt_sheet_version + 1 WHERE id = $4 AND person_id = $5 AND prompt_sheet_version = $6"
    )
    .bind(to_json(sheet)?)
    .bind(crate::now())
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(review)
    .bind(person.as_uuid())
    .bind(base)
    .execute(c)
    .await
    })?;
    if changed != 1 {
        let (current,): (i64,) = on_tx!(&mut tx, |c| sqlx::query_as(
            "SELECT prompt_sheet_version FROM reviews WHERE id = $1 AND person_id = $2"
        )
        .bind(review)
        .bind(person.as_uuid())
        .fetch_one(c)
        .await)?;
        return Err(StoreError::StaleVersion { current });
    }
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE review_attendees SET attendance = 'sent-views' \
         WHERE review_id = $1 AND is_person = $2 AND attendance IN ('invited', 'apologies')"
    )
    .bind(review)
    .bind(true)
    .execute(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::Update, Some(person), "saved the person's prompt sheet for a review").await?;
    tx.commit().await?;
    Ok(base + 1)
}

/// Every version of a review's prompt sheet still known, newest first: the sheet as it is, then
/// each version a save replaced (an audited read). Empty when none was filled in.
pub async fn prompt_sheet_versions(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    review: Uuid,
) -> Result<Vec<SavedSheet>, StoreError> {
    let mut tx = db.read().await?;
    let current = load(&mut tx, person, review).await?.prompt_sheet;
    let earlier: Vec<SavedSheet> = crate::snapshots::kept(&mut tx, PROMPT_SHEET, review).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened the history of a prompt sheet").await?;
    tx.commit().await?;
    let Some(current) = current else {
        return Ok(Vec::new());
    };
    let now = current.version;
    Ok(std::iter::once(current).chain(earlier.into_iter().filter(|s| s.version < now)).collect())
}

/// Saves the minutes, if nobody else saved them since `base_version` (their own count,
/// `minutes_version`: other changes to the review do not make a save of the minutes stale).
pub async fn save_minutes(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    review: Uuid,
    base_version: i64,
    minutes: &Minutes,
) -> Result<Result<i64, ReviewRecord>, StoreError> {
    let mut tx = db.begin().await?;
    lock_open(&mut tx, person, review).await?;
    let n = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE reviews SET minutes = $1, minutes_version = minutes_version + 1 \
         WHERE id = $2 AND person_id = $3 AND minutes_version = $4"
    )
    .bind(to_json(minutes)?)
    .bind(review)
    .bind(person.as_uuid())
    .bind(base_version)
    .execute(c)
    .await)?;
    if n != 1 {
        return Ok(Err(load(&mut tx, person, review).await?));
    }
    record(&mut tx, ctx, AuditAction::Update, Some(person), "wrote the minutes of a review").await?;
    tx.commit().await?;
    Ok(Ok(base_version + 1))
}

/// A vote's columns, in the order a ballot (and the bulk loader) binds them.
pub(crate) const VOTE_COLUMNS: &[&str] = &[
    "id",
    "org_id",
    "review_id",
    "attendee_id",
    "person_id",
    "theme",
    "vote",
    "comment",
    "recorded_by",
    "recorded_at",
];

/// One statement correcting `n` of an attendee's votes: `$1` recorded by, `$2` at, `$3` the
/// review, `$4` the attendee, then theme, vote and comment for each vote.
fn correct_votes_sql(n: usize) -> String {
    let (mut vote, mut comment, mut themes) = (String::new(), String::new(), Vec::new());
    for i in 0..n {
        let (theme, v, c) = (5 + 3 * i, 6 + 3 * i, 7 + 3 * i);
        vote.push_str(&format!(" WHEN ${theme} THEN ${v}"));
        comment.push_str(&format!(" WHEN ${theme} THEN ${c}"));
        themes.push(format!("${theme}"));
    }
    format!(
        "UPDATE review_votes SET vote = CASE theme{vote} END, comment = CASE theme{comment} END, \
         recorded_by = $1, recorded_at = $2 WHERE review_id = $3 AND attendee_id = $4 AND theme IN ({})",
        themes.join(", ")
    )
}

/// Records one attendee's votes: new votes are added, earlier ones corrected (and the audit
/// says which). Refused, with nothing written, for someone who is not an attendee of this
/// review, who is not marked present or as having sent views, or once the review is signed off.
pub async fn record_ballot(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    review: Uuid,
    attendee: Uuid,
    ballot: &Ballot,
) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::new();
    if ballot.0.iter().any(|(theme, _, _)| !seen.insert(theme)) {
        return Err(StoreError::Invalid("A ballot holds one vote for each theme at most."));
    }
    let mut tx = db.begin().await?;
    let org = lock_open(&mut tx, person, review).await?.org;
    // The attendee and their earlier votes, all themes at once, in one statement: a ballot is
    // read and written in a handful of statements, because each one holds the single writer up.
    let rows: Vec<(String, Option<String>, Option<String>)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT a.attendance, v.theme, v.vote FROM review_attendees a \
         LEFT JOIN review_votes v ON v.review_id = a.review_id AND v.attendee_id = a.id \
         WHERE a.id = $1 AND a.review_id = $2"
    )
    .bind(attendee)
    .bind(review)
    .fetch_all(c)
    .await)?;
    let Some((attendance, _, _)) = rows.first() else {
        return Err(StoreError::Invalid("Only attendees of this review can vote in it."));
    };
    let attendance: Attendance = attendance.parse().map_err(StoreError::Corrupt)?;
    if !attendance.may_vote() {
        return Err(StoreError::Invalid(
            "Mark this attendee as present or as having sent their views before recording their votes.",
        ));
    }
    let earlier: HashMap<String, String> =
        rows.into_iter().filter_map(|(_, theme, vote)| Some((theme?, vote?))).collect();
    let now = crate::now();
    let mut changes = Vec::new();
    let mut new_votes = Vec::new();
    let mut corrected = Vec::new();
    for (theme, vote, comment) in &ballot.0 {
        match earlier.get(theme.slug()) {
            None => {
                new_votes.push((theme, vote, comment));
                changes.push(format!("{}: {}", theme.title(), vote.label().to_lowercase()));
            }
            Some(was) => {
                corrected.push((theme, vote, comment));
                if was != vote.slug() {
                    changes.push(format!("{}: corrected from {was} to {}", theme.title(), vote.slug()));
                }
            }
        }
    }
    if !corrected.is_empty() {
        let sql = correct_votes_sql(corrected.len());
        let n = exec_tx!(&mut tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(ctx.user_id.map(|u| u.as_uuid()))
                .bind(now)
                .bind(review)
                .bind(attendee);
            for (theme, vote, comment) in &corrected {
                q = q.bind(theme.slug()).bind(vote.slug()).bind(comment.as_deref());
            }
            q.execute(c).await
        })?;
        if n != corrected.len() as u64 {
            // Votes are never deleted, and the review is locked: this is not a race a person can cause.
            return Err(StoreError::Corrupt(format!(
                "a ballot corrected {n} of the {} earlier votes it found",
                corrected.len()
            )));
        }
    }
    if !new_votes.is_empty() {
        // A plain INSERT, not an upsert: if another device recorded one of these votes in
        // between, the database's uniqueness rule refuses the ballot rather than overwriting it.
        let sql = crate::query::insert_sql("review_votes", VOTE_COLUMNS, new_votes.len(), tx.backend());
        exec_tx!(&mut tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for (theme, vote, comment) in &new_votes {
                q = q
                    .bind(Uuid::now_v7())
                    .bind(org.as_uuid())
                    .bind(review)
                    .bind(attendee)
                    .bind(person.as_uuid())
                    .bind(theme.slug())
                    .bind(vote.slug())
                    .bind(comment.as_deref())
                    .bind(ctx.user_id.map(|u| u.as_uuid()))
                    .bind(now);
            }
            q.execute(c).await
        })
        .map_err(|e| StoreError::from(e).on_unique("A vote for this attendee and theme"))?;
    }
    record(
        &mut tx,
        ctx,
        AuditAction::Update,
        Some(person),
        &format!("recorded votes in a review ({})", changes.join("; ")),
    )
    .await?;
    tx.commit().await
}

/// Signs the review off: from then on nothing in it changes. Sets the case's review plan (how
/// often, and the next review date), as agreed at the review.
/// Returns the reasons it cannot be signed off yet, with nothing written, when there are any.
pub async fn sign_off(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    review: Uuid,
    base_version: i64,
    next: ReviewPlan,
) -> Result<Result<(), Vec<String>>, StoreError> {
    let mut tx = db.begin().await?;
    let before = lock_open(&mut tx, person, review).await?.version;
    if before != base_version {
        return Err(StoreError::StaleVersion { current: before });
    }
    let current = load(&mut tx, person, review).await?;
    let voters = current.attendees.iter().filter(|a| a.attendance.may_vote()).count();
    let voted: Vec<Theme> = current.votes.iter().map(|v| v.theme).collect();
    let problems = sign_off_problems(voters, &voted, &current.minutes);
    if !problems.is_empty() {
        return Ok(Err(problems));
    }
    let now = crate::now();
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE reviews SET status = 'signed-off', signed_off_at = $1, signed_off_by = $2, \
         minutes_version = minutes_version + 1 WHERE id = $3 AND person_id = $4"
    )
    .bind(now)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(review)
    .bind(person.as_uuid())
    .execute(c)
    .await)?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE cases SET review_every_weeks = $1, next_review_on = $2, version = version + 1, updated_at = $3 \
         WHERE person_id = $4"
    )
    .bind(i64::from(next.every_weeks))
    .bind(next.next_review)
    .bind(now)
    .bind(person.as_uuid())
    .execute(c)
    .await)?;
    record(
        &mut tx,
        ctx,
        AuditAction::Update,
        Some(person),
        &format!("signed off a review; next review on {}", next.next_review),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Records a correction to a signed-off review beside it; the signed-off record is unchanged.
pub async fn amend(db: &Db, ctx: &AuditContext, person: PersonId, review: Uuid, body: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let current = load(&mut tx, person, review).await?;
    if current.status != ReviewStatus::SignedOff {
        return Err(StoreError::Invalid("The review is still open: change it directly rather than amending it."));
    }
    let org = org_of(&mut tx, person).await?;
    // The review reads differently now (its minutes are amended): both counts move on.
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE reviews SET version = version + 1, minutes_version = minutes_version + 1, updated_at = $1 \
         WHERE id = $2 AND person_id = $3"
    )
    .bind(crate::now())
    .bind(review)
    .bind(person.as_uuid())
    .execute(c)
    .await)?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO review_amendments (id, org_id, review_id, body, made_by, made_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(Uuid::now_v7())
    .bind(org.as_uuid())
    .bind(review)
    .bind(body)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(crate::now())
    .execute(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::Update, Some(person), "recorded an amendment to a signed-off review").await?;
    tx.commit().await
}

/// The date and time the person's latest signed-off review took place, for "what changed since".
pub async fn last_signed_off(db: &Db, person: PersonId) -> Result<Option<NaiveDateTime>, StoreError> {
    let row: Option<(NaiveDateTime,)> = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT scheduled_for FROM reviews WHERE person_id = $1 AND status = 'signed-off' ORDER BY scheduled_for DESC LIMIT 1"
    )
    .bind(person.as_uuid())
    .fetch_optional(p)
    .await
    })?;
    Ok(row.map(|(t,)| t))
}

/// Whose record a review belongs to, before anyone is let in to read it.
pub async fn person_of(db: &Db, review: Uuid) -> Result<Option<PersonId>, StoreError> {
    let row: Option<(Uuid,)> = on_pool!(db, |p| sqlx::query_as("SELECT person_id FROM reviews WHERE id = $1")
        .bind(review)
        .fetch_optional(p)
        .await)?;
    Ok(row.map(|(p,)| PersonId::from_uuid(p)))
}

/// The review a vote was cast in, and whose record it is, before anyone is let in to read it.
pub async fn review_of_vote(db: &Db, vote: Uuid) -> Result<Option<(PersonId, Uuid)>, StoreError> {
    let row: Option<(Uuid, Uuid)> =
        on_pool!(db, |p| sqlx::query_as("SELECT person_id, review_id FROM review_votes WHERE id = $1")
            .bind(vote)
            .fetch_optional(p)
            .await)?;
    Ok(row.map(|(p, r)| (PersonId::from_uuid(p), r)))
}

/// Every review of the person in full (attendees, votes, minutes), oldest first: an audited read.
pub async fn reviews_in_full(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<Vec<ReviewRecord>, StoreError> {
    let mut tx = db.read().await?;
    let out = load_reviews(&mut tx, person, None).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "read the reviews through the API").await?;
    tx.commit().await?;
    Ok(out)
}
