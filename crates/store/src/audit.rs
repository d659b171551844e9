//! The audit log: who did what to which person's record, when, from where.
//!
//! Entries are written by the repositories, inside the transaction of the work they record;
//! a read's entry is written just after its transaction commits, by the group-commit writer
//! (`crate::audit_writer`), and is durable before the read's caller gets the data.
//! Nothing here updates or deletes an entry.

use crate::audit_chain::{self, ChainedEntry, bind_entry};
use crate::db::{Db, Tx};
use crate::error::StoreError;
use carethread_domain::{AuditAction, OrgId, PersonId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Who is acting and where the request came from: passed to every audited store call.
#[derive(Clone, Debug)]
pub struct AuditContext {
    pub org_id: Option<OrgId>,
    pub user_id: Option<UserId>,
    pub username: String,
    pub role: String,
    pub ip: String,
    pub request_id: String,
}

impl AuditContext {
    /// For work done from the command line on this machine.
    pub fn command_line(what: &str) -> Self {
        AuditContext {
            org_id: None,
            user_id: None,
            username: format!("command line ({what})"),
            role: "operator".into(),
            ip: "local".into(),
            request_id: Uuid::now_v7().to_string(),
        }
    }
}

/// Writes one audit entry as part of `tx`, linked into its organisation's hash chain; a read's
/// or search's entry is kept with `tx` and written when it commits (see [`Tx::commit`]).
///
/// Call it after the transaction's other writes: it holds the chain's head until commit, and a
/// transaction that wrote rows after taking the head could deadlock (on PostgreSQL) with one
/// that holds those rows and waits for the head.
pub(crate) async fn record(
    tx: &mut Tx,
    ctx: &AuditContext,
    action: AuditAction,
    person_id: Option<PersonId>,
    detail: &str,
) -> Result<(), StoreError> {
    let entry = ChainedEntry {
        id: Uuid::now_v7(),
        org_id: ctx.org_id.map(|o| o.as_uuid()),
        at: crate::now(),
        user_id: ctx.user_id.map(|u| u.as_uuid()),
        username: ctx.username.clone(),
        role: ctx.role.clone(),
        action: action.as_str().to_string(),
        person_id: person_id.map(|p| p.as_uuid()),
        detail: detail.to_string(),
        ip: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
    };
    // A read, a search or a refusal changes nothing, so its entry need not share the transaction's fate:
    // it is written with other requests' reads after this transaction commits, before the caller sees
    // the answer. Inside a scope (`Db::scope`) it is written when the scope ends, even when the scope's
    // writes are undone: a refused attempt in a failed FHIR transaction is still on the record.
    if action.changes_nothing() {
        tx.reads.push(entry);
        return Ok(());
    }
    insert_chained(tx, vec![entry]).await
}

/// Writes entries in `tx`, each linked into its organisation's hash chain in the order given:
/// one claim on each chain's head for all of that chain's entries.
pub(crate) async fn insert_chained(tx: &mut Tx, entries: Vec<ChainedEntry>) -> Result<(), StoreError> {
    let mut chains: Vec<(Uuid, Vec<ChainedEntry>)> = Vec::new();
    for e in entries {
        let chain = e.chain();
        match chains.iter_mut().find(|(c, _)| *c == chain) {
            Some((_, list)) => list.push(e),
            None => chains.push((chain, vec![e])),
        }
    }
    // Always the same order, so two writers taking several chains cannot wait on each other.
    chains.sort_by_key(|(c, _)| *c);
    for (chain, list) in chains {
        let (first, mut prev) = audit_chain::claim(tx, chain, list.len() as i64).await?;
        let mut linked = Vec::with_capacity(list.len());
        for (seq, e) in (first..).zip(&list) {
            let hash = e.hash(&prev, seq);
            linked.push(Linked { entry: e, seq, prev_hash: std::mem::replace(&mut prev, hash.clone()), hash });
        }
        // The entry written into the head's place moves the head's hash on to its own: a
        // trigger does it in the same statement (migration 0020), one statement fewer per write.
        for rows in crate::query::insert_batches(&linked) {
            insert(tx, rows).await?;
        }
    }
    Ok(())
}

/// One entry with its place in its chain.
struct Linked<'a> {
    entry: &'a ChainedEntry,
    seq: i64,
    prev_hash: String,
    hash: String,
}

/// The columns [`insert`] fills after an entry's own ([`audit_chain::ENTRY_COLUMNS`]): its place in
/// its chain.
const CHAIN_COLUMNS: &[&str] = &["chain", "seq", "prev_hash", "hash"];

/// Inserts entries already linked into their chain, in one statement.
async fn insert(tx: &mut Tx, rows: &[Linked<'_>]) -> Result<(), StoreError> {
    let columns = [audit_chain::ENTRY_COLUMNS, CHAIN_COLUMNS].concat();
    let sql = crate::query::insert_sql("audit_log", &columns, rows.len(), tx.backend());
    exec_tx!(tx, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        for Linked { entry: e, seq, prev_hash, hash } in rows {
            q = bind_entry!(q, e).bind(e.chain()).bind(*seq).bind(prev_hash).bind(hash);
        }
        q.execute(c).await
    })?;
    Ok(())
}

/// Records an action that changes nothing else (a sign-out, a backup) in its own transaction.
pub async fn record_alone(
    db: &Db,
    ctx: &AuditContext,
    action: AuditAction,
    person_id: Option<PersonId>,
    detail: &str,
) -> Result<(), StoreError> {
    // An entry that records no change waits for no write lock: it goes to the writer once the
    // read transaction ends, which also makes it usable inside a read-only scope.
    let mut tx = if action.changes_nothing() { db.read().await? } else { db.begin().await? };
    record(&mut tx, ctx, action, person_id, detail).await?;
    tx.commit().await
}

/// Records that each of these people's records was shown (for example, named in a report), in
/// one transaction.
pub async fn record_each(db: &Db, ctx: &AuditContext, people: &[PersonId], detail: &str) -> Result<(), StoreError> {
    if people.is_empty() {
        return Ok(());
    }
    let mut tx = db.read().await?;
    for person in people {
        record(&mut tx, ctx, AuditAction::Read, Some(*person), detail).await?;
    }
    tx.commit().await
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub username: String,
    pub role: String,
    pub action: String,
    pub person_id: Option<Uuid>,
    /// The person's name at the time of browsing, when the entry names a person.
    pub person_name: Option<String>,
    pub detail: String,
    pub ip: String,
    pub request_id: String,
}

/// What an administrator filters the log by. Every part is optional.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub person_id: Option<PersonId>,
    pub username: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub until: Option<DateTime<Utc>>,
}

pub const AUDIT_PAGE_SIZE: i64 = 100;

/// One page of entries, newest first, and whether there are more. Browsing the log is itself
/// audited (it shows which records people opened), in the same transaction as the read.
pub async fn browse(
    db: &Db,
    ctx: &AuditContext,
    filter: &AuditFilter,
    page: i64,
) -> Result<(Vec<AuditEntry>, bool), StoreError> {
    db.settle_audit().await?;
    let mut tx = db.begin().await?;
    let offset = page.max(0) * AUDIT_PAGE_SIZE;
    let mut rows: Vec<AuditEntry> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT a.id, a.at, a.user_id, a.username, a.role, a.action, a.person_id, \
                p.given_name || ' ' || p.family_name AS person_name, a.detail, a.ip, a.request_id \
         FROM audit_log a LEFT JOIN people p ON p.id = a.person_id \
         WHERE ($1 IS NULL OR a.person_id = $1) AND ($2 IS NULL OR a.username = $2) \
           AND ($3 IS NULL OR a.at >= $3) AND ($4 IS NULL OR a.at < $4) \
         ORDER BY a.at DESC, a.id DESC LIMIT $5 OFFSET $6"
    )
    .bind(filter.person_id.map(|p| p.as_uuid()))
    .bind(filter.username.as_deref())
    .bind(filter.from)
    .bind(filter.until)
    .bind(AUDIT_PAGE_SIZE + 1)
    .bind(offset)
    .fetch_all(c)
    .await)?;
    let more = rows.len() as i64 > AUDIT_PAGE_SIZE;
    rows.truncate(AUDIT_PAGE_SIZE as usize);
    let detail = format!("browsed the audit log ({} entries shown)", rows.len());
    record(&mut tx, ctx, AuditAction::Search, filter.person_id, &detail).await?;
    tx.commit().await?;
    Ok((rows, more))
}

/// One look at a person's record, as the person is shown it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Look {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The account's display name, or its username when the account is gone.
    pub who: String,
    pub role: String,
    pub action: String,
    pub detail: String,
}

impl Look {
    /// Whether the policy refused this look.
    pub fn refused(&self) -> bool {
        self.action == AuditAction::Denied.as_str()
    }
    /// Whether this was emergency ("break-glass") access starting or ending.
    pub fn emergency(&self) -> bool {
        self.action == AuditAction::BreakGlassStart.as_str() || self.action == AuditAction::BreakGlassEnd.as_str()
    }
}

/// Who has looked at a person's record, newest first: every read and every refused attempt
/// (changes are shown in the record itself). The person looking at this list is audited too.
pub async fn looks_at(db: &Db, ctx: &AuditContext, person: PersonId, limit: i64) -> Result<Vec<Look>, StoreError> {
    db.settle_audit().await?;
    let mut tx = db.read().await?;
    let rows: Vec<Look> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT a.id, a.at, COALESCE(u.display_name, a.username) AS who, a.role, a.action, a.detail \
         FROM audit_log a LEFT JOIN users u ON u.id = a.user_id \
         WHERE a.person_id = $1 AND a.action IN ('read', 'search', 'denied', 'break-glass-start', 'break-glass-end') \
         ORDER BY a.at DESC, a.id DESC LIMIT $2"
    )
    .bind(person.as_uuid())
    .bind(limit)
    .fetch_all(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "looked at who has seen the record").await?;
    tx.commit().await?;
    Ok(rows)
}
