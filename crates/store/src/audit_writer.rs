//! Group commit for the audit entries of reads.
//!
//! Every read of a person's record leaves an audit entry, and an entry is not acknowledged until
//! it is on disk. Written one by one, each read would wait for a disk flush of its own and hold
//! the write lock (SQLite) or its organisation's chain head (PostgreSQL) while it did: reads
//! would queue behind each other. Instead each read hands its entries to this writer once its
//! own transaction has committed; the writer takes whatever has arrived meanwhile, writes it all
//! in one transaction and then tells every waiting read. A read does not return until its entry
//! is written.
//!
//! How durable "written" is: these commits do not wait for the disk to confirm (SQLite
//! `synchronous = NORMAL` on the writer's own connection, PostgreSQL `synchronous_commit = off`
//! for its transactions). An entry survives Carethread crashing or being killed the moment the
//! read returns; only a power cut or operating-system crash in the next instant can lose the
//! last reads' entries, and never a change to a record, which still waits for the disk (and whose
//! next flush carries the read entries before it down too). Waiting for the disk on every read
//! would cap reads at what the disk can flush, a few thousand a second here.

use crate::audit_chain::ChainedEntry;
use crate::db::Pool;
use crate::error::StoreError;
use tokio::sync::{mpsc, oneshot};

/// At most this many requests' entries share one transaction, so one slow batch cannot grow
/// without bound.
const MOST_PER_BATCH: usize = 512;

struct Job {
    entries: Vec<ChainedEntry>,
    done: oneshot::Sender<Result<(), String>>,
}

/// A handle to the writer task; cloned with the database handle.
#[derive(Clone, Debug)]
pub(crate) struct AuditWriter {
    jobs: mpsc::UnboundedSender<Job>,
    pool: Pool,
}

impl AuditWriter {
    /// Starts the writer on the current Tokio runtime.
    pub(crate) fn start(pool: Pool) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool.clone(), queue));
        AuditWriter { jobs, pool }
    }

    pub(crate) async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p, _) => p.close().await,
            // The database's own pool, closed by the caller; a scope never has a writer of its own.
            Pool::Postgres(_) | Pool::SqliteScope(_) | Pool::PostgresScope(_) => {}
        }
    }

    /// Writes `entries`, sharing the write with any other reads' entries waiting now.
    pub(crate) async fn append(&self, entries: Vec<ChainedEntry>) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        match self.jobs.send(Job { entries, done }) {
            Ok(()) => match answer.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(why)) => Err(StoreError::Corrupt(format!("the audit log could not be written: {why}"))),
                // The writer stopped with this job taken (its runtime is shutting down).
                Err(_) => Err(StoreError::Corrupt("the audit log writer stopped before writing".into())),
            },
            // No writer (the runtime that started it has ended, as between tests): write alone.
            Err(mpsc::error::SendError(job)) => write(&self.pool, job.entries).await,
        }
    }
}

async fn run(pool: Pool, mut queue: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MOST_PER_BATCH {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let (entries, waiting): (Vec<Vec<ChainedEntry>>, Vec<_>) =
            jobs.into_iter().map(|j| (j.entries, j.done)).unzip();
        let result = write(&pool, entries.into_iter().flatten().collect()).await.map_err(|e| e.to_string());
        if let Err(why) = &result {
            // Not the entries themselves: they name people.
            tracing::error!(error = %why, requests = waiting.len(), "could not write a batch of audit entries");
        }
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}

async fn write(pool: &Pool, entries: Vec<ChainedEntry>) -> Result<(), StoreError> {
    let mut tx = pool.begin_tx().await?;
    if let Pool::Postgres(_) = pool {
        exec_tx!(&mut tx, |c| sqlx::query("SET LOCAL synchronous_commit TO OFF").execute(c).await)?;
    }
    crate::audit::insert_chained(&mut tx, entries).await?;
    // The connection's own commit: this transaction holds no reads to hand on.
    tx.conn.commit().await
}
