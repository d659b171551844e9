//! Problem areas (Condition) and members of the circle of support (RelatedPerson) written
//! through FHIR: on the pages as if typed there, changed only from the version read, and taken
//! off the record on delete.

use crate::common::TestApp;
use crate::fhir_case::{aisha, send, token_for};
use carethread_domain::PersonId;
use carethread_store::{AuditContext, themes};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_problem_area_written_through_fhir_is_on_the_page_and_changes_only_from_its_version() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let condition = json!({
        "resourceType": "Condition",
        "code": { "text": "Hay fever [21719001]" },
        "category": [{ "text": "A diagnosis" }],
        "subject": { "reference": format!("Patient/{id}") },
        "note": [{ "text": "How it affects daily life: Stays in on high-pollen days" }, { "text": "Plan: Antihistamine from March" }]
    });
    let (status, etag, written) = send(&app, &kw, Method::POST, "/fhir/Condition", Some(&condition), None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::CREATED, Some("W/\"1\"")), "{written}");
    let cid = written["id"].as_str().expect("id").to_string();
    assert_eq!(written["code"]["text"], "Hay fever [21719001]");

    // On the problem toolkit page, as if typed there.
    let staff = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&staff, &format!("/people/{id}/themes/problem-toolkits")).await;
    assert!(page.contains("Hay fever") && page.contains("Stays in on high-pollen days"), "the page shows it");

    // Changed from version 1; then a change from version 1 again is stale and writes nothing.
    let mut changed = written.clone();
    changed["note"][1]["text"] = json!("Plan: Antihistamine from February");
    let path = format!("/fhir/Condition/{cid}");
    let (status, etag, _) = send(&app, &kw, Method::PUT, &path, Some(&changed), Some("W/\"1\"")).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("W/\"2\"")));
    let mut stale = written.clone();
    stale["note"][1]["text"] = json!("Plan: written from an old version");
    let (status, _, outcome) = send(&app, &kw, Method::PUT, &path, Some(&stale), Some("W/\"1\"")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{outcome}");
    assert_eq!(send(&app, &kw, Method::PUT, &path, Some(&changed), None).await.0, StatusCode::PRECONDITION_REQUIRED);
    let (_, _, now) = send(&app, &kw, Method::GET, &path, None, None).await;
    assert_eq!(now["note"][1]["text"], "Plan: Antihistamine from February");

    // Bad bodies are refused by element, and nothing is written.
    let mut plain_with_code = condition.clone();
    plain_with_code["category"] = json!([{ "text": "In plain words" }]);
    let mut no_impact = condition.clone();
    no_impact["note"] = json!([]);
    let mut someone_else = condition.clone();
    someone_else["subject"]["reference"] = json!(format!("Patient/{}", uuid::Uuid::now_v7()));
    for (body, expected, element) in [
        (plain_with_code, StatusCode::UNPROCESSABLE_ENTITY, "Condition.code"),
        (no_impact, StatusCode::UNPROCESSABLE_ENTITY, "Condition.note"),
        (someone_else, StatusCode::UNPROCESSABLE_ENTITY, "Condition.subject"),
    ] {
        let (status, _, outcome) = send(&app, &kw, Method::POST, "/fhir/Condition", Some(&body), None).await;
        assert_eq!((status, outcome["issue"][0]["expression"][0].as_str()), (expected, Some(element)), "{outcome}");
    }
    let (_, _, all) = send(&app, &kw, Method::GET, &format!("/fhir/Condition?patient={id}"), None, None).await;
    let hay = all["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["resource"]["code"]["text"] == "Hay fever [21719001]");
    assert_eq!(hay.count(), 1, "only the one created");

    // Someone outside the case cannot change it, nor learn it exists.
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(
        send(&app, &outsider, Method::PUT, &path, Some(&changed), Some("W/\"2\"")).await.0,
        StatusCode::NOT_FOUND
    );

    // Deleted from version 2: gone from the record and the page.
    assert_eq!(send(&app, &kw, Method::DELETE, &path, None, Some("W/\"2\"")).await.0, StatusCode::NO_CONTENT);
    // Gone, not unknown: it existed, and its Provenance says who took it off and when.
    assert_eq!(send(&app, &kw, Method::GET, &path, None, None).await.0, StatusCode::GONE);
    assert_eq!(send(&app, &kw, Method::PUT, &path, Some(&changed), Some("W/\"3\"")).await.0, StatusCode::GONE);
    let (_, page) = app.get(&staff, &format!("/people/{id}/themes/problem-toolkits")).await;
    assert!(!page.contains("Hay fever"));

    // Its history stays: each version as it read, newest first, ending in its removal.
    let (status, _, history) = send(&app, &kw, Method::GET, &format!("{path}/_history"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let steps: Vec<(&str, &str)> = history["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| (e["request"]["method"].as_str().unwrap_or(""), e["response"]["etag"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(steps[0], ("DELETE", "W/\"3\""));
    assert_eq!(steps.iter().map(|(m, _)| *m).collect::<Vec<_>>(), ["DELETE", "PUT", "PUT"]);
    assert_eq!(history["entry"][1]["resource"]["note"][1]["text"], "Plan: Antihistamine from February");
    let (status, _, first) = send(&app, &kw, Method::GET, &format!("{path}/_history/1"), None, None).await;
    assert_eq!((status, &first), (StatusCode::OK, &written), "version 1 reads as it was written");
    assert_eq!(send(&app, &kw, Method::GET, &format!("{path}/_history/3"), None, None).await.0, StatusCode::GONE);
    assert_eq!(send(&app, &kw, Method::GET, &format!("{path}/_history/9"), None, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, &outsider, Method::GET, &format!("{path}/_history"), None, None).await.0,
        StatusCode::NOT_FOUND,
        "an outsider learns nothing of it from its history either"
    );
}

#[tokio::test]
async fn a_member_added_through_fhir_joins_the_circle_keeps_their_account_link_and_can_leave() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let member = json!({
        "resourceType": "RelatedPerson",
        "patient": { "reference": format!("Patient/{id}") },
        "relationship": [{ "coding": [{ "system": "https://carethread.app/fhir/CodeSystem/carethread-circle", "code": "wider-system" }], "text": "Tenancy officer" }],
        "name": [{ "text": "Morag Ellis" }],
        "telecom": [{ "system": "other", "value": "01632 960555" }],
        "extension": [
            { "url": "https://carethread.app/fhir/StructureDefinition/involvement", "valueCode": "occasional" },
            { "url": "https://carethread.app/fhir/StructureDefinition/organisation", "valueString": "Westmere Homes" }
        ]
    });
    let (status, _, written) = send(&app, &kw, Method::POST, "/fhir/RelatedPerson", Some(&member), None).await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    let mid = written["id"].as_str().expect("id").to_string();
    let (_, _, team) = send(&app, &kw, Method::GET, &format!("/fhir/CareTeam/{id}"), None, None).await;
    let names: Vec<&str> = team["participant"]
        .as_array()
        .expect("participants")
        .iter()
        .filter_map(|p| p["member"]["display"].as_str())
        .collect();
    assert!(names.contains(&"Morag Ellis"), "{names:?}");
    let staff = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&staff, &format!("/people/{id}/themes/circle-of-support")).await;
    assert!(page.contains("Morag Ellis") && page.contains("Westmere Homes"));

    // An unknown involvement is refused by element; a change from the version read is kept.
    let mut bad = member.clone();
    bad["extension"][0]["valueCode"] = json!("sometimes");
    let (status, _, outcome) = send(&app, &kw, Method::POST, "/fhir/RelatedPerson", Some(&bad), None).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("RelatedPerson.extension"))
    );
    let path = format!("/fhir/RelatedPerson/{mid}");
    let mut changed: Value = written.clone();
    changed["name"] = json!([{ "text": "Morag Ellis-Shaw" }]);
    let (status, etag, _) = send(&app, &kw, Method::PUT, &path, Some(&changed), Some("W/\"1\"")).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("W/\"2\"")));
    let mut moved = changed.clone();
    moved["patient"]["reference"] = json!(format!("Patient/{}", uuid::Uuid::now_v7()));
    let (status, _, outcome) = send(&app, &kw, Method::PUT, &path, Some(&moved), Some("W/\"2\"")).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("RelatedPerson.patient"))
    );

    // Someone linked to their own Carethread account (Jordan's mum) keeps the link when what
    // the circle says of them is changed through FHIR.
    let (_, _, found) = send(&app, &kw, Method::GET, "/fhir/Patient?name=jordan", None, None).await;
    let jordan: PersonId = found["entry"][0]["resource"]["id"].as_str().expect("Jordan").parse().expect("id");
    let ctx = AuditContext::command_line("test");
    let linked = themes::members(&app.db, &ctx, jordan)
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.account.is_some())
        .expect("the demo links Jordan's mum to her account");
    let path_mum = format!("/fhir/RelatedPerson/{}", linked.id);
    let (_, etag, mut mum) = send(&app, &kw, Method::GET, &path_mum, None, None).await;
    mum["name"] = json!([{ "text": format!("{} B.", linked.details.name) }]);
    let (status, _, _) = send(&app, &kw, Method::PUT, &path_mum, Some(&mum), etag.as_deref()).await;
    assert_eq!(status, StatusCode::OK);
    let after = themes::member(&app.db, &ctx, jordan, linked.id).await.expect("member");
    assert_eq!((after.account, after.details.name), (linked.account, format!("{} B.", linked.details.name)));

    // Taken off the circle without If-Match: gone from the CareTeam.
    assert_eq!(send(&app, &kw, Method::DELETE, &path, None, None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(send(&app, &kw, Method::GET, &path, None, None).await.0, StatusCode::GONE);
    assert_eq!(send(&app, &outsider_token(&app).await, Method::GET, &path, None, None).await.0, StatusCode::NOT_FOUND);
    let (_, _, team) = send(&app, &kw, Method::GET, &format!("/fhir/CareTeam/{id}"), None, None).await;
    assert!(!team.to_string().contains("Morag Ellis"));
    let (status, _, history) = send(&app, &kw, Method::GET, &format!("{path}/_history"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let methods: Vec<&str> =
        history["entry"].as_array().expect("entries").iter().filter_map(|e| e["request"]["method"].as_str()).collect();
    assert_eq!(methods, ["DELETE", "PUT", "PUT"], "added, changed, taken off: newest first");
    let (status, _, first) = send(&app, &kw, Method::GET, &format!("{path}/_history/1"), None, None).await;
    assert_eq!((status, first["id"].as_str()), (StatusCode::OK, Some(mid.as_str())));

    // Provenance tells who added, changed and removed her, and when, in that order.
    let keyworker =
        carethread_store::accounts::user_by_username(&app.db, "demo-keyworker").await.expect("ran").expect("kw");
    let (status, _, trail) =
        send(&app, &kw, Method::GET, &format!("/fhir/Provenance?patient={id}&_count=200"), None, None).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let hers: Vec<&Value> = trail["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .filter(|p| p["target"][0]["reference"] == format!("RelatedPerson/{mid}"))
        .collect();
    let activities: Vec<&str> = hers.iter().filter_map(|p| p["activity"]["coding"][0]["code"].as_str()).collect();
    assert_eq!(activities, ["CREATE", "UPDATE", "DELETE"]);
    assert!(hers.iter().all(|p| p["agent"][0]["who"]["reference"] == format!("Practitioner/{}", keyworker.id)));
    let one = hers[1]["id"].as_str().expect("id");
    let (status, _, read) = send(&app, &kw, Method::GET, &format!("/fhir/Provenance/{one}"), None, None).await;
    assert_eq!((status, &read["recorded"]), (StatusCode::OK, &hers[1]["recorded"]));
    // Only those who may read the whole record see who wrote what.
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(
        send(&app, &outsider, Method::GET, &format!("/fhir/Provenance/{one}"), None, None).await.0,
        StatusCode::NOT_FOUND
    );
}

/// Someone with no relationship to the demo cases.
async fn outsider_token(app: &TestApp) -> String {
    token_for(app, "demo-clinician").await
}

#[tokio::test]
async fn a_consent_withdrawn_and_recorded_through_fhir_changes_what_a_supporter_sees_at_once() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let (_, _, found) = send(&app, &kw, Method::GET, "/fhir/Patient?name=jordan", None, None).await;
    let jordan = found["entry"][0]["resource"]["id"].as_str().expect("Jordan").to_string();
    let person = token_for(&app, "demo-person").await;
    let (_, _, consents) =
        send(&app, &person, Method::GET, &format!("/fhir/Consent?patient={jordan}&status=active"), None, None).await;
    let mums = consents["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["resource"].clone())
        .find(|c| {
            c["provision"]["actor"][0]["reference"]["reference"]
                .as_str()
                .is_some_and(|r| r.starts_with("RelatedPerson/"))
        })
        .expect("Jordan shares with his mum");
    let lorna = app.signed_in("demo-supporter").await;
    let shared = format!("/people/{jordan}/shared");
    assert_eq!(app.get(&lorna, &shared).await.0, StatusCode::OK);

    // Jordan withdraws it himself: a reason is needed, and then access stops at once.
    let path = format!("/fhir/Consent/{}", mums["id"].as_str().expect("id"));
    let mut withdrawn = mums.clone();
    withdrawn["status"] = json!("inactive");
    let (status, _, outcome) = send(&app, &person, Method::PUT, &path, Some(&withdrawn), Some("W/\"1\"")).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Consent.extension"))
    );
    withdrawn["extension"].as_array_mut().expect("extensions").push(
        json!({ "url": "https://carethread.app/fhir/StructureDefinition/withdrawn", "valueString": "I want to tell Mum myself" }),
    );
    let (status, etag, now) = send(&app, &person, Method::PUT, &path, Some(&withdrawn), Some("W/\"1\"")).await;
    assert_eq!(
        (status, etag.as_deref(), &now["status"]),
        (StatusCode::OK, Some("W/\"2\""), &json!("inactive")),
        "{now}"
    );
    assert_eq!(app.get(&lorna, &shared).await.0, StatusCode::NOT_FOUND, "withdrawal takes effect on the next request");
    // Both versions stay readable: as recorded, and withdrawn.
    let (status, _, first) = send(&app, &person, Method::GET, &format!("{path}/_history/1"), None, None).await;
    assert_eq!((status, &first), (StatusCode::OK, &mums), "version 1 is the consent before it was withdrawn");
    let (_, _, history) = send(&app, &person, Method::GET, &format!("{path}/_history"), None, None).await;
    let kept: Vec<&Value> = history["entry"].as_array().expect("entries").iter().map(|e| &e["resource"]).collect();
    assert_eq!(kept, [&now, &mums]);
    assert_eq!(
        send(&app, &person, Method::PUT, &path, Some(&withdrawn), Some("W/\"1\"")).await.0,
        StatusCode::PRECONDITION_FAILED
    );

    // A new consent, recorded by Jordan through FHIR: Lorna sees the crisis plan again.
    let mut again = mums.clone();
    let object = again.as_object_mut().expect("object");
    object.remove("id");
    object.remove("meta");
    again["provision"]["code"] = json!([{ "text": "Escalation (crisis) plan" }]);
    again["provision"]["period"] = json!({ "start": chrono::Utc::now().date_naive().to_string() });
    let (status, _, made) = send(&app, &person, Method::POST, "/fhir/Consent", Some(&again), None).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(app.get(&lorna, &shared).await.0, StatusCode::OK);

    // What a consent says is not changed in place; a supporter records none.
    let mut wider = made.clone();
    wider["provision"]["code"] = json!([{ "text": "Management plan" }]);
    let (status, _, outcome) = send(
        &app,
        &person,
        Method::PUT,
        &format!("/fhir/Consent/{}", made["id"].as_str().expect("id")),
        Some(&wider),
        Some("W/\"1\""),
    )
    .await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Consent.provision"))
    );
    let supporter = token_for(&app, "demo-supporter").await;
    let (status, _, outcome) = send(&app, &supporter, Method::POST, "/fhir/Consent", Some(&again), None).await;
    assert_eq!(
        (status, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Consent.patient"))
    );
}
