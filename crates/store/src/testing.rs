//! Fresh, empty, migrated databases for tests, on the backend the test run asks for.
//!
//! `CARETHREAD_TEST_BACKEND` is `sqlite` (the default) or `postgres`; for PostgreSQL,
//! `CARETHREAD_TEST_POSTGRES_URL` names a server where the tests may create databases.
//! `scripts/test` runs the whole suite once for each backend. SQLite files go to
//! `CARETHREAD_TEST_DIR` when it is set (scripts/test sets it to a folder it removes afterwards).

use crate::db::{Backend, Db};
use uuid::Uuid;

/// The backend this test run uses. A run asked to use PostgreSQL without a server fails loudly
/// rather than quietly testing SQLite twice.
pub fn backend() -> Backend {
    match std::env::var("CARETHREAD_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("CARETHREAD_TEST_BACKEND must be sqlite or postgres, not {other:?}"),
    }
}

/// A URL for a new, empty SQLite database file, whatever the test backend: in
/// `CARETHREAD_TEST_DIR`, which scripts/test removes when the run ends.
pub fn sqlite_url(name: &str) -> String {
    let dir = std::env::var_os("CARETHREAD_TEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("carethread-tests"));
    std::fs::create_dir_all(&dir).expect("create the test database folder");
    format!("sqlite://{}", dir.join(format!("{name}.db")).display())
}

/// A URL for a new, empty database on the test backend. Nothing is migrated yet.
pub async fn fresh_url() -> String {
    let name = format!("ct_test_{}", Uuid::now_v7().simple());
    match backend() {
        Backend::Sqlite => sqlite_url(&name),
        Backend::Postgres => {
            let server = std::env::var("CARETHREAD_TEST_POSTGRES_URL")
                .expect("CARETHREAD_TEST_BACKEND=postgres needs CARETHREAD_TEST_POSTGRES_URL (scripts/test sets both)");
            let admin = Db::connect(&server).await.expect("connect to the test PostgreSQL server");
            if let crate::db::Pool::Postgres(pool) = &admin.pool {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(pool)
                    .await
                    .expect("create a test database");
            }
            admin.close().await;
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            format!("{base}/{name}")
        }
    }
}

/// A new, empty, migrated database on the test backend.
pub async fn fresh_db() -> Db {
    let db = Db::connect(&fresh_url().await).await.expect("connect to the test database");
    db.migrate().await.expect("migrate the test database");
    db
}

/// Runs one statement straight on the database, bypassing the store's functions: for tests that
/// check a rule is enforced by the database itself, not only by code.
pub async fn execute_raw(db: &Db, sql: &str) -> Result<u64, crate::StoreError> {
    // The statement meets the audit log with every read acknowledged so far in it.
    db.settle_audit().await?;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    Ok(on_pool!(db, |p| sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()))?)
}

/// How many of this database's sessions sit inside a transaction with nothing running: on
/// PostgreSQL, from `pg_stat_activity` (not counting the session that asks); `None` on SQLite,
/// which has no sessions to ask about.
pub async fn idle_in_transaction(db: &Db) -> Option<i64> {
    match &db.pool {
        crate::db::Pool::Sqlite(..) | crate::db::Pool::SqliteScope(_) | crate::db::Pool::PostgresScope(_) => None,
        crate::db::Pool::Postgres(pool) => Some(
            sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()",
            )
            .fetch_one(pool)
            .await
            .expect("ask PostgreSQL about its sessions"),
        ),
    }
}

/// The read journal of a SQLite database (see `read_journal`); a test of it runs on SQLite
/// whatever the test backend, since PostgreSQL has none.
fn read_journal(db: &Db) -> &crate::read_journal::Journal {
    db.audit.journal().expect("a SQLite database has a read journal")
}

/// How many reads' audit entries wait in the read journal.
pub async fn waiting_in_read_journal(db: &Db) -> i64 {
    read_journal(db).waiting().await.expect("count the read journal")
}

/// How many entries wait in the read journal of the SQLite database at `url`, read straight from
/// its file: opening the database would start moving them.
pub async fn waiting_in_read_journal_file(url: &str) -> i64 {
    let path = url.strip_prefix("sqlite://").expect("a sqlite:// URL");
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(format!("{path}-reads")).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("open the read journal");
    let waiting = sqlx::query_scalar("SELECT COUNT(*) FROM waiting_reads").fetch_one(&pool).await.expect("count");
    pool.close().await;
    waiting
}

/// Appends entries to the read journal, as a process that acknowledged these reads would have
/// before it died.
pub async fn leave_in_read_journal(db: &Db, entries: Vec<crate::audit_chain::ChainedEntry>) {
    read_journal(db).append(entries).await.expect("append to the read journal")
}

/// Puts the last `n` entries of the audit log back into the read journal: what a crash leaves
/// between a move's commit to the log and its deleting the moved entries from the journal.
pub async fn put_back_in_read_journal(db: &Db, n: i64) {
    let entries: Vec<crate::audit_chain::ChainedEntry> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, org_id, at, user_id, username, role, action, person_id, detail, ip, request_id \
         FROM audit_log ORDER BY at DESC, id DESC LIMIT $1"
    )
    .bind(n)
    .fetch_all(p)
    .await)
    .expect("read the last entries");
    leave_in_read_journal(db, entries).await
}
