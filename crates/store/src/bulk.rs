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
use crate::audit_chain::{self, ChainedEntry};
use crate::error::StoreError;
use crate::json::to_json;
use crate::themes::{ENTRY, MEMBER, PROBLEM, step_status};
use crate::{Backend, Db, Tx};
use carethread_domain::circle::MemberDetails;
use carethread_domain::problems::ProblemDetails;
use carethread_domain::themes::{EntryDetails, Theme};
use carethread_domain::{AuditAction, CaseStatus, OrgId, PersonDetails, TeamId, UserId};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// One case to load: the person, who holds the case, and what their themes hold. Ids are given
/// by the caller so that a seeded generator produces the same database every time.
#[derive(Clone, Debug)]
pub struct CaseToLoad {
    pub person_id: Uuid,
    pub case_id: Uuid,
    pub person: PersonDetails,
    pub team_id: Option<TeamId>,
    pub key_worker_id: Option<UserId>,
    pub opened_at: DateTime<Utc>,
    pub members: Vec<(Uuid, MemberDetails)>,
    pub entries: Vec<(Uuid, Theme, EntryDetails)>,
    pub problems: Vec<(Uuid, ProblemDetails)>,
}

/// A value in a row to insert. Binding goes through this so one loop serves every table.
#[derive(Clone, Debug)]
enum Value {
    Uuid(Uuid),
    OptUuid(Option<Uuid>),
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
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
    async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
        const MAX_PARAMS: usize = 30_000;
        let width = self.columns.len();
        let per_statement = (MAX_PARAMS / width).max(1);
        for chunk in self.values.chunks(per_statement * width) {
            let sql = insert_sql(self.table, self.columns, chunk.len() / width, tx.backend());
            exec_tx!(&mut *tx, |c| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for v in chunk {
                    q = match v {
                        Value::Uuid(u) => q.bind(*u),
                        Value::OptUuid(u) => q.bind(*u),
                        Value::Text(s) => q.bind(s.as_str()),
                        Value::OptText(s) => q.bind(s.as_deref()),
                        Value::Int(i) => q.bind(*i),
                        Value::Bool(b) => q.bind(*b),
                        Value::Date(d) => q.bind(*d),
                        Value::Time(t) => q.bind(*t),
                    };
                }
                q.execute(c).await
            })?;
        }
        Ok(())
    }
}

/// `INSERT INTO table (columns) VALUES (...), (...)`. SQLite gets anonymous `?` parameters:
/// with numbered ones it looks each name up in a list as long as the statement, which makes a
/// large insert quadratic (a fifth of the load time, measured with perf).
fn insert_sql(table: &str, columns: &[&str], rows: usize, backend: Backend) -> String {
    let width = columns.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    sql.push('$');
                    sql.push_str(&(r * width + c + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
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
const CASES: &[&str] =
    &["id", "org_id", "person_id", "team_id", "key_worker_id", "status", "opened_at", "version", "updated_at"];
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
const VERSIONS: &[&str] =
    &["id", "org_id", "record_type", "record_id", "version", "details", "removed", "changed_by", "changed_at"];
const AUDIT: &[&str] = &[
    "id",
    "org_id",
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "person_id",
    "detail",
    "ip",
    "request_id",
    "chain",
    "seq",
    "prev_hash",
    "hash",
];

/// Writes `cases` into organisation `org` in one transaction, as written by `ctx` (whose
/// account, if any, is recorded as author). Each case gets its person, first versions of every
/// record, and one audit entry, as registering and adding would have left.
pub async fn load_cases(db: &Db, ctx: &AuditContext, org: OrgId, cases: &[CaseToLoad]) -> Result<(), StoreError> {
    let org_id = org.as_uuid();
    let author = ctx.user_id.map(|u| u.as_uuid());
    let mut people = Rows::new("people", PEOPLE);
    let mut person_versions = Rows::new("person_versions", PERSON_VERSIONS);
    let mut case_rows = Rows::new("cases", CASES);
    let mut members = Rows::new("circle_members", MEMBERS);
    let mut entries = Rows::new("theme_entries", ENTRIES);
    let mut problems = Rows::new("problem_areas", PROBLEMS);
    let mut versions = Rows::new("record_versions", VERSIONS);
    let mut audit_entries = Vec::with_capacity(cases.len());
    // Record ids are derived from the caller's ids so that they too are deterministic.
    let derived = |id: Uuid, salt: u128| Uuid::from_u128(id.as_u128() ^ salt);
    for case in cases {
        let at = case.opened_at;
        let person = case.person_id;
        let d = &case.person;
        people.push([
            Value::Uuid(person),
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
        person_versions.push([
            Value::Uuid(derived(person, 1)),
            Value::Uuid(org_id),
            Value::Uuid(person),
            Value::Int(1),
            Value::Text(to_json(d)?),
            Value::OptUuid(author),
            Value::Time(at),
        ]);
        case_rows.push([
            Value::Uuid(case.case_id),
            Value::Uuid(org_id),
            Value::Uuid(person),
            Value::OptUuid(case.team_id.map(|t| t.as_uuid())),
            Value::OptUuid(case.key_worker_id.map(|k| k.as_uuid())),
            Value::Text(CaseStatus::Open.as_str().into()),
            Value::Time(at),
            Value::Int(1),
            Value::Time(at),
        ]);
        let mut version = |record_type: &'static str, id: Uuid, json: String| {
            versions.push([
                Value::Uuid(derived(id, 1)),
                Value::Uuid(org_id),
                Value::Text(record_type.into()),
                Value::Uuid(id),
                Value::Int(1),
                Value::Text(json),
                Value::Bool(false),
                Value::OptUuid(author),
                Value::Time(at),
            ])
        };
        for (id, m) in &case.members {
            let json = to_json(m)?;
            members.push([
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
            version(MEMBER, *id, json);
        }
        for (id, theme, e) in &case.entries {
            let json = to_json(e)?;
            entries.push([
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
            version(ENTRY, *id, json);
        }
        for (id, p) in &case.problems {
            let json = to_json(p)?;
            problems.push([
                Value::Uuid(*id),
                Value::Uuid(org_id),
                Value::Uuid(person),
                Value::Text(json.clone()),
                Value::Int(1),
                Value::Time(at),
                Value::Time(at),
            ]);
            version(PROBLEM, *id, json);
        }
        audit_entries.push(ChainedEntry {
            id: derived(person, 2),
            org_id: Some(org_id),
            at,
            user_id: author,
            username: ctx.username.clone(),
            role: ctx.role.clone(),
            action: AuditAction::Create.as_str().into(),
            person_id: Some(person),
            detail: format!(
                "registered the person and opened their case, with {} circle members, {} theme entries and {} problem areas",
                case.members.len(),
                case.entries.len(),
                case.problems.len()
            ),
            ip: ctx.ip.clone(),
            request_id: ctx.request_id.clone(),
        });
    }
    let mut tx = db.begin().await?;
    if let Tx::Sqlite(t) = &mut tx {
        // Loading touches every index at random places; SQLite's default 2 MB page cache would
        // spend most of the time re-reading pages. The setting stays with this one connection.
        sqlx::query("PRAGMA cache_size = -262144").execute(&mut **t).await?;
    }
    // The audit entries join the organisation's hash chain, in one claim for the whole batch.
    let mut audit = Rows::new("audit_log", AUDIT);
    let (first, mut prev) = audit_chain::claim(&mut tx, org_id, audit_entries.len() as i64).await?;
    for (seq, e) in (first..).zip(&audit_entries) {
        let hash = e.hash(&prev, seq);
        audit.push([
            Value::Uuid(e.id),
            Value::OptUuid(e.org_id),
            Value::Time(e.at),
            Value::OptUuid(e.user_id),
            Value::Text(e.username.clone()),
            Value::Text(e.role.clone()),
            Value::Text(e.action.clone()),
            Value::OptUuid(e.person_id),
            Value::Text(e.detail.clone()),
            Value::Text(e.ip.clone()),
            Value::Text(e.request_id.clone()),
            Value::Uuid(e.chain()),
            Value::Int(seq),
            Value::Text(std::mem::replace(&mut prev, hash.clone())),
            Value::Text(hash),
        ]);
    }
    // Parents before children, for the foreign keys.
    for rows in [people, person_versions, case_rows, members, entries, problems, versions, audit] {
        rows.write(&mut tx).await.map_err(|e| e.on_unique("An NHS number or record id"))?;
    }
    audit_chain::advance(&mut tx, org_id, &prev).await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    #[test]
    fn insert_statements_number_their_parameters_row_by_row() {
        use super::{Backend, insert_sql};
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, Backend::Postgres),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(insert_sql("t", &["a", "b"], 2, Backend::Sqlite), "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
    }
}
