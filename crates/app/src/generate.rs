//! `carethread generate`: a synthetic organisation with many cases, for benchmarks and load
//! tests. Every name, number and sentence is made up; NHS numbers come from the 999 test range.
//!
//! The same seed and size give the same people, records and record ids every time (the
//! organisation, its teams and staff accounts are created through the ordinary functions and
//! get fresh ids).

use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::keeping_safe::{Particulars, RiskParts};
use carethread_domain::problems::{Described, ProblemDetails};
use carethread_domain::themes::{EntryDetails, EntryKind, StepStatus, Theme, Topic, Voice};
use carethread_domain::{NhsNumber, OrgId, PersonDetails, Role, TeamId, UserId, Username};
use carethread_store::accounts::{self, NewUser};
use carethread_store::bulk::{self, CaseToLoad};
use carethread_store::{AuditContext, Db};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::time::Instant;
use uuid::Uuid;

/// Cases written per transaction: large enough that per-statement cost vanishes, small enough
/// that a failure part-way loses little and memory stays flat.
const BATCH: usize = 2_000;
const TEAMS: usize = 8;
const KEY_WORKERS: usize = 40;

#[derive(Debug)]
pub struct Generated {
    pub org_name: String,
    pub cases: usize,
    pub seconds: f64,
}

/// Fills `db` with one synthetic organisation holding `cases` open cases.
pub async fn run(db: &Db, cases: usize, seed: u64) -> anyhow::Result<Generated> {
    let began = Instant::now();
    let org_name = format!("Synthetic Care Partnership {seed}");
    if accounts::org_by_name(db, &org_name).await?.is_some() {
        anyhow::bail!("“{org_name}” is already in this database. Use another --seed, or a fresh database.");
    }
    let ctx = AuditContext::command_line("generate");
    let org: OrgId = accounts::create_org(db, &ctx, &org_name, "partnership", "Europe/London").await?;
    let ctx = AuditContext { org_id: Some(org), ..ctx };
    let mut teams: Vec<TeamId> = Vec::new();
    for t in 0..TEAMS {
        teams.push(accounts::create_team(db, &ctx, org, &format!("Synthetic team {}", t + 1)).await?);
    }
    // Staff accounts without a password: they hold cases but cannot sign in.
    let mut key_workers: Vec<UserId> = Vec::new();
    for k in 0..KEY_WORKERS {
        let username: Username = format!("synthetic-{seed}-kw-{}", k + 1).parse()?;
        let user = NewUser {
            org_id: org,
            username: &username,
            display_name: &format!("Key worker {}", k + 1),
            role: Role::KeyWorker,
            team_id: Some(teams[k % TEAMS]),
            person_id: None,
            password_hash: None,
        };
        key_workers.push(accounts::create_user(db, &ctx, user).await?);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut numbers = TestNumbers::default();
    let mut done = 0;
    while done < cases {
        let size = BATCH.min(cases - done);
        let batch: Vec<CaseToLoad> = (0..size)
            .map(|i| {
                let n = done + i;
                synthetic_case(&mut rng, numbers.next(), teams[n % TEAMS], key_workers[n % KEY_WORKERS])
            })
            .collect();
        bulk::load_cases(db, &ctx, org, &batch).await?;
        done += size;
        if done % 20_000 == 0 || done == cases {
            tracing::info!(done, cases, "generated cases");
        }
    }
    Ok(Generated { org_name, cases, seconds: began.elapsed().as_secs_f64() })
}

/// Successive valid NHS numbers in the 999 test range, never repeating.
#[derive(Default)]
struct TestNumbers {
    next: u32,
}

impl TestNumbers {
    fn next(&mut self) -> NhsNumber {
        loop {
            let k = self.next;
            self.next += 1;
            assert!(k < 10_000_000, "the 999 test range holds about nine million valid numbers");
            let mut digits = [9u8, 9, 9, 0, 0, 0, 0, 0, 0];
            let mut v = k;
            for slot in digits[3..].iter_mut().rev() {
                *slot = (v % 10) as u8;
                v /= 10;
            }
            if let Some(n) = NhsNumber::from_first_nine(digits) {
                return n;
            }
        }
    }
}

const GIVEN: &[&str] = &[
    "Alex", "Amina", "Ben", "Bethan", "Callum", "Chloe", "Daniel", "Deepa", "Elliot", "Erin", "Farah", "Finn", "Grace",
    "Hamza", "Hannah", "Isaac", "Imogen", "Jamal", "Jess", "Kai", "Keira", "Liam", "Lola", "Mohammed", "Megan",
    "Nathan", "Niamh", "Oscar", "Olivia", "Priya", "Reuben", "Rosa", "Sami", "Sophie", "Tariq", "Tilly", "Usman",
    "Vera", "Wes", "Zara",
];
const FAMILY: &[&str] = &[
    "Adebayo",
    "Ahmed",
    "Bennett",
    "Campbell",
    "Chowdhury",
    "Davies",
    "Evans",
    "Fraser",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kaur",
    "Kowalski",
    "Lewis",
    "MacLeod",
    "Mensah",
    "Morgan",
    "Nowak",
    "O'Brien",
    "Okafor",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Walsh",
    "Williams",
    "Wright",
    "Young",
];
const RELATIVES: &[&str] = &["Mum", "Dad", "Sister", "Brother", "Aunt", "Grandad", "Friend", "Neighbour"];
const SERVICES: &[(&str, &str)] = &[
    ("Key worker", "Community team"),
    ("GP", "Riverside Surgery"),
    ("Psychiatrist", "Mental health trust"),
    ("Speech and language therapist", "Community team"),
    ("Support worker", "Home support agency"),
];
const WIDER: &[(&str, &str)] = &[
    ("Advocate", "Local advocacy service"),
    ("Housing officer", "Council housing"),
    ("Job coach", "Supported employment project"),
    ("Commissioner", "Integrated care board"),
];
const WORKING: &[&str] = &[
    "Going to the allotment on Tuesdays",
    "Sleeping better since the new routine",
    "Cooking a meal with support twice a week",
    "Phoning mum every Sunday",
    "Walking the dog each morning",
];
const WORRIES: &[&str] = &[
    "Money running out before the end of the month",
    "Feeling lonely at weekends",
    "Missing medication when the routine changes",
    "Arguments with a neighbour",
    "Not leaving the flat for days at a time",
];
const STEPS: &[&str] = &[
    "Ask about a bus pass",
    "Book a health check at the surgery",
    "Visit the community café together",
    "Set up a weekly planner on the fridge",
    "Meet the job coach",
];
const PROBLEMS: &[(&str, &str)] = &[
    ("Anxiety when plans change", "Stops going out when the bus is late or a visit is moved"),
    ("Type 2 diabetes", "Needs reminders for tablets and regular meals"),
    ("Difficulty managing money", "Bills go unpaid and food runs short"),
    ("Epilepsy", "Cannot bath alone; seizures after poor sleep"),
    ("Low mood", "Stays in bed most mornings"),
];

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// A UUID version 7 for the given time, with its random part drawn from the seeded generator.
fn v7(rng: &mut StdRng, at: DateTime<Utc>) -> Uuid {
    let random: [u8; 10] = rng.random();
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &random).into_uuid()
}

fn synthetic_case(rng: &mut StdRng, nhs_number: NhsNumber, team: TeamId, key_worker: UserId) -> CaseToLoad {
    // Fixed, not "now": the same seed makes the same database on any day.
    let epoch = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).single().expect("a valid fixed date");
    let opened_at = epoch + Duration::minutes(rng.random_range(0..60 * 24 * 300));
    let born =
        NaiveDate::from_ymd_opt(rng.random_range(1940..2008), rng.random_range(1..=12), rng.random_range(1..=28))
            .expect("days 1-28 exist in every month");
    let given = *pick(rng, GIVEN);
    let family = *pick(rng, FAMILY);
    let easy_read = rng.random_bool(0.3);
    let person = PersonDetails {
        given_name: given.into(),
        family_name: family.into(),
        preferred_name: None,
        pronouns: None,
        date_of_birth: born,
        nhs_number,
        phone: Some(format!("01632 {:06}", rng.random_range(0..1_000_000))),
        email: None,
        address: Some(format!("{} Synthetic Road", rng.random_range(1..300))),
        communication_needs: easy_read.then(|| "Short sentences and pictures".into()),
        easy_read,
        language: None,
        interpreter_needed: false,
    };
    let person_id = v7(rng, opened_at);
    let case_id = v7(rng, opened_at);
    let mut members = Vec::new();
    for _ in 0..rng.random_range(2..=6) {
        let member = match rng.random_range(0..3) {
            0 => MemberDetails {
                name: format!("{} {family}", pick(rng, GIVEN)),
                relationship: (*pick(rng, RELATIVES)).into(),
                organisation: None,
                contact: Some(format!("07700 {:06}", rng.random_range(900_000..1_000_000))),
                source: Source::PersonalNetwork,
                involvement: Involvement::Core,
                brings: Some("Knows what matters to them".into()),
            },
            1 => {
                let (role, org) = *pick(rng, SERVICES);
                MemberDetails {
                    name: format!("{} {}", pick(rng, GIVEN), pick(rng, FAMILY)),
                    relationship: role.into(),
                    organisation: Some(org.into()),
                    contact: None,
                    source: Source::Services,
                    involvement: Involvement::Regular,
                    brings: None,
                }
            }
            _ => {
                let (role, org) = *pick(rng, WIDER);
                MemberDetails {
                    name: format!("{} {}", pick(rng, GIVEN), pick(rng, FAMILY)),
                    relationship: role.into(),
                    organisation: Some(org.into()),
                    contact: None,
                    source: Source::WiderSystem,
                    involvement: Involvement::Occasional,
                    brings: None,
                }
            }
        };
        members.push((v7(rng, opened_at), member));
    }
    let mut entries = Vec::new();
    for _ in 0..rng.random_range(3..=12) {
        let theme = Theme::ALL[rng.random_range(1..Theme::ALL.len())];
        let topics: Vec<Topic> = Topic::of(theme).collect();
        let topic = (!topics.is_empty() && rng.random_bool(0.6)).then(|| *pick(rng, &topics));
        let kind = EntryKind::ALL[rng.random_range(0..3)];
        let body = match kind {
            EntryKind::Working => *pick(rng, WORKING),
            EntryKind::Worry => *pick(rng, WORRIES),
            _ => *pick(rng, STEPS),
        };
        let particulars = (kind == EntryKind::Worry && topic.is_some_and(|t| t.is_risk_area())).then(|| {
            Particulars::Risk(RiskParts {
                understanding: Some("I know this can go wrong when I am tired".into()),
                helps_now: Some("Talking it through with my key worker".into()),
                would_help: None,
            })
        });
        let details = EntryDetails {
            kind,
            topic,
            body: body.into(),
            voice: if rng.random_bool(0.5) { Voice::WithPerson } else { Voice::OwnWords },
            source: None,
            review: None,
            status: (kind == EntryKind::NextStep).then_some(StepStatus::Open),
            withheld: None,
            particulars,
        };
        entries.push((v7(rng, opened_at), theme, details));
    }
    let mut problems = Vec::new();
    for _ in 0..rng.random_range(0..=3) {
        let (name, impact) = *pick(rng, PROBLEMS);
        let details = ProblemDetails {
            name: name.into(),
            described_as: if rng.random_bool(0.5) { Described::Diagnosis } else { Described::PlainWords },
            code: None,
            impact: impact.into(),
            assessments: None,
            guidelines: None,
            plan: Some("Agreed with the person at the last review".into()),
            progress: None,
            next_initiatives: None,
        };
        problems.push((v7(rng, opened_at), details));
    }
    CaseToLoad {
        person_id,
        case_id,
        person,
        team_id: Some(team),
        key_worker_id: Some(key_worker),
        opened_at,
        members,
        entries,
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_cases_and_numbers_never_repeat() {
        let (team, kw) = (TeamId::new(), UserId::new());
        let mut a = StdRng::seed_from_u64(7);
        let mut b = StdRng::seed_from_u64(7);
        let mut numbers = TestNumbers::default();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let n = numbers.next();
            assert!(n.is_test_range());
            assert!(seen.insert(n.digits().to_string()), "repeated {}", n.digits());
            let (x, y) = (synthetic_case(&mut a, n, team, kw), synthetic_case(&mut b, n, team, kw));
            assert_eq!((x.person_id, &x.person, x.entries.len()), (y.person_id, &y.person, y.entries.len()));
        }
    }
}
