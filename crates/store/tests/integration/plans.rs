//! The care plan on the backend under test: drafts with optimistic locking, agreement that
//! freezes a version (in the database too), activation superseding the old plan, the review
//! date on caseload rows, and consents to share with withdrawal.

use crate::common::{ctx, org_with_person};
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::plan::consent::{ConsentDetails, ConsentGiven, ShareScope, ShareWith};
use carethread_domain::plan::lifecycle::{AgreedHow, Agreement, PersonAgreement, PlanStatus};
use carethread_domain::plan::{Achievement, Goal, PlanContent, ReviewInterval};
use carethread_domain::themes::Voice;
use carethread_store::plans;
use carethread_store::themes;
use carethread_store::{StoreError, people, testing};
use chrono::NaiveDate;
use uuid::Uuid;

fn goal(achieve: &str) -> Goal {
    Goal {
        id: Uuid::now_v7(),
        what_matters: "Being near my family".into(),
        achieve: achieve.into(),
        voice: Voice::OwnWords,
        steps: vec![],
        commitment: Some("I will go to the viewing".into()),
        themes: vec![],
        problems: vec![],
        achievement: Achievement::Working,
        revision: 1,
    }
}

fn agreement(on: &str) -> Agreement {
    Agreement {
        on: on.parse().expect("date"),
        person: PersonAgreement::Themselves(AgreedHow::InPerson),
        others: Some("Mum".into()),
    }
}

#[tokio::test]
async fn a_plan_is_drafted_agreed_made_active_and_replaced_by_a_new_version() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");

    let empty = plans::plan(&db, &c, person, "opened the care plan").await.expect("plan");
    assert!(empty.versions.is_empty());
    assert_eq!(empty.working_copy().1, 0, "no draft yet");

    let mut content =
        PlanContent { review_months: ReviewInterval::try_from(6).expect("valid"), ..PlanContent::default() };
    content.goals.push(goal("Move to a flat near my sister"));
    let lock = plans::save_draft(&db, &c, person, 0, &content, "added a goal").await.expect("saved").expect("fresh");
    assert_eq!(lock, 1);

    // A second editor who also saw no draft is told, and nothing of theirs is written.
    let other = PlanContent::default();
    let stale = plans::save_draft(&db, &c, person, 0, &other, "added a goal").await.expect("ran");
    assert!(stale.is_err(), "started from no draft while one exists");
    let stale = plans::save_draft(&db, &c, person, 7, &other, "added a goal").await.expect("ran");
    assert!(stale.is_err(), "an old lock");

    let agreed = plans::agree(&db, &c, person, 1, &agreement("2026-11-20")).await.expect("ran").expect("agreed");
    assert_eq!(agreed, 1);
    let plan = plans::plan(&db, &c, person, "opened the care plan").await.expect("plan");
    let v1 = plan.version(1).expect("v1");
    assert_eq!(v1.status, PlanStatus::Agreed);
    assert_eq!(v1.review_due, NaiveDate::from_ymd_opt(2027, 5, 20), "six months after agreement");
    assert!(plan.draft().is_none());

    // An agreed version cannot be changed behind the store's back either.
    let frozen = testing::execute_raw(&db, "UPDATE plan_versions SET content = '{}' WHERE number = 1").await;
    assert!(frozen.is_err(), "the trigger refuses changing an agreed version");

    plans::activate(&db, &c, person, 1).await.expect("activated");
    assert!(matches!(plans::activate(&db, &c, person, 1).await, Err(StoreError::Invalid(_))), "only agreed versions");

    // Changing the active plan starts version 2 as a draft and puts version 1 under review.
    let (mut next, lock) = plans::plan(&db, &c, person, "x").await.expect("plan").working_copy();
    assert_eq!(lock, 0);
    next.goals.push(goal("Learn to cook three meals"));
    plans::save_draft(&db, &c, person, 0, &next, "added a goal").await.expect("saved").expect("fresh");
    let plan = plans::plan(&db, &c, person, "x").await.expect("plan");
    assert_eq!(plan.version(1).expect("v1").status, PlanStatus::UnderReview);
    assert_eq!(plan.draft().expect("draft").number, 2);
    assert_eq!(plan.current().expect("in force").number, 1, "version 1 stays in force meanwhile");

    plans::agree(&db, &c, person, 1, &agreement("2026-11-23")).await.expect("ran").expect("agreed");
    plans::activate(&db, &c, person, 2).await.expect("activated");
    let plan = plans::plan(&db, &c, person, "x").await.expect("plan");
    assert_eq!(plan.version(1).expect("v1").status, PlanStatus::Superseded);
    assert_eq!(plan.version(2).expect("v2").status, PlanStatus::Active);
    assert_eq!(plan.version(1).expect("v1").content.goals.len(), 1, "the old version is kept as agreed");
    assert_eq!(plan.version(2).expect("v2").content.goals.len(), 2);

    // The caseload row carries the review date of the plan in force.
    let staff = crate::common::holding_team_member(&db, org, &[person]).await;
    let found =
        people::search(&db, &c, &staff, &carethread_domain::search::PeopleQuery::parse("Okafor").expect("query"))
            .await
            .expect("search");
    assert_eq!(found[0].plan_review_due, NaiveDate::from_ymd_opt(2027, 5, 23));
}

#[tokio::test]
async fn a_plan_without_goals_cannot_be_agreed() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    plans::save_draft(&db, &c, person, 0, &PlanContent::default(), "changed the settings")
        .await
        .expect("ok")
        .expect("saved");
    let refused = plans::agree(&db, &c, person, 1, &agreement("2026-11-20")).await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    let plan = plans::plan(&db, &c, person, "x").await.expect("plan");
    assert_eq!(plan.draft().expect("still a draft").status, PlanStatus::Draft);
}

#[tokio::test]
async fn consents_are_recorded_for_circle_members_and_withdrawn_with_a_reason() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let sister = MemberDetails {
        name: "Ama".into(),
        relationship: "Sister".into(),
        organisation: None,
        contact: None,
        source: Source::PersonalNetwork,
        involvement: Involvement::Core,
        brings: None,
    };
    let member = themes::add_member(&db, &c, person, &sister, None).await.expect("member");
    let consent = ConsentDetails {
        with: ShareWith::Member { id: member, name: "Ama (sister)".into() },
        scope: ShareScope::WholePlan,
        purpose: "So Ama can help with the move".into(),
        from: "2026-11-01".parse().expect("date"),
        until: None,
        given: ConsentGiven::Written,
    };
    let id = plans::add_consent(&db, &c, person, &consent).await.expect("recorded");

    // Someone from another person's circle is refused.
    let (_, someone_else) = org_with_person_two(&db, org).await;
    let stranger = themes::add_member(&db, &c, someone_else, &sister, None).await.expect("member");
    let wrong = ConsentDetails { with: ShareWith::Member { id: stranger, name: "Ama".into() }, ..consent.clone() };
    assert!(matches!(plans::add_consent(&db, &c, person, &wrong).await, Err(StoreError::Invalid(_))));

    let today: NaiveDate = "2026-11-23".parse().expect("date");
    let list = plans::consents(&db, &c, person).await.expect("list");
    assert_eq!(list.len(), 1);
    assert!(list[0].in_force(today));

    plans::withdraw_consent(&db, &c, person, id, today, "Ama moved away").await.expect("withdrawn");
    let again = plans::withdraw_consent(&db, &c, person, id, today, "twice").await;
    assert!(matches!(again, Err(StoreError::Invalid(_))));
    assert!(matches!(
        plans::withdraw_consent(&db, &c, someone_else, id, today, "not theirs").await,
        Err(StoreError::NotFound)
    ));
    let list = plans::consents(&db, &c, person).await.expect("list");
    assert!(!list[0].in_force(today));
    assert_eq!(list[0].withdrawn.as_ref().map(|(_, r)| r.as_str()), Some("Ama moved away"));

    let staff = crate::common::holding_team_member(&db, org, &[person, someone_else]).await;
    let rows = plans::for_quality_report(&db, &c, &staff, None).await.expect("report");
    assert_eq!(rows.len(), 2, "both open cases the team holds");
    let outsider = crate::common::holding_team_member(&db, org, &[]).await;
    let rows = plans::for_quality_report(&db, &c, &outsider, None).await.expect("report");
    assert!(rows.is_empty(), "a report names only people the asker works with");
}

async fn org_with_person_two(
    db: &carethread_store::Db,
    org: carethread_domain::OrgId,
) -> (carethread_domain::OrgId, carethread_domain::PersonId) {
    let person = people::register(
        db,
        &ctx(Some(org), "kw"),
        org,
        &crate::common::details("Lee", "Tran", [9, 9, 9, 0, 0, 0, 0, 0, 2]),
        people::Allocation { team_id: None, key_worker_id: None },
    )
    .await
    .expect("register");
    (org, person)
}
