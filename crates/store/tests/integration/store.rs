//! The store suite. `scripts/test` runs it twice: on SQLite and on a real PostgreSQL server.

use carethread_domain::search::PeopleQuery;
use carethread_domain::{AuditAction, NhsNumber, OrgId, PersonId, Role, Username};
use carethread_store::accounts::{self, NewUser};
use carethread_store::audit::{self, AuditFilter};
use carethread_store::people::{self, Allocation, CaseChange};
use carethread_store::{AuditContext, Backend, Db, StoreError, sessions, testing};
use chrono::NaiveDate;

use crate::common::{ctx, details, org_with_person};

async fn audit_actions(db: &Db, person: PersonId) -> Vec<String> {
    let (rows, _) = audit::browse(
        db,
        &AuditContext::command_line("test"),
        &AuditFilter { person_id: Some(person), ..Default::default() },
        0,
    )
    .await
    .expect("browse");
    rows.into_iter().map(|r| r.action).collect()
}

#[tokio::test]
async fn migrations_have_the_same_versions_on_both_backends() {
    assert_eq!(Db::migration_versions(Backend::Sqlite), Db::migration_versions(Backend::Postgres));
    assert!(!Db::migration_versions(Backend::Sqlite).is_empty());
}

#[tokio::test]
async fn both_schemas_have_the_same_tables_and_columns() {
    // Compare the test backend's schema with a fresh SQLite one: on the PostgreSQL run this
    // compares the two backends; on the SQLite run it checks the comparison itself works.
    let db = testing::fresh_db().await;
    let sqlite_url = testing::sqlite_url(&format!("ct_schema_{}", OrgId::new()));
    let sqlite = Db::connect(&sqlite_url).await.expect("sqlite");
    sqlite.migrate().await.expect("migrate");
    let ours = db.schema_columns().await.expect("columns");
    assert!(ours.iter().any(|(t, c)| t == "people" && c == "nhs_number"));
    assert_eq!(ours, sqlite.schema_columns().await.expect("columns"));
    for table in ours.iter().map(|(t, _)| t).collect::<std::collections::BTreeSet<_>>() {
        assert!(ours.contains(&(table.clone(), "org_id".to_string())), "table {table} lacks org_id");
    }
}

#[tokio::test]
async fn migrating_twice_changes_nothing() {
    let db = testing::fresh_db().await;
    db.migrate().await.expect("second migration run is a no-op");
    db.ping().await.expect("ping");
}

#[tokio::test]
async fn registering_reads_back_every_field_and_audits_create_and_read() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    let record = people::read(&db, &ctx(Some(org), "kw"), id, "opened the case").await.expect("read");
    assert_eq!(record.details, details("Sam", "Okafor", [9, 9, 9, 0, 0, 0, 0, 0, 1]));
    assert_eq!(record.version, 1);
    assert_eq!(record.case.status, carethread_domain::CaseStatus::Open);
    let actions = audit_actions(&db, id).await;
    assert!(actions.contains(&AuditAction::Create.as_str().to_string()));
    assert!(actions.contains(&AuditAction::Read.as_str().to_string()));
}

#[tokio::test]
async fn a_duplicate_nhs_number_in_one_organisation_is_refused_and_nothing_is_written() {
    let db = testing::fresh_db().await;
    let (org, _) = org_with_person(&db).await;
    let err = people::register(
        &db,
        &ctx(Some(org), "kw"),
        org,
        &details("Other", "Person", [9, 9, 9, 0, 0, 0, 0, 0, 1]),
        Allocation { team_id: None, key_worker_id: None },
    )
    .await
    .expect_err("duplicate");
    assert!(matches!(err, StoreError::Duplicate { what: "This NHS number" }), "{err:?}");
    let staff = crate::common::holding_team_member(&db, org, &[]).await;
    let found =
        people::search(&db, &ctx(Some(org), "kw"), &staff, &PeopleQuery::Name("other".into())).await.expect("search");
    assert!(found.is_empty(), "the refused registration left a record behind");
}

#[tokio::test]
async fn a_stale_edit_is_refused_with_what_changed_and_writes_nothing() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let mut first = details("Sam", "Okafor", [9, 9, 9, 0, 0, 0, 0, 0, 1]);
    first.preferred_name = Some("Sammy".into());
    assert_eq!(people::update_details(&db, &c, id, 1, &first).await.expect("update").ok(), Some(2));

    let mut second = details("Sam", "Okafor", [9, 9, 9, 0, 0, 0, 0, 0, 1]);
    second.phone = Some("01632 960 001".into());
    let conflict = people::update_details(&db, &c, id, 1, &second).await.expect("no db error").expect_err("stale");
    assert_eq!(conflict.current.version, 2);
    assert_eq!(conflict.changes, vec![("Preferred name", "(blank)".to_string(), "Sammy".to_string())]);
    let now = people::read(&db, &c, id, "check").await.expect("read");
    assert_eq!(now.details.phone, None, "the stale edit must not be written");
    let history = people::history(&db, &c, id).await.expect("history");
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(history[1].details.preferred_name, None);
}

#[tokio::test]
async fn concurrent_edits_from_the_same_version_never_both_win() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut d = details("Sam", "Okafor", [9, 9, 9, 0, 0, 0, 0, 0, 1]);
            d.address = Some(format!("{i} Test Street"));
            people::update_details(&db, &ctx(Some(org), "kw"), id, 1, &d).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(Ok(_)) => wins += 1,
            Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(wins, 1, "exactly one edit from version 1 may succeed");
    assert_eq!(people::read(&db, &ctx(Some(org), "kw"), id, "check").await.expect("read").version, 2);
}

#[tokio::test]
async fn cases_close_and_reopen_with_version_checks() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    assert_eq!(
        people::change_case(&db, &c, id, 1, CaseChange::Close { reason: "Moved away" }).await.expect("close").ok(),
        Some(2)
    );
    let stale = people::change_case(&db, &c, id, 1, CaseChange::Reopen).await.expect("no db error");
    assert!(stale.is_err(), "reopening from a stale version is refused");
    let record = people::read(&db, &c, id, "check").await.expect("read");
    assert_eq!(record.case.status, carethread_domain::CaseStatus::Closed);
    assert_eq!(record.case.close_reason.as_deref(), Some("Moved away"));
    assert!(matches!(
        people::change_case(&db, &c, id, 2, CaseChange::Close { reason: "again" }).await,
        Err(StoreError::Invalid(_))
    ));
    assert_eq!(people::change_case(&db, &c, id, 2, CaseChange::Reopen).await.expect("reopen").ok(), Some(3));
    let actions = audit_actions(&db, id).await;
    assert!(actions.contains(&"close-case".to_string()) && actions.contains(&"reopen-case".to_string()));
}

#[tokio::test]
async fn allocation_must_stay_within_the_organisation() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    let admin = AuditContext::command_line("test");
    let other = accounts::create_org(&db, &admin, "Elsewhere", "council", "Europe/London").await.expect("org");
    let stranger = accounts::create_user(
        &db,
        &admin,
        NewUser {
            org_id: other,
            username: &"stranger".parse::<Username>().expect("username"),
            display_name: "A Stranger",
            role: Role::KeyWorker,
            team_id: None,
            person_id: None,
            password_hash: None,
        },
    )
    .await
    .expect("user");
    let err = people::change_case(
        &db,
        &ctx(Some(org), "kw"),
        id,
        1,
        CaseChange::Allocate(Allocation { team_id: None, key_worker_id: Some(stranger) }),
    )
    .await
    .expect_err("refused");
    assert!(matches!(err, StoreError::Invalid(_)));
}

#[tokio::test]
async fn search_finds_by_name_nhs_number_and_date_of_birth_within_the_organisation() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let staff = crate::common::holding_team_member(&db, org, &[id]).await;
    let by_name = people::search(&db, &c, &staff, &PeopleQuery::Name("okaf".into())).await.expect("search");
    assert_eq!(by_name.iter().map(|p| p.id).collect::<Vec<_>>(), vec![id.as_uuid()]);
    let nhs = NhsNumber::from_first_nine([9, 9, 9, 0, 0, 0, 0, 0, 1]).expect("valid");
    assert_eq!(people::search(&db, &c, &staff, &PeopleQuery::NhsNumber(nhs)).await.expect("search").len(), 1);
    let dob = NaiveDate::from_ymd_opt(1990, 5, 17).expect("date");
    assert_eq!(people::search(&db, &c, &staff, &PeopleQuery::DateOfBirth(dob)).await.expect("search").len(), 1);
    // Wildcards typed by a user are matched literally.
    assert!(people::search(&db, &c, &staff, &PeopleQuery::Name("%".into())).await.expect("search").is_empty());
    let elsewhere = carethread_domain::policy::Principal { org_id: OrgId::new(), ..staff.clone() };
    assert!(people::search(&db, &c, &elsewhere, &PeopleQuery::Name("okaf".into())).await.expect("search").is_empty());
    // Staff of the same organisation with no relationship to the case find no one.
    let outsider = crate::common::holding_team_member(&db, org, &[]).await;
    assert!(people::search(&db, &c, &outsider, &PeopleQuery::Name("okaf".into())).await.expect("search").is_empty());
}

#[tokio::test]
async fn usernames_are_unique_and_deactivation_ends_sessions() {
    let db = testing::fresh_db().await;
    let admin = AuditContext::command_line("test");
    let org = accounts::create_org(&db, &admin, "Practice", "gp-practice", "Europe/London").await.expect("org");
    let name: Username = "pat".parse().expect("username");
    let new = || NewUser {
        org_id: org,
        username: &name,
        display_name: "Pat",
        role: Role::Clinician,
        team_id: None,
        person_id: None,
        password_hash: Some("x"),
    };
    let user = accounts::create_user(&db, &admin, new()).await.expect("user");
    assert!(matches!(
        accounts::create_user(&db, &admin, new()).await,
        Err(StoreError::Duplicate { what: "This username" })
    ));
    sessions::start(&db, &ctx(Some(org), "pat"), user, org, "hash-1", "csrf", None).await.expect("session");
    assert!(sessions::find(&db, "hash-1").await.expect("find").is_some());
    // Rotation: a new sign-in from the same browser replaces the old session.
    sessions::start(&db, &ctx(Some(org), "pat"), user, org, "hash-2", "csrf", Some("hash-1")).await.expect("session");
    assert!(sessions::find(&db, "hash-1").await.expect("find").is_none());
    accounts::set_user_active(&db, &admin, "pat", false).await.expect("deactivate");
    assert!(sessions::find(&db, "hash-2").await.expect("find").is_none());
}

#[tokio::test]
async fn sign_in_failures_are_counted_per_account_and_per_address() {
    let db = testing::fresh_db().await;
    let anon = ctx(None, "mallory");
    let since = carethread_store::now() - chrono::Duration::minutes(15);
    for _ in 0..3 {
        sessions::record_failure(&db, &anon, "alice", "10.0.0.1").await.expect("record");
    }
    sessions::record_failure(&db, &anon, "bob", "10.0.0.1").await.expect("record");
    assert_eq!(sessions::recent_failures(&db, "alice", "10.0.0.9", since).await.expect("count"), (3, 0));
    assert_eq!(sessions::recent_failures(&db, "carol", "10.0.0.1", since).await.expect("count"), (0, 4));
}

#[tokio::test]
async fn the_audit_log_filters_by_person_user_and_date() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    people::read(&db, &ctx(Some(org), "reader-one"), id, "looked").await.expect("read");
    let admin = AuditContext::command_line("test");
    let by_user = AuditFilter { username: Some("reader-one".into()), ..Default::default() };
    let (rows, more) = audit::browse(&db, &admin, &by_user, 0).await.expect("browse");
    assert!(!more);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].person_name.as_deref(), Some("Sam Okafor"));
    let future = AuditFilter { from: Some(carethread_store::now() + chrono::Duration::days(1)), ..Default::default() };
    assert!(audit::browse(&db, &admin, &future, 0).await.expect("browse").0.is_empty());
}

#[tokio::test]
async fn the_audit_entry_is_rolled_back_with_a_failed_write() {
    let db = testing::fresh_db().await;
    let (org, id) = org_with_person(&db).await;
    // A duplicate registration fails inside its transaction: neither person nor audit entry stays.
    let _ = people::register(
        &db,
        &ctx(Some(org), "kw"),
        org,
        &details("Dup", "Licate", [9, 9, 9, 0, 0, 0, 0, 0, 1]),
        Allocation { team_id: None, key_worker_id: None },
    )
    .await;
    let (all, _) = audit::browse(
        &db,
        &AuditContext::command_line("t"),
        &AuditFilter { username: Some("kw".into()), ..Default::default() },
        0,
    )
    .await
    .expect("browse");
    assert_eq!(all.iter().filter(|r| r.action == "create").count(), 1, "only the first registration was audited");
    assert!(all.iter().all(|r| r.person_id == Some(id.as_uuid())));
}

#[tokio::test]
async fn a_team_for_an_organisation_that_does_not_exist_is_refused_in_plain_words() {
    let db = testing::fresh_db().await;
    let err = accounts::create_team(&db, &AuditContext::command_line("t"), OrgId::new(), "Ghost team")
        .await
        .expect_err("no such org");
    assert!(matches!(err, StoreError::Invalid("Choose an organisation from the list.")), "{err:?}");
}

/// A client that hangs up drops its request's future wherever it is, even between sending
/// `BEGIN` and reading the answer. The session must not be left inside that transaction: the
/// next request given the connection would write into it, and nothing it wrote would be kept.
#[tokio::test]
async fn transactions_abandoned_while_they_begin_leave_no_session_inside_them() {
    let db = testing::fresh_db().await;
    // Each attempt polls BEGIN a number of times, letting the runtime read the sockets in
    // between, then drops it. Taking a pooled connection costs a round trip of its own (the pool
    // pings it), so a small number of polls ends an attempt before BEGIN is sent, a larger one
    // while its answer is on the way (the case that matters), a larger still after the
    // transaction is open. After each number, no session may be left inside a transaction
    // (look before anything else runs, since the next borrower's own BEGIN would hide it).
    let mut left_open = Vec::new();
    for polls in 1..=40 {
        for write in [false, true] {
            for _ in 0..2 {
                let mut attempt: std::pin::Pin<Box<dyn std::future::Future<Output = _> + Send>> =
                    if write { Box::pin(db.begin()) } else { Box::pin(db.read()) };
                for _ in 0..polls {
                    let poll_once = std::future::poll_fn(|cx| std::task::Poll::Ready(attempt.as_mut().poll(cx)));
                    if poll_once.await.is_ready() {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
            }
        }
        // A dropped transaction is rolled back as its connection goes back to the pool, in the
        // background: give that a moment.
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        if let Some(stuck) = testing::idle_in_transaction(&db).await
            && stuck > 0
        {
            left_open.push(format!("{stuck} after {polls} polls"));
        }
    }
    assert!(left_open.is_empty(), "sessions left inside an abandoned transaction: {left_open:?}");
    // The store still works afterwards. On SQLite, which has no sessions to ask about, a
    // `BEGIN IMMEDIATE` left open would still hold the write lock, and this write would be
    // refused as busy.
    db.begin().await.expect("a write transaction still begins").commit().await.expect("commit");
    db.read().await.expect("a read transaction still begins").commit().await.expect("commit");
}
