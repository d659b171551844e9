//! Tasks: stored with exactly one owner and a status (the table's CHECKs say so too), listed per
//! case and per owner. An owner who leaves (a deactivated account or team, a member removed from
//! the circle) never takes the task with them: the task stays, flagged for reassignment.

use crate::audit::{AuditContext, record};
use crate::db::{Db, Tx};
use crate::error::StoreError;
use crate::people::org_of;
use crate::query::{Arg, Args, bind_args};
use carethread_domain::policy::Target;
use carethread_domain::tasks::{Owner, TaskDetails, TaskStatus};
use carethread_domain::themes::Theme;
use carethread_domain::{AuditAction, OrgId, PersonId, TeamId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// The staff roles that hold tasks: the list a form offers and the check a write makes are one.
macro_rules! task_owner_roles {
    () => {
        "('key-worker', 'clinician', 'team-manager', 'practice-admin')"
    };
}

/// The kind of record a task's earlier versions are kept as (module `snapshots`).
const TASK: &str = "task";

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TaskRecord {
    pub id: Uuid,
    pub person_id: PersonId,
    /// The person's name, for lists that span several people ("my tasks").
    pub person_name: String,
    pub details: TaskDetails,
    pub owner_name: String,
    /// False when the owner's account or team was deactivated, or they left the circle: the task
    /// needs a new owner.
    pub owner_active: bool,
    /// When it came from a review: that review's id and date.
    pub review: Option<(Uuid, chrono::NaiveDateTime)>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// Someone a task could be given to, for the form's list.
#[derive(Clone, Debug)]
pub struct OwnerChoice {
    pub owner: Owner,
    pub label: String,
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    person_id: Uuid,
    given_name: String,
    family_name: String,
    preferred_name: Option<String>,
    title: String,
    theme: Option<String>,
    due_on: NaiveDate,
    status: String,
    blocked_reason: Option<String>,
    owner_kind: String,
    owner_member_id: Option<Uuid>,
    owner_user_id: Option<Uuid>,
    owner_team_id: Option<Uuid>,
    member_details: Option<String>,
    member_removed: bool,
    user_name: Option<String>,
    user_active: Option<bool>,
    team_name: Option<String>,
    team_active: Option<bool>,
    review_id: Option<Uuid>,
    review_at: Option<chrono::NaiveDateTime>,
    version: i64,
    updated_at: DateTime<Utc>,
}

const TASK_SELECT: &str = "SELECT t.id, t.person_id, p.given_name, p.family_name, p.preferred_name, t.title, t.theme, \
     t.due_on, t.status, t.blocked_reason, t.owner_kind, t.owner_member_id, t.owner_user_id, t.owner_team_id, \
     m.details AS member_details, (m.removed_at IS NOT NULL) AS member_removed, u.display_name AS user_name, \
     u.active AS user_active, tm.name AS team_name, tm.active AS team_active, t.review_id, r.scheduled_for AS review_at, \
     t.version, t.updated_at \
     FROM tasks t JOIN people p ON p.id = t.person_id \
     LEFT JOIN circle_members m ON m.id = t.owner_member_id LEFT JOIN users u ON u.id = t.owner_user_id \
     LEFT JOIN teams tm ON tm.id = t.owner_team_id LEFT JOIN reviews r ON r.id = t.review_id";

impl TryFrom<TaskRow> for TaskRecord {
    type Error = StoreError;
    fn try_from(r: TaskRow) -> Result<Self, StoreError> {
        let corrupt = || StoreError::Corrupt(format!("task {} has an owner that does not fit its kind", r.id));
        let person_name = match &r.preferred_name {
            Some(p) => format!("{p} {}", r.family_name),
            None => format!("{} {}", r.given_name, r.family_name),
        };
        let (owner, owner_name, owner_active) = match r.owner_kind.as_str() {
            "person" => (Owner::Person, person_name.clone(), true),
            "member" => {
                let details: carethread_domain::circle::MemberDetails =
                    serde_json::from_str(r.member_details.as_deref().ok_or_else(corrupt)?)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let name = match details.organisation {
                    Some(org) if details.source == carethread_domain::circle::Source::WiderSystem => {
                        format!("{} ({org})", details.name)
                    }
                    _ => format!("{} ({})", details.name, details.relationship),
                };
                (Owner::Member(r.owner_member_id.ok_or_else(corrupt)?), name, !r.member_removed)
            }
            "staff" => (
                Owner::Staff(UserId::from_uuid(r.owner_user_id.ok_or_else(corrupt)?)),
                r.user_name.clone().ok_or_else(corrupt)?,
                r.user_active == Some(true),
            ),
            "team" => (
                Owner::Team(TeamId::from_uuid(r.owner_team_id.ok_or_else(corrupt)?)),
                r.team_name.clone().ok_or_else(corrupt)?,
                r.team_active == Some(true),
            ),
            _ => return Err(corrupt()),
        };
        let status = TaskStatus::from_stored(&r.status, r.blocked_reason.clone()).ok_or_else(corrupt)?;
        let theme = r.theme.as_deref().map(str::parse::<Theme>).transpose().map_err(StoreError::Corrupt)?;
        Ok(TaskRecord {
            id: r.id,
            person_id: PersonId::from_uuid(r.person_id),
            person_name,
            details: TaskDetails { title: r.title, owner, due: r.due_on, theme, status },
            owner_name,
            owner_active,
            review: r.review_id.zip(r.review_at),
            version: r.version,
            updated_at: r.updated_at,
        })
    }
}

/// Who a task for this person can be given to: the person, their circle of support, and the
/// active staff and teams of the organisation holding the case.
pub async fn owner_choices(db: &Db, person: PersonId) -> Result<Vec<OwnerChoice>, StoreError> {
    let mut out = vec![OwnerChoice { owner: Owner::Person, label: "The person themselves".into() }];
    let members: Vec<(Uuid, String)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, details FROM circle_members WHERE person_id = $1 AND removed_at IS NULL ORDER BY created_at, id"
    )
    .bind(person.as_uuid())
    .fetch_all(p)
    .await)?;
    for (id, details) in members {
        let d: carethread_domain::circle::MemberDetails =
            serde_json::from_str(&details).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.push(OwnerChoice { owner: Owner::Member(id), label: d.label() });
    }
    let org: Option<(Uuid,)> = on_pool!(db, |p| sqlx::query_as("SELECT org_id FROM people WHERE id = $1")
        .bind(person.as_uuid())
        .fetch_optional(p)
        .await)?;
    if let Some((org,)) = org {
        out.extend(staff_and_teams(db, OrgId::from_uuid(org)).await?);
    }
    Ok(out)
}

/// The active staff and teams of an organisation: who, besides the person and their circle,
/// can own a task or support a step.
pub async fn staff_and_teams(db: &Db, org: OrgId) -> Result<Vec<OwnerChoice>, StoreError> {
    let mut out = Vec::new();
    let staff: Vec<(Uuid, String)> = on_pool!(db, |p| sqlx::query_as(concat!(
        "SELECT id, display_name FROM users WHERE org_id = $1 AND active = $2 AND role IN ",
        task_owner_roles!(),
        " ORDER BY display_name"
    ))
    .bind(org.as_uuid())
    .bind(true)
    .fetch_all(p)
    .await)?;
    for (id, name) in staff {
        out.push(OwnerChoice { owner: Owner::Staff(UserId::from_uuid(id)), label: name });
    }
    let teams: Vec<(Uuid, String)> = on_pool!(db, |p| {
        sqlx::query_as("SELECT id, name FROM teams WHERE org_id = $1 AND active = $2 ORDER BY name")
            .bind(org.as_uuid())
            .bind(true)
            .fetch_all(p)
            .await
    })?;
    for (id, name) in teams {
        out.push(OwnerChoice { owner: Owner::Team(TeamId::from_uuid(id)), label: format!("Team: {name}") });
    }
    Ok(out)
}

// Whether an owner is on offer for a person's case, one statement per kind: their circle's
// members, and the active staff and teams of the organisation holding the case. Each takes the
// owner's id, the person's id and `true` (still current), so all three bind alike.
const CIRCLE_MEMBER: &str =
    "SELECT 1 FROM circle_members WHERE id = $1 AND person_id = $2 AND (removed_at IS NULL) = $3";
const STAFF_OF_CASE_ORG: &str = concat!(
    "SELECT 1 FROM users WHERE id = $1 AND org_id = (SELECT org_id FROM people WHERE id = $2) AND active = $3 \
     AND role IN ",
    task_owner_roles!()
);
const TEAM_OF_CASE_ORG: &str =
    "SELECT 1 FROM teams WHERE id = $1 AND org_id = (SELECT org_id FROM people WHERE id = $2) AND active = $3";

/// The statement asking whether `owner` is on offer, and the owner's id; `None` for the person
/// themselves, who always is.
fn owner_question(owner: Owner) -> Option<(&'static str, Uuid)> {
    match owner {
        Owner::Person => None,
        Owner::Member(id) => Some((CIRCLE_MEMBER, id)),
        Owner::Staff(id) => Some((STAFF_OF_CASE_ORG, id.as_uuid())),
        Owner::Team(id) => Some((TEAM_OF_CASE_ORG, id.as_uuid())),
    }
}

/// Whether `owner` may own a task on the person's case now: one lookup, where
/// [`owner_choices`] lists them all for a form. Writes check again in their transaction.
pub async fn may_own(db: &Db, person: PersonId, owner: Owner) -> Result<bool, StoreError> {
    let Some((sql, id)) = owner_question(owner) else {
        return Ok(true);
    };
    let found: Option<(i32,)> =
        on_pool!(db, |p| sqlx::query_as(sql).bind(id).bind(person.as_uuid()).bind(true).fetch_optional(p).await)?;
    Ok(found.is_some())
}

/// Checks, inside the writing transaction, that the owner is one this person's task may have.
async fn check_owner(tx: &mut Tx, person: PersonId, owner: Owner) -> Result<(), StoreError> {
    let Some((sql, id)) = owner_question(owner) else {
        return Ok(());
    };
    let found: Option<(i32,)> =
        on_tx!(tx, |c| sqlx::query_as(sql).bind(id).bind(person.as_uuid()).bind(true).fetch_optional(c).await)?;
    found.map(|_| ()).ok_or(StoreError::Invalid(
        "That owner cannot hold this person's tasks. Choose the person, someone in their circle of support, or staff or a team of the organisation holding the case.",
    ))
}

pub(crate) fn owner_columns(owner: Owner) -> (Option<Uuid>, Option<Uuid>, Option<Uuid>) {
    match owner {
        Owner::Person => (None, None, None),
        Owner::Member(id) => (Some(id), None, None),
        Owner::Staff(id) => (None, Some(id.as_uuid()), None),
        Owner::Team(id) => (None, None, Some(id.as_uuid())),
    }
}

/// Adds a task to the person's case, optionally as an action from a review of that case.
pub async fn add(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    details: &TaskDetails,
    review: Option<Uuid>,
) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let now = crate::now();
    let mut tx = db.begin().await?;
    let org = org_of(&mut tx, person).await?;
    check_owner(&mut tx, person, details.owner).await?;
    if let Some(review) = review {
        let status: Option<(String,)> =
            on_tx!(&mut tx, |c| sqlx::query_as("SELECT status FROM reviews WHERE id = $1 AND person_id = $2")
                .bind(review)
                .bind(person.as_uuid())
                .fetch_optional(c)
                .await)?;
        match status {
            None => return Err(StoreError::NotFound),
            Some((s,)) if s != "scheduled" => {
                return Err(StoreError::Invalid(
                    "This review has been signed off, so no more actions can be added to it. Add the task on its own.",
                ));
            }
            Some(_) => {}
        }
    }
    let (member, user, team) = owner_columns(details.owner);
    exec_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO tasks (id, org_id, person_id, title, theme, due_on, status, blocked_reason, owner_kind, owner_member_id, \
         owner_user_id, owner_team_id, review_id, created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(&details.title)
    .bind(details.theme.map(|t| t.slug()))
    .bind(details.due)
    .bind(details.status.slug())
    .bind(details.status.blocked_reason())
    .bind(details.owner.kind())
    .bind(member)
    .bind(user)
    .bind(team)
    .bind(review)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(now)
    .execute(c)
    .await
    })?;
    let from = if review.is_some() { " as an action from a review" } else { "" };
    record(&mut tx, ctx, AuditAction::Create, Some(person), &format!("added a task{from}")).await?;
    tx.commit().await?;
    Ok(id)
}

async fn load(tx: &mut Tx, person: PersonId, id: Uuid) -> Result<TaskRecord, StoreError> {
    let sql = format!("{TASK_SELECT} WHERE t.id = $1 AND t.person_id = $2");
    let row: TaskRow =
        on_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).bind(person.as_uuid()).fetch_one(c).await)?;
    row.try_into()
}

pub async fn task(db: &Db, ctx: &AuditContext, person: PersonId, id: Uuid) -> Result<TaskRecord, StoreError> {
    let mut tx = db.read().await?;
    let t = load(&mut tx, person, id).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened a task").await?;
    tx.commit().await?;
    Ok(t)
}

/// Every version of a task still known, newest first: the task as it is, then each version a
/// change replaced, as it read then (an audited read).
pub async fn task_versions(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
) -> Result<Vec<TaskRecord>, StoreError> {
    let mut tx = db.read().await?;
    let current = load(&mut tx, person, id).await?;
    let earlier: Vec<TaskRecord> = crate::snapshots::kept(&mut tx, TASK, id).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened a task's history").await?;
    tx.commit().await?;
    let now = current.version;
    Ok(std::iter::once(current).chain(earlier.into_iter().filter(|t| t.version < now)).collect())
}

/// The task as it is now, and the organisation holding it, read outside any write.
async fn as_now(db: &Db, person: PersonId, id: Uuid) -> Result<(TaskRecord, OrgId), StoreError> {
    let mut tx = db.read().await?;
    let current = load(&mut tx, person, id).await?;
    let org = org_of(&mut tx, person).await?;
    tx.commit().await?;
    Ok((current, org))
}

/// Changes a task if nobody else did since `base_version`; otherwise returns it as it is now.
pub async fn update(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    base_version: i64,
    details: &TaskDetails,
) -> Result<Result<i64, TaskRecord>, StoreError> {
    // Read before the writer's turn, so that SQLite's single writer is not held up by it: the
    // update below lands only while the task is still at this version, so what was read is
    // still the task as it is when the change is written (and kept as its earlier version).
    let (current, org) = as_now(db, person, id).await?;
    if current.version != base_version {
        return Ok(Err(current));
    }
    let mut tx = db.begin().await?;
    if details.owner != current.details.owner {
        check_owner(&mut tx, person, details.owner).await?;
    }
    crate::snapshots::keep(&mut tx, org, TASK, id, current.version, current.updated_at, &current).await?;
    let (member, user, team) = owner_columns(details.owner);
    let n = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE tasks SET title = $1, theme = $2, due_on = $3, status = $4, blocked_reason = $5, owner_kind = $6, \
         owner_member_id = $7, owner_user_id = $8, owner_team_id = $9, version = version + 1, updated_at = $10 \
         WHERE id = $11 AND person_id = $12 AND version = $13"
    )
    .bind(&details.title)
    .bind(details.theme.map(|t| t.slug()))
    .bind(details.due)
    .bind(details.status.slug())
    .bind(details.status.blocked_reason())
    .bind(details.owner.kind())
    .bind(member)
    .bind(user)
    .bind(team)
    .bind(crate::now())
    .bind(id)
    .bind(person.as_uuid())
    .bind(base_version)
    .execute(c)
    .await)?;
    if n != 1 {
        // Someone changed it since it was read: ending the transaction unwritten keeps none of
        // this change, and hands the writer's turn on before the task is read again.
        drop(tx);
        return Ok(Err(as_now(db, person, id).await?.0));
    }
    let mut changes = Vec::new();
    if details.status != current.details.status {
        changes.push(format!("status {} → {}", current.details.status.slug(), details.status.slug()));
    }
    if details.owner != current.details.owner {
        changes.push("owner changed".to_string());
    }
    if details.due != current.details.due {
        changes.push(format!("due {} → {}", current.details.due, details.due));
    }
    let detail = if changes.is_empty() {
        "changed a task".to_string()
    } else {
        format!("changed a task: {}", changes.join(", "))
    };
    record(&mut tx, ctx, AuditAction::Update, Some(person), &detail).await?;
    tx.commit().await?;
    Ok(Ok(base_version + 1))
}

/// Every task of one person's case, open ones first, then by due date (an audited read).
pub async fn for_person(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<Vec<TaskRecord>, StoreError> {
    let sql = format!(
        "{TASK_SELECT} WHERE t.person_id = $1 \
         ORDER BY CASE WHEN t.status IN ('done', 'cancelled') THEN 1 ELSE 0 END, t.due_on, t.id"
    );
    let mut tx = db.read().await?;
    let rows: Vec<TaskRow> =
        on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person.as_uuid()).fetch_all(c).await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "listed the tasks of the case").await?;
    tx.commit().await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Whose "my tasks" list: the account, its team, and the person record it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Holder {
    pub user: UserId,
    pub org: OrgId,
    pub team: Option<TeamId>,
    pub person: Option<PersonId>,
}

/// The open tasks an account holds: given to them, to their team, to them as a member of
/// someone's circle of support, or (for a person) to them for their own care. Soonest first.
/// Each named person whose task is listed gets an audit entry.
pub async fn for_holder(db: &Db, ctx: &AuditContext, holder: Holder) -> Result<Vec<TaskRecord>, StoreError> {
    let sql = format!(
        "{TASK_SELECT} WHERE t.org_id = $1 AND t.status NOT IN ('done', 'cancelled') AND (\
         t.owner_user_id = $2 OR t.owner_team_id = $3 OR (t.owner_kind = 'person' AND t.person_id = $4) \
         OR t.owner_member_id IN (SELECT id FROM circle_members WHERE account_id = $2 AND removed_at IS NULL)) \
         ORDER BY t.due_on, t.id LIMIT 500"
    );
    let mut tx = db.read().await?;
    let rows: Vec<TaskRow> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(holder.org.as_uuid())
        .bind(holder.user.as_uuid())
        .bind(holder.team.map(|t| t.as_uuid()))
        .bind(holder.person.map(|p| p.as_uuid()))
        .fetch_all(c)
        .await)?;
    let tasks: Vec<TaskRecord> = rows.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
    let mut people: Vec<PersonId> = tasks.iter().map(|t| t.person_id).collect();
    people.sort();
    people.dedup();
    for person in people {
        record(&mut tx, ctx, AuditAction::Read, Some(person), "listed their own tasks").await?;
    }
    tx.commit().await?;
    Ok(tasks)
}

/// What an API search of tasks asks for.
#[derive(Clone, Debug, Default)]
pub struct TaskFilter {
    /// One person's tasks. The caller must already have been let into this record.
    pub person: Option<PersonId>,
    pub ids: Option<Vec<Uuid>>,
    pub owner: Option<Owner>,
    /// Status slugs, any of which matches.
    pub statuses: Vec<&'static str>,
    pub updated_from: Vec<DateTime<Utc>>,
    pub updated_until: Vec<DateTime<Utc>>,
    /// Order by last change (true: newest first); otherwise soonest due first.
    pub newest_first: Option<bool>,
}

/// One task a search found: enough to ask the policy about it and to page, before its row is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskHit {
    pub id: Uuid,
    pub person_id: PersonId,
}

/// What [`search`] found.
#[derive(Debug, Default)]
pub struct TaskHits {
    /// The hits, in the order asked.
    pub hits: Vec<TaskHit>,
    /// The policy's facts about each person among the hits.
    pub facts: Vec<Target>,
    /// Whether these are all the matches: false when the search stopped at its limit.
    pub complete: bool,
}

/// The tasks matching `filter`, in the order asked: of the one person it names, or else of
/// everyone the asker has a working relationship with (or is). Only ids come back, so a search
/// that matches hundreds of tasks reads and audits only the page it returns ([`by_ids`]). Beside
/// them come the policy's facts about each person among the hits, found in the same query, for
/// the caller to pass each hit through the policy first. The search itself gets an audit entry.
///
/// With a `limit`, the search stops after that many hits: the indexes on each kind of owner hold
/// tasks in the default order (soonest due first), so a page of a key worker's tasks costs the
/// page, not every task they hold.
pub async fn search(
    db: &Db,
    ctx: &AuditContext,
    who: &carethread_domain::policy::Principal,
    filter: &TaskFilter,
    today: NaiveDate,
    limit: Option<usize>,
) -> Result<TaskHits, StoreError> {
    let mut args = Args(vec![Arg::Uuid(who.org_id.as_uuid())]);
    let mut clauses = vec!["t.org_id = $1".to_string()];
    let user = args.add(Arg::Uuid(who.user_id.as_uuid()));
    let now = args.add(Arg::Time(crate::now()));
    match filter.person {
        Some(person) => clauses.push(format!("t.person_id = {}", args.add(Arg::Uuid(person.as_uuid())))),
        None => {
            let team = args.add(Arg::OptUuid(who.team_id.map(|t| t.as_uuid())));
            let own = args.add(Arg::OptUuid(who.person_id.map(|p| p.as_uuid())));
            let related = crate::access::RELATED.replace("$U", &user).replace("$T", &team);
            clauses.push(format!("(t.person_id = {own} OR (c.person_id IS NOT NULL AND {related}))"));
        }
    }
    if let Some(ids) = &filter.ids {
        if ids.is_empty() {
            return Ok(TaskHits { complete: true, ..TaskHits::default() });
        }
        let list: Vec<String> = ids.iter().map(|id| args.add(Arg::Uuid(*id))).collect();
        clauses.push(format!("t.id IN ({})", list.join(", ")));
    }
    if let Some(owner) = filter.owner {
        let (member, user, team) = owner_columns(owner);
        clauses.push(format!("t.owner_kind = {}", args.add(Arg::Text(owner.kind().to_string()))));
        if let Some(id) = member {
            clauses.push(format!("t.owner_member_id = {}", args.add(Arg::Uuid(id))));
        }
        if let Some(id) = user {
            clauses.push(format!("t.owner_user_id = {}", args.add(Arg::Uuid(id))));
        }
        if let Some(id) = team {
            clauses.push(format!("t.owner_team_id = {}", args.add(Arg::Uuid(id))));
        }
    }
    if !filter.statuses.is_empty() {
        let list: Vec<String> = filter.statuses.iter().map(|s| args.add(Arg::Text(s.to_string()))).collect();
        clauses.push(format!("t.status IN ({})", list.join(", ")));
    }
    for t in &filter.updated_from {
        clauses.push(format!("t.updated_at >= {}", args.add(Arg::Time(*t))));
    }
    for t in &filter.updated_until {
        clauses.push(format!("t.updated_at < {}", args.add(Arg::Time(*t))));
    }
    let order = match filter.newest_first {
        Some(true) => "t.updated_at DESC, t.id",
        Some(false) => "t.updated_at, t.id",
        None => "t.due_on, t.id",
    };
    // Each hit comes with what ties the asker to its person, so that the policy can decide on
    // every hit without a second pass over the same people.
    let limit_clause = match limit {
        Some(n) => format!(" LIMIT {}", args.add(Arg::Int(i64::try_from(n).unwrap_or(i64::MAX)))),
        None => String::new(),
    };
    let sql = format!(
        "SELECT t.id AS task_id, p.id, {} FROM tasks t JOIN people p ON p.id = t.person_id \
         LEFT JOIN cases c ON c.person_id = t.person_id WHERE {} ORDER BY {order}{limit_clause}",
        crate::access::ties_columns(&user, &now),
        clauses.join(" AND ")
    );
    let mut tx = db.read().await?;
    let rows: Vec<HitRow> =
        on_tx!(&mut tx, |c| bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args.0).fetch_all(c).await)?;
    let complete = limit.is_none_or(|n| rows.len() < n);
    let detail = if complete {
        format!("searched tasks through the API ({} found)", rows.len())
    } else {
        format!("searched tasks through the API (the first {} looked at)", rows.len())
    };
    record(&mut tx, ctx, AuditAction::Search, None, &detail).await?;
    tx.commit().await?;
    let hits: Vec<TaskHit> =
        rows.iter().map(|r| TaskHit { id: r.task_id, person_id: PersonId::from_uuid(r.ties.id) }).collect();
    let mut facts: Vec<Target> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in rows {
        if seen.insert(row.ties.id) {
            facts.push(crate::access::to_target(db, who, row.ties, today).await?);
        }
    }
    Ok(TaskHits { hits, facts, complete })
}

#[derive(sqlx::FromRow)]
struct HitRow {
    task_id: Uuid,
    #[sqlx(flatten)]
    ties: crate::access::TiesOfRow,
}

/// The tasks of a search's page, in the order of `ids`, read in one query. Each person whose
/// tasks are read gets an audit entry. Ids that are not (or no longer) this organisation's tasks
/// are left out.
pub async fn by_ids(db: &Db, ctx: &AuditContext, org: OrgId, ids: &[Uuid]) -> Result<Vec<TaskRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = Args(vec![Arg::Uuid(org.as_uuid())]);
    let list: Vec<String> = ids.iter().map(|id| args.add(Arg::Uuid(*id))).collect();
    let sql = format!("{TASK_SELECT} WHERE t.org_id = $1 AND t.id IN ({})", list.join(", "));
    let mut tx = db.read().await?;
    let rows: Vec<TaskRow> =
        on_tx!(&mut tx, |c| bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &args.0).fetch_all(c).await)?;
    let mut tasks: Vec<TaskRecord> = rows.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()?;
    let place: std::collections::HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    tasks.sort_by_key(|t| place.get(&t.id).copied());
    let mut people: Vec<PersonId> = tasks.iter().map(|t| t.person_id).collect();
    people.sort();
    people.dedup();
    for person in people {
        record(&mut tx, ctx, AuditAction::Read, Some(person), "read tasks through an API search").await?;
    }
    tx.commit().await?;
    Ok(tasks)
}

/// Whose record a task belongs to, before anyone is let in to read it.
pub async fn person_of(db: &Db, id: Uuid) -> Result<Option<PersonId>, StoreError> {
    let row: Option<(Uuid,)> =
        on_pool!(db, |p| sqlx::query_as("SELECT person_id FROM tasks WHERE id = $1").bind(id).fetch_optional(p).await)?;
    Ok(row.map(|(p,)| PersonId::from_uuid(p)))
}
