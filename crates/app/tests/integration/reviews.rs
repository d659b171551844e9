//! Reviews over HTTP, on the backend under test: scheduling, attendance, votes by the chair and
//! by the person on their own sign-in, the outcome, sign-off and the lock that follows.

use crate::common::{TestApp, find};
use reqwest::StatusCode;

/// The id at the end of a redirect to `/people/P/reviews/ID`.
fn review_location(r: &reqwest::Response) -> String {
    let loc = r.headers().get("location").expect("redirect").to_str().expect("text");
    loc.rsplit('/').next().expect("id").split('#').next().expect("id").to_string()
}

/// The attendee ids on a review page, in table order (the person first).
fn attendee_ids(page: &str) -> Vec<String> {
    page.match_indices("name=\"attendance-").map(|(i, m)| page[i + m.len()..i + m.len() + 36].to_string()).collect()
}

/// Schedules a review of `person` through the form and returns its id.
async fn schedule(
    app: &TestApp,
    client: &reqwest::Client,
    person: &str,
    kind: &str,
    (day, month, year): (&str, &str, &str),
    time: &str,
    place: &str,
) -> String {
    let fields = [
        ("kind", kind),
        ("day", day),
        ("month", month),
        ("year", year),
        ("time", time),
        ("place", place),
        ("chair", "Priya Nair"),
    ];
    let r = app
        .post_form(client, &format!("/people/{person}/reviews/new"), &format!("/people/{person}/reviews"), &fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "scheduling a review");
    review_location(&r)
}

const ALL: [&str; 6] = ["circle-of-support", "about-me", "problem-toolkits", "joining-in", "keeping-safe", "progress"];

#[tokio::test]
async fn a_review_is_scheduled_voted_on_by_everyone_signed_off_and_then_locked() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    // Jordan Baptiste has a Carethread account of their own (demo-person).
    let id = &find(&app, &client, "999+000+0018").await;
    let new = format!("/people/{id}/reviews/new");
    let r = app
        .post_form(&client, &new, &format!("/people/{id}/reviews"), &[("kind", "formal-review"), ("time", "2pm")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("Enter the date") && body.contains("24-hour clock") && body.contains("Enter who chairs it"));
    assert!(body.contains("value=\"2pm\""), "what was typed is kept");

    let r = app
        .post_form(
            &client,
            &new,
            &format!("/people/{id}/reviews"),
            &[
                ("kind", "formal-review"),
                ("day", "1"),
                ("month", "12"),
                ("year", "2026"),
                ("time", "14:30"),
                ("place", "Westmere Resource Centre"),
                ("chair", "Priya Nair"),
                ("other_name", "Ola Mensah"),
                ("other_role", "Advocate"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let review = review_location(&r);
    let page_url = format!("/people/{id}/reviews/{review}");
    let (_, page) = app.get(&client, &page_url).await;
    let ids = attendee_ids(&page);
    assert_eq!(ids.len(), 2, "the person and the extra invitee");
    app.post_form(&client, &page_url, &format!("{page_url}/attendees"), &[("name", "Lorna Baptiste"), ("role", "Mum")])
        .await;
    app.post_form(
        &client,
        &page_url,
        &format!("{page_url}/attendees"),
        &[("name", "Dr Okafor"), ("role", "Psychiatrist")],
    )
    .await;
    app.post_form(
        &client,
        &page_url,
        &format!("{page_url}/attendees"),
        &[("name", "Sam Reid"), ("role", "Support worker")],
    )
    .await;
    let (_, page) = app.get(&client, &page_url).await;
    let ids = attendee_ids(&page);
    assert_eq!(ids.len(), 5);
    let marks: Vec<(String, &str)> = ids
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("attendance-{a}"), if i == 4 { "sent-views" } else { "present" }))
        .collect();
    let marks: Vec<(&str, &str)> = marks.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        app.post_form(&client, &page_url, &format!("{page_url}/attendance"), &marks).await.status(),
        StatusCode::SEE_OTHER
    );

    // The chair goes round the table for four attendees (not the person).
    for (i, a) in ids.iter().enumerate().skip(1) {
        let vote = if i == 2 { "unchanged" } else { "progressed" };
        let mut fields: Vec<(String, String)> = ALL.iter().map(|t| (format!("vote-{t}"), vote.to_string())).collect();
        fields.retain(|(k, _)| k != "vote-progress");
        if i == 3 {
            fields.push(("vote-keeping-safe".into(), "slipped-back".into()));
            fields.retain(|(k, v)| !(k == "vote-keeping-safe" && v != "slipped-back"));
            fields.push(("comment-keeping-safe".into(), "Two falls since the summer".into()));
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let url = format!("{page_url}/votes/{a}");
        assert_eq!(app.post_form(&client, &url, &url, &fields).await.status(), StatusCode::SEE_OTHER, "attendee {i}");
    }
    let url = format!("{page_url}/votes/{}", ids[1]);
    let r = app.post_form(&client, &url, &url, &[("vote-about-me", "much-better")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "nonsense votes are refused");

    // The person votes from their own sign-in, on their own device.
    let person = app.signed_in("demo-person").await;
    let mine = format!("{page_url}/my-votes");
    let (status, ballot) = app.get(&person, &mine).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ballot.contains("Better") && ballot.contains("Worse"), "easy-read words for the person");
    let fields: Vec<(String, &str)> = ALL[..5].iter().map(|t| (format!("vote-{t}"), "progressed")).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(app.post_form(&person, &mine, &mine, &fields).await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.post_form(&person, &page_url, &format!("{page_url}/attendance"), &marks).await.status(),
        StatusCode::NOT_FOUND,
        "the person cannot change the review itself"
    );

    let (_, page) = app.get(&client, &page_url).await;
    assert!(page.contains("4 progressed, 1 stayed the same, 0 slipped back"), "about me and the others");
    assert!(page.contains("3 progressed, 1 stayed the same, 1 slipped back"), "keeping safe");
    assert!(page.contains("Views differed"), "disagreement is shown");

    // Sign-off refuses while "progress" has no votes, then succeeds once it is marked.
    let version = sign_off_version(&page).expect("version");
    let minutes_version = crate::common::form_value(&page, "version").expect("the minutes form comes first");
    let sign = [
        ("version", version.as_str()),
        ("every_weeks", "12"),
        ("next_day", "1"),
        ("next_month", "3"),
        ("next_year", "2027"),
    ];
    let r = app.post_form(&client, &page_url, &format!("{page_url}/sign-off"), &sign).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Nobody has voted on What progress am I making"));
    let r = app
        .post_form(
            &client,
            &page_url,
            &format!("{page_url}/minutes"),
            &[
                ("version", minutes_version.as_str()),
                ("not-discussed-progress", "yes"),
                ("notes-about-me", "Jordan chaired the first part"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&client, &page_url).await;
    let version = sign_off_version(&page).expect("version");
    let sign = [
        ("version", version.as_str()),
        ("every_weeks", "12"),
        ("next_day", "1"),
        ("next_month", "3"),
        ("next_year", "2027"),
    ];
    assert_eq!(
        app.post_form(&client, &page_url, &format!("{page_url}/sign-off"), &sign).await.status(),
        StatusCode::SEE_OTHER
    );

    let (_, page) = app.get(&client, &page_url).await;
    assert!(page.contains("Signed off") && page.contains("Jordan chaired the first part"));
    assert!(!page.contains("Save attendance"), "nothing can be changed after sign-off");
    let r = app.post_form(&client, &url, &url, &[("vote-about-me", "slipped-back")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.expect("body").contains("signed off"));
    let (_, map) = app.get(&client, &format!("/people/{id}")).await;
    assert!(map.contains("Last review: Progressed"), "the map shows the latest outcome");
    assert!(map.contains("next on 1 March 2027"), "sign-off set the next review");
    let (_, progress) = app.get(&client, &format!("/people/{id}/themes/progress")).await;
    assert!(progress.contains("1 Dec 2026"), "the review is in the timeline");
}

#[tokio::test]
async fn a_review_of_one_person_is_not_reachable_through_another() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = find(&app, &client, "999+000+0018").await;
    let other = find(&app, &client, "999+000+0085").await;
    let review = schedule(&app, &client, &id, "conversation", ("2", "12", "2026"), "10:00", "Home visit").await;
    assert_eq!(app.get(&client, &format!("/people/{other}/reviews/{review}")).await.0, StatusCode::NOT_FOUND);
    let person = app.signed_in("demo-person").await;
    assert_eq!(app.get(&person, &format!("/people/{other}/reviews/{review}/my-votes")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn actions_from_a_review_become_tasks_in_their_owners_lists_and_overdue_ones_stand_out() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = find(&app, &client, "999+000+0018").await;
    let review = schedule(&app, &client, &id, "conversation", ("2", "12", "2026"), "10:00", "Home visit").await;
    let tasks_page = format!("/people/{id}/tasks?review={review}");
    let (_, page) = app.get(&client, &tasks_page).await;
    let person_owner = "person";
    assert!(page.contains("value=\"person\""), "the person can own a task");
    let r = app
        .post_form(
            &client,
            &tasks_page,
            &format!("/people/{id}/tasks"),
            &[("review", review.as_str()), ("title", "  "), ("owner", "nobody")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("Enter what is to be done")
            && body.contains("Choose who will do it")
            && body.contains("Enter the date")
    );
    let r = app
        .post_form(
            &client,
            &tasks_page,
            &format!("/people/{id}/tasks"),
            &[
                ("review", review.as_str()),
                ("title", "Try the Tuesday swimming session"),
                ("owner", person_owner),
                ("due_day", "1"),
                ("due_month", "11"),
                ("due_year", "2026"),
                ("theme", "joining-in"),
                ("status", "requested"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().expect("text").ends_with("#actions"));
    let (_, page) = app.get(&client, &format!("/people/{id}/reviews/{review}")).await;
    assert!(page.contains("Try the Tuesday swimming session"), "the review lists its actions");
    assert!(page.contains("Overdue"), "1 November is past");
    let (_, progress) = app.get(&client, &format!("/people/{id}/themes/progress")).await;
    assert!(progress.contains("1 agreed, 0 done"), "the timeline says what became of the review's actions");

    let person = app.signed_in("demo-person").await;
    let (status, mine) = app.get(&person, "/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(mine.contains("Try the Tuesday swimming session") && mine.contains("Overdue"));
    let (_, staff_list) = app.get(&client, "/tasks").await;
    assert!(!staff_list.contains("Try the Tuesday swimming session"), "not the key worker's task");

    let r = app
        .post_form(
            &client,
            &tasks_page,
            &format!("/people/{id}/tasks"),
            &[
                ("title", "Blocked one"),
                ("owner", person_owner),
                ("due_day", "1"),
                ("due_month", "1"),
                ("due_year", "2027"),
                ("status", "blocked"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Enter why it is blocked"));
}

#[tokio::test]
async fn the_person_fills_in_a_prompt_sheet_that_reaches_the_agenda_and_signed_off_reviews_take_only_amendments() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = find(&app, &client, "999+000+0018").await;
    let review = schedule(&app, &client, &id, "formal-review", ("3", "12", "2026"), "11:00", "Room 2").await;
    let person = app.signed_in("demo-person").await;
    let (_, me) = app.get(&person, "/me").await;
    let sheet = format!("/people/{id}/reviews/{review}/prompt-sheet");
    assert!(me.contains(&sheet), "the person's home links to the prompt sheet");
    let r = app.post_form(&person, &sheet, &sheet, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "an empty sheet is refused");
    let r = app
        .post_form(
            &person,
            &sheet,
            &sheet,
            &[
                ("version", "0"),
                ("going-well-joining-in", "I like my job at the café"),
                ("worries-keeping-safe", "The man at the bus stop"),
                ("who-i-want-there", "Mum"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, me) = app.get(&person, "/me?sheet=saved").await;
    assert!(me.contains("Your answers are saved"));

    let page_url = format!("/people/{id}/reviews/{review}");
    let (_, page) = app.get(&client, &page_url).await;
    assert!(page.contains("says is going well:</strong> I like my job at the café"));
    assert!(page.contains("is worried about:</strong> The man at the bus stop"));
    assert!(page.contains("Sent their views"), "the sheet counts although they have not come");

    // Amending is for signed-off reviews only.
    let r = app.post_form(&client, &page_url, &format!("{page_url}/amendments"), &[("body", "Too early")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let ids = attendee_ids(&page);
    let fields: Vec<(String, &str)> = ALL.iter().map(|t| (format!("vote-{t}"), "unchanged")).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let vote_url = format!("{page_url}/votes/{}", ids[0]);
    assert_eq!(app.post_form(&client, &vote_url, &vote_url, &fields).await.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&client, &page_url).await;
    let version = sign_off_version(&page).expect("version");
    let sign = [
        ("version", version.as_str()),
        ("every_weeks", "26"),
        ("next_day", "3"),
        ("next_month", "6"),
        ("next_year", "2027"),
    ];
    assert_eq!(
        app.post_form(&client, &page_url, &format!("{page_url}/sign-off"), &sign).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = app.post_form(&person, &sheet, &sheet, &[("version", "1"), ("going-well-about-me", "late")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the sheet is locked with the review");
    let r = app.post_form(&client, &page_url, &format!("{page_url}/amendments"), &[("body", " ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &client,
            &page_url,
            &format!("{page_url}/amendments"),
            &[("body", "Lorna's vote on keeping safe was noted against about me by mistake.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&client, &page_url).await;
    assert!(
        page.contains("Lorna&#39;s vote on keeping safe was noted against about me by mistake.")
            || page.contains("Lorna's vote on keeping safe")
    );
    assert!(page.contains("Amendment recorded by Priya Nair"));
    assert!(page.contains("0 progressed, 1 stayed the same, 0 slipped back"), "the signed-off votes are unchanged");
}

#[tokio::test]
async fn today_shows_the_teams_reviews_overdue_tasks_slipped_back_themes_and_reviews_overdue() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = find(&app, &client, "999+000+0018").await;
    let (status, before) = app.get(&client, "/today?team=all").await;
    assert_eq!(status, StatusCode::OK);
    assert!(before.contains("never reviewed"), "no demo case has been reviewed yet");
    // A review recorded after the event, where keeping safe slipped back.
    let review = schedule(&app, &client, &id, "team-discussion", ("20", "11", "2026"), "09:30", "Team base").await;
    let page_url = format!("/people/{id}/reviews/{review}");
    let (_, page) = app.get(&client, &page_url).await;
    let person = &attendee_ids(&page)[0];
    let mark = format!("attendance-{person}");
    app.post_form(&client, &page_url, &format!("{page_url}/attendance"), &[(mark.as_str(), "present")]).await;
    let fields: Vec<(String, &str)> = ALL
        .iter()
        .map(|t| (format!("vote-{t}"), if *t == "keeping-safe" { "slipped-back" } else { "unchanged" }))
        .collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let vote_url = format!("{page_url}/votes/{person}");
    app.post_form(&client, &vote_url, &vote_url, &fields).await;
    let (_, page) = app.get(&client, &page_url).await;
    let version = sign_off_version(&page).expect("version");
    let sign = [
        ("version", version.as_str()),
        ("every_weeks", "4"),
        ("next_day", "18"),
        ("next_month", "12"),
        ("next_year", "2026"),
    ];
    assert_eq!(
        app.post_form(&client, &page_url, &format!("{page_url}/sign-off"), &sign).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, after) = app.get(&client, "/today?team=all").await;
    let slipped =
        &after[after.find("id=\"slipped\"").expect("section")..after.find("id=\"no-review\"").expect("section")];
    assert!(slipped.contains("Keeping safe and well"), "{slipped}");
    assert!(slipped.contains("Baptiste"));
    let overdue = &after[after.find("id=\"no-review\"").expect("section")..];
    assert!(!overdue.contains("Jordy Baptiste: never reviewed"), "Jordy has been reviewed within four weeks");
    assert_eq!(app.get(&client, "/today?team=not-a-team").await.0, StatusCode::NOT_FOUND);
    let commissioner = app.signed_in("demo-commissioner").await;
    assert_eq!(app.get(&commissioner, "/today").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_entry_can_say_which_review_it_came_from_but_only_one_of_the_persons_own() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = find(&app, &client, "999+000+0018").await;
    let other = find(&app, &client, "999+000+0085").await;
    let when = ("25", "11", "2026");
    let mine = schedule(&app, &client, &id, "conversation", when, "16:00", "Café").await;
    let theirs = schedule(&app, &client, &other, "conversation", when, "16:00", "Café").await;
    let page = format!("/people/{id}/themes/joining-in");
    let action = format!("{page}/entries");
    let (_, form) = app.get(&client, &page).await;
    assert!(form.contains(&format!("value=\"{mine}\"")), "the person's reviews are offered");
    assert!(!form.contains(&theirs), "another person's are not");
    let entry = |review: &str| {
        vec![
            ("kind", "next-step"),
            ("body", "Visit the climbing wall together"),
            ("voice", "with-person"),
            ("from_review", review),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect::<Vec<_>>()
    };
    let fields = entry(&theirs);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&client, &page, &action, &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("not one of this person") && body.contains("Visit the climbing wall together"));
    let fields = entry(&mine);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_form(&client, &page, &action, &fields).await.status(), StatusCode::SEE_OTHER);
    let (_, theme) = app.get(&client, &page).await;
    assert!(
        theme.contains(&format!(
            "from <a href=\"/people/{id}/reviews/{mine}\">Key-worker conversation, 25 Nov 2026</a>"
        ))
    );
}

#[tokio::test]
async fn the_person_never_sees_an_entry_withheld_from_them_anywhere_in_their_record() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = find(&app, &client, "999+000+0018").await;
    let page = format!("/people/{id}/themes/keeping-safe");
    let secret = "Contact with a named adult under police investigation";
    let r = app
        .post_form(
            &client,
            &page,
            &format!("{page}/entries"),
            &[
                ("kind", "worry"),
                ("body", secret),
                ("voice", "professional"),
                ("withhold", "yes"),
                ("withhold_reason", "Police asked us not to share yet"),
                ("review_day", "1"),
                ("review_month", "2"),
                ("review_year", "2027"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, staff_view) = app.get(&client, &page).await;
    assert!(staff_view.contains(secret), "the team sees it, flagged");
    let entry = {
        let at = staff_view.find("/entries/").expect("an entry link") + "/entries/".len();
        staff_view[at..at + 36].to_string()
    };
    let review = schedule(&app, &client, &id, "conversation", ("26", "11", "2026"), "12:00", "Home").await;

    let person = app.signed_in("demo-person").await;
    for path in [
        page.clone(),
        format!("/people/{id}"),
        format!("/people/{id}/summary"),
        format!("/people/{id}/reviews/{review}"),
    ] {
        let (status, body) = app.get(&person, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!body.contains(secret), "{path} shows the person an entry withheld from them");
        assert!(!body.contains("withheld from the person"), "{path} reveals that something is withheld");
    }
    assert_eq!(app.get(&person, &format!("/people/{id}/entries/{entry}/history")).await.0, StatusCode::NOT_FOUND);
    let (_, own_map) = app.get(&person, &format!("/people/{id}")).await;
    for staff_link in ["/allocation", "/close", "/edit\"", "Edit details"] {
        assert!(!own_map.contains(staff_link), "the person's view of their map offers {staff_link}");
    }
    let (_, own_theme) = app.get(&person, &page).await;
    assert!(!own_theme.contains("/entries\" novalidate") && !own_theme.contains("/edit\""), "no forms for the person");
    let (_, staff_theme) = app.get(&client, &page).await;
    assert!(staff_theme.contains("/entries\" novalidate") && staff_theme.contains("/edit\""));
    let (_, staff_map) = app.get(&client, &format!("/people/{id}")).await;
    assert!(staff_map.contains("Edit details") && staff_map.contains("/allocation"), "staff still get them");
}

/// The version the sign-off form was opened at (the minutes form above it has its own).
fn sign_off_version(page: &str) -> Option<String> {
    let form = page.find("/sign-off\"").map(|i| &page[i..])?;
    crate::common::form_value(form, "version")
}
