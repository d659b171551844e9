//! Emergency ("break-glass") access: a member of staff with no working relationship to a record
//! gives a reason and gets time-boxed access to read it. Starting, ending and expiry are each
//! audited as such, on the person's record, so the person sees them in their access log; a team
//! manager or administrator then marks each access as justified or a concern.

use crate::audit::record;
use crate::{AuditContext, Db, StoreError};
use carethread_domain::{AuditAction, OrgId, PersonId, TeamId, UserId};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// How long emergency access lasts unless the holder ends it sooner.
pub const DEFAULT_HOURS: i64 = 4;
/// The shortest and longest reasons accepted: a reason must say something, and is not a report.
pub const REASON_MIN: usize = 10;
pub const REASON_MAX: usize = 500;

/// A reason for breaking the glass, checked: long enough to say why, short enough to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Reason, &'static str> {
        let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        match text.chars().count() {
            0 => Err("Say why you need emergency access to this record."),
            n if n < REASON_MIN => Err("Say a little more about why you need this record (at least 10 characters)."),
            n if n > REASON_MAX => Err("Keep the reason to 500 characters or fewer."),
            _ => Ok(Reason(text)),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A reviewer's verdict on an emergency access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Justified,
    Concern,
}

impl Verdict {
    pub fn parse(raw: &str) -> Option<Verdict> {
        match raw {
            "justified" => Some(Verdict::Justified),
            "concern" => Some(Verdict::Concern),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Justified => "justified",
            Verdict::Concern => "concern",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Justified => "Justified",
            Verdict::Concern => "A concern to follow up",
        }
    }
}

/// The session change that goes with starting emergency access: the browser's session id is
/// replaced, so access gained under the old id cannot be replayed with it.
pub struct Rotation<'a> {
    pub old_token_hash: &'a str,
    pub new_token_hash: &'a str,
    pub new_csrf: &'a str,
}

/// Starts emergency access for the asker to one person's record, for [`DEFAULT_HOURS`], rotating
/// the session in the same transaction. Call only after the policy allowed `BreakGlass`.
pub async fn start(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    reason: &Reason,
    rotation: Option<Rotation<'_>>,
) -> Result<DateTime<Utc>, StoreError> {
    let user = ctx.user_id.ok_or(StoreError::Invalid("Emergency access needs a signed-in account."))?;
    let now = crate::now();
    let expires = now + Duration::hours(DEFAULT_HOURS);
    let mut tx = db.begin().await?;
    let org = crate::people::org_of(&mut tx, person).await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO break_glass_grants (id, org_id, user_id, person_id, reason, started_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    .bind(Uuid::now_v7())
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(person.as_uuid())
    .bind(reason.as_str())
    .bind(now)
    .bind(expires)
    .execute(c)
    .await)?;
    if let Some(r) = rotation {
        exec_tx!(&mut tx, |c| sqlx::query(
            "UPDATE sessions SET token_hash = $1, csrf_token = $2 WHERE token_hash = $3"
        )
        .bind(r.new_token_hash)
        .bind(r.new_csrf)
        .bind(r.old_token_hash)
        .execute(c)
        .await)?;
    }
    let detail = format!("used emergency access for {DEFAULT_HOURS} hours, saying: {}", reason.as_str());
    record(&mut tx, ctx, AuditAction::BreakGlassStart, Some(person), &detail).await?;
    tx.commit().await?;
    Ok(expires)
}

/// When the asker's emergency access to this record runs out, if they hold one now.
pub async fn active_until(db: &Db, user: UserId, person: PersonId) -> Result<Option<DateTime<Utc>>, StoreError> {
    let row: Option<(DateTime<Utc>,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT expires_at FROM break_glass_grants WHERE user_id = $1 AND person_id = $2 \
         AND ended_at IS NULL AND expires_at > $3 ORDER BY expires_at DESC LIMIT 1"
    )
    .bind(user.as_uuid())
    .bind(person.as_uuid())
    .bind(crate::now())
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|(at,)| at))
}

/// The holder ends their emergency access now. Returns false when there was none in force.
pub async fn end(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<bool, StoreError> {
    let user = ctx.user_id.ok_or(StoreError::Invalid("Emergency access needs a signed-in account."))?;
    let now = crate::now();
    let mut tx = db.begin().await?;
    let ended = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE break_glass_grants SET ended_at = $1, ended_how = 'ended' \
         WHERE user_id = $2 AND person_id = $3 AND ended_at IS NULL AND expires_at > $1"
    )
    .bind(now)
    .bind(user.as_uuid())
    .bind(person.as_uuid())
    .execute(c)
    .await)?;
    if ended == 0 {
        return Ok(false);
    }
    record(&mut tx, ctx, AuditAction::BreakGlassEnd, Some(person), "ended their emergency access").await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct LapsedRow {
    id: Uuid,
    org_id: Uuid,
    user_id: Uuid,
    username: String,
    role: String,
    person_id: Uuid,
    expires_at: DateTime<Utc>,
}

/// Closes every emergency access whose time ran out, recording each end in the audit log as
/// the holder's (it ended on their behalf). Run periodically by the server; returns how many.
/// Until it runs, a lapsed grant already gives no access: the policy reads `expires_at`.
pub async fn close_lapsed(db: &Db) -> Result<usize, StoreError> {
    let now = crate::now();
    let mut tx = db.begin().await?;
    let rows: Vec<LapsedRow> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT g.id, g.org_id, g.user_id, u.username, u.role, g.person_id, g.expires_at \
         FROM break_glass_grants g JOIN users u ON u.id = g.user_id \
         WHERE g.ended_at IS NULL AND g.expires_at <= $1 ORDER BY g.expires_at LIMIT 1000"
    )
    .bind(now)
    .fetch_all(c)
    .await)?;
    for row in &rows {
        exec_tx!(&mut tx, |c| sqlx::query(
            "UPDATE break_glass_grants SET ended_at = expires_at, ended_how = 'expired' WHERE id = $1"
        )
        .bind(row.id)
        .execute(c)
        .await)?;
    }
    for row in &rows {
        let ctx = AuditContext {
            org_id: Some(OrgId::from_uuid(row.org_id)),
            user_id: Some(UserId::from_uuid(row.user_id)),
            username: row.username.clone(),
            role: row.role.clone(),
            ip: "server".into(),
            request_id: "break-glass-expiry".into(),
        };
        let detail = format!("emergency access ran out at {}", row.expires_at.format("%H:%M UTC"));
        record(&mut tx, &ctx, AuditAction::BreakGlassEnd, Some(PersonId::from_uuid(row.person_id)), &detail).await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// One emergency access, as the review queue shows it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GrantRow {
    pub id: Uuid,
    /// The account that used emergency access.
    pub user_id: Uuid,
    pub who: String,
    pub role: String,
    pub person_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub reason: String,
    pub started_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_how: Option<String>,
    pub review_verdict: Option<String>,
    pub review_note: Option<String>,
    pub reviewer: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
}

impl GrantRow {
    pub fn person_name(&self) -> String {
        format!("{} {}", self.preferred_name.as_deref().unwrap_or(&self.given_name), self.family_name)
    }
    pub fn verdict(&self) -> Option<Verdict> {
        self.review_verdict.as_deref().and_then(Verdict::parse)
    }
    /// Whether it is still in force at `now`.
    pub fn in_force(&self, now: &DateTime<Utc>) -> bool {
        self.ended_at.is_none() && self.expires_at > *now
    }
}

/// Whose emergency accesses a reviewer sees: a team manager those by their own team's staff or
/// to records their team holds; an administrator (the privacy officer) the whole organisation's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Team(Option<TeamId>),
    Organisation,
}

impl Scope {
    /// The team to filter by, as bound into the queries: None for the whole organisation. A
    /// manager with no team sees nothing (the nil id matches no team).
    fn team(self) -> Option<Uuid> {
        match self {
            Scope::Team(t) => Some(t.map(|t| t.as_uuid()).unwrap_or(Uuid::nil())),
            Scope::Organisation => None,
        }
    }
}

/// Filters grants `g` (holder `u`) to a scope bound as `$2`.
const IN_SCOPE: &str = "($2 IS NULL OR u.team_id = $2 OR EXISTS (SELECT 1 FROM cases sc WHERE sc.person_id = g.person_id AND sc.team_id = $2))";

/// The emergency accesses in the reviewer's scope: those waiting for review first (oldest
/// first), then the most recently reviewed. The queue names people, so viewing it is audited.
pub async fn queue(db: &Db, ctx: &AuditContext, org: OrgId, scope: Scope) -> Result<Vec<GrantRow>, StoreError> {
    let mut tx = db.read().await?;
    let rows: Vec<GrantRow> = on_tx!(&mut tx, |c| {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.id, g.user_id, u.display_name AS who, u.role, g.person_id, p.given_name, p.family_name, p.preferred_name, \
         g.reason, g.started_at, g.expires_at, g.ended_at, g.ended_how, g.review_verdict, g.review_note, \
         r.display_name AS reviewer, g.reviewed_at \
         FROM break_glass_grants g JOIN users u ON u.id = g.user_id JOIN people p ON p.id = g.person_id \
         LEFT JOIN users r ON r.id = g.reviewed_by \
         WHERE g.org_id = $1 AND {IN_SCOPE} \
         ORDER BY (CASE WHEN g.reviewed_at IS NULL THEN 0 ELSE 1 END), \
         (CASE WHEN g.reviewed_at IS NULL THEN g.started_at END) ASC, g.reviewed_at DESC LIMIT 500"
    )))
    .bind(org.as_uuid())
    .bind(scope.team())
    .fetch_all(c)
    .await
    })?;
    let waiting = rows.iter().filter(|r| r.reviewed_at.is_none()).count();
    let detail = format!("opened the emergency access review queue ({} accesses, {waiting} to review)", rows.len());
    record(&mut tx, ctx, AuditAction::Search, None, &detail).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Records a reviewer's verdict on one emergency access of their organisation. A reviewer does
/// not review their own access. Returns the problem in words when the review cannot be recorded.
pub async fn review(
    db: &Db,
    ctx: &AuditContext,
    org: OrgId,
    scope: Scope,
    grant: Uuid,
    verdict: Verdict,
    note: &str,
) -> Result<Result<(), &'static str>, StoreError> {
    let reviewer = ctx.user_id.ok_or(StoreError::Invalid("A review needs a signed-in account."))?;
    let note = note.trim();
    if verdict == Verdict::Concern && note.is_empty() {
        return Ok(Err("Say what the concern is, so it can be followed up."));
    }
    if note.chars().count() > REASON_MAX {
        return Ok(Err("Keep the note to 500 characters or fewer."));
    }
    let mut tx = db.begin().await?;
    let row: Option<(Uuid, Uuid, Option<DateTime<Utc>>)> =
        on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT g.user_id, g.person_id, g.reviewed_at FROM break_glass_grants g JOIN users u ON u.id = g.user_id \
             WHERE g.id = $3 AND g.org_id = $1 AND {IN_SCOPE}"
        )))
        .bind(org.as_uuid())
        .bind(scope.team())
        .bind(grant)
        .fetch_optional(c)
        .await)?;
    let Some((holder, person, reviewed_at)) = row else {
        return Ok(Err("That emergency access was not found."));
    };
    if holder == reviewer.as_uuid() {
        return Ok(Err("Someone else must review your own emergency access."));
    }
    if reviewed_at.is_some() {
        return Ok(Err("That emergency access has already been reviewed."));
    }
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE break_glass_grants SET review_verdict = $1, review_note = $2, reviewed_by = $3, reviewed_at = $4 \
         WHERE id = $5 AND reviewed_at IS NULL"
    )
    .bind(verdict.as_str())
    .bind(if note.is_empty() { None } else { Some(note) })
    .bind(reviewer.as_uuid())
    .bind(crate::now())
    .bind(grant)
    .execute(c)
    .await)?;
    let detail = format!("reviewed an emergency access to this record: {}", verdict.label().to_lowercase());
    record(&mut tx, ctx, AuditAction::BreakGlassReview, Some(PersonId::from_uuid(person)), &detail).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
