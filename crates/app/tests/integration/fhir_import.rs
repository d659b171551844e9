//! Importing cases with a transaction Bundle: a case read out through FHIR goes back in whole as
//! a new case, and a Bundle with any fault leaves nothing behind.

use crate::common::TestApp;
use crate::fhir_case::{aisha, entries, get, post, token_for};
use carethread_domain::NhsNumber;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A valid NHS number from nine digits (the tenth is the check digit).
fn nhs(nine: [u8; 9]) -> String {
    NhsNumber::from_first_nine(nine).expect("valid").digits()
}

/// Everything of one case a FHIR client can read: the Patient, the circle, the problem areas,
/// the plan in force (its own-words part) and its goals.
async fn read_case(app: &TestApp, token: &str, id: &str, plan_status: &str) -> Vec<Value> {
    let (_, patient) = get(app, token, &format!("/fhir/Patient/{id}")).await;
    let (_, related) = get(app, token, &format!("/fhir/RelatedPerson?patient={id}&_count=100")).await;
    let (_, team) = get(app, token, &format!("/fhir/CareTeam/{id}")).await;
    let (_, conditions) = get(app, token, &format!("/fhir/Condition?patient={id}&_count=100")).await;
    let (_, plan) =
        get(app, token, &format!("/fhir/CarePlan?patient={id}&status={plan_status}&_include=CarePlan:goal")).await;
    let mut out = vec![patient, team];
    out.extend(entries(&related, "match").into_iter().cloned());
    out.extend(entries(&conditions, "match").into_iter().cloned());
    out.extend(entries(&plan, "match").into_iter().cloned());
    out.extend(entries(&plan, "include").into_iter().cloned());
    out
}

/// The case as a transaction: each resource a POST with a urn:uuid fullUrl, every reference
/// between them rewritten to those urns.
fn as_transaction(resources: &[Value], nhs_number: &str) -> Value {
    let mut urns = BTreeMap::new();
    for r in resources {
        let key = format!("{}/{}", r["resourceType"].as_str().expect("type"), r["id"].as_str().expect("id"));
        urns.insert(key, format!("urn:uuid:{}", uuid::Uuid::now_v7()));
    }
    let entries: Vec<Value> = resources
        .iter()
        .map(|r| {
            let mut text = r.to_string();
            for (reference, urn) in &urns {
                text = text.replace(&format!("\"{reference}\""), &format!("\"{urn}\""));
            }
            let mut resource: Value = serde_json::from_str(&text).expect("json");
            if resource["resourceType"] == "Patient" {
                resource["identifier"][0]["value"] = json!(nhs_number);
            }
            let key = format!("{}/{}", r["resourceType"].as_str().expect("type"), r["id"].as_str().expect("id"));
            json!({
                "fullUrl": urns[&key],
                "resource": resource,
                "request": { "method": "POST", "url": r["resourceType"] }
            })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
}

/// What must survive the journey: everything but ids, versions, statuses, times and references, and
/// what belongs to the case's life here rather than to its content (the team holding it; the
/// plan's agreement, dates, lifecycle step and place among the versions, since an import starts
/// a new draft).
fn content(resources: &[Value]) -> BTreeMap<String, Vec<String>> {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "id" | "meta" | "reference" | "created"))
                    .filter(|(k, _)| !matches!(k.as_str(), "status" | "title" | "identifier"))
                    .filter(|(k, _)| !matches!(k.as_str(), "period" | "replaces" | "managingOrganization"))
                    .filter(|(_, v)| !v["text"].as_str().is_some_and(|t| t.starts_with("Agreed on ")))
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(
                a.iter()
                    .filter(|v| !v["text"].as_str().is_some_and(|t| t.starts_with("Agreed on ")))
                    .filter(|v| !v["url"].as_str().is_some_and(|u| u.ends_with("/plan-status")))
                    .map(strip)
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in resources {
        out.entry(r["resourceType"].as_str().unwrap_or("").to_string()).or_default().push(strip(r).to_string());
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

#[tokio::test]
async fn a_case_read_out_through_fhir_imports_whole_as_a_new_case() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let id = aisha(&app, &kw).await;
    let original = read_case(&app, &kw, &id, "active").await;
    let kinds: Vec<&str> = original.iter().filter_map(|r| r["resourceType"].as_str()).collect();
    for kind in ["Patient", "CareTeam", "RelatedPerson", "Condition", "CarePlan", "Goal"] {
        assert!(kinds.contains(&kind), "the demo case has a {kind}: {kinds:?}");
    }
    let number = nhs([9, 9, 9, 4, 4, 4, 0, 0, 1]);
    let (status, reply) = post(&app, kw.clone(), "/fhir", as_transaction(&original, &number)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["type"], "transaction-response");
    let answers = reply["entry"].as_array().expect("entries");
    assert_eq!(answers.len(), original.len());
    assert!(answers.iter().all(|a| a["response"]["status"] == "201 Created"), "{reply}");
    let location = answers[0]["response"]["location"].as_str().expect("location");
    let new_id = location.split('/').nth(1).expect("Patient/<id>/_history/1");
    assert_ne!(new_id, id);

    // The imported plan is a draft until the person agrees it here; all else reads back the same.
    let imported = read_case(&app, &kw, new_id, "draft").await;
    assert_eq!(imported[0]["identifier"][0]["value"], number);
    assert_eq!(content(&imported), content(&original));
    let plan = imported.iter().find(|r| r["resourceType"] == "CarePlan").expect("plan");
    assert_eq!(plan["extension"][0]["valueCode"], "draft");

    // The same Bundle again is refused as a duplicate, naming the Patient entry.
    let (status, outcome) = post(&app, kw, "/fhir", as_transaction(&original, &number)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
    assert_eq!(outcome["issue"][0]["code"], "duplicate");
    assert_eq!(outcome["issue"][0]["expression"][0], "Bundle.entry[0].resource.identifier");
}

async fn people_named(app: &TestApp, token: &str, family: &str) -> u64 {
    get(app, token, &format!("/fhir/Patient?name={family}")).await.1["total"].as_u64().expect("total")
}

#[tokio::test]
async fn a_transaction_with_any_fault_writes_nothing_and_names_the_fault() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let aisha_id = aisha(&app, &kw).await;
    let patient = |nine: [u8; 9]| {
        json!({ "resourceType": "Patient",
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs(nine) }],
            "name": [{ "use": "official", "family": "Quarry", "given": ["Ola"] }], "birthDate": "1988-02-03" })
    };
    let condition = |subject: &str| {
        json!({ "resourceType": "Condition", "code": { "text": "Epilepsy" }, "subject": { "reference": subject },
            "note": [{ "text": "How it affects daily life: Cannot swim alone" }] })
    };
    let goal = json!({ "resourceType": "Goal", "lifecycleStatus": "active",
        "description": { "text": "Swim with a friend" }, "subject": { "reference": "urn:uuid:p1" },
        "note": [{ "text": "What matters: Being in the water" }],
        "addresses": [{ "reference": "urn:uuid:c1" }] });
    let bundle = |entries: Vec<(&str, Value)>| {
        let entries: Vec<Value> = entries
            .into_iter()
            .map(|(url, r)| json!({ "fullUrl": url, "resource": r, "request": { "method": "POST", "url": r["resourceType"] } }))
            .collect();
        json!({ "resourceType": "Bundle", "type": "transaction", "entry": entries })
    };
    let good = || {
        vec![
            ("urn:uuid:p1", patient([9, 9, 9, 4, 4, 4, 0, 0, 2])),
            ("urn:uuid:c1", condition("urn:uuid:p1")),
            ("urn:uuid:g1", goal.clone()),
        ]
    };
    // Each: the Bundle's entries with one fault, and what it must get.
    type Faulty<'a> = (Vec<(&'a str, Value)>, StatusCode, &'a str);
    let cases: Vec<Faulty> = vec![
        // A goal addressing a Condition that is not in the Bundle.
        (
            {
                let mut e = good();
                e[2].1["addresses"][0]["reference"] = json!("urn:uuid:nowhere");
                e
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bundle.entry[2].resource.addresses[0].reference",
        ),
        // A Condition for a person already here rather than one in the Bundle.
        (
            {
                let mut e = good();
                e[1].1 = condition(&format!("Patient/{aisha_id}"));
                e
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bundle.entry[1].resource.subject",
        ),
        // A bad check digit.
        (
            {
                let mut e = good();
                e[0].1["identifier"][0]["value"] = json!("9994440003");
                e
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bundle.entry[0].resource.identifier[0].value",
        ),
        // A Condition with no word on how it affects daily life.
        (
            {
                let mut e = good();
                e[1].1["note"] = json!([]);
                e
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bundle.entry[1].resource.note",
        ),
        // A goal with no description: a missing required element.
        (
            {
                let mut e = good();
                e[2].1.as_object_mut().expect("object").remove("description");
                e
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bundle.entry[2].resource.description",
        ),
        // An element Carethread does not know.
        (
            {
                let mut e = good();
                e[1].1["severity"] = json!({ "text": "mild" });
                e
            },
            StatusCode::BAD_REQUEST,
            "Bundle.entry[1].resource.severity",
        ),
    ];
    for (entries, status, element) in cases {
        let (got, outcome) = post(&app, kw.clone(), "/fhir", bundle(entries)).await;
        assert_eq!((got, outcome["issue"][0]["expression"][0].as_str()), (status, Some(element)), "{outcome}");
        assert_eq!(people_named(&app, &kw, "Quarry").await, 0, "nothing of a faulty Bundle is written ({element})");
    }
    // A crisis contact whose number is not a phone number, in the escalation plan.
    let mut with_crisis_plan = good();
    with_crisis_plan.push((
        "urn:uuid:e1",
        json!({ "resourceType": "CarePlan", "status": "active", "intent": "plan",
            "subject": { "reference": "urn:uuid:p1" },
            "category": [{ "coding": [{ "system": "https://carethread.app/fhir/CodeSystem/carethread-plan-parts", "code": "escalation" }] }],
            "activity": [{ "detail": { "status": "in-progress", "description": "Call the crisis line",
                "extension": [
                    { "url": "https://carethread.app/fhir/StructureDefinition/crisis-contact-name", "valueString": "Crisis line" },
                    { "url": "https://carethread.app/fhir/StructureDefinition/crisis-contact-phone", "valueString": "ring me" }
                ] } }] }),
    ));
    let (got, outcome) = post(&app, kw.clone(), "/fhir", bundle(with_crisis_plan)).await;
    assert_eq!(
        (got, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Bundle.entry[3].resource.activity")),
        "{outcome}"
    );
    assert_eq!(people_named(&app, &kw, "Quarry").await, 0);

    // A request other than a create is refused in a transaction.
    let mut with_read = bundle(good());
    with_read["entry"][1]["request"] = json!({ "method": "GET", "url": format!("Patient/{aisha_id}") });
    let (got, outcome) = post(&app, kw.clone(), "/fhir", with_read).await;
    assert_eq!(
        (got, outcome["issue"][0]["expression"][0].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Bundle.entry[1].request.method"))
    );

    // The same Bundle without its fault arrives whole, and a role that registers no one cannot.
    let commissioner = token_for(&app, "demo-commissioner").await;
    let (got, _) = post(&app, commissioner, "/fhir", bundle(good())).await;
    assert_eq!(got, StatusCode::FORBIDDEN);
    let (got, reply) = post(&app, kw.clone(), "/fhir", bundle(good())).await;
    assert_eq!(got, StatusCode::OK, "{reply}");
    assert_eq!(people_named(&app, &kw, "Quarry").await, 1);
    let goal_at = reply["entry"][2]["response"]["location"].as_str().expect("goal location");
    let (_, goal) = get(&app, &kw, &format!("/fhir/{}", goal_at.trim_end_matches("/_history/1"))).await;
    let condition_at = reply["entry"][1]["response"]["location"].as_str().expect("condition location");
    assert_eq!(
        goal["addresses"][0]["reference"].as_str(),
        Some(condition_at.trim_end_matches("/_history/1")),
        "references between entries point at the new records"
    );
}
