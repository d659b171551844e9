//! Reviews and their votes, on the backend under test.

use crate::common::{ctx, org_with_person};
use carethread_domain::PersonId;
use carethread_domain::case::ReviewPlan;
use carethread_domain::reviews::{
    Attendance, AttendeeDetails, Ballot, Minutes, ReviewDetails, ReviewKind, ThemeMinutes, Vote,
};
use carethread_domain::themes::Theme;
use carethread_store::reviews::{self, Invitee, ReviewStatus, ThemeKey};
use carethread_store::{Db, StoreError, people, testing};
use chrono::NaiveDate;
use uuid::Uuid;

fn details() -> ReviewDetails {
    ReviewDetails {
        kind: ReviewKind::FormalReview,
        at: NaiveDate::from_ymd_opt(2026, 12, 4).and_then(|d| d.and_hms_opt(14, 30, 0)).expect("time"),
        place: "Room 2".into(),
        chair: "Dr Okafor".into(),
    }
}

fn invitee(name: &str, is_person: bool) -> Invitee {
    Invitee {
        details: AttendeeDetails {
            name: name.into(),
            role: if is_person { "The person" } else { "Mum" }.into(),
            is_person,
        },
        member_id: None,
        account_id: None,
    }
}

fn all_themes(vote: Vote) -> Ballot {
    Ballot(Theme::ALL.iter().map(|t| (*t, vote, None)).collect())
}

/// A review with the person and three others, all present except the last (apologies).
async fn scheduled(db: &Db) -> (carethread_store::AuditContext, PersonId, Uuid, Vec<Uuid>) {
    let (org, person) = org_with_person(db).await;
    let c = ctx(Some(org), "chair");
    let invited = [invitee("Sam", true), invitee("Lorna", false), invitee("Dev", false), invitee("Ola", false)];
    let id = reviews::schedule(db, &c, person, &details(), &invited).await.expect("schedule");
    let r = reviews::review(db, &c, person, id).await.expect("read");
    let ids: Vec<Uuid> = r.attendees.iter().map(|a| a.id).collect();
    assert!(r.attendees[0].details.is_person, "the person comes first");
    let marks: Vec<(Uuid, Attendance)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            (
                *id,
                if i == 3 {
                    Attendance::Apologies
                } else if i == 2 {
                    Attendance::SentViews
                } else {
                    Attendance::Present
                },
            )
        })
        .collect();
    reviews::set_attendance(db, &c, person, id, &marks).await.expect("attendance");
    (c, person, id, ids)
}

#[tokio::test]
async fn votes_make_a_tally_with_the_persons_vote_beside_it_and_only_voters_vote() {
    let db = testing::fresh_db().await;
    let (c, person, id, a) = scheduled(&db).await;
    reviews::record_ballot(&db, &c, person, id, a[0], &all_themes(Vote::Progressed)).await.expect("person");
    reviews::record_ballot(&db, &c, person, id, a[1], &all_themes(Vote::Unchanged)).await.expect("mum");
    reviews::record_ballot(&db, &c, person, id, a[2], &all_themes(Vote::Progressed)).await.expect("sent views");
    let refused = reviews::record_ballot(&db, &c, person, id, a[3], &all_themes(Vote::SlippedBack)).await;
    assert!(matches!(refused, Err(StoreError::Invalid(m)) if m.contains("present")), "apologies cannot vote");
    let stranger = reviews::record_ballot(&db, &c, person, id, Uuid::now_v7(), &all_themes(Vote::SlippedBack)).await;
    assert!(matches!(stranger, Err(StoreError::Invalid(m)) if m.contains("Only attendees")));

    // A correction replaces the vote; it never adds a second one.
    let corrected = Ballot(vec![(Theme::KeepingSafe, Vote::SlippedBack, Some("Two falls".into()))]);
    reviews::record_ballot(&db, &c, person, id, a[1], &corrected).await.expect("correct");
    let r = reviews::review(&db, &c, person, id).await.expect("read");
    assert_eq!(r.votes.len(), 18);
    let outcome = r.outcome();
    let safe = &outcome[&ThemeKey::of(Theme::KeepingSafe)];
    assert_eq!((safe.tally.progressed, safe.tally.unchanged, safe.tally.slipped_back), (2, 0, 1));
    assert_eq!(safe.persons_vote, Some(Vote::Progressed));
    assert_eq!(r.vote_of(a[1], Theme::KeepingSafe).and_then(|v| v.comment.clone()).as_deref(), Some("Two falls"));

    // Someone who has voted cannot be turned into an absentee whose votes still count.
    let absent = reviews::set_attendance(&db, &c, person, id, &[(a[1], Attendance::Apologies)]).await;
    assert!(matches!(absent, Err(StoreError::Invalid(_))));
}

#[tokio::test]
async fn a_ballot_adds_new_votes_and_corrects_earlier_ones_together_and_the_audit_says_which() {
    let db = testing::fresh_db().await;
    let (c, person, id, a) = scheduled(&db).await;
    reviews::record_ballot(&db, &c, person, id, a[0], &Ballot(vec![(Theme::AboutMe, Vote::Progressed, None)]))
        .await
        .expect("first vote");
    let mixed = Ballot(vec![
        (Theme::AboutMe, Vote::Unchanged, Some("On reflection".into())),
        (Theme::KeepingSafe, Vote::SlippedBack, None),
        (Theme::JoiningIn, Vote::Progressed, Some("Started at the allotment".into())),
    ]);
    reviews::record_ballot(&db, &c, person, id, a[0], &mixed).await.expect("second ballot");
    let r = reviews::review(&db, &c, person, id).await.expect("read");
    assert_eq!(r.votes.len(), 3, "one vote per theme: the correction replaced the first");
    let vote = |t| r.vote_of(a[0], t).map(|v| (v.vote, v.comment.clone()));
    assert_eq!(vote(Theme::AboutMe), Some((Vote::Unchanged, Some("On reflection".into()))));
    assert_eq!(vote(Theme::KeepingSafe), Some((Vote::SlippedBack, None)));
    assert_eq!(vote(Theme::JoiningIn), Some((Vote::Progressed, Some("Started at the allotment".into()))));
    let filter = carethread_store::audit::AuditFilter::default();
    let (entries, _) = carethread_store::audit::browse(&db, &c, &filter, 0).await.expect("browse");
    let last = entries.iter().find(|e| e.detail.starts_with("recorded votes")).expect("the ballot is audited");
    assert!(last.detail.contains("corrected from progressed to unchanged"), "{}", last.detail);
    assert!(last.detail.contains("slipped back") && last.detail.contains("progressed"), "{}", last.detail);

    // Several corrections in one ballot each change their own theme, and only this attendee's.
    reviews::record_ballot(&db, &c, person, id, a[1], &all_themes(Vote::Unchanged)).await.expect("mum");
    let both = Ballot(vec![
        (Theme::AboutMe, Vote::SlippedBack, None),
        (Theme::JoiningIn, Vote::Unchanged, Some("Missed two sessions".into())),
    ]);
    reviews::record_ballot(&db, &c, person, id, a[0], &both).await.expect("two corrections");
    let r = reviews::review(&db, &c, person, id).await.expect("read");
    let vote = |who, t| r.vote_of(who, t).map(|v| (v.vote, v.comment.clone()));
    assert_eq!(vote(a[0], Theme::AboutMe), Some((Vote::SlippedBack, None)), "the comment is cleared too");
    assert_eq!(vote(a[0], Theme::JoiningIn), Some((Vote::Unchanged, Some("Missed two sessions".into()))));
    assert_eq!(vote(a[0], Theme::KeepingSafe), Some((Vote::SlippedBack, None)), "not on this ballot");
    assert_eq!(vote(a[1], Theme::AboutMe), Some((Vote::Unchanged, None)), "another attendee's vote");
    assert_eq!(r.votes.len(), 9);

    // A ballot naming a theme twice is refused whole, whether new or a correction: nothing of it
    // is written.
    for theme in [Theme::Progress, Theme::AboutMe] {
        let twice = Ballot(vec![(theme, Vote::Progressed, None), (theme, Vote::Unchanged, None)]);
        let refused = reviews::record_ballot(&db, &c, person, id, a[0], &twice).await;
        assert!(matches!(refused, Err(StoreError::Invalid(m)) if m.contains("one vote for each theme")));
    }
    let r = reviews::review(&db, &c, person, id).await.expect("read");
    assert_eq!(r.votes.len(), 9);
    assert_eq!(r.vote_of(a[0], Theme::AboutMe).map(|v| v.vote), Some(Vote::SlippedBack));
}

#[tokio::test]
async fn the_database_itself_refuses_a_second_vote_for_the_same_theme() {
    let db = testing::fresh_db().await;
    let (c, person, id, a) = scheduled(&db).await;
    reviews::record_ballot(&db, &c, person, id, a[0], &Ballot(vec![(Theme::AboutMe, Vote::Progressed, None)]))
        .await
        .expect("vote");
    let copy = format!(
        "INSERT INTO review_votes (id, org_id, review_id, attendee_id, person_id, theme, vote, comment, recorded_by, recorded_at) \
         SELECT {new_id}, org_id, review_id, attendee_id, person_id, theme, 'slipped-back', NULL, NULL, recorded_at FROM review_votes",
        new_id = match db.backend() {
            carethread_store::Backend::Sqlite => "randomblob(16)",
            carethread_store::Backend::Postgres => "gen_random_uuid()",
        }
    );
    let err = testing::execute_raw(&db, &copy).await.expect_err("a second row for the same attendee and theme");
    assert!(matches!(err, StoreError::Db(sqlx_error) if sqlx_error.to_string().to_lowercase().contains("unique")));
}

#[tokio::test]
async fn sign_off_needs_every_theme_voted_or_marked_and_then_nothing_changes() {
    let db = testing::fresh_db().await;
    let (c, person, id, a) = scheduled(&db).await;
    let next = ReviewPlan { every_weeks: 12, next_review: NaiveDate::from_ymd_opt(2027, 3, 4).expect("date") };
    let partial = Ballot(Theme::ALL[..5].iter().map(|t| (*t, Vote::Progressed, None)).collect());
    let before_vote = reviews::review(&db, &c, person, id).await.expect("read");
    reviews::record_ballot(&db, &c, person, id, a[0], &partial).await.expect("vote");
    // The vote is a change to the review (its version moves on), not to its minutes.
    let after_vote = reviews::review(&db, &c, person, id).await.expect("read");
    let v = after_vote.version;
    assert_eq!((v, after_vote.minutes_version), (before_vote.version + 1, before_vote.minutes_version));
    let stale = reviews::sign_off(&db, &c, person, id, v - 1, next).await;
    assert!(
        matches!(stale, Err(StoreError::StaleVersion { current }) if current == v),
        "signed off from before the vote"
    );
    let problems =
        reviews::sign_off(&db, &c, person, id, v, next).await.expect("no db error").expect_err("progress not voted");
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("What progress am I making"));
    assert_eq!(reviews::review(&db, &c, person, id).await.expect("read").status, ReviewStatus::Scheduled);

    let mut minutes = Minutes::default();
    minutes.0.insert("progress".into(), ThemeMinutes { not_discussed: true, ..ThemeMinutes::default() });
    let stale = reviews::save_minutes(&db, &c, person, id, 7, &minutes).await.expect("no db error");
    assert!(stale.is_err(), "minutes from a stale page are refused");
    // Saved from the minutes' own version read before the vote: the vote does not make it stale.
    let m = before_vote.minutes_version;
    assert_eq!(reviews::save_minutes(&db, &c, person, id, m, &minutes).await.expect("save").ok(), Some(m + 1));
    reviews::sign_off(&db, &c, person, id, v + 1, next).await.expect("no db error").expect("signed off");

    let r = reviews::review(&db, &c, person, id).await.expect("read");
    assert_eq!(r.status, ReviewStatus::SignedOff);
    assert!(r.signed_off_at.is_some());
    let late = reviews::record_ballot(&db, &c, person, id, a[1], &all_themes(Vote::Unchanged)).await;
    assert!(matches!(late, Err(StoreError::Invalid(m)) if m.contains("signed off")));
    assert!(matches!(
        reviews::save_minutes(&db, &c, person, id, 3, &Minutes::default()).await,
        Err(StoreError::Invalid(_))
    ));
    let record = people::read(&db, &c, person, "test").await.expect("person");
    assert_eq!(record.case.review_plan, Some(next), "sign-off sets how often and when next");
    let list = reviews::reviews(&db, person).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].outcome[&ThemeKey::of(Theme::AboutMe)].tally.progressed, 1);
}

#[tokio::test]
async fn the_latest_outcome_is_the_last_signed_off_reviews_and_ignores_one_still_open() {
    let db = testing::fresh_db().await;
    let (c, person, first, a) = scheduled(&db).await;
    assert_eq!(reviews::latest_outcome(&db, person).await.expect("read"), None, "nothing signed off yet");
    let next = ReviewPlan { every_weeks: 12, next_review: NaiveDate::from_ymd_opt(2027, 3, 4).expect("date") };
    reviews::record_ballot(&db, &c, person, first, a[0], &all_themes(Vote::Progressed)).await.expect("person");
    reviews::record_ballot(&db, &c, person, first, a[1], &all_themes(Vote::Unchanged)).await.expect("mum");
    let v = reviews::review(&db, &c, person, first).await.expect("read").version;
    reviews::sign_off(&db, &c, person, first, v, next).await.expect("no db error").expect("signed off");
    let latest = reviews::latest_outcome(&db, person).await.expect("read").expect("one signed off");
    for theme in Theme::ALL {
        let o = &latest[&ThemeKey::of(theme)];
        assert_eq!((o.tally.progressed, o.tally.unchanged, o.tally.slipped_back), (1, 1, 0), "{theme:?}");
        assert_eq!(o.persons_vote, Some(Vote::Progressed));
    }

    // A later review signed off with every theme left undiscussed: its outcome is one of no votes.
    let later = |month| ReviewDetails {
        at: NaiveDate::from_ymd_opt(2027, month, 1).and_then(|d| d.and_hms_opt(10, 0, 0)).expect("time"),
        ..details()
    };
    let second = reviews::schedule(&db, &c, person, &later(2), &[invitee("Sam", true)]).await.expect("schedule");
    let mut minutes = Minutes::default();
    for theme in Theme::ALL {
        minutes.0.insert(theme.slug().into(), ThemeMinutes { not_discussed: true, ..ThemeMinutes::default() });
    }
    let r = reviews::review(&db, &c, person, second).await.expect("read");
    let present = [(r.attendees[0].id, Attendance::Present)];
    reviews::set_attendance(&db, &c, person, second, &present).await.expect("attendance");
    reviews::save_minutes(&db, &c, person, second, r.minutes_version, &minutes).await.expect("save").expect("saved");
    let v = reviews::review(&db, &c, person, second).await.expect("read").version;
    reviews::sign_off(&db, &c, person, second, v, next).await.expect("no db error").expect("signed off");

    // A review still open, even with votes, is not an outcome yet.
    let third = reviews::schedule(&db, &c, person, &later(5), &[invitee("Sam", true)]).await.expect("schedule");
    let sam = reviews::review(&db, &c, person, third).await.expect("read").attendees[0].id;
    reviews::set_attendance(&db, &c, person, third, &[(sam, Attendance::Present)]).await.expect("attendance");
    reviews::record_ballot(&db, &c, person, third, sam, &all_themes(Vote::SlippedBack)).await.expect("vote");

    let latest = reviews::latest_outcome(&db, person).await.expect("read").expect("two signed off");
    assert_eq!(latest.len(), Theme::ALL.len(), "every theme has an entry");
    assert!(latest.values().all(|o| o.tally.total() == 0 && o.persons_vote.is_none()), "{latest:?}");
    // The same as the full list of reviews says of its last signed-off one.
    let list = reviews::reviews(&db, person).await.expect("list");
    let last = list.iter().rev().find(|r| r.status == ReviewStatus::SignedOff).expect("signed off");
    assert_eq!((last.id, &last.outcome), (second, &latest));
}

#[tokio::test]
async fn a_review_id_from_another_persons_case_reaches_nothing() {
    let db = testing::fresh_db().await;
    let (c, _, id, a) = scheduled(&db).await;
    let (_, other) = org_with_person(&db).await;
    assert!(matches!(reviews::review(&db, &c, other, id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        reviews::record_ballot(&db, &c, other, id, a[0], &all_themes(Vote::Progressed)).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn a_prompt_sheet_counts_even_when_the_person_stays_away() {
    let db = testing::fresh_db().await;
    let (org, person) = org_with_person(&db).await;
    let c = ctx(Some(org), "kw");
    let id = reviews::schedule(&db, &c, person, &details(), &[invitee("Sam", true)]).await.expect("schedule");
    let mut sheet =
        carethread_domain::reviews::PromptSheet { who_i_want_there: Some("Mum".into()), ..Default::default() };
    sheet.themes.insert(
        "joining-in".into(),
        carethread_domain::reviews::PromptAnswers { going_well: Some("My café job".into()), ..Default::default() },
    );
    assert_eq!(reviews::save_prompt_sheet(&db, &c, person, id, 0, &sheet).await.expect("save"), 1);
    let r = reviews::review(&db, &c, person, id).await.expect("read");
    assert_eq!(r.prompt_sheet.as_ref().map(|s| (&s.sheet, s.version)), Some((&sheet, 1)));
    // A save from before the first (someone else had the sheet open too) writes nothing.
    let mut late = sheet.clone();
    late.who_i_want_there = Some("Nobody".into());
    let stale = reviews::save_prompt_sheet(&db, &c, person, id, 0, &late).await;
    assert!(matches!(stale, Err(StoreError::StaleVersion { current: 1 })), "{stale:?}");
    let r = reviews::review(&db, &c, person, id).await.expect("read");
    assert_eq!(r.prompt_sheet.as_ref().map(|s| &s.sheet), Some(&sheet));
    assert_eq!(r.attendees[0].attendance, Attendance::SentViews, "their views count, and so does their vote");
    reviews::record_ballot(&db, &c, person, id, r.attendees[0].id, &all_themes(Vote::Progressed)).await.expect("vote");
}
