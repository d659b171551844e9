//! Access over HTTP, on the backend under test: staff without a working relationship find no one
//! and are offered emergency access; emergency access opens the record read-only, rotates the
//! session, shows on every page, is seen by the person and reviewed by a manager; supporters are
//! invited with a single-use code and see only what a consent in force shares with them.

use crate::common::{TestApp, find, form_value};
use reqwest::StatusCode;

const JORDAN_NHS: &str = "9990000018";

#[tokio::test]
async fn staff_outside_the_team_break_the_glass_to_read_a_record_and_everyone_sees_that_they_did() {
    let app = TestApp::spawn().await;
    let keyworker = app.signed_in("demo-keyworker").await;
    let jordan = find(&app, &keyworker, JORDAN_NHS).await;

    // Dr Wren works in another team: search finds no one, and the record is refused with an offer.
    let (clinician, jar) = app.signed_in_with_jar("demo-clinician").await;
    let (_, results) = app.get(&clinician, &format!("/people?q={JORDAN_NHS}")).await;
    assert!(results.contains("No one found"), "search lists only people one works with");
    let (status, page) = app.get(&clinician, &format!("/people/{jordan}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Use emergency access") && !page.contains("Baptiste"), "no details before the glass breaks");
    let r =
        clinician.get(app.url(&format!("/emergency-access/find?nhs_number={JORDAN_NHS}"))).send().await.expect("find");
    assert_eq!(r.headers()["location"], format!("/people/{jordan}/emergency-access"));
    assert_eq!(app.get(&clinician, "/emergency-access/find?nhs_number=123").await.0, StatusCode::BAD_REQUEST);

    // Bad reasons are refused with the reason kept; nothing opens.
    let ask = format!("/people/{jordan}/emergency-access");
    let r = app.post_form(&clinician, &ask, &ask, &[("reason", "need")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("at least 10 characters"));
    assert_eq!(app.get(&clinician, &format!("/people/{jordan}")).await.0, StatusCode::FORBIDDEN);

    // A real reason: the record opens, read-only, under a new session id.
    let old_cookie = app.session_cookie(&jar);
    let reason = "Called by the ward at night; need the crisis plan";
    let r = app.post_form(&clinician, &ask, &ask, &[("reason", reason)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/people/{jordan}"));
    let new_cookie = app.session_cookie(&jar);
    assert_ne!(old_cookie, new_cookie, "the session id changes at break-glass");
    let replay = app.client();
    let r = replay
        .get(app.url("/caseload"))
        .header("cookie", format!("ct_session={old_cookie}"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the old session id no longer works");
    let (status, page) = app.get(&clinician, &format!("/people/{jordan}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Baptiste") && page.contains("You are using emergency access to this record until"));
    let (status, page) = app.get(&clinician, &format!("/people/{jordan}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "emergency access is for reading");
    assert!(page.contains("not change it"));

    // The person sees it, with the reason; the manager reviews it; Dr Wren cannot review his own.
    let person = app.signed_in("demo-person").await;
    let (_, looks) = app.get(&person, &format!("/people/{jordan}/looks")).await;
    assert!(
        looks.contains("Emergency access") && looks.contains(reason),
        "the person sees who broke the glass and why"
    );
    assert_eq!(app.get(&clinician, "/emergency-access").await.0, StatusCode::FORBIDDEN);
    let manager = app.signed_in("demo-manager").await;
    let (status, queue) = app.get(&manager, "/emergency-access").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(reason) && queue.contains("Dr Tomasz Wren"));
    let grant = queue.split("/emergency-access/").nth(1).and_then(|s| s.get(..36)).expect("a review form").to_string();
    let action = format!("/emergency-access/{grant}/review");
    let r = app.post_form(&manager, "/emergency-access", &action, &[("verdict", "concern"), ("note", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "a concern needs a note");
    let r = app.post_form(&manager, "/emergency-access", &action, &[("verdict", "justified"), ("note", "")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.get(&manager, "/emergency-access").await.1.contains("reviewed by Grace Adeyemi"));

    // Ending it closes the record again at once.
    let end = format!("/people/{jordan}/emergency-access/end");
    let r = app.post_form(&clinician, &format!("/people/{jordan}"), &end, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&clinician, &format!("/people/{jordan}")).await.0, StatusCode::FORBIDDEN);
    let (_, looks) = app.get(&person, &format!("/people/{jordan}/looks")).await;
    assert!(looks.contains("Ended their emergency access"));

    // People and supporters cannot break the glass; nor can staff of another organisation's record.
    for username in ["demo-person", "demo-supporter", "demo-commissioner", "demo-admin"] {
        let client = app.signed_in(username).await;
        let status = app.get(&client, &ask).await.0;
        assert_ne!(status, StatusCode::OK, "{username} is not offered emergency access");
        let home = client.get(app.url("/")).send().await.expect("home");
        let home = home.headers()["location"].to_str().expect("text").to_string();
        let r = app.post_form(&client, &home, &ask, &[("reason", reason)]).await;
        assert!(matches!(r.status(), StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{username}: {}", r.status());
    }
}

#[tokio::test]
async fn a_supporter_is_invited_once_and_sees_only_what_is_shared_until_it_is_withdrawn() {
    let app = TestApp::spawn().await;
    let keyworker = app.signed_in("demo-keyworker").await;
    let jordan = find(&app, &keyworker, JORDAN_NHS).await;

    // A new member of Jordan's circle: his brother.
    let circle = format!("/people/{jordan}/themes/circle-of-support");
    let r = app
        .post_form(
            &keyworker,
            &circle,
            &format!("/people/{jordan}/circle"),
            &[
                ("name", "Marcus Baptiste"),
                ("relationship", "Brother"),
                ("source", "personal-network"),
                ("involvement", "regular"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "member added");
    let consents = format!("/people/{jordan}/consents");
    let (_, page) = app.get(&keyworker, &consents).await;
    let member = member_id(&page, "Marcus Baptiste");

    let r = app.post_form(&keyworker, &consents, &format!("/people/{jordan}/invites"), &[("member", &member)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let invited = r.text().await.expect("body");
    let code = between(&invited, "id=\"invite-code\">", "<").to_string();
    assert_eq!(code.len(), 14, "shown as three groups of four: {code}");

    // Accepting: a wrong code, a short password, then properly; the code then never works again.
    let visitor = app.client();
    let accept = |fields: Vec<(&'static str, String)>| {
        let visitor = visitor.clone();
        let app = &app;
        async move {
            let token = app.form_token(&visitor, "/invite").await;
            let mut all = vec![("_csrf", token)];
            all.extend(fields);
            visitor.post(app.url("/invite")).form(&all).send().await.expect("post")
        }
    };
    let form = |code: &str, password: &str| {
        vec![
            ("code", code.to_string()),
            ("display_name", "Marcus Baptiste".to_string()),
            ("username", "marcus.b".to_string()),
            ("password", password.to_string()),
            ("confirm", password.to_string()),
        ]
    };
    let r = accept(form("AAAA-BBBB-CCCC", "a long enough password")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("This code does not work"));
    let r = accept(form(&code.to_lowercase(), "short")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = accept(form(&code.to_lowercase(), "a long enough password")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "codes are read case-insensitively");
    let mut second = form(&code, "a long enough password");
    second[2].1 = "marcus.c".to_string();
    let r = accept(second).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "single use");

    let marcus = app.client();
    assert_eq!(app.sign_in(&marcus, "marcus.b", "a long enough password").await.status(), StatusCode::SEE_OTHER);
    let (_, home) = app.get(&marcus, "/supporting").await;
    assert!(home.contains("No one is sharing their record with you"), "signing in shares nothing by itself");
    assert_eq!(app.get(&marcus, &format!("/people/{jordan}/shared")).await.0, StatusCode::NOT_FOUND);

    // Jordan's consent: his crisis plan and "about me".
    let r = app
        .post_form(
            &keyworker,
            &consents,
            &consents,
            &[
                ("with_kind", "member"),
                ("member", &member),
                ("scope", "sections"),
                ("sections", "escalation"),
                ("sections", "theme-about-me"),
                ("purpose", "So Marcus can help in a crisis"),
                ("from", &chrono::Utc::now().date_naive().to_string()),
                ("given", "verbal"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "consent recorded");
    let (_, home) = app.get(&marcus, "/supporting").await;
    assert!(home.contains("Jordy Baptiste") && home.contains("Theme: About me"));
    let (status, shared) = app.get(&marcus, &format!("/people/{jordan}/shared")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shared.contains("About me") && !shared.contains("Keeping safe and well"));
    assert_eq!(app.get(&marcus, &format!("/people/{jordan}/plan/crisis")).await.0, StatusCode::OK);
    for path in ["", "/plan", "/tasks", "/consents", "/looks", "/themes/about-me", "/edit", "/plan/easy-read.pdf"] {
        let status = app.get(&marcus, &format!("/people/{jordan}{path}")).await.0;
        assert_eq!(status, StatusCode::NOT_FOUND, "a supporter sees only the shared view: {path}");
    }

    // Jordan withdraws it himself; access stops at once.
    let person = app.signed_in("demo-person").await;
    let (_, page) = app.get(&person, &consents).await;
    let consent = consent_for(&page, "Marcus Baptiste");
    let r = app
        .post_form(
            &person,
            &consents,
            &format!("/people/{jordan}/consents/{consent}/withdraw"),
            &[("reason", "I changed my mind")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&marcus, &format!("/people/{jordan}/shared")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&marcus, &format!("/people/{jordan}/plan/crisis")).await.0, StatusCode::NOT_FOUND);
    assert!(app.get(&marcus, "/supporting").await.1.contains("No one is sharing"));
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let from = s.find(start).expect("start marker") + start.len();
    let to = s[from..].find(end).expect("end marker") + from;
    &s[from..to]
}

/// The id of a circle member in the consents page's invite list.
fn member_id(page: &str, name: &str) -> String {
    let row = &page[page.find(&format!("<td class=\"nhsuk-table__cell\">{name}")).expect("member row")..];
    form_value(row, "member").expect("invite form")
}

/// The id of the consent shown under this name on the consents page.
fn consent_for(page: &str, name: &str) -> String {
    let card = &page[page.find(&format!("{name} (")).expect("consent card")..];
    between(card, "/consents/", "/withdraw").to_string()
}
