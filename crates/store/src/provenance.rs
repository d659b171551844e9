//! Who wrote each version of a person's records, and when: read from the version history the
//! other modules keep (the person's details, the circle of support, problem areas) and from the
//! plan's versions (who started each, who recorded the person's agreement). It is what FHIR
//! serves as Provenance.

use crate::audit::{AuditContext, record};
use crate::db::Db;
use crate::error::StoreError;
use crate::themes::{MEMBER, PROBLEM};
use carethread_domain::{AuditAction, PersonId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The kind of record a version belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The person's registered details.
    Person,
    CircleMember,
    ProblemArea,
    PlanVersion,
}

/// What the version did to its record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Create,
    Update,
    Remove,
}

/// The account that made a change. None when no one was signed in (an import or set-up from the
/// command line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub user_id: Uuid,
    pub name: String,
    pub role: String,
    /// The person's own record, when the account is theirs.
    pub person_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct ProvenanceRecord {
    /// The id of the version row: unique across the kinds.
    pub id: Uuid,
    pub kind: Kind,
    pub record_id: Uuid,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub activity: Activity,
    pub author: Option<Author>,
    /// For a plan version: who recorded the person's agreement to it.
    pub agreement_recorded_by: Option<Author>,
}

type Row = (Uuid, Uuid, i64, bool, DateTime<Utc>, Option<Uuid>, Option<String>, Option<String>, Option<Uuid>);

fn author(id: Option<Uuid>, name: Option<String>, role: Option<String>, person: Option<Uuid>) -> Option<Author> {
    Some(Author { user_id: id?, name: name?, role: role?, person_id: person })
}

const USER: &str = "u.id, u.display_name, u.role, u.person_id";

/// Every recorded change to the person's records, oldest first (an audited read).
pub async fn of_person(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<Vec<ProvenanceRecord>, StoreError> {
    let mut tx = db.read().await?;
    let mut out = Vec::new();
    let details = format!(
        "SELECT v.id, v.person_id, v.version, FALSE, v.changed_at, {USER} FROM person_versions v \
         LEFT JOIN users u ON u.id = v.changed_by WHERE v.person_id = $1"
    );
    let rows: Vec<Row> =
        on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(details)).bind(person.as_uuid()).fetch_all(c).await)?;
    out.extend(rows.into_iter().map(|r| version(Kind::Person, r)));
    for (kind, record_type, table) in
        [(Kind::CircleMember, MEMBER, "circle_members"), (Kind::ProblemArea, PROBLEM, "problem_areas")]
    {
        // The person's records first, then their versions: written as a join, SQLite without
        // statistics (a freshly loaded database) walked every version of the type and looked
        // each record up, so a bulk export took time in the square of the caseload.
        let sql = format!(
            "SELECT v.id, v.record_id, v.version, v.removed, v.changed_at, {USER} FROM record_versions v \
             LEFT JOIN users u ON u.id = v.changed_by \
             WHERE v.record_type = $1 AND v.record_id IN (SELECT id FROM {table} WHERE person_id = $2)"
        );
        let rows: Vec<Row> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(record_type)
            .bind(person.as_uuid())
            .fetch_all(c)
            .await)?;
        out.extend(rows.into_iter().map(|r| version(kind, r)));
    }
    let plans = format!(
        "SELECT v.id, v.created_at, {USER}, a.id, a.display_name, a.role, a.person_id FROM plan_versions v \
         LEFT JOIN users u ON u.id = v.created_by LEFT JOIN users a ON a.id = v.recorded_by WHERE v.person_id = $1"
    );
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        Uuid,
        DateTime<Utc>,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<Uuid>,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<Uuid>,
    )> = on_tx!(&mut tx, |c| sqlx::query_as(sqlx::AssertSqlSafe(plans)).bind(person.as_uuid()).fetch_all(c).await)?;
    out.extend(rows.into_iter().map(|(id, at, u, un, ur, up, a, an, ar, ap)| ProvenanceRecord {
        id,
        kind: Kind::PlanVersion,
        record_id: id,
        version: 1,
        at,
        activity: Activity::Create,
        author: author(u, un, ur, up),
        agreement_recorded_by: author(a, an, ar, ap),
    }));
    out.sort_by_key(|p| (p.at, p.id));
    record(&mut tx, ctx, AuditAction::Read, Some(person), "read who changed the record").await?;
    tx.commit().await?;
    Ok(out)
}

fn version(kind: Kind, (id, record_id, version, removed, at, u, name, role, person): Row) -> ProvenanceRecord {
    let activity = match (removed, version) {
        (true, _) => Activity::Remove,
        (false, 1) => Activity::Create,
        _ => Activity::Update,
    };
    ProvenanceRecord {
        id,
        kind,
        record_id,
        version,
        at,
        activity,
        author: author(u, name, role, person),
        agreement_recorded_by: None,
    }
}

/// Whose record a Provenance id (a version row's id) is about.
pub async fn person_of(db: &Db, id: Uuid) -> Result<Option<PersonId>, StoreError> {
    let sql = "SELECT person_id FROM person_versions WHERE id = $1 \
         UNION ALL SELECT r.person_id FROM record_versions v JOIN circle_members r ON r.id = v.record_id WHERE v.id = $1 \
         UNION ALL SELECT r.person_id FROM record_versions v JOIN problem_areas r ON r.id = v.record_id WHERE v.id = $1 \
         UNION ALL SELECT person_id FROM plan_versions WHERE id = $1";
    let row: Option<(Uuid,)> = on_pool!(db, |p| sqlx::query_as(sql).bind(id).fetch_optional(p).await)?;
    Ok(row.map(|(p,)| PersonId::from_uuid(p)))
}
