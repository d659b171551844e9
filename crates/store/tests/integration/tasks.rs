//! Tasks, on the backend under test: every kind of owner, the database's own rules, version
//! checks, flags when an owner leaves, and each holder's "my tasks".

use crate::common::{ctx, org_with_person};
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::tasks::{Owner, TaskDetails, TaskStatus};
use carethread_domain::themes::Theme;
use carethread_domain::{Role, Username};
use carethread_store::accounts::{self, NewUser};
use carethread_store::tasks::{self, Holder};
use carethread_store::themes::{self, MemberChange};
use carethread_store::{AuditContext, StoreError, testing};
use chrono::NaiveDate;
use uuid::Uuid;

fn task(title: &str, owner: Owner, due: (i32, u32, u32)) -> TaskDetails {
    TaskDetails {
        title: title.into(),
        owner,
        due: NaiveDate::from_ymd_opt(due.0, due.1, due.2).expect("date"),
        theme: Some(Theme::JoiningIn),
        status: TaskStatus::Requested,
    }
}

fn member(name: &str) -> MemberDetails {
    MemberDetails {
        name: name.into(),
        relationship: "Sister".into(),
        organisation: None,
        contact: None,
        source: Source::PersonalNetwork,
        involvement: Involvement::Core,
        brings: None,
    }
}

#[tokio::test]
async fn tasks_take_any_kind_of_owner_and_each_holder_sees_their_own() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let admin = AuditContext::command_line("t");
    let team = accounts::create_team(&db, &admin, org, "Community team").await.expect("team");
    let kw_name: Username = "kw-tasks".parse().expect("username");
    let kw = accounts::create_user(
        &db,
        &admin,
        NewUser {
            org_id: org,
            username: &kw_name,
            display_name: "Priya",
            role: Role::KeyWorker,
            team_id: Some(team),
            person_id: None,
            password_hash: None,
        },
    )
    .await
    .expect("kw");
    let sis_name: Username = "sister".parse().expect("username");
    let sister_account = accounts::create_user(
        &db,
        &admin,
        NewUser {
            org_id: org,
            username: &sis_name,
            display_name: "Ama",
            role: Role::Supporter,
            team_id: None,
            person_id: None,
            password_hash: None,
        },
    )
    .await
    .expect("supporter");
    let c = ctx(Some(org), "kw");
    let sister = themes::add_member(&db, &c, person, &member("Ama"), Some("sister")).await.expect("member");

    let mine = tasks::add(&db, &c, person, &task("Ring the housing officer", Owner::Staff(kw), (2026, 12, 1)), None)
        .await
        .expect("staff");
    tasks::add(&db, &c, person, &task("Team to find a day centre place", Owner::Team(team), (2026, 12, 5)), None)
        .await
        .expect("team");
    tasks::add(&db, &c, person, &task("Try the swimming session", Owner::Person, (2026, 12, 3)), None)
        .await
        .expect("person");
    tasks::add(&db, &c, person, &task("Drive to the review", Owner::Member(sister), (2026, 12, 2)), None)
        .await
        .expect("member");

    let all = tasks::for_person(&db, &c, person).await.expect("list");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].details.title, "Ring the housing officer", "soonest first");
    assert!(all.iter().all(|t| t.owner_active));

    let staff =
        tasks::for_holder(&db, &c, Holder { user: kw, org, team: Some(team), person: None }).await.expect("mine");
    assert_eq!(
        staff.iter().map(|t| t.details.title.as_str()).collect::<Vec<_>>(),
        vec!["Ring the housing officer", "Team to find a day centre place"]
    );
    let sis = tasks::for_holder(&db, &c, Holder { user: sister_account, org, team: None, person: None })
        .await
        .expect("sister");
    assert_eq!(sis.iter().map(|t| t.details.title.as_str()).collect::<Vec<_>>(), vec!["Drive to the review"]);
    let persons_account = accounts::create_user(
        &db,
        &admin,
        NewUser {
            org_id: org,
            username: &"sam".parse().expect("u"),
            display_name: "Sam",
            role: Role::Person,
            team_id: None,
            person_id: Some(person),
            password_hash: None,
        },
    )
    .await
    .expect("person account");
    let own = tasks::for_holder(&db, &c, Holder { user: persons_account, org, team: None, person: Some(person) })
        .await
        .expect("own");
    assert_eq!(own.iter().map(|t| t.details.title.as_str()).collect::<Vec<_>>(), vec!["Try the swimming session"]);

    // Done tasks leave "my tasks"; a stale edit is refused and returns the task as it is now.
    let done =
        TaskDetails { status: TaskStatus::Done, ..task("Ring the housing officer", Owner::Staff(kw), (2026, 12, 1)) };
    assert_eq!(tasks::update(&db, &c, person, mine, 1, &done).await.expect("update").ok(), Some(2));
    let stale = tasks::update(&db, &c, person, mine, 1, &done).await.expect("no db error");
    assert_eq!(stale.expect_err("stale").details.status, TaskStatus::Done);
    let staff =
        tasks::for_holder(&db, &c, Holder { user: kw, org, team: Some(team), person: None }).await.expect("mine");
    assert_eq!(staff.len(), 1);
}

#[tokio::test]
async fn an_owner_who_leaves_leaves_the_task_flagged_not_orphaned() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let admin = AuditContext::command_line("t");
    let name: Username = "leaver".parse().expect("username");
    let leaver = accounts::create_user(
        &db,
        &admin,
        NewUser {
            org_id: org,
            username: &name,
            display_name: "Leaver",
            role: Role::Clinician,
            team_id: None,
            person_id: None,
            password_hash: None,
        },
    )
    .await
    .expect("user");
    let c = ctx(Some(org), "kw");
    let m = themes::add_member(&db, &c, person, &member("Ama"), None).await.expect("member");
    tasks::add(&db, &c, person, &task("Medication review", Owner::Staff(leaver), (2026, 12, 1)), None)
        .await
        .expect("staff task");
    tasks::add(&db, &c, person, &task("Visit on Sunday", Owner::Member(m), (2026, 12, 2)), None)
        .await
        .expect("member task");
    for owner in [Owner::Person, Owner::Staff(leaver), Owner::Member(m)] {
        assert!(tasks::may_own(&db, person, owner).await.expect("asked"), "{owner:?} may own a task");
    }
    accounts::set_user_active(&db, &admin, "leaver", false).await.expect("deactivate");
    themes::change_member(&db, &c, person, m, 1, MemberChange::Remove).await.expect("remove").expect("not stale");
    for owner in [Owner::Staff(leaver), Owner::Member(m), Owner::Member(Uuid::now_v7())] {
        assert!(!tasks::may_own(&db, person, owner).await.expect("asked"), "{owner:?} may not own a task");
    }
    let all = tasks::for_person(&db, &c, person).await.expect("list");
    assert_eq!(all.len(), 2, "the tasks are still there");
    assert!(all.iter().all(|t| !t.owner_active), "and flagged for a new owner");
    // A departed owner cannot be given a new task.
    let refused = tasks::add(&db, &c, person, &task("Another", Owner::Staff(leaver), (2026, 12, 1)), None).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    let refused = tasks::add(&db, &c, person, &task("Another", Owner::Member(m), (2026, 12, 1)), None).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
}

#[tokio::test]
async fn only_staff_who_hold_tasks_are_offered_or_accepted_as_owners() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let admin = AuditContext::command_line("t");
    let c = ctx(Some(org), "kw");
    for (name, role, holds_tasks) in [
        ("clin", Role::Clinician, true),
        ("admin-of-practice", Role::PracticeAdmin, true),
        ("commissioner", Role::Commissioner, false),
        ("admin", Role::Admin, false),
        ("supporter", Role::Supporter, false),
    ] {
        let username: Username = name.parse().expect("username");
        let new = NewUser {
            org_id: org,
            username: &username,
            display_name: name,
            role,
            team_id: None,
            person_id: None,
            password_hash: None,
        };
        let id = accounts::create_user(&db, &admin, new).await.expect("user");
        let owner = Owner::Staff(id);
        let offered = tasks::owner_choices(&db, person).await.expect("choices").iter().any(|o| o.owner == owner);
        assert_eq!(offered, holds_tasks, "{name} offered");
        assert_eq!(tasks::may_own(&db, person, owner).await.expect("asked"), holds_tasks, "{name} may own");
        let added = tasks::add(&db, &c, person, &task("Ring the GP", owner, (2026, 12, 1)), None).await;
        assert_eq!(added.is_ok(), holds_tasks, "{name} accepted: {added:?}");
    }
}

#[tokio::test]
async fn owners_from_another_organisation_are_refused_and_the_database_forbids_ownerless_tasks() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let (other_org, _) = org_with_person(&db).await;
    let admin = AuditContext::command_line("t");
    let foreign_team = accounts::create_team(&db, &admin, other_org, "Elsewhere").await.expect("team");
    let c = ctx(Some(org), "kw");
    let refused = tasks::add(&db, &c, person, &task("x", Owner::Team(foreign_team), (2026, 12, 1)), None).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    tasks::add(&db, &c, person, &task("Real", Owner::Person, (2026, 12, 1)), None).await.expect("add");
    for (what, sql) in [
        ("no owner", "UPDATE tasks SET owner_kind = 'staff'"),
        ("blocked without a reason", "UPDATE tasks SET status = 'blocked'"),
        ("no status", "UPDATE tasks SET status = NULL"),
        ("an unknown status", "UPDATE tasks SET status = 'forgotten'"),
    ] {
        assert!(testing::execute_raw(&db, sql).await.is_err(), "the database allowed a task with {what}");
    }
}

#[tokio::test]
async fn changes_made_at_once_from_one_version_land_once_and_the_others_see_the_task_as_it_now_is() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "editor");
    let id = tasks::add(&db, &c, person, &task("Book the GP", Owner::Person, (2026, 12, 1)), None).await.expect("add");
    // Eight editors who all opened version 1, each saving a different title at the same moment.
    let edits = (0..8).map(|i| {
        let (db, c) = (db.clone(), c.clone());
        let details = task(&format!("Book the GP, take {i}"), Owner::Person, (2026, 12, 1));
        tokio::spawn(async move { tasks::update(&db, &c, person, id, 1, &details).await })
    });
    let mut landed = Vec::new();
    let mut told = Vec::new();
    for edit in edits.collect::<Vec<_>>() {
        match edit.await.expect("task").expect("a lost race is an answer, not an error") {
            Ok(version) => landed.push(version),
            Err(now) => told.push(now),
        }
    }
    assert_eq!(landed, vec![2], "exactly one change lands, as version 2");
    let now = tasks::task(&db, &c, person, id).await.expect("read");
    assert_eq!(now.version, 2);
    for t in &told {
        assert_eq!((t.version, &t.details.title), (2, &now.details.title), "each other editor sees what landed");
    }
    let kept = tasks::task_versions(&db, &c, person, id).await.expect("history");
    assert_eq!(kept.iter().map(|t| t.version).collect::<Vec<_>>(), vec![2, 1], "one earlier version kept");
}

#[tokio::test]
async fn a_task_for_nobody_on_record_is_refused_and_nothing_is_written() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "editor");
    let nobody = carethread_domain::PersonId::new();
    let refused = tasks::add(&db, &c, nobody, &task("Book the GP", Owner::Person, (2026, 12, 1)), None).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
    assert!(tasks::for_person(&db, &c, nobody).await.expect("read").is_empty());
    // The person on record still gets theirs.
    tasks::add(&db, &c, person, &task("Book the GP", Owner::Person, (2026, 12, 1)), None).await.expect("add");
    assert_eq!(tasks::for_person(&db, &c, person).await.expect("read").len(), 1);
}
