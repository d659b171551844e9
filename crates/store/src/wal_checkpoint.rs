//! Checkpoints of SQLite's write-ahead log, run beside the writers instead of inside their
//! commits.
//!
//! Why: by default the connection whose commit takes the write-ahead log past 1,000 pages
//! copies the log into the database file and waits for the disk, inside that commit. In this
//! process a commit holds the write gate (`crate::db::WriteGate`), so every other write waited
//! for the copy too. Measured under Task searches at 1M people: checkpoints were 30% of the
//! time of the connection that moves reads' entries into the audit log (`crate::read_journal`),
//! all of it with the gate held.
//!
//! Here a connection of its own copies the log every [`EVERY`], with `PASSIVE` checkpoints:
//! they take no write lock and never wait for readers or writers, so commits no longer pay for
//! them. A commit is as durable as before: it is on disk before it is acknowledged
//! (`crate::wal_flush`), and a checkpoint waits for the database file to reach the disk before
//! the log's space is reused. Should this connection fall far behind, writers still checkpoint
//! themselves past [`FALLBACK_PAGES`].
//!
//! Each round is two checkpoints. The first copies what the log holds while writers go on
//! appending to it. The second, holding the write gate, copies the little they appended
//! meanwhile, so the log is copied to its end and the next write starts it again from the
//! beginning. Without that second step a log written to without pause was never copied to its
//! end, and grew until writers checkpointed it themselves at 80 MiB (measured under votes and
//! Task creates): every read then searched a large log index, and reads fell by a quarter.

use crate::db::WriteGate;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use std::time::Duration;

/// How often the log is copied into the database file. At a few thousand writes a second the
/// log grows by a few megabytes in this time; pages written again in the meantime are copied once.
const EVERY: Duration = Duration::from_millis(250);

/// Past this many pages (80 MiB at 4 KiB), a committing connection checkpoints as SQLite does by
/// default: the log cannot grow without bound if this connection cannot keep up or has stopped.
pub(crate) const FALLBACK_PAGES: &str = "20000";

/// The connection that checkpoints; closed with the database.
#[derive(Clone, Debug)]
pub(crate) struct Checkpointer {
    pool: SqlitePool,
}

impl Checkpointer {
    /// Opens its connection with the database's `options` and starts checkpointing on the
    /// current Tokio runtime, taking turns with writers at the write `gate` for the end of each
    /// round.
    pub(crate) async fn start(options: SqliteConnectOptions, gate: WriteGate) -> Result<Self, sqlx::Error> {
        let pool = SqlitePoolOptions::new().max_connections(1).test_before_acquire(false).connect_with(options).await?;
        tokio::spawn(keep_checkpointing(pool.clone(), gate));
        Ok(Checkpointer { pool })
    }

    /// Stops checkpointing. The last connection to close copies what is left, as SQLite does.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

async fn keep_checkpointing(pool: SqlitePool, gate: WriteGate) {
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = checkpoint(&pool, &gate).await {
            if pool.is_closed() {
                return;
            }
            // Writers checkpoint themselves past `FALLBACK_PAGES`; this tries again at the next tick.
            tracing::warn!(error = %e, "could not checkpoint the database's write-ahead log");
        }
    }
}

/// One round: the log as it is, then, with writers held back, what they added meanwhile.
async fn checkpoint(pool: &SqlitePool, gate: &WriteGate) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await?;
    let _turn = gate.hold_back_writers().await;
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(pool).await?;
    Ok(())
}
