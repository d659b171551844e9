//! Transaction Bundles of changes to a case already here: every entry runs as the request it
//! would be on its own, all inside one database transaction, so the Bundle lands whole or not
//! at all.

use crate::common::TestApp;
use crate::fhir_case::{aisha, entries, get, post, send, token_for};
use carethread_store::audit::{self, AuditFilter};
use carethread_store::{AuditContext, audit_chain};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn transaction(entries: Vec<Value>) -> Value {
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
}

fn condition(person: &str, name: &str) -> Value {
    json!({
        "resourceType": "Condition",
        "code": { "text": name },
        "category": [{ "text": "In plain words" }],
        "subject": { "reference": format!("Patient/{person}") },
        "note": [{ "text": "How it affects daily life: Tired in the afternoons" }]
    })
}

/// The problem areas of a person, by name.
async fn problem_names(app: &TestApp, token: &str, person: &str) -> Vec<String> {
    let (_, found) = get(app, token, &format!("/fhir/Condition?patient={person}&_count=100")).await;
    entries(&found, "match").iter().filter_map(|c| c["code"]["text"].as_str().map(str::to_string)).collect()
}

/// The actions the audit log holds for this person since `from`, by `username`, oldest first.
async fn actions_logged(
    app: &TestApp,
    person: &str,
    username: &str,
    from: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let filter = AuditFilter {
        person_id: Some(person.parse().expect("id")),
        username: Some(username.to_string()),
        from: Some(from),
        until: None,
    };
    let (rows, _) = audit::browse(&app.db, &AuditContext::command_line("test"), &filter, 0).await.expect("browse");
    rows.into_iter().map(|e| e.action).collect()
}

/// How many changes the audit log holds for this person since `from`, by `username`.
async fn changes_logged(app: &TestApp, person: &str, username: &str, from: chrono::DateTime<chrono::Utc>) -> usize {
    actions_logged(app, person, username, from).await.iter().filter(|a| *a == "create" || *a == "update").count()
}

#[tokio::test]
async fn a_transaction_of_changes_lands_whole_or_leaves_the_case_as_it_was() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;

    // Someone to take off the circle, and a task to change.
    let member = json!({
        "resourceType": "RelatedPerson",
        "patient": { "reference": format!("Patient/{id}") },
        "relationship": [{ "coding": [{ "system": "https://carethread.app/fhir/CodeSystem/carethread-circle", "code": "wider-system" }], "text": "Tenancy officer" }],
        "name": [{ "text": "Morag Ellis" }]
    });
    let (status, _, member) = send(&app, &kw, Method::POST, "/fhir/RelatedPerson", Some(&member), None).await;
    assert_eq!(status, StatusCode::CREATED, "{member}");
    let member_id = member["id"].as_str().expect("id").to_string();
    let (_, tasks) = get(&app, &kw, &format!("/fhir/Task?patient={id}&status=requested")).await;
    let task = entries(&tasks, "match")[0].clone();
    let task_id = task["id"].as_str().expect("id").to_string();
    let task_version = format!("W/\"{}\"", task["meta"]["versionId"].as_str().expect("version"));
    let mut task_changed = task.clone();
    task_changed["description"] = json!("Ring the housing office about the damp");

    // A new problem area, a goal that addresses it (by its fullUrl), a task changed from the
    // version read, a member taken off, and a search that runs after them all.
    let started = chrono::Utc::now();
    let goal = json!({
        "resourceType": "Goal",
        "lifecycleStatus": "active",
        "description": { "text": "Sleep through the night" },
        "subject": { "reference": format!("Patient/{id}") },
        "note": [{ "text": "What matters: Having energy for college" }],
        "addresses": [{ "reference": "urn:uuid:0190f0e8-0000-7000-8000-00000000a001" }]
    });
    let whole = transaction(vec![
        json!({ "request": { "method": "GET", "url": format!("Condition?patient={id}&_count=100") } }),
        json!({ "fullUrl": "urn:uuid:0190f0e8-0000-7000-8000-00000000a001", "resource": condition(&id, "Poor sleep"),
                "request": { "method": "POST", "url": "Condition" } }),
        json!({ "resource": goal, "request": { "method": "POST", "url": "Goal" } }),
        json!({ "resource": task_changed, "request": { "method": "PUT", "url": format!("Task/{task_id}"), "ifMatch": task_version } }),
        json!({ "request": { "method": "DELETE", "url": format!("RelatedPerson/{member_id}"), "ifMatch": "W/\"1\"" } }),
    ]);
    let (status, reply) = post(&app, kw.clone(), "/fhir", whole).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["type"], "transaction-response");
    let statuses: Vec<&str> =
        reply["entry"].as_array().expect("entries").iter().filter_map(|e| e["response"]["status"].as_str()).collect();
    assert_eq!(statuses, ["200 OK", "201 Created", "201 Created", "200 OK", "204 No Content"], "in the Bundle's order");
    // The search ran last, inside the transaction, so it finds the problem area created in it.
    let searched: Vec<&str> =
        entries(&reply["entry"][0]["resource"], "match").iter().filter_map(|c| c["code"]["text"].as_str()).collect();
    assert!(searched.contains(&"Poor sleep"), "{searched:?}");
    // The goal addresses the new problem area by its id, not by the Bundle's urn.
    let condition_id = reply["entry"][1]["resource"]["id"].as_str().expect("condition id");
    let goal_id = reply["entry"][2]["resource"]["id"].as_str().expect("goal id");
    let (_, goal) = get(&app, &kw, &format!("/fhir/Goal/{goal_id}")).await;
    assert_eq!(goal["addresses"][0]["reference"].as_str(), Some(format!("Condition/{condition_id}").as_str()));
    // Everything is on the record, as each request alone would have left it.
    assert!(problem_names(&app, &kw, &id).await.contains(&"Poor sleep".to_string()));
    let (_, task_now) = get(&app, &kw, &format!("/fhir/Task/{task_id}")).await;
    assert_eq!(task_now["description"], "Ring the housing office about the damp");
    assert_eq!(get(&app, &kw, &format!("/fhir/RelatedPerson/{member_id}")).await.0, StatusCode::GONE);
    let staff = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&staff, &format!("/people/{id}/themes/problem-toolkits")).await;
    assert!(page.contains("Poor sleep"));
    let logged = changes_logged(&app, &id, "demo-keyworker", started).await;
    assert!(logged >= 4, "each change is audited ({logged})");

    // The same kinds of change, ending in an update from a version no longer current: the
    // answer names that entry, and nothing before it was written, audit entries included.
    let before = chrono::Utc::now();
    let (_, _, sleep) = send(&app, &kw, Method::GET, &format!("/fhir/Condition/{condition_id}"), None, None).await;
    let mut renamed = sleep.clone();
    renamed["code"]["text"] = json!("Broken sleep");
    let mut stale_task = task.clone();
    stale_task["description"] = json!("Written from an old version");
    let failing = transaction(vec![
        json!({ "resource": condition(&id, "Hay fever"), "request": { "method": "POST", "url": "Condition" } }),
        json!({ "resource": renamed, "request": { "method": "PUT", "url": format!("Condition/{condition_id}"), "ifMatch": "W/\"1\"" } }),
        json!({ "resource": stale_task, "request": { "method": "PUT", "url": format!("Task/{task_id}"), "ifMatch": task_version } }),
    ]);
    let (status, outcome) = post(&app, kw.clone(), "/fhir", failing).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{outcome}");
    let said = outcome["issue"][0]["diagnostics"].as_str().unwrap_or("");
    assert!(said.contains(&format!("Entry 2 (PUT Task/{task_id})")) && said.contains("nothing"), "{said}");
    let names = problem_names(&app, &kw, &id).await;
    assert!(names.contains(&"Poor sleep".to_string()), "the rename was undone: {names:?}");
    assert!(!names.contains(&"Hay fever".to_string()) && !names.contains(&"Broken sleep".to_string()), "{names:?}");
    let (_, sleep_now) = get(&app, &kw, &format!("/fhir/Condition/{condition_id}")).await;
    assert_eq!(sleep_now["meta"]["versionId"], "1");
    assert_eq!(changes_logged(&app, &id, "demo-keyworker", before).await, 0, "no audit of undone writes");

    // A reference to a record the Bundle creates only later is refused by element.
    let early_goal = json!({
        "resourceType": "Goal", "lifecycleStatus": "active", "description": { "text": "Walk to the shop" },
        "subject": { "reference": format!("Patient/{id}") }, "note": [{ "text": "What matters: Getting out" }],
        "addresses": [{ "reference": "urn:uuid:0190f0e8-0000-7000-8000-00000000b002" }]
    });
    let backwards = transaction(vec![
        json!({ "resource": early_goal, "request": { "method": "POST", "url": "Goal" } }),
        json!({ "fullUrl": "urn:uuid:0190f0e8-0000-7000-8000-00000000b002", "resource": condition(&id, "Sore knee"),
                "request": { "method": "POST", "url": "Condition" } }),
    ]);
    let (status, outcome) = post(&app, kw.clone(), "/fhir", backwards).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Bundle.entry[0].resource.addresses[0].reference")),
        "{outcome}"
    );
    assert!(!problem_names(&app, &kw, &id).await.contains(&"Sore knee".to_string()));

    // An operation has no place in a transaction.
    let export = transaction(vec![json!({ "request": { "method": "GET", "url": "Patient/$export" } })]);
    let (status, outcome) = post(&app, kw.clone(), "/fhir", export).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Bundle.entry[0].request.url"))
    );

    // Someone outside the case: each entry is refused as it would be alone, and a refused look
    // stays in the audit log although the transaction it was in was undone.
    let outsider = token_for(&app, "demo-clinician").await;
    let intruding = transaction(vec![
        json!({ "resource": condition(&id, "Written by an outsider"), "request": { "method": "POST", "url": "Condition" } }),
    ]);
    let (status, outcome) = post(&app, outsider.clone(), "/fhir", intruding).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Bundle.entry[0].resource.subject")),
        "{outcome}"
    );
    assert!(!problem_names(&app, &kw, &id).await.contains(&"Written by an outsider".to_string()));
    let refused_from = chrono::Utc::now();
    let looking = transaction(vec![json!({ "request": { "method": "GET", "url": format!("Patient/{id}") } })]);
    let (status, outcome) = post(&app, outsider, "/fhir", looking).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{outcome}");
    let actions = actions_logged(&app, &id, "demo-clinician", refused_from).await;
    assert!(actions.iter().any(|a| a == "denied"), "{actions:?}");

    // The log's hash chains are whole after the undone transactions.
    let verified = audit_chain::verify(&app.db, &[]).await.expect("verify");
    assert!(verified.problems.is_empty(), "{:?}", verified.problems);
}

/// How many reviews of this person an Encounter search finds.
async fn review_count(app: &TestApp, token: &str, person: &str) -> u64 {
    let (_, found) = get(app, token, &format!("/fhir/Encounter?patient={person}&_summary=count")).await;
    found["total"].as_u64().expect("total")
}

#[tokio::test]
async fn a_plan_draft_and_its_review_are_started_together_or_not_at_all() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let (_, found) = get(&app, &kw, &format!("/fhir/CarePlan?patient={id}&status=active&category=management")).await;
    let mut management = entries(&found, "match")[0].clone();
    let plan_status = management["extension"][0]["valueCode"].clone();
    assert_ne!(plan_status, "under-review");
    management.as_object_mut().expect("object").remove("id");
    management["status"] = json!("draft");
    management["activity"]
        .as_array_mut()
        .expect("activities")
        .push(json!({ "detail": { "status": "in-progress", "description": "Self-management: Keep a sleep diary" } }));
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(21);
    let mut review = json!({
        "resourceType": "Encounter",
        "status": "planned",
        "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
        "type": [{ "text": "Team discussion" }],
        "subject": { "reference": format!("Patient/{id}") },
        "period": { "start": format!("{day}T10:00:00Z") },
        "location": [{ "location": { "display": "Room 4, Westmere Centre" } }],
        "extension": [{ "url": "https://carethread.app/fhir/StructureDefinition/review-chair", "valueString": "Priya Nair" }]
    });
    let reviews_before = review_count(&app, &kw, &id).await;
    let drafts = format!("/fhir/CarePlan?patient={id}&status=draft&_summary=count");

    // The review's time has seconds in it, which a review cannot have: the draft started by the
    // entry before it is undone, and the plan in force is not left under review.
    review["period"]["start"] = json!(format!("{day}T10:00:30Z"));
    let bundle = |review: &Value| {
        transaction(vec![
            json!({ "resource": management.clone(), "request": { "method": "POST", "url": "CarePlan" } }),
            json!({ "resource": review, "request": { "method": "POST", "url": "Encounter" } }),
        ])
    };
    let (status, outcome) = post(&app, kw.clone(), "/fhir", bundle(&review)).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Bundle.entry[1].resource.period.start")),
        "{outcome}"
    );
    assert_eq!(get(&app, &kw, &drafts).await.1["total"], 0, "no draft was left behind");
    let (_, in_force) = get(&app, &kw, &format!("/fhir/CarePlan?patient={id}&status=active&category=management")).await;
    assert_eq!(entries(&in_force, "match")[0]["extension"][0]["valueCode"], plan_status, "not left under review");
    assert_eq!(review_count(&app, &kw, &id).await, reviews_before);

    // Put right, both land, and the pages show them.
    review["period"]["start"] = json!(format!("{day}T10:00:00Z"));
    let (status, reply) = post(&app, kw.clone(), "/fhir", bundle(&review)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(get(&app, &kw, &drafts).await.1["total"].as_u64().map(|n| n > 0), Some(true));
    assert_eq!(review_count(&app, &kw, &id).await, reviews_before + 1);
    let staff = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&staff, &format!("/people/{id}/plan/management")).await;
    assert!(page.contains("Keep a sleep diary"));
}

#[tokio::test]
async fn reads_and_searches_in_a_transaction_answer_as_they_would_alone() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let (_, plans) = get(&app, &kw, &format!("/fhir/CarePlan?subject=Patient/{id}")).await;
    let plan = entries(&plans, "match")[0]["id"].as_str().expect("a plan").to_string();
    let urls = [
        format!("Patient/{id}"),
        format!("CarePlan/{plan}"),
        format!("CarePlan?subject=Patient/{id}"),
        format!("Task?patient={id}"),
    ];
    let looking = transaction(urls.iter().map(|u| json!({ "request": { "method": "GET", "url": u } })).collect());
    let (status, answer) = post(&app, kw.clone(), "/fhir", looking).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    for (i, url) in urls.iter().enumerate() {
        let entry = &answer["entry"][i];
        assert_eq!(entry["response"]["status"].as_str(), Some("200 OK"), "{url}: {entry}");
        let (_, alone) = get(&app, &kw, &format!("/fhir/{url}")).await;
        let kind = alone["resourceType"].as_str().expect("a resource");
        assert_eq!(entry["resource"]["resourceType"].as_str(), Some(kind), "{url}");
        if kind == "Bundle" {
            assert_eq!(entry["resource"]["total"], alone["total"], "{url}");
        } else {
            assert_eq!(entry["resource"]["id"], alone["id"], "{url}");
        }
    }

    // Alone, a refused read is a plain 404 and still leaves its entry in the audit log.
    let outsider = token_for(&app, "demo-clinician").await;
    let refused_from = chrono::Utc::now();
    for url in [format!("/fhir/Patient/{id}"), format!("/fhir/CarePlan/{plan}")] {
        let (status, outcome) = get(&app, &outsider, &url).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}: {outcome}");
    }
    let actions = actions_logged(&app, &id, "demo-clinician", refused_from).await;
    assert_eq!(actions.iter().filter(|a| *a == "denied").count(), 2, "{actions:?}");
}
