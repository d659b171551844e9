//! The read journal (SQLite only): where the audit entries of reads wait, for about a second,
//! before they move into the audit log.
//!
//! Why it exists: SQLite empties a connection's page cache whenever a transaction begins after
//! anyone has committed to the database file. Every read is audited, so at thousands of reads a
//! second their entries were committed into the database file all the time, and nearly every
//! read began with a cold cache and copied its pages back from the operating system: measured,
//! half of all read throughput went there. Their entries now go to a file of their own beside
//! the database (`<database>-reads`), which nothing that reads records opens, and move into the
//! audit log in large batches: a few commits to the database file a second instead of thousands.
//!
//! What it promises:
//! - An entry is committed to the journal (it survives Carethread crashing or being killed)
//!   before the answer of the read it records leaves the server, as when it went to the log.
//! - Every entry moves into the audit log, linked into its organisation's chain, exactly once:
//!   about every second ([`MOVE_EVERY`]), whenever the log is about to be read
//!   ([`Journal::settle`], through `Db::settle_audit`), and when the database is closed. What a
//!   crash leaves behind moves within a second of the database being opened again.
//! - A move commits to the database, waiting for the disk, before its entries leave the
//!   journal; and it skips any entry the log already holds. So a crash between the two steps, or
//!   two processes (a server and `carethread audit verify`) moving at once, neither loses an entry
//!   nor writes one twice.
//!
//! Entries are chained when they move, so a read's place in its chain comes after the changes
//! made in the same second; its time (`at`) is still when the read happened, and the log is
//! shown in that order.

use crate::audit_chain::{ChainedEntry, ENTRY_COLUMNS, bind_entry};
use crate::db::{Pool, Tx};
use crate::error::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use uuid::Uuid;

/// How long an entry waits in the journal at most, give or take one move.
pub(crate) const MOVE_EVERY: Duration = Duration::from_secs(1);

/// At most this many entries move in one transaction: the write gate is held for one batch at a
/// time, so writes of records queue behind a few milliseconds of moving, not a whole second's.
/// Measured at 1M people: batches of 2,000 moved a Task search's entries a quarter faster, but
/// Task creates behind them waited up to 55-59 ms (p99), against 31-37 ms with 500.
const MOST_PER_MOVE: i64 = 500;

/// When more entries than this wait, reads wait for the mover before they are acknowledged.
/// Searches that show many people's records leave an entry per person, faster than one writer
/// can link them into the log (measured: Task searches, 20 to a page, left 28,000 a second), and
/// a journal that grew without bound would make every reader of the log wait for all of it to move.
/// About a second's worth: reads slow to the pace of the log rather than run ahead of it.
const MOST_WAITING: i64 = 20_000;

/// The journal file and the connection that moves its entries into the audit log.
#[derive(Clone, Debug)]
pub(crate) struct Journal {
    /// The journal file, through one connection: appends and moves take turns on it, which
    /// SQLite would otherwise make them do by sleeping on its busy handler.
    file: SqlitePool,
    /// The database, whose write connection moves entries into the log (`Pool::Sqlite`).
    log: Pool,
    /// Shared by every clone: the writer's appends and the mover's moves.
    backlog: std::sync::Arc<Backlog>,
}

/// How many entries wait, as this process counts them, and a signal each time some move.
#[derive(Debug, Default)]
struct Backlog {
    /// Raised by appends and lowered by moves; set from the journal itself after each settle,
    /// which also counts what another process appended or moved.
    waiting: AtomicI64,
    moved: Notify,
    /// Reads are waiting for the mover: it should not wait for its next tick.
    full: Notify,
}

/// One waiting entry and its place in the journal.
#[derive(sqlx::FromRow)]
struct Waiting {
    n: i64,
    #[sqlx(flatten)]
    entry: ChainedEntry,
}

impl Journal {
    /// Opens (creating when missing) the journal beside the database file at `database`.
    pub(crate) async fn open(database: &str, log: Pool) -> Result<Self, StoreError> {
        let path = format!("{database}-reads");
        let cannot = |e: sqlx::Error| {
            StoreError::Corrupt(format!(
                "the read journal {path} (reads' audit entries waiting to move into the audit log) could not be \
                 opened: {e}. Move it aside only if it holds nothing: its entries are part of the audit log."
            ))
        };
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL: a committed append survives the process dying; only a power cut in the next
            // instant can lose it (see `audit_writer` for why that is the bargain for reads).
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let file = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(cannot)?;
        // AUTOINCREMENT: a place is never given out twice, even after every entry before it has
        // moved and been deleted, so "delete what I moved, up to n" never takes a newer entry.
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS waiting_reads (
                n INTEGER PRIMARY KEY AUTOINCREMENT,
                id BLOB NOT NULL, org_id BLOB, at TEXT NOT NULL, user_id BLOB, username TEXT NOT NULL,
                role TEXT NOT NULL, action TEXT NOT NULL, person_id BLOB, detail TEXT NOT NULL,
                ip TEXT NOT NULL, request_id TEXT NOT NULL)",
        )
        .execute(&file)
        .await
        .map_err(cannot)?;
        Ok(Journal { file, log, backlog: Default::default() })
    }

    /// Commits `entries` to the journal, in one transaction.
    pub(crate) async fn append(&self, entries: Vec<ChainedEntry>) -> Result<(), StoreError> {
        let mut tx = self.file.begin().await?;
        for rows in crate::query::insert_batches(&entries) {
            let sql = crate::query::insert_sql("waiting_reads", ENTRY_COLUMNS, rows.len(), crate::Backend::Sqlite);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for e in rows {
                q = bind_entry!(q, e);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let waiting = self.backlog.waiting.fetch_add(entries.len() as i64, Ordering::Relaxed) + entries.len() as i64;
        if waiting > MOST_WAITING
            && tokio::time::timeout(Duration::from_secs(10), self.wait_for_the_mover()).await.is_err()
        {
            // The entries are safe in the journal; the mover says why it is stuck each time it tries.
            tracing::warn!(waiting, "reads' audit entries are not moving into the audit log");
        }
        Ok(())
    }

    /// Waits until no more than [`MOST_WAITING`] entries wait.
    async fn wait_for_the_mover(&self) {
        // A permit kept if the mover is busy now, so it goes on at once when it is done.
        self.backlog.full.notify_one();
        loop {
            // Made before looking, so a move between the look and the wait still wakes it.
            let moved = self.backlog.moved.notified();
            if self.backlog.waiting.load(Ordering::Relaxed) <= MOST_WAITING {
                return;
            }
            moved.await;
        }
    }

    /// How many entries wait to move.
    pub(crate) async fn waiting(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM waiting_reads").fetch_one(&self.file).await?)
    }

    /// Moves every entry the journal holds now into the audit log. Entries appended while it
    /// runs may move too, or wait for the next move.
    pub(crate) async fn settle(&self) -> Result<(), StoreError> {
        let last: Option<i64> = sqlx::query_scalar("SELECT MAX(n) FROM waiting_reads").fetch_one(&self.file).await?;
        if let Some(last) = last {
            while self.move_some(last).await? == MOST_PER_MOVE as usize {}
        }
        self.backlog.waiting.store(self.waiting().await?, Ordering::Relaxed);
        self.backlog.moved.notify_waiters();
        Ok(())
    }

    /// Moves up to [`MOST_PER_MOVE`] of the oldest entries at or before `last`, in one
    /// transaction of the database; answers how many it took from the journal.
    async fn move_some(&self, last: i64) -> Result<usize, StoreError> {
        // The database's write lock first, then the journal: another process's move has then
        // either not begun, or committed its entries to the log (which skipping finds).
        let mut tx = self.log.begin_tx().await?;
        let waiting: Vec<Waiting> = sqlx::query_as(
            "SELECT n, id, org_id, at, user_id, username, role, action, person_id, detail, ip, request_id \
             FROM waiting_reads WHERE n <= $1 ORDER BY n LIMIT $2",
        )
        .bind(last)
        .bind(MOST_PER_MOVE)
        .fetch_all(&self.file)
        .await?;
        let Some(upto) = waiting.last().map(|w| w.n) else { return Ok(0) };
        let taken = waiting.len();
        let moved = already_in_log(&mut tx, &waiting).await?;
        let entries: Vec<ChainedEntry> =
            waiting.into_iter().map(|w| w.entry).filter(|e| !moved.contains(&e.id)).collect();
        if !entries.is_empty() {
            crate::audit::insert_chained(&mut tx, entries).await?;
        }
        // On disk in the log before the journal lets them go; the gate is kept meanwhile, so no
        // other move in this process takes these entries again.
        let Tx { conn, turn, .. } = tx;
        conn.commit().await?;
        if let Some(turn) = &turn {
            turn.on_disk(turn.written()).await?;
        }
        sqlx::query("DELETE FROM waiting_reads WHERE n <= $1").bind(upto).execute(&self.file).await?;
        drop(turn);
        self.backlog.waiting.fetch_sub(taken as i64, Ordering::Relaxed);
        self.backlog.moved.notify_waiters();
        Ok(taken)
    }

    /// Stops the journal's connection, once what it holds has moved. The database's
    /// connections are the database's to close, after this.
    pub(crate) async fn close(&self) -> Result<(), StoreError> {
        let settled = self.settle().await;
        self.file.close().await;
        settled
    }

    /// Moves the journal's entries every [`MOVE_EVERY`], and at once when reads wait for it,
    /// until the journal is closed.
    pub(crate) async fn keep_moving(self) {
        let mut every = tokio::time::interval(MOVE_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                _ = self.backlog.full.notified() => {}
            }
            if self.file.is_closed() {
                return;
            }
            if let Err(e) = self.settle().await {
                if self.file.is_closed() {
                    // Closed while this move ran: `close` moved what was left.
                    return;
                }
                // They stay in the journal and move at the next tick; not the entries: they name people.
                tracing::error!(error = %e, "could not move read entries into the audit log");
            }
        }
    }
}

/// Which of these entries the audit log already holds: moved by another process, or by a move
/// that crashed before it could delete them from the journal.
async fn already_in_log(tx: &mut Tx, waiting: &[Waiting]) -> Result<HashSet<Uuid>, StoreError> {
    // Anonymous parameters: the journal is SQLite's alone (see `crate::query::insert_sql` for why).
    let marks = vec!["?"; waiting.len()].join(", ");
    let sql = format!("SELECT id FROM audit_log WHERE id IN ({marks})");
    let found: Vec<Uuid> = on_tx!(tx, |c| {
        let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()));
        for w in waiting {
            q = q.bind(w.entry.id);
        }
        q.fetch_all(c).await
    })?;
    Ok(found.into_iter().collect())
}
