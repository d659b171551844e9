//! The organisation's figures over HTTP, on the backend under test: commissioners see counts
//! and outcome distributions with small numbers suppressed, and never a name.

use crate::common::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn commissioners_see_suppressed_counts_and_no_names() {
    let app = TestApp::spawn().await;
    let commissioner = app.signed_in("demo-commissioner").await;
    let r = commissioner.get(app.url("/")).send().await.expect("home");
    assert_eq!(r.headers()["location"], "/insights", "a commissioner starts at the figures");

    let (status, page) = app.get(&commissioner, "/insights").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Open cases, and reviews signed off in the period, by team"));
    // The demo's two signed-off reviews are too few to show as numbers.
    assert!(page.contains("fewer than 5"), "small numbers are suppressed");
    for name in ["Aisha", "Karimi", "Jordy", "Baptiste", "999 000"] {
        assert!(!page.contains(name), "no names or NHS numbers: found {name}");
    }
    assert_eq!(app.get(&commissioner, "/insights?period=5y").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&commissioner, "/insights?team=someone-else").await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.get(&commissioner, "/plans/quality").await.0, StatusCode::FORBIDDEN);

    let kw = app.signed_in("demo-keyworker").await;
    assert_eq!(app.get(&kw, "/insights").await.0, StatusCode::FORBIDDEN, "key workers work with named records");
    let manager = app.signed_in("demo-manager").await;
    assert_eq!(app.get(&manager, "/insights?period=3m&team=all").await.0, StatusCode::OK);
}
