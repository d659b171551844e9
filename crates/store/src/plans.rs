//! The care plan's versions and the person's consents to share.
//!
//! Every version is a row; only the draft's content is ever updated, and only by someone who
//! saw its latest version (an optimistic lock), so two people editing at once never overwrite
//! each other. Agreed versions are frozen, by this module and by a database trigger.

use crate::audit::{AuditContext, record};
use crate::db::{Db, Tx};
use crate::error::StoreError;
use crate::json::{from_json, to_json};
use crate::people::org_of;
use crate::themes::{NewVersion, insert_version};
use carethread_domain::plan::PlanContent;
use carethread_domain::plan::consent::ConsentDetails;
use carethread_domain::plan::lifecycle::{Agreement, PlanEvent, PlanStatus};
use carethread_domain::policy::Principal;
use carethread_domain::{AuditAction, PersonId, TeamId};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct PlanVersion {
    pub id: Uuid,
    pub number: i32,
    pub status: PlanStatus,
    pub content: PlanContent,
    pub agreement: Option<Agreement>,
    pub review_due: Option<NaiveDate>,
    /// Who recorded the agreement.
    pub recorded_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The optimistic lock for the draft.
    pub version: i64,
}

impl PlanVersion {
    /// In force, and its review date has passed.
    pub fn review_overdue(&self, today: NaiveDate) -> bool {
        self.status.is_in_force() && self.review_due.is_some_and(|d| d < today)
    }
}

/// All the versions of one person's plan, newest first.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub versions: Vec<PlanVersion>,
}

impl Plan {
    pub fn draft(&self) -> Option<&PlanVersion> {
        self.versions.iter().find(|v| v.status == PlanStatus::Draft)
    }
    pub fn in_force(&self) -> Option<&PlanVersion> {
        self.versions.iter().find(|v| v.status.is_in_force())
    }
    /// An agreed version that is newer than the plan in force and waiting to be made active.
    pub fn agreed_waiting(&self) -> Option<&PlanVersion> {
        let in_force = self.in_force().map_or(0, |v| v.number);
        self.versions.iter().find(|v| v.status == PlanStatus::Agreed && v.number > in_force)
    }
    /// The plan people should follow: the one in force, or else the latest agreed.
    pub fn current(&self) -> Option<&PlanVersion> {
        self.in_force().or_else(|| self.versions.iter().find(|v| v.status == PlanStatus::Agreed))
    }
    /// What an edit starts from, and the draft's lock (0 when a new draft will be started).
    pub fn working_copy(&self) -> (PlanContent, i64) {
        match (self.draft(), self.agreed_waiting().or(self.current())) {
            (Some(d), _) => (d.content.clone(), d.version),
            (None, Some(c)) => (c.content.clone(), 0),
            (None, None) => (PlanContent::default(), 0),
        }
    }
    pub fn version(&self, number: i32) -> Option<&PlanVersion> {
        self.versions.iter().find(|v| v.number == number)
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: Uuid,
    number: i32,
    status: String,
    content: String,
    agreement: Option<String>,
    review_due: Option<NaiveDate>,
    recorded_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl TryFrom<VersionRow> for PlanVersion {
    type Error = StoreError;
    fn try_from(r: VersionRow) -> Result<Self, StoreError> {
        Ok(PlanVersion {
            id: r.id,
            number: r.number,
            status: PlanStatus::from_slug(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("plan version {} has status '{}'", r.id, r.status)))?,
            content: from_json(&r.content)?,
            agreement: r.agreement.as_deref().map(from_json).transpose()?,
            review_due: r.review_due,
            recorded_by: r.recorded_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        })
    }
}

const VERSION_SELECT: &str = "SELECT v.id, v.number, v.status, v.content, v.agreement, v.review_due, \
     u.display_name AS recorded_by, v.created_at, v.updated_at, v.version \
     FROM plan_versions v LEFT JOIN users u ON u.id = v.recorded_by";

async fn load(tx: &mut Tx, person: PersonId) -> Result<Plan, StoreError> {
    let sql = format!("{VERSION_SELECT} WHERE v.person_id = $1 ORDER BY v.number DESC");
    let rows: Vec<VersionRow> =
        on_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person.as_uuid()).fetch_all(c).await)?;
    Ok(Plan { versions: rows.into_iter().map(TryInto::try_into).collect::<Result<_, _>>()? })
}

/// Every version of the person's plan (an audited read; `what` says which page showed it).
pub async fn plan(db: &Db, ctx: &AuditContext, person: PersonId, what: &str) -> Result<Plan, StoreError> {
    let mut tx = db.read().await?;
    let plan = load(&mut tx, person).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), what).await?;
    tx.commit().await?;
    Ok(plan)
}

/// Moves a version on in its lifecycle. Its version number moves too: what FHIR serves of it
/// changes, so its ETag must.
async fn set_status(tx: &mut Tx, ctx: &AuditContext, id: Uuid, status: PlanStatus) -> Result<(), StoreError> {
    exec_tx!(&mut *tx, |c| sqlx::query(
        "UPDATE plan_versions SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3"
    )
    .bind(status.slug())
    .bind(crate::now())
    .bind(id)
    .execute(c)
    .await)?;
    snapshot(tx, ctx, id).await
}

/// The record_versions type under which each state of a plan version is kept.
pub(crate) const PLAN_STATE: &str = "plan-version";

/// One state of a plan version: what it said and where it stood in its lifecycle.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PlanState {
    pub version: i64,
    pub status: PlanStatus,
    pub content: PlanContent,
    pub agreement: Option<Agreement>,
    pub review_due: Option<NaiveDate>,
    pub at: DateTime<Utc>,
}

/// Keeps the state a plan version has just reached, so every state it passes through can be
/// read again (a draft is rewritten in place; its earlier states live only here).
async fn snapshot(tx: &mut Tx, ctx: &AuditContext, id: Uuid) -> Result<(), StoreError> {
    let sql = format!("{VERSION_SELECT} WHERE v.id = $1");
    let row: VersionRow = on_tx!(&mut *tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(c).await)?;
    let v = PlanVersion::try_from(row)?;
    let state = PlanState {
        version: v.version,
        status: v.status,
        content: v.content,
        agreement: v.agreement,
        review_due: v.review_due,
        at: v.updated_at,
    };
    let (org,): (Uuid,) = on_tx!(&mut *tx, |c| sqlx::query_as("SELECT org_id FROM plan_versions WHERE id = $1")
        .bind(id)
        .fetch_one(c)
        .await)?;
    let json = to_json(&state)?;
    let new = NewVersion {
        record_type: PLAN_STATE,
        record_id: id,
        version: state.version,
        details: &json,
        removed: false,
        at: state.at,
    };
    insert_version(tx, ctx, carethread_domain::OrgId::from_uuid(org), new).await
}

/// Every state a plan version has been in, oldest first, ending with its state now (an audited
/// read). States from before Carethread kept them are not known: then only the present one is.
pub async fn version_states(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
) -> Result<Vec<PlanState>, StoreError> {
    let mut tx = db.read().await?;
    let rows: Vec<(String,)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT s.details FROM record_versions s JOIN plan_versions v ON v.id = s.record_id \
         WHERE s.record_type = $1 AND s.record_id = $2 AND v.person_id = $3 ORDER BY s.version"
    )
    .bind(PLAN_STATE)
    .bind(id)
    .bind(person.as_uuid())
    .fetch_all(c)
    .await)?;
    let mut states: Vec<PlanState> = rows.iter().map(|(d,)| from_json(d)).collect::<Result<_, _>>()?;
    let now = load(&mut tx, person).await?.versions.into_iter().find(|v| v.id == id).ok_or(StoreError::NotFound)?;
    if states.last().is_none_or(|s| s.version != now.version) {
        states.push(PlanState {
            version: now.version,
            status: now.status,
            content: now.content,
            agreement: now.agreement,
            review_due: now.review_due,
            at: now.updated_at,
        });
    }
    record(&mut tx, ctx, AuditAction::Read, Some(person), "read the history of a plan version").await?;
    tx.commit().await?;
    Ok(states)
}

/// Saves the draft. `base` is the draft lock the editor saw, or 0 when they saw no draft: then
/// a new draft is started (and the active plan goes under review). If the draft moved on since
/// the editor saw it, nothing is written and the plan as it is now comes back.
pub async fn save_draft(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    base: i64,
    content: &PlanContent,
    what: &str,
) -> Result<Result<i64, Plan>, StoreError> {
    let mut tx = db.begin().await?;
    let plan = load(&mut tx, person).await?;
    let now = crate::now();
    // Each goal's revision counts from what the plan said before this save: the draft being
    // changed, or the plan a new draft starts from.
    let mut content = content.clone();
    content.count_revisions(&plan.working_copy().0);
    let json = to_json(&content)?;
    let saved = match (plan.draft(), base) {
        (None, 0) => {
            if let Some(active) = plan.in_force().filter(|v| v.status == PlanStatus::Active) {
                let next = active.status.after(PlanEvent::Revise).map_err(StoreError::Invalid)?;
                set_status(&mut tx, ctx, active.id, next).await?;
            }
            let number = plan.versions.first().map_or(1, |v| v.number + 1);
            insert_draft(&mut tx, ctx, person, Uuid::now_v7(), number, &json, what).await?;
            1
        }
        (Some(draft), b) if draft.version == b => {
            let changed = exec_tx!(&mut tx, |c| sqlx::query(
                "UPDATE plan_versions SET content = $1, version = version + 1, updated_at = $2 \
                 WHERE id = $3 AND status = 'draft' AND version = $4"
            )
            .bind(&json)
            .bind(now)
            .bind(draft.id)
            .bind(b)
            .execute(c)
            .await)?;
            // Another save got in between the read and this write (PostgreSQL lets both read):
            // theirs stands, and this editor is shown the plan as it is now.
            if changed != 1 {
                drop(tx);
                let mut fresh = db.begin().await?;
                return Ok(Err(load(&mut fresh, person).await?));
            }
            snapshot(&mut tx, ctx, draft.id).await?;
            record(
                &mut tx,
                ctx,
                AuditAction::Update,
                Some(person),
                &format!("changed draft {} of the care plan: {what}", draft.number),
            )
            .await?;
            b + 1
        }
        _ => return Ok(Err(plan)),
    };
    index_goals(&mut tx, person, &content).await?;
    tx.commit().await?;
    Ok(Ok(saved))
}

/// Inserts a new draft version of the plan, numbered `number`.
async fn insert_draft(
    tx: &mut Tx,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    number: i32,
    json: &str,
    what: &str,
) -> Result<(), StoreError> {
    let org = org_of(tx, person).await?;
    exec_tx!(&mut *tx, |c| sqlx::query(
        "INSERT INTO plan_versions (id, org_id, person_id, number, status, content, created_by, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'draft', $5, $6, 1, $7, $7)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(number)
    .bind(json)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(crate::now())
    .execute(c)
    .await)
    // Someone else started a draft at the same moment: theirs stands, this editor is told.
    .map_err(|e| match StoreError::from(e).on_unique("a draft") {
        StoreError::Duplicate { .. } => StoreError::StaleVersion { current: 1 },
        other => other,
    })?;
    snapshot(tx, ctx, id).await?;
    record(tx, ctx, AuditAction::Create, Some(person), &format!("started draft {number} of the care plan: {what}"))
        .await
}

/// Lets each of the plan's goals be found by its id (see `person_of_goal`).
async fn index_goals(tx: &mut Tx, person: PersonId, content: &PlanContent) -> Result<(), StoreError> {
    let org = org_of(tx, person).await?;
    for goal in &content.goals {
        exec_tx!(&mut *tx, |c| sqlx::query(
            "INSERT INTO plan_goals (goal_id, org_id, person_id) VALUES ($1, $2, $3) ON CONFLICT (goal_id) DO NOTHING"
        )
        .bind(goal.id.to_string())
        .bind(org.as_uuid())
        .bind(person.as_uuid())
        .execute(c)
        .await)?;
    }
    Ok(())
}

/// The first draft of a new person's plan, with its id chosen by the caller, inside a
/// transaction the caller holds (an import).
pub(crate) async fn first_draft_in(
    tx: &mut Tx,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    content: &PlanContent,
    what: &str,
) -> Result<(), StoreError> {
    insert_draft(tx, ctx, person, id, 1, &to_json(content)?, what).await?;
    index_goals(tx, person, content).await
}

/// Records the person's agreement to the draft the agreer saw (`base` is its lock). The draft
/// becomes an agreed version, frozen from now on, with its review date set.
pub async fn agree(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    base: i64,
    agreement: &Agreement,
) -> Result<Result<i32, Plan>, StoreError> {
    let mut tx = db.begin().await?;
    let plan = load(&mut tx, person).await?;
    let Some(draft) = plan.draft().filter(|d| d.version == base) else {
        return Ok(Err(plan));
    };
    if draft.content.goals.is_empty() {
        return Err(StoreError::Invalid("A plan needs at least one goal before it can be agreed."));
    }
    let status = draft.status.after(PlanEvent::Agree).map_err(StoreError::Invalid)?;
    let due = draft.content.review_months.due_after(agreement.on);
    let changed = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE plan_versions SET status = $1, agreement = $2, agreed_on = $3, review_due = $4, recorded_by = $5, \
         version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8"
    )
    .bind(status.slug())
    .bind(to_json(agreement)?)
    .bind(agreement.on)
    .bind(due)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(crate::now())
    .bind(draft.id)
    .bind(base)
    .execute(c)
    .await)?;
    // Someone changed the draft between the read and this write: nothing is agreed.
    if changed != 1 {
        drop(tx);
        let mut fresh = db.begin().await?;
        return Ok(Err(load(&mut fresh, person).await?));
    }
    let number = draft.number;
    snapshot(&mut tx, ctx, draft.id).await?;
    record(
        &mut tx,
        ctx,
        AuditAction::Update,
        Some(person),
        &format!("recorded agreement to version {number} of the care plan"),
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(number))
}

/// Makes an agreed version the plan in force; the one it replaces is superseded.
pub async fn activate(db: &Db, ctx: &AuditContext, person: PersonId, number: i32) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let plan = load(&mut tx, person).await?;
    let target = plan.version(number).ok_or(StoreError::NotFound)?;
    let next = target.status.after(PlanEvent::Activate).map_err(StoreError::Invalid)?;
    if plan.versions.iter().any(|v| v.number > number && v.status == PlanStatus::Agreed) {
        return Err(StoreError::Invalid("A newer version has been agreed since. Make that one active instead."));
    }
    for old in plan.versions.iter().filter(|v| v.number < number) {
        if let Ok(superseded) = old.status.after(PlanEvent::Supersede) {
            set_status(&mut tx, ctx, old.id, superseded).await?;
        }
    }
    set_status(&mut tx, ctx, target.id, next).await?;
    record(&mut tx, ctx, AuditAction::Update, Some(person), &format!("made version {number} of the care plan active"))
        .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct ConsentRecord {
    pub id: Uuid,
    pub details: ConsentDetails,
    pub withdrawn: Option<(NaiveDate, String)>,
    pub recorded_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl ConsentRecord {
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.details.in_force(day, self.withdrawn.as_ref().map(|(d, _)| *d))
    }
}

#[derive(sqlx::FromRow)]
struct ConsentRow {
    id: Uuid,
    details: String,
    withdrawn_on: Option<NaiveDate>,
    withdrawn_reason: Option<String>,
    recorded_by: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ConsentRow> for ConsentRecord {
    type Error = StoreError;
    fn try_from(r: ConsentRow) -> Result<Self, StoreError> {
        Ok(ConsentRecord {
            id: r.id,
            details: from_json(&r.details)?,
            withdrawn: r.withdrawn_on.zip(r.withdrawn_reason),
            recorded_by: r.recorded_by,
            created_at: r.created_at,
        })
    }
}

const CONSENT_SELECT: &str = "SELECT s.id, s.details, s.withdrawn_on, s.withdrawn_reason, \
     u.display_name AS recorded_by, s.created_at FROM share_consents s LEFT JOIN users u ON u.id = s.recorded_by";

async fn load_consents(tx: &mut Tx, person: PersonId) -> Result<Vec<ConsentRecord>, StoreError> {
    let sql = format!("{CONSENT_SELECT} WHERE s.person_id = $1 ORDER BY s.created_at DESC, s.id");
    let rows: Vec<ConsentRow> =
        on_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(person.as_uuid()).fetch_all(c).await)?;
    rows.into_iter().map(TryInto::try_into).collect()
}

/// The person's consents to share, newest first, withdrawn ones included (an audited read).
pub async fn consents(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<Vec<ConsentRecord>, StoreError> {
    let mut tx = db.read().await?;
    let list = load_consents(&mut tx, person).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "opened the consents to share").await?;
    tx.commit().await?;
    Ok(list)
}

pub async fn add_consent(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    details: &ConsentDetails,
) -> Result<Uuid, StoreError> {
    let mut tx = db.begin().await?;
    let org = org_of(&mut tx, person).await?;
    if let Some(member) = details.with.member() {
        let found: Option<(i32,)> = on_tx!(&mut tx, |c| sqlx::query_as(
            "SELECT 1 FROM circle_members WHERE id = $1 AND person_id = $2 AND removed_at IS NULL"
        )
        .bind(member)
        .bind(person.as_uuid())
        .fetch_optional(c)
        .await)?;
        if found.is_none() {
            return Err(StoreError::Invalid("That person is not in the circle of support any more. Choose another."));
        }
    }
    let id = Uuid::now_v7();
    let now = crate::now();
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO share_consents (id, org_id, person_id, details, member_id, valid_from, valid_until, recorded_by, \
         version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(to_json(details)?)
    .bind(details.with.member())
    .bind(details.from)
    .bind(details.until)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(now)
    .execute(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::Create, Some(person), "recorded a consent to share").await?;
    tx.commit().await?;
    Ok(id)
}

/// Withdraws a consent from `on` (today, usually), with the reason. Withdrawing twice is refused.
pub async fn withdraw_consent(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    id: Uuid,
    on: NaiveDate,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = exec_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE share_consents SET withdrawn_on = $1, withdrawn_reason = $2, withdrawn_by = $3, version = version + 1, \
         updated_at = $4 WHERE id = $5 AND person_id = $6 AND withdrawn_on IS NULL"
    )
    .bind(on)
    .bind(reason)
    .bind(ctx.user_id.map(|u| u.as_uuid()))
    .bind(crate::now())
    .bind(id)
    .bind(person.as_uuid())
    .execute(c)
    .await
    })?;
    if n != 1 {
        let exists: Option<(i32,)> =
            on_tx!(&mut tx, |c| sqlx::query_as("SELECT 1 FROM share_consents WHERE id = $1 AND person_id = $2")
                .bind(id)
                .bind(person.as_uuid())
                .fetch_optional(c)
                .await)?;
        return Err(match exists {
            Some(_) => StoreError::Invalid("This consent was already withdrawn."),
            None => StoreError::NotFound,
        });
    }
    record(&mut tx, ctx, AuditAction::Update, Some(person), "withdrew a consent to share").await?;
    tx.commit().await?;
    Ok(())
}

/// One open case in the plan-quality report.
#[derive(Clone, Debug)]
pub struct QualityRow {
    pub person_id: PersonId,
    pub name: String,
    pub team_name: Option<String>,
    pub plan: Plan,
    pub consents: Vec<ConsentRecord>,
}

/// A row of another query with the person it belongs to.
#[derive(sqlx::FromRow)]
struct Owned<T> {
    owner: Uuid,
    #[sqlx(flatten)]
    row: T,
}

/// id, given, family and preferred names, team name.
type NameRow = (Uuid, String, String, Option<String>, Option<String>);

/// The plans and consents of every open case held by the organisation (or one of its teams),
/// for the plan-quality report.
pub async fn for_quality_report(
    db: &Db,
    ctx: &AuditContext,
    who: &Principal,
    team: Option<TeamId>,
) -> Result<Vec<QualityRow>, StoreError> {
    let org = who.org_id;
    let (me, my_team) = (who.user_id.as_uuid(), who.team_id.map(|t| t.as_uuid()));
    // Only the cases the asker has a working relationship with: the report names people.
    let related = crate::access::related(3, 4);
    let mut tx = db.read().await?;
    let people: Vec<NameRow> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT p.id, p.given_name, p.family_name, p.preferred_name, t.name FROM people p \
         JOIN cases c ON c.person_id = p.id LEFT JOIN teams t ON t.id = c.team_id \
         WHERE c.org_id = $1 AND c.status = 'open' AND ($2 IS NULL OR c.team_id = $2) AND {related} \
         ORDER BY p.family_name, p.given_name, p.id"
    )))
    .bind(org.as_uuid())
    .bind(team.map(|t| t.as_uuid()))
    .bind(me)
    .bind(my_team)
    .fetch_all(c)
    .await)?;
    // Every plan version and consent of those cases in two queries, not two per person.
    let scope = format!(
        "JOIN cases c ON c.person_id = x.person_id \
         WHERE c.org_id = $1 AND c.status = 'open' AND ($2 IS NULL OR c.team_id = $2) AND {related}"
    );
    let version_sql = format!(
        "{} {} ORDER BY v.person_id, v.number DESC",
        VERSION_SELECT.replacen("SELECT ", "SELECT v.person_id AS owner, ", 1),
        scope.replace("x.", "v.")
    );
    let versions: Vec<Owned<VersionRow>> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(version_sql))
        .bind(org.as_uuid())
        .bind(team.map(|t| t.as_uuid()))
        .bind(me)
        .bind(my_team)
        .fetch_all(c)
        .await)?;
    let consent_sql = format!(
        "{} {} ORDER BY s.person_id, s.created_at DESC, s.id",
        CONSENT_SELECT.replacen("SELECT ", "SELECT s.person_id AS owner, ", 1),
        scope.replace("x.", "s.")
    );
    let consents: Vec<Owned<ConsentRow>> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(consent_sql))
        .bind(org.as_uuid())
        .bind(team.map(|t| t.as_uuid()))
        .bind(me)
        .bind(my_team)
        .fetch_all(c)
        .await)?;
    let mut plans: std::collections::HashMap<Uuid, Plan> = std::collections::HashMap::new();
    for row in versions {
        plans.entry(row.owner).or_default().versions.push(row.row.try_into()?);
    }
    let mut shared: std::collections::HashMap<Uuid, Vec<ConsentRecord>> = std::collections::HashMap::new();
    for row in consents {
        shared.entry(row.owner).or_default().push(row.row.try_into()?);
    }
    let mut out = Vec::with_capacity(people.len());
    for (id, given, family, preferred, team_name) in people {
        let person = PersonId::from_uuid(id);
        out.push(QualityRow {
            person_id: person,
            name: format!("{} {family}", preferred.unwrap_or(given)),
            team_name,
            plan: plans.remove(&id).unwrap_or_default(),
            consents: shared.remove(&id).unwrap_or_default(),
        });
    }
    // The report counts every case but names only those it lists; the caller audits those
    // (audit::record_each), so here one entry says the whole report was computed.
    let detail = format!("computed the plan-quality report over {} open cases", out.len());
    record(&mut tx, ctx, AuditAction::Search, None, &detail).await?;
    tx.commit().await?;
    Ok(out)
}

/// Whose plan a plan version is, before anyone is let in to read it.
pub async fn person_of_version(db: &Db, version: Uuid) -> Result<Option<PersonId>, StoreError> {
    let row: Option<(Uuid,)> = on_pool!(db, |p| sqlx::query_as("SELECT person_id FROM plan_versions WHERE id = $1")
        .bind(version)
        .fetch_optional(p)
        .await)?;
    Ok(row.map(|(p,)| PersonId::from_uuid(p)))
}

/// Whose plan names a goal, before anyone is let in to read it. A goal keeps its id across the
/// versions of one person's plan and is never copied to another person's.
pub async fn person_of_goal(db: &Db, goal: Uuid) -> Result<Option<PersonId>, StoreError> {
    let row: Option<(Uuid,)> = on_pool!(db, |p| sqlx::query_as("SELECT person_id FROM plan_goals WHERE goal_id = $1")
        .bind(goal.to_string())
        .fetch_optional(p)
        .await)?;
    Ok(row.map(|(p,)| PersonId::from_uuid(p)))
}

/// Whose record a consent to share is in, before anyone is let in to read it.
pub async fn person_of_consent(db: &Db, consent: Uuid) -> Result<Option<PersonId>, StoreError> {
    let row: Option<(Uuid,)> = on_pool!(db, |p| sqlx::query_as("SELECT person_id FROM share_consents WHERE id = $1")
        .bind(consent)
        .fetch_optional(p)
        .await)?;
    Ok(row.map(|(p,)| PersonId::from_uuid(p)))
}
