//! FHIR Patient over HTTP, on the backend under test: bearer tokens, read and vread with ETags,
//! search with paging and strict parameters, create (with If-None-Exist) and update (with
//! If-Match), every error an OperationOutcome naming the element, and the same access policy
//! as the pages.

use crate::common::{TestApp, find};
use carethread::auth::token;
use carethread_store::{AuditContext, accounts};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

const FHIR_JSON: &str = "application/fhir+json";

async fn token_for(app: &TestApp, username: &str) -> String {
    let user = accounts::user_by_username(&app.db, username).await.expect("ran").expect("user");
    let secret = format!("ct_{}", token::random_secret());
    accounts::create_api_token(&app.db, &AuditContext::command_line("test"), &user, &token::hash(&secret))
        .await
        .expect("token");
    secret
}

struct Api<'a> {
    app: &'a TestApp,
    client: Client,
    token: String,
}

impl Api<'_> {
    async fn get(&self, path: &str) -> Response {
        self.client.get(self.app.url(path)).bearer_auth(&self.token).send().await.expect("get")
    }
    async fn send(&self, method: reqwest::Method, path: &str, body: &Value, headers: &[(&str, &str)]) -> Response {
        let mut r = self
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
            .header("content-type", FHIR_JSON)
            .body(body.to_string());
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send().await.expect("send")
    }
}

async fn json(r: Response) -> Value {
    r.json().await.expect("json")
}

fn first_expression(outcome: &Value) -> String {
    assert_eq!(outcome["resourceType"], "OperationOutcome", "{outcome}");
    outcome["issue"][0]["expression"][0].as_str().unwrap_or("").to_string()
}

fn new_patient(nhs: &str) -> Value {
    json!({
        "resourceType": "Patient",
        "identifier": [{ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs }],
        "name": [
            { "use": "official", "family": "Okonjo", "given": ["Adaeze"] },
            { "use": "usual", "given": ["Ada"] }
        ],
        "birthDate": "1984-02-29",
        "telecom": [{ "system": "phone", "value": "01632 960 777" }],
        "address": [{ "text": "3 Invented Close, Westmere" }],
        "communication": [{ "language": { "text": "Igbo" }, "preferred": true }],
        "extension": [
            { "url": "https://carethread.app/fhir/StructureDefinition/pronouns", "valueString": "she/her" },
            { "url": "https://carethread.app/fhir/StructureDefinition/communication-needs", "valueString": "Likes things written down" },
            { "url": "https://carethread.app/fhir/StructureDefinition/easy-read", "valueBoolean": true },
            { "url": "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired", "valueBoolean": true }
        ]
    })
}

#[tokio::test]
async fn patients_are_read_searched_created_and_updated_through_fhir_with_the_same_policy() {
    let app = TestApp::spawn().await;
    let client = Client::new();

    // The capability statement is public; everything else needs a token.
    let r = client.get(app.url("/fhir/metadata")).send().await.expect("metadata");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], FHIR_JSON);
    let cs = json(r).await;
    assert_eq!(cs["fhirVersion"], "4.0.1");
    let mut types: Vec<&str> =
        cs["rest"][0]["resource"].as_array().expect("resources").iter().filter_map(|r| r["type"].as_str()).collect();
    types.sort();
    // Exactly the types the router serves, no more and no fewer.
    let mut served: Vec<&str> = carethread::server::route_table()
        .iter()
        .filter_map(|r| r.path.strip_prefix("/fhir/"))
        .map(|rest| rest.split('/').next().unwrap_or(""))
        .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
        .collect();
    served.sort();
    served.dedup();
    assert_eq!(types, served, "exactly what is served");
    assert!(types.contains(&"CarePlan") && types.contains(&"Patient"));
    let r = client.get(app.url("/fhir/Patient")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(json(r).await["issue"][0]["code"], "login");
    let r = client.get(app.url("/fhir/Patient")).bearer_auth("ct_not-a-token").send().await.expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let kw = Api { app: &app, client: client.clone(), token: token_for(&app, "demo-keyworker").await };
    let browser = app.signed_in("demo-keyworker").await;
    let jordan = find(&app, &browser, "9990000018").await;

    // Read, with its version as the ETag.
    let r = kw.get(&format!("/fhir/Patient/{jordan}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "W/\"1\"");
    let p = json(r).await;
    assert_eq!(p["identifier"][0]["value"], "9990000018");
    assert_eq!(p["name"][1]["given"][0], "Jordy");
    assert_eq!(kw.get("/fhir/Patient/not-an-id").await.status(), StatusCode::NOT_FOUND);

    // Search: strict parameters, paging links and counts.
    let b = json(kw.get("/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9990000018").await).await;
    assert_eq!((b["resourceType"].as_str(), b["total"].as_u64()), (Some("Bundle"), Some(1)));
    assert_eq!(b["entry"][0]["resource"]["id"], jordan.as_str());
    let page = json(kw.get("/fhir/Patient?_count=3").await).await;
    assert_eq!(page["entry"].as_array().map(Vec::len), Some(3));
    let next = page["link"].as_array().expect("links").iter().find(|l| l["relation"] == "next").expect("next")["url"]
        .as_str()
        .expect("url")
        .to_string();
    let next_path = next.split_once("/fhir/").map(|(_, p)| format!("/fhir/{p}")).expect("path");
    let second = json(kw.get(&next_path).await).await;
    assert_ne!(second["entry"][0]["resource"]["id"], page["entry"][0]["resource"]["id"], "the next page moves on");
    let count = json(kw.get("/fhir/Patient?_summary=count").await).await;
    assert_eq!(count["total"], page["total"]);
    assert!(count.get("entry").is_none());
    let r = kw.get("/fhir/Patient?gender=female").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(first_expression(&json(r).await), "gender");
    let lenient = kw
        .client
        .get(app.url("/fhir/Patient?gender=female&_count=1"))
        .bearer_auth(&kw.token)
        .header("prefer", "handling=lenient")
        .send()
        .await
        .expect("get");
    assert_eq!(lenient.status(), StatusCode::OK);
    assert_eq!(kw.get("/fhir/Patient?identifier=9990000019").await.status(), StatusCode::BAD_REQUEST);

    // Create: bad input is refused, naming the element, and nothing is written.
    let bad = kw.send(reqwest::Method::POST, "/fhir/Patient", &new_patient("9990000019"), &[]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first_expression(&json(bad).await), "Patient.identifier[0].value");
    let mut unknown = new_patient("9990000913");
    unknown["gender"] = json!("female");
    let r = kw.send(reqwest::Method::POST, "/fhir/Patient", &unknown, &[]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(first_expression(&json(r).await), "Patient.gender");
    let r = kw.send(reqwest::Method::POST, "/fhir/Patient", &json!({"resourceType": "CarePlan"}), &[]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = kw
        .client
        .post(app.url("/fhir/Patient"))
        .bearer_auth(&kw.token)
        .header("content-type", FHIR_JSON)
        .body("{oops")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = kw
        .client
        .post(app.url("/fhir/Patient"))
        .bearer_auth(&kw.token)
        .body(new_patient("9990000913").to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(json(kw.get("/fhir/Patient?identifier=9990000913").await).await["total"], 0, "nothing written");

    let created = kw.send(reqwest::Method::POST, "/fhir/Patient", &new_patient("9990000913"), &[]).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().expect("text").to_string();
    assert!(location.ends_with("/_history/1"), "{location}");
    let ada = json(created).await;
    let ada_id = ada["id"].as_str().expect("id").to_string();
    // Everything sent comes back, and shows on the pages.
    let sent = new_patient("9990000913");
    for key in ["identifier", "birthDate", "telecom", "address", "communication"] {
        assert_eq!(ada[key], sent[key], "{key} kept");
    }
    let (_, case_page) = app.get(&browser, &format!("/people/{ada_id}")).await;
    for shown in ["Adaeze", "Okonjo", "she/her", "Likes things written down", "Igbo", "3 Invented Close"] {
        assert!(case_page.contains(shown), "the page shows {shown}");
    }
    // If-None-Exist finds it instead of making a second; a plain second create is a duplicate.
    let again = kw
        .send(
            reqwest::Method::POST,
            "/fhir/Patient",
            &new_patient("9990000913"),
            &[("if-none-exist", "identifier=9990000913")],
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(json(again).await["id"], ada_id.as_str());
    let dup = kw.send(reqwest::Method::POST, "/fhir/Patient", &new_patient("9990000913"), &[]).await;
    assert_eq!(dup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(dup).await["issue"][0]["code"], "duplicate");

    // Update: If-Match is required, a stale one writes nothing, a current one moves the version.
    let path = format!("/fhir/Patient/{ada_id}");
    let mut changed = ada.clone();
    changed["name"][1]["given"][0] = json!("Daze");
    let r = kw.send(reqwest::Method::PUT, &path, &changed, &[]).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);
    let r = kw.send(reqwest::Method::PUT, &path, &changed, &[("if-match", "W/\"1\"")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "W/\"2\"");
    let mut later = ada.clone();
    later["name"][1]["given"][0] = json!("Adi");
    let r = kw.send(reqwest::Method::PUT, &path, &later, &[("if-match", "W/\"1\"")]).await;
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED, "someone else changed it first");
    assert_eq!(json(kw.get(&path).await).await["name"][1]["given"][0], "Daze", "the stale write changed nothing");
    let mut wrong_id = changed.clone();
    wrong_id["id"] = json!(jordan);
    assert_eq!(
        kw.send(reqwest::Method::PUT, &path, &wrong_id, &[("if-match", "W/\"2\"")]).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(json(kw.get(&format!("{path}/_history/1")).await).await["name"][1]["given"][0], "Ada", "vread");
    assert_eq!(kw.get(&format!("{path}/_history/9")).await.status(), StatusCode::NOT_FOUND);
    let r = kw.send(reqwest::Method::DELETE, &path, &json!({}), &[]).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(kw.get("/fhir/MedicationRequest").await.status(), StatusCode::NOT_FOUND);

    // The same policy as the pages: another team's clinician neither reads nor finds Jordan.
    let other = Api { app: &app, client: client.clone(), token: token_for(&app, "demo-clinician").await };
    assert_eq!(other.get(&format!("/fhir/Patient/{jordan}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(other.get("/fhir/Patient?identifier=9990000018").await).await["total"], 0);
    assert_eq!(
        other
            .send(reqwest::Method::PUT, &format!("/fhir/Patient/{jordan}"), &p, &[("if-match", "W/\"1\"")])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let commissioner = Api { app: &app, client, token: token_for(&app, "demo-commissioner").await };
    assert_eq!(commissioner.get("/fhir/Patient").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(commissioner.get(&format!("/fhir/Patient/{jordan}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_themes_and_votes_are_served_as_code_systems_and_value_sets() {
    let app = TestApp::spawn().await;
    let client = Client::new();
    let get = |path: &str| client.get(app.url(path)).send();
    let votes = json(get("/fhir/CodeSystem/carethread-votes").await.expect("get")).await;
    assert_eq!(votes["url"], "https://carethread.app/fhir/CodeSystem/carethread-votes");
    let codes: Vec<&str> =
        votes["concept"].as_array().expect("concepts").iter().filter_map(|c| c["code"].as_str()).collect();
    assert_eq!(codes, ["progressed", "unchanged", "slipped-back"]);
    let themes = json(get("/fhir/ValueSet/carethread-themes").await.expect("get")).await;
    assert_eq!(themes["compose"]["include"][0]["system"], "https://carethread.app/fhir/CodeSystem/carethread-themes");
    let found =
        json(get("/fhir/CodeSystem?url=https://carethread.app/fhir/CodeSystem/carethread-themes").await.expect("get"))
            .await;
    assert_eq!(found["total"], 1);
    assert_eq!(found["entry"][0]["resource"]["count"], 6);
    let r = get("/fhir/CodeSystem/nope").await.expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(r).await["resourceType"], "OperationOutcome");
    // The OpenAPI description covers every FHIR route the router serves, from the same table.
    let api = json(get("/api/openapi.json").await.expect("get")).await;
    for route in
        carethread::server::route_table().iter().filter(|r| r.path.starts_with("/fhir/") && !r.path.contains('*'))
    {
        assert!(api["paths"][route.path][route.method].is_object(), "{} {} is described", route.method, route.path);
    }
    assert_eq!(api["paths"]["/fhir/Patient/{id}"]["put"]["parameters"][1]["name"], "If-Match");
    assert_eq!(api["paths"]["/fhir/metadata"]["get"]["security"], json!([]), "public");
    assert_eq!(api["security"][0], json!({ "bearer": [] }), "everything else needs a token");
    let r = get("/fhir/ValueSet?name=x").await.expect("get");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(first_expression(&json(r).await), "name");
}

#[tokio::test]
async fn updates_sent_at_once_from_one_version_land_once_and_the_rest_are_told_it_changed() {
    let app = TestApp::spawn().await;
    let kw = Api { app: &app, client: Client::new(), token: token_for(&app, "demo-keyworker").await };
    let created = kw.send(reqwest::Method::POST, "/fhir/Patient", &new_patient("9990000913"), &[]).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let ada = json(created).await;
    let path = format!("/fhir/Patient/{}", ada["id"].as_str().expect("id"));
    // Eight clients that all read version 1 save different preferred names at the same moment:
    // on PostgreSQL their transactions overlap, so some lose the race inside the database.
    let saves: Vec<_> = (0..8)
        .map(|i| {
            let mut changed = ada.clone();
            changed["name"][1]["given"][0] = json!(format!("Ada {i}"));
            let put = kw
                .client
                .put(app.url(&path))
                .bearer_auth(&kw.token)
                .header("content-type", FHIR_JSON)
                .header("if-match", "W/\"1\"")
                .body(changed.to_string());
            tokio::spawn(async move { put.send().await.expect("put").status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for save in saves {
        statuses.push(save.await.expect("task"));
    }
    statuses.sort();
    assert_eq!(statuses[0], StatusCode::OK, "{statuses:?}");
    assert!(statuses[1..].iter().all(|s| *s == StatusCode::PRECONDITION_FAILED), "{statuses:?}");
    assert_eq!(kw.get(&path).await.headers()["etag"], "W/\"2\"", "exactly one change landed");
}
