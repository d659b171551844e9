//! The audit log's hash chains: how an entry is linked into its organisation's chain when it
//! is written, and how `carethread audit verify` checks every chain afterwards.
//!
//! An entry's hash covers the previous entry's hash, its place in the chain and every field of
//! the entry, so changing any entry, removing one, or swapping two breaks the chain from that
//! point, and removing entries from the end disagrees with the chain's head. Linking takes the
//! chain's head row for the rest of the transaction, so one organisation's audited writes are
//! chained in commit order; each organisation has its own chain, so organisations never wait
//! for each other.

use crate::db::{Db, Tx};
use crate::error::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash a chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of one entry that its hash covers.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ChainedEntry {
    pub id: Uuid,
    pub org_id: Option<Uuid>,
    pub at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub username: String,
    pub role: String,
    pub action: String,
    pub person_id: Option<Uuid>,
    pub detail: String,
    pub ip: String,
    pub request_id: String,
}

/// An entry's own columns, in the order [`bind_entry!`] binds them: the same in the audit log and
/// in the read journal (`crate::read_journal`).
pub(crate) const ENTRY_COLUMNS: &[&str] =
    &["id", "org_id", "at", "user_id", "username", "role", "action", "person_id", "detail", "ip", "request_id"];

/// Binds an entry's fields to a query, in [`ENTRY_COLUMNS`] order.
macro_rules! bind_entry {
    ($q:expr, $e:expr) => {
        $q.bind($e.id)
            .bind($e.org_id)
            .bind($e.at)
            .bind($e.user_id)
            .bind(&$e.username)
            .bind(&$e.role)
            .bind(&$e.action)
            .bind($e.person_id)
            .bind(&$e.detail)
            .bind(&$e.ip)
            .bind(&$e.request_id)
    };
}
pub(crate) use bind_entry;

impl ChainedEntry {
    /// The chain an entry belongs to: its organisation's, or the nil id's.
    pub fn chain(&self) -> Uuid {
        self.org_id.unwrap_or(Uuid::nil())
    }

    /// SHA-256 over the previous hash, the place in the chain and every field, each prefixed
    /// by its length so that no two different entries hash the same bytes.
    pub fn hash(&self, prev: &str, seq: i64) -> String {
        let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
        let fields = [
            prev.to_string(),
            self.chain().to_string(),
            seq.to_string(),
            self.id.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            opt(self.org_id),
            opt(self.user_id),
            self.username.clone(),
            self.role.clone(),
            self.action.clone(),
            opt(self.person_id),
            self.detail.clone(),
            self.ip.clone(),
            self.request_id.clone(),
        ];
        let mut h = Sha256::new();
        for f in &fields {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Takes the next `n` places in `chain` (holding its head until the transaction ends) and
/// returns the first place and the hash of the entry before it.
pub(crate) async fn claim(tx: &mut Tx, chain: Uuid, n: i64) -> Result<(i64, String), StoreError> {
    loop {
        let head: Option<(i64, String)> = on_tx!(tx, |c| sqlx::query_as(
            "UPDATE audit_chains SET seq = seq + $1 WHERE org_id = $2 RETURNING seq, hash"
        )
        .bind(n)
        .bind(chain)
        .fetch_optional(c)
        .await)?;
        if let Some((last, hash)) = head {
            return Ok((last - n + 1, hash));
        }
        // The chain's first entry: start it, then take the head as usual.
        exec_tx!(tx, |c| sqlx::query(
            "INSERT INTO audit_chains (org_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (org_id) DO NOTHING"
        )
        .bind(chain)
        .bind(GENESIS)
        .execute(c)
        .await)?;
    }
}

/// What `verify` found.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    pub chains: usize,
    pub entries: u64,
    /// Entries written before the chain existed (by an older version): not covered.
    pub unchained: u64,
    pub checkpoints: usize,
    /// Each problem in plain words; empty when every chain is intact.
    pub problems: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    #[sqlx(flatten)]
    entry: ChainedEntry,
    seq: i64,
    prev_hash: String,
    hash: String,
}

/// A checkpoint: the hash of a chain at one place, recorded so that a copy kept elsewhere can
/// prove later that the chain was not rewritten since.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub chain: Uuid,
    pub seq: i64,
    pub hash: String,
    pub at: DateTime<Utc>,
}

const PAGE: i64 = 5_000;

/// Checks every chain from its first entry to its head, every stored checkpoint, and the
/// checkpoints given (exported earlier and kept elsewhere).
pub async fn verify(db: &Db, exported: &[Checkpoint]) -> Result<Verification, StoreError> {
    db.settle_audit().await?;
    let mut report = Verification::default();
    let heads: Vec<(Uuid, i64, String)> =
        on_pool!(db, |p| sqlx::query_as("SELECT org_id, seq, hash FROM audit_chains ORDER BY org_id")
            .fetch_all(p)
            .await)?;
    let in_log: Vec<(Uuid,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT DISTINCT chain FROM audit_log WHERE chain IS NOT NULL ORDER BY chain"
    )
    .fetch_all(p)
    .await)?;
    for (chain,) in &in_log {
        if !heads.iter().any(|(c, _, _)| c == chain) {
            report.problems.push(format!("Chain {chain} has entries but no head: its head was removed."));
        }
    }
    let (unchained,): (i64,) =
        on_pool!(db, |p| sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE chain IS NULL").fetch_one(p).await)?;
    report.unchained = unchained.max(0) as u64;
    let mut stored: Vec<Checkpoint> = on_pool!(db, |p| sqlx::query_as::<_, (Uuid, i64, String, DateTime<Utc>)>(
        "SELECT org_id, seq, hash, at FROM audit_checkpoints ORDER BY org_id, seq"
    )
    .fetch_all(p)
    .await)?
    .into_iter()
    .map(|(chain, seq, hash, at)| Checkpoint { chain, seq, hash, at })
    .collect();
    stored.extend(exported.iter().cloned());
    report.checkpoints = stored.len();

    for (chain, head_seq, head_hash) in heads {
        report.chains += 1;
        let mut expected_seq = 1;
        let mut running = GENESIS.to_string();
        loop {
            let rows: Vec<LinkRow> = on_pool!(db, |p| sqlx::query_as(
                "SELECT id, org_id, at, user_id, username, role, action, person_id, detail, ip, request_id, \
                 seq, prev_hash, hash FROM audit_log WHERE chain = $1 AND seq >= $2 ORDER BY seq LIMIT $3"
            )
            .bind(chain)
            .bind(expected_seq)
            .bind(PAGE)
            .fetch_all(p)
            .await)?;
            let last_page = (rows.len() as i64) < PAGE;
            for row in rows {
                report.entries += 1;
                if row.seq != expected_seq {
                    report.problems.push(format!(
                        "Chain {chain}: entries {expected_seq} to {} are missing: they were deleted.",
                        row.seq - 1
                    ));
                }
                if row.prev_hash != running {
                    report.problems.push(format!(
                        "Chain {chain}: entry {} does not follow the entry before it: entries were deleted, \
                         reordered or replaced.",
                        row.seq
                    ));
                }
                let actual = row.entry.hash(&row.prev_hash, row.seq);
                if actual != row.hash {
                    report.problems.push(format!(
                        "Chain {chain}: entry {} ({} at {}) was changed after it was written.",
                        row.seq,
                        row.entry.action,
                        row.entry.at.to_rfc3339_opts(SecondsFormat::Secs, true)
                    ));
                }
                for cp in stored.iter().filter(|cp| cp.chain == chain && cp.seq == row.seq) {
                    if cp.hash != row.hash {
                        report.problems.push(format!(
                            "Chain {chain}: the checkpoint of {} at entry {} does not match: the chain was \
                             rewritten since.",
                            cp.at.to_rfc3339_opts(SecondsFormat::Secs, true),
                            cp.seq
                        ));
                    }
                }
                running = row.hash;
                expected_seq = row.seq + 1;
            }
            if last_page {
                break;
            }
        }
        let last = expected_seq - 1;
        if head_seq > last {
            report.problems.push(format!(
                "Chain {chain}: the log ends at entry {last} but the chain reached {head_seq}: the last {} \
                 entries were removed (truncated).",
                head_seq - last
            ));
        } else if head_seq < last || head_hash != running {
            report.problems.push(format!(
                "Chain {chain}: its head does not match its last entry ({last}): the head was rolled back or edited."
            ));
        }
        for cp in stored.iter().filter(|cp| cp.chain == chain && cp.seq > last) {
            report.problems.push(format!(
                "Chain {chain}: a checkpoint at entry {} is beyond the end of the log ({last}): entries were \
                 removed.",
                cp.seq
            ));
        }
    }
    Ok(report)
}

/// Records a checkpoint of every chain as it is now, and returns them for export.
pub async fn checkpoint(db: &Db) -> Result<Vec<Checkpoint>, StoreError> {
    db.settle_audit().await?;
    let mut tx = db.begin().await?;
    let heads: Vec<(Uuid, i64, String)> =
        on_tx!(&mut tx, |c| sqlx::query_as("SELECT org_id, seq, hash FROM audit_chains ORDER BY org_id")
            .fetch_all(c)
            .await)?;
    let at = crate::now();
    let mut out = Vec::with_capacity(heads.len());
    for (chain, seq, hash) in heads {
        exec_tx!(&mut tx, |c| sqlx::query(
            "INSERT INTO audit_checkpoints (id, org_id, seq, hash, at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(Uuid::now_v7())
        .bind(chain)
        .bind(seq)
        .bind(&hash)
        .bind(at)
        .execute(c)
        .await)?;
        out.push(Checkpoint { chain, seq, hash, at });
    }
    tx.commit().await?;
    Ok(out)
}

/// Every checkpoint recorded so far, oldest first, for export.
pub async fn checkpoints(db: &Db) -> Result<Vec<Checkpoint>, StoreError> {
    let rows: Vec<(Uuid, i64, String, DateTime<Utc>)> =
        on_pool!(db, |p| sqlx::query_as("SELECT org_id, seq, hash, at FROM audit_checkpoints ORDER BY at, org_id")
            .fetch_all(p)
            .await)?;
    Ok(rows.into_iter().map(|(chain, seq, hash, at)| Checkpoint { chain, seq, hash, at }).collect())
}
