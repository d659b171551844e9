//! The database handle. `Db` holds a pool for one of the two backends; `Tx` an open transaction.
//!
//! Queries are written once, in SQL both backends accept (`$1`-style parameters work on both),
//! and the [`on_tx!`] / [`on_pool!`] macros expand the same code for each backend's types. This
//! keeps one copy of each query without sqlx's `Any` driver, which loses type information.

use crate::audit_chain::ChainedEntry;
use crate::audit_writer::{AuditWriter, Sink};
use crate::error::StoreError;
use crate::read_journal::Journal;
use crate::wal_checkpoint::Checkpointer;
use crate::wal_flush::WalFlush;
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
    pub(crate) audit: AuditWriter,
    /// SQLite's: copies the write-ahead log into the database file, beside the writers.
    checkpointer: Option<Checkpointer>,
}

/// On SQLite, where this process writes: one transaction at a time, through one connection.
/// The write connection's page cache (KiB, as SQLite's `cache_size` takes a negative number).
const WRITER_CACHE: &str = "-8192";

#[derive(Clone, Debug)]
pub(crate) struct WriteGate {
    /// Writers queue here rather than on SQLite's busy handler: that handler sleeps and polls
    /// (1, 2, 5 ... 100 ms), so under load a waiting write slept long after the lock was free
    /// (p99 of 380 ms for FHIR writes, measured), while this queue wakes the next writer the
    /// moment the last commits. Other processes still meet the busy timeout as before.
    queue: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The one connection every write transaction uses (and the read journal's mover). SQLite
    /// empties a connection's page cache when someone else has written since its last
    /// transaction; writes spread over the shared pool each began cold and read back the pages
    /// they change (about 90 reads from the operating system per FHIR create, measured). Writes
    /// take turns anyway, so one connection loses nothing and keeps its cache from one write to
    /// the next. It commits without waiting for the disk: see [`Turn`].
    conn: SqlitePool,
    disk: std::sync::Arc<WalFlush>,
}

/// A writer's turn at the SQLite write gate, held until its transaction ends.
///
/// The write connection commits with `synchronous = NORMAL`, so a commit is not yet on disk
/// when it returns: end a committed turn with [`Turn::committed`] (or, to keep the gate while
/// waiting, [`Turn::written`] then [`Turn::on_disk`]), never by dropping it. Dropping is for a
/// transaction that did not commit.
pub(crate) struct Turn {
    _held: tokio::sync::OwnedMutexGuard<()>,
    disk: std::sync::Arc<WalFlush>,
}

impl Turn {
    /// After this turn's transaction has committed: hands the gate to the next writer, then
    /// waits until the commit is on disk (`wal_flush` says why in that order).
    pub(crate) async fn committed(self) -> Result<(), StoreError> {
        let commit = self.written();
        let Turn { _held, disk } = self;
        drop(_held);
        disk.on_disk(commit).await
    }

    /// Counts this turn's transaction, just committed, as written; answers its number.
    pub(crate) fn written(&self) -> u64 {
        self.disk.written()
    }

    /// Waits, keeping the gate, until commit number `commit` is on disk.
    pub(crate) async fn on_disk(&self, commit: u64) -> Result<(), StoreError> {
        self.disk.on_disk(commit).await
    }
}

impl WriteGate {
    /// Waits for a turn at the gate that writes nothing: no writer of this process starts until
    /// it is dropped.
    pub(crate) async fn hold_back_writers(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.queue.clone().lock_owned().await
    }
}

impl std::fmt::Debug for Turn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Turn")
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
    /// One open transaction that every query made through this handle runs in: see [`Db::scope`].
    SqliteScope(Held<Sqlite>),
    PostgresScope(Held<Postgres>),
}

/// The shared transaction of a [`Scoped`] handle, one query or inner transaction at a time.
pub(crate) type Held<DB> = std::sync::Arc<tokio::sync::Mutex<Scope<DB>>>;

/// The state of an outer transaction that others nest in as savepoints.
pub(crate) struct Scope<DB: sqlx::Database> {
    /// `None` once the scope has been committed or rolled back.
    outer: Option<Transaction<'static, DB>>,
    /// An inner transaction ended without committing: its savepoint is rolled back before the
    /// connection is used again.
    undo: bool,
    /// Audit entries of the reads made inside: written once the scope ends, whichever way.
    reads: Vec<ChainedEntry>,
    /// A scope opened to read only ([`Db::read_scope`]): a write transaction inside is refused.
    reads_only: bool,
    /// The SQLite write gate's turn, held for the whole scope.
    turn: Option<Turn>,
}

impl<DB: sqlx::Database> std::fmt::Debug for Scope<DB> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").field("open", &self.outer.is_some()).finish_non_exhaustive()
    }
}

/// Takes the scope's connection for one query or inner transaction, first undoing an inner
/// transaction that ended without committing. Waits as long as a write waits at the gate.
pub(crate) async fn hold<DB: sqlx::Database>(
    held: &Held<DB>,
) -> Result<tokio::sync::OwnedMutexGuard<Scope<DB>>, sqlx::Error>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let mut scope = tokio::time::timeout(Duration::from_secs(10), held.clone().lock_owned())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)?;
    let undo = std::mem::take(&mut scope.undo);
    let Some(outer) = scope.outer.as_deref_mut() else {
        return Err(sqlx::Error::PoolClosed);
    };
    if undo {
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT inner_tx; RELEASE SAVEPOINT inner_tx").execute(outer).await?;
    }
    Ok(scope)
}

impl<DB: sqlx::Database> Scope<DB> {
    /// The open transaction's connection. Only reached through [`hold`], which has checked that
    /// the scope is still open, and it cannot end while held.
    pub(crate) fn conn(&mut self) -> &mut DB::Connection {
        self.outer.as_deref_mut().expect("a held scope is open")
    }
}

/// A transaction's connection: a transaction of its own, or a savepoint inside a scope.
pub(crate) enum Conn<DB: sqlx::Database> {
    Own(Transaction<'static, DB>),
    Nested(Savepoint<DB>),
}

/// An inner transaction of a scope. Dropped without [`Conn::commit`], it is undone the next
/// time the scope's connection is used (Drop cannot run a query).
pub(crate) struct Savepoint<DB: sqlx::Database> {
    scope: tokio::sync::OwnedMutexGuard<Scope<DB>>,
    /// A savepoint is open, to be released at commit or undone if dropped.
    open: bool,
}

impl<DB: sqlx::Database> Drop for Savepoint<DB> {
    fn drop(&mut self) {
        if self.open {
            self.scope.undo = true;
        }
    }
}

impl<DB: sqlx::Database> std::ops::Deref for Conn<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            Conn::Own(t) => t,
            Conn::Nested(s) => s.scope.outer.as_deref().expect("a held scope is open"),
        }
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for Conn<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Conn::Own(t) => t,
            Conn::Nested(s) => s.scope.conn(),
        }
    }
}

impl<DB: sqlx::Database> Conn<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    /// A savepoint in the scope, taking its connection until the inner transaction ends; for a
    /// transaction that will `write`, refused in a scope opened to read only. A read in a scope
    /// that only reads takes no savepoint: it has nothing to undo, and the two statements a
    /// savepoint costs would be most of an export's round trips.
    async fn nested(held: &Held<DB>, write: bool) -> Result<Self, StoreError> {
        let mut scope = hold(held).await?;
        if scope.reads_only {
            if write {
                return Err(StoreError::Corrupt("a write was started inside a scope opened to read only".into()));
            }
            return Ok(Conn::Nested(Savepoint { scope, open: false }));
        }
        sqlx::raw_sql("SAVEPOINT inner_tx").execute(scope.conn()).await?;
        Ok(Conn::Nested(Savepoint { scope, open: true }))
    }

    async fn commit(self) -> Result<(), StoreError> {
        match self {
            Conn::Own(t) => t.commit().await?,
            Conn::Nested(mut s) if s.open => {
                sqlx::raw_sql("RELEASE SAVEPOINT inner_tx").execute(s.scope.conn()).await?;
                s.open = false;
            }
            Conn::Nested(_) => {}
        }
        Ok(())
    }

    /// Keeps a nested transaction's read entries in its scope, to be written when the scope
    /// ends; hands back those of a transaction of its own.
    fn keep_reads(&mut self, reads: Vec<ChainedEntry>) -> Vec<ChainedEntry> {
        match self {
            Conn::Own(_) => reads,
            Conn::Nested(s) => {
                s.scope.reads.extend(reads);
                Vec::new()
            }
        }
    }
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
    pub(crate) turn: Option<Turn>,
    /// Audit entries of reads made in this transaction: written by the group-commit writer once
    /// the transaction has committed, and durable before `commit` returns.
    pub(crate) reads: Vec<ChainedEntry>,
    /// `None` for the writer's own transactions, which record no reads.
    audit: Option<AuditWriter>,
}

pub(crate) enum TxConn {
    Sqlite(Conn<Sqlite>),
    Postgres(Conn<Postgres>),
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

/// Runs `$body` with `$p` bound to the pool, for whichever backend it is; in a scope, to the
/// scope's connection, so the query sees what the scope has written. `$body` yields a
/// `Result<_, sqlx::Error>`.
macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match &($db).pool {
            $crate::db::Pool::Sqlite($p, _) => $body,
            $crate::db::Pool::Postgres($p) => $body,
            $crate::db::Pool::SqliteScope(held) => match $crate::db::hold(held).await {
                Ok(mut scope) => {
                    let $p = scope.conn();
                    $body
                }
                Err(e) => Err(e),
            },
            $crate::db::Pool::PostgresScope(held) => match $crate::db::hold(held).await {
                Ok(mut scope) => {
                    let $p = scope.conn();
                    $body
                }
                Err(e) => Err(e),
            },
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
                // FULL: a commit is on disk before it is acknowledged, even across power loss. The
                // write connection commits in NORMAL and flushes the log itself (`wal_flush`).
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Checkpoints are the checkpointer's work, not a commit's (see `wal_checkpoint`).
                .pragma("wal_autocheckpoint", crate::wal_checkpoint::FALLBACK_PAGES);
            // No liveness ping before handing out a connection (sqlx's default): an embedded
            // database cannot hang up, and the ping is a round trip to the connection's worker
            // thread that every request paid before its first query, once per acquire.
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .min_connections(1)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            // The write connection (see `WriteGate`). The read journal's mover writes through it
            // too, and its batches touch pages all over the audit log's indexes: with SQLite's
            // default 2 MiB cache it spilled them mid-transaction, through a statement journal in
            // a temporary file (a third of its time, measured), so it keeps 8 MiB and its
            // temporary data in memory.
            let conn = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .test_before_acquire(false)
                .connect_with(
                    options
                        .clone()
                        .synchronous(SqliteSynchronous::Normal)
                        .pragma("cache_size", WRITER_CACHE)
                        .pragma("temp_store", "memory"),
                )
                .await?;
            let disk = std::sync::Arc::new(WalFlush::new(path));
            let gate = WriteGate { queue: Default::default(), conn, disk };
            let checkpointer = Checkpointer::start(options, gate.clone()).await?;
            let pool = Pool::Sqlite(pool, gate);
            let journal = Journal::open(path, pool.clone()).await?;
            Ok(Db { pool, audit: AuditWriter::start(Sink::Journal(journal)), checkpointer: Some(checkpointer) })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::BadUrl(redact(url)))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db {
                audit: AuditWriter::start(Sink::Log(Pool::Postgres(pool.clone()))),
                pool: Pool::Postgres(pool),
                checkpointer: None,
            })
        } else {
            Err(StoreError::BadUrl(redact(url)))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(..) | Pool::SqliteScope(_) => Backend::Sqlite,
            Pool::Postgres(_) | Pool::PostgresScope(_) => Backend::Postgres,
        }
    }

    /// Brings the schema up to date. Safe to run at every start-up and from several processes.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p, _) => SQLITE_MIGRATIONS.run(p).await?,
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
            Pool::SqliteScope(_) | Pool::PostgresScope(_) => return Err(in_scope("migrate")),
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
        Ok(Tx { conn, turn, reads: Vec::new(), audit: Some(self.audit.clone()) })
    }

    /// Opens one transaction that everything done through the returned handle's `db` joins:
    /// each of its transactions becomes a savepoint inside, and each query runs on its
    /// connection and sees what was written before. Nothing is visible to anyone else until
    /// [`Scoped::commit`]; dropped or rolled back, none of it happened. For a FHIR transaction
    /// Bundle, whose entries are ordinary requests that must succeed or fail together.
    pub async fn scope(&self) -> Result<Scoped, StoreError> {
        let (conn, turn) = self.pool.begin().await?;
        let pool = match conn {
            TxConn::Sqlite(Conn::Own(t)) => Pool::SqliteScope(Scope::start(t, turn, false)),
            TxConn::Postgres(Conn::Own(t)) => Pool::PostgresScope(Scope::start(t, turn, false)),
            TxConn::Sqlite(Conn::Nested(_)) | TxConn::Postgres(Conn::Nested(_)) => {
                return Err(in_scope("open a scope"));
            }
        };
        Ok(Scoped { db: Db { pool, audit: self.audit.clone(), checkpointer: None } })
    }

    /// A scope that only reads: one read transaction (as [`Db::read`] starts) that every read
    /// through the returned handle's `db` joins, and in which a write transaction is refused (and
    /// on PostgreSQL any write at all, the transaction being read only). A long run of
    /// reads (an export, person by person) then sees one snapshot of the record, keeps SQLite's
    /// page cache (which a new transaction drops whenever anything was written meanwhile, as
    /// audit entries always are), and hands its reads' audit entries to the writer once, when
    /// the scope ends, instead of waiting for them after every read. Keep it short: SQLite
    /// cannot checkpoint its log past a snapshot still open.
    pub async fn read_scope(&self) -> Result<Scoped, StoreError> {
        let pool = match &self.pool {
            Pool::Sqlite(p, _) => Pool::SqliteScope(Scope::start(p.begin_with("BEGIN DEFERRED").await?, None, true)),
            Pool::Postgres(p) => {
                // Repeatable read: one snapshot for the whole scope, as SQLite's read transaction has.
                let outer = begin_postgres(p, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
                Pool::PostgresScope(Scope::start(outer, None, true))
            }
            Pool::SqliteScope(_) | Pool::PostgresScope(_) => return Err(in_scope("open a scope")),
        };
        Ok(Scoped { db: Db { pool, audit: self.audit.clone(), checkpointer: None } })
    }

    /// Whether this handle runs inside a scope (see [`Db::scope`]).
    pub fn in_scope(&self) -> bool {
        matches!(self.pool, Pool::SqliteScope(_) | Pool::PostgresScope(_))
    }

    /// Inside a scope, makes any other scope that asks for the same `key` wait until this one
    /// ends: so a search and the create it decides on (If-None-Exist) cannot interleave with the
    /// same pair elsewhere. PostgreSQL takes a transaction-level advisory lock; SQLite's scopes
    /// already run one at a time, each holding the write lock from its start.
    pub async fn lock_in_scope(&self, key: &str) -> Result<(), StoreError> {
        match &self.pool {
            Pool::PostgresScope(held) => {
                let mut scope = hold(held).await?;
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))").bind(key).execute(scope.conn()).await?;
                Ok(())
            }
            Pool::SqliteScope(_) => Ok(()),
            Pool::Sqlite(..) | Pool::Postgres(_) => {
                Err(StoreError::Corrupt("a scope's lock is taken inside a scope".into()))
            }
        }
    }

    /// Starts a transaction that only reads (its audit entries are written after it, see
    /// [`Tx::commit`]). On SQLite it takes no write lock, so reads run side by side with each
    /// other and with a writer; on PostgreSQL it is `READ ONLY`, so a write slipped into a read
    /// fails loudly in the tests instead of going unnoticed.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        let conn = match &self.pool {
            Pool::Sqlite(p, _) => TxConn::Sqlite(Conn::Own(p.begin_with("BEGIN DEFERRED").await?)),
            Pool::Postgres(p) => TxConn::Postgres(Conn::Own(begin_postgres(p, "BEGIN READ ONLY").await?)),
            Pool::SqliteScope(held) => TxConn::Sqlite(Conn::nested(held, false).await?),
            Pool::PostgresScope(held) => TxConn::Postgres(Conn::nested(held, false).await?),
        };
        Ok(Tx { conn, turn: None, reads: Vec::new(), audit: Some(self.audit.clone()) })
    }

    /// Writes a consistent copy of a SQLite database to `path` while it stays in use.
    /// PostgreSQL backups are taken with `pg_dump` by the caller.
    pub async fn sqlite_backup(&self, path: &str) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(p, _) => {
                // The copy's audit log holds every read acknowledged before the backup began.
                self.settle_audit().await?;
                sqlx::query("VACUUM INTO $1").bind(path).execute(p).await?;
                Ok(())
            }
            Pool::Postgres(_) => Err(StoreError::BadUrl("VACUUM INTO is for SQLite".into())),
            Pool::SqliteScope(_) | Pool::PostgresScope(_) => Err(in_scope("back up")),
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
            Pool::SqliteScope(_) | Pool::PostgresScope(_) => return Err(in_scope("list the schema")),
        };
        cols.sort();
        Ok(cols)
    }

    /// Makes the audit entries of every read acknowledged so far part of the audit log, for
    /// whatever reads the log next (on SQLite they wait in the read journal for up to a second:
    /// see `read_journal`). Inside a scope it does nothing: a scope that writes holds the write
    /// lock the move needs, and one that reads sees the log as it was when it began.
    pub async fn settle_audit(&self) -> Result<(), StoreError> {
        if self.in_scope() {
            return Ok(());
        }
        self.audit.settle().await
    }

    /// Moves reads' waiting audit entries into the log, then closes every connection.
    pub async fn close(&self) {
        if self.in_scope() {
            // The pool it came from is closed by its own handle.
            return;
        }
        if let Err(e) = self.audit.close().await {
            // They stay in the read journal and move when the database is next opened.
            tracing::error!(error = %e, "could not move read entries into the audit log at close");
        }
        match &self.pool {
            Pool::Sqlite(p, gate) => {
                p.close().await;
                gate.conn.close().await;
            }
            Pool::Postgres(p) => p.close().await,
            Pool::SqliteScope(_) | Pool::PostgresScope(_) => {}
        }
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.close().await;
        }
    }
}

fn in_scope(what: &str) -> StoreError {
    StoreError::Corrupt(format!("cannot {what} inside a transaction scope"))
}

/// A [`Db`] whose every transaction and query joins one outer transaction, and the means to end it.
pub struct Scoped {
    pub db: Db,
}

impl<DB: sqlx::Database> Scope<DB> {
    /// A scope around `outer`. On SQLite one that may write holds the write gate's `turn`.
    fn start(outer: Transaction<'static, DB>, turn: Option<Turn>, reads_only: bool) -> Held<DB> {
        std::sync::Arc::new(tokio::sync::Mutex::new(Scope {
            outer: Some(outer),
            undo: false,
            reads: Vec::new(),
            reads_only,
            turn,
        }))
    }
}

/// Ends a scope: commits or rolls back the outer transaction, gives back the write gate's turn,
/// then writes the audit entries of the reads made inside. Those are written either way: a read
/// happened even when the writes beside it are undone.
async fn finish<DB: sqlx::Database>(held: &Held<DB>, audit: &AuditWriter, keep: bool) -> Result<(), StoreError>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    let (ended, reads, turn) = {
        let mut scope = hold(held).await?;
        let outer = scope.outer.take().expect("a held scope is open");
        let ended = if keep { outer.commit().await } else { outer.rollback().await };
        (ended, std::mem::take(&mut scope.reads), scope.turn.take())
    };
    let ended = match (ended, turn) {
        (Ok(()), Some(turn)) if keep => turn.committed().await,
        (ended, _) => ended.map_err(StoreError::from),
    };
    let written = if reads.is_empty() { Ok(()) } else { audit.append(reads).await };
    ended?;
    written
}

impl Scoped {
    pub async fn commit(self) -> Result<(), StoreError> {
        self.end(true).await
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        self.end(false).await
    }

    async fn end(self, keep: bool) -> Result<(), StoreError> {
        match &self.db.pool {
            Pool::SqliteScope(held) => finish(held, &self.db.audit, keep).await,
            Pool::PostgresScope(held) => finish(held, &self.db.audit, keep).await,
            Pool::Sqlite(..) | Pool::Postgres(_) => Err(in_scope("end a scope outside")),
        }
    }
}

impl Pool {
    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of one failing
    /// half-way when it tries to upgrade a read lock.
    /// On SQLite the caller also gets its turn at the write gate, to hold until it ends.
    pub(crate) async fn begin(&self) -> Result<(TxConn, Option<Turn>), StoreError> {
        Ok(match self {
            Pool::Sqlite(_, gate) => {
                // As long as SQLite's own busy timeout: a write still waiting then is refused.
                let held = tokio::time::timeout(Duration::from_secs(10), gate.queue.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Invalid("The database is busy. Try again in a moment."))?;
                let turn = Turn { _held: held, disk: gate.disk.clone() };
                (TxConn::Sqlite(Conn::Own(gate.conn.begin_with("BEGIN IMMEDIATE").await?)), Some(turn))
            }
            Pool::Postgres(p) => (TxConn::Postgres(Conn::Own(begin_postgres(p, "BEGIN").await?)), None),
            // The scope already holds the gate's turn for its whole length.
            Pool::SqliteScope(held) => (TxConn::Sqlite(Conn::nested(held, true).await?), None),
            Pool::PostgresScope(held) => (TxConn::Postgres(Conn::nested(held, true).await?), None),
        })
    }

    /// A transaction of the audit writer's own, which records no reads.
    pub(crate) async fn begin_tx(&self) -> Result<Tx, StoreError> {
        let (conn, turn) = self.begin().await?;
        Ok(Tx { conn, turn, reads: Vec::new(), audit: None })
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
        let reads = match &mut self.conn {
            TxConn::Sqlite(c) => c.keep_reads(reads),
            TxConn::Postgres(c) => c.keep_reads(reads),
        };
        if reads.is_empty() {
            return self.commit_alone().await;
        }
        match self.audit.take() {
            Some(writer) => {
                // The writer may take the write gate itself: this transaction's turn ends first.
                self.commit_alone().await?;
                writer.append(reads).await
            }
            // No writer: the entries go into this transaction, as any other audit entry does.
            None => {
                crate::audit::insert_chained(&mut self, reads).await?;
                self.commit_alone().await
            }
        }
    }

    /// Commits, leaving any reads' entries unwritten (for the audit writer's own transactions,
    /// which hold none); a SQLite write returns once its commit is on disk.
    pub(crate) async fn commit_alone(self) -> Result<(), StoreError> {
        let Tx { conn, turn, .. } = self;
        conn.commit().await?;
        match turn {
            Some(turn) => turn.committed().await,
            None => Ok(()),
        }
    }
}

impl TxConn {
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            TxConn::Sqlite(c) => c.commit().await,
            TxConn::Postgres(c) => c.commit().await,
        }
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
    use super::Db;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(super::redact("postgres://ct:secret@db/ct"), "postgres://ct:***@db/ct");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }

    async fn probe(db: &Db) -> Vec<i64> {
        let rows: Vec<(i64,)> =
            on_pool!(db, |p| sqlx::query_as("SELECT n FROM scope_probe ORDER BY n").fetch_all(p).await).expect("read");
        rows.into_iter().map(|(n,)| n).collect()
    }

    async fn insert(db: &Db, n: i64, then_fail: bool) -> Result<(), crate::StoreError> {
        let mut tx = db.begin().await?;
        exec_tx!(&mut tx, |c| sqlx::query("INSERT INTO scope_probe (n) VALUES ($1)").bind(n).execute(c).await)?;
        if then_fail {
            // A statement that fails: on PostgreSQL it leaves the transaction aborted until undone.
            exec_tx!(&mut tx, |c| sqlx::query("INSERT INTO no_such_table VALUES (1)").execute(c).await)?;
        }
        tx.commit().await
    }

    #[tokio::test]
    async fn a_scope_keeps_what_its_transactions_commit_undoes_the_rest_and_shows_nothing_before_it_ends() {
        let db = crate::testing::fresh_db().await;
        crate::testing::execute_raw(&db, "CREATE TABLE scope_probe (n BIGINT NOT NULL)").await.expect("table");

        let scoped = db.scope().await.expect("scope");
        // A transaction that fails half-way is undone, and the scope goes on.
        assert!(insert(&scoped.db, 1, true).await.is_err());
        insert(&scoped.db, 2, false).await.expect("insert");
        assert_eq!(probe(&scoped.db).await, [2], "inside, the scope sees its own writes");
        assert_eq!(probe(&db).await, Vec::<i64>::new(), "outside, nothing yet");
        scoped.commit().await.expect("commit");
        assert_eq!(probe(&db).await, [2]);

        // Rolled back, nothing its transactions committed is left.
        let scoped = db.scope().await.expect("scope");
        insert(&scoped.db, 3, false).await.expect("insert");
        let ended = scoped.db.clone();
        scoped.rollback().await.expect("rollback");
        assert_eq!(probe(&db).await, [2]);
        // A handle kept past its scope's end cannot write anywhere.
        assert!(insert(&ended, 4, false).await.is_err());
        assert_eq!(probe(&db).await, [2]);
    }

    #[tokio::test]
    async fn a_read_scope_sees_one_snapshot_and_refuses_writes() {
        let db = crate::testing::fresh_db().await;
        crate::testing::execute_raw(&db, "CREATE TABLE scope_probe (n BIGINT NOT NULL)").await.expect("table");
        insert(&db, 1, false).await.expect("insert");

        let scoped = db.read_scope().await.expect("scope");
        assert_eq!(probe(&scoped.db).await, [1]);
        insert(&db, 2, false).await.expect("a write outside goes ahead while the scope is open");
        assert_eq!(probe(&scoped.db).await, [1], "inside, the record as it was when the scope began");
        assert!(insert(&scoped.db, 3, false).await.is_err(), "no write inside");
        assert!(scoped.db.scope().await.is_err(), "no scope inside a scope");
        scoped.commit().await.expect("end");
        assert_eq!(probe(&db).await, [1, 2]);
    }
}
