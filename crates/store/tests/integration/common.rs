//! Helpers shared by the store test files.

use carethread_domain::{NhsNumber, OrgId, PersonDetails, PersonId};
use carethread_store::accounts;
use carethread_store::people::{self, Allocation};
use carethread_store::{AuditContext, Db};
use chrono::NaiveDate;

pub fn ctx(org: Option<OrgId>, who: &str) -> AuditContext {
    AuditContext {
        org_id: org,
        user_id: None,
        username: who.into(),
        role: "key-worker".into(),
        ip: "127.0.0.1".into(),
        request_id: "test".into(),
    }
}

pub fn details(first: &str, last: &str, nhs_first_nine: [u8; 9]) -> PersonDetails {
    PersonDetails {
        given_name: first.into(),
        family_name: last.into(),
        preferred_name: None,
        pronouns: Some("they/them".into()),
        date_of_birth: NaiveDate::from_ymd_opt(1990, 5, 17).expect("date"),
        nhs_number: NhsNumber::from_first_nine(nhs_first_nine).expect("valid number"),
        phone: None,
        email: None,
        address: None,
        communication_needs: Some("Short sentences; give me time to answer.".into()),
        easy_read: true,
        language: None,
        interpreter_needed: false,
    }
}

pub async fn org_with_person(db: &Db) -> (OrgId, PersonId) {
    let admin = AuditContext::command_line("test");
    let org = accounts::create_org(db, &admin, &format!("Org {}", OrgId::new()), "trust", "Europe/London")
        .await
        .expect("org");
    let person = people::register(
        db,
        &ctx(Some(org), "kw"),
        org,
        &details("Sam", "Okafor", [9, 9, 9, 0, 0, 0, 0, 0, 1]),
        Allocation { team_id: None, key_worker_id: None },
    )
    .await
    .expect("register");
    (org, person)
}

/// A member of staff in a new team that holds these people's cases: someone with a working
/// relationship to each, as the access policy needs for lists and searches.
pub async fn holding_team_member(
    db: &Db,
    org: OrgId,
    people_held: &[PersonId],
) -> carethread_domain::policy::Principal {
    use carethread_domain::{Role, Username};
    let admin = AuditContext { org_id: Some(org), ..AuditContext::command_line("test") };
    let team = accounts::create_team(db, &admin, org, &format!("Team {}", OrgId::new())).await.expect("team");
    let username: Username = format!("kw-{}", uuid::Uuid::now_v7().simple()).parse().expect("username");
    let user = accounts::create_user(
        db,
        &admin,
        accounts::NewUser {
            org_id: org,
            username: &username,
            display_name: "Key Worker",
            role: Role::KeyWorker,
            team_id: Some(team),
            person_id: None,
            password_hash: None,
        },
    )
    .await
    .expect("user");
    for person in people_held {
        let record = people::read(db, &admin, *person, "test set-up").await.expect("read");
        people::change_case(
            db,
            &admin,
            *person,
            record.case.version,
            people::CaseChange::Allocate(Allocation { team_id: Some(team), key_worker_id: None }),
        )
        .await
        .expect("ran")
        .expect("allocated");
    }
    carethread_domain::policy::Principal {
        user_id: user,
        org_id: org,
        role: Role::KeyWorker,
        team_id: Some(team),
        person_id: None,
    }
}
