//! People and their cases: registration, details with full version history, allocation,
//! closing and reopening, the caseload and search.

use crate::audit::{AuditContext, record};
use crate::db::{Db, Tx};
use crate::error::StoreError;
use crate::query::{Arg, Args, bind_args};
use carethread_domain::case::ReviewPlan;
use carethread_domain::policy::Principal;
use carethread_domain::search::PeopleQuery;
use carethread_domain::{AuditAction, CaseStatus, NhsNumber, OrgId, PersonDetails, PersonId, TeamId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Clone, Debug, sqlx::FromRow)]
struct PersonRow {
    id: Uuid,
    org_id: Uuid,
    nhs_number: String,
    given_name: String,
    family_name: String,
    preferred_name: Option<String>,
    pronouns: Option<String>,
    date_of_birth: NaiveDate,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    communication_needs: Option<String>,
    easy_read: bool,
    language: Option<String>,
    interpreter_needed: bool,
    version: i64,
    updated_at: DateTime<Utc>,
    case_id: Uuid,
    case_status: String,
    team_id: Option<Uuid>,
    team_name: Option<String>,
    key_worker_id: Option<Uuid>,
    key_worker_name: Option<String>,
    opened_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    close_reason: Option<String>,
    case_version: i64,
    review_every_weeks: Option<i64>,
    next_review_on: Option<NaiveDate>,
}

/// A person's record as a page shows it: their details and their case.
#[derive(Clone, Debug)]
pub struct PersonRecord {
    pub id: PersonId,
    pub org_id: OrgId,
    pub details: PersonDetails,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub case: CaseRecord,
}

#[derive(Clone, Debug)]
pub struct CaseRecord {
    pub id: Uuid,
    pub status: CaseStatus,
    pub team_id: Option<TeamId>,
    pub team_name: Option<String>,
    pub key_worker_id: Option<UserId>,
    pub key_worker_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub close_reason: Option<String>,
    pub version: i64,
    /// How often the case is reviewed and when next, once agreed.
    pub review_plan: Option<ReviewPlan>,
}

const PERSON_SELECT: &str = "SELECT p.id, p.org_id, p.nhs_number, p.given_name, p.family_name, p.preferred_name, \
     p.pronouns, p.date_of_birth, p.phone, p.email, p.address, p.communication_needs, p.easy_read, p.language, \
     p.interpreter_needed, p.version, p.updated_at, c.id AS case_id, c.status AS case_status, c.team_id, \
     t.name AS team_name, c.key_worker_id, k.display_name AS key_worker_name, c.opened_at, c.closed_at, \
     c.close_reason, c.version AS case_version, c.review_every_weeks, c.next_review_on \
     FROM people p JOIN cases c ON c.person_id = p.id LEFT JOIN teams t ON t.id = c.team_id \
     LEFT JOIN users k ON k.id = c.key_worker_id";

impl TryFrom<PersonRow> for PersonRecord {
    type Error = StoreError;
    fn try_from(r: PersonRow) -> Result<Self, StoreError> {
        let nhs_number: NhsNumber = r
            .nhs_number
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("person {} has an invalid stored NHS number", r.id)))?;
        let status = r.case_status.parse().map_err(StoreError::Corrupt)?;
        Ok(PersonRecord {
            id: PersonId::from_uuid(r.id),
            org_id: OrgId::from_uuid(r.org_id),
            details: PersonDetails {
                given_name: r.given_name,
                family_name: r.family_name,
                preferred_name: r.preferred_name,
                pronouns: r.pronouns,
                date_of_birth: r.date_of_birth,
                nhs_number,
                phone: r.phone,
                email: r.email,
                address: r.address,
                communication_needs: r.communication_needs,
                easy_read: r.easy_read,
                language: r.language,
                interpreter_needed: r.interpreter_needed,
            },
            version: r.version,
            updated_at: r.updated_at,
            case: CaseRecord {
                id: r.case_id,
                status,
                team_id: r.team_id.map(TeamId::from_uuid),
                team_name: r.team_name,
                key_worker_id: r.key_worker_id.map(UserId::from_uuid),
                key_worker_name: r.key_worker_name,
                opened_at: r.opened_at,
                closed_at: r.closed_at,
                close_reason: r.close_reason,
                version: r.case_version,
                review_plan: match (r.review_every_weeks.and_then(|w| u16::try_from(w).ok()), r.next_review_on) {
                    (Some(every_weeks), Some(next_review)) => Some(ReviewPlan { every_weeks, next_review }),
                    _ => None,
                },
            },
        })
    }
}

/// Who holds the case: checked against the organisation before anything is written.
#[derive(Clone, Copy, Debug)]
pub struct Allocation {
    pub team_id: Option<TeamId>,
    pub key_worker_id: Option<UserId>,
}

async fn check_allocation(tx: &mut Tx, org_id: OrgId, allocation: Allocation) -> Result<(), StoreError> {
    if let Some(team) = allocation.team_id {
        let found: Option<(Uuid,)> =
            on_tx!(tx, |c| sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND org_id = $2 AND active = $3")
                .bind(team.as_uuid())
                .bind(org_id.as_uuid())
                .bind(true)
                .fetch_optional(c)
                .await)?;
        if found.is_none() {
            return Err(StoreError::Invalid("Choose a team from this organisation."));
        }
    }
    if let Some(worker) = allocation.key_worker_id {
        let found: Option<(Uuid,)> = on_tx!(tx, |c| sqlx::query_as(
            "SELECT id FROM users WHERE id = $1 AND org_id = $2 AND active = $3 \
             AND role IN ('key-worker', 'clinician', 'team-manager')"
        )
        .bind(worker.as_uuid())
        .bind(org_id.as_uuid())
        .bind(true)
        .fetch_optional(c)
        .await)?;
        if found.is_none() {
            return Err(StoreError::Invalid("Choose a key worker who works in this organisation."));
        }
    }
    Ok(())
}

pub(crate) fn search_name(d: &PersonDetails) -> String {
    let mut s = format!("{} {}", d.given_name, d.family_name);
    if let Some(p) = &d.preferred_name {
        s.push(' ');
        s.push_str(p);
    }
    s.to_lowercase()
}

async fn insert_version(
    tx: &mut Tx,
    org_id: OrgId,
    person_id: PersonId,
    version: i64,
    details: &PersonDetails,
    by: Option<UserId>,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(details).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    exec_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO person_versions (id, org_id, person_id, version, details, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(org_id.as_uuid())
        .bind(person_id.as_uuid())
        .bind(version)
        .bind(json)
        .bind(by.map(|u| u.as_uuid()))
        .bind(crate::now())
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Registers a person and opens their case, held by `org_id` and allocated as given.
pub async fn register(
    db: &Db,
    ctx: &AuditContext,
    org_id: OrgId,
    details: &PersonDetails,
    allocation: Allocation,
) -> Result<PersonId, StoreError> {
    let id = PersonId::new();
    let mut tx = db.begin().await?;
    register_in(&mut tx, ctx, id, org_id, details, allocation).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`register`] inside a transaction the caller holds, with the id chosen by the caller (an
/// import names its records before it writes them).
pub(crate) async fn register_in(
    tx: &mut Tx,
    ctx: &AuditContext,
    id: PersonId,
    org_id: OrgId,
    details: &PersonDetails,
    allocation: Allocation,
) -> Result<(), StoreError> {
    let now = crate::now();
    check_allocation(tx, org_id, allocation).await?;
    let d = details;
    exec_tx!(&mut *tx, |c| sqlx::query(
        "INSERT INTO people (id, org_id, nhs_number, given_name, family_name, preferred_name, pronouns, date_of_birth, \
         phone, email, address, communication_needs, easy_read, language, interpreter_needed, search_name, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)"
    )
    .bind(id.as_uuid())
    .bind(org_id.as_uuid())
    .bind(d.nhs_number.digits())
    .bind(&d.given_name)
    .bind(&d.family_name)
    .bind(&d.preferred_name)
    .bind(&d.pronouns)
    .bind(d.date_of_birth)
    .bind(&d.phone)
    .bind(&d.email)
    .bind(&d.address)
    .bind(&d.communication_needs)
    .bind(d.easy_read)
    .bind(&d.language)
    .bind(d.interpreter_needed)
    .bind(search_name(d))
    .bind(1i64)
    .bind(now)
    .execute(c)
    .await)
    .map_err(|e| StoreError::from(e).on_unique("This NHS number"))?;
    insert_version(tx, org_id, id, 1, d, ctx.user_id).await?;
    exec_tx!(&mut *tx, |c| {
        sqlx::query(
            "INSERT INTO cases (id, org_id, person_id, team_id, key_worker_id, status, opened_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(org_id.as_uuid())
        .bind(id.as_uuid())
        .bind(allocation.team_id.map(|t| t.as_uuid()))
        .bind(allocation.key_worker_id.map(|k| k.as_uuid()))
        .bind(CaseStatus::Open.as_str())
        .bind(now)
        .bind(1i64)
        .execute(c)
        .await
    })?;
    record(tx, ctx, AuditAction::Create, Some(id), "registered the person and opened their case").await
}

/// The organisation holding a person's case, read inside a write so a new row can carry it.
pub(crate) async fn org_of(tx: &mut Tx, person: PersonId) -> Result<OrgId, StoreError> {
    let (org,): (Uuid,) = on_tx!(tx, |c| sqlx::query_as("SELECT org_id FROM people WHERE id = $1")
        .bind(person.as_uuid())
        .fetch_one(c)
        .await)?;
    Ok(OrgId::from_uuid(org))
}

/// The person's own Carethread account, if they have one: it lets them vote from their own
/// sign-in.
pub async fn account_of(db: &Db, id: PersonId) -> Result<Option<UserId>, StoreError> {
    let row: Option<(Uuid,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id FROM users WHERE person_id = $1 AND active = $2 ORDER BY created_at LIMIT 1"
    )
    .bind(id.as_uuid())
    .bind(true)
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|(u,)| UserId::from_uuid(u)))
}

async fn load(tx: &mut Tx, id: PersonId) -> Result<PersonRecord, StoreError> {
    let sql = format!("{PERSON_SELECT} WHERE p.id = $1");
    let row: PersonRow =
        on_tx!(tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_one(c).await)?;
    row.try_into()
}

/// Reads a person's record, leaving an audit entry. Call only after the policy allowed it.
pub async fn read(db: &Db, ctx: &AuditContext, id: PersonId, purpose: &str) -> Result<PersonRecord, StoreError> {
    let mut tx = db.read().await?;
    let record_ = load(&mut tx, id).await?;
    record(&mut tx, ctx, AuditAction::Read, Some(id), purpose).await?;
    tx.commit().await?;
    Ok(record_)
}

/// Records that the policy refused an access, so refusals are visible in the audit log too.
pub async fn record_denied(db: &Db, ctx: &AuditContext, id: Option<PersonId>, reason: &str) -> Result<(), StoreError> {
    crate::audit::record_alone(db, ctx, AuditAction::Denied, id, reason).await
}

/// Why an edit was refused as stale: what changed since the version the editor started from.
#[derive(Clone, Debug)]
pub struct Conflict {
    pub current: PersonRecord,
    /// (field, value when the editor opened the form, value now).
    pub changes: Vec<carethread_domain::person::FieldChange>,
    pub changed_by: Option<String>,
}

/// Saves new details if the record is still at `base_version`; otherwise writes nothing and
/// returns what changed in between, so the editor can decide with their typing intact.
pub async fn update_details(
    db: &Db,
    ctx: &AuditContext,
    id: PersonId,
    base_version: i64,
    details: &PersonDetails,
) -> Result<Result<i64, Conflict>, StoreError> {
    let mut tx = db.begin().await?;
    let current = load(&mut tx, id).await?;
    if current.version != base_version {
        let base = version_details(&mut tx, id, base_version).await?;
        let changed_by: Option<(Option<String>,)> = on_tx!(&mut tx, |c| {
            sqlx::query_as(
                "SELECT u.display_name FROM person_versions v LEFT JOIN users u ON u.id = v.changed_by \
             WHERE v.person_id = $1 AND v.version = $2",
            )
            .bind(id.as_uuid())
            .bind(current.version)
            .fetch_optional(c)
            .await
        })?;
        let changes = base.map(|b| b.differences(&current.details)).unwrap_or_default();
        record(&mut tx, ctx, AuditAction::Read, Some(id), "shown the changes that made an edit stale").await?;
        tx.commit().await?;
        return Ok(Err(Conflict { current, changes, changed_by: changed_by.and_then(|c| c.0) }));
    }
    let changed: Vec<&str> = current.details.differences(details).into_iter().map(|(label, _, _)| label).collect();
    if changed.is_empty() {
        return Ok(Ok(current.version));
    }
    let d = details;
    let version = base_version + 1;
    let n = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE people SET nhs_number = $1, given_name = $2, family_name = $3, preferred_name = $4, pronouns = $5, \
         date_of_birth = $6, phone = $7, email = $8, address = $9, communication_needs = $10, easy_read = $11, \
         language = $12, interpreter_needed = $13, search_name = $14, version = $15, updated_at = $16 \
         WHERE id = $17 AND version = $18"
    )
    .bind(d.nhs_number.digits())
    .bind(&d.given_name)
    .bind(&d.family_name)
    .bind(&d.preferred_name)
    .bind(&d.pronouns)
    .bind(d.date_of_birth)
    .bind(&d.phone)
    .bind(&d.email)
    .bind(&d.address)
    .bind(&d.communication_needs)
    .bind(d.easy_read)
    .bind(&d.language)
    .bind(d.interpreter_needed)
    .bind(search_name(d))
    .bind(version)
    .bind(crate::now())
    .bind(id.as_uuid())
    .bind(base_version)
    .execute(c)
    .await)
    .map_err(|e| StoreError::from(e).on_unique("This NHS number"))?;
    if n != 1 {
        // The version moved between our read and our write (only possible on PostgreSQL, where
        // the read takes no lock). Refuse rather than overwrite; the caller retries the check.
        return Err(StoreError::StaleVersion { current: base_version + 1 });
    }
    insert_version(&mut tx, current.org_id, id, version, d, ctx.user_id).await?;
    record(&mut tx, ctx, AuditAction::Update, Some(id), &format!("changed: {}", changed.join(", "))).await?;
    tx.commit().await?;
    Ok(Ok(version))
}

async fn version_details(tx: &mut Tx, id: PersonId, version: i64) -> Result<Option<PersonDetails>, StoreError> {
    let row: Option<(String,)> =
        on_tx!(tx, |c| sqlx::query_as("SELECT details FROM person_versions WHERE person_id = $1 AND version = $2")
            .bind(id.as_uuid())
            .bind(version)
            .fetch_optional(c)
            .await)?;
    row.map(|(json,)| serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))).transpose()
}

/// One entry of a person's details history.
#[derive(Clone, Debug)]
pub struct DetailsVersion {
    pub version: i64,
    pub changed_at: DateTime<Utc>,
    pub changed_by: Option<String>,
    pub details: PersonDetails,
}

/// Every version of a person's details, newest first (an audited read).
pub async fn history(db: &Db, ctx: &AuditContext, id: PersonId) -> Result<Vec<DetailsVersion>, StoreError> {
    let mut tx = db.read().await?;
    let rows: Vec<(i64, DateTime<Utc>, Option<String>, String)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT v.version, v.changed_at, u.display_name, v.details FROM person_versions v \
         LEFT JOIN users u ON u.id = v.changed_by WHERE v.person_id = $1 ORDER BY v.version DESC"
    )
    .bind(id.as_uuid())
    .fetch_all(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(id), "viewed the history of the person's details").await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|(version, changed_at, changed_by, json)| {
            let details = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(DetailsVersion { version, changed_at, changed_by, details })
        })
        .collect()
}

/// A change to a case: its status or its allocation.
pub enum CaseChange<'a> {
    Close { reason: &'a str },
    Reopen,
    Allocate(Allocation),
    SetReviewPlan(ReviewPlan),
}

/// Applies `change` if the case is still at `base_version`. A stale change writes nothing and
/// returns the case as it is now.
pub async fn change_case(
    db: &Db,
    ctx: &AuditContext,
    id: PersonId,
    base_version: i64,
    change: CaseChange<'_>,
) -> Result<Result<i64, PersonRecord>, StoreError> {
    let mut tx = db.begin().await?;
    let current = load(&mut tx, id).await?;
    if current.case.version != base_version {
        return Ok(Err(current));
    }
    let now = crate::now();
    let version = base_version + 1;
    let case_id = current.case.id;
    let (result, action, detail) = match change {
        CaseChange::Close { reason } => {
            if current.case.status == CaseStatus::Closed {
                return Err(StoreError::Invalid("This case is already closed."));
            }
            let result = exec_tx!(&mut tx, |c| {
                sqlx::query(
                "UPDATE cases SET status = 'closed', closed_at = $1, close_reason = $2, version = $3, updated_at = $1 \
                 WHERE id = $4 AND version = $5"
            )
            .bind(now)
            .bind(reason)
            .bind(version)
            .bind(case_id)
            .bind(base_version)
            .execute(c)
            .await
            })?;
            (result, AuditAction::CloseCase, format!("closed the case: {reason}"))
        }
        CaseChange::Reopen => {
            if current.case.status == CaseStatus::Open {
                return Err(StoreError::Invalid("This case is already open."));
            }
            let result = exec_tx!(&mut tx, |c| {
                sqlx::query(
                "UPDATE cases SET status = 'open', closed_at = NULL, close_reason = NULL, version = $1, updated_at = $2 \
                 WHERE id = $3 AND version = $4"
            )
            .bind(version)
            .bind(now)
            .bind(case_id)
            .bind(base_version)
            .execute(c)
            .await
            })?;
            (result, AuditAction::ReopenCase, "reopened the case".to_string())
        }
        CaseChange::Allocate(allocation) => {
            check_allocation(&mut tx, current.org_id, allocation).await?;
            let result = exec_tx!(&mut tx, |c| {
                sqlx::query(
                    "UPDATE cases SET team_id = $1, key_worker_id = $2, version = $3, updated_at = $4 \
                 WHERE id = $5 AND version = $6",
                )
                .bind(allocation.team_id.map(|t| t.as_uuid()))
                .bind(allocation.key_worker_id.map(|k| k.as_uuid()))
                .bind(version)
                .bind(now)
                .bind(case_id)
                .bind(base_version)
                .execute(c)
                .await
            })?;
            (result, AuditAction::Update, "changed who the case is allocated to".to_string())
        }
        CaseChange::SetReviewPlan(plan) => {
            let result = exec_tx!(&mut tx, |c| {
                sqlx::query(
                    "UPDATE cases SET review_every_weeks = $1, next_review_on = $2, version = $3, updated_at = $4 \
                     WHERE id = $5 AND version = $6",
                )
                .bind(i64::from(plan.every_weeks))
                .bind(plan.next_review)
                .bind(version)
                .bind(now)
                .bind(case_id)
                .bind(base_version)
                .execute(c)
                .await
            })?;
            let detail = format!("agreed reviews {}, next on {}", plan.frequency(), plan.next_review);
            (result, AuditAction::Update, detail)
        }
    };
    if result != 1 {
        return Err(StoreError::StaleVersion { current: version });
    }
    record(&mut tx, ctx, action, Some(id), &detail).await?;
    tx.commit().await?;
    Ok(Ok(version))
}

/// One line of a caseload or of search results.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PersonSummary {
    pub id: Uuid,
    pub nhs_number: String,
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub date_of_birth: NaiveDate,
    pub status: String,
    pub team_name: Option<String>,
    pub key_worker_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// When the care plan in force is due for review; `None` when no plan is in force.
    pub plan_review_due: Option<NaiveDate>,
}

impl PersonSummary {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.preferred_name.as_deref().unwrap_or(&self.given_name), self.family_name)
    }
    pub fn nhs_number_display(&self) -> String {
        self.nhs_number.parse::<NhsNumber>().map(|n| n.to_string()).unwrap_or_else(|_| self.nhs_number.clone())
    }
}

const SUMMARY_SELECT: &str = "SELECT p.id, p.nhs_number, p.given_name, p.family_name, p.preferred_name, p.date_of_birth, \
     c.status, t.name AS team_name, k.display_name AS key_worker_name, c.opened_at, \
     (SELECT v.review_due FROM plan_versions v WHERE v.person_id = p.id AND v.status IN ('active', 'under-review')) \
     AS plan_review_due \
     FROM people p JOIN cases c ON c.person_id = p.id LEFT JOIN teams t ON t.id = c.team_id \
     LEFT JOIN users k ON k.id = c.key_worker_id";

/// The people allocated to a key worker (open cases first), as an audited list.
pub async fn caseload(
    db: &Db,
    ctx: &AuditContext,
    key_worker: UserId,
    include_closed: bool,
) -> Result<Vec<PersonSummary>, StoreError> {
    let sql = format!(
        "{SUMMARY_SELECT} WHERE c.key_worker_id = $1 AND ($2 OR c.status = 'open') \
         ORDER BY c.status DESC, p.family_name, p.given_name LIMIT 500"
    );
    let mut tx = db.read().await?;
    let rows: Vec<PersonSummary> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(key_worker.as_uuid())
        .bind(include_closed)
        .fetch_all(c)
        .await)?;
    record(&mut tx, ctx, AuditAction::Search, None, &format!("viewed own caseload ({} people)", rows.len())).await?;
    tx.commit().await?;
    Ok(rows)
}

pub const SEARCH_LIMIT: i64 = 50;

/// Finds people whose case the asker's organisation holds and who the asker has a working
/// relationship with (the rows the policy would let them open). Someone outside those is found
/// only by asking for emergency access. The search and how many it returned are audited.
pub async fn search(
    db: &Db,
    ctx: &AuditContext,
    who: &Principal,
    query: &PeopleQuery,
) -> Result<Vec<PersonSummary>, StoreError> {
    let org_id = who.org_id;
    let (user, team) = (who.user_id.as_uuid(), who.team_id.map(|t| t.as_uuid()));
    let related = crate::access::related(4, 5);
    let mut tx = db.read().await?;
    let limit = SEARCH_LIMIT + 1;
    let rows: Vec<PersonSummary> = match query {
        PeopleQuery::NhsNumber(n) => {
            let sql = format!("{SUMMARY_SELECT} WHERE p.org_id = $1 AND p.nhs_number = $2 AND {related} LIMIT $3");
            on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(org_id.as_uuid())
                .bind(n.digits())
                .bind(limit)
                .bind(user)
                .bind(team)
                .fetch_all(c)
                .await)?
        }
        PeopleQuery::DateOfBirth(d) => {
            let sql = format!(
                "{SUMMARY_SELECT} WHERE p.org_id = $1 AND p.date_of_birth = $2 AND {related} \
                 ORDER BY p.family_name LIMIT $3"
            );
            on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(org_id.as_uuid())
                .bind(*d)
                .bind(limit)
                .bind(user)
                .bind(team)
                .fetch_all(c)
                .await)?
        }
        PeopleQuery::Name(name) => {
            let pattern = format!("%{}%", name.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let sql = format!(
                "{SUMMARY_SELECT} WHERE p.org_id = $1 AND p.search_name LIKE $2 ESCAPE '\\' AND {related} \
                 ORDER BY p.family_name, p.given_name LIMIT $3"
            );
            on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(org_id.as_uuid())
                .bind(pattern)
                .bind(limit)
                .bind(user)
                .bind(team)
                .fetch_all(c)
                .await)?
        }
    };
    let kind = match query {
        PeopleQuery::NhsNumber(_) => "NHS number",
        PeopleQuery::DateOfBirth(_) => "date of birth",
        PeopleQuery::Name(_) => "name",
    };
    record(&mut tx, ctx, AuditAction::Search, None, &format!("searched people by {kind} ({} found)", rows.len()))
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// The id of the person with this NHS number in an organisation, for linking an account or
/// filtering the audit log. Reveals no details, so it is not an audited read.
pub async fn id_by_nhs_number(db: &Db, org_id: OrgId, nhs: &NhsNumber) -> Result<Option<PersonId>, StoreError> {
    let row: Option<(Uuid,)> =
        on_pool!(db, |p| sqlx::query_as("SELECT id FROM people WHERE org_id = $1 AND nhs_number = $2")
            .bind(org_id.as_uuid())
            .bind(nhs.digits())
            .fetch_optional(p)
            .await)?;
    Ok(row.map(|(id,)| PersonId::from_uuid(id)))
}

/// What an API search for people asks for; every part is optional and all must hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub ids: Option<Vec<PersonId>>,
    pub nhs_number: Option<NhsNumber>,
    /// Lower-case part of a first, last or preferred name.
    pub name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    /// Details changed at or after each of these...
    pub updated_from: Vec<DateTime<Utc>>,
    /// ...and before each of these.
    pub updated_until: Vec<DateTime<Utc>>,
    /// Order by last change (true: newest first); otherwise by name.
    pub newest_first: Option<bool>,
}

/// The people matching `filter` that the asker has a working relationship with (the rows the
/// policy lets them read), one page of them, and how many match in all. Every person returned
/// is recorded as read; the search itself is recorded too.
pub async fn find(
    db: &Db,
    ctx: &AuditContext,
    who: &Principal,
    filter: &Filter,
    limit: usize,
    offset: usize,
) -> Result<(Vec<PersonRecord>, usize), StoreError> {
    let mut args = Args(vec![
        Arg::Uuid(who.org_id.as_uuid()),
        Arg::Uuid(who.user_id.as_uuid()),
        Arg::OptUuid(who.team_id.map(|t| t.as_uuid())),
    ]);
    let mut clauses = vec!["p.org_id = $1".to_string(), crate::access::related(2, 3)];
    if let Some(ids) = &filter.ids {
        if ids.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let list: Vec<String> = ids.iter().map(|id| args.add(Arg::Uuid(id.as_uuid()))).collect();
        clauses.push(format!("p.id IN ({})", list.join(", ")));
    }
    if let Some(n) = &filter.nhs_number {
        clauses.push(format!("p.nhs_number = {}", args.add(Arg::Text(n.digits()))));
    }
    if let Some(name) = &filter.name {
        let pattern = format!("%{}%", name.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        clauses.push(format!("p.search_name LIKE {} ESCAPE '\\'", args.add(Arg::Text(pattern))));
    }
    if let Some(d) = filter.date_of_birth {
        clauses.push(format!("p.date_of_birth = {}", args.add(Arg::Date(d))));
    }
    for t in &filter.updated_from {
        clauses.push(format!("p.updated_at >= {}", args.add(Arg::Time(*t))));
    }
    for t in &filter.updated_until {
        clauses.push(format!("p.updated_at < {}", args.add(Arg::Time(*t))));
    }
    let from_where = format!("FROM people p JOIN cases c ON c.person_id = p.id WHERE {}", clauses.join(" AND "));
    let order = match filter.newest_first {
        Some(true) => "p.updated_at DESC, p.id",
        Some(false) => "p.updated_at, p.id",
        None => "p.family_name, p.given_name, p.id",
    };
    let count_sql = format!("SELECT COUNT(*) {from_where}");
    let limit_at = args.add(Arg::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    let offset_at = args.add(Arg::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
    let page_sql = format!("SELECT p.id {from_where} ORDER BY {order} LIMIT {limit_at} OFFSET {offset_at}");
    let count_args = args.0.len() - 2;
    let mut tx = db.read().await?;
    let (total,): (i64,) =
        on_tx!(&mut tx, |c| bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(count_sql.clone())), &args.0[..count_args])
            .fetch_one(c)
            .await)?;
    let ids: Vec<(Uuid,)> = if limit == 0 {
        Vec::new()
    } else {
        on_tx!(&mut tx, |c| bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(page_sql.clone())), &args.0)
            .fetch_all(c)
            .await)?
    };
    // The page's records in one query (not one per person), put back in the page's order.
    let mut records = Vec::with_capacity(ids.len());
    if !ids.is_empty() {
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("{PERSON_SELECT} WHERE p.id IN ({})", placeholders.join(", "));
        let rows: Vec<PersonRow> = on_tx!(&mut tx, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
            for (id,) in &ids {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        let mut by_id: std::collections::HashMap<Uuid, PersonRecord> = std::collections::HashMap::new();
        for row in rows {
            let r = PersonRecord::try_from(row)?;
            by_id.insert(r.id.as_uuid(), r);
        }
        records.extend(ids.iter().filter_map(|(id,)| by_id.remove(id)));
    }
    record(&mut tx, ctx, AuditAction::Search, None, &format!("searched people through the API ({total} found)"))
        .await?;
    for r in &records {
        record(&mut tx, ctx, AuditAction::Read, Some(r.id), "read through an API search").await?;
    }
    tx.commit().await?;
    Ok((records, usize::try_from(total).unwrap_or_default()))
}
