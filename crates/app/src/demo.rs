//! Synthetic demo data: one care partnership with four services, a member of staff for every
//! role, and ten people. Every name, number and story is invented; NHS numbers are from the
//! 999 test range, which is never issued to a real person.

use crate::auth::password;
use carethread_domain::{NhsNumber, OrgId, PersonDetails, Role, TeamId, UserId, Username};
use carethread_store::accounts::{self, NewUser};
use carethread_store::people::{self, Allocation, CaseChange};
use carethread_store::{AuditContext, Db};
use chrono::NaiveDate;
use std::fmt;

pub const ORG_NAME: &str = "Westmere Care Partnership";
/// Every demo account signs in with this. The data is synthetic; never use it for real people.
pub const DEMO_PASSWORD: &str = "carethread-demo";

const TEAMS: [&str; 4] = [
    "Larkfield Unit (learning disability inpatients)",
    "Northgate Community Mental Health Team",
    "Brookside Surgery care planning",
    "Harbour Complex Care Programme",
];

/// (username, display name, role, team index).
const STAFF: [(&str, &str, Role, Option<usize>); 9] = [
    ("demo-keyworker", "Priya Nair", Role::KeyWorker, Some(1)),
    ("demo-clinician", "Dr Tomasz Wren", Role::Clinician, Some(1)),
    ("demo-manager", "Grace Adeyemi", Role::TeamManager, Some(1)),
    ("demo-practice-admin", "Owen Marsh", Role::PracticeAdmin, Some(2)),
    ("demo-commissioner", "Helen Brightwater", Role::Commissioner, None),
    ("demo-admin", "Sam Idris", Role::Admin, None),
    ("demo-supporter", "Lorna Baptiste", Role::Supporter, None),
    ("demo-keyworker-2", "Femi Oduya", Role::KeyWorker, Some(3)),
    ("demo-person", "Jordan Baptiste", Role::Person, None),
];

struct DemoPerson {
    given: &'static str,
    family: &'static str,
    preferred: Option<&'static str>,
    pronouns: Option<&'static str>,
    born: (i32, u32, u32),
    team: usize,
    communication: Option<&'static str>,
    easy_read: bool,
    language: Option<&'static str>,
    interpreter: bool,
}

const PEOPLE: [DemoPerson; 10] = [
    DemoPerson {
        given: "Jordan",
        family: "Baptiste",
        preferred: Some("Jordy"),
        pronouns: Some("he/him"),
        born: (1998, 4, 12),
        team: 0,
        communication: Some(
            "Uses short sentences and Makaton signs. Give one choice at a time and wait for an answer.",
        ),
        easy_read: true,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Aisha",
        family: "Karimi",
        preferred: None,
        pronouns: Some("she/her"),
        born: (2001, 9, 3),
        team: 0,
        communication: Some("Prefers pictures with words. Finds busy rooms hard; meet somewhere quiet."),
        easy_read: true,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Callum",
        family: "Reddy",
        preferred: None,
        pronouns: Some("he/him"),
        born: (1987, 1, 22),
        team: 1,
        communication: None,
        easy_read: false,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Marta",
        family: "Kowalczyk",
        preferred: None,
        pronouns: Some("she/her"),
        born: (1979, 11, 30),
        team: 1,
        communication: Some("Polish is her first language. Written summaries help after appointments."),
        easy_read: false,
        language: Some("Polish"),
        interpreter: true,
    },
    DemoPerson {
        given: "Devon",
        family: "Ashworth",
        preferred: Some("Dev"),
        pronouns: Some("they/them"),
        born: (1995, 6, 18),
        team: 1,
        communication: None,
        easy_read: false,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Eileen",
        family: "Fairbairn",
        preferred: None,
        pronouns: Some("she/her"),
        born: (1944, 2, 7),
        team: 2,
        communication: Some("Hard of hearing: face her and speak clearly. Her daughter joins calls."),
        easy_read: false,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Rajesh",
        family: "Menon",
        preferred: Some("Raj"),
        pronouns: Some("he/him"),
        born: (1958, 8, 25),
        team: 2,
        communication: None,
        easy_read: false,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Bernadette",
        family: "O'Rourke",
        preferred: Some("Bernie"),
        pronouns: Some("she/her"),
        born: (1951, 12, 14),
        team: 2,
        communication: Some("Large print, please."),
        easy_read: true,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Kwame",
        family: "Asante-Boateng",
        preferred: None,
        pronouns: Some("he/him"),
        born: (1969, 3, 9),
        team: 3,
        communication: None,
        easy_read: false,
        language: None,
        interpreter: false,
    },
    DemoPerson {
        given: "Leanne",
        family: "Pickering",
        preferred: None,
        pronouns: Some("she/her"),
        born: (1983, 7, 1),
        team: 3,
        communication: Some("Text first, then call. Mornings are difficult."),
        easy_read: false,
        language: None,
        interpreter: false,
    },
];

/// What was loaded, printed for whoever ran the command.
pub struct Summary {
    pub already_loaded: bool,
    pub people: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_loaded {
            writeln!(f, "The demo data ({ORG_NAME}) was already loaded.")?;
        } else {
            writeln!(
                f,
                "Loaded the demo data: {ORG_NAME}, {} teams, {} accounts, {} people.",
                TEAMS.len(),
                STAFF.len(),
                self.people
            )?;
        }
        writeln!(f, "Demo sign-ins (synthetic data only), all with the password '{DEMO_PASSWORD}':")?;
        for (username, name, role, _) in STAFF {
            writeln!(f, "  {username:<22} {name} ({})", role.label())?;
        }
        Ok(())
    }
}

/// The `n`th valid NHS number in the 999 test range.
pub fn test_nhs_number(n: u32) -> NhsNumber {
    (n..)
        .filter_map(|k| {
            let mut digits = [9u8, 9, 9, 0, 0, 0, 0, 0, 0];
            let mut v = k;
            for slot in digits[3..].iter_mut().rev() {
                *slot = (v % 10) as u8;
                v /= 10;
            }
            NhsNumber::from_first_nine(digits)
        })
        .next()
        .expect("some number in the test range is valid")
}

pub async fn load(db: &Db) -> anyhow::Result<Summary> {
    if accounts::org_by_name(db, ORG_NAME).await?.is_some() {
        return Ok(Summary { already_loaded: true, people: PEOPLE.len() });
    }
    let ctx = AuditContext::command_line("demo");
    let org: OrgId = accounts::create_org(db, &ctx, ORG_NAME, "partnership", "Europe/London").await?;
    let ctx = AuditContext { org_id: Some(org), ..ctx };
    let mut teams: Vec<TeamId> = Vec::new();
    for name in TEAMS {
        teams.push(accounts::create_team(db, &ctx, org, name).await?);
    }
    // One hash for every demo account: hashing is deliberately slow and the password is public.
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut key_worker: Option<UserId> = None;
    let mut first_person = None;
    for (i, p) in PEOPLE.iter().enumerate() {
        if i == 0 {
            // Staff first, so the key worker exists to be allocated.
            for (username, name, role, team) in STAFF.iter().filter(|s| s.2 != Role::Person) {
                let username: Username = username.parse()?;
                let id = accounts::create_user(
                    db,
                    &ctx,
                    NewUser {
                        org_id: org,
                        username: &username,
                        display_name: name,
                        role: *role,
                        team_id: team.map(|t| teams[t]),
                        person_id: None,
                        password_hash: Some(&hash),
                    },
                )
                .await?;
                if username.as_str() == "demo-keyworker" {
                    key_worker = Some(id);
                }
            }
        }
        let details = PersonDetails {
            given_name: p.given.into(),
            family_name: p.family.into(),
            preferred_name: p.preferred.map(Into::into),
            pronouns: p.pronouns.map(Into::into),
            date_of_birth: NaiveDate::from_ymd_opt(p.born.0, p.born.1, p.born.2)
                .ok_or_else(|| anyhow::anyhow!("bad demo date"))?,
            nhs_number: test_nhs_number(1 + i as u32 * 7),
            phone: Some(format!("01632 960 {:03}", 100 + i)),
            email: None,
            address: Some(format!("{} Fictional Row, Westmere", 10 + i * 3)),
            communication_needs: p.communication.map(Into::into),
            easy_read: p.easy_read,
            language: p.language.map(Into::into),
            interpreter_needed: p.interpreter,
        };
        // The demo key worker holds every case, so one sign-in shows the whole demo.
        let id = people::register(
            db,
            &ctx,
            org,
            &details,
            Allocation { team_id: Some(teams[p.team]), key_worker_id: key_worker },
        )
        .await?;
        if i == 0 {
            first_person = Some(id);
        }
        if i == 1 {
            crate::demo_story::load(db, &ctx, id, key_worker, carethread_store::now().date_naive()).await?;
        }
        if i == PEOPLE.len() - 1 {
            people::change_case(
                db,
                &ctx,
                id,
                1,
                CaseChange::Close { reason: "Stepped down to the practice after meeting her goals" },
            )
            .await?
            .map_err(|_| anyhow::anyhow!("a demo case changed while the demo was loading"))?;
        }
    }
    let person_username: Username = "demo-person".parse()?;
    accounts::create_user(
        db,
        &ctx,
        NewUser {
            org_id: org,
            username: &person_username,
            display_name: "Jordan Baptiste",
            role: Role::Person,
            team_id: None,
            person_id: first_person,
            password_hash: Some(&hash),
        },
    )
    .await?;
    if let Some(jordan) = first_person {
        share_with_supporter(db, &ctx, jordan).await?;
    }
    Ok(Summary { already_loaded: false, people: PEOPLE.len() })
}

/// Jordan's mum, Lorna, is in his circle of support and signs in as `demo-supporter`; Jordan
/// agreed to share his crisis plan and his "about me" with her.
async fn share_with_supporter(db: &Db, ctx: &AuditContext, jordan: carethread_domain::PersonId) -> anyhow::Result<()> {
    use carethread_domain::circle::{Involvement, MemberDetails, Source};
    use carethread_domain::plan::consent::{ConsentDetails, ConsentGiven, Section, ShareScope, ShareWith};
    use carethread_domain::themes::Theme;
    let lorna = MemberDetails {
        name: "Lorna Baptiste".into(),
        relationship: "Mum".into(),
        organisation: None,
        contact: Some("01632 960 555".into()),
        source: Source::PersonalNetwork,
        involvement: Involvement::Core,
        brings: Some("Knows Jordy best; visits every Sunday".into()),
    };
    let member = carethread_store::themes::add_member(db, ctx, jordan, &lorna, Some("demo-supporter")).await?;
    let consent = ConsentDetails {
        with: ShareWith::Member { id: member, name: "Lorna Baptiste (Mum)".into() },
        scope: ShareScope::Sections(vec![Section::Escalation, Section::Theme(Theme::AboutMe)]),
        purpose: "So Mum knows what to do if Jordy is in crisis, and how he likes to be supported".into(),
        from: carethread_store::now().date_naive(),
        until: None,
        given: ConsentGiven::Verbal,
    };
    carethread_store::plans::add_consent(db, ctx, jordan, &consent).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_nhs_numbers_are_valid_test_range_numbers_and_distinct() {
        let numbers: Vec<NhsNumber> = (0..PEOPLE.len() as u32).map(|i| test_nhs_number(1 + i * 7)).collect();
        assert!(numbers.iter().all(NhsNumber::is_test_range));
        let mut unique = numbers.clone();
        unique.sort_by_key(NhsNumber::digits);
        unique.dedup();
        assert_eq!(unique.len(), numbers.len());
    }
}
