//! Group commit for SQLite writes: a write is acknowledged only once its commit is on disk, but
//! one flush of the write-ahead log covers every commit made before it began, and the flush runs
//! after the writer has handed the write gate on.
//!
//! Why: with `synchronous = FULL`, SQLite flushes the log inside every commit, so each writer's
//! turn at the gate (`crate::db::WriteGate`) included a wait for the disk, and writes queued for
//! it one by one. Measured at 1M people, once checkpoints had left the commits: commits without
//! that flush took Task creates from 1,299-1,448 to 1,877-1,884 a second, and votes from
//! 1,462-1,611 to 2,211-2,258.
//!
//! How: the write connection commits with `synchronous = NORMAL`: SQLite writes the commit to
//! the log but does not flush it. The transaction counts itself written ([`WalFlush::written`]),
//! gives up its turn, and waits ([`WalFlush::on_disk`]) until a flush that began after its
//! commit has finished. One waiter flushes for everyone written so far; the next writer's
//! transaction runs meanwhile, and waiters whose commits that flush covered return at once.
//!
//! What stays as it was: nothing is acknowledged before its commit is on disk, as with FULL; a
//! commit that never reached the disk was never acknowledged, and SQLite's recovery ignores it.
//! Checkpoints flush the log before copying it into the database file, in NORMAL as in FULL.

use crate::error::StoreError;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The write-ahead log of one database file, and how far it is known to be on disk.
#[derive(Debug)]
pub(crate) struct WalFlush {
    /// `<database>-wal`.
    wal: PathBuf,
    /// The folder holding it: a new log file's name must reach the disk too.
    folder: PathBuf,
    /// Commits written to the log by this process so far.
    written: AtomicU64,
    /// Held by the waiter that is flushing, so the others wait for its flush instead of each
    /// making one.
    flushed: tokio::sync::Mutex<Flushed>,
    /// Flushes made, for the tests.
    #[cfg(test)]
    flushes: AtomicU64,
}

#[derive(Debug, Default)]
struct Flushed {
    /// Every commit numbered up to this is on disk.
    upto: u64,
    /// The log file last flushed (its inode): SQLite makes a new one after the last connection
    /// closes, and a new file's entry in its folder is flushed once.
    file: Option<u64>,
}

impl WalFlush {
    pub(crate) fn new(database: &str) -> Self {
        let wal = PathBuf::from(format!("{database}-wal"));
        let folder = match wal.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        WalFlush {
            wal,
            folder,
            written: AtomicU64::new(0),
            flushed: Default::default(),
            #[cfg(test)]
            flushes: AtomicU64::new(0),
        }
    }

    /// Counts a commit as written to the log; call it once the commit has returned. Answers the
    /// number to pass to [`WalFlush::on_disk`].
    pub(crate) fn written(&self) -> u64 {
        self.written.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Waits until commit number `commit` is on disk, flushing the log if no flush that began
    /// after it has finished.
    pub(crate) async fn on_disk(&self, commit: u64) -> Result<(), StoreError> {
        let mut flushed = self.flushed.lock().await;
        if flushed.upto >= commit {
            return Ok(());
        }
        // Read before flushing: every commit counted by now has been written, so this flush
        // covers them all.
        let upto = self.written.load(Ordering::SeqCst);
        let (wal, folder, known) = (self.wal.clone(), self.folder.clone(), flushed.file);
        let file = tokio::task::spawn_blocking(move || flush(&wal, &folder, known))
            .await
            .map_err(|_| StoreError::Corrupt("the flush of the database's write-ahead log stopped".into()))?
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "the database's write-ahead log could not be flushed to disk ({e}); \
                     the last change may not have been saved"
                ))
            })?;
        *flushed = Flushed { upto, file: file.or(known) };
        #[cfg(test)]
        self.flushes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Flushes the log file (and, when it is a new file, its folder); answers its inode. No log
/// file means the last connection closed, which checkpointed the log into the database file,
/// flushed it, and removed the log: nothing is left to flush.
fn flush(wal: &Path, folder: &Path, known: Option<u64>) -> std::io::Result<Option<u64>> {
    let file = match std::fs::File::open(wal) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    file.sync_data()?;
    let inode = file.metadata()?.ino();
    if known != Some(inode) {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(Some(inode))
}

#[cfg(test)]
mod tests {
    use super::WalFlush;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    fn database(name: &str) -> String {
        let dir = std::env::temp_dir().join("carethread-tests");
        std::fs::create_dir_all(&dir).expect("make the test folder");
        dir.join(format!("{name}-{}.db", uuid::Uuid::now_v7().simple())).display().to_string()
    }

    #[tokio::test]
    async fn one_flush_covers_every_commit_written_before_it_began() {
        let db = database("wal_flush");
        std::fs::write(format!("{db}-wal"), b"frames").expect("write a log");
        let disk = WalFlush::new(&db);
        let (first, second, third) = (disk.written(), disk.written(), disk.written());
        disk.on_disk(third).await.expect("flush");
        disk.on_disk(first).await.expect("already on disk");
        disk.on_disk(second).await.expect("already on disk");
        assert_eq!(disk.flushes.load(Ordering::SeqCst), 1, "the first flush covered all three");
        // A commit written after that flush began needs one of its own.
        let fourth = disk.written();
        disk.on_disk(fourth).await.expect("flush");
        assert_eq!(disk.flushes.load(Ordering::SeqCst), 2);
        std::fs::remove_file(format!("{db}-wal")).expect("tidy up");
    }

    #[tokio::test]
    async fn writers_waiting_at_once_share_flushes_and_all_return() {
        let db = database("wal_flush_many");
        std::fs::write(format!("{db}-wal"), b"frames").expect("write a log");
        let disk = Arc::new(WalFlush::new(&db));
        let waiting: Vec<_> = (0..64)
            .map(|_| {
                let disk = disk.clone();
                tokio::spawn(async move {
                    let commit = disk.written();
                    disk.on_disk(commit).await
                })
            })
            .collect();
        for w in waiting {
            w.await.expect("the task ran").expect("on disk");
        }
        let flushes = disk.flushes.load(Ordering::SeqCst);
        assert!((1..64).contains(&flushes), "{flushes} flushes for 64 commits: they were not shared");
        std::fs::remove_file(format!("{db}-wal")).expect("tidy up");
    }

    #[tokio::test]
    async fn no_log_file_means_nothing_is_left_to_flush() {
        // The last connection to close checkpoints the log into the database file and removes it.
        let disk = WalFlush::new(&database("wal_flush_gone"));
        let commit = disk.written();
        disk.on_disk(commit).await.expect("nothing to flush is not an error");
    }
}
