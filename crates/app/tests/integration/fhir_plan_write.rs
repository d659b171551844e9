//! Writing the care plan's parts through FHIR on the backend under test: a POSTed part starts
//! the next draft from the plan in force, a PUT changes the draft only from the version the
//! client read, an agreed version never changes, and the pages show what was written.

use crate::common::TestApp;
use crate::fhir_case::{aisha, entries, get, send, token_for};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn expression(outcome: &Value) -> Option<&str> {
    outcome["issue"][0]["expression"][0].as_str()
}

/// The one CarePlan a search finds.
async fn only(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, found) = get(app, token, &format!("/fhir/CarePlan?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let hits = entries(&found, "match");
    assert_eq!(hits.len(), 1, "{query}: {found}");
    hits[0].clone()
}

/// A part as read, ready to be sent back: a draft, without the server's own bookkeeping.
fn as_sent(part: &Value) -> Value {
    let mut sent = part.clone();
    sent["status"] = "draft".into();
    sent
}

#[tokio::test]
async fn plan_parts_written_through_fhir_start_a_draft_and_change_only_from_its_version() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let person = aisha(&app, &kw).await;
    let in_force = |part: &str| format!("patient={person}&status=active&category={part}");
    let drafts = |part: &str| format!("patient={person}&status=draft&category={part}");

    // POST the management plan in force with one more thing Aisha does for herself: the next
    // draft starts from the plan in force, with that part as sent.
    let management = only(&app, &kw, &in_force("management")).await;
    let mut body = as_sent(&management);
    body.as_object_mut().expect("object").remove("id");
    body["activity"]
        .as_array_mut()
        .expect("activities")
        .push(json!({ "detail": { "status": "in-progress", "description": "Self-management: Walk to the shop each morning" } }));
    let (status, etag, written) = send(&app, &kw, Method::POST, "/fhir/CarePlan", Some(&body), None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::CREATED, Some("W/\"1\"")), "{written}");
    assert_eq!(written["status"], "draft");
    let draft_id = written["id"].as_str().expect("id").trim_end_matches("-management").to_string();
    assert_ne!(written["id"], management["id"], "a new plan version, not the one in force");
    // The plan in force says what it said, and is now under review.
    let under_review = only(&app, &kw, &in_force("management")).await;
    assert_eq!(under_review["activity"], management["activity"]);
    assert_eq!(under_review["extension"][0]["valueCode"], "under-review");
    let escalation_now = only(&app, &kw, &in_force("escalation")).await;
    let draft_escalation = only(&app, &kw, &drafts("escalation")).await;
    assert_eq!(draft_escalation["id"], format!("{draft_id}-escalation"));
    assert_eq!(draft_escalation["note"], escalation_now["note"], "the other parts came from the plan in force");
    let staff = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&staff, &format!("/people/{person}/plan/management")).await;
    assert!(page.contains("Walk to the shop each morning"), "the management plan page shows the draft");

    // A second POST while the draft exists writes nothing and says where the draft is.
    let (status, _, outcome) = send(&app, &kw, Method::POST, "/fhir/CarePlan", Some(&body), None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(outcome["issue"][0]["diagnostics"].as_str().unwrap_or("").contains(&draft_id), "{outcome}");

    // PUT the draft's escalation plan from its version; the same change from that version again
    // is stale and writes nothing.
    let path = format!("/fhir/CarePlan/{draft_id}-escalation");
    let mut escalation = as_sent(&draft_escalation);
    escalation["note"]
        .as_array_mut()
        .expect("notes")
        .push(json!({ "text": "Warning sign: Leaves her meals untouched" }));
    let (status, etag, changed) = send(&app, &kw, Method::PUT, &path, Some(&escalation), Some("W/\"1\"")).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("W/\"2\"")), "{changed}");
    let mut late = as_sent(&draft_escalation);
    late["note"].as_array_mut().expect("notes").push(json!({ "text": "Warning sign: Written from an old version" }));
    let (status, _, outcome) = send(&app, &kw, Method::PUT, &path, Some(&late), Some("W/\"1\"")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{outcome}");
    let (_, now) = get(&app, &kw, &path).await;
    assert_eq!(now, changed, "the stale write left the draft as the first change made it");
    let (_, page) = app.get(&staff, &format!("/people/{person}/plan/escalation")).await;
    assert!(page.contains("Leaves her meals untouched") && !page.contains("Written from an old version"));
    let (status, _, _) = send(&app, &kw, Method::PUT, &path, Some(&escalation), None).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED, "an update needs If-Match");

    // The plan in her own words: the goals in a new order, and a step taken off the first.
    let plan_path = format!("/fhir/CarePlan/{draft_id}");
    let (_, own_words) = get(&app, &kw, &plan_path).await;
    let mut reordered = as_sent(&own_words);
    let goals: Vec<Value> = own_words["goal"].as_array().expect("goals").clone();
    assert!(goals.len() >= 2, "the demo plan has goals to reorder");
    reordered["goal"] = Value::Array(goals.iter().rev().cloned().collect());
    let steps = own_words["activity"].as_array().expect("steps").clone();
    reordered["activity"] = Value::Array(steps[1..].to_vec());
    let (status, etag, changed) = send(&app, &kw, Method::PUT, &plan_path, Some(&reordered), Some("W/\"2\"")).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("W/\"3\"")), "{changed}");
    let order = |p: &Value| -> Vec<Value> {
        p["goal"].as_array().expect("goals").iter().map(|g| g["reference"].clone()).collect()
    };
    assert_eq!(order(&changed), order(&reordered));
    assert_eq!(changed["activity"].as_array().map(Vec::len), Some(steps.len() - 1));
    let (_, page) = app.get(&staff, &format!("/people/{person}/plan")).await;
    let first = goals.last().and_then(|g| g["display"].as_str()).expect("display");
    let second = goals[0]["display"].as_str().expect("display");
    let (a, b) = (page.find(first).expect("first goal shown"), page.find(second).expect("second goal shown"));
    assert!(a < b, "the plan page lists the goals in the new order");

    // Refused, each named, with nothing written: a goal left out, a goal that is not the plan's,
    // a plan put into force, another part's body, the agreed version, and an outsider.
    let mut missing = as_sent(&changed);
    missing["goal"] = Value::Array(changed["goal"].as_array().expect("goals")[1..].to_vec());
    missing["activity"] = json!([]);
    let (status, _, outcome) = send(&app, &kw, Method::PUT, &plan_path, Some(&missing), Some("W/\"3\"")).await;
    assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some("CarePlan.goal")));
    let mut stranger = as_sent(&changed);
    stranger["goal"][0]["reference"] = format!("Goal/{}", uuid::Uuid::now_v7()).into();
    let (status, _, outcome) = send(&app, &kw, Method::PUT, &plan_path, Some(&stranger), Some("W/\"3\"")).await;
    assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some("CarePlan.goal[0]")));
    let mut active = as_sent(&changed);
    active["status"] = "active".into();
    let (status, _, outcome) = send(&app, &kw, Method::PUT, &plan_path, Some(&active), Some("W/\"3\"")).await;
    assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some("CarePlan.status")));
    let mut other_part = as_sent(&written);
    other_part["id"] = draft_id.clone().into();
    let (status, _, outcome) = send(&app, &kw, Method::PUT, &plan_path, Some(&other_part), Some("W/\"3\"")).await;
    assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some("CarePlan.category")));
    let mut unknown_duty = as_sent(&written);
    unknown_duty["id"] = format!("{draft_id}-management").into();
    unknown_duty["activity"] = json!([{ "detail": { "status": "in-progress", "description": "Lifts",
        "performer": [{ "reference": format!("RelatedPerson/{}", uuid::Uuid::now_v7()) }] } }]);
    let (status, _, outcome) = send(
        &app,
        &kw,
        Method::PUT,
        &format!("/fhir/CarePlan/{draft_id}-management"),
        Some(&unknown_duty),
        Some("W/\"3\""),
    )
    .await;
    assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some("CarePlan.activity")));
    let agreed = as_sent(&management);
    let (status, _, _) = send(
        &app,
        &kw,
        Method::PUT,
        &format!("/fhir/CarePlan/{}", management["id"].as_str().expect("id")),
        Some(&agreed),
        Some(&format!("W/\"{}\"", management["meta"]["versionId"].as_str().expect("version"))),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "an agreed version never changes");
    assert_eq!(only(&app, &kw, &in_force("management")).await, under_review);
    let (_, now) = get(&app, &kw, &plan_path).await;
    assert_eq!(now, changed, "none of the refused writes changed the draft");

    let outsider = token_for(&app, "demo-clinician").await;
    let (status, _, outcome) = send(&app, &outsider, Method::POST, "/fhir/CarePlan", Some(&body), None).await;
    assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some("CarePlan.subject")));
    assert_eq!(
        send(&app, &outsider, Method::PUT, &plan_path, Some(&as_sent(&changed)), Some("W/\"3\"")).await.0,
        StatusCode::NOT_FOUND,
        "an outsider learns nothing of the draft"
    );
    let supporter = token_for(&app, "demo-supporter").await;
    assert_ne!(
        send(&app, &supporter, Method::PUT, &plan_path, Some(&as_sent(&changed)), Some("W/\"3\"")).await.0,
        StatusCode::OK
    );

    // The draft's escalation plan cleared: only from the version read, then its CarePlan is gone
    // from the draft; the plan in force keeps its own.
    let escalation_path = format!("/fhir/CarePlan/{draft_id}-escalation");
    assert_eq!(
        send(&app, &kw, Method::DELETE, &escalation_path, None, Some("W/\"2\"")).await.0,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        send(&app, &kw, Method::DELETE, &escalation_path, None, None).await.0,
        StatusCode::PRECONDITION_REQUIRED
    );
    assert_eq!(
        send(&app, &outsider, Method::DELETE, &escalation_path, None, Some("W/\"3\"")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _, outcome) = send(&app, &kw, Method::DELETE, &plan_path, None, Some("W/\"3\"")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "the plan itself is never deleted: {outcome}");
    let in_force_escalation = format!("/fhir/CarePlan/{}", escalation_now["id"].as_str().expect("id"));
    let (status, _, _) = send(&app, &kw, Method::DELETE, &in_force_escalation, None, Some("W/\"1\"")).await;
    assert_eq!(status, StatusCode::CONFLICT, "an agreed version never changes");
    assert_eq!(
        send(&app, &kw, Method::DELETE, &escalation_path, None, Some("W/\"3\"")).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(get(&app, &kw, &escalation_path).await.0, StatusCode::NOT_FOUND);
    let (_, found) = get(&app, &kw, &format!("/fhir/CarePlan?{}", drafts("escalation"))).await;
    assert_eq!(found["total"], 0, "{found}");
    assert_eq!(only(&app, &kw, &in_force("escalation")).await["note"], escalation_now["note"]);
    let (status, etag, _) = send(&app, &kw, Method::GET, &plan_path, None, None).await;
    assert_eq!(
        (status, etag.as_deref()),
        (StatusCode::OK, Some("W/\"4\"")),
        "clearing it made a new version of the draft"
    );
    assert_eq!(send(&app, &kw, Method::DELETE, &escalation_path, None, Some("W/\"4\"")).await.0, StatusCode::NOT_FOUND);
}
