//! The case resources over FHIR on the backend under test: CarePlan (three linked parts per plan
//! version), Goal (with its history across plan versions), CareTeam and Task, read and searched
//! through the same policy as the pages, for staff, a supporter and someone with no relationship.

use crate::common::TestApp;
use carethread::auth::token;
use carethread_domain::PersonId;
use carethread_domain::circle::{Involvement, MemberDetails, Source};
use carethread_domain::plan::consent::{ConsentDetails, ConsentGiven, Section, ShareScope, ShareWith};
use carethread_store::{AuditContext, accounts, people, plans, themes};
use reqwest::{Client, StatusCode};
use serde_json::Value;

pub(crate) async fn token_for(app: &TestApp, username: &str) -> String {
    let user = accounts::user_by_username(&app.db, username).await.expect("ran").expect("user");
    let secret = format!("ct_{}", token::random_secret());
    accounts::create_api_token(&app.db, &AuditContext::command_line("test"), &user, &token::hash(&secret))
        .await
        .expect("token");
    secret
}

pub(crate) async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let r = Client::new().get(app.url(path)).bearer_auth(token).send().await.expect("get");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

/// POSTs a FHIR JSON body; the status and the JSON answered.
pub(crate) async fn post(app: &TestApp, token: String, path: &str, body: Value) -> (StatusCode, Value) {
    let r = Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .expect("post");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

/// Sends a FHIR request with an optional body and If-Match: the status, the ETag and the JSON
/// answered (null when there is none, as after a delete).
pub(crate) async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
    if_match: Option<&str>,
) -> (StatusCode, Option<String>, Value) {
    let mut r = Client::new().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        r = r.header("content-type", "application/fhir+json").body(body.to_string());
    }
    if let Some(etag) = if_match {
        r = r.header("if-match", etag);
    }
    let r = r.send().await.expect("send");
    let status = r.status();
    let etag = r.headers().get("etag").map(|e| e.to_str().unwrap_or("").to_string());
    let text = r.text().await.expect("body");
    (status, etag, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("json") })
}

pub(crate) fn entries<'a>(bundle: &'a Value, mode: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["search"]["mode"] == mode)
        .map(|e| &e["resource"])
        .collect()
}

/// The demo person whose plan has an active and a superseded version, and tasks.
pub(crate) async fn aisha(app: &TestApp, token: &str) -> String {
    let (_, found) = get(app, token, "/fhir/Patient?name=aisha").await;
    found["entry"][0]["resource"]["id"].as_str().expect("Aisha is in the demo").to_string()
}

#[tokio::test]
async fn staff_read_every_version_of_the_plan_its_goals_circle_and_tasks() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;

    let (status, all) = get(&app, &kw, &format!("/fhir/CarePlan?subject=Patient/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let plans = entries(&all, "match");
    let summary: Vec<(String, String)> = plans
        .iter()
        .map(|p| {
            (
                p["status"].as_str().unwrap_or("").to_string(),
                p["category"][0]["coding"][0]["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for status in ["active", "revoked"] {
        for part in ["care-and-support", "management", "escalation"] {
            assert!(summary.contains(&(status.into(), part.into())), "{status} {part} missing from {summary:?}");
        }
    }
    let active = plans
        .iter()
        .find(|p| p["status"] == "active" && p["category"][0]["coding"][0]["code"] == "care-and-support")
        .expect("the plan in force");
    let old = plans
        .iter()
        .find(|p| p["status"] == "revoked" && p["category"][0]["coding"][0]["code"] == "care-and-support")
        .expect("the replaced plan");
    assert_eq!(active["replaces"][0]["reference"], format!("CarePlan/{}", old["id"].as_str().expect("id")));
    let management = plans
        .iter()
        .find(|p| p["status"] == "active" && p["category"][0]["coding"][0]["code"] == "management")
        .expect("management plan");
    assert_eq!(management["partOf"][0]["reference"], format!("CarePlan/{}", active["id"].as_str().expect("id")));

    // Read by id, with the ETag of its version; a version it never had is not found.
    let plan_id = active["id"].as_str().expect("id");
    let r =
        Client::new().get(app.url(&format!("/fhir/CarePlan/{plan_id}"))).bearer_auth(&kw).send().await.expect("read");
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    assert_eq!(etag, format!("W/\"{}\"", active["meta"]["versionId"].as_str().expect("version")));
    assert_eq!(get(&app, &kw, &format!("/fhir/CarePlan/{plan_id}/_history/999")).await.0, StatusCode::NOT_FOUND);

    // Only the plan in force, with its goals and circle included.
    let (_, in_force) = get(
        &app,
        &kw,
        &format!("/fhir/CarePlan?patient={id}&status=active&category=care-and-support&_include=CarePlan:goal&_include=CarePlan:care-team"),
    )
    .await;
    assert_eq!(in_force["total"], 1);
    let included = entries(&in_force, "include");
    let goal_refs: Vec<&str> =
        active["goal"].as_array().expect("goals").iter().filter_map(|g| g["reference"].as_str()).collect();
    let goals: Vec<&&Value> = included.iter().filter(|r| r["resourceType"] == "Goal").collect();
    assert_eq!(goals.len(), goal_refs.len());
    assert!(goals.iter().all(|g| goal_refs.contains(&format!("Goal/{}", g["id"].as_str().unwrap_or("")).as_str())));
    let team = included.iter().find(|r| r["resourceType"] == "CareTeam").expect("the circle");
    assert_eq!(team["id"], id.as_str());
    assert!(team["participant"].as_array().expect("members").iter().any(|p| p["role"][0]["text"] == "Key worker"));

    // A goal that is in both versions has a history of two, newest first.
    let (_, goals_now) = get(&app, &kw, &format!("/fhir/Goal?patient={id}")).await;
    let goal = entries(&goals_now, "match")[0];
    let goal_id = goal["id"].as_str().expect("id");
    assert_eq!(goal["subject"]["reference"], format!("Patient/{id}"));
    let (_, history) = get(&app, &kw, &format!("/fhir/Goal/{goal_id}/_history")).await;
    assert_eq!(history["type"], "history");
    let versions: Vec<&str> = history["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["resource"]["meta"]["versionId"].as_str())
        .collect();
    assert_eq!(versions, ["2", "1"], "the goal as plan versions 2 and 1 state it");
    let (status, first) = get(&app, &kw, &format!("/fhir/Goal/{goal_id}/_history/1")).await;
    assert_eq!((status, first["meta"]["versionId"].as_str()), (StatusCode::OK, Some("1")));

    // Tasks: by patient, and by owner and status.
    let (_, tasks) = get(&app, &kw, &format!("/fhir/Task?patient=Patient/{id}")).await;
    let all_tasks = entries(&tasks, "match");
    assert!(!all_tasks.is_empty());
    let owner = all_tasks[0]["owner"]["reference"].as_str().expect("owner").to_string();
    let status = all_tasks[0]["status"].as_str().expect("status").to_string();
    let (_, owned) = get(&app, &kw, &format!("/fhir/Task?owner={owner}&status={status}")).await;
    let expected = all_tasks
        .iter()
        .filter(|t| t["owner"]["reference"] == owner.as_str() && t["status"] == status.as_str())
        .count();
    assert_eq!(owned["total"], expected);
    let task_id = all_tasks[0]["id"].as_str().expect("id");
    let (status, task) = get(&app, &kw, &format!("/fhir/Task/{task_id}")).await;
    assert_eq!((status, &task["for"]["reference"]), (StatusCode::OK, &Value::from(format!("Patient/{id}"))));

    // Bad searches are refused, naming the parameter.
    for (path, param) in [
        ("/fhir/CarePlan?status=finished", "status"),
        ("/fhir/CarePlan?_include=CarePlan:subject", "_include"),
        ("/fhir/Task?owner=Group/1", "owner"),
        ("/fhir/Goal?code=x", "code"),
    ] {
        let (status, outcome) = get(&app, &kw, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(outcome["issue"][0]["expression"][0], param, "{path}");
    }
}

#[tokio::test]
async fn a_task_search_across_the_caseload_pages_in_order_and_audits_only_the_people_on_the_page() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let task_ids = |bundle: &Value| -> Vec<String> {
        entries(bundle, "match").iter().map(|t| t["id"].as_str().expect("id").to_string()).collect()
    };
    // Give a second person on the caseload two tasks of their own.
    let (_, found) = get(&app, &kw, "/fhir/Patient?name=jordan").await;
    let jordan = found["entry"][0]["resource"]["id"].as_str().expect("Jordan is in the demo").to_string();
    let due = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    for description in ["Ring about the club", "Book the annual health check"] {
        let task = serde_json::json!({"resourceType": "Task", "status": "requested", "intent": "plan",
            "description": description, "for": {"reference": format!("Patient/{jordan}")},
            "owner": {"reference": format!("Patient/{jordan}")}, "restriction": {"period": {"end": due}}});
        let (status, body) = post(&app, kw.clone(), "/fhir/Task", task).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, all) = get(&app, &kw, "/fhir/Task?_count=1000").await;
    let ids = task_ids(&all);
    let mut people: Vec<&str> = entries(&all, "match").iter().filter_map(|t| t["for"]["reference"].as_str()).collect();
    people.sort();
    people.dedup();
    assert!(ids.len() >= 3 && people.len() >= 2, "the demo caseload has tasks for several people");
    assert_eq!(all["total"], ids.len());

    // One page of one task reads, and so audits, that task's person only. The search stopped
    // at that page, so it gives no total unless asked for one, and links to the next page.
    let (_, first) = get(&app, &kw, "/fhir/Task?_count=1").await;
    assert_eq!((task_ids(&first), first.get("total")), (vec![ids[0].clone()], None), "{first}");
    assert!(first["link"].as_array().expect("links").iter().any(|l| l["relation"] == "next"), "{first}");
    let (_, counted) = get(&app, &kw, "/fhir/Task?_count=1&_total=accurate").await;
    assert_eq!((task_ids(&counted), &counted["total"]), (vec![ids[0].clone()], &Value::from(ids.len())));
    for only_total in ["/fhir/Task?_count=0", "/fhir/Task?_summary=count"] {
        let (_, counted) = get(&app, &kw, only_total).await;
        assert_eq!((task_ids(&counted).len(), &counted["total"]), (0, &Value::from(ids.len())), "{only_total}");
    }
    let (status, bad) = get(&app, &kw, "/fhir/Task?_total=exact").await;
    assert_eq!((status, &bad["issue"][0]["expression"][0]), (StatusCode::BAD_REQUEST, &Value::from("_total")));
    let shown = entries(&first, "match")[0]["for"]["reference"].as_str().expect("for").to_string();
    let filter = carethread_store::audit::AuditFilter { username: Some("demo-keyworker".into()), ..Default::default() };
    let (log, _) = carethread_store::audit::browse(&app.db, &AuditContext::command_line("test"), &filter, 0)
        .await
        .expect("audit log");
    let task_reads: Vec<String> = log
        .iter()
        .filter(|e| e.detail == "read tasks through an API search")
        .map(|e| format!("Patient/{}", e.person_id.expect("a person")))
        .collect();
    // The first search (of everything) read every person's tasks; the paged ones only the first.
    assert_eq!(task_reads.len(), people.len() + 2, "{task_reads:?}");
    assert_eq!(task_reads[0], shown, "the newest entry is the paged search's");

    // Walking the pages two at a time gives the same tasks in the same order, each once. Each
    // page but the last links to a next one; the last, having seen every match, gives the total.
    for asked in ["/fhir/Task?_count=2", "/fhir/Task?_count=2&_total=accurate"] {
        let mut walked = Vec::new();
        let mut next = Some(asked.to_string());
        while let Some(path) = next.take() {
            let (status, page) = get(&app, &kw, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            walked.extend(task_ids(&page));
            next = page["link"].as_array().expect("links").iter().find(|l| l["relation"] == "next").map(|l| {
                let url = l["url"].as_str().expect("url");
                url[url.find("/fhir/").expect("a FHIR address")..].to_string()
            });
            let counted = next.is_none() || asked.contains("_total");
            let total = if counted { Some(&Value::from(ids.len())) } else { None };
            assert_eq!(page.get("total"), total, "{path}");
        }
        assert_eq!(walked, ids, "{asked}");
    }
}

#[tokio::test]
async fn a_supporter_sees_only_the_shared_part_of_the_plan_in_force_and_outsiders_nothing() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let person: PersonId = id.parse().expect("id");
    let (_, all) = get(&app, &kw, &format!("/fhir/CarePlan?subject=Patient/{id}")).await;
    let all = entries(&all, "match").into_iter().cloned().collect::<Vec<Value>>();

    // Lorna becomes part of Aisha's circle, and Aisha shares her escalation plan with her.
    let record = people::read(&app.db, &AuditContext::command_line("test"), person, "test").await.expect("person");
    let ctx = AuditContext { org_id: Some(record.org_id), ..AuditContext::command_line("test") };
    let member = MemberDetails {
        name: "Lorna".into(),
        relationship: "Neighbour".into(),
        organisation: None,
        contact: None,
        source: Source::PersonalNetwork,
        involvement: Involvement::Regular,
        brings: None,
    };
    let member_id = themes::add_member(&app.db, &ctx, person, &member, Some("demo-supporter")).await.expect("member");
    let lorna = token_for(&app, "demo-supporter").await;
    let (_, before) = get(&app, &lorna, &format!("/fhir/CarePlan?subject=Patient/{id}")).await;
    assert_eq!(before["total"], 0, "being in the circle shares nothing by itself");
    let consent = ConsentDetails {
        with: ShareWith::Member { id: member_id, name: "Lorna (Neighbour)".into() },
        scope: ShareScope::Sections(vec![Section::Escalation]),
        purpose: "So Lorna can help in a crisis".into(),
        from: carethread_store::now().date_naive(),
        until: None,
        given: ConsentGiven::Verbal,
    };
    plans::add_consent(&app.db, &ctx, person, &consent).await.expect("consent");

    let (_, shared) = get(&app, &lorna, &format!("/fhir/CarePlan?subject=Patient/{id}")).await;
    let shared = entries(&shared, "match");
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!(shared[0]["category"][0]["coding"][0]["code"], "escalation");
    assert_eq!(shared[0]["status"], "active", "only the plan people follow now");
    let main = all
        .iter()
        .find(|p| p["status"] == "active" && p["category"][0]["coding"][0]["code"] == "care-and-support")
        .expect("plan");
    let old_escalation = all
        .iter()
        .find(|p| p["status"] == "revoked" && p["category"][0]["coding"][0]["code"] == "escalation")
        .expect("old");
    for path in [
        format!("/fhir/CarePlan/{}", main["id"].as_str().expect("id")),
        format!("/fhir/CarePlan/{}", old_escalation["id"].as_str().expect("id")),
        format!("/fhir/CareTeam/{id}"),
        format!("/fhir/Goal/{}", main["goal"][0]["reference"].as_str().expect("goal").trim_start_matches("Goal/")),
    ] {
        assert_eq!(get(&app, &lorna, &path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let (_, tasks) = get(&app, &lorna, &format!("/fhir/Task?patient={id}")).await;
    assert_eq!(tasks["total"], 0, "tasks are the whole record, not a shared section");
    // Searched without naming Aisha, her tasks are found (Lorna is in her circle) but the policy
    // turns each away; a page's worth turned away does not end the search early with a wrong answer.
    let (_, tasks) = get(&app, &lorna, "/fhir/Task?_count=1").await;
    assert_eq!((&tasks["total"], tasks.get("entry")), (&Value::from(0), None), "{tasks}");

    // A clinician of another team: nothing, and no hint that anything exists.
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(
        get(&app, &outsider, &format!("/fhir/CarePlan/{}", main["id"].as_str().expect("id"))).await.0,
        StatusCode::NOT_FOUND
    );
    for resource in ["CarePlan", "Goal", "CareTeam", "Task"] {
        let (status, found) = get(&app, &outsider, &format!("/fhir/{resource}?patient={id}")).await;
        assert_eq!((status, &found["total"]), (StatusCode::OK, &Value::from(0)), "{resource}");
    }
}

#[tokio::test]
async fn reviews_are_encounters_and_each_vote_an_observation_recorded_once() {
    use carethread_domain::UserId;
    use carethread_domain::reviews::{Attendance, AttendeeDetails, ReviewDetails, ReviewKind};
    use carethread_store::reviews::{self, Invitee};

    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let person: PersonId = id.parse().expect("id");

    // The two signed-off reviews of the demo, with their votes.
    let (_, encounters) = get(&app, &kw, &format!("/fhir/Encounter?patient={id}&status=finished")).await;
    assert_eq!(encounters["total"], 2, "{encounters}");
    // Sorted by when the review was, either way; votes too.
    let starts = |bundle: &Value| -> Vec<String> {
        entries(bundle, "match").iter().filter_map(|e| e["period"]["start"].as_str().map(str::to_string)).collect()
    };
    let (_, newest) = get(&app, &kw, &format!("/fhir/Encounter?patient={id}&_sort=-date")).await;
    let (_, oldest) = get(&app, &kw, &format!("/fhir/Encounter?patient={id}&_sort=date")).await;
    let mut expected = starts(&oldest);
    assert!(expected.len() >= 2 && expected.windows(2).all(|w| w[0] <= w[1]), "{expected:?}");
    expected.reverse();
    assert_eq!(starts(&newest), expected);
    let (status, outcome) = get(&app, &kw, &format!("/fhir/Condition?patient={id}&_sort=date")).await;
    assert_eq!((status, outcome["issue"][0]["expression"][0].as_str()), (StatusCode::BAD_REQUEST, Some("_sort")));
    let review = entries(&encounters, "match")[0];
    let review_id = review["id"].as_str().expect("id");
    let (_, votes) = get(&app, &kw, &format!("/fhir/Observation?encounter=Encounter/{review_id}")).await;
    let votes = entries(&votes, "match");
    let attendees = review["participant"].as_array().expect("attendees").len();
    assert_eq!(votes.len(), attendees * 6, "one vote per attendee per theme");
    assert!(
        votes.iter().all(|v| v["status"] == "final" && v["encounter"]["reference"] == format!("Encounter/{review_id}"))
    );
    let (_, safe) = get(&app, &kw, &format!("/fhir/Observation?encounter={review_id}&code=keeping-safe")).await;
    assert_eq!(safe["total"], attendees);
    let vote_id = votes[0]["id"].as_str().expect("id");
    assert_eq!(get(&app, &kw, &format!("/fhir/Observation/{vote_id}")).await.1["id"], vote_id);

    // An open review with the person, their keyworker and a member of the circle present.
    let ctx = AuditContext::command_line("test");
    let record = people::read(&app.db, &ctx, person, "test").await.expect("person");
    let ctx = AuditContext { org_id: Some(record.org_id), ..ctx };
    let keyworker = accounts::user_by_username(&app.db, "demo-keyworker").await.expect("ran").expect("kw");
    let member = themes::members(&app.db, &ctx, person).await.expect("members")[0].id;
    let invitee =
        |name: &str, role: &str, is_person: bool, member_id: Option<uuid::Uuid>, account: Option<UserId>| Invitee {
            details: AttendeeDetails { name: name.into(), role: role.into(), is_person },
            member_id,
            account_id: account,
        };
    let details = ReviewDetails {
        kind: ReviewKind::Conversation,
        at: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("date").and_hms_opt(10, 30, 0).expect("time"),
        place: "The community centre".into(),
        chair: "Sam".into(),
    };
    let open = reviews::schedule(
        &app.db,
        &ctx,
        person,
        &details,
        &[
            invitee("Aisha", "The person", true, None, None),
            invitee("Sam", "Key worker", false, None, Some(keyworker.user_id())),
            invitee("Friend", "Circle", false, Some(member), None),
        ],
    )
    .await
    .expect("scheduled");
    let r = reviews::review(&app.db, &ctx, person, open).await.expect("review");
    let marks: Vec<_> = r.attendees.iter().map(|a| (a.id, Attendance::Present)).collect();
    reviews::set_attendance(&app.db, &ctx, person, open, &marks).await.expect("present");
    let (_, encounter) = get(&app, &kw, &format!("/fhir/Encounter/{open}")).await;
    assert_eq!(encounter["status"], "planned");
    assert_eq!(encounter["period"]["start"], "2026-12-01T10:30:00Z", "10:30 in London in winter is 10:30 UTC");

    let vote = |performer: String, theme: &str, vote: &str| {
        serde_json::json!({
            "resourceType": "Observation",
            "status": "preliminary",
            "code": { "coding": [{ "system": "https://carethread.app/fhir/CodeSystem/carethread-themes", "code": theme }] },
            "subject": { "reference": format!("Patient/{id}") },
            "encounter": { "reference": format!("Encounter/{open}") },
            "performer": [{ "reference": performer }],
            "valueCodeableConcept": { "coding": [{ "system": "https://carethread.app/fhir/CodeSystem/carethread-votes", "code": vote }] }
        })
    };
    let post = |token: String, body: Value| post(&app, token, "/fhir/Observation", body);
    let friend = format!("RelatedPerson/{member}");
    let (status, created) = post(kw.clone(), vote(friend.clone(), "joining-in", "progressed")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["valueCodeableConcept"]["coding"][0]["code"], "progressed");
    assert_eq!(created["performer"][0]["reference"], friend.as_str());
    let r = reviews::review(&app.db, &ctx, person, open).await.expect("review");
    assert_eq!(r.votes.len(), 1, "the vote is in the review, as the pages show it");

    // A second vote on the same theme by the same attendee is refused, and nothing changes.
    let (status, outcome) = post(kw.clone(), vote(friend.clone(), "joining-in", "slipped-back")).await;
    assert_eq!((status, outcome["issue"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("duplicate")));
    let r = reviews::review(&app.db, &ctx, person, open).await.expect("review");
    assert_eq!(r.votes[0].vote, carethread_domain::reviews::Vote::Progressed);

    // Bad votes name the element at fault; none is written.
    let stranger = format!("RelatedPerson/{}", uuid::Uuid::now_v7());
    for (body, element) in [
        (vote(stranger, "joining-in", "progressed"), "Observation.performer[0]"),
        (vote(friend.clone(), "housing", "progressed"), "Observation.code.coding"),
        (vote(friend.clone(), "about-me", "better"), "Observation.valueCodeableConcept.coding"),
        (
            {
                let mut b = vote(friend.clone(), "about-me", "progressed");
                b["encounter"]["reference"] = format!("Encounter/{}", uuid::Uuid::now_v7()).into();
                b
            },
            "Observation.encounter",
        ),
        (
            {
                let mut b = vote(friend.clone(), "about-me", "progressed");
                b["shoe"] = 9.into();
                b
            },
            "Observation.shoe",
        ),
    ] {
        let (status, outcome) = post(kw.clone(), body).await;
        assert!(status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST, "{element}: {status}");
        assert_eq!(outcome["issue"][0]["expression"][0], element);
    }
    let r = reviews::review(&app.db, &ctx, person, open).await.expect("review");
    assert_eq!(r.votes.len(), 1, "nothing was written by the refused votes");

    // Someone with no relationship cannot tell the review exists.
    let outsider = token_for(&app, "demo-clinician").await;
    let (status, outcome) = post(outsider.clone(), vote(friend, "about-me", "progressed")).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Observation.encounter"))
    );
    assert_eq!(get(&app, &outsider, &format!("/fhir/Encounter/{open}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, &outsider, &format!("/fhir/Observation/{vote_id}")).await.0, StatusCode::NOT_FOUND);
}

/// Every `reference` in a resource, at any depth.
fn references(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("reference", Some(r)) => {
                        out.insert(r.to_string());
                    }
                    _ => references(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| references(i, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_the_api_writes_can_be_followed() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let mut seen = std::collections::BTreeSet::new();
    for resource in
        ["CarePlan", "Goal", "CareTeam", "Task", "Encounter", "Observation", "RelatedPerson", "Condition", "Consent"]
    {
        let (status, bundle) = get(&app, &kw, &format!("/fhir/{resource}?patient={id}&_count=1000")).await;
        assert_eq!(status, StatusCode::OK, "{resource}: {bundle}");
        assert!(bundle["total"].as_u64().unwrap_or(0) > 0, "Aisha has no {resource}");
        references(&bundle["entry"], &mut seen);
    }
    let kinds: std::collections::BTreeSet<&str> = seen.iter().filter_map(|r| r.split('/').next()).collect();
    for kind in
        ["Patient", "RelatedPerson", "Practitioner", "Organization", "Goal", "CareTeam", "CarePlan", "Encounter"]
    {
        assert!(kinds.contains(kind), "no reference to a {kind} among {kinds:?}");
    }
    for reference in &seen {
        let (status, resource) = get(&app, &kw, &format!("/fhir/{reference}")).await;
        assert_eq!(status, StatusCode::OK, "{reference} cannot be followed: {resource}");
        assert_eq!(Some(resource["resourceType"].as_str().unwrap_or("")), reference.split('/').next());
    }

    // Staff look up their colleagues; the person and their supporters do not.
    let practitioner = seen.iter().find(|r| r.starts_with("Practitioner/")).expect("a practitioner");
    for username in ["demo-person", "demo-supporter", "demo-commissioner"] {
        let token = token_for(&app, username).await;
        assert_eq!(get(&app, &token, &format!("/fhir/{practitioner}")).await.0, StatusCode::FORBIDDEN, "{username}");
    }
}

/// Polls an export until it is done; returns the manifest.
async fn finished_export(app: &TestApp, token: &str, status_url: &str) -> Value {
    for _ in 0..600 {
        let r = Client::new().get(status_url).bearer_auth(token).send().await.expect("poll");
        match r.status() {
            StatusCode::ACCEPTED => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            StatusCode::OK => return r.json().await.expect("manifest"),
            other => panic!("the export answered {other}: {}", r.text().await.unwrap_or_default()),
        }
    }
    let _ = app;
    panic!("the export did not finish in thirty seconds");
}

/// Every line of every file of an export, parsed.
async fn export_lines(token: &str, manifest: &Value) -> Vec<Value> {
    let mut lines = Vec::new();
    for file in manifest["output"].as_array().expect("output") {
        let url = file["url"].as_str().expect("url");
        let r = Client::new().get(url).bearer_auth(token).send().await.expect("file");
        assert_eq!(r.headers()["content-type"], "application/fhir+ndjson");
        let text = r.text().await.expect("text");
        let these: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
        assert_eq!(these.len() as u64, file["count"].as_u64().expect("count"), "{url}");
        assert!(these.iter().all(|r| r["resourceType"] == file["type"]), "{url} mixes types");
        lines.extend(these);
    }
    lines
}

/// An export holds as many people as the caller finds, each once, and every resource of each
/// type that the caller's searches find, each once.
async fn export_matches_searches(app: &TestApp, token: &str, lines: &[Value]) {
    for kind in [
        "Patient",
        "CarePlan",
        "Goal",
        "Task",
        "Encounter",
        "Observation",
        "Composition",
        "QuestionnaireResponse",
        "CareTeam",
        "RelatedPerson",
        "Condition",
        "Consent",
    ] {
        let of_kind: Vec<&Value> = lines.iter().filter(|l| l["resourceType"] == kind).collect();
        let (_, found) = get(app, token, &format!("/fhir/{kind}?_summary=count")).await;
        assert_eq!(of_kind.len() as u64, found["total"].as_u64().expect("total"), "{kind}");
        let ids: std::collections::HashSet<&str> = of_kind.iter().map(|l| l["id"].as_str().expect("id")).collect();
        assert_eq!(ids.len(), of_kind.len(), "a {kind} exported twice");
    }
}

async fn kick_off(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    Client::new()
        .get(app.url(&format!("/fhir/$export{query}")))
        .bearer_auth(token)
        .header("prefer", "respond-async")
        .send()
        .await
        .expect("kick-off")
}

#[tokio::test]
async fn a_bulk_export_holds_what_the_caller_may_read_and_only_they_can_fetch_it() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let r = kick_off(&app, &kw, "").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let status_url = r.headers()["content-location"].to_str().expect("location").to_string();
    let manifest = finished_export(&app, &kw, &status_url).await;
    assert_eq!(manifest["requiresAccessToken"], true);
    let lines = export_lines(&kw, &manifest).await;
    export_matches_searches(&app, &kw, &lines).await;
    // Each exported person's record has a read on the audit log, written before the export was
    // ready to fetch (the records are read in groups, whose entries are written as a group ends).
    let filter = carethread_store::audit::AuditFilter { username: Some("demo-keyworker".into()), ..Default::default() };
    let mut exported = std::collections::BTreeSet::new();
    let mut page = 0;
    loop {
        let (log, more) = carethread_store::audit::browse(&app.db, &AuditContext::command_line("test"), &filter, page)
            .await
            .expect("audit log");
        exported.extend(log.iter().filter(|e| e.detail == "exported through FHIR").filter_map(|e| e.person_id));
        if !more {
            break;
        }
        page += 1;
    }
    let patients: std::collections::BTreeSet<uuid::Uuid> = lines
        .iter()
        .filter(|l| l["resourceType"] == "Patient")
        .map(|l| l["id"].as_str().expect("id").parse().expect("uuid"))
        .collect();
    assert_eq!(exported, patients, "one audited read per exported person");

    // Someone else cannot poll it or fetch its files; the owner deletes it.
    let other = token_for(&app, "demo-clinician").await;
    let r = Client::new().get(&status_url).bearer_auth(&other).send().await.expect("poll");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let file = manifest["output"][0]["url"].as_str().expect("url");
    assert_eq!(Client::new().get(file).bearer_auth(&other).send().await.expect("file").status(), StatusCode::NOT_FOUND);
    let r = Client::new().delete(&status_url).bearer_auth(&kw).send().await.expect("delete");
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        Client::new().get(&status_url).bearer_auth(&kw).send().await.expect("poll").status(),
        StatusCode::NOT_FOUND
    );

    // The person exports their own record and nothing of anyone else's; _type narrows it.
    let me = token_for(&app, "demo-person").await;
    let r = kick_off(&app, &me, "?_type=Patient,Task").await;
    let manifest = finished_export(&app, &me, r.headers()["content-location"].to_str().expect("location")).await;
    let mine = export_lines(&me, &manifest).await;
    let patients: Vec<&Value> = mine.iter().filter(|l| l["resourceType"] == "Patient").collect();
    assert_eq!(patients.len(), 1, "only their own record");
    assert!(mine.iter().all(|l| matches!(l["resourceType"].as_str(), Some("Patient" | "Task"))));

    // Commissioners see figures only; bad parameters are named.
    let commissioner = token_for(&app, "demo-commissioner").await;
    assert_eq!(kick_off(&app, &commissioner, "").await.status(), StatusCode::FORBIDDEN);
    for (query, param) in
        [("?_type=Medication", "_type"), ("?_outputFormat=csv", "_outputFormat"), ("?_since=2026-01-01", "_since")]
    {
        let r = kick_off(&app, &kw, query).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        let outcome: Value = r.json().await.expect("json");
        assert_eq!(outcome["issue"][0]["expression"][0], param);
    }
}

#[tokio::test]
async fn an_export_of_hundreds_of_people_read_group_by_group_holds_each_record_once() {
    let app = TestApp::spawn().await;
    // 8 teams of 350 cases: the team's key worker reaches more people than the export reads at
    // once (groups of 100, three at a time), so groups start as others finish.
    carethread::generate::run(&app.db, 2_800, 2_800, 41).await.expect("generate");
    let kw = token_for(&app, "synthetic-41-kw-1").await;
    let r = kick_off(&app, &kw, "").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let manifest = finished_export(&app, &kw, r.headers()["content-location"].to_str().expect("location")).await;
    let lines = export_lines(&kw, &manifest).await;
    let people = lines.iter().filter(|l| l["resourceType"] == "Patient").count();
    assert!(people > 300, "only {people} people in reach");
    export_matches_searches(&app, &kw, &lines).await;
}

#[tokio::test]
async fn a_task_written_through_fhir_is_the_task_on_the_page_and_changes_only_from_its_version() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let keyworker = accounts::user_by_username(&app.db, "demo-keyworker").await.expect("ran").expect("kw");
    let send = |method: reqwest::Method, path: String, body: Value, if_match: Option<String>| {
        let (app, kw) = (&app, kw.clone());
        async move { send(app, &kw, method, &path, Some(&body), if_match.as_deref()).await }
    };
    let task = |title: &str, status: &str| {
        serde_json::json!({
            "resourceType": "Task",
            "status": status,
            "intent": "plan",
            "description": title,
            "for": { "reference": format!("Patient/{id}") },
            "owner": { "reference": format!("Practitioner/{}", keyworker.id) },
            "restriction": { "period": { "end": "2026-12-15" } },
            "reasonCode": { "coding": [{ "system": "https://carethread.app/fhir/CodeSystem/carethread-themes", "code": "joining-in" }] }
        })
    };
    let (status, etag, created) = send(
        reqwest::Method::POST,
        "/fhir/Task".into(),
        task("Ask the library about the Tuesday group", "requested"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(etag.as_deref(), Some("W/\"1\""));
    let task_id = created["id"].as_str().expect("id").to_string();

    // It is on the case's task page, as any task is.
    let client = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&client, &format!("/people/{id}/tasks")).await;
    assert!(page.contains("Ask the library about the Tuesday group"));

    // Blocked, with the reason, from the version read; a stale version writes nothing.
    let mut blocked = task("Ask the library about the Tuesday group", "on-hold");
    blocked["id"] = task_id.clone().into();
    blocked["statusReason"] = serde_json::json!({ "text": "The library is closed for repairs" });
    let (status, _, changed) =
        send(reqwest::Method::PUT, format!("/fhir/Task/{task_id}"), blocked.clone(), Some("W/\"1\"".into())).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        (changed["status"].as_str(), changed["statusReason"]["text"].as_str()),
        (Some("on-hold"), Some("The library is closed for repairs"))
    );
    let (status, _, _) =
        send(reqwest::Method::PUT, format!("/fhir/Task/{task_id}"), blocked.clone(), Some("W/\"1\"".into())).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, _, _) = send(reqwest::Method::PUT, format!("/fhir/Task/{task_id}"), blocked.clone(), None).await;
    assert_eq!(status, StatusCode::PRECONDITION_REQUIRED);
    let (_, page) = app.get(&client, &format!("/people/{id}/tasks")).await;
    assert!(page.contains("The library is closed for repairs"), "the page shows the change");
    // Each version can be read again: the one the write answered with, and the one it replaced,
    // as it was created; the history lists both, newest first.
    let (status, _, current) =
        send(reqwest::Method::GET, format!("/fhir/Task/{task_id}/_history/2"), Value::Null, None).await;
    assert_eq!((status, &current), (StatusCode::OK, &changed));
    let (status, _, first) =
        send(reqwest::Method::GET, format!("/fhir/Task/{task_id}/_history/1"), Value::Null, None).await;
    assert_eq!((status, &first), (StatusCode::OK, &created), "version 1 reads as it was created");
    let (status, _, history) =
        send(reqwest::Method::GET, format!("/fhir/Task/{task_id}/_history"), Value::Null, None).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let kept: Vec<&Value> = history["entry"].as_array().expect("entries").iter().map(|e| &e["resource"]).collect();
    assert_eq!(kept, [&changed, &created]);
    let (status, _, _) =
        send(reqwest::Method::GET, format!("/fhir/Task/{task_id}/_history/3"), Value::Null, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad tasks are refused, naming the element; nothing is written.
    let (_, _, before) =
        send(reqwest::Method::GET, format!("/fhir/Task?patient={id}&_summary=count"), Value::Null, None).await;
    let elsewhere = format!("Practitioner/{}", uuid::Uuid::now_v7());
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut t = task("x", "requested");
    t["owner"]["reference"] = elsewhere.into();
    cases.push((t, "Task.owner"));
    let mut t = task("x", "requested");
    t["restriction"]["period"]["end"] = "15/12/2026".into();
    cases.push((t, "Task.restriction.period.end"));
    let mut t = task("x", "requested");
    t.as_object_mut().expect("object").remove("intent");
    cases.push((t, "Task.intent"));
    cases.push((task("x", "on-hold"), "Task.statusReason.text"));
    cases.push((task("", "requested"), "Task.description"));
    cases.push((task("x", "finished"), "Task.status"));
    let mut t = task("x", "requested");
    t["for"]["reference"] = format!("Patient/{}", uuid::Uuid::now_v7()).into();
    cases.push((t, "Task.for"));
    for (body, element) in cases {
        let (status, _, outcome) = send(reqwest::Method::POST, "/fhir/Task".into(), body, None).await;
        assert!(matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY), "{element}: {status}");
        assert_eq!(outcome["issue"][0]["expression"][0], element, "{outcome}");
    }
    let (_, _, after) =
        send(reqwest::Method::GET, format!("/fhir/Task?patient={id}&_summary=count"), Value::Null, None).await;
    assert_eq!(before["total"], after["total"], "nothing was written");

    // Someone of another team may not write to the record.
    let outsider = token_for(&app, "demo-clinician").await;
    let (status, _) = post(&app, outsider, "/fhir/Task", task("x", "requested")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_person_reads_who_has_looked_at_their_record_as_audit_events() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let me = token_for(&app, "demo-person").await;
    let (_, found) = get(&app, &kw, "/fhir/Patient?name=jordan").await;
    let jordan = found["entry"][0]["resource"]["id"].as_str().expect("Jordan").to_string();
    assert_eq!(get(&app, &kw, &format!("/fhir/Patient/{jordan}")).await.0, StatusCode::OK);
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(get(&app, &outsider, &format!("/fhir/Patient/{jordan}")).await.0, StatusCode::NOT_FOUND);

    let (status, events) = get(&app, &me, &format!("/fhir/AuditEvent?patient={jordan}")).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let events = entries(&events, "match");
    let keyworker = accounts::user_by_username(&app.db, "demo-keyworker").await.expect("ran").expect("kw");
    assert!(
        events.iter().any(|e| e["agent"][0]["who"]["display"] == keyworker.display_name.as_str()
            && e["entity"][0]["description"] == "read the Patient through FHIR"
            && e["outcome"] == "0"),
        "the key worker's read is not among {events:?}"
    );
    assert!(events.iter().any(|e| e["outcome"] == "4"), "the refused look is shown too");

    // Only those who may read the record see its log; the patient must be named.
    let (_, none) = get(&app, &outsider, &format!("/fhir/AuditEvent?patient={jordan}")).await;
    assert_eq!(none["total"], 0);
    let (status, outcome) = get(&app, &me, "/fhir/AuditEvent").await;
    assert_eq!((status, outcome["issue"][0]["expression"][0].as_str()), (StatusCode::BAD_REQUEST, Some("patient")));
}

#[tokio::test]
async fn a_batch_answers_each_entry_as_if_it_were_sent_alone() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let keyworker = accounts::user_by_username(&app.db, "demo-keyworker").await.expect("ran").expect("kw");
    let (_, tasks) = get(&app, &kw, &format!("/fhir/Task?patient={id}")).await;
    let existing = entries(&tasks, "match")[0].clone();
    let task = |owner: String| {
        serde_json::json!({
            "resourceType": "Task", "status": "requested", "intent": "plan", "description": "Batch: post the letter",
            "for": { "reference": format!("Patient/{id}") }, "owner": { "reference": owner },
            "restriction": { "period": { "end": "2026-12-20" } }
        })
    };
    let mut stale = existing.clone();
    stale["description"] = "Changed from an old version".into();
    let batch = serde_json::json!({
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            { "request": { "method": "GET", "url": format!("Patient/{id}") } },
            { "request": { "method": "POST", "url": "Task" }, "resource": task(format!("Practitioner/{}", keyworker.id)) },
            { "request": { "method": "POST", "url": "Task" }, "resource": task(format!("Practitioner/{}", uuid::Uuid::now_v7())) },
            { "request": { "method": "PUT", "url": format!("Task/{}", existing["id"].as_str().expect("id")), "ifMatch": "W/\"999\"" }, "resource": stale },
            { "request": { "method": "GET", "url": format!("Task/{}", uuid::Uuid::now_v7()) } },
            { "request": { "method": "GET", "url": format!("CarePlan?subject=Patient/{id}&status=active") } }
        ]
    });
    let post = |token: String, body: Value| post(&app, token, "/fhir", body);
    let (status, reply) = post(kw.clone(), batch.clone()).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["type"], "batch-response");
    let statuses: Vec<&str> =
        reply["entry"].as_array().expect("entries").iter().filter_map(|e| e["response"]["status"].as_str()).collect();
    assert_eq!(
        statuses,
        ["200 OK", "201 Created", "422 Unprocessable Entity", "412 Precondition Failed", "404 Not Found", "200 OK"]
    );
    assert_eq!(reply["entry"][2]["response"]["outcome"]["issue"][0]["expression"][0], "Task.owner");
    let created = reply["entry"][1]["resource"]["id"].as_str().expect("created");
    assert_eq!(get(&app, &kw, &format!("/fhir/Task/{created}")).await.0, StatusCode::OK);
    let (_, unchanged) = get(&app, &kw, &format!("/fhir/Task/{}", existing["id"].as_str().expect("id"))).await;
    assert_eq!(unchanged["description"], existing["description"], "the stale update wrote nothing");

    // Each entry passes the policy on its own: an outsider's batch reads nothing.
    let outsider = token_for(&app, "demo-clinician").await;
    let (_, theirs) = post(outsider, batch.clone()).await;
    assert_eq!(theirs["entry"][0]["response"]["status"], "404 Not Found");
    assert_eq!(theirs["entry"][5]["resource"]["total"], 0);

    // As a transaction, the same entries fail together: the unknown owner is the first fault
    // met, and the task created before it is undone. Anything but a Bundle is refused.
    let mut transaction = batch.clone();
    transaction["type"] = "transaction".into();
    let (status, outcome) = post(kw.clone(), transaction).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Bundle.entry[2].resource.owner")),
        "{outcome}"
    );
    let (_, after) = get(&app, &kw, &format!("/fhir/Task?patient={id}&_count=100")).await;
    let letters = entries(&after, "match").iter().filter(|t| t["description"] == "Batch: post the letter").count();
    assert_eq!(letters, 1, "only the batch's task, not the transaction's");
    let (status, _) = post(kw.clone(), serde_json::json!({ "resourceType": "Patient" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut bad = batch;
    bad["entry"][0]["request"]["url"] = "/fhir/Patient".into();
    let (status, outcome) = post(kw, bad).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::BAD_REQUEST, Some("Bundle.entry[0].request.url"))
    );
}

#[tokio::test]
async fn a_prompt_sheet_is_a_questionnaire_response_to_the_public_prompt_sheet() {
    use carethread_domain::reviews::{PromptAnswers, PromptSheet, ReviewDetails, ReviewKind};
    use carethread_store::reviews::{self, Invitee};

    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let person: PersonId = id.parse().expect("id");

    // The questions are public: they hold no one's answers.
    let r = Client::new().get(app.url("/fhir/Questionnaire/prompt-sheet")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let questionnaire: Value = r.json().await.expect("json");
    assert_eq!(questionnaire["item"].as_array().expect("items").len(), 8, "six themes, who I want there, who helped");

    let ctx = AuditContext::command_line("test");
    let record = people::read(&app.db, &ctx, person, "test").await.expect("person");
    let ctx = AuditContext { org_id: Some(record.org_id), ..ctx };
    let details = ReviewDetails {
        kind: ReviewKind::Conversation,
        at: chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("date").and_hms_opt(14, 0, 0).expect("time"),
        place: "Home".into(),
        chair: "Sam".into(),
    };
    let me = Invitee {
        details: carethread_domain::reviews::AttendeeDetails {
            name: "Aisha".into(),
            role: "Me".into(),
            is_person: true,
        },
        member_id: None,
        account_id: None,
    };
    let review = reviews::schedule(&app.db, &ctx, person, &details, &[me]).await.expect("scheduled");
    let mut sheet = PromptSheet { who_i_want_there: Some("My brother".into()), ..PromptSheet::default() };
    sheet.themes.insert(
        "joining-in".into(),
        PromptAnswers { going_well: Some("The choir on Thursdays".into()), ..PromptAnswers::default() },
    );
    reviews::save_prompt_sheet(&app.db, &ctx, person, review, 0, &sheet).await.expect("saved");

    let (status, found) = get(&app, &kw, &format!("/fhir/QuestionnaireResponse?encounter=Encounter/{review}")).await;
    assert_eq!(status, StatusCode::OK);
    let answers = entries(&found, "match");
    assert_eq!(answers.len(), 1);
    let r = answers[0];
    assert_eq!(r["questionnaire"], questionnaire["url"]);
    assert_eq!(r["item"][0]["item"][0]["linkId"], "joining-in.going-well");
    assert_eq!(r["item"][0]["item"][0]["answer"][0]["valueString"], "The choir on Thursdays");
    assert_eq!(r["item"][1]["answer"][0]["valueString"], "My brother");
    assert_eq!(get(&app, &kw, &format!("/fhir/QuestionnaireResponse/{review}")).await.1["id"], review.to_string());
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(get(&app, &outsider, &format!("/fhir/QuestionnaireResponse/{review}")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn what_the_record_keeps_cannot_be_deleted_and_the_refusal_says_why() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let (_, tasks) = get(&app, &kw, &format!("/fhir/Task?patient={id}")).await;
    let task = entries(&tasks, "match")[0]["id"].as_str().expect("task").to_string();
    for (path, words) in [
        (format!("/fhir/Task/{task}"), "completed or cancelled"),
        (format!("/fhir/Patient/{id}"), "Close the person's case"),
        (format!("/fhir/CareTeam/{id}"), "DELETE RelatedPerson"),
    ] {
        let (status, _, outcome) = send(&app, &kw, reqwest::Method::DELETE, &path, None, None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
        assert_eq!(outcome["resourceType"], "OperationOutcome", "{path}");
        assert!(outcome["issue"][0]["diagnostics"].as_str().unwrap_or("").contains(words), "{path}: {outcome}");
    }
    let (_, tasks_after) = get(&app, &kw, &format!("/fhir/Task/{task}")).await;
    assert_eq!(tasks_after["id"], task.as_str(), "the task is still there");
}

#[tokio::test]
async fn a_plan_versions_history_holds_each_state_it_passed_through() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let (_, all) = get(&app, &kw, &format!("/fhir/CarePlan?patient={id}&category=care-and-support")).await;
    let replaced =
        entries(&all, "match").into_iter().find(|p| p["status"] == "revoked").expect("the replaced version").clone();
    let plan_id = replaced["id"].as_str().expect("id");
    let (status, history) = get(&app, &kw, &format!("/fhir/CarePlan/{plan_id}/_history")).await;
    assert_eq!((status, &history["type"]), (StatusCode::OK, &Value::from("history")));
    let steps: Vec<(String, String)> = history["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let r = &e["resource"];
            (
                r["meta"]["versionId"].as_str().unwrap_or("").into(),
                r["extension"][0]["valueCode"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    // Newest first: written as a draft, agreed, in force, under review, replaced.
    let expected: Vec<(String, String)> =
        [("5", "superseded"), ("4", "under-review"), ("3", "active"), ("2", "agreed"), ("1", "draft")]
            .iter()
            .map(|(v, s)| (v.to_string(), s.to_string()))
            .collect();
    assert_eq!(steps, expected);
    assert_eq!(history["entry"][0]["resource"], replaced, "the newest state is the CarePlan as read now");
    let (status, first) = get(&app, &kw, &format!("/fhir/CarePlan/{plan_id}/_history/1")).await;
    assert_eq!((status, &first["status"]), (StatusCode::OK, &Value::from("draft")));
    assert!(first.get("period").is_none(), "before agreement there was no period");
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(get(&app, &outsider, &format!("/fhir/CarePlan/{plan_id}/_history")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn goals_written_through_fhir_join_the_draft_and_change_only_from_their_revision() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let (_, found) = get(&app, &kw, "/fhir/Patient?name=jordan").await;
    let jordan = found["entry"][0]["resource"]["id"].as_str().expect("Jordan").to_string();
    let goal = serde_json::json!({
        "resourceType": "Goal",
        "lifecycleStatus": "active",
        "description": { "text": "Cook pasta for my friends" },
        "subject": { "reference": format!("Patient/{jordan}") },
        "category": [{ "coding": [{ "system": "https://carethread.app/fhir/CodeSystem/carethread-themes", "code": "joining-in" }] }],
        "extension": [{ "url": "https://carethread.app/fhir/StructureDefinition/voice", "valueCode": "with-person" }],
        "note": [{ "text": "What matters: Having friends round" }]
    });
    let (status, etag, written) = send(&app, &kw, reqwest::Method::POST, "/fhir/Goal", Some(&goal), None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::CREATED, Some("W/\"1\"")), "{written}");
    let gid = written["id"].as_str().expect("id").to_string();
    let staff = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&staff, &format!("/people/{jordan}/plan")).await;
    assert!(page.contains("Cook pasta for my friends"), "the plan page shows the draft's new goal");

    // Changed from revision 1; a change from revision 1 again is stale and writes nothing.
    let path = format!("/fhir/Goal/{gid}");
    let mut changed = written.clone();
    changed["description"]["text"] = "Cook pasta and a pudding for my friends".into();
    let (status, etag, _) = send(&app, &kw, reqwest::Method::PUT, &path, Some(&changed), Some("W/\"1\"")).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("W/\"2\"")));
    let mut late = written.clone();
    late["description"]["text"] = "Written from an old revision".into();
    let (status, _, _) = send(&app, &kw, reqwest::Method::PUT, &path, Some(&late), Some("W/\"1\"")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (_, history) = get(&app, &kw, &format!("{path}/_history")).await;
    let texts: Vec<&str> = history["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["resource"]["description"]["text"].as_str())
        .collect();
    assert_eq!(texts, ["Cook pasta and a pudding for my friends", "Cook pasta for my friends"]);
    assert_eq!(
        get(&app, &kw, &format!("{path}/_history/1")).await.0,
        StatusCode::OK,
        "every revision can be read again"
    );

    // Changing a goal of a plan in force starts a new draft from it, and the goal keeps its steps.
    let aisha = aisha(&app, &kw).await;
    let (_, in_force) =
        get(&app, &kw, &format!("/fhir/CarePlan?patient={aisha}&status=active&category=care-and-support")).await;
    let plan = entries(&in_force, "match")[0].clone();
    let first = plan["goal"][0]["reference"].as_str().expect("a goal").to_string();
    let steps_of = |plan: &Value| -> Vec<String> {
        plan["activity"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["detail"]["goal"][0]["reference"] == first.as_str())
            .map(|a| a["detail"]["description"].as_str().unwrap_or("").to_string())
            .collect()
    };
    let r = Client::new().get(app.url(&format!("/fhir/{first}"))).bearer_auth(&kw).send().await.expect("read");
    let revision = r.headers()["etag"].to_str().expect("etag").to_string();
    let mut reworded: Value = r.json().await.expect("json");
    reworded["description"]["text"] = "Go to the Saturday café, and stay for the quiz".into();
    let (status, _, _) =
        send(&app, &kw, reqwest::Method::PUT, &format!("/fhir/{first}"), Some(&reworded), Some(&revision)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, drafts) =
        get(&app, &kw, &format!("/fhir/CarePlan?patient={aisha}&status=draft&category=care-and-support")).await;
    let draft = entries(&drafts, "match")[0].clone();
    assert!(!steps_of(&plan).is_empty());
    assert_eq!(steps_of(&draft), steps_of(&plan), "the goal's steps came with it into the new draft");

    // The person writes their own goal: it is in their own words, whatever the body says.
    let person = token_for(&app, "demo-person").await;
    let mut own = goal.clone();
    own["description"]["text"] = "Go to the gig in March".into();
    own["extension"][0]["valueCode"] = "professional".into();
    let (status, _, mine) = send(&app, &person, reqwest::Method::POST, "/fhir/Goal", Some(&own), None).await;
    assert_eq!(status, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["extension"][0]["valueCode"], "own-words");
    assert_eq!(mine["expressedBy"]["reference"], format!("Patient/{jordan}"));

    // Bad bodies are named; an outsider cannot write; a supporter cannot either.
    let mut no_matters = goal.clone();
    no_matters["note"] = serde_json::json!([]);
    let (status, _, outcome) = send(&app, &kw, reqwest::Method::POST, "/fhir/Goal", Some(&no_matters), None).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Goal.note"))
    );
    let outsider = token_for(&app, "demo-clinician").await;
    let (status, _, outcome) = send(&app, &outsider, reqwest::Method::POST, "/fhir/Goal", Some(&goal), None).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Goal.subject"))
    );
    let supporter = token_for(&app, "demo-supporter").await;
    assert_ne!(
        send(&app, &supporter, reqwest::Method::PUT, &path, Some(&changed), Some("W/\"2\"")).await.0,
        StatusCode::OK
    );
}
