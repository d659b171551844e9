//! Group commit for the audit entries of reads.
//!
//! Every read of a person's record leaves an audit entry, and an entry is not acknowledged until
//! it is written. Written one by one, each read would wait for a commit of its own and hold the
//! write lock (SQLite) or its organisation's chain head (PostgreSQL) while it did: reads would
//! queue behind each other. Instead each read hands its entries to this writer once its own
//! transaction has committed; the writer takes whatever has arrived meanwhile, writes it all in
//! one transaction and then tells every waiting read. A read does not return until its entry is
//! written.
//!
//! Where they are written: on PostgreSQL straight into the audit log; on SQLite into the read
//! journal, from which they move into the log in batches (`crate::read_journal` says why).
//!
//! How durable "written" is: these commits do not wait for the disk to confirm (SQLite
//! `synchronous = NORMAL` on the journal, PostgreSQL `synchronous_commit = off` for the writer's
//! transactions). An entry survives Carethread crashing or being killed the moment the read
//! returns; only a power cut or operating-system crash in the next instant can lose the last
//! reads' entries, and never a change to a record, which still waits for the disk. Waiting for
//! the disk on every read would cap reads at what the disk can flush, a few thousand a second
//! here.

use crate::audit_chain::ChainedEntry;
use crate::db::Pool;
use crate::error::StoreError;
use crate::read_journal::Journal;
use tokio::sync::{mpsc, oneshot};

/// At most this many requests' entries share one transaction, so one slow batch cannot grow
/// without bound.
const MOST_PER_BATCH: usize = 512;

struct Job {
    entries: Vec<ChainedEntry>,
    done: oneshot::Sender<Result<(), String>>,
}

/// Where the writer puts reads' entries.
#[derive(Clone, Debug)]
pub(crate) enum Sink {
    /// Straight into the audit log (PostgreSQL).
    Log(Pool),
    /// Into the read journal, which moves them into the log (SQLite).
    Journal(Journal),
}

/// A handle to the writer task; cloned with the database handle.
#[derive(Clone, Debug)]
pub(crate) struct AuditWriter {
    jobs: mpsc::UnboundedSender<Job>,
    sink: Sink,
}

impl AuditWriter {
    /// Starts the writer on the current Tokio runtime, and for a journal the task that moves
    /// its entries into the log.
    pub(crate) fn start(sink: Sink) -> Self {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(sink.clone(), queue));
        if let Sink::Journal(journal) = &sink {
            tokio::spawn(journal.clone().keep_moving());
        }
        AuditWriter { jobs, sink }
    }

    /// The read journal its entries wait in, on SQLite.
    #[cfg(feature = "testing")]
    pub(crate) fn journal(&self) -> Option<&Journal> {
        match &self.sink {
            Sink::Journal(journal) => Some(journal),
            Sink::Log(_) => None,
        }
    }

    /// Makes every entry acknowledged so far part of the audit log, for a reader of the log.
    pub(crate) async fn settle(&self) -> Result<(), StoreError> {
        match &self.sink {
            // Already there: a read is acknowledged once its entry is in the log.
            Sink::Log(_) => Ok(()),
            Sink::Journal(journal) => journal.settle().await,
        }
    }

    /// Moves what the journal holds into the log and stops the writer's connections. The
    /// PostgreSQL writer uses the database's own pool, closed by the caller.
    pub(crate) async fn close(&self) -> Result<(), StoreError> {
        match &self.sink {
            Sink::Log(_) => Ok(()),
            Sink::Journal(journal) => journal.close().await,
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
            Err(mpsc::error::SendError(job)) => write(&self.sink, job.entries).await,
        }
    }
}

async fn run(sink: Sink, mut queue: mpsc::UnboundedReceiver<Job>) {
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
        let result = write(&sink, entries.into_iter().flatten().collect()).await.map_err(|e| e.to_string());
        if let Err(why) = &result {
            // Not the entries themselves: they name people.
            tracing::error!(error = %why, requests = waiting.len(), "could not write a batch of audit entries");
        }
        for done in waiting {
            let _ = done.send(result.clone());
        }
    }
}

async fn write(sink: &Sink, entries: Vec<ChainedEntry>) -> Result<(), StoreError> {
    let pool = match sink {
        Sink::Journal(journal) => return journal.append(entries).await,
        Sink::Log(pool) => pool,
    };
    let mut tx = pool.begin_tx().await?;
    if let Pool::Postgres(_) = pool {
        exec_tx!(&mut tx, |c| sqlx::query("SET LOCAL synchronous_commit TO OFF").execute(c).await)?;
    }
    crate::audit::insert_chained(&mut tx, entries).await?;
    // This transaction holds no reads to hand on.
    tx.commit_alone().await
}
