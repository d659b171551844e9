//! One demo case filled in, so the demo shows what a lived-in record looks like: Aisha Karimi's
//! circle of support, her own words, a risk written with her, a problem area, two signed-off
//! reviews with everyone's votes, and the tasks they agreed. All invented.
//!
//! Everything goes through the same store functions the pages use, so the story is audited and
//! versioned like any other record.

use carethread_domain::case::ReviewPlan;
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::keeping_safe::{Particulars, RiskParts};
use carethread_domain::problems::{Described, ProblemDetails};
use carethread_domain::reviews::{Attendance, AttendeeDetails, Ballot, ReviewDetails, ReviewKind, Vote};
use carethread_domain::tasks::{Owner, TaskDetails, TaskStatus};
use carethread_domain::themes::{EntryDetails, EntryKind, StepStatus, Theme, Topic, Voice};
use carethread_domain::{PersonId, UserId};
use carethread_store::reviews::{self, Invitee};
use carethread_store::{AuditContext, Db, tasks, themes};
use chrono::{Duration, NaiveDate};

fn member(
    name: &str,
    relationship: &str,
    organisation: Option<&str>,
    source: Source,
    involvement: Involvement,
) -> MemberDetails {
    MemberDetails {
        name: name.into(),
        relationship: relationship.into(),
        organisation: organisation.map(Into::into),
        contact: None,
        source,
        involvement,
        brings: None,
    }
}

fn entry(kind: EntryKind, topic: Option<Topic>, body: &str, voice: Voice) -> EntryDetails {
    EntryDetails {
        kind,
        topic,
        body: body.into(),
        voice,
        source: None,
        review: None,
        status: (kind == EntryKind::NextStep).then_some(StepStatus::Open),
        withheld: None,
        particulars: None,
    }
}

/// A signed-off review `days_ago`, attended by the person and the given circle members, with
/// one ballot per attendee (six votes each, in theme order) and the actions it agreed.
#[allow(clippy::too_many_arguments)]
async fn past_review(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    days_ago: i64,
    attendees: &[(&str, &str, bool)],
    ballots: &[[Vote; 6]],
    actions: &[TaskDetails],
    today: NaiveDate,
) -> anyhow::Result<()> {
    let at = (today - Duration::days(days_ago)).and_hms_opt(14, 0, 0).ok_or_else(|| anyhow::anyhow!("bad time"))?;
    let details = ReviewDetails {
        kind: ReviewKind::FormalReview,
        at,
        place: "Larkfield Unit, quiet room".into(),
        chair: "Priya Nair".into(),
    };
    let invitees: Vec<Invitee> = attendees
        .iter()
        .map(|(name, role, is_person)| Invitee {
            details: AttendeeDetails { name: (*name).into(), role: (*role).into(), is_person: *is_person },
            member_id: None,
            account_id: None,
        })
        .collect();
    let id = reviews::schedule(db, ctx, person, &details, &invitees).await?;
    let review = reviews::review(db, ctx, person, id).await?;
    let marks: Vec<_> = review.attendees.iter().map(|a| (a.id, Attendance::Present)).collect();
    reviews::set_attendance(db, ctx, person, id, &marks).await?;
    for (attendee, votes) in review.attendees.iter().zip(ballots) {
        let ballot = Ballot(Theme::ALL.iter().zip(votes).map(|(t, v)| (*t, *v, None)).collect());
        reviews::record_ballot(db, ctx, person, id, attendee.id, &ballot).await?;
    }
    for action in actions {
        tasks::add(db, ctx, person, action, Some(id)).await?;
    }
    let next = ReviewPlan { every_weeks: 12, next_review: today + Duration::days(60) };
    let review = reviews::review(db, ctx, person, id).await?;
    reviews::sign_off(db, ctx, person, id, review.version, next)
        .await?
        .map_err(|problems| anyhow::anyhow!("the demo review could not be signed off: {}", problems.join("; ")))?;
    Ok(())
}

pub async fn load(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    key_worker: Option<UserId>,
    today: NaiveDate,
) -> anyhow::Result<()> {
    use Vote::{Progressed as P, SlippedBack as S, Unchanged as U};
    let mum = themes::add_member(
        db,
        ctx,
        person,
        &member("Samira Karimi", "Mum", None, Source::PersonalNetwork, Involvement::Core),
        None,
    )
    .await?;
    themes::add_member(
        db,
        ctx,
        person,
        &member("Dr Hollis", "GP", Some("Brookside Surgery"), Source::Services, Involvement::Regular),
        None,
    )
    .await?;
    themes::add_member(
        db,
        ctx,
        person,
        &member("Ben Cole", "Advocate", Some("Westmere Advocacy"), Source::WiderSystem, Involvement::Occasional),
        None,
    )
    .await?;
    let entries = [
        (
            Theme::AboutMe,
            entry(
                EntryKind::Working,
                Some(Topic::MyView),
                "I like drawing and my cat Biscuit. I want my own flat one day.",
                Voice::OwnWords,
            ),
        ),
        (
            Theme::AboutMe,
            entry(
                EntryKind::Note,
                Some(Topic::HowToTalkWithMe),
                "Show me pictures and give me time. Do not rush me.",
                Voice::OwnWords,
            ),
        ),
        (
            Theme::JoiningIn,
            entry(
                EntryKind::Working,
                Some(Topic::Interests),
                "Art group at the library on Thursdays.",
                Voice::WithPerson,
            ),
        ),
        (
            Theme::JoiningIn,
            entry(
                EntryKind::NextStep,
                Some(Topic::Opportunities),
                "Try the Saturday café volunteering taster.",
                Voice::WithPerson,
            ),
        ),
        (
            Theme::KeepingSafe,
            EntryDetails {
                particulars: Some(Particulars::Risk(RiskParts {
                    understanding: Some("Sometimes people online say they are my friend and ask for pictures.".into()),
                    helps_now: Some("I show Mum or Priya messages that feel strange.".into()),
                    would_help: Some("Learning how to block and report people.".into()),
                })),
                ..entry(
                    EntryKind::Worry,
                    Some(Topic::RiskVulnerability),
                    "Being asked for photos by people she has met online.",
                    Voice::WithPerson,
                )
            },
        ),
    ];
    for (theme, details) in &entries {
        themes::add_entry(db, ctx, person, *theme, details).await?;
    }
    let problem = ProblemDetails {
        name: "Anxiety in busy places".into(),
        described_as: Described::PlainWords,
        code: None,
        impact: "Leaves the bus or the shop when it gets crowded, and then misses her art group.".into(),
        assessments: None,
        guidelines: None,
        plan: Some("Practise short trips at quiet times with her support worker.".into()),
        progress: None,
        next_initiatives: None,
    };
    themes::add_problem(db, ctx, person, &problem).await?;
    let attendees = [
        ("Aisha Karimi", "The person", true),
        ("Samira Karimi", "Mum", false),
        ("Priya Nair", "Key worker", false),
        ("Dr Hollis", "GP", false),
    ];
    let task = |title: &str, owner: Owner, due_in: i64, status: TaskStatus| TaskDetails {
        title: title.into(),
        owner,
        due: today + Duration::days(due_in),
        theme: Some(Theme::JoiningIn),
        status,
    };
    let staff = key_worker.map(Owner::Staff).unwrap_or(Owner::Person);
    let earlier = [task("Practise the bus trip at a quiet time", Owner::Person, -20, TaskStatus::Done)];
    past_review(
        db,
        ctx,
        person,
        120,
        &attendees,
        &[[U, P, U, P, S, U], [U, U, U, P, S, U], [P, P, U, P, U, U], [U, P, S, U, S, U]],
        &earlier,
        today,
    )
    .await?;
    let latest = [
        task("Ask the library about the Saturday café taster", Owner::Person, 10, TaskStatus::InProgress),
        task("Book an online-safety session with the advocate", staff, -5, TaskStatus::Requested),
    ];
    past_review(
        db,
        ctx,
        person,
        30,
        &attendees,
        &[[P, P, P, P, U, P], [P, P, U, P, U, P], [P, P, P, P, S, P], [P, U, P, P, U, P]],
        &latest,
        today,
    )
    .await?;
    crate::demo_plan::load(db, ctx, person, mum, key_worker, today).await
}
