//! Importing cases: all of them or none.

use crate::common::{ctx, details, org_with_person};
use carethread_domain::PersonId;
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::plan::PlanContent;
use carethread_domain::problems::{Described, ProblemDetails};
use carethread_store::import::{self, NewCase};
use carethread_store::people::{self, Allocation};
use carethread_store::{plans, testing, themes};
use uuid::Uuid;

fn case(first: &str, nhs: [u8; 9]) -> NewCase {
    NewCase {
        id: PersonId::new(),
        details: details(first, "Imported", nhs),
        members: vec![(
            Uuid::now_v7(),
            MemberDetails {
                name: "Rita".into(),
                relationship: "Mum".into(),
                organisation: None,
                contact: None,
                source: Source::PersonalNetwork,
                involvement: Involvement::Core,
                brings: None,
            },
        )],
        problems: vec![(
            Uuid::now_v7(),
            ProblemDetails {
                name: "Anxiety".into(),
                described_as: Described::PlainWords,
                code: None,
                impact: "Finds crowds hard".into(),
                assessments: None,
                guidelines: None,
                plan: None,
                progress: None,
                next_initiatives: None,
            },
        )],
        plan: Some((Uuid::now_v7(), PlanContent::default())),
    }
}

#[tokio::test]
async fn an_import_writes_every_case_or_none() {
    let db = testing::fresh_db().await;
    let (org, _) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let none = Allocation { team_id: None, key_worker_id: None };
    let first = case("Ada", [9, 9, 9, 0, 0, 0, 0, 1, 0]);
    let second = case("Bo", [9, 9, 9, 0, 0, 0, 0, 2, 0]);
    import::cases(&db, &c, org, none, &[first.clone(), second.clone()]).await.expect("imported");
    let read = people::read(&db, &c, first.id, "test").await.expect("first is there");
    assert_eq!(read.details.given_name, "Ada");
    let members = themes::members(&db, &c, first.id).await.expect("members");
    assert_eq!(members.iter().map(|m| m.id).collect::<Vec<_>>(), vec![first.members[0].0]);
    assert_eq!(themes::problems(&db, &c, second.id).await.expect("problems")[0].id, second.problems[0].0);
    let plan = plans::plan(&db, &c, second.id, "test").await.expect("plan");
    assert_eq!(plan.draft().map(|d| d.id), second.plan.as_ref().map(|p| p.0));

    // The third case is fine; the fourth reuses Ada's NHS number, so neither is written.
    let third = case("Cy", [9, 9, 9, 0, 0, 0, 0, 3, 0]);
    let clash = case("Di", [9, 9, 9, 0, 0, 0, 0, 1, 0]);
    let refused = import::cases(&db, &c, org, none, &[third.clone(), clash]).await;
    assert!(refused.is_err(), "a duplicate NHS number refuses the whole import");
    assert!(people::read(&db, &c, third.id, "test").await.is_err(), "nothing of the import was written");
    assert!(themes::members(&db, &c, third.id).await.expect("members").is_empty());
}
