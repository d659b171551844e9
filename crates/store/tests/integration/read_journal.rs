//! The read journal: on SQLite, reads' audit entries wait in a file of their own for about a
//! second, then move into the audit log exactly once, whatever crash comes between. These tests
//! run on SQLite whatever the test backend, since PostgreSQL writes reads' entries straight into
//! the log.

use crate::common::{ctx, org_with_person};
use carethread_domain::{OrgId, PersonId};
use carethread_store::audit::{self, AuditFilter};
use carethread_store::audit_chain::{self, ChainedEntry};
use carethread_store::{Db, plans, testing};
use uuid::Uuid;

async fn sqlite_db(url: &str) -> Db {
    let db = Db::connect(url).await.expect("open the SQLite database");
    db.migrate().await.expect("migrate");
    db
}

fn new_url() -> String {
    testing::sqlite_url(&format!("read_journal_{}", Uuid::now_v7().simple()))
}

/// The entries the log shows for `person` with this detail, as an administrator browses it.
async fn shown(db: &Db, org: OrgId, person: PersonId, detail: &str) -> usize {
    let filter = AuditFilter { person_id: Some(person), ..AuditFilter::default() };
    let (rows, more) = audit::browse(db, &ctx(Some(org), "auditor"), &filter, 0).await.expect("browse");
    assert!(!more, "the test keeps to one page of the log");
    rows.iter().filter(|r| r.detail == detail).count()
}

async fn read_plan(db: &Db, org: OrgId, person: PersonId) {
    plans::plan(db, &ctx(Some(org), "kw"), person, "opened the care plan").await.expect("read the plan");
}

async fn intact(db: &Db) -> u64 {
    let report = audit_chain::verify(db, &[]).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    report.entries
}

#[tokio::test]
async fn a_read_is_in_the_log_as_soon_as_anyone_reads_the_log() {
    let db = sqlite_db(&new_url()).await;
    let (org, person) = org_with_person(&db).await;
    for _ in 0..3 {
        read_plan(&db, org, person).await;
    }
    // No waiting for the next move: reading the log moves what waits first.
    assert_eq!(shown(&db, org, person, "opened the care plan").await, 3);
    let looks = audit::looks_at(&db, &ctx(Some(org), "kw"), person, 50).await.expect("looks");
    assert_eq!(looks.iter().filter(|l| l.detail == "opened the care plan").count(), 3);
    intact(&db).await;
}

#[tokio::test]
async fn entries_a_crashed_process_left_waiting_move_once_when_the_database_opens_again() {
    let url = new_url();
    let db = sqlite_db(&url).await;
    let (org, person) = org_with_person(&db).await;
    let before = intact(&db).await;
    let acknowledged: Vec<ChainedEntry> = (0..3)
        .map(|i| ChainedEntry {
            id: Uuid::now_v7(),
            org_id: Some(org.as_uuid()),
            at: carethread_store::now(),
            user_id: None,
            username: "kw".into(),
            role: "key-worker".into(),
            action: "read".into(),
            person_id: Some(person.as_uuid()),
            detail: format!("read just before the crash ({i})"),
            ip: "127.0.0.1".into(),
            request_id: "test".into(),
        })
        .collect();
    testing::leave_in_read_journal(&db, acknowledged).await;
    // The process dies: nothing closes the database or moves what waits.
    drop(db);

    let again = sqlite_db(&url).await;
    for i in 0..3 {
        assert_eq!(shown(&again, org, person, &format!("read just before the crash ({i})")).await, 1);
    }
    // The three, and browsing the log once for each of them.
    assert_eq!(intact(&again).await, before + 3 + 3);
    assert_eq!(testing::waiting_in_read_journal(&again).await, 0);
}

#[tokio::test]
async fn a_crash_between_moving_entries_and_forgetting_them_writes_none_twice() {
    let db = sqlite_db(&new_url()).await;
    let (org, person) = org_with_person(&db).await;
    for _ in 0..5 {
        read_plan(&db, org, person).await;
    }
    let before = intact(&db).await;
    // The log holds these three and the journal still does: the move committed, then the
    // process died before it deleted them from the journal.
    testing::put_back_in_read_journal(&db, 3).await;
    assert_eq!(intact(&db).await, before, "each entry once, and the chain unbroken");
    assert_eq!(testing::waiting_in_read_journal(&db).await, 0, "and the journal let them go");
    assert_eq!(shown(&db, org, person, "opened the care plan").await, 5);
}

#[tokio::test]
async fn two_processes_reading_and_moving_at_once_move_every_entry_once() {
    let url = new_url();
    // A server and, say, `carethread audit verify` on the same file: two handles, each with its
    // own journal writer and mover, meeting only in SQLite's locks.
    let server = sqlite_db(&url).await;
    let command = Db::connect(&url).await.expect("a second handle");
    let (org, person) = org_with_person(&server).await;
    let reads = |db: Db| async move {
        for _ in 0..20 {
            read_plan(&db, org, person).await;
            db.settle_audit().await.expect("move");
        }
    };
    tokio::join!(reads(server.clone()), reads(command.clone()), reads(server.clone()), reads(command.clone()));
    assert_eq!(shown(&command, org, person, "opened the care plan").await, 80);
    intact(&server).await;
    intact(&command).await;
}
