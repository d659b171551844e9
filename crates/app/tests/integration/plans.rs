//! The care plan over HTTP, on the backend under test: refusals with reasons and the typing
//! kept, a stale form that writes nothing, the person writing their own goal but nothing else,
//! agreement and activation, what changed between versions, consent, the quality report's
//! audience, and the easy-read PDF.

use crate::common::{TestApp, find};
use reqwest::StatusCode;

fn goal<'a>(version: &'a str, achieve: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("version", version),
        ("what_matters", "Music"),
        ("achieve", achieve),
        ("voice", "with-person"),
        ("step_what", "Find a choir"),
        ("step_who", "person"),
        ("step_by", "2027-03-01"),
        ("step_what", ""),
        ("step_who", "person"),
        ("step_by", ""),
    ]
}

#[tokio::test]
async fn plan_forms_refuse_bad_input_with_reasons_and_a_stale_form_writes_nothing() {
    let app = TestApp::spawn().await;
    let kw = app.signed_in("demo-keyworker").await;
    let id = &find(&app, &kw, "999+000+0018").await;
    let new_goal = format!("/people/{id}/plan/goals/new");

    // A draft with no goal yet (only the review interval set) cannot be agreed.
    let settings = format!("/people/{id}/plan/settings");
    let r = app
        .post_form(&kw, &settings, &settings, &[("version", "0"), ("owner", "person"), ("review_months", "13")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(&kw, &settings, &settings, &[("version", "0"), ("owner", "person"), ("review_months", "6")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let agree = format!("/people/{id}/plan/agree");
    let themselves = [("version", "1"), ("agreed_by", "themselves"), ("how", "in-person"), ("on", "2026-11-20")];
    let r = app.post_form(&kw, &agree, &agree, &themselves).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Add at least one of Jordy Baptiste&#39;s goals before agreeing"));

    let r = app.post_form(&kw, &new_goal, &new_goal, &[("version", "1"), ("achieve", "Sing")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("Enter what matters to the person") && body.contains("Say whose words these are"));
    assert!(body.contains(">Sing</textarea>"), "what was typed is kept");

    let mut bad_step = goal("1", "Sing in a choir");
    bad_step[6] = ("step_by", "2027-02-30");
    let r = app.post_form(&kw, &new_goal, &new_goal, &bad_step).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("must be a real date"));

    let mut misaligned = goal("1", "Sing in a choir");
    misaligned.push(("step_what", "An extra step with no supporter"));
    let r = app.post_form(&kw, &new_goal, &new_goal, &misaligned).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "rows that do not line up are not ours");

    let r = app.post_form(&kw, &new_goal, &new_goal, &goal("1", "Sing in a choir")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A second form opened before that save carries the old lock: it is refused whole.
    let r = app.post_form(&kw, &new_goal, &new_goal, &goal("1", "Learn the guitar")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.expect("body");
    assert!(body.contains("Someone else changed the plan") && body.contains(">Learn the guitar</textarea>"));
    let (_, plan) = app.get(&kw, &format!("/people/{id}/plan")).await;
    assert!(plan.contains("Sing in a choir") && !plan.contains("Learn the guitar"));

    let escalation = format!("/people/{id}/plan/escalation");
    let r = app
        .post_form(
            &kw,
            &escalation,
            &escalation,
            &[
                ("version", "2"),
                ("warning_signs", "Stops eating"),
                ("contact_name", "Lorna"),
                ("contact_role", "Mum"),
                ("contact_phone", ""),
                ("contact_hours", ""),
                ("mandate_kind", "respect"),
                ("mandate_says", "For CPR"),
                ("mandate_kept_at", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("Enter a phone number for Lorna, or clear the row."));
    assert!(body.contains("where the resuscitation and respect recommendations is kept"));
    assert!(body.contains(">Stops eating</textarea>"));

    let r = app.post_form(&kw, &agree, &agree, &[("version", "2"), ("on", "2026-11-20")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Record Jordy Baptiste&#39;s agreement"));
    let r = app
        .post_form(
            &kw,
            &agree,
            &agree,
            &[("version", "2"), ("agreed_by", "themselves"), ("how", "in-person"), ("on", "2099-01-01")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("must be today or in the past"));

    let consents = format!("/people/{id}/consents");
    let r = app
        .post_form(
            &kw,
            &consents,
            &consents,
            &[
                ("with_kind", "organisation"),
                ("organisation", "Westmere Housing"),
                ("scope", "whole"),
                ("purpose", "Rehousing"),
                ("from", "2026-12-01"),
                ("until", "2026-11-01"),
                ("given", "written"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("Consent cannot end before it starts") && body.contains("value=\"Westmere Housing\""));
    let (_, page) = app.get(&kw, &consents).await;
    assert!(!page.contains("Westmere Housing"), "nothing was recorded");

    for bad in [format!("/people/{id}/plan/goals/not-a-goal"), format!("/people/{id}/plan/versions/x")] {
        assert_eq!(app.get(&kw, &bad).await.0, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn the_person_writes_their_own_goals_but_nothing_else_and_sees_only_their_own_plan() {
    let app = TestApp::spawn().await;
    let kw = app.signed_in("demo-keyworker").await;
    let jordan = &find(&app, &kw, "999+000+0018").await;
    let aisha = &find(&app, &kw, "999+000+0085").await;
    let me = app.signed_in("demo-person").await;

    let new_goal = format!("/people/{jordan}/plan/goals/new");
    let mut mine = goal("0", "Go swimming on Fridays");
    mine[3] = ("voice", "professional");
    let r = app.post_form(&me, &new_goal, &new_goal, &mine).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, plan) = app.get(&me, &format!("/people/{jordan}/plan")).await;
    assert!(plan.contains("Go swimming on Fridays") && plan.contains("In their own words"), "their words are theirs");
    assert!(!plan.contains("Change the escalation plan") && !plan.contains("Record agreement"));

    // Jordan agrees to the draft themselves; an old lock is refused and nothing is written.
    let plan_page = format!("/people/{jordan}/plan");
    let (_, page) = app.get(&me, &plan_page).await;
    assert!(page.contains("I agree with my plan"));
    let mine_agreement = format!("/people/{jordan}/plan/my-agreement");
    let r = app.post_form(&me, &plan_page, &mine_agreement, &[("version", "7")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a stale page cannot agree");
    let r = app.post_form(&me, &plan_page, &mine_agreement, &[("version", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&kw, &plan_page).await;
    assert!(page.contains("Version 1 is agreed but not in use yet"));
    let (_, versions) = app.get(&kw, &format!("/people/{jordan}/plan/versions")).await;
    assert!(versions.contains("Jordy Baptiste agreed it on Carethread, from their own sign-in"));
    let r = app.post_form(&kw, &plan_page, &mine_agreement, &[("version", "1")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "only the person agrees for themselves");

    for staff_only in ["escalation", "management", "settings", "agree"] {
        let (status, _) = app.get(&me, &format!("/people/{jordan}/plan/{staff_only}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{staff_only}");
    }
    for theirs in ["plan", "plan/crisis", "plan/easy-read", "plan/easy-read.pdf", "consents", "plan/goals/new"] {
        let (status, _) = app.get(&me, &format!("/people/{aisha}/{theirs}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{theirs} of someone else");
    }

    let r = me.get(app.url(&format!("/people/{jordan}/plan/easy-read.pdf"))).send().await.expect("pdf");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"%PDF-") && bytes.len() > 5_000, "a real PDF with its fonts");

    // Jordan writes about themselves; whatever the form claims, it is theirs, in their words, shown.
    let about = format!("/people/{jordan}/themes/about-me");
    let r = app
        .post_form(
            &me,
            &about,
            &format!("{about}/entries"),
            &[
                ("kind", "working"),
                ("body", "I like making bread on Sundays"),
                ("voice", "professional"),
                ("withhold", "yes"),
                ("withhold_reason", "hidden"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, theirs) = app.get(&kw, &about).await;
    let card = &theirs[theirs.find("I like making bread on Sundays").expect("the entry")..];
    assert!(card[..600].contains("In their own words") && !card[..600].contains("Withheld"), "{}", &card[..600]);
    let section = &theirs[theirs.find("My view, in my own words").expect("the section")..];
    let entry_at = section.find("I like making bread").expect("after the heading of their own view");
    assert!(entry_at < section.find("Other people&#39;s views").expect("next section"), "filed under their own view");
    let safe = format!("/people/{jordan}/themes/keeping-safe");
    let r = app.post_form(&me, &about, &format!("{safe}/entries"), &[("kind", "worry"), ("body", "x")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "only about me takes the person's own writing");

    // Aisha sees that Jordan tried to open her record and was stopped.
    let (_, looks) = app.get(&kw, &format!("/people/{aisha}/looks")).await;
    assert!(looks.contains("Jordan Baptiste") && looks.contains("Stopped"), "refusals are shown");
    assert_eq!(app.get(&me, &format!("/people/{aisha}/looks")).await.0, StatusCode::NOT_FOUND);
    let (_, mine) = app.get(&me, &format!("/people/{jordan}/looks")).await;
    assert!(mine.contains("Who has looked at my record") && mine.contains("Opened the care plan"));

    // The quality report names only those who fall short, and only they get an audit entry.
    let (status, report) = app.get(&kw, "/plans/quality?team=all&criterion=escalation").await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("Jordy Baptiste") && !report.contains("Aisha Karimi"));
    let (_, jordans) = app.get(&kw, &format!("/people/{jordan}/looks")).await;
    assert!(jordans.contains("Listed in the plan-quality report"));
    let (_, aishas) = app.get(&kw, &format!("/people/{aisha}/looks")).await;
    assert!(!aishas.contains("Listed in the plan-quality report"), "she was counted, not named");

    let commissioner = app.signed_in("demo-commissioner").await;
    assert_eq!(app.get(&commissioner, "/plans/quality").await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&commissioner, &format!("/people/{aisha}/plan/crisis")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&kw, "/plans/quality?team=not-a-team").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn agreeing_and_activating_keeps_each_version_and_the_versions_page_says_what_changed() {
    let app = TestApp::spawn().await;
    let kw = app.signed_in("demo-keyworker").await;
    let aisha = &find(&app, &kw, "999+000+0085").await;

    // The demo plan is at version 2, active; changing it starts version 3.
    let (_, page) = app.get(&kw, &format!("/people/{aisha}/plan/escalation")).await;
    let lock = crate::common::form_value(&page, "version").expect("lock");
    assert_eq!(lock, "0", "no draft yet");
    let escalation = format!("/people/{aisha}/plan/escalation");
    let r = app
        .post_form(
            &kw,
            &escalation,
            &escalation,
            &[
                ("version", "0"),
                ("warning_signs", "Stops answering her phone\nStops eating"),
                ("what_to_do", "Ring Mum first"),
                ("contact_name", "Samira Karimi"),
                ("contact_role", "Mum"),
                ("contact_phone", "07700 900461"),
                ("contact_hours", "Any time"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, plan) = app.get(&kw, &format!("/people/{aisha}/plan")).await;
    assert!(plan.contains("Draft version 3") && plan.contains("Under review"));

    let agree = format!("/people/{aisha}/plan/agree");
    let r = app
        .post_form(
            &kw,
            &agree,
            &agree,
            &[("version", "1"), ("agreed_by", "themselves"), ("how", "in-writing"), ("on", "2026-11-20")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let plan_page = format!("/people/{aisha}/plan");
    let r = app.post_form(&kw, &plan_page, &format!("/people/{aisha}/plan/versions/3/activate"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.post_form(&kw, &plan_page, &format!("/people/{aisha}/plan/versions/3/activate"), &[]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "an active version cannot be activated again");

    let (_, versions) = app.get(&kw, &format!("/people/{aisha}/plan/versions?from=2&to=3")).await;
    assert!(versions.contains("Early warning sign added: “Stops eating”."));
    assert!(versions.contains("What helps removed: “Her cat, Biscuit”."));
    let (_, v2) = app.get(&kw, &format!("/people/{aisha}/plan/versions/2")).await;
    assert!(v2.contains("Superseded") && v2.contains("Her cat, Biscuit"), "version 2 is kept as it was agreed");
    assert!(!v2.contains("Change the escalation plan"), "a past version is read-only");
    let (_, caseload) = app.get(&kw, "/caseload").await;
    assert!(caseload.contains("Due 20 May 2027"), "the caseload shows the new review date");
}
