//! The tamper-evident audit log, on the backend under test: the database refuses changes to
//! the log, and `verify` finds an edited entry, a deleted one, a truncated end and a rewritten
//! chain that no longer matches an exported checkpoint.

use crate::common::{ctx, org_with_person};
use carethread_store::audit::{self, AuditFilter};
use carethread_store::audit_chain::{self, Checkpoint};
use carethread_store::testing::{self, execute_raw};
use carethread_store::{Backend, plans};

/// Some audited work: registering a person, then reading their plan a few times.
async fn some_history() -> carethread_store::Db {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    for _ in 0..5 {
        plans::plan(&db, &ctx(Some(org), "kw"), person, "opened the care plan").await.expect("read");
    }
    db
}

/// What an attacker with the database's owner rights can do: switch the append-only rule off.
async fn switch_off_the_guard(db: &carethread_store::Db) {
    let sql = match testing::backend() {
        Backend::Sqlite => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete",
        Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER USER",
    };
    for statement in sql.split("; ") {
        execute_raw(db, statement).await.expect("switch off");
    }
}

#[tokio::test]
async fn an_untouched_log_verifies_and_the_database_refuses_changes_to_it() {
    let db = some_history().await;
    let report = audit_chain::verify(&db, &[]).await.expect("verify");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report.chains >= 1);
    assert!(report.entries >= 7);
    assert_eq!(report.unchained, 0);
    assert!(execute_raw(&db, "UPDATE audit_log SET detail = 'x'").await.is_err(), "no edits");
    assert!(execute_raw(&db, "DELETE FROM audit_log").await.is_err(), "no deletions");
    if testing::backend() == Backend::Postgres {
        assert!(execute_raw(&db, "TRUNCATE audit_log").await.is_err(), "no truncation");
    }
}

#[tokio::test]
async fn verify_reports_an_edited_entry_a_deleted_one_and_a_truncated_end() {
    let db = some_history().await;
    switch_off_the_guard(&db).await;
    let chain_of_the_fourth = "(SELECT chain FROM audit_log WHERE seq = 4 LIMIT 1)";
    execute_raw(
        &db,
        &format!("UPDATE audit_log SET detail = 'nothing happened' WHERE seq = 2 AND chain = {chain_of_the_fourth}"),
    )
    .await
    .expect("edit");
    execute_raw(&db, &format!("DELETE FROM audit_log WHERE seq = 3 AND chain = {chain_of_the_fourth}"))
        .await
        .expect("delete");
    let report = audit_chain::verify(&db, &[]).await.expect("verify");
    let all = report.problems.join("\n");
    assert!(all.contains("entry 2 ("), "{all}");
    assert!(all.contains("was changed after it was written"), "{all}");
    assert!(all.contains("entries 3 to 3 are missing"), "{all}");
    assert!(all.contains("entry 4 does not follow the entry before it"), "{all}");

    execute_raw(
        &db,
        "DELETE FROM audit_log WHERE seq = (SELECT MAX(a2.seq) FROM audit_log a2 WHERE a2.chain = audit_log.chain)",
    )
    .await
    .expect("truncate");
    let report = audit_chain::verify(&db, &[]).await.expect("verify");
    assert!(report.problems.iter().any(|p| p.contains("entries were removed (truncated)")), "{:?}", report.problems);
}

#[tokio::test]
async fn a_chain_rewritten_after_an_exported_checkpoint_no_longer_matches_it() {
    let db = some_history().await;
    let exported = audit_chain::checkpoint(&db).await.expect("checkpoint");
    assert!(!exported.is_empty());
    assert_eq!(audit_chain::checkpoints(&db).await.expect("list"), exported);
    assert!(audit_chain::verify(&db, &exported).await.expect("verify").problems.is_empty());
    // The copy kept elsewhere says something else than the chain now does.
    let forged: Vec<Checkpoint> =
        exported.iter().map(|c| Checkpoint { hash: audit_chain::GENESIS.to_string(), ..c.clone() }).collect();
    let report = audit_chain::verify(&db, &forged).await.expect("verify");
    assert!(
        report.problems.iter().any(|p| p.contains("does not match: the chain was rewritten since")),
        "{:?}",
        report.problems
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_made_at_once_each_leave_their_entry_in_an_unbroken_chain() {
    // Reads hand their entries to one writer that writes many at a time (group commit): the
    // chain must still hold every one, in order, with no gap or fork.
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let before = audit_chain::verify(&db, &[]).await.expect("verify").entries;
    let reads: Vec<_> = (0..40)
        .map(|i| {
            let db = db.clone();
            let c = ctx(Some(org), &format!("reader-{i}"));
            tokio::spawn(async move { plans::plan(&db, &c, person, "opened the care plan").await.map(|_| ()) })
        })
        .collect();
    for read in reads {
        read.await.expect("the read ran").expect("the read succeeded");
    }
    // Each read's entry is written before the read returns: all 40 are there now.
    let filter = AuditFilter { person_id: Some(person), username: None, from: None, until: None };
    let (entries, _) = audit::browse(&db, &ctx(Some(org), "auditor"), &filter, 0).await.expect("browse");
    let readers: std::collections::BTreeSet<&str> =
        entries.iter().filter(|e| e.username.starts_with("reader-")).map(|e| e.username.as_str()).collect();
    assert_eq!(readers.len(), 40, "one entry per read");
    let verified = audit_chain::verify(&db, &[]).await.expect("verify");
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    assert_eq!(verified.entries, before + 40 + 1, "40 reads and the audit browse itself");
}

#[tokio::test]
async fn a_batch_of_hundreds_of_reads_is_written_whole_and_in_order() {
    // One transaction naming the same person 300 times hands the writer 300 entries at once,
    // which it writes in several multi-row statements (256, 32, 8 and 4 rows).
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let before = audit_chain::verify(&db, &[]).await.expect("verify").entries;
    audit::record_each(&db, &ctx(Some(org), "report"), &vec![person; 300], "named in a report").await.expect("record");
    let verified = audit_chain::verify(&db, &[]).await.expect("verify");
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
    assert_eq!(verified.entries, before + 300);
    let filter = AuditFilter { person_id: Some(person), username: Some("report".into()), from: None, until: None };
    let (first, more) = audit::browse(&db, &ctx(Some(org), "auditor"), &filter, 0).await.expect("browse");
    assert!(more && first.iter().all(|e| e.detail == "named in a report"), "{more} {}", first.len());
}
