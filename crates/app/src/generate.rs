//! `carethread generate`: a synthetic population for benchmarks and load tests. Every name,
//! number and sentence is made up; NHS numbers come from the 999 test range.
//!
//! `--people N` people are registered with their health figures (long-term conditions, frailty,
//! activation, hospital use); `--cases M` of them, spread evenly through the population and
//! drawn from its more complex end, have a case: a circle of support, theme entries, problem
//! areas, a care plan with its versions, signed-off reviews with everyone's votes (and for some a
//! review awaiting its votes), and tasks for the person, their circle, their key worker and team.
//!
//! The same seed and sizes give the same people, records and record ids every time (the
//! organisation, its teams and staff accounts are created through the ordinary functions and
//! get fresh ids).

use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::keeping_safe::{Particulars, RiskParts};
use carethread_domain::plan::lifecycle::{AgreedHow, Agreement, PersonAgreement, PlanStatus};
use carethread_domain::plan::{Achievement, Goal, PlanContent, Responsibility, Step, Treatment};
use carethread_domain::population::{ActivationLevel, FrailtyIndex, HealthSnapshot, LongTermCondition};
use carethread_domain::problems::{Described, ProblemDetails};
use carethread_domain::reviews::{Attendance, AttendeeDetails, Minutes, ReviewDetails, ReviewKind, Vote};
use carethread_domain::tasks::{Owner, TaskDetails, TaskStatus};
use carethread_domain::themes::{EntryDetails, EntryKind, StepStatus, Theme, Topic, Voice};
use carethread_domain::{NhsNumber, OrgId, PersonDetails, Role, TeamId, UserId, Username};
use carethread_store::accounts::{self, NewUser};
use carethread_store::bulk::{self, AttendeeToLoad, CaseToLoad, PersonToLoad, PlanVersionToLoad, ReviewToLoad};
use carethread_store::{AuditContext, Db};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::time::Instant;
use uuid::Uuid;

/// People written per transaction, and at most this many cases: large enough that
/// per-statement cost vanishes, small enough that a failure part-way loses little and memory
/// stays flat.
const PEOPLE_PER_BATCH: usize = 10_000;
const CASES_PER_BATCH: usize = 2_000;
const TEAMS: usize = 8;
const KEY_WORKERS: usize = 40;

#[derive(Debug)]
pub struct Generated {
    pub org_name: String,
    pub people: usize,
    pub cases: usize,
    pub seconds: f64,
}

/// Who holds the generated cases: the organisation's teams and key workers.
struct Holders {
    teams: Vec<TeamId>,
    key_workers: Vec<UserId>,
}

/// Fills `db` with one synthetic organisation of `people` people, `cases` of whom have a case.
pub async fn run(db: &Db, people: usize, cases: usize, seed: u64) -> anyhow::Result<Generated> {
    anyhow::ensure!(
        cases <= people,
        "--cases ({cases}) cannot be more than --people ({people}): every case belongs to one of the people."
    );
    let began = Instant::now();
    let org_name = format!("Synthetic Care Partnership {seed}");
    if accounts::org_by_name(db, &org_name).await?.is_some() {
        anyhow::bail!("“{org_name}” is already in this database. Use another --seed, or a fresh database.");
    }
    let ctx = AuditContext::command_line("generate");
    let org: OrgId = accounts::create_org(db, &ctx, &org_name, "partnership", "Europe/London").await?;
    let ctx = AuditContext { org_id: Some(org), ..ctx };
    let holders = holders(db, &ctx, org, seed).await?;
    // One core makes and prepares the next batch while the other writes this one.
    let (batches, mut ready) = tokio::sync::mpsc::channel::<bulk::Prepared>(1);
    let maker = tokio::task::spawn_blocking(move || make_batches(&ctx, org, &holders, people, cases, seed, &batches));
    let mut written = 0;
    while let Some(batch) = ready.recv().await {
        let size = batch.people();
        bulk::write(db, batch).await?;
        written += size;
        if written % 100_000 < size || written == people {
            tracing::info!(people = written, "generated");
        }
    }
    // The maker stops early only on a fault; the channel closing then says nothing about why.
    maker.await??;
    bulk::analyse(db).await?;
    Ok(Generated { org_name, people, cases, seconds: began.elapsed().as_secs_f64() })
}

/// Makes the people and cases in batches and prepares their rows, sending each batch to be
/// written. Stops when the writer has gone (it failed, and says why).
fn make_batches(
    ctx: &AuditContext,
    org: OrgId,
    holders: &Holders,
    people: usize,
    cases: usize,
    seed: u64,
    out: &tokio::sync::mpsc::Sender<bulk::Prepared>,
) -> anyhow::Result<()> {
    let mut rng = Gen::new(seed);
    let mut numbers = TestNumbers::default();
    let (mut batch_people, mut batch_cases) = (Vec::new(), Vec::new());
    let mut cases_done = 0;
    for i in 0..people {
        // Exactly `cases` of the people have a case, spread evenly through the population.
        let has_case = (i + 1) * cases / people > i * cases / people;
        let person = synthetic_person(&mut rng, numbers.next(), has_case);
        if has_case {
            let n = cases_done;
            let (team, kw) = (holders.teams[n % TEAMS], holders.key_workers[n % KEY_WORKERS]);
            batch_cases.push(synthetic_case(&mut rng, &person, team, kw));
            cases_done += 1;
        }
        batch_people.push(person);
        if batch_people.len() == PEOPLE_PER_BATCH || batch_cases.len() == CASES_PER_BATCH || i + 1 == people {
            let prepared = bulk::prepare(ctx, org, &batch_people, &batch_cases)?;
            if out.blocking_send(prepared).is_err() {
                return Ok(());
            }
            batch_people.clear();
            batch_cases.clear();
        }
    }
    Ok(())
}

async fn holders(db: &Db, ctx: &AuditContext, org: OrgId, seed: u64) -> anyhow::Result<Holders> {
    let mut teams: Vec<TeamId> = Vec::new();
    for t in 0..TEAMS {
        teams.push(accounts::create_team(db, ctx, org, &format!("Synthetic team {}", t + 1)).await?);
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
        key_workers.push(accounts::create_user(db, ctx, user).await?);
    }
    Ok(Holders { teams, key_workers })
}

/// Successive valid NHS numbers in the test range, never repeating: the 999 block first, then
/// 998, 997 and so on (each block of a million candidates holds about 909,000 valid numbers).
#[derive(Default)]
struct TestNumbers {
    next: u32,
}

impl TestNumbers {
    fn next(&mut self) -> NhsNumber {
        loop {
            let k = self.next;
            self.next += 1;
            assert!(k < 100_000_000, "the 9 test range holds about ninety million valid numbers");
            let block = 999 - k / 1_000_000;
            let mut digits = [9u8, ((block / 10) % 10) as u8, (block % 10) as u8, 0, 0, 0, 0, 0, 0];
            let mut v = k % 1_000_000;
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

/// The seeded generator, and the clock that stamps the ids it mints.
struct Gen {
    rng: StdRng,
    /// Milliseconds since 1970 for the next id: one apart, so ids ascend in the order records are
    /// made, as a real load would mint them, and every index on an id is appended to, not
    /// scattered into (measured: random ids made the load several times slower).
    next_ms: u64,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Gen { rng: StdRng::seed_from_u64(seed), next_ms: epoch().timestamp_millis() as u64 }
    }
}

impl std::ops::Deref for Gen {
    type Target = StdRng;
    fn deref(&self) -> &StdRng {
        &self.rng
    }
}

impl std::ops::DerefMut for Gen {
    fn deref_mut(&mut self) -> &mut StdRng {
        &mut self.rng
    }
}

/// The next UUID version 7, with its random part drawn from the seeded generator.
fn next_id(g: &mut Gen) -> Uuid {
    let random: [u8; 10] = g.rng.random();
    g.next_ms += 1;
    uuid::Builder::from_unix_timestamp_millis(g.next_ms, &random).into_uuid()
}

/// Fixed, not "now": the same seed makes the same database on any day.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).single().expect("a valid fixed date")
}

/// One person of the population. People with a case are drawn from its more complex end: more
/// conditions, frailer, less able to manage, more time in hospital.
fn synthetic_person(rng: &mut Gen, nhs_number: NhsNumber, complex: bool) -> PersonToLoad {
    let registered_at = epoch() - Duration::minutes(rng.random_range(0..60 * 24 * 3650));
    let born =
        NaiveDate::from_ymd_opt(rng.random_range(1930..2008), rng.random_range(1..=12), rng.random_range(1..=28))
            .expect("days 1-28 exist in every month");
    let given = *pick(rng, GIVEN);
    let family = *pick(rng, FAMILY);
    let easy_read = rng.random_bool(if complex { 0.3 } else { 0.03 });
    let details = PersonDetails {
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
    let age = u8::try_from(2026 - chrono::Datelike::year(&born)).unwrap_or(80);
    // Conditions accumulate with age; a case means several.
    let expected = if complex { 3 } else { usize::from(age / 25) };
    let count = rng.random_range(0..=expected * 2).min(LongTermCondition::ALL.len());
    let mut conditions: Vec<LongTermCondition> = (0..count).map(|_| *pick(rng, &LongTermCondition::ALL)).collect();
    conditions.sort();
    conditions.dedup();
    let frailty_top: u8 = if complex { 60 } else { age.min(80) / 3 };
    let health = HealthSnapshot {
        frailty: FrailtyIndex::try_from(rng.random_range(0..=frailty_top)).expect("at most 60"),
        activation: ActivationLevel::try_from(if complex { rng.random_range(1..=3) } else { rng.random_range(1..=4) })
            .expect("1 to 4"),
        admissions: if complex { rng.random_range(0..=4) } else { u16::from(rng.random_bool(0.05)) },
        emergency_visits: if complex { rng.random_range(0..=8) } else { rng.random_range(0..=1) },
        recorded_on: epoch().date_naive() + Duration::days(rng.random_range(0..300)),
        conditions,
    };
    PersonToLoad { id: next_id(rng), details, health, registered_at }
}

fn synthetic_case(rng: &mut Gen, person: &PersonToLoad, team: TeamId, key_worker: UserId) -> CaseToLoad {
    let opened_at = epoch() + Duration::minutes(rng.random_range(0..60 * 24 * 300));
    let family = person.details.family_name.as_str();
    let case_id = next_id(rng);
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
        members.push((next_id(rng), member));
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
        entries.push((next_id(rng), theme, details));
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
        problems.push((next_id(rng), details));
    }
    let plan = synthetic_plan(rng, opened_at, &members, key_worker);
    let reviews = synthetic_reviews(rng, opened_at, person, &members);
    let last_review = reviews.last().map(|r| r.details.at.date()).unwrap_or(opened_at.date_naive());
    let tasks = synthetic_tasks(rng, opened_at, &members, team, key_worker);
    CaseToLoad {
        person_id: person.id,
        case_id,
        team_id: Some(team),
        key_worker_id: Some(key_worker),
        opened_at,
        members,
        entries,
        problems,
        plan,
        reviews,
        tasks,
        review_plan: Some((12, last_review + Duration::weeks(12))),
    }
}

const GOALS: &[(&str, &str)] = &[
    ("Having friends of my own", "Go to the Thursday club at the community centre"),
    ("Staying well at home", "Take my tablets every morning with breakfast"),
    ("Having my own money", "Pay my bills on time each month"),
    ("Getting out more", "Catch the bus to town on my own"),
    ("Doing something useful", "Volunteer at the food bank one day a week"),
];

/// The plan: for most cases an agreed version in force, for some an older version it replaced,
/// for a few only a first draft.
fn synthetic_plan(
    rng: &mut Gen,
    opened_at: DateTime<Utc>,
    members: &[(Uuid, MemberDetails)],
    key_worker: UserId,
) -> Vec<PlanVersionToLoad> {
    let mut content = PlanContent::default();
    for _ in 0..rng.random_range(1..=3) {
        let (matters, achieve) = *pick(rng, GOALS);
        let helper = pick(rng, members);
        content.goals.push(Goal {
            id: next_id(rng),
            what_matters: matters.into(),
            achieve: achieve.into(),
            voice: if rng.random_bool(0.7) { Voice::OwnWords } else { Voice::WithPerson },
            steps: vec![Step {
                what: (*pick(rng, STEPS)).into(),
                who: Owner::Member(helper.0),
                who_name: helper.1.name.clone(),
                by: Some(opened_at.date_naive() + Duration::days(rng.random_range(14..120))),
            }],
            commitment: Some("I will have a go and say if it is not working.".into()),
            themes: vec![Theme::ALL[rng.random_range(1..Theme::ALL.len())]],
            problems: vec![],
            achievement: Achievement::Working,
            revision: 1,
        });
    }
    content.management.treatments.push(Treatment { text: "Medication as the GP prescribes".into(), code: None });
    content.management.self_management = vec!["Keep a diary of how I feel".into()];
    content.management.responsibilities.push(Responsibility {
        who: Owner::Staff(key_worker),
        who_name: "Key worker".into(),
        what: "Ring every fortnight".into(),
    });
    content.escalation.warning_signs = vec!["Stops answering the phone".into()];
    content.escalation.what_helps = vec!["Someone calm they know".into()];
    content.escalation.what_to_do = vec!["Ring the key worker, then the crisis line".into()];
    let agreed = |on: NaiveDate| Agreement {
        on,
        person: PersonAgreement::Themselves(AgreedHow::InPerson),
        others: Some("Their key worker".into()),
    };
    let first_at = opened_at + Duration::days(14);
    match rng.random_range(0..10) {
        0 => vec![PlanVersionToLoad {
            id: next_id(rng),
            number: 1,
            status: PlanStatus::Draft,
            content,
            agreement: None,
            at: first_at,
        }],
        1..=3 => {
            let second_at = first_at + Duration::days(rng.random_range(60..200));
            let mut revised = content.clone();
            revised.goals.truncate(1);
            revised.escalation.what_helps.push("Music in the background".into());
            vec![
                PlanVersionToLoad {
                    id: next_id(rng),
                    number: 1,
                    status: PlanStatus::Superseded,
                    content,
                    agreement: Some(agreed(first_at.date_naive())),
                    at: second_at,
                },
                PlanVersionToLoad {
                    id: next_id(rng),
                    number: 2,
                    status: PlanStatus::Active,
                    content: revised,
                    agreement: Some(agreed(second_at.date_naive())),
                    at: second_at,
                },
            ]
        }
        _ => vec![PlanVersionToLoad {
            id: next_id(rng),
            number: 1,
            status: PlanStatus::Active,
            content,
            agreement: Some(agreed(first_at.date_naive())),
            at: first_at,
        }],
    }
}

/// One to three signed-off reviews, each attendee voting on every theme. A fifth of cases also
/// have a review that has met, with attendance recorded, whose votes are still to be entered.
fn synthetic_reviews(
    rng: &mut Gen,
    opened_at: DateTime<Utc>,
    person: &PersonToLoad,
    members: &[(Uuid, MemberDetails)],
) -> Vec<ReviewToLoad> {
    const VOTES: [Vote; 3] = [Vote::Progressed, Vote::Unchanged, Vote::SlippedBack];
    let signed_off = rng.random_range(1..=3);
    let open = rng.random_bool(0.2);
    let mut out = Vec::new();
    for r in 0..signed_off + usize::from(open) {
        let at = (opened_at + Duration::weeks(12 * (r as i64 + 1))).naive_utc();
        let id = next_id(rng);
        let mut attendees = vec![AttendeeToLoad {
            id: next_id(rng),
            details: AttendeeDetails {
                name: format!("{} {}", person.details.given_name, person.details.family_name),
                role: "The person".into(),
                is_person: true,
            },
            member_id: None,
            attendance: Attendance::Present,
        }];
        for (member_id, m) in members.iter().take(2) {
            attendees.push(AttendeeToLoad {
                id: next_id(rng),
                details: AttendeeDetails { name: m.name.clone(), role: m.relationship.clone(), is_person: false },
                member_id: Some(*member_id),
                attendance: if rng.random_bool(0.8) { Attendance::Present } else { Attendance::SentViews },
            });
        }
        let is_open = r == signed_off;
        let mut votes = Vec::new();
        if !is_open {
            for a in &attendees {
                for theme in Theme::ALL {
                    votes.push((next_id(rng), a.id, theme, VOTES[rng.random_range(0..3)]));
                }
            }
        }
        out.push(ReviewToLoad {
            id,
            details: ReviewDetails {
                kind: if r % 2 == 0 { ReviewKind::FormalReview } else { ReviewKind::Conversation },
                at,
                place: "Community team base, room 2".into(),
                chair: "Key worker".into(),
            },
            minutes: Minutes::default(),
            attendees,
            votes,
            signed_off_at: (!is_open).then(|| at.and_utc() + Duration::days(2)),
        });
    }
    out
}

const TASKS: &[&str] = &[
    "Book the annual health check",
    "Send the easy-read plan to the GP",
    "Apply for the bus pass",
    "Find out about the Thursday club",
    "Ring the housing officer about the repairs",
    "Check the medication review date",
];

/// Two to five tasks, owned by the person, someone in their circle, their key worker or the team.
fn synthetic_tasks(
    rng: &mut Gen,
    opened_at: DateTime<Utc>,
    members: &[(Uuid, MemberDetails)],
    team: TeamId,
    key_worker: UserId,
) -> Vec<(Uuid, TaskDetails)> {
    (0..rng.random_range(2..=5))
        .map(|_| {
            let owner = match rng.random_range(0..4) {
                0 => Owner::Person,
                1 => Owner::Member(pick(rng, members).0),
                2 => Owner::Staff(key_worker),
                _ => Owner::Team(team),
            };
            let status = match rng.random_range(0..10) {
                0..=2 => TaskStatus::Requested,
                3..=4 => TaskStatus::Accepted,
                5..=6 => TaskStatus::InProgress,
                7..=8 => TaskStatus::Done,
                _ => TaskStatus::Blocked("Waiting to hear back".into()),
            };
            let details = TaskDetails {
                title: (*pick(rng, TASKS)).into(),
                owner,
                due: opened_at.date_naive() + Duration::days(rng.random_range(7..200)),
                theme: rng.random_bool(0.7).then(|| Theme::ALL[rng.random_range(0..Theme::ALL.len())]),
                status,
            };
            (next_id(rng), details)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_people_and_cases_and_numbers_never_repeat() {
        let (team, kw) = (TeamId::new(), UserId::new());
        let mut a = Gen::new(7);
        let mut b = Gen::new(7);
        let mut numbers = TestNumbers::default();
        let mut seen = std::collections::HashSet::new();
        // Past the 999 block's last valid number the next comes from 998.
        let mut skipping = TestNumbers { next: 999_997 };
        let tail: Vec<String> = (0..5).map(|_| skipping.next().digits()).collect();
        assert!(tail[..3].iter().all(|d| d.starts_with("999999")), "{tail:?}");
        assert!(tail[3..].iter().all(|d| d.starts_with("998000")), "{tail:?}");
        assert!(tail.iter().all(|d| d.parse::<NhsNumber>().is_ok_and(|n| n.is_test_range())));
        for i in 0..200 {
            let n = numbers.next();
            assert!(n.is_test_range());
            assert!(seen.insert(n.digits().to_string()), "repeated {}", n.digits());
            let (p, q) = (synthetic_person(&mut a, n, i % 2 == 0), synthetic_person(&mut b, n, i % 2 == 0));
            assert_eq!((p.id, &p.details, &p.health), (q.id, &q.details, &q.health));
            let (x, y) = (synthetic_case(&mut a, &p, team, kw), synthetic_case(&mut b, &q, team, kw));
            assert_eq!(
                (x.case_id, x.entries.len(), x.plan.len(), x.reviews.len(), x.tasks.len()),
                (y.case_id, y.entries.len(), y.plan.len(), y.reviews.len(), y.tasks.len())
            );
        }
    }
}
