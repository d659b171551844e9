//! The database handle. `Db` holds a pool for one of the two backends; `Tx` an open transaction.
//!
//! Queries are written once, in SQL both backends accept (`$1`-style parameters work on both),
//! and the [`on_tx!`] / [`on_pool!`] macros expand the same code for each backend's types. This
//! keeps one copy of each query without sqlx's `Any` driver, which loses type information.

use crate::audit_chain::ChainedEntry;
use crate::audit_writer::AuditWriter;
use crate::error::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Postgres, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A pool for one backend, and the audit log's group-commit writer (module `audit_writer`).
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) pool: Pool,
    audit: AuditWriter,
}

/// On SQLite, one writer at a time within this process, queued here rather than on SQLite's
/// busy handler: that handler sleeps and polls (1, 2, 5 ... 100 ms), so under load a waiting
/// write slept long after the lock was free (p99 of 380 ms for FHIR writes, measured), while
/// this queue wakes the next writer the moment the last commits. Other processes still meet the
/// busy timeout as before.
pub(crate) type WriteGate = std::sync::Arc<tokio::sync::Mutex<()>>;

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls everything back.
pub struct Tx {
    pub(crate) conn: TxConn,
    /// Held until the transaction ends (SQLite writes only).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Audit entries of reads made in this transaction: written by the group-commit writer once
    /// the transaction has committed, and durable before `commit` returns.
    pub(crate) reads: Vec<ChainedEntry>,
    /// `None` for the writer's own transactions, which record no reads.
    audit: Option<AuditWriter>,
}

pub(crate) enum TxConn {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$c` bound to the transaction's connection, for whichever backend it is.
macro_rules! on_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match &mut ($tx).conn {
            $crate::db::TxConn::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::TxConn::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Like [`on_tx!`] for a statement run with `.execute(c)`: yields the number of rows it affected,
/// since the two backends' result types differ.
macro_rules! exec_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match &mut ($tx).conn {
            $crate::db::TxConn::Sqlite(t) => {
                let $c = &mut **t;
                $body.map(|r| r.rows_affected())
            }
            $crate::db::TxConn::Postgres(t) => {
                let $c = &mut **t;
                $body.map(|r| r.rows_affected())
            }
        }
    };
}

/// Runs `$body` with `$p` bound to the pool, for whichever backend it is.
macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match &($db).pool {
            $crate::db::Pool::Sqlite($p, _) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}

impl Db {
    /// Opens the database named by `url` (`sqlite://PATH`, `sqlite::memory:` is refused because
    /// each pooled connection would see its own empty database; `postgres://...`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            if path.is_empty() || path.starts_with(":memory:") {
                return Err(StoreError::BadUrl(url.to_string()));
            }
            let options = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a commit is on disk before it is acknowledged, even across power loss.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool =
                SqlitePoolOptions::new().max_connections(8).min_connections(1).connect_with(options.clone()).await?;
            // The audit writer's own connection: see `audit_writer` for why NORMAL is enough there.
            let audit = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.synchronous(SqliteSynchronous::Normal))
                .await?;
            let gate = WriteGate::default();
            Ok(Db { pool: Pool::Sqlite(pool, gate.clone()), audit: AuditWriter::start(Pool::Sqlite(audit, gate)) })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(redact(url)))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db { audit: AuditWriter::start(Pool::Postgres(pool.clone())), pool: Pool::Postgres(pool) })
        } else {
            Err(StoreError::BadUrl(redact(url)))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(..) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Brings the schema up to date. Safe to run at every start-up and from several processes.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p, _) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// The migration versions this build knows for a backend, for the parity test.
    pub fn migration_versions(backend: Backend) -> Vec<(i64, String)> {
        let m = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        m.iter().map(|m| (m.version, m.description.to_string())).collect()
    }

    /// Answers whether the database responds.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: (i32,) = on_pool!(self, |p| sqlx::query_as("SELECT 1").fetch_one(p).await)?;
        Ok(())
    }

    /// Starts a transaction that will write: on SQLite it waits for its turn at the write gate
    /// and takes the write lock at once (`BEGIN IMMEDIATE`).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let (conn, turn) = self.pool.begin().await?;
        Ok(Tx { conn, _turn: turn, reads: Vec::new(), audit: Some(self.audit.clone()) })
    }

    /// Starts a transaction that only reads (its audit entries are written after it, see
    /// [`Tx::commit`]). On SQLite it takes no write lock, so reads run side by side with each
    /// other and with a writer; on PostgreSQL it is `READ ONLY`, so a write slipped into a read
    /// fails loudly in the tests instead of going unnoticed.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        let conn = match &self.pool {
            Pool::Sqlite(p, _) => TxConn::Sqlite(p.begin_with("BEGIN DEFERRED").await?),
            Pool::Postgres(p) => TxConn::Postgres(begin_postgres(p, "BEGIN READ ONLY").await?),
        };
        Ok(Tx { conn, _turn: None, reads: Vec::new(), audit: Some(self.audit.clone()) })
    }

    /// Writes a consistent copy of a SQLite database to `path` while it stays in use.
    /// PostgreSQL backups are taken with `pg_dump` by the caller.
    pub async fn sqlite_backup(&self, path: &str) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p, _) => {
                sqlx::query("VACUUM INTO $1").bind(path).execute(p).await?;
                Ok(())
            }
            Pool::Postgres(_) => Err(StoreError::BadUrl("VACUUM INTO is for SQLite".into())),
        }
    }

    /// The names of every table and its columns, sorted: used to check both schemas agree.
    pub async fn schema_columns(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut cols: Vec<(String, String)> = match &self.pool {
            Pool::Sqlite(p, _) => {
                sqlx::query_as(
                    "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
                )
                .fetch_all(p)
                .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
                )
                .fetch_all(p)
                .await?
            }
        };
        cols.sort();
        Ok(cols)
    }

    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await);
        self.audit.close().await;
    }
}

impl Pool {
    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of one failing
    /// half-way when it tries to upgrade a read lock.
    /// On SQLite the caller also gets its turn at the write gate, to hold until it ends.
    pub(crate) async fn begin(&self) -> Result<(TxConn, Option<tokio::sync::OwnedMutexGuard<()>>), StoreError> {
        Ok(match self {
            Pool::Sqlite(p, gate) => {
                // As long as SQLite's own busy timeout: a write still waiting then is refused.
                let turn = tokio::time::timeout(Duration::from_secs(10), gate.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Invalid("The database is busy. Try again in a moment."))?;
                (TxConn::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?), Some(turn))
            }
            Pool::Postgres(p) => (TxConn::Postgres(begin_postgres(p, "BEGIN").await?), None),
        })
    }

    /// A transaction of the audit writer's own, which records no reads.
    pub(crate) async fn begin_tx(&self) -> Result<Tx, StoreError> {
        let (conn, turn) = self.begin().await?;
        Ok(Tx { conn, _turn: turn, reads: Vec::new(), audit: None })
    }
}

/// Starts a PostgreSQL transaction in a task of its own, so that a request dropped half-way (a
/// client that hangs up) cannot stop it between sending `BEGIN` and reading the answer. sqlx
/// 0.9.0 leaves a session stopped there inside the transaction and gives it to the next
/// borrower, whose pooled writes then wait uncommitted and whose own writes fail if the stray
/// transaction was `READ ONLY` (transact-rs/sqlx#4393; the benchmark met both). Run to its end,
/// an unwanted transaction is dropped like any other and rolled back before its connection is
/// reused.
async fn begin_postgres(pool: &PgPool, statement: &'static str) -> Result<Transaction<'static, Postgres>, StoreError> {
    let pool = pool.clone();
    match tokio::spawn(async move { pool.begin_with(statement).await }).await {
        Ok(began) => Ok(began?),
        // Only a panic inside sqlx ends the task early; say so rather than pass it on.
        Err(_) => Err(StoreError::Db(sqlx::Error::WorkerCrashed)),
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Commits, then makes the audit entries of the reads in it durable before returning, so
    /// nothing read leaves the server unaudited. Many requests' read entries share one write
    /// (group commit): a read no longer costs a disk flush of its own.
    pub async fn commit(mut self) -> Result<(), StoreError> {
        let reads = std::mem::take(&mut self.reads);
        if reads.is_empty() {
            return self.conn.commit().await;
        }
        match self.audit.take() {
            Some(writer) => {
                let Tx { conn, _turn: turn, .. } = self;
                conn.commit().await?;
                // The writer takes the write gate itself: give this transaction's turn back first.
                drop(turn);
                writer.append(reads).await
            }
            // No writer: the entries go into this transaction, as any other audit entry does.
            None => {
                crate::audit::insert_chained(&mut self, reads).await?;
                self.conn.commit().await
            }
        }
    }
}

impl TxConn {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A database URL with any password removed, safe to show in an error or a log.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(super::redact("postgres://ct:secret@db/ct"), "postgres://ct:***@db/ct");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
