//! The six value themes: entries in every theme and the circle of support's members, each with
//! every earlier version kept. Every function takes the person the record belongs to and checks
//! it in SQL, so a record id from one person's page can never reach another person's record.

use crate::audit::{AuditContext, record};
use crate::db::{Db, Tx};
use crate::error::StoreError;
use crate::json::{from_json, to_json};
use crate::people::org_of;
use carethread_domain::circle::MemberDetails;
use carethread_domain::good_lives::GoodLives;
use carethread_domain::problems::ProblemDetails;
use carethread_domain::themes::{Audience, EntryDetails, EntryKind, StepStatus, Theme, ThemeGlance};
use carethread_domain::{AuditAction, OrgId, PersonId, UserId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) const ENTRY: &str = "theme-entry";
pub(crate) const MEMBER: &str = "circle-member";

/// One version of a theme record, to be written to the history.
pub(crate) struct NewVersion<'a> {
    pub(crate) record_type: &'static str,
    pub(crate) record_id: Uuid,
    pub(crate) version: i64,
    pub(crate) details: &'a str,
    pub(crate) removed: bool,
    /// When: the same instant the record itself was changed at, so that the version and the
    /// record as read now say the same.
    pub(crate) at: chrono::DateTime<chrono::Utc>,
}

pub(crate) async fn insert_version(
    tx: &mut Tx,
    ctx: &AuditContext,
    org: OrgId,
    v: NewVersion<'_>,
) -> Result<(), StoreError> {
    exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO record_versions (id, org_id, record_type, record_id, version, details, removed, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(Uuid::now_v7())
    .bind(org.as_uuid())
    .bind(v.record_type)
    .bind(v.record_id)
    .bind(v.version)
    .bind(v.details)
    .bind(v.removed)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(v.at)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// The golden thread may only lead to one of this person's own reviews.
async fn check_review(tx: &mut Tx, person: PersonId, details: &EntryDetails) -> Result<(), StoreError> {
    let Some(review) = details.review else {
        return Ok(());
    };
    let found: Option<(i32,)> =
        on_tx!(tx, |c| sqlx::query_as("SELECT 1 FROM reviews WHERE id = $1 AND person_id = $2")
            .bind(review)
            .bind(person.as_uuid())
            .fetch_optional(c)
            .await)?;
    found.map(|_| ()).ok_or(StoreError::Invalid("That review is not one of this person's. Choose one from the list."))
}

/// An entry as a page shows it.
#[derive(Clone, Debug)]
pub struct EntryRecord {
    pub id: Uuid,
    pub theme: Theme,
    pub details: EntryDetails,
    pub author: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Uuid,
    theme: String,
    details: String,
    author: Option<String>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<EntryRow> for EntryRecord {
    type Error = StoreError;
    fn try_from(r: EntryRow) -> Result<Self, StoreError> {
        Ok(EntryRecord {
            id: r.id,
            theme: r.theme.parse().map_err(StoreError::Corrupt)?,
            details: from_json(&r.details)?,
            author: r.author,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

const ENTRY_SELECT: &str = "SELECT e.id, e.theme, e.details, u.display_name AS author, e.version, e.created_at, e.updated_at \
     FROM theme_entries e LEFT JOIN users u ON u.id = e.author_id";

pub(crate) fn step_status(d: &EntryDetails) -> Option<&'static str> {
    d.status.map(|s| match s {
        StepStatus::Open => "open",
        StepStatus::Done => "done",
    })
}

/// What the audit log says about a change in visibility to the person, if there was one.
fn withholding_note(before: Option<&EntryDetails>, after: &EntryDetails) -> Option<String> {
    match (before.and_then(|b| b.withheld.as_ref()), after.withheld.as_ref()) {
        (None, Some(w)) => Some(format!("withheld an entry from the person until {}: {}", w.review_by, w.reason)),
        (Some(_), None) => Some("made a withheld entry visible to the person".into()),
        _ => None,
    }
}

pub async fn add_entry(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    theme: Theme,
    details: &EntryDetails,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let now = crate::now();
    let json = to_json(details)?;
    let mut tx = db.begin().await?;
    let org = org_of(&mut tx, person).await?;
    check_review(&mut tx, person, details).await?;
    exec_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO theme_entries (id, org_id, person_id, theme, kind, status, withheld, details, author_id, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(theme.slug())
    .bind(details.kind.slug())
    .bind(step_status(details))
    .bind(details.withheld.is_some())
    .bind(&json)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(1i64)
    .bind(now)
    .execute(c)
    .await
    })?;
    insert_version(
        &mut tx,
        ctx,
        org,
        NewVersion { record_type: ENTRY, record_id: id, version: 1, details: &json, removed: false, at: now },
    )
    .await?;
    let mut detail = format!("added to {}: {}", theme.title(), details.kind.label().to_lowercase());
    if let Some(note) = withholding_note(None, details) {
        detail = format!("{detail}; {note}");
    }
    record(&mut tx, ctx, AuditAction::Create, Some(person), &detail).await?;
    tx.commit().await?;
    Ok(id)
}

async fn load_entry(tx: &mut Tx, person: PersonId, id: Uuid) -> Result<EntryRecord, StoreError> {
    let sql = format!("{ENTRY_SELECT} WHERE e.id = $1 AND e.person_id = $2 AND e.removed_at IS NULL");
    let row: EntryRow =
        on_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(person.as_uuid()).fetch_one(c).await)?;
    row.try_into()
}

/// One entry of a person's record (an audited read).
pub async fn entry(db: &Db, ctx: &AuditContext, person: PersonId, id: Uuid) -> Result<EntryRecord, StoreError> {
    let mut tx = db.read().await?;
    let e = load_entry(&mut tx, person, id).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), &format!("opened an entry in {}", e.theme.title())).await?;
    tx.commit().await?;
    Ok(e)
}

/// Saves a changed entry if it is still at `base_version`; otherwise writes nothing and returns
/// the entry as it is now.
pub async fn update_entry(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    base_version: i64,
    details: &EntryDetails,
) -> Result<Result<i64, EntryRecord>, StoreError> {
    let mut tx = db.begin().await?;
    let current = load_entry(&mut tx, person, id).await?;
    if current.version != base_version {
        return Ok(Err(current));
    }
    check_review(&mut tx, person, details).await?;
    let json = to_json(details)?;
    let version = base_version + 1;
    let now = crate::now();
    let n = exec_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE theme_entries SET kind = $1, status = $2, withheld = $3, details = $4, version = $5, updated_at = $6 \
         WHERE id = $7 AND person_id = $8 AND version = $9"
    )
    .bind(details.kind.slug())
    .bind(step_status(details))
    .bind(details.withheld.is_some())
    .bind(&json)
    .bind(version)
    .bind(now)
    .bind(id)
    .bind(person.as_uuid())
    .bind(base_version)
    .execute(c)
    .await
    })?;
    if n != 1 {
        return Err(StoreError::StaleVersion { current: version });
    }
    let org = org_of(&mut tx, person).await?;
    insert_version(
        &mut tx,
        ctx,
        org,
        NewVersion { record_type: ENTRY, record_id: id, version, details: &json, removed: false, at: now },
    )
    .await?;
    let mut detail = format!("changed an entry in {}", current.theme.title());
    if let Some(note) = withholding_note(Some(&current.details), details) {
        detail = format!("{detail}; {note}");
    }
    record(&mut tx, ctx, AuditAction::Update, Some(person), &detail).await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// Removes an entry from the theme. Its history stays, ending with the removal.
pub async fn remove_entry(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    base_version: i64,
) -> Result<Result<(), EntryRecord>, StoreError> {
    let mut tx = db.begin().await?;
    let current = load_entry(&mut tx, person, id).await?;
    if current.version != base_version {
        return Ok(Err(current));
    }
    let version = base_version + 1;
    let now = crate::now();
    let n = exec_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE theme_entries SET removed_at = $1, version = $2, updated_at = $1 WHERE id = $3 AND person_id = $4 AND version = $5"
    )
    .bind(now)
    .bind(version)
    .bind(id)
    .bind(person.as_uuid())
    .bind(base_version)
    .execute(c)
    .await
    })?;
    if n != 1 {
        return Err(StoreError::StaleVersion { current: version });
    }
    let org = org_of(&mut tx, person).await?;
    let json = to_json(&current.details)?;
    let v = NewVersion { record_type: ENTRY, record_id: id, version, details: &json, removed: true, at: now };
    insert_version(&mut tx, ctx, org, v).await?;
    record(
        &mut tx,
        ctx,
        AuditAction::Update,
        Some(person),
        &format!("removed an entry from {}", current.theme.title()),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// The entries of one theme, oldest first (an audited read).
pub async fn entries(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    theme: Theme,
    audience: Audience,
) -> Result<Vec<EntryRecord>, StoreError> {
    let sql = format!(
        "{ENTRY_SELECT} WHERE e.person_id = $1 AND e.theme = $2 AND e.removed_at IS NULL AND ($3 OR NOT e.withheld) \
         ORDER BY e.created_at, e.id"
    );
    let mut tx = db.read().await?;
    let rows: Vec<EntryRow> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(person.as_uuid())
        .bind(theme.slug())
        .bind(audience.sees_withheld())
        .fetch_all(c)
        .await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), &format!("opened the theme {}", theme.title())).await?;
    tx.commit().await?;
    rows.into_iter().map(EntryRecord::try_from).collect()
}

/// What each theme shows at a glance, plus how many entries are withheld from the person.
/// Not audited by itself: it is part of the case page, whose read `people::read` audits.
/// For a review's agenda: what was written or changed in each theme since `since` (all of it
/// when there has been no review), newest first, at most five per theme.
pub async fn changed_since(
    db: &Db,
    person: PersonId,
    since: Option<DateTime<Utc>>,
    audience: Audience,
) -> Result<HashMap<Theme, Vec<String>>, StoreError> {
    // The epoch, not `MIN_UTC`: PostgreSQL timestamps cannot hold the year -262144.
    let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let rows: Vec<(String, String)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT theme, details FROM theme_entries WHERE person_id = $1 AND removed_at IS NULL AND updated_at > $2 \
         AND ($3 OR NOT withheld) ORDER BY updated_at DESC, id"
    )
    .bind(person.as_uuid())
    .bind(since)
    .bind(audience.sees_withheld())
    .fetch_all(p)
    .await)?;
    let mut out: HashMap<Theme, Vec<String>> = HashMap::new();
    for (theme, details) in rows {
        let list = out.entry(theme.parse().map_err(StoreError::Corrupt)?).or_default();
        if list.len() < 5 {
            let d: EntryDetails = from_json(&details)?;
            list.push(format!("{}: {}", d.kind.label(), d.body));
        }
    }
    Ok(out)
}

pub async fn glance(
    db: &Db,
    person: PersonId,
    audience: Audience,
) -> Result<(HashMap<Theme, ThemeGlance>, usize), StoreError> {
    let rows: Vec<(String, String, Option<String>, bool, String)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT theme, kind, status, withheld, details FROM theme_entries \
         WHERE person_id = $1 AND removed_at IS NULL ORDER BY created_at, id"
    )
    .bind(person.as_uuid())
    .fetch_all(p)
    .await)?;
    let mut by_theme: HashMap<Theme, ThemeGlance> =
        Theme::ALL.into_iter().map(|t| (t, ThemeGlance::default())).collect();
    let mut withheld = 0;
    for (theme, kind, status, is_withheld, details) in rows {
        let theme: Theme = theme.parse().map_err(StoreError::Corrupt)?;
        let kind: EntryKind = kind.parse().map_err(StoreError::Corrupt)?;
        let g = by_theme.entry(theme).or_default();
        if is_withheld && !audience.sees_withheld() {
            // Not even counted: a count or a "latest worry" would reveal it to the person.
            continue;
        }
        withheld += usize::from(is_withheld);
        match kind {
            EntryKind::Working => {
                g.working += 1;
                g.latest_working = Some(from_json::<EntryDetails>(&details)?.body);
            }
            EntryKind::Worry => {
                g.worries += 1;
                g.latest_worry = Some(from_json::<EntryDetails>(&details)?.body);
            }
            EntryKind::NextStep if status.as_deref() == Some("open") => g.open_steps += 1,
            EntryKind::NextStep | EntryKind::Note => {}
        }
    }
    Ok((by_theme, withheld))
}

/// One version of a theme record.
#[derive(Clone, Debug)]
pub struct Version<T> {
    pub version: i64,
    pub details: T,
    pub removed: bool,
    pub changed_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    version: i64,
    details: String,
    removed: bool,
    changed_by: Option<String>,
    changed_at: DateTime<Utc>,
}

async fn versions<T: serde::de::DeserializeOwned>(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    table: &str,
    record_type: &str,
    id: Uuid,
) -> Result<Vec<Version<T>>, StoreError> {
    // The record must belong to this person; the table name is one of our two constants.
    let sql = format!(
        "SELECT v.version, v.details, v.removed, u.display_name AS changed_by, v.changed_at FROM record_versions v \
         JOIN {table} r ON r.id = v.record_id LEFT JOIN users u ON u.id = v.changed_by \
         WHERE v.record_type = $1 AND v.record_id = $2 AND r.person_id = $3 ORDER BY v.version DESC"
    );
    let mut tx = db.read().await?;
    let rows: Vec<VersionRow> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(record_type)
        .bind(id)
        .bind(person.as_uuid())
        .fetch_all(c)
        .await)?;
    if rows.is_empty() {
        return Err(StoreError::NotFound);
    }
    record(&mut tx, ctx, AuditAction::Read, Some(person), "viewed earlier versions of a record").await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|r| {
            Ok(Version {
                version: r.version,
                details: from_json(&r.details)?,
                removed: r.removed,
                changed_by: r.changed_by,
                changed_at: r.changed_at,
            })
        })
        .collect()
}

pub async fn entry_versions(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
) -> Result<Vec<Version<EntryDetails>>, StoreError> {
    versions(db, ctx, person, "theme_entries", ENTRY, id).await
}

pub async fn member_versions(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
) -> Result<Vec<Version<MemberDetails>>, StoreError> {
    versions(db, ctx, person, "circle_members", MEMBER, id).await
}

/// A member of the circle of support as a page shows them.
#[derive(Clone, Debug)]
pub struct MemberRecord {
    pub id: Uuid,
    pub details: MemberDetails,
    /// The username of their Carethread account, when linked.
    pub account: Option<String>,
    pub account_id: Option<UserId>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    id: Uuid,
    details: String,
    account: Option<String>,
    account_id: Option<Uuid>,
    version: i64,
    updated_at: DateTime<Utc>,
}

const MEMBER_SELECT: &str = "SELECT m.id, m.details, u.username AS account, m.account_id, m.version, m.updated_at \
     FROM circle_members m LEFT JOIN users u ON u.id = m.account_id";

impl TryFrom<MemberRow> for MemberRecord {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self, StoreError> {
        Ok(MemberRecord {
            id: r.id,
            details: from_json(&r.details)?,
            account: r.account,
            account_id: r.account_id.map(UserId::from_uuid),
            version: r.version,
            updated_at: r.updated_at,
        })
    }
}

/// The id of the account with this username in the person's organisation.
async fn account_id(tx: &mut Tx, org: OrgId, username: Option<&str>) -> Result<Option<Uuid>, StoreError> {
    let Some(username) = username.filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let found: Option<(Uuid,)> =
        on_tx!(tx, |c| sqlx::query_as("SELECT id FROM users WHERE username = $1 AND org_id = $2")
            .bind(username.trim())
            .bind(org.as_uuid())
            .fetch_optional(c)
            .await)?;
    found.map(|(id,)| Some(id)).ok_or(StoreError::Invalid(
        "There is no Carethread account with that username here. Leave it blank if they have none.",
    ))
}

pub async fn add_member(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    details: &MemberDetails,
    account: Option<&str>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    add_member_in(&mut tx, ctx, person, id, details, account).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`add_member`] inside a transaction the caller holds, with the id chosen by the caller.
pub(crate) async fn add_member_in(
    tx: &mut Tx,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    details: &MemberDetails,
    account: Option<&str>,
) -> Result<(), StoreError> {
    let now = crate::now();
    let json = to_json(details)?;
    let org = org_of(tx, person).await?;
    let account = account_id(tx, org, account).await?;
    exec_tx!(&mut *tx, |c| {
        sqlx::query(
        "INSERT INTO circle_members (id, org_id, person_id, source, involvement, details, account_id, author_id, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(details.source.slug())
    .bind(details.involvement.slug())
    .bind(&json)
    .bind(account)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(1i64)
    .bind(now)
    .execute(c)
    .await
    })?;
    insert_version(
        tx,
        ctx,
        org,
        NewVersion { record_type: MEMBER, record_id: id, version: 1, details: &json, removed: false, at: now },
    )
    .await?;
    record(tx, ctx, AuditAction::Create, Some(person), "added a member to the circle of support").await
}

async fn load_member(tx: &mut Tx, person: PersonId, id: Uuid) -> Result<MemberRecord, StoreError> {
    let sql = format!("{MEMBER_SELECT} WHERE m.id = $1 AND m.person_id = $2 AND m.removed_at IS NULL");
    let row: MemberRow =
        on_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(person.as_uuid()).fetch_one(c).await)?;
    row.try_into()
}

pub async fn member(db: &Db, ctx: &AuditContext, person: PersonId, id: Uuid) -> Result<MemberRecord, StoreError> {
    let mut tx = db.read().await?;
    let m = load_member(&mut tx, person, id).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened a member of the circle of support").await?;
    tx.commit().await?;
    Ok(m)
}

/// A change to a member: new details, or removal from the circle.
pub enum MemberChange<'a> {
    Update { details: &'a MemberDetails, account: Option<&'a str> },
    Remove,
}

/// Applies a change if the member is still at `base_version`; otherwise writes nothing and
/// returns the member as they are now.
pub async fn change_member(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    base_version: i64,
    change: MemberChange<'_>,
) -> Result<Result<i64, MemberRecord>, StoreError> {
    let mut tx = db.begin().await?;
    let current = load_member(&mut tx, person, id).await?;
    if current.version != base_version {
        return Ok(Err(current));
    }
    let org = org_of(&mut tx, person).await?;
    let version = base_version + 1;
    let now = crate::now();
    let (n, json, removed, detail) = match change {
        MemberChange::Update { details, account } => {
            let account = account_id(&mut tx, org, account).await?;
            let json = to_json(details)?;
            let n = exec_tx!(&mut tx, |c| {
                sqlx::query(
                "UPDATE circle_members SET source = $1, involvement = $2, details = $3, account_id = $4, version = $5, updated_at = $6 \
                 WHERE id = $7 AND person_id = $8 AND version = $9"
            )
            .bind(details.source.slug())
            .bind(details.involvement.slug())
            .bind(&json)
            .bind(account)
            .bind(version)
            .bind(now)
            .bind(id)
            .bind(person.as_uuid())
            .bind(base_version)
            .execute(c)
            .await
            })?;
            (n, json, false, "changed a member of the circle of support")
        }
        MemberChange::Remove => {
            let n = exec_tx!(&mut tx, |c| {
                sqlx::query(
                "UPDATE circle_members SET removed_at = $1, version = $2, updated_at = $1 WHERE id = $3 AND person_id = $4 AND version = $5"
            )
            .bind(now)
            .bind(version)
            .bind(id)
            .bind(person.as_uuid())
            .bind(base_version)
            .execute(c)
            .await
            })?;
            (n, to_json(&current.details)?, true, "removed a member from the circle of support")
        }
    };
    if n != 1 {
        return Err(StoreError::StaleVersion { current: version });
    }
    insert_version(
        &mut tx,
        ctx,
        org,
        NewVersion { record_type: MEMBER, record_id: id, version, details: &json, removed, at: now },
    )
    .await?;
    record(&mut tx, ctx, AuditAction::Update, Some(person), detail).await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// The circle of support, closest first (an audited read).
pub async fn members(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<Vec<MemberRecord>, StoreError> {
    let sql = format!(
        "{MEMBER_SELECT} WHERE m.person_id = $1 AND m.removed_at IS NULL \
         ORDER BY CASE m.involvement WHEN 'core' THEN 1 WHEN 'regular' THEN 2 ELSE 3 END, m.created_at"
    );
    let mut tx = db.read().await?;
    let rows: Vec<MemberRow> =
        on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person.as_uuid()).fetch_all(c).await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened the circle of support").await?;
    tx.commit().await?;
    rows.into_iter().map(MemberRecord::try_from).collect()
}

/// How many members the circle has, for the case map (part of the audited case page read).
pub async fn member_count(db: &Db, person: PersonId) -> Result<i64, StoreError> {
    let (n,): (i64,) = on_pool!(db, |p| sqlx::query_as(
        "SELECT COUNT(*) FROM circle_members WHERE person_id = $1 AND removed_at IS NULL"
    )
    .bind(person.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok(n)
}

/// Every entry of every theme except those withheld from the person, for a summary the person
/// may read (an audited read).
pub async fn shareable_entries(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    what: &str,
) -> Result<Vec<EntryRecord>, StoreError> {
    let sql = format!(
        "{ENTRY_SELECT} WHERE e.person_id = $1 AND e.removed_at IS NULL AND e.withheld = $2 ORDER BY e.created_at, e.id"
    );
    let mut tx = db.read().await?;
    let rows: Vec<EntryRow> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(person.as_uuid())
        .bind(false)
        .fetch_all(c)
        .await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), what).await?;
    tx.commit().await?;
    rows.into_iter().map(EntryRecord::try_from).collect()
}

/// Whether any current entry in keeping safe is about capacity, consent and dignity: the circle
/// of support then asks about an advocate. Part of the audited circle page read.
pub async fn capacity_in_question(db: &Db, person: PersonId) -> Result<bool, StoreError> {
    let rows: Vec<(String,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT details FROM theme_entries WHERE person_id = $1 AND theme = $2 AND removed_at IS NULL"
    )
    .bind(person.as_uuid())
    .bind(Theme::KeepingSafe.slug())
    .fetch_all(p)
    .await)?;
    for (json,) in rows {
        if from_json::<EntryDetails>(&json)?.topic == Some(carethread_domain::themes::Topic::CapacityConsentDignity) {
            return Ok(true);
        }
    }
    Ok(false)
}

const GOOD_LIVES: &str = "good-lives";

/// A person's Good Lives checklist and its version (0 before anything has been recorded).
/// Part of the audited theme page read.
pub async fn good_lives(db: &Db, person: PersonId) -> Result<(GoodLives, i64), StoreError> {
    let row: Option<(String, i64)> =
        on_pool!(db, |p| sqlx::query_as("SELECT details, version FROM good_lives WHERE person_id = $1")
            .bind(person.as_uuid())
            .fetch_optional(p)
            .await)?;
    match row {
        Some((json, version)) => Ok((from_json(&json)?, version)),
        None => Ok((GoodLives::default(), 0)),
    }
}

/// Saves the checklist if it is still at `base_version` (0 for the first save); otherwise writes
/// nothing and returns the checklist as it is now.
pub async fn save_good_lives(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    base_version: i64,
    checklist: &GoodLives,
) -> Result<Result<i64, (GoodLives, i64)>, StoreError> {
    let json = to_json(checklist)?;
    let now = crate::now();
    let mut tx = db.begin().await?;
    let org = org_of(&mut tx, person).await?;
    let current: Option<(Uuid, String, i64)> =
        on_tx!(&mut tx, |c| sqlx::query_as("SELECT id, details, version FROM good_lives WHERE person_id = $1")
            .bind(person.as_uuid())
            .fetch_optional(c)
            .await)?;
    let current_version = current.as_ref().map_or(0, |(_, _, v)| *v);
    if current_version != base_version {
        let now_checklist = match &current {
            Some((_, json, _)) => from_json(json)?,
            None => GoodLives::default(),
        };
        return Ok(Err((now_checklist, current_version)));
    }
    let version = base_version + 1;
    let id = match current {
        Some((id, _, _)) => {
            let n = exec_tx!(&mut tx, |c| sqlx::query(
                "UPDATE good_lives SET details = $1, version = $2, updated_at = $3 WHERE id = $4 AND version = $5"
            )
            .bind(&json)
            .bind(version)
            .bind(now)
            .bind(id)
            .bind(base_version)
            .execute(c)
            .await)?;
            if n != 1 {
                return Err(StoreError::StaleVersion { current: version });
            }
            id
        }
        None => {
            let id = Uuid::now_v7();
            exec_tx!(&mut tx, |c| sqlx::query(
                "INSERT INTO good_lives (id, org_id, person_id, details, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
            )
            .bind(id)
            .bind(org.as_uuid())
            .bind(person.as_uuid())
            .bind(&json)
            .bind(version)
            .bind(now)
            .execute(c)
            .await)
            .map_err(|e| StoreError::from(e).on_unique("The checklist"))?;
            id
        }
    };
    let v = NewVersion { record_type: GOOD_LIVES, record_id: id, version, details: &json, removed: false, at: now };
    insert_version(&mut tx, ctx, org, v).await?;
    record(&mut tx, ctx, AuditAction::Update, Some(person), "updated the Good Lives checklist").await?;
    tx.commit().await?;
    Ok(Ok(version))
}

pub(crate) const PROBLEM: &str = "problem-area";

/// A problem area as a page shows it, with the problem areas it is linked to.
#[derive(Clone, Debug)]
pub struct ProblemRecord {
    pub id: Uuid,
    pub details: ProblemDetails,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    /// (id, name) of each linked problem area.
    pub linked: Vec<(Uuid, String)>,
}

pub async fn add_problem(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    details: &ProblemDetails,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    add_problem_in(&mut tx, ctx, person, id, details).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`add_problem`] inside a transaction the caller holds, with the id chosen by the caller.
pub(crate) async fn add_problem_in(
    tx: &mut Tx,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    details: &ProblemDetails,
) -> Result<(), StoreError> {
    let now = crate::now();
    let json = to_json(details)?;
    let org = org_of(tx, person).await?;
    exec_tx!(&mut *tx, |c| {
        sqlx::query(
        "INSERT INTO problem_areas (id, org_id, person_id, details, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(&json)
    .bind(1i64)
    .bind(now)
    .execute(c)
    .await
    })?;
    insert_version(
        tx,
        ctx,
        org,
        NewVersion { record_type: PROBLEM, record_id: id, version: 1, details: &json, removed: false, at: now },
    )
    .await?;
    record(tx, ctx, AuditAction::Create, Some(person), "added a problem area").await
}

/// The person's current problem areas, oldest first, each with its links (an audited read).
pub async fn problems(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<Vec<ProblemRecord>, StoreError> {
    let mut tx = db.read().await?;
    let rows: Vec<(Uuid, String, i64, DateTime<Utc>)> = on_tx!(&mut tx, |c| {
        sqlx::query_as(
        "SELECT id, details, version, updated_at FROM problem_areas WHERE person_id = $1 AND removed_at IS NULL ORDER BY created_at, id"
    )
    .bind(person.as_uuid())
    .fetch_all(c)
    .await
    })?;
    let links: Vec<(Uuid, Uuid)> =
        on_tx!(&mut tx, |c| sqlx::query_as("SELECT a, b FROM problem_links WHERE person_id = $1")
            .bind(person.as_uuid())
            .fetch_all(c)
            .await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened the problem areas").await?;
    tx.commit().await?;
    let mut out: Vec<ProblemRecord> = rows
        .into_iter()
        .map(|(id, json, version, updated_at)| {
            Ok(ProblemRecord { id, details: from_json(&json)?, version, updated_at, linked: Vec::new() })
        })
        .collect::<Result<_, StoreError>>()?;
    let names: HashMap<Uuid, String> = out.iter().map(|p| (p.id, p.details.name.clone())).collect();
    for p in &mut out {
        for (a, b) in &links {
            let other = if *a == p.id {
                b
            } else if *b == p.id {
                a
            } else {
                continue;
            };
            // A link to a removed problem area is no longer shown.
            if let Some(name) = names.get(other) {
                p.linked.push((*other, name.clone()));
            }
        }
    }
    Ok(out)
}

async fn load_problem(tx: &mut Tx, person: PersonId, id: Uuid) -> Result<(ProblemDetails, i64), StoreError> {
    let (json, version): (String, i64) = on_tx!(tx, |c| sqlx::query_as(
        "SELECT details, version FROM problem_areas WHERE id = $1 AND person_id = $2 AND removed_at IS NULL"
    )
    .bind(id)
    .bind(person.as_uuid())
    .fetch_one(c)
    .await)?;
    Ok((from_json(&json)?, version))
}

/// One problem area (an audited read).
pub async fn problem(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
) -> Result<(ProblemDetails, i64), StoreError> {
    let mut tx = db.read().await?;
    let found = load_problem(&mut tx, person, id).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened a problem area").await?;
    tx.commit().await?;
    Ok(found)
}

/// Saves new details, or removes the problem area, if it is still at `base_version`; otherwise
/// writes nothing and returns it as it is now.
pub async fn change_problem(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    base_version: i64,
    details: Option<&ProblemDetails>,
) -> Result<Result<i64, (ProblemDetails, i64)>, StoreError> {
    let mut tx = db.begin().await?;
    let current = load_problem(&mut tx, person, id).await?;
    if current.1 != base_version {
        return Ok(Err(current));
    }
    let org = org_of(&mut tx, person).await?;
    let version = base_version + 1;
    let now = crate::now();
    let (json, removed) = match details {
        Some(d) => (to_json(d)?, false),
        None => (to_json(&current.0)?, true),
    };
    let n = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE problem_areas SET details = $1, version = $2, updated_at = $3, removed_at = $4 \
         WHERE id = $5 AND person_id = $6 AND version = $7"
    )
    .bind(&json)
    .bind(version)
    .bind(now)
    .bind(removed.then_some(now))
    .bind(id)
    .bind(person.as_uuid())
    .bind(base_version)
    .execute(c)
    .await)?;
    if n != 1 {
        return Err(StoreError::StaleVersion { current: version });
    }
    insert_version(
        &mut tx,
        ctx,
        org,
        NewVersion { record_type: PROBLEM, record_id: id, version, details: &json, removed, at: now },
    )
    .await?;
    let detail = if removed { "removed a problem area" } else { "changed a problem area" };
    record(&mut tx, ctx, AuditAction::Update, Some(person), detail).await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// Links or unlinks two problem areas of the same person.
pub async fn set_problem_link(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    one: Uuid,
    other: Uuid,
    linked: bool,
) -> Result<(), StoreError> {
    if one == other {
        return Err(StoreError::Invalid("A problem area cannot be linked to itself."));
    }
    let (a, b) = if one < other { (one, other) } else { (other, one) };
    let mut tx = db.begin().await?;
    // Both must be current problem areas of this person.
    load_problem(&mut tx, person, a).await?;
    load_problem(&mut tx, person, b).await?;
    let org = org_of(&mut tx, person).await?;
    if linked {
        exec_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO problem_links (id, org_id, person_id, a, b) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (a, b) DO NOTHING"
        )
        .bind(Uuid::now_v7())
        .bind(org.as_uuid())
        .bind(person.as_uuid())
        .bind(a)
        .bind(b)
        .execute(c)
        .await
        })?;
    } else {
        exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM problem_links WHERE a = $1 AND b = $2 AND person_id = $3")
            .bind(a)
            .bind(b)
            .bind(person.as_uuid())
            .execute(c)
            .await)?;
    }
    let detail = if linked { "linked two problem areas" } else { "unlinked two problem areas" };
    record(&mut tx, ctx, AuditAction::Update, Some(person), detail).await?;
    tx.commit().await
}

pub async fn problem_versions(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
) -> Result<Vec<Version<ProblemDetails>>, StoreError> {
    versions(db, ctx, person, "problem_areas", PROBLEM, id).await
}

/// A comment on an entry, with who wrote it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CommentRecord {
    pub id: Uuid,
    pub entry_id: Uuid,
    pub author: String,
    /// The author's role, as stored (`person`, `key-worker`...).
    pub role: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// Adds a comment to one of the person's entries, as `audience` may see it: the person cannot
/// comment on an entry withheld from them (to them it does not exist).
pub async fn add_comment(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    entry: Uuid,
    audience: Audience,
    body: &carethread_domain::themes::CommentText,
) -> Result<Uuid, StoreError> {
    let author = ctx.user_id.ok_or(StoreError::Invalid("A comment needs a signed-in account."))?;
    let mut tx = db.begin().await?;
    let found: Option<(Uuid, String)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT org_id, theme FROM theme_entries WHERE id = $1 AND person_id = $2 AND removed_at IS NULL \
         AND ($3 OR NOT withheld)"
    )
    .bind(entry)
    .bind(person.as_uuid())
    .bind(audience.sees_withheld())
    .fetch_optional(c)
    .await)?;
    let (org, theme) = found.ok_or(StoreError::NotFound)?;
    let id = Uuid::now_v7();
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO entry_comments (id, org_id, person_id, entry_id, author_id, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(id)
    .bind(org)
    .bind(person.as_uuid())
    .bind(entry)
    .bind(author.as_uuid())
    .bind(body.as_str())
    .bind(crate::now())
    .execute(c)
    .await)?;
    let theme: Theme = theme.parse().map_err(StoreError::Corrupt)?;
    let detail = format!("commented on an entry in {}", theme.title());
    record(&mut tx, ctx, AuditAction::Create, Some(person), &detail).await?;
    tx.commit().await?;
    Ok(id)
}

/// The theme of one of the person's entries, if `audience` may see it (not audited: it reveals
/// only which page to show).
pub async fn visible_entry_theme(
    db: &Db,
    person: PersonId,
    entry: Uuid,
    audience: Audience,
) -> Result<Option<Theme>, StoreError> {
    let found: Option<(String,)> = on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT theme FROM theme_entries WHERE id = $1 AND person_id = $2 AND removed_at IS NULL AND ($3 OR NOT withheld)"
    )
    .bind(entry)
    .bind(person.as_uuid())
    .bind(audience.sees_withheld())
    .fetch_optional(p)
    .await
    })?;
    found.map(|(t,)| t.parse().map_err(StoreError::Corrupt)).transpose()
}

/// Every comment on the person's entries in one theme, oldest first. Part of the theme page's
/// audited read.
pub async fn comments(db: &Db, person: PersonId, theme: Theme) -> Result<Vec<CommentRecord>, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT c.id, c.entry_id, u.display_name AS author, u.role, c.body, c.created_at FROM entry_comments c \
         JOIN users u ON u.id = c.author_id JOIN theme_entries e ON e.id = c.entry_id \
         WHERE c.person_id = $1 AND e.theme = $2 ORDER BY c.created_at, c.id"
    )
    .bind(person.as_uuid())
    .bind(theme.slug())
    .fetch_all(p)
    .await)?)
}

/// How many changes the circle of support has had, and when the last was: the version of the
/// circle as one whole (every change to a member, removals included, counts).
pub async fn circle_version(db: &Db, person: PersonId) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
    let (changes, last): (Option<i64>, Option<DateTime<Utc>>) = on_pool!(db, |p| sqlx::query_as(
        "SELECT CAST(SUM(version) AS BIGINT), MAX(updated_at) FROM circle_members WHERE person_id = $1"
    )
    .bind(person.as_uuid())
    .fetch_one(p)
    .await)?;
    Ok((changes.unwrap_or(0), last))
}

/// Whose circle a member is in, before anyone is let in to read it.
pub async fn person_of_member(db: &Db, member: Uuid) -> Result<Option<Whose>, StoreError> {
    whose(db, "SELECT person_id, removed_at IS NOT NULL FROM circle_members WHERE id = $1", member).await
}

/// Whose record a problem area is in, before anyone is let in to read it.
pub async fn person_of_problem(db: &Db, problem: Uuid) -> Result<Option<Whose>, StoreError> {
    whose(db, "SELECT person_id, removed_at IS NOT NULL FROM problem_areas WHERE id = $1", problem).await
}

/// Whose record something is in, and whether it has been taken off it (it keeps its history,
/// so a reference to it is answered "gone" rather than "never existed").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Whose {
    pub person: PersonId,
    pub removed: bool,
}

async fn whose(db: &Db, sql: &'static str, id: Uuid) -> Result<Option<Whose>, StoreError> {
    let row: Option<(Uuid, bool)> = on_pool!(db, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?;
    Ok(row.map(|(p, removed)| Whose { person: PersonId::from_uuid(p), removed }))
}
