//! Black-box tests of the running application over HTTP, on the backend under test.

use crate::common::{TestApp, form_value, person_form, person_location};
use reqwest::StatusCode;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(app.get(&client, "/healthz").await.0, StatusCode::OK);
    assert_eq!(app.get(&client, "/readyz").await.0, StatusCode::OK);
    let (status, metrics) = app.get(&client, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/healthz\""));
}

#[tokio::test]
async fn unknown_pages_get_a_404_page_and_signed_in_pages_send_strangers_to_sign_in() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let (status, body) = app.get(&client, "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found") && body.contains("Reference for support"));
    let response = client.get(app.url("/caseload")).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in?next=%2Fcaseload");
    let headers = client.get(app.url("/sign-in")).send().await.expect("get").headers().clone();
    assert!(headers["content-security-policy"].to_str().expect("csp").contains("frame-ancestors 'none'"));
    assert_eq!(headers["cache-control"], "no-store");
}

fn session_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| v.to_str().ok().filter(|s| s.starts_with("ct_session=")))
        .expect("a session cookie")
        .to_string()
}

#[tokio::test]
async fn sign_in_rotates_the_session_and_sign_out_ends_it_on_the_server() {
    let app = TestApp::spawn().await;
    let client = app.client();
    let first = session_cookie(&app.sign_in(&client, "demo-keyworker", "carethread-demo").await);
    assert!(first.contains("HttpOnly") && first.contains("SameSite=Lax"));
    let first = first.split(';').next().expect("pair").to_string();
    // Another browser holding a copy of the cookie is signed in while the session lives.
    let copy = app.client();
    let with_first = |c: &reqwest::Client| c.get(app.url("/caseload")).header("cookie", first.clone()).send();
    assert_eq!(with_first(&copy).await.expect("get").status(), StatusCode::OK);
    // Signing in again from a browser that holds a session replaces that session.
    let token = app.form_token(&client, "/caseload").await;
    let again = client
        .post(app.url("/sign-in"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "demo-manager"),
            ("password", "carethread-demo"),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("post");
    let second = session_cookie(&again);
    assert_ne!(second.split(';').next(), Some(first.as_str()), "the session id changes at sign-in");
    assert_eq!(with_first(&copy).await.expect("get").status(), StatusCode::SEE_OTHER, "the replaced session is gone");
    // Signing out ends the session on the server, not just in the browser.
    let second = second.split(';').next().expect("pair").to_string();
    let r = app.post_form(&client, "/caseload", "/sign-out", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let replay = copy.get(app.url("/caseload")).header("cookie", second).send().await.expect("get");
    assert_eq!(replay.status(), StatusCode::SEE_OTHER, "a signed-out session must not work again");
}

#[tokio::test]
async fn repeated_failures_throttle_that_account_but_not_others() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for _ in 0..5 {
        assert_eq!(app.sign_in(&client, "demo-clinician", "wrong password!").await.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = app.sign_in(&client, "demo-clinician", "carethread-demo").await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().contains_key("retry-after"));
    // Another account from the same address still signs in.
    let other = app.client();
    assert_eq!(app.sign_in(&other, "demo-manager", "carethread-demo").await.status(), StatusCode::SEE_OTHER);
    // Unknown accounts fail the same way as wrong passwords.
    assert_eq!(app.sign_in(&app.client(), "nobody-here", "carethread-demo").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_missing_or_tampered_form_token_is_refused_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let mut fields = person_form("999 000 0093", "Tamperproof");
    fields.push(("_csrf", "not-the-real-token"));
    let r = client.post(app.url("/people")).form(&fields).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.expect("body").contains("nothing was saved"));
    let r =
        client.post(app.url("/people")).form(&person_form("999 000 0093", "Tamperproof")).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A cross-site request is refused by the Origin check even with a token.
    let token = app.form_token(&client, "/people/new").await;
    let mut fields = person_form("999 000 0093", "Tamperproof");
    fields.push(("_csrf", token.as_str()));
    let r = client
        .post(app.url("/people"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, body) = app.get(&client, "/people?q=tamperproof").await;
    assert!(body.contains("No one found"), "a refused form must not save anything");
}

#[tokio::test]
async fn registering_with_a_bad_nhs_number_shows_the_error_and_keeps_the_typing() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let r = app.post_form(&client, "/people/new", "/people", &person_form("999 000 0095", "Checkdigit")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(body.contains("its last digit does not match the check"), "{body}");
    assert!(body.contains("value=\"Checkdigit\""), "what was typed stays in the form");
    let mut bad_dates = person_form("999 000 0093", "Checkdigit");
    bad_dates[2] = ("dob_day", "31");
    bad_dates[3] = ("dob_month", "2");
    bad_dates[1] = ("family_name", "");
    let body = app.post_form(&client, "/people/new", "/people", &bad_dates).await.text().await.expect("body");
    assert!(body.contains("must be a real date") && body.contains("Enter a last name"));
    let r = app.post_form(&client, "/people/new", "/people", &person_form("999 000 0093", "Checkdigit")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = person_location(&r);
    let (status, page) = app.get(&client, &format!("/people/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Robin Checkdigit")
            && page.contains("999 000 0093")
            && page.contains("Key worker</dt><dd class=\"nhsuk-summary-list__value\">Priya Nair"),
        "registered by a key worker, allocated to them"
    );
    let (_, caseload) = app.get(&client, "/caseload").await;
    assert!(caseload.contains("Robin Checkdigit"));
    let r = app.post_form(&client, "/people/new", "/people", &person_form("999 000 0093", "Again")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("already registered here"));
}

#[tokio::test]
async fn a_stale_edit_is_refused_showing_what_changed() {
    let app = TestApp::spawn().await;
    let alice = app.signed_in("demo-keyworker").await;
    let bob = app.signed_in("demo-clinician").await;
    let id = person_location(
        &app.post_form(&alice, "/people/new", "/people", &person_form("999 000 0093", "Versioned")).await,
    );
    let edit = format!("/people/{id}/edit");
    let (_, alice_form) = app.get(&alice, &edit).await;
    let (_, bob_form) = app.get(&bob, &edit).await;
    assert_eq!(form_value(&alice_form, "version").as_deref(), Some("1"));
    let mut fields = person_form("999 000 0093", "Versioned");
    fields.push(("preferred_name", "Rob"));
    fields.push(("version", "1"));
    let token = form_value(&bob_form, "_csrf").expect("token");
    let mut bobs = fields.clone();
    bobs.push(("_csrf", token.as_str()));
    assert_eq!(bob.post(app.url(&edit)).form(&bobs).send().await.expect("post").status(), StatusCode::SEE_OTHER);
    let token = form_value(&alice_form, "_csrf").expect("token");
    let mut alices = person_form("999 000 0093", "Versioned");
    alices.push(("phone", "01632 960 999"));
    alices.push(("version", "1"));
    alices.push(("_csrf", token.as_str()));
    let r = alice.post(app.url(&edit)).form(&alices).send().await.expect("post");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body = r.text().await.expect("body");
    assert!(body.contains("Someone else changed these details") && body.contains("Dr Tomasz Wren"));
    assert!(body.contains("Preferred name") && body.contains("<ins>Rob</ins>"));
    assert!(body.contains("value=\"01632 960 999\""), "Alice's typing is kept");
    let (_, page) = app.get(&alice, &format!("/people/{id}")).await;
    assert!(!page.contains("01632 960 999"), "the stale edit was not saved");
    let (_, history) = app.get(&alice, &format!("/people/{id}/history")).await;
    assert!(history.contains("Version 2") && history.contains("Version 1"));
}

#[tokio::test]
async fn closing_needs_a_reason_and_a_closed_case_can_be_reopened() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    let id = person_location(
        &app.post_form(&client, "/people/new", "/people", &person_form("999 000 0093", "Closable")).await,
    );
    let close = format!("/people/{id}/close");
    let r = app.post_form(&client, &close, &close, &[("version", "1"), ("reason", "   ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("Enter the reason for closing the case"));
    let r = app.post_form(&client, &close, &close, &[("version", "1"), ("reason", "Moved out of the area")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&client, &format!("/people/{id}")).await;
    assert!(page.contains("Closed") && page.contains("Moved out of the area"));
    let r =
        app.post_form(&client, &format!("/people/{id}"), &format!("/people/{id}/reopen"), &[("version", "2")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&client, &format!("/people/{id}")).await;
    assert!(!page.contains("Reopen") && page.contains("Close the case"));
}

#[tokio::test]
async fn roles_without_a_relationship_cannot_reach_named_records() {
    let app = TestApp::spawn().await;
    let keyworker = app.signed_in("demo-keyworker").await;
    let id = person_location(
        &app.post_form(&keyworker, "/people/new", "/people", &person_form("999 000 0093", "Private")).await,
    );
    for username in ["demo-commissioner", "demo-admin", "demo-supporter", "demo-person"] {
        let client = app.signed_in(username).await;
        let (status, body) = app.get(&client, &format!("/people/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{username} must not see the record");
        assert!(!body.contains("Private"));
        assert_eq!(app.get(&client, "/caseload").await.0, StatusCode::FORBIDDEN, "{username}");
        assert_eq!(app.get(&client, "/people?q=private").await.0, StatusCode::FORBIDDEN, "{username}");
    }
    // The person sees their own record only.
    let person = app.signed_in("demo-person").await;
    let (status, me) = app.get(&person, "/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(me.contains("Jordan Baptiste"));
    // Staff never reach the administration pages.
    assert_eq!(app.get(&keyworker, "/admin").await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&keyworker, "/admin/audit").await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_of_another_organisation_get_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("demo-admin").await;
    let r = app
        .post_form(
            &admin,
            "/admin",
            "/admin/organisations",
            &[("name", "Eastvale Council"), ("kind", "council"), ("time_zone", "Europe/London")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&admin, "/admin/users/new").await;
    let marker = "\">Eastvale Council</option>";
    let end = page.find(marker).expect("the new organisation is offered");
    let org_id = &page[page[..end].rfind('"').expect("value") + 1..end];
    let r = app
        .post_form(
            &admin,
            "/admin/users/new",
            "/admin/users",
            &[
                ("org_id", org_id),
                ("username", "eastvale-kw"),
                ("display_name", "East Vale"),
                ("role", "key-worker"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let outsider = app.client();
    assert_eq!(app.sign_in(&outsider, "eastvale-kw", "a long enough password").await.status(), StatusCode::SEE_OTHER);
    let keyworker = app.signed_in("demo-keyworker").await;
    let id = person_location(
        &app.post_form(&keyworker, "/people/new", "/people", &person_form("999 000 0093", "Westmereonly")).await,
    );
    assert_eq!(app.get(&outsider, &format!("/people/{id}")).await.0, StatusCode::NOT_FOUND);
    let (_, results) = app.get(&outsider, "/people?q=westmereonly").await;
    assert!(results.contains("No one found"));
}

#[tokio::test]
async fn admins_manage_accounts_with_clear_errors() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("demo-admin").await;
    let (_, page) = app.get(&admin, "/admin").await;
    assert!(page.contains("demo-keyworker"));
    let bad = app
        .post_form(
            &admin,
            "/admin/users/new",
            "/admin/users",
            &[
                ("org_id", "nonsense"),
                ("username", "demo-keyworker"),
                ("display_name", ""),
                ("role", "superuser"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = bad.text().await.expect("body");
    for expected in ["Choose an organisation", "Enter the person", "is not a role", "at least 12 characters"] {
        assert!(body.contains(expected), "missing {expected:?}");
    }
    // A deactivated team is no longer offered for new cases.
    let keyworker = app.signed_in("demo-keyworker").await;
    let (_, register) = app.get(&keyworker, "/people/new").await;
    assert!(register.contains("Harbour Complex Care Programme</option>"));
    let (_, admin_page) = app.get(&admin, "/admin").await;
    let team_row =
        admin_page.find("<td class=\"nhsuk-table__cell\">Harbour Complex Care Programme</td>").expect("team row");
    let start = admin_page[team_row..].find("/admin/teams/").expect("form") + team_row + "/admin/teams/".len();
    let team_id = &admin_page[start..start + 36];
    let r = app.post_form(&admin, "/admin", &format!("/admin/teams/{team_id}/active"), &[("active", "no")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, register) = app.get(&keyworker, "/people/new").await;
    assert!(!register.contains("Harbour Complex Care Programme</option>"));
    // Deactivating an account ends its sessions at once.
    let clinician = app.signed_in("demo-clinician").await;
    let (_, admin_page) = app.get(&admin, "/admin").await;
    let row = admin_page.find("<td class=\"nhsuk-table__cell\">demo-clinician</td>").expect("row");
    let action_start = admin_page[row..].find("/admin/users/").expect("form") + row;
    let user_id = &admin_page[action_start + "/admin/users/".len()..action_start + "/admin/users/".len() + 36];
    let r = app.post_form(&admin, "/admin", &format!("/admin/users/{user_id}/active"), &[("active", "no")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&clinician, "/caseload").await.0, StatusCode::SEE_OTHER, "a deactivated account is signed out");
    assert_eq!(
        app.sign_in(&app.client(), "demo-clinician", "carethread-demo").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_audit_log_shows_who_read_which_record() {
    let app = TestApp::spawn().await;
    let keyworker = app.signed_in("demo-keyworker").await;
    let id = person_location(
        &app.post_form(&keyworker, "/people/new", "/people", &person_form("999 000 0093", "Audited")).await,
    );
    app.get(&keyworker, &format!("/people/{id}")).await;
    let admin = app.signed_in("demo-admin").await;
    let (status, log) = app.get(&admin, "/admin/audit?person=999+000+0093").await;
    assert_eq!(status, StatusCode::OK);
    assert!(log.contains("Robin Audited") && log.contains("opened the case") && log.contains("demo-keyworker"));
    assert!(log.contains("registered the person"));
    let (status, bad) = app.get(&admin, "/admin/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("Enter a date like"));
    let (_, by_user) = app.get(&admin, "/admin/audit?user=demo-admin").await;
    assert!(!by_user.contains("opened the case"));
}

#[tokio::test]
async fn idle_sessions_end_and_say_why() {
    let app =
        TestApp::spawn_with(|c| carethread::config::Config { staff_idle: std::time::Duration::from_secs(1), ..c })
            .await;
    let client = app.signed_in("demo-keyworker").await;
    assert_eq!(app.get(&client, "/caseload").await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = client.get(app.url("/caseload")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get(&client, "/sign-in").await;
    assert!(page.contains("Sign in to Carethread"));
}

#[tokio::test]
async fn a_failure_inside_a_handler_shows_a_reference_and_no_internals() {
    let app = TestApp::spawn().await;
    let client = app.signed_in("demo-keyworker").await;
    app.db.close().await;
    let (status, body) = app.get(&client, "/caseload").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("Reference for support"));
    assert!(!body.to_lowercase().contains("sqlx") && !body.contains("pool"), "no internals on the page: {body}");
    assert_eq!(app.get(&app.client(), "/readyz").await.0, StatusCode::SERVICE_UNAVAILABLE);
    // Static files skip the session lookup, so even now the error page's stylesheet loads.
    assert_eq!(app.get(&client, "/assets/carethread.css").await.0, StatusCode::OK);
}

#[tokio::test]
async fn https_deployments_send_hsts_and_plain_ones_do_not() {
    let plain = TestApp::spawn().await;
    let r = plain.client().get(plain.url("/sign-in")).send().await.expect("get");
    assert!(r.headers().get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    assert!(r.headers()["content-security-policy"].to_str().expect("text").contains("frame-ancestors 'none'"));
    let https = TestApp::spawn_with(|c| carethread::config::Config { secure_cookies: true, ..c }).await;
    let r = https.client().get(https.url("/sign-in")).send().await.expect("get");
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains");
}
