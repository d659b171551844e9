//! Loading many cases at once, for the synthetic population that benchmarks and load tests run
//! on (`carethread generate`).
//!
//! The one-record functions in [`crate::people`] and [`crate::themes`] write a record, its first
//! version and its audit entry in a transaction of their own: right for a person typing, far too
//! slow for a hundred thousand cases. This module writes the same rows, many per statement and
//! many cases per transaction. The rows must stay exactly what those functions write; the
//! `generated_cases_read_back_through_the_ordinary_functions` test checks it by reading every
//! generated record back through them.

use crate::audit::AuditContext;
use crate::audit_chain::ChainedEntry;
use crate::db::TxConn;
use crate::error::StoreError;
use crate::json::to_json;
use crate::plans::{PLAN_STATE, PlanState};
use crate::query::insert_sql;
use crate::tasks::owner_columns;
use crate::themes::{ENTRY, MEMBER, PROBLEM, step_status};
use crate::{Db, Tx};
use carethread_domain::circle::MemberDetails;
use carethread_domain::plan::PlanContent;
use carethread_domain::plan::lifecycle::{Agreement, PlanStatus};
use carethread_domain::population::HealthSnapshot;
use carethread_domain::problems::ProblemDetails;
use carethread_domain::reviews::{Attendance, AttendeeDetails, Minutes, ReviewDetails, Vote};
use carethread_domain::tasks::TaskDetails;
use carethread_domain::themes::{EntryDetails, Theme};
use carethread_domain::{AuditAction, CaseStatus, OrgId, PersonDetails, TeamId, UserId};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use uuid::Uuid;

/// One person from the population register: who they are and their health figures. Most
/// people in a population have no case; those who do are loaded as a [`CaseToLoad`] as well.
#[derive(Clone, Debug)]
pub struct PersonToLoad {
    pub id: Uuid,
    pub details: PersonDetails,
    pub health: HealthSnapshot,
    pub registered_at: DateTime<Utc>,
}

/// One case to load for a person loaded in the same call or before: who holds it and what its
/// themes, plan, reviews and tasks hold. Ids are given by the caller so that a seeded generator
/// produces the same database every time.
#[derive(Clone, Debug)]
pub struct CaseToLoad {
    pub person_id: Uuid,
    pub case_id: Uuid,
    pub team_id: Option<TeamId>,
    pub key_worker_id: Option<UserId>,
    pub opened_at: DateTime<Utc>,
    pub members: Vec<(Uuid, MemberDetails)>,
    pub entries: Vec<(Uuid, Theme, EntryDetails)>,
    pub problems: Vec<(Uuid, ProblemDetails)>,
    /// The plan's versions, oldest first.
    pub plan: Vec<PlanVersionToLoad>,
    /// Oldest first; only the last may still be open.
    pub reviews: Vec<ReviewToLoad>,
    pub tasks: Vec<(Uuid, TaskDetails)>,
    /// How often the case is reviewed, in weeks, and when next.
    pub review_plan: Option<(u16, NaiveDate)>,
}

#[derive(Clone, Debug)]
pub struct PlanVersionToLoad {
    pub id: Uuid,
    pub number: i32,
    pub status: PlanStatus,
    pub content: PlanContent,
    /// Present exactly when the status is not draft (the table's rule).
    pub agreement: Option<Agreement>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct ReviewToLoad {
    pub id: Uuid,
    pub details: ReviewDetails,
    pub minutes: Minutes,
    pub attendees: Vec<AttendeeToLoad>,
    /// (vote id, attendee id, theme, vote).
    pub votes: Vec<(Uuid, Uuid, Theme, Vote)>,
    /// When it was signed off; `None` for a review still open.
    pub signed_off_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct AttendeeToLoad {
    pub id: Uuid,
    pub details: AttendeeDetails,
    pub member_id: Option<Uuid>,
    pub attendance: Attendance,
}

/// A value in a row to insert. Binding goes through this so one loop serves every table.
#[derive(Clone, Debug)]
enum Value {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    DateTime(NaiveDateTime),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
}

/// Rows for one table, flattened.
struct Rows {
    table: &'static str,
    columns: &'static [&'static str],
    values: Vec<Value>,
}

impl Rows {
    fn new(table: &'static str, columns: &'static [&'static str]) -> Self {
        Rows { table, columns, values: Vec::new() }
    }

    fn push(&mut self, row: impl IntoIterator<Item = Value>) {
        let before = self.values.len();
        self.values.extend(row);
        debug_assert_eq!(
            self.values.len() - before,
            self.columns.len(),
            "a row for {} has the wrong width",
            self.table
        );
    }

    /// Writes the rows in statements of at most `MAX_PARAMS` parameters: below SQLite's limit
    /// of 32,766 and PostgreSQL's of 65,535.
    /// The values are moved into the statements, not copied: text is most of what is written.
    async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
        const MAX_PARAMS: usize = 30_000;
        let width = self.columns.len();
        let per_statement = (MAX_PARAMS / width).max(1) * width;
        let mut values = self.values.into_iter().peekable();
        while values.peek().is_some() {
            let chunk: Vec<Value> = values.by_ref().take(per_statement).collect();
            let sql = insert_sql(self.table, self.columns, chunk.len() / width, tx.backend());
            exec_tx!(&mut *tx, |c| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for v in chunk {
                    q = match v {
                        Value::Uuid(u) => q.bind(u),
                        Value::OptUuid(u) => q.bind(u),
                        Value::Text(s) => q.bind(s),
                        Value::OptText(s) => q.bind(s),
                        Value::Int(i) => q.bind(i),
                        Value::OptInt(i) => q.bind(i),
                        Value::Bool(b) => q.bind(b),
                        Value::Date(d) => q.bind(d),
                        Value::OptDate(d) => q.bind(d),
                        Value::DateTime(d) => q.bind(d),
                        Value::Time(t) => q.bind(t),
                        Value::OptTime(t) => q.bind(t),
                    };
                }
                q.execute(c).await
            })?;
        }
        Ok(())
    }
}

const PEOPLE: &[&str] = &[
    "id",
    "org_id",
    "nhs_number",
    "given_name",
    "family_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "phone",
    "email",
    "address",
    "communication_needs",
    "easy_read",
    "language",
    "interpreter_needed",
    "search_name",
    "version",
    "created_at",
    "updated_at",
];
const PERSON_VERSIONS: &[&str] = &["id", "org_id", "person_id", "version", "details", "changed_by", "changed_at"];
const CASES: &[&str] = &[
    "id",
    "org_id",
    "person_id",
    "team_id",
    "key_worker_id",
    "status",
    "opened_at",
    "version",
    "updated_at",
    "review_every_weeks",
    "next_review_on",
];
const HEALTH: &[&str] = &[
    "person_id",
    "org_id",
    "conditions",
    "condition_count",
    "frailty_index",
    "activation_level",
    "admissions",
    "emergency_visits",
    "recorded_on",
];
const MEMBERS: &[&str] = &[
    "id",
    "org_id",
    "person_id",
    "source",
    "involvement",
    "details",
    "account_id",
    "author_id",
    "version",
    "created_at",
    "updated_at",
];
const ENTRIES: &[&str] = &[
    "id",
    "org_id",
    "person_id",
    "theme",
    "kind",
    "status",
    "withheld",
    "details",
    "author_id",
    "version",
    "created_at",
    "updated_at",
];
const PROBLEMS: &[&str] = &["id", "org_id", "person_id", "details", "version", "created_at", "updated_at"];
const PLAN_VERSIONS: &[&str] = &[
    "id",
    "org_id",
    "person_id",
    "number",
    "status",
    "content",
    "agreement",
    "agreed_on",
    "review_due",
    "recorded_by",
    "created_by",
    "version",
    "created_at",
    "updated_at",
];
const PLAN_GOALS: &[&str] = &["goal_id", "org_id", "person_id"];
const REVIEWS: &[&str] = &[
    "id",
    "org_id",
    "person_id",
    "kind",
    "scheduled_for",
    "details",
    "minutes",
    "status",
    "version",
    "created_by",
    "created_at",
    "updated_at",
    "signed_off_at",
    "signed_off_by",
];
const ATTENDEES: &[&str] =
    &["id", "org_id", "review_id", "name", "role", "is_person", "member_id", "account_id", "attendance", "created_at"];
const TASKS: &[&str] = &[
    "id",
    "org_id",
    "person_id",
    "title",
    "theme",
    "due_on",
    "status",
    "blocked_reason",
    "owner_kind",
    "owner_member_id",
    "owner_user_id",
    "owner_team_id",
    "review_id",
    "created_by",
    "version",
    "created_at",
    "updated_at",
];
const VERSIONS: &[&str] =
    &["id", "org_id", "record_type", "record_id", "version", "details", "removed", "changed_by", "changed_at"];
/// Everything one call writes, table by table, parents before children (for the foreign keys).
struct Batch {
    org_id: Uuid,
    author: Option<Uuid>,
    people: Rows,
    person_versions: Rows,
    health: Rows,
    cases: Rows,
    members: Rows,
    entries: Rows,
    problems: Rows,
    plan_versions: Rows,
    plan_goals: Rows,
    reviews: Rows,
    attendees: Rows,
    votes: Rows,
    tasks: Rows,
    versions: Rows,
    audit: Vec<ChainedEntry>,
    people_count: usize,
}

/// Record ids the loader makes for rows the caller does not name (first versions, audit
/// entries) are derived from the caller's ids, so that they too are the same every time.
fn derived(id: Uuid, salt: u128) -> Uuid {
    Uuid::from_u128(id.as_u128() ^ salt)
}

impl Batch {
    fn new(org: OrgId, ctx: &AuditContext) -> Self {
        Batch {
            org_id: org.as_uuid(),
            author: ctx.user_id.map(|u| u.as_uuid()),
            people: Rows::new("people", PEOPLE),
            person_versions: Rows::new("person_versions", PERSON_VERSIONS),
            health: Rows::new("population_health", HEALTH),
            cases: Rows::new("cases", CASES),
            members: Rows::new("circle_members", MEMBERS),
            entries: Rows::new("theme_entries", ENTRIES),
            problems: Rows::new("problem_areas", PROBLEMS),
            plan_versions: Rows::new("plan_versions", PLAN_VERSIONS),
            plan_goals: Rows::new("plan_goals", PLAN_GOALS),
            reviews: Rows::new("reviews", REVIEWS),
            attendees: Rows::new("review_attendees", ATTENDEES),
            votes: Rows::new("review_votes", crate::reviews::VOTE_COLUMNS),
            tasks: Rows::new("tasks", TASKS),
            versions: Rows::new("record_versions", VERSIONS),
            audit: Vec::new(),
            people_count: 0,
        }
    }

    fn audit(&mut self, ctx: &AuditContext, id: Uuid, at: DateTime<Utc>, person: Uuid, detail: String) {
        self.audit.push(ChainedEntry {
            id,
            org_id: Some(self.org_id),
            at,
            user_id: self.author,
            username: ctx.username.clone(),
            role: ctx.role.clone(),
            action: AuditAction::Create.as_str().into(),
            person_id: Some(person),
            detail,
            ip: ctx.ip.clone(),
            request_id: ctx.request_id.clone(),
        });
    }

    fn version(&mut self, record_type: &'static str, id: Uuid, version: i64, json: String, at: DateTime<Utc>) {
        self.versions.push([
            Value::Uuid(derived(id, 1)),
            Value::Uuid(self.org_id),
            Value::Text(record_type.into()),
            Value::Uuid(id),
            Value::Int(version),
            Value::Text(json),
            Value::Bool(false),
            Value::OptUuid(self.author),
            Value::Time(at),
        ]);
    }

    fn person(&mut self, ctx: &AuditContext, p: &PersonToLoad) -> Result<(), StoreError> {
        let (org_id, at, d, h) = (self.org_id, p.registered_at, &p.details, &p.health);
        self.people.push([
            Value::Uuid(p.id),
            Value::Uuid(org_id),
            Value::Text(d.nhs_number.digits().to_string()),
            Value::Text(d.given_name.clone()),
            Value::Text(d.family_name.clone()),
            Value::OptText(d.preferred_name.clone()),
            Value::OptText(d.pronouns.clone()),
            Value::Date(d.date_of_birth),
            Value::OptText(d.phone.clone()),
            Value::OptText(d.email.clone()),
            Value::OptText(d.address.clone()),
            Value::OptText(d.communication_needs.clone()),
            Value::Bool(d.easy_read),
            Value::OptText(d.language.clone()),
            Value::Bool(d.interpreter_needed),
            Value::Text(crate::people::search_name(d)),
            Value::Int(1),
            Value::Time(at),
            Value::Time(at),
        ]);
        self.person_versions.push([
            Value::Uuid(derived(p.id, 1)),
            Value::Uuid(org_id),
            Value::Uuid(p.id),
            Value::Int(1),
            Value::Text(to_json(d)?),
            Value::OptUuid(self.author),
            Value::Time(at),
        ]);
        self.health.push([
            Value::Uuid(p.id),
            Value::Uuid(org_id),
            Value::Text(h.conditions_text()),
            Value::Int(h.conditions.len() as i64),
            Value::Int(i64::from(h.frailty.hundredths())),
            Value::Int(i64::from(h.activation.level())),
            Value::Int(i64::from(h.admissions)),
            Value::Int(i64::from(h.emergency_visits)),
            Value::Date(h.recorded_on),
        ]);
        self.audit(ctx, derived(p.id, 2), at, p.id, "registered the person from the population register".into());
        self.people_count += 1;
        Ok(())
    }

    fn case(&mut self, ctx: &AuditContext, case: &CaseToLoad) -> Result<(), StoreError> {
        let (org_id, author, at, person) = (self.org_id, self.author, case.opened_at, case.person_id);
        self.cases.push([
            Value::Uuid(case.case_id),
            Value::Uuid(org_id),
            Value::Uuid(person),
            Value::OptUuid(case.team_id.map(|t| t.as_uuid())),
            Value::OptUuid(case.key_worker_id.map(|k| k.as_uuid())),
            Value::Text(CaseStatus::Open.as_str().into()),
            Value::Time(at),
            Value::Int(1),
            Value::Time(at),
            Value::OptInt(case.review_plan.map(|(weeks, _)| i64::from(weeks))),
            Value::OptDate(case.review_plan.map(|(_, next)| next)),
        ]);
        for (id, m) in &case.members {
            let json = to_json(m)?;
            self.members.push([
                Value::Uuid(*id),
                Value::Uuid(org_id),
                Value::Uuid(person),
                Value::Text(m.source.slug().into()),
                Value::Text(m.involvement.slug().into()),
                Value::Text(json.clone()),
                Value::OptUuid(None),
                Value::OptUuid(author),
                Value::Int(1),
                Value::Time(at),
                Value::Time(at),
            ]);
            self.version(MEMBER, *id, 1, json, at);
        }
        for (id, theme, e) in &case.entries {
            let json = to_json(e)?;
            self.entries.push([
                Value::Uuid(*id),
                Value::Uuid(org_id),
                Value::Uuid(person),
                Value::Text(theme.slug().into()),
                Value::Text(e.kind.slug().into()),
                Value::OptText(step_status(e).map(Into::into)),
                Value::Bool(e.withheld.is_some()),
                Value::Text(json.clone()),
                Value::OptUuid(author),
                Value::Int(1),
                Value::Time(at),
                Value::Time(at),
            ]);
            self.version(ENTRY, *id, 1, json, at);
        }
        for (id, p) in &case.problems {
            let json = to_json(p)?;
            self.problems.push([
                Value::Uuid(*id),
                Value::Uuid(org_id),
                Value::Uuid(person),
                Value::Text(json.clone()),
                Value::Int(1),
                Value::Time(at),
                Value::Time(at),
            ]);
            self.version(PROBLEM, *id, 1, json, at);
        }
        let mut goals = std::collections::BTreeSet::new();
        for v in &case.plan {
            let review_due = v.agreement.as_ref().map(|a| v.content.review_months.due_after(a.on));
            self.plan_versions.push([
                Value::Uuid(v.id),
                Value::Uuid(org_id),
                Value::Uuid(person),
                Value::Int(i64::from(v.number)),
                Value::Text(v.status.slug().into()),
                Value::Text(to_json(&v.content)?),
                Value::OptText(v.agreement.as_ref().map(to_json).transpose()?),
                Value::OptDate(v.agreement.as_ref().map(|a| a.on)),
                Value::OptDate(review_due),
                Value::OptUuid(v.agreement.as_ref().and(author)),
                Value::OptUuid(author),
                Value::Int(1),
                Value::Time(v.at),
                Value::Time(v.at),
            ]);
            let state = PlanState {
                version: 1,
                status: v.status,
                content: v.content.clone(),
                agreement: v.agreement.clone(),
                review_due,
                at: v.at,
            };
            self.version(PLAN_STATE, v.id, 1, to_json(&state)?, v.at);
            goals.extend(v.content.goals.iter().map(|g| g.id));
        }
        for goal in goals {
            self.plan_goals.push([Value::Text(goal.to_string()), Value::Uuid(org_id), Value::Uuid(person)]);
        }
        for r in &case.reviews {
            let created = r.details.at.and_utc() - chrono::Duration::days(14);
            let status = if r.signed_off_at.is_some() { "signed-off" } else { "scheduled" };
            self.reviews.push([
                Value::Uuid(r.id),
                Value::Uuid(org_id),
                Value::Uuid(person),
                Value::Text(r.details.kind.slug().into()),
                Value::DateTime(r.details.at),
                Value::Text(to_json(&r.details)?),
                Value::Text(to_json(&r.minutes)?),
                Value::Text(status.into()),
                Value::Int(if r.signed_off_at.is_some() { 2 } else { 1 }),
                Value::OptUuid(author),
                Value::Time(created),
                Value::Time(r.signed_off_at.unwrap_or(created)),
                Value::OptTime(r.signed_off_at),
                Value::OptUuid(r.signed_off_at.and(author)),
            ]);
            for a in &r.attendees {
                self.attendees.push([
                    Value::Uuid(a.id),
                    Value::Uuid(org_id),
                    Value::Uuid(r.id),
                    Value::Text(a.details.name.clone()),
                    Value::Text(a.details.role.clone()),
                    Value::Bool(a.details.is_person),
                    Value::OptUuid(a.member_id),
                    Value::OptUuid(None),
                    Value::Text(a.attendance.slug().into()),
                    Value::Time(created),
                ]);
            }
            for (id, attendee, theme, vote) in &r.votes {
                self.votes.push([
                    Value::Uuid(*id),
                    Value::Uuid(org_id),
                    Value::Uuid(r.id),
                    Value::Uuid(*attendee),
                    Value::Uuid(person),
                    Value::Text(theme.slug().into()),
                    Value::Text(vote.slug().into()),
                    Value::OptText(None),
                    Value::OptUuid(author),
                    Value::Time(r.details.at.and_utc()),
                ]);
            }
        }
        for (id, t) in &case.tasks {
            let (member, user, team) = owner_columns(t.owner);
            self.tasks.push([
                Value::Uuid(*id),
                Value::Uuid(org_id),
                Value::Uuid(person),
                Value::Text(t.title.clone()),
                Value::OptText(t.theme.map(|th| th.slug().into())),
                Value::Date(t.due),
                Value::Text(t.status.slug().into()),
                Value::OptText(t.status.blocked_reason().map(Into::into)),
                Value::Text(t.owner.kind().into()),
                Value::OptUuid(member),
                Value::OptUuid(user),
                Value::OptUuid(team),
                Value::OptUuid(None),
                Value::OptUuid(author),
                Value::Int(1),
                Value::Time(at),
                Value::Time(at),
            ]);
        }
        let detail = format!(
            "opened the case, with {} circle members, {} theme entries, {} problem areas, {} plan versions, {} reviews and {} tasks",
            case.members.len(),
            case.entries.len(),
            case.problems.len(),
            case.plan.len(),
            case.reviews.len(),
            case.tasks.len()
        );
        self.audit(ctx, derived(case.case_id, 2), at, person, detail);
        Ok(())
    }
}

/// Writes `people` and `cases` into organisation `org` in one transaction, as written by `ctx`
/// (whose account, if any, is recorded as author). Each record gets its first version and each
/// person and case one audit entry, as registering and adding them one by one would have left.
pub async fn load(
    db: &Db,
    ctx: &AuditContext,
    org: OrgId,
    people: &[PersonToLoad],
    cases: &[CaseToLoad],
) -> Result<(), StoreError> {
    write(db, prepare(ctx, org, people, cases)?).await
}

/// The rows of one load, ready to write: [`load`] in two halves, so that a loader can prepare
/// the next batch (CPU work, no IO) on another core while this one is written.
pub struct Prepared(Batch);

impl Prepared {
    /// How many people it registers.
    pub fn people(&self) -> usize {
        self.0.people_count
    }
}

pub fn prepare(
    ctx: &AuditContext,
    org: OrgId,
    people: &[PersonToLoad],
    cases: &[CaseToLoad],
) -> Result<Prepared, StoreError> {
    let mut batch = Batch::new(org, ctx);
    for p in people {
        batch.person(ctx, p)?;
    }
    for c in cases {
        batch.case(ctx, c)?;
    }
    Ok(Prepared(batch))
}

/// Gathers the query planner's statistics once a bulk load is written. Without them SQLite
/// chooses join orders from the schema alone, and some of its choices walk a whole table per
/// lookup. `analysis_limit` has SQLite sample each index instead of reading all of it.
pub async fn analyse(db: &Db) -> Result<(), StoreError> {
    match &db.pool {
        crate::db::Pool::Sqlite(p, _) => {
            sqlx::raw_sql("PRAGMA analysis_limit = 1000; ANALYZE").execute(p).await?;
        }
        crate::db::Pool::Postgres(p) => {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        // A bulk load never runs in a scope; the planner's statistics can wait for the next one.
        crate::db::Pool::SqliteScope(_) | crate::db::Pool::PostgresScope(_) => {}
    }
    Ok(())
}

/// Writes a prepared load in one transaction.
pub async fn write(db: &Db, prepared: Prepared) -> Result<(), StoreError> {
    let Prepared(batch) = prepared;
    let mut tx = db.begin().await?;
    if let TxConn::Sqlite(t) = &mut tx.conn {
        // Loading touches every index at random places; a small page cache would spend most of
        // the time re-reading pages. The setting stays with the write connection, for the next
        // batch, until the database closes: only `carethread generate` loads in bulk.
        sqlx::query("PRAGMA cache_size = -262144").execute(&mut **t).await?;
    }
    // Parents before children, for the foreign keys.
    for rows in [
        batch.people,
        batch.person_versions,
        batch.health,
        batch.cases,
        batch.members,
        batch.entries,
        batch.problems,
        batch.plan_versions,
        batch.plan_goals,
        batch.reviews,
        batch.attendees,
        batch.votes,
        batch.tasks,
        batch.versions,
    ] {
        rows.write(&mut tx).await.map_err(|e| e.on_unique("An NHS number or record id"))?;
    }
    // Last, as the audit log's rule asks: claiming the chain's head holds it until commit.
    crate::audit::insert_chained(&mut tx, batch.audit).await?;
    tx.commit().await
}
