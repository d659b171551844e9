//! Two-factor sign-in over HTTP, on the backend under test: a member of staff sets up an app,
//! then signs in with a password and a code that works once; an organisation can require it,
//! and an administrator can reset it after a lost phone.

use crate::common::TestApp;
use carethread::auth::totp;
use carethread::demo::DEMO_PASSWORD;
use reqwest::StatusCode;

fn code(secret: &str, offset: i64) -> String {
    let at = totp::unix_now().saturating_add_signed(offset);
    totp::code_at(secret, at).expect("a code")
}

/// The key shown for typing into an app, without its spaces.
fn secret_on(page: &str) -> String {
    let start = page.find("id=\"secret\">").expect("the key to type") + "id=\"secret\">".len();
    let secret: String = page[start..start + 39].chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(secret.len(), 32);
    secret
}

#[tokio::test]
async fn staff_sign_in_with_a_password_and_a_one_time_code_which_an_organisation_can_require() {
    let app = TestApp::spawn().await;
    let kw = app.signed_in("demo-keyworker").await;
    let (status, page) = app.get(&kw, "/account/two-factor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<svg") && page.contains("Turn on two-factor sign-in"), "a QR code to scan");
    let secret = secret_on(&page);

    let r = app.post_form(&kw, "/account/two-factor", "/account/two-factor", &[("code", "123456x")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // The page shown after a wrong code keeps the same key, so the app already set up still works.
    let first = code(&secret, 0);
    let r = app.post_form(&kw, "/account/two-factor", "/account/two-factor", &[("code", &first)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("body").contains("Two-factor sign-in is on"));

    // Signing in: the password alone opens no session.
    let fresh = app.client();
    let r = app.sign_in(&fresh, "demo-keyworker", DEMO_PASSWORD).await;
    assert_eq!(r.headers()["location"], "/sign-in/code");
    assert_eq!(app.get(&fresh, "/caseload").await.0, StatusCode::SEE_OTHER, "no session yet");
    let (status, page) = app.get(&fresh, "/sign-in/code").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Enter the code from your app"));
    // The code used to set it up has been used: it does not work again.
    let r = app.post_form(&fresh, "/sign-in/code", "/sign-in/code", &[("code", &first)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // The next step's code works (it is within the one step either side allowed).
    let next = code(&secret, 30);
    let r = app.post_form(&fresh, "/sign-in/code", "/sign-in/code", &[("code", &next)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&fresh, "/caseload").await.0, StatusCode::OK, "signed in");
    // The same code from another browser, right after: refused.
    let other = app.client();
    app.sign_in(&other, "demo-keyworker", DEMO_PASSWORD).await;
    let r = app.post_form(&other, "/sign-in/code", "/sign-in/code", &[("code", &next)]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a code works once");
    // No challenge, no code page.
    let stranger = app.client();
    let r = stranger.get(app.url("/sign-in/code")).send().await.expect("get");
    assert_eq!(r.headers()["location"], "/sign-in?code=expired");

    // People and supporters have no two-factor page.
    let person = app.signed_in("demo-person").await;
    assert_eq!(app.get(&person, "/account/two-factor").await.0, StatusCode::FORBIDDEN);

    // The organisation requires it: staff without it set it up before anything else.
    let admin = app.signed_in("demo-admin").await;
    let (_, admin_page) = app.get(&admin, "/admin").await;
    let org = admin_page.split("/admin/organisations/").nth(1).and_then(|s| s.get(..36)).expect("org id").to_string();
    let r = app
        .post_form(&admin, "/admin", &format!("/admin/organisations/{org}/two-factor"), &[("required", "yes")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let clinician = app.signed_in("demo-clinician").await;
    let r = clinician.get(app.url("/caseload")).send().await.expect("get");
    assert_eq!(r.headers()["location"], "/account/two-factor", "set it up first");
    let (status, page) = app.get(&clinician, "/account/two-factor").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Needed before you carry on"));
    // Required: it cannot be turned off.
    let r =
        app.post_form(&fresh, "/account/two-factor", "/account/two-factor/off", &[("code", &code(&secret, 60))]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The administrator is staff too: they set it up before carrying on.
    let r = admin.get(app.url("/admin")).send().await.expect("get");
    assert_eq!(r.headers()["location"], "/account/two-factor");
    let admin_secret = secret_on(&app.get(&admin, "/account/two-factor").await.1);
    let r =
        app.post_form(&admin, "/account/two-factor", "/account/two-factor", &[("code", &code(&admin_secret, 0))]).await;
    assert_eq!(r.status(), StatusCode::OK);

    // A lost phone: the administrator resets it, and the key worker must set it up again.
    let (_, admin_page) = app.get(&admin, "/admin").await;
    let row = &admin_page[admin_page.find(">demo-keyworker<").expect("the key worker's row")..];
    let row = &row[..row.find("</tr>").expect("end of row")];
    let reset = row
        .split("action=\"/admin/users/")
        .find(|s| s.contains("/two-factor/reset"))
        .and_then(|s| s.get(..36))
        .expect("a reset button")
        .to_string();
    let r = app.post_form(&admin, "/admin", &format!("/admin/users/{reset}/two-factor/reset"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let again = app.client();
    let r = app.sign_in(&again, "demo-keyworker", DEMO_PASSWORD).await;
    assert_eq!(r.headers()["location"], "/", "no code asked: it was reset");
    let r = again.get(app.url("/caseload")).send().await.expect("get");
    assert_eq!(r.headers()["location"], "/account/two-factor", "and must be set up again");
}
