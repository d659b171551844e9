//! Loading many cases at once, on the backend under test: what is loaded must read back
//! through the ordinary one-record functions exactly as if it had been typed in.

use crate::common::{ctx, details};
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::problems::{Described, ProblemDetails};
use carethread_domain::themes::{Audience, EntryDetails, EntryKind, StepStatus, Theme, Topic, Voice};
use carethread_domain::{CaseStatus, NhsNumber, OrgId, PersonId};
use carethread_store::bulk::{self, CaseToLoad};
use carethread_store::{AuditContext, StoreError, accounts, people, testing, themes};
use chrono::{TimeZone, Utc};
use uuid::Uuid;

fn case(n: u8, nhs_last: u8) -> CaseToLoad {
    let mut person = details("Gen", &format!("Erated{n}"), [9, 9, 9, 1, 0, 0, 0, 0, nhs_last]);
    person.nhs_number = NhsNumber::from_first_nine([9, 9, 9, 1, 0, 0, 0, n, nhs_last])
        .or_else(|| NhsNumber::from_first_nine([9, 9, 9, 1, 0, 0, 1, n, nhs_last]))
        .expect("a valid number");
    let member = MemberDetails {
        name: "Lorna".into(),
        relationship: "Mum".into(),
        organisation: None,
        contact: None,
        source: Source::PersonalNetwork,
        involvement: Involvement::Core,
        brings: None,
    };
    let step = EntryDetails {
        kind: EntryKind::NextStep,
        topic: Some(Topic::Interests),
        body: format!("Try the climbing wall {n}"),
        voice: Voice::WithPerson,
        source: None,
        review: None,
        status: Some(StepStatus::Open),
        withheld: None,
        particulars: None,
    };
    let problem = ProblemDetails {
        name: "Low mood".into(),
        described_as: Described::PlainWords,
        code: None,
        impact: "Stays in bed".into(),
        assessments: None,
        guidelines: None,
        plan: None,
        progress: None,
        next_initiatives: None,
    };
    CaseToLoad {
        person_id: Uuid::now_v7(),
        case_id: Uuid::now_v7(),
        person,
        team_id: None,
        key_worker_id: None,
        opened_at: Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().expect("time"),
        members: vec![(Uuid::now_v7(), member)],
        entries: vec![(Uuid::now_v7(), Theme::JoiningIn, step)],
        problems: vec![(Uuid::now_v7(), problem)],
    }
}

async fn org(db: &carethread_store::Db) -> OrgId {
    accounts::create_org(
        db,
        &AuditContext::command_line("t"),
        &format!("Org {}", OrgId::new()),
        "trust",
        "Europe/London",
    )
    .await
    .expect("org")
}

#[tokio::test]
async fn generated_cases_read_back_through_the_ordinary_functions() {
    let db = testing::fresh_db().await;
    let org = org(&db).await;
    let c = ctx(Some(org), "generator");
    let cases: Vec<CaseToLoad> = (0..3).map(|n| case(n, 1)).collect();
    bulk::load_cases(&db, &c, org, &cases).await.expect("load");
    for loaded in &cases {
        let id = PersonId::from_uuid(loaded.person_id);
        let record = people::read(&db, &c, id, "test").await.expect("read");
        assert_eq!(record.details, loaded.person);
        assert_eq!((record.version, record.case.status, record.case.id), (1, CaseStatus::Open, loaded.case_id));
        assert_eq!(people::history(&db, &c, id).await.expect("history").len(), 1);
        let entries = themes::entries(&db, &c, id, Theme::JoiningIn, Audience::Team).await.expect("entries");
        assert_eq!(
            entries.iter().map(|e| (&e.details, e.version)).collect::<Vec<_>>(),
            vec![(&loaded.entries[0].2, 1)]
        );
        let members = themes::members(&db, &c, id).await.expect("members");
        assert_eq!(members.iter().map(|m| &m.details).collect::<Vec<_>>(), vec![&loaded.members[0].1]);
        let problems = themes::problems(&db, &c, id).await.expect("problems");
        assert_eq!(problems.iter().map(|p| &p.details).collect::<Vec<_>>(), vec![&loaded.problems[0].1]);
        let versions = themes::entry_versions(&db, &c, id, loaded.entries[0].0).await.expect("versions");
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), vec![1]);
        let (glance, _) = themes::glance(&db, id, Audience::Team).await.expect("glance");
        assert_eq!(glance[&Theme::JoiningIn].open_steps, 1, "the map counts loaded entries");
        // An ordinary edit carries on from the loaded version.
        let changed = EntryDetails { body: "Went climbing".into(), ..loaded.entries[0].2.clone() };
        let saved = themes::update_entry(&db, &c, id, loaded.entries[0].0, 1, &changed).await.expect("update");
        assert_eq!(saved.ok(), Some(2));
    }
}

#[tokio::test]
async fn a_batch_with_a_repeated_nhs_number_writes_nothing() {
    let db = testing::fresh_db().await;
    let org = org(&db).await;
    let c = ctx(Some(org), "generator");
    let first = case(0, 1);
    let mut twin = case(1, 1);
    twin.person.nhs_number = first.person.nhs_number;
    let err = bulk::load_cases(&db, &c, org, &[first.clone(), twin]).await.expect_err("duplicate");
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    assert!(matches!(
        people::read(&db, &c, PersonId::from_uuid(first.person_id), "test").await,
        Err(StoreError::NotFound)
    ));
}
