//! Checkpoints on SQLite: committed changes reach the database file itself within a moment,
//! copied by the database's own checkpointing connection rather than inside a commit. Run on
//! SQLite whatever the test backend, since PostgreSQL has no write-ahead log of this kind.

use crate::common::org_with_person;
use carethread_store::{Db, testing};
use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Whether a copy of the database file alone, without its write-ahead log, holds `person`.
/// A copy made while a checkpoint writes may be torn: that counts as not yet.
async fn file_alone_holds(path: &str, copy: &str, person: Uuid) -> bool {
    if std::fs::copy(path, copy).is_err() {
        return false;
    }
    let _ = std::fs::remove_file(format!("{copy}-wal"));
    let Ok(mut conn) = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(copy)).await else {
        return false;
    };
    let found: Result<i64, _> =
        sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE id = $1").bind(person).fetch_one(&mut conn).await;
    let _ = conn.close().await;
    matches!(found, Ok(1))
}

#[tokio::test]
async fn a_change_reaches_the_database_file_within_a_moment_without_a_commit_copying_it() {
    let url = testing::sqlite_url(&format!("wal_checkpoint_{}", Uuid::now_v7().simple()));
    let path = url.strip_prefix("sqlite://").expect("a file URL").to_string();
    let copy = format!("{path}.copy");
    let db = Db::connect(&url).await.expect("open the SQLite database");
    db.migrate().await.expect("migrate");
    // Far fewer pages than a commit would copy itself at: only the checkpointer moves them.
    let (_, person) = org_with_person(&db).await;
    let began = Instant::now();
    let mut there = false;
    while !there && began.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        there = file_alone_holds(&path, &copy, person.as_uuid()).await;
    }
    db.close().await;
    let _ = std::fs::remove_file(&copy);
    assert!(there, "the person registered was still only in the write-ahead log after 10 s");
}
