//! Loading many people and cases at once, on the backend under test: what is loaded must read back
//! through the ordinary one-record functions exactly as if it had been typed in.

use crate::common::{ctx, details};
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::plan::lifecycle::{AgreedHow, Agreement, PersonAgreement, PlanStatus};
use carethread_domain::plan::{Achievement, Goal, PlanContent};
use carethread_domain::population::{ActivationLevel, FrailtyIndex, HealthSnapshot, LongTermCondition};
use carethread_domain::problems::{Described, ProblemDetails};
use carethread_domain::reviews::{Attendance, AttendeeDetails, Ballot, Minutes, ReviewDetails, ReviewKind, Vote};
use carethread_domain::tasks::{Owner, TaskDetails, TaskStatus};
use carethread_domain::themes::{Audience, EntryDetails, EntryKind, StepStatus, Theme, Topic, Voice};
use carethread_domain::{CaseStatus, NhsNumber, OrgId, PersonId};
use carethread_store::bulk::{self, AttendeeToLoad, CaseToLoad, PersonToLoad, PlanVersionToLoad, ReviewToLoad};
use carethread_store::reviews::ReviewStatus;
use carethread_store::{
    AuditContext, StoreError, accounts, audit_chain, people, plans, population, reviews, tasks, testing, themes,
};
use chrono::{NaiveDate, TimeZone, Utc};
use uuid::Uuid;

fn person(n: u8, nhs_last: u8) -> PersonToLoad {
    let mut details = details("Gen", &format!("Erated{n}"), [9, 9, 9, 1, 0, 0, 0, 0, nhs_last]);
    details.nhs_number = NhsNumber::from_first_nine([9, 9, 9, 1, 0, 0, 0, n, nhs_last])
        .or_else(|| NhsNumber::from_first_nine([9, 9, 9, 1, 0, 0, 1, n, nhs_last]))
        .expect("a valid number");
    let health = HealthSnapshot {
        conditions: vec![LongTermCondition::Copd, LongTermCondition::Diabetes],
        frailty: FrailtyIndex::try_from(20 + n).expect("eFI"),
        activation: ActivationLevel::try_from(2).expect("level"),
        admissions: u16::from(n),
        emergency_visits: 3,
        recorded_on: NaiveDate::from_ymd_opt(2026, 2, 1).expect("date"),
    };
    PersonToLoad {
        id: Uuid::now_v7(),
        details,
        health,
        registered_at: Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).single().expect("time"),
    }
}

fn case(person: &PersonToLoad, n: u8) -> CaseToLoad {
    let opened_at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).single().expect("time");
    let member_id = Uuid::now_v7();
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
    let mut content = PlanContent::default();
    content.goals.push(Goal {
        id: Uuid::now_v7(),
        what_matters: "Friends of my own".into(),
        achieve: format!("Go to the club {n}"),
        voice: Voice::OwnWords,
        steps: vec![],
        commitment: None,
        themes: vec![Theme::JoiningIn],
        problems: vec![],
        achievement: Achievement::Working,
        revision: 1,
    });
    let agreement = Agreement {
        on: NaiveDate::from_ymd_opt(2026, 3, 20).expect("date"),
        person: PersonAgreement::Themselves(AgreedHow::InPerson),
        others: None,
    };
    let at = NaiveDate::from_ymd_opt(2026, 6, 1).and_then(|d| d.and_hms_opt(10, 0, 0)).expect("time");
    let review = |signed_off: bool| {
        let (person_attendee, mum_attendee) = (Uuid::now_v7(), Uuid::now_v7());
        let attendees = vec![
            AttendeeToLoad {
                id: person_attendee,
                details: AttendeeDetails { name: "Gen".into(), role: "The person".into(), is_person: true },
                member_id: None,
                attendance: Attendance::Present,
            },
            AttendeeToLoad {
                id: mum_attendee,
                details: AttendeeDetails { name: "Lorna".into(), role: "Mum".into(), is_person: false },
                member_id: Some(member_id),
                attendance: Attendance::SentViews,
            },
        ];
        let votes = if signed_off {
            [person_attendee, mum_attendee]
                .into_iter()
                .flat_map(|a| Theme::ALL.map(|t| (Uuid::now_v7(), a, t, Vote::Progressed)))
                .collect()
        } else {
            vec![]
        };
        ReviewToLoad {
            id: Uuid::now_v7(),
            details: ReviewDetails { kind: ReviewKind::FormalReview, at, place: "Room 2".into(), chair: "Sam".into() },
            minutes: Minutes::default(),
            attendees,
            votes,
            signed_off_at: signed_off.then(|| at.and_utc() + chrono::Duration::days(1)),
        }
    };
    let task = TaskDetails {
        title: "Book the health check".into(),
        owner: Owner::Member(member_id),
        due: NaiveDate::from_ymd_opt(2026, 7, 1).expect("date"),
        theme: Some(Theme::KeepingSafe),
        status: TaskStatus::Blocked("Waiting for the surgery".into()),
    };
    CaseToLoad {
        person_id: person.id,
        case_id: Uuid::now_v7(),
        team_id: None,
        key_worker_id: None,
        opened_at,
        members: vec![(member_id, member)],
        entries: vec![(Uuid::now_v7(), Theme::JoiningIn, step)],
        problems: vec![(Uuid::now_v7(), problem)],
        plan: vec![PlanVersionToLoad {
            id: Uuid::now_v7(),
            number: 1,
            status: PlanStatus::Active,
            content,
            agreement: Some(agreement),
            at: opened_at,
        }],
        reviews: vec![review(true), review(false)],
        tasks: vec![(Uuid::now_v7(), task)],
        review_plan: Some((12, NaiveDate::from_ymd_opt(2026, 9, 1).expect("date"))),
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
async fn generated_people_and_cases_read_back_through_the_ordinary_functions() {
    let db = testing::fresh_db().await;
    let org = org(&db).await;
    let c = ctx(Some(org), "generator");
    let population: Vec<PersonToLoad> = (0..5).map(|n| person(n, 1)).collect();
    // Three of the five have a case; two are only on the population register.
    let cases: Vec<CaseToLoad> = population[..3].iter().zip(0..).map(|(p, n)| case(p, n)).collect();
    bulk::load(&db, &c, org, &population, &cases).await.expect("load");
    for loaded in &population {
        let id = PersonId::from_uuid(loaded.id);
        assert_eq!(population::health(&db, &c, id).await.expect("health"), Some(loaded.health.clone()));
    }
    // Someone only on the register has no case record to open.
    let only_registered = PersonId::from_uuid(population[4].id);
    assert!(matches!(people::read(&db, &c, only_registered, "test").await, Err(StoreError::NotFound)));
    for (loaded, person) in cases.iter().zip(&population) {
        let id = PersonId::from_uuid(loaded.person_id);
        let record = people::read(&db, &c, id, "test").await.expect("read");
        assert_eq!(record.details, person.details);
        assert_eq!(people::history(&db, &c, id).await.expect("history").len(), 1);
        assert_eq!((record.version, record.case.status, record.case.id), (1, CaseStatus::Open, loaded.case_id));
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

        // The plan in force, with its review date worked out as agreeing it would have.
        let plan = plans::plan(&db, &c, id, "test").await.expect("plan");
        let expected = &loaded.plan[0];
        let in_force = plan.versions.iter().map(|v| (v.id, v.status, &v.content)).collect::<Vec<_>>();
        assert_eq!(in_force, vec![(expected.id, PlanStatus::Active, &expected.content)]);
        assert_eq!(plan.versions[0].review_due, NaiveDate::from_ymd_opt(2027, 3, 20));
        let goal = expected.content.goals[0].id;
        assert_eq!(plans::person_of_goal(&db, goal).await.expect("goal"), Some(id));
        let states = plans::version_states(&db, &c, id, expected.id).await.expect("states");
        assert_eq!(states.iter().map(|s| s.status).collect::<Vec<_>>(), vec![PlanStatus::Active]);

        // Reviews: the signed-off one with every vote, the open one ready for votes.
        let reviews = reviews::reviews_in_full(&db, &c, id).await.expect("reviews");
        assert_eq!(reviews.len(), 2);
        let done = reviews.iter().find(|r| r.id == loaded.reviews[0].id).expect("signed off");
        assert_eq!((done.status, done.votes.len()), (ReviewStatus::SignedOff, 12));
        let open = reviews.iter().find(|r| r.id == loaded.reviews[1].id).expect("open");
        assert_eq!((open.status, open.votes.len(), open.attendees.len()), (ReviewStatus::Scheduled, 0, 2));
        let mum = open.attendees.iter().find(|a| !a.details.is_person).expect("mum");
        let ballot = Ballot(vec![(Theme::AboutMe, Vote::Unchanged, None)]);
        reviews::record_ballot(&db, &c, id, open.id, mum.id, &ballot).await.expect("an ordinary vote");

        let tasks = tasks::for_person(&db, &c, id).await.expect("tasks");
        assert_eq!(
            tasks.iter().map(|t| (t.id, &t.details)).collect::<Vec<_>>(),
            vec![(loaded.tasks[0].0, &loaded.tasks[0].1)]
        );
    }
    // Every record left its audit entry in the organisation's unbroken chain.
    let verified = audit_chain::verify(&db, &[]).await.expect("verify");
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
}

#[tokio::test]
async fn a_batch_with_a_repeated_nhs_number_writes_nothing() {
    let db = testing::fresh_db().await;
    let org = org(&db).await;
    let c = ctx(Some(org), "generator");
    let first = person(0, 1);
    let mut twin = person(1, 1);
    twin.details.nhs_number = first.details.nhs_number;
    let err = bulk::load(&db, &c, org, &[first.clone(), twin], &[case(&first, 0)]).await.expect_err("duplicate");
    assert!(matches!(err, StoreError::Duplicate { .. }), "{err:?}");
    assert!(matches!(people::read(&db, &c, PersonId::from_uuid(first.id), "test").await, Err(StoreError::NotFound)));
}
