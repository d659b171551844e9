//! The themes store, on the backend under test.

use crate::common::{ctx, org_with_person};
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::keeping_safe::{BestInterestsDecision, Particulars, RiskParts};
use carethread_domain::themes::{Audience, EntryDetails, EntryKind, StepStatus, Theme, Topic, Voice, Withholding};
use carethread_store::audit::{self, AuditFilter};
use carethread_store::themes::{self, MemberChange};
use carethread_store::{AuditContext, StoreError, testing};
use chrono::NaiveDate;

fn entry(kind: EntryKind, body: &str) -> EntryDetails {
    EntryDetails {
        kind,
        topic: None,
        body: body.into(),
        voice: Voice::OwnWords,
        source: None,
        review: None,
        status: (kind == EntryKind::NextStep).then_some(StepStatus::Open),
        withheld: None,
        particulars: None,
    }
}

#[tokio::test]
async fn entries_keep_every_version_and_refuse_stale_edits() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let id = themes::add_entry(&db, &c, person, Theme::JoiningIn, &entry(EntryKind::Working, "Swimming on Fridays"))
        .await
        .expect("add");
    let changed = EntryDetails { body: "Swimming on Fridays with Sam".into(), ..entry(EntryKind::Working, "") };
    assert_eq!(themes::update_entry(&db, &c, person, id, 1, &changed).await.expect("update").ok(), Some(2));
    let stale =
        themes::update_entry(&db, &c, person, id, 1, &entry(EntryKind::Worry, "stale")).await.expect("no db error");
    assert_eq!(stale.expect_err("stale").details.body, "Swimming on Fridays with Sam");
    assert!(themes::remove_entry(&db, &c, person, id, 2).await.expect("remove").is_ok());
    assert!(themes::entries(&db, &c, person, Theme::JoiningIn, Audience::Team).await.expect("list").is_empty());
    let history = themes::entry_versions(&db, &c, person, id).await.expect("history");
    assert_eq!(
        history.iter().map(|v| (v.version, v.removed)).collect::<Vec<_>>(),
        vec![(3, true), (2, false), (1, false)]
    );
    assert_eq!(history[2].details.body, "Swimming on Fridays");
}

#[tokio::test]
async fn risk_answers_and_best_interests_decisions_are_kept_with_their_history() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let risk = EntryDetails {
        topic: Some(Topic::RiskVulnerability),
        particulars: Some(Particulars::Risk(RiskParts {
            understanding: Some("Some people only want my money".into()),
            helps_now: Some("Checking with Dev first".into()),
            would_help: None,
        })),
        ..entry(EntryKind::Worry, "Being asked for money at the bus stop")
    };
    let id = themes::add_entry(&db, &c, person, Theme::KeepingSafe, &risk).await.expect("add");
    let decision = EntryDetails {
        topic: Some(Topic::CapacityConsentDignity),
        particulars: Some(Particulars::BestInterests(BestInterestsDecision {
            decided_by: "Dr Okafor with Lorna".into(),
            decided_on: NaiveDate::from_ymd_opt(2026, 10, 2).expect("date"),
            why: "Could not weigh up the operation at the time".into(),
            consulted: Some("Advocate".into()),
        })),
        ..entry(EntryKind::Note, "Dental treatment under anaesthetic")
    };
    themes::add_entry(&db, &c, person, Theme::KeepingSafe, &decision).await.expect("add");
    let listed = themes::entries(&db, &c, person, Theme::KeepingSafe, Audience::Team).await.expect("list");
    let mut kept: Vec<_> = listed.iter().map(|e| e.details.clone()).collect();
    kept.sort_by(|a, b| a.body.cmp(&b.body));
    assert_eq!(kept, vec![risk.clone(), decision]);
    let answered = EntryDetails {
        particulars: Some(Particulars::Risk(RiskParts {
            understanding: Some("Some people only want my money".into()),
            helps_now: Some("Checking with Dev first".into()),
            would_help: Some("A bank card with a daily limit".into()),
        })),
        ..risk.clone()
    };
    themes::update_entry(&db, &c, person, id, 1, &answered).await.expect("update").expect("not stale");
    let history = themes::entry_versions(&db, &c, person, id).await.expect("history");
    assert_eq!(history[0].details, answered);
    assert_eq!(history[1].details, risk);
}

#[tokio::test]
async fn a_record_id_from_another_person_reaches_nothing() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let (_, other_person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let id = themes::add_entry(&db, &c, person, Theme::AboutMe, &entry(EntryKind::Note, "private")).await.expect("add");
    assert!(matches!(themes::entry(&db, &c, other_person, id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        themes::update_entry(&db, &c, other_person, id, 1, &entry(EntryKind::Note, "x")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(themes::entry_versions(&db, &c, other_person, id).await, Err(StoreError::NotFound)));
}

#[tokio::test]
async fn the_glance_counts_working_worries_and_open_steps_and_withholding_is_audited() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    for (kind, body) in [
        (EntryKind::Working, "Sleeping better"),
        (EntryKind::Worry, "Money"),
        (EntryKind::NextStep, "Call the bank"),
        (EntryKind::Note, "n"),
    ] {
        themes::add_entry(&db, &c, person, Theme::KeepingSafe, &entry(kind, body)).await.expect("add");
    }
    let done = EntryDetails { status: Some(StepStatus::Done), ..entry(EntryKind::NextStep, "Done already") };
    themes::add_entry(&db, &c, person, Theme::KeepingSafe, &done).await.expect("add");
    let withheld = EntryDetails {
        withheld: Some(Withholding {
            reason: "Safeguarding enquiry under way".into(),
            review_by: NaiveDate::from_ymd_opt(2027, 1, 10).expect("date"),
        }),
        ..entry(EntryKind::Worry, "Contact with a named adult")
    };
    themes::add_entry(&db, &c, person, Theme::KeepingSafe, &withheld).await.expect("add");
    let (glance, withheld_count) = themes::glance(&db, person, Audience::Team).await.expect("glance");
    let safe = &glance[&Theme::KeepingSafe];
    assert_eq!((safe.working, safe.worries, safe.open_steps), (1, 2, 1));
    assert_eq!(safe.latest_worry.as_deref(), Some("Contact with a named adult"));
    assert_eq!(glance[&Theme::AboutMe].working, 0);
    assert_eq!(withheld_count, 1);
    // The person sees neither the withheld entry nor any count or preview of it.
    let (theirs, hidden) = themes::glance(&db, person, Audience::Person).await.expect("glance");
    let safe = &theirs[&Theme::KeepingSafe];
    assert_eq!((safe.worries, hidden), (1, 0));
    assert_eq!(safe.latest_worry.as_deref(), Some("Money"));
    let listed = themes::entries(&db, &c, person, Theme::KeepingSafe, Audience::Person).await.expect("list");
    assert!(listed.iter().all(|e| e.details.withheld.is_none()) && listed.len() == 5);
    let (log, _) = audit::browse(
        &db,
        &AuditContext::command_line("t"),
        &AuditFilter { person_id: Some(person), ..Default::default() },
        0,
    )
    .await
    .expect("audit");
    assert!(log.iter().any(|e| {
        e.detail.contains("withheld an entry from the person until 2027-01-10: Safeguarding enquiry under way")
    }));
}

#[tokio::test]
async fn circle_members_are_added_changed_removed_and_linked_to_accounts_in_the_organisation() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let mum = MemberDetails {
        name: "Lorna Baptiste".into(),
        relationship: "Mum".into(),
        organisation: None,
        contact: Some("07700 900123".into()),
        source: Source::PersonalNetwork,
        involvement: Involvement::Core,
        brings: Some("Knows him best".into()),
    };
    let err = themes::add_member(&db, &c, person, &mum, Some("no-such-user")).await.expect_err("unknown account");
    assert!(matches!(err, StoreError::Invalid(_)));
    let id = themes::add_member(&db, &c, person, &mum, None).await.expect("add");
    let gp = MemberDetails {
        name: "Dr Shah".into(),
        relationship: "GP".into(),
        source: Source::Services,
        involvement: Involvement::Occasional,
        ..mum.clone()
    };
    themes::add_member(&db, &c, person, &gp, None).await.expect("add");
    let listed = themes::members(&db, &c, person).await.expect("list");
    assert_eq!(listed.iter().map(|m| m.details.name.as_str()).collect::<Vec<_>>(), vec!["Lorna Baptiste", "Dr Shah"]);
    let regular = MemberDetails { involvement: Involvement::Regular, ..mum.clone() };
    assert_eq!(
        themes::change_member(&db, &c, person, id, 1, MemberChange::Update { details: &regular, account: None })
            .await
            .expect("update")
            .ok(),
        Some(2)
    );
    assert!(
        themes::change_member(&db, &c, person, id, 1, MemberChange::Remove).await.expect("no db error").is_err(),
        "stale removal refused"
    );
    assert!(themes::change_member(&db, &c, person, id, 2, MemberChange::Remove).await.expect("remove").is_ok());
    assert_eq!(themes::member_count(&db, person).await.expect("count"), 1);
    let history = themes::member_versions(&db, &c, person, id).await.expect("history");
    assert_eq!(history.len(), 3);
    assert!(history[0].removed);
}

#[tokio::test]
async fn problem_areas_are_counted_linked_both_ways_and_kept_to_their_person() {
    use carethread_domain::problems::{Described, ProblemDetails};
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let (_, other_person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let problem = |name: &str| ProblemDetails {
        name: name.into(),
        described_as: Described::PlainWords,
        code: None,
        impact: "Stops him going out".into(),
        assessments: None,
        guidelines: None,
        plan: None,
        progress: None,
        next_initiatives: None,
    };
    let anxiety = themes::add_problem(&db, &c, person, &problem("Panic in crowds")).await.expect("add");
    let sleep = themes::add_problem(&db, &c, person, &problem("Poor sleep")).await.expect("add");
    let theirs = themes::add_problem(&db, &c, other_person, &problem("Someone else's")).await.expect("add");
    themes::set_problem_link(&db, &c, person, sleep, anxiety, true).await.expect("link");
    themes::set_problem_link(&db, &c, person, anxiety, sleep, true).await.expect("linking twice is harmless");
    assert!(matches!(
        themes::set_problem_link(&db, &c, person, anxiety, anxiety, true).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        themes::set_problem_link(&db, &c, person, anxiety, theirs, true).await,
        Err(StoreError::NotFound)
    ));
    let listed = themes::problems(&db, &c, person).await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].linked.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), vec!["Poor sleep"]);
    assert_eq!(listed[1].linked.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), vec!["Panic in crowds"]);
    assert!(themes::change_problem(&db, &c, person, sleep, 1, None).await.expect("remove").is_ok());
    let listed = themes::problems(&db, &c, person).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].linked.is_empty(), "a removed problem area is no longer shown as linked");
    assert_eq!(themes::problem_versions(&db, &c, person, sleep).await.expect("history").len(), 2);
    assert!(matches!(themes::problem(&db, &c, other_person, anxiety).await, Err(StoreError::NotFound)));
}
