//! Helpers shared by the store test files.
#![allow(dead_code)]

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
