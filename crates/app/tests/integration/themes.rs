//! The six theme pages over HTTP, on the backend under test.

use crate::common::{TestApp, form_value, person_form, person_location};
use reqwest::StatusCode;

async fn new_person(app: &TestApp, client: &reqwest::Client, nhs: &str, family: &str) -> String {
    person_location(&app.post_form(client, "/people/new", "/people", &person_form(nhs, family)).await)
}

#[tokio::test]
async fn the_case_opens_on_a_map_linking_all_six_themes_with_a_table_equivalent() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Mapped").await;
    let (status, page) = app.get(&client, &format!("/people/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg class=\"ct-map\""));
    for slug in ["circle-of-support", "about-me", "problem-toolkits", "joining-in", "keeping-safe", "progress"] {
        assert_eq!(
            page.matches(&format!("/people/{id}/themes/{slug}\"")).count(),
            2,
            "{slug}: once on the map, once in the table"
        );
        assert_eq!(app.get(&client, &format!("/people/{id}/themes/{slug}")).await.0, StatusCode::OK, "{slug}");
    }
    assert!(page.contains("The six themes at a glance"));
    assert_eq!(app.get(&client, &format!("/people/{id}/themes/no-such-theme")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn entries_are_added_in_a_voice_counted_on_the_map_and_bad_input_keeps_the_typing() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Voiced").await;
    let page = format!("/people/{id}/themes/about-me");
    let action = format!("{page}/entries");
    let r =
        app.post_form(&client, &page, &action, &[("kind", "worry"), ("body", "  "), ("voice", "perspective")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("Enter what you want to record") && body.contains("Enter whose view this is"));
    let r = app
        .post_form(
            &client,
            &page,
            &action,
            &[
                ("kind", "worry"),
                ("body", "He worries about money"),
                ("voice", "perspective"),
                ("perspective_of", "Lorna (mum)"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.post_form(
        &client,
        &page,
        &action,
        &[("kind", "working"), ("body", "I like my new flat"), ("voice", "own-words")],
    )
    .await;
    app.post_form(
        &client,
        &page,
        &action,
        &[("kind", "next-step"), ("body", "Ask about a bus pass"), ("voice", "with-person")],
    )
    .await;
    let (_, theme) = app.get(&client, &page).await;
    assert!(
        theme.contains("Lorna (mum)&#39;s view") || theme.contains("Lorna (mum)'s view"),
        "the perspective is attributed"
    );
    assert!(theme.contains("In their own words") && theme.contains("Written with them"));
    assert!(theme.contains("written by Priya Nair"), "the author is always shown");
    let (_, map) = app.get(&client, &format!("/people/{id}")).await;
    assert!(map.contains("1 working · 1 worry · 1 step"), "the map counts what is working, worries and open steps");
}

#[tokio::test]
async fn withholding_needs_a_reason_and_is_flagged_to_the_team() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Withheld").await;
    let page = format!("/people/{id}/themes/keeping-safe");
    let action = format!("{page}/entries");
    let base = [
        ("kind", "worry"),
        ("body", "Contact with a person of concern"),
        ("voice", "professional"),
        ("withhold", "yes"),
    ];
    let r = app.post_form(&client, &page, &action, &base).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text().await.expect("body");
    assert!(text.contains("Enter the reason for not showing this to the person"));
    assert!(text.contains("Contact with a person of concern"), "nothing typed is lost");
    let year = (carethread_store::now().date_naive() + chrono::Duration::days(60)).format("%Y").to_string();
    let month = (carethread_store::now().date_naive() + chrono::Duration::days(60)).format("%m").to_string();
    let mut full = base.to_vec();
    full.extend([
        ("withhold_reason", "Safeguarding enquiry under way"),
        ("review_day", "1"),
        ("review_month", month.as_str()),
        ("review_year", year.as_str()),
    ]);
    assert_eq!(app.post_form(&client, &page, &action, &full).await.status(), StatusCode::SEE_OTHER);
    let (_, map) = app.get(&client, &format!("/people/{id}")).await;
    assert!(map.contains("1 entry is withheld from the person"));
    let (_, theme) = app.get(&client, &page).await;
    assert!(theme.contains("Not shown to the person") && theme.contains("Safeguarding enquiry under way"));
    let admin = app.signed_in("demo-admin").await;
    let (_, log) = app.get(&admin, "/admin/audit?person=999+000+0093").await;
    assert!(log.contains("withheld an entry from the person"), "withholding is itself audited");
}

#[tokio::test]
async fn an_entry_edit_from_a_stale_page_is_refused_and_history_shows_every_version() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("demo-keyworker").await;
    let bob = app.signed_in("demo-clinician").await;
    let id = new_person(&app, &alice, "999 000 0093", "Edited").await;
    let page = format!("/people/{id}/themes/joining-in");
    app.post_form(
        &alice,
        &page,
        &format!("{page}/entries"),
        &[("kind", "working"), ("body", "Art class"), ("voice", "with-person")],
    )
    .await;
    let (_, theme) = app.get(&alice, &page).await;
    let start = theme.find("/entries/").expect("an entry link") + "/entries/".len();
    let entry = &theme[start..start + 36];
    let edit = format!("/people/{id}/entries/{entry}/edit");
    let (_, alice_form) = app.get(&alice, &edit).await;
    let bob_token = app.form_token(&bob, &edit).await;
    let saved = bob
        .post(app.url(&edit))
        .form(&[
            ("_csrf", bob_token.as_str()),
            ("version", "1"),
            ("kind", "working"),
            ("body", "Art class on Mondays"),
            ("voice", "with-person"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let alice_token = form_value(&alice_form, "_csrf").expect("token");
    let stale = alice
        .post(app.url(&edit))
        .form(&[
            ("_csrf", alice_token.as_str()),
            ("version", "1"),
            ("kind", "working"),
            ("body", "Art and pottery"),
            ("voice", "with-person"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let body = stale.text().await.expect("body");
    assert!(
        body.contains("Someone else changed this entry")
            && body.contains("Art class on Mondays")
            && body.contains("Art and pottery")
    );
    let (_, history) = app.get(&alice, &format!("/people/{id}/entries/{entry}/history")).await;
    assert!(history.contains("Version 2") && history.contains("Version 1") && history.contains("Dr Tomasz Wren"));
}

#[tokio::test]
async fn ids_from_another_persons_record_reach_nothing() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let first = new_person(&app, &client, "999 000 0093", "First").await;
    let second = new_person(&app, &client, "999 000 0107", "Second").await;
    let page = format!("/people/{first}/themes/about-me");
    app.post_form(
        &client,
        &page,
        &format!("{page}/entries"),
        &[("kind", "note"), ("body", "Only about the first"), ("voice", "professional")],
    )
    .await;
    let (_, theme) = app.get(&client, &page).await;
    let start = theme.find("/entries/").expect("entry") + "/entries/".len();
    let entry = &theme[start..start + 36];
    for path in [format!("/people/{second}/entries/{entry}/edit"), format!("/people/{second}/entries/{entry}/history")]
    {
        assert_eq!(app.get(&client, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let outsider = app.signed_in("demo-commissioner").await;
    assert_eq!(app.get(&outsider, &page).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_circle_of_support_prompts_for_who_is_missing_and_refuses_a_nameless_member() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Circled").await;
    let circle = format!("/people/{id}/themes/circle-of-support");
    let (_, page) = app.get(&client, &circle).await;
    assert!(page.contains("No one is in the circle yet"));
    let new = format!("/people/{id}/circle/new");
    let action = format!("/people/{id}/circle");
    let r = app
        .post_form(&client, &new, &action, &[("name", ""), ("relationship", "Friend"), ("contact", "07700 900456")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("Enter their name")
            && body.contains("Choose where they come from")
            && body.contains("07700 900456")
    );
    let r = app
        .post_form(
            &client,
            &new,
            &action,
            &[
                ("name", "Priya Nair"),
                ("relationship", "Key worker"),
                ("source", "services"),
                ("involvement", "regular"),
                ("account", "demo-keyworker"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&client, &circle).await;
    assert!(
        page.contains("No one from the person&#39;s own network")
            || page.contains("No one from the person's own network")
    );
    assert!(page.contains("There is no GP in the circle"));
    assert!(page.contains("Carethread: demo-keyworker"), "linked to their account");
    let r = app
        .post_form(
            &client,
            &new,
            &action,
            &[
                ("name", "Nobody"),
                ("relationship", "Friend"),
                ("source", "personal-network"),
                ("involvement", "core"),
                ("account", "not-a-user"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("no Carethread account with that username"));
}

#[tokio::test]
async fn entries_can_belong_to_a_part_of_their_theme_and_only_their_own_theme() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Topical").await;
    let page = format!("/people/{id}/themes/about-me");
    let action = format!("{page}/entries");
    let r = app
        .post_form(
            &client,
            &page,
            &action,
            &[("kind", "note"), ("topic", "medication"), ("body", "Takes sertraline"), ("voice", "professional")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "medication is a part of keeping safe, not about me");
    assert!(r.text().await.expect("body").contains("Choose one of the parts of About me"));
    let r = app
        .post_form(
            &client,
            &page,
            &action,
            &[
                ("kind", "working"),
                ("topic", "how-to-talk-with-me"),
                ("body", "Give me time to answer"),
                ("voice", "own-words"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"].to_str().expect("location").ends_with("#how-to-talk-with-me"));
    let (_, theme) = app.get(&client, &page).await;
    let section = theme.find("id=\"how-to-talk-with-me\"").expect("the section");
    let next = theme[section..].find("<h2").map(|i| i + section).unwrap_or(theme.len());
    assert!(theme[section..next].contains("Give me time to answer"), "the entry sits in its section");
    for part in [
        "My view, in my own words",
        "Where views agree and differ",
        "Our agreed working formulation",
        "What we still need to find out",
    ] {
        assert!(theme.contains(part), "{part}");
    }
    let (_, safe) = app.get(&client, &format!("/people/{id}/themes/keeping-safe")).await;
    for part in [
        "Risk: harm to myself",
        "Positive risks we have agreed to take",
        "Capacity, consent and dignity",
        "Reputation and a fresh start",
    ] {
        assert!(safe.contains(part), "{part}");
    }
}

#[tokio::test]
async fn easy_read_follows_the_persons_preference_until_the_viewer_switches_it() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    // Registered with the easy-read preference ticked (see person_form).
    let id = new_person(&app, &client, "999 000 0093", "Easyread").await;
    let (_, page) = app.get(&client, &format!("/people/{id}")).await;
    assert!(page.contains("class=\"ct-easy-read\"") && page.contains("Who helps me?"));
    let r = client.get(app.url(&format!("/view/standard?back=/people/{id}"))).send().await.expect("switch");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"].to_str().expect("location"), format!("/people/{id}"));
    let (_, page) = app.get(&client, &format!("/people/{id}")).await;
    assert!(!page.contains("class=\"ct-easy-read\"") && page.contains("Switch to easy read"));
    let r = client.get(app.url("/view/easy-read?back=https://evil.example/")).send().await.expect("switch");
    assert_eq!(r.headers()["location"], "/", "never sends anyone to another site");
    assert_eq!(app.get(&client, "/view/sideways").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_easy_read_summary_leaves_out_what_is_withheld_from_the_person() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Summarised").await;
    let page = format!("/people/{id}/themes/keeping-safe");
    let action = format!("{page}/entries");
    app.post_form(
        &client,
        &page,
        &action,
        &[("kind", "working"), ("body", "I take my tablets every morning"), ("voice", "own-words")],
    )
    .await;
    let next = carethread_store::now().date_naive() + chrono::Duration::days(30);
    let (day, month, year) =
        (next.format("%d").to_string(), next.format("%m").to_string(), next.format("%Y").to_string());
    let withheld = [
        ("kind", "worry"),
        ("body", "Sensitive third-party information"),
        ("voice", "professional"),
        ("withhold", "yes"),
        ("withhold_reason", "Shared in confidence by a neighbour"),
        ("review_day", day.as_str()),
        ("review_month", month.as_str()),
        ("review_year", year.as_str()),
    ];
    assert_eq!(app.post_form(&client, &page, &action, &withheld).await.status(), StatusCode::SEE_OTHER);
    let (status, summary) = app.get(&client, &format!("/people/{id}/summary")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(summary.contains("I take my tablets every morning"));
    assert!(!summary.contains("Sensitive third-party information"), "withheld entries never reach the summary");
    for theme in ["Who helps me?", "What I want you to know about me", "Staying safe and well", "Is it getting better?"]
    {
        assert!(summary.contains(theme), "{theme}");
    }
}

#[tokio::test]
async fn when_capacity_is_in_question_the_circle_asks_about_an_advocate() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Capacity").await;
    let circle = format!("/people/{id}/themes/circle-of-support");
    let (_, before) = app.get(&client, &circle).await;
    assert!(!before.contains("no advocate in the circle"));
    let safe = format!("/people/{id}/themes/keeping-safe");
    let decision = [
        ("kind", "note"),
        ("topic", "capacity-consent-dignity"),
        (
            "body",
            "Best-interests decision about moving home: made by Dr Wren with the family on 3 November, because he could not weigh up the options.",
        ),
        ("voice", "professional"),
    ];
    assert_eq!(
        app.post_form(&client, &safe, &format!("{safe}/entries"), &decision).await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, asked) = app.get(&client, &circle).await;
    assert!(asked.contains("no advocate in the circle"));
    let advocate = [
        ("name", "Sue Park"),
        ("relationship", "Independent advocate"),
        ("source", "wider-system"),
        ("involvement", "regular"),
    ];
    let r =
        app.post_form(&client, &format!("/people/{id}/circle/new"), &format!("/people/{id}/circle"), &advocate).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, answered) = app.get(&client, &circle).await;
    assert!(!answered.contains("no advocate in the circle"));
}

#[tokio::test]
async fn the_review_plan_is_agreed_in_the_progress_theme_with_plain_errors_and_version_checks() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Reviewed").await;
    let (_, progress) = app.get(&client, &format!("/people/{id}/themes/progress")).await;
    assert!(progress.contains("No review plan has been agreed yet"));
    let form = format!("/people/{id}/review-plan");
    let bad = app
        .post_form(
            &client,
            &form,
            &form,
            &[("version", "1"), ("every_weeks", "0"), ("next_day", "31"), ("next_month", "2"), ("next_year", "2027")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.text().await.expect("body");
    assert!(body.contains("from 1 to 104") && body.contains("must be a real date"));
    let next = carethread_store::now().date_naive() + chrono::Duration::days(84);
    let (d, m, y) = (next.format("%-d").to_string(), next.format("%-m").to_string(), next.format("%Y").to_string());
    let good = [
        ("version", "1"),
        ("every_weeks", "12"),
        ("next_day", d.as_str()),
        ("next_month", m.as_str()),
        ("next_year", y.as_str()),
    ];
    assert_eq!(app.post_form(&client, &form, &form, &good).await.status(), StatusCode::SEE_OTHER);
    let (_, progress) = app.get(&client, &format!("/people/{id}/themes/progress")).await;
    assert!(progress.contains("Reviewed every 12 weeks"));
    let (_, case) = app.get(&client, &format!("/people/{id}")).await;
    assert!(case.contains("every 12 weeks; next on"));
    let stale = app
        .post_form(
            &client,
            &form,
            &form,
            &[
                ("version", "1"),
                ("every_weeks", "4"),
                ("next_day", d.as_str()),
                ("next_month", m.as_str()),
                ("next_year", y.as_str()),
            ],
        )
        .await;
    assert_eq!(stale.status(), StatusCode::CONFLICT, "a plan changed since the form was opened is not overwritten");
    assert!(stale.text().await.expect("body").contains("Someone else changed this case"));
}

#[tokio::test]
async fn the_good_lives_checklist_is_saved_shown_in_joining_in_and_version_checked() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Goodlife").await;
    let form = format!("/people/{id}/good-lives");
    let orphan = app.post_form(&client, &form, &form, &[("version", "0"), ("pleasure-note", "Loves karaoke")]).await;
    assert_eq!(orphan.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = orphan.text().await.expect("body");
    assert!(body.contains("before adding a note") && body.contains("Loves karaoke"), "the note typed is kept");
    let first = [
        ("version", "0"),
        ("relatedness", "partly"),
        ("relatedness-note", "Sees his sister monthly"),
        ("work", "not-yet"),
    ];
    assert_eq!(app.post_form(&client, &form, &form, &first).await.status(), StatusCode::SEE_OTHER);
    let (_, theme) = app.get(&client, &format!("/people/{id}/themes/joining-in")).await;
    assert!(theme.contains("Partly: Sees his sister monthly") && theme.contains("Not yet"));
    let stale = app.post_form(&client, &form, &form, &[("version", "0"), ("life", "in-place")]).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT, "a second first-save does not overwrite the first");
    let second = [("version", "1"), ("relatedness", "in-place"), ("relatedness-note", "Moved nearer his sister")];
    assert_eq!(app.post_form(&client, &form, &form, &second).await.status(), StatusCode::SEE_OTHER);
    let (_, theme) = app.get(&client, &format!("/people/{id}/themes/joining-in")).await;
    assert!(theme.contains("In my life: Moved nearer his sister") && !theme.contains("Not yet"));
}

#[tokio::test]
async fn problem_areas_are_listed_counted_linked_and_refused_without_their_impact() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Problems").await;
    let new = format!("/people/{id}/problems/new");
    let action = format!("/people/{id}/problems");
    let bad = app
        .post_form(
            &client,
            &new,
            &action,
            &[("name", "Agoraphobia"), ("described_as", "plain-words"), ("code", "F40.0")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.text().await.expect("body");
    assert!(
        body.contains("Enter how it affects daily life")
            && body.contains("A code goes with a diagnosis")
            && body.contains("Agoraphobia")
    );
    let first = [
        ("name", "Agoraphobia"),
        ("described_as", "diagnosis"),
        ("code", "F40.0"),
        ("impact", "Cannot go to the shops alone"),
    ];
    assert_eq!(app.post_form(&client, &new, &action, &first).await.status(), StatusCode::SEE_OTHER);
    let second = [("name", "Money worries"), ("described_as", "plain-words"), ("impact", "Bills go unpaid")];
    assert_eq!(app.post_form(&client, &new, &action, &second).await.status(), StatusCode::SEE_OTHER);
    let page = format!("/people/{id}/themes/problem-toolkits");
    let (_, theme) = app.get(&client, &page).await;
    assert!(
        theme.contains("Problem areas (2)")
            && theme.contains("1. Agoraphobia")
            && theme.contains("(F40.0)")
            && theme.contains("2. Money worries")
    );
    let start = theme.find("/problems/").expect("a problem link") + "/problems/".len();
    let first_id = theme[start..start + 36].to_string();
    let select = theme.find(&format!("id=\"link-{first_id}\"")).expect("a link form");
    let value_at = theme[select..].find("value=\"").expect("an option") + select + "value=\"".len();
    let second_id = theme[value_at..value_at + 36].to_string();
    let r = app
        .post_form(&client, &page, &format!("/people/{id}/problems/{first_id}/links"), &[("other", second_id.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, theme) = app.get(&client, &page).await;
    assert_eq!(theme.matches("Unlink").count(), 2, "a link shows on both problem areas");
    let r = app
        .post_form(&client, &page, &format!("/people/{id}/problems/{first_id}/links"), &[("other", first_id.as_str())])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a problem area cannot be linked to itself");
}

#[tokio::test]
async fn a_risk_area_is_written_with_the_persons_understanding_and_a_best_interests_decision_says_who_when_why() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = new_person(&app, &client, "999 000 0093", "Riskwise").await;
    let page = format!("/people/{id}/themes/keeping-safe");
    let action = format!("{page}/entries");
    let risk = [
        ("kind", "worry"),
        ("topic", "risk-vulnerability"),
        ("body", "Asked for money at the bus stop"),
        ("voice", "with-person"),
        ("risk_helps_now", "Checking with Dev before lending anything"),
    ];
    let r = app.post_form(&client, &page, &action, &risk).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("Enter how the person understands this risk"), "asks for their understanding");
    assert!(body.contains("Checking with Dev before lending anything"), "what was typed is kept");

    let mut answered = risk.to_vec();
    answered.push(("risk_understanding", "Some people only want my money"));
    assert_eq!(app.post_form(&client, &page, &action, &answered).await.status(), StatusCode::SEE_OTHER);

    let misplaced = [
        ("kind", "note"),
        ("topic", "medication"),
        ("body", "Tablets at breakfast"),
        ("voice", "with-person"),
        ("risk_would_help", "A dosette box"),
    ];
    let r = app.post_form(&client, &page, &action, &misplaced).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "risk answers outside a risk area are not dropped");
    assert!(r.text().await.expect("body").contains("A dosette box"));

    let decision = [
        ("kind", "note"),
        ("topic", "capacity-consent-dignity"),
        ("body", "Dental treatment under general anaesthetic"),
        ("voice", "professional"),
        ("best_interests", "yes"),
        ("decided_by", "Dr Okafor with Lorna (mum)"),
        ("decided_day", "2"),
        ("decided_month", "10"),
        ("decided_year", "2026"),
    ];
    let r = app.post_form(&client, &page, &action, &decision).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Enter why it is in the person&#39;s best interests"));
    let mut decision = decision.to_vec();
    decision.push(("decided_why", "He could not weigh up the treatment at the time"));
    assert_eq!(app.post_form(&client, &page, &action, &decision).await.status(), StatusCode::SEE_OTHER);

    let (_, theme) = app.get(&client, &page).await;
    for shown in [
        "How they understand it",
        "Some people only want my money",
        "Checking with Dev before lending anything",
        "Best-interests decision:",
        "Dr Okafor with Lorna (mum)",
        "2 October 2026",
    ] {
        assert!(theme.contains(shown), "{shown}");
    }
}

#[tokio::test]
async fn the_person_answers_what_is_written_about_them_with_a_comment_but_never_on_a_withheld_entry() {
    let app = TestApp::spawn().await;
    let kw = app.signed_in("demo-keyworker").await;
    let jordan = crate::common::find(&app, &kw, "9990000018").await;
    let page = format!("/people/{jordan}/themes/keeping-safe");
    let action = format!("{page}/entries");
    let r = app
        .post_form(
            &kw,
            &page,
            &action,
            &[("kind", "worry"), ("body", "Goes out alone at night"), ("voice", "professional")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let year = (carethread_store::now().date_naive() + chrono::Duration::days(60)).format("%Y").to_string();
    let withheld = [
        ("kind", "worry"),
        ("body", "A private safeguarding concern"),
        ("voice", "professional"),
        ("withhold", "yes"),
        ("withhold_reason", "Enquiry under way"),
        ("review_day", "1"),
        ("review_month", "1"),
        ("review_year", year.as_str()),
    ];
    assert_eq!(app.post_form(&kw, &page, &action, &withheld).await.status(), StatusCode::SEE_OTHER);
    let (_, theme) = app.get(&kw, &page).await;
    let entry_of = |text: &str| {
        let at = theme.find(text).expect("the entry");
        let before = &theme[..at];
        let start = before.rfind("id=\"entry-").expect("its anchor") + "id=\"entry-".len();
        before[start..start + 36].to_string()
    };
    let (visible, hidden) = (entry_of("Goes out alone at night"), entry_of("A private safeguarding concern"));

    let person = app.signed_in("demo-person").await;
    let comment = |entry: &str| format!("/people/{jordan}/entries/{entry}/comments");
    let r = app.post_form(&person, &page, &comment(&visible), &[("body", "  ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Write your comment first."));
    let r = app.post_form(&person, &page, &comment(&visible), &[("body", "I go with my friend Sam now")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, staff_view) = app.get(&kw, &page).await;
    assert!(
        staff_view.contains("I go with my friend Sam now") && staff_view.contains("(the person)"),
        "the team sees it"
    );
    // To the person, a withheld entry does not exist.
    let r = app.post_form(&person, &page, &comment(&hidden), &[("body", "What is this?")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Someone else's entry under Jordan's record, and Jordan's entry by another person: not found.
    let other = app.signed_in("demo-supporter").await;
    let r = app.post_form(&other, "/supporting", &comment(&visible), &[("body", "Hello")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.post_form(&kw, &page, &comment(&hidden), &[("body", "Spoke to the safeguarding lead")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "staff may comment on what they can see");
    let (_, person_view) = app.get(&person, &page).await;
    assert!(!person_view.contains("Spoke to the safeguarding lead"), "comments on a withheld entry stay withheld");
}
