//! Scheduling a review and filling in its prompt sheet through FHIR on the backend under test: a
//! POSTed Encounter is the review the pages show, with its kind, time, place, chair and
//! invitees, and what it reads back as can be sent again to schedule the same review; a
//! QuestionnaireResponse is the review's prompt sheet, changed only from the version its writer
//! saw. Bad ones are refused by element, writing nothing.

use crate::common::{TestApp, form_value};
use crate::fhir_case::{aisha, get, send, token_for};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn expression(outcome: &Value) -> Option<&str> {
    outcome["issue"][0]["expression"][0].as_str()
}

/// How many reviews the person's case has.
async fn reviews(app: &TestApp, token: &str, person: &str) -> u64 {
    get(app, token, &format!("/fhir/Encounter?patient={person}&_summary=count")).await.1["total"]
        .as_u64()
        .expect("total")
}

#[tokio::test]
async fn a_review_scheduled_through_fhir_is_the_review_on_the_page_and_reads_back_whole() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let person = aisha(&app, &kw).await;
    let (_, circle) = get(&app, &kw, &format!("/fhir/RelatedPerson?patient={person}")).await;
    let member = circle["entry"][0]["resource"].clone();
    let member_ref = format!("RelatedPerson/{}", member["id"].as_str().expect("a member of Aisha's circle"));
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    let start = format!("{day}T14:30:00Z");
    let encounter = json!({
        "resourceType": "Encounter",
        "status": "planned",
        "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
        "type": [{ "text": "Team discussion" }],
        "subject": { "reference": format!("Patient/{person}") },
        "period": { "start": start },
        "location": [{ "location": { "display": "Room 4, Westmere Centre" } }],
        "extension": [{ "url": "https://carethread.app/fhir/StructureDefinition/review-chair", "valueString": "Priya Nair" }],
        "participant": [
            { "individual": { "reference": member_ref } },
            { "type": [{ "text": "GP" }], "individual": { "display": "Dr Ola Ade" } }
        ]
    });
    let before = reviews(&app, &kw, &person).await;
    let (status, etag, written) = send(&app, &kw, Method::POST, "/fhir/Encounter", Some(&encounter), None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::CREATED, Some("W/\"1\"")), "{written}");
    assert_eq!(written["status"], "planned");
    assert_eq!(written["period"]["start"], start.as_str());
    assert_eq!(written["location"][0]["location"]["display"], "Room 4, Westmere Centre");
    assert_eq!(written["extension"][0]["valueString"], "Priya Nair");
    let invited: Vec<(String, String)> = written["participant"]
        .as_array()
        .expect("participants")
        .iter()
        .map(|p| {
            let who = &p["individual"];
            (
                who["reference"].as_str().unwrap_or("by name").to_string(),
                p["extension"][0]["valueCode"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        invited,
        [
            (format!("Patient/{person}"), "invited".to_string()),
            (member_ref.clone(), "invited".to_string()),
            ("by name".to_string(), "invited".to_string())
        ],
        "the person is always invited, then the circle, then anyone by name"
    );
    let id = written["id"].as_str().expect("id");
    assert_eq!(get(&app, &kw, &format!("/fhir/Encounter/{id}")).await.1, written);
    assert_eq!(get(&app, &kw, &format!("/fhir/Encounter/{id}/_history/1")).await, (StatusCode::OK, written.clone()));
    let staff = app.signed_in("demo-keyworker").await;
    let (status, page) = app.get(&staff, &format!("/people/{person}/reviews/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    for shown in ["Team discussion", "Room 4, Westmere Centre", "Priya Nair", "Dr Ola Ade"] {
        assert!(page.contains(shown), "the review page shows {shown}");
    }

    // It is not changed through FHIR: the refusal says where it is.
    let (status, _, outcome) =
        send(&app, &kw, Method::PUT, &format!("/fhir/Encounter/{id}"), Some(&written), Some("W/\"1\"")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(outcome["issue"][0]["diagnostics"].as_str().unwrap_or("").contains("on its page"), "{outcome}");

    // What it reads back as schedules the same review again, nothing lost.
    let mut again = written.clone();
    again.as_object_mut().expect("object").remove("id");
    let (status, _, copy) = send(&app, &kw, Method::POST, "/fhir/Encounter", Some(&again), None).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    for element in ["type", "period", "location", "extension", "participant", "subject"] {
        assert_eq!(copy[element], written[element], "{element}");
    }
    assert_eq!(reviews(&app, &kw, &person).await, before + 2);

    // Refused by element, and nothing scheduled.
    let far = format!("{}T10:00:00Z", day + chrono::Duration::days(1000));
    let stranger = format!("RelatedPerson/{}", uuid::Uuid::now_v7());
    let cases: Vec<(&str, Value, &str)> = vec![
        ("status", json!("finished"), "Encounter.status"),
        ("type", json!([{ "text": "Picnic" }]), "Encounter.type"),
        ("period", json!({}), "Encounter.period.start"),
        ("period", json!({ "start": far }), "Encounter.period.start"),
        ("period", json!({ "start": format!("{day}T14:30:20Z") }), "Encounter.period.start"),
        ("period", json!({ "start": start, "end": format!("{day}T15:30:00Z") }), "Encounter.period.end"),
        ("location", json!([]), "Encounter.location"),
        (
            "participant",
            json!([{ "individual": { "reference": member_ref },
                "extension": [{ "url": "https://carethread.app/fhir/StructureDefinition/attendance", "valueCode": "present" }] }]),
            "Encounter.participant[0].extension",
        ),
        ("extension", json!([]), "Encounter.extension"),
        ("participant", json!([{ "individual": { "reference": stranger } }]), "Encounter.participant[0].individual"),
        (
            "participant",
            json!([{ "individual": { "reference": "Organization/x" } }]),
            "Encounter.participant[0].individual",
        ),
        ("participant", json!([{ "individual": { "display": "" } }]), "Encounter.participant[0]"),
    ];
    for (element, value, at) in cases {
        let mut bad = encounter.clone();
        bad[element] = value;
        let (status, _, outcome) = send(&app, &kw, Method::POST, "/fhir/Encounter", Some(&bad), None).await;
        assert_eq!(
            (status, expression(&outcome)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(at)),
            "{element}: {outcome}"
        );
    }
    let mut misspelt = encounter.clone();
    misspelt["chair"] = json!("Priya");
    let (status, _, _) = send(&app, &kw, Method::POST, "/fhir/Encounter", Some(&misspelt), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown element is refused, not dropped");
    let outsider = token_for(&app, "demo-clinician").await;
    let (status, _, outcome) = send(&app, &outsider, Method::POST, "/fhir/Encounter", Some(&encounter), None).await;
    assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some("Encounter.subject")));
    let supporter = token_for(&app, "demo-supporter").await;
    let (status, _, _) = send(&app, &supporter, Method::POST, "/fhir/Encounter", Some(&encounter), None).await;
    assert!(status.is_client_error(), "a supporter does not schedule reviews ({status})");
    assert_eq!(reviews(&app, &kw, &person).await, before + 2, "no refused Encounter scheduled anything");
}

/// Schedules a review of `person`'s case through FHIR: its id.
async fn schedule(app: &TestApp, token: &str, person: &str) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(14);
    let encounter = json!({
        "resourceType": "Encounter",
        "status": "planned",
        "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
        "type": [{ "text": "Key-worker conversation" }],
        "subject": { "reference": format!("Patient/{person}") },
        "period": { "start": format!("{day}T10:00:00Z") },
        "location": [{ "location": { "display": "Home" } }],
        "extension": [{ "url": "https://carethread.app/fhir/StructureDefinition/review-chair", "valueString": "Sam" }]
    });
    let (status, _, written) = send(app, token, Method::POST, "/fhir/Encounter", Some(&encounter), None).await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    written["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn a_prompt_sheet_filled_in_through_fhir_shows_on_the_review_and_changes_only_from_its_version() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let (_, found) = get(&app, &kw, "/fhir/Patient?name=jordan").await;
    let jordan = found["entry"][0]["resource"]["id"].as_str().expect("Jordan").to_string();
    let review = schedule(&app, &kw, &jordan).await;
    let sheet = json!({
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "https://carethread.app/fhir/Questionnaire/prompt-sheet",
        "status": "completed",
        "subject": { "reference": format!("Patient/{jordan}") },
        "encounter": { "reference": format!("Encounter/{review}") },
        "item": [
            { "linkId": "joining-in", "item": [
                { "linkId": "joining-in.going-well", "answer": [{ "valueString": "Cooking for my friends" }] }
            ] },
            { "linkId": "who-i-want-there", "answer": [{ "valueString": "Mum and my key worker" }] }
        ]
    });

    // Jordan fills in his own sheet.
    let me = token_for(&app, "demo-person").await;
    let (status, etag, written) =
        send(&app, &me, Method::POST, "/fhir/QuestionnaireResponse", Some(&sheet), None).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::CREATED, Some("W/\"1\"")), "{written}");
    assert_eq!(written["id"], review.as_str(), "a review's sheet has the review's id");
    let staff = app.signed_in("demo-keyworker").await;
    let page_path = format!("/people/{jordan}/reviews/{review}");
    let (_, page) = app.get(&staff, &page_path).await;
    assert!(page.contains("Cooking for my friends") && page.contains("Mum and my key worker"));
    let (status, _, outcome) = send(&app, &me, Method::POST, "/fhir/QuestionnaireResponse", Some(&sheet), None).await;
    assert_eq!(status, StatusCode::CONFLICT, "a second sheet is not made: {outcome}");

    // His key worker changes it from version 1; the same from version 1 again is stale.
    let path = format!("/fhir/QuestionnaireResponse/{review}");
    let mut changed = written.clone();
    changed["item"][0]["item"][0]["answer"][0]["valueString"] = "Cooking pasta for my friends".into();
    let (status, etag, now) = send(&app, &kw, Method::PUT, &path, Some(&changed), Some("W/\"1\"")).await;
    assert_eq!((status, etag.as_deref()), (StatusCode::OK, Some("W/\"2\"")), "{now}");
    let mut late = written.clone();
    late["item"][0]["item"][0]["answer"][0]["valueString"] = "From an old version".into();
    let (status, _, _) = send(&app, &kw, Method::PUT, &path, Some(&late), Some("W/\"1\"")).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(send(&app, &kw, Method::PUT, &path, Some(&changed), None).await.0, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(get(&app, &kw, &path).await.1, now, "the refused writes changed nothing");
    assert_eq!(get(&app, &kw, &format!("{path}/_history/2")).await, (StatusCode::OK, now.clone()));
    assert_eq!(get(&app, &kw, &format!("{path}/_history/1")).await, (StatusCode::OK, written.clone()), "as first sent");
    let (_, history) = get(&app, &kw, &format!("{path}/_history")).await;
    assert_eq!(history["total"], 2, "{history}");
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(get(&app, &outsider, &format!("{path}/_history")).await.0, StatusCode::NOT_FOUND);

    // The page's form is opened at version 2: a form opened before that is refused too.
    let form_path = format!("{page_path}/prompt-sheet");
    let (_, form) = app.get(&staff, &form_path).await;
    assert_eq!(form_value(&form, "version").as_deref(), Some("2"));
    let stale_form =
        app.post_form(&staff, &form_path, &form_path, &[("version", "1"), ("who-i-want-there", "Nobody")]).await;
    assert_eq!(stale_form.status(), StatusCode::CONFLICT);
    assert_eq!(get(&app, &kw, &path).await.1, now);

    // Refused by element, with nothing written.
    let mut bad_cases: Vec<(Value, &str)> = Vec::new();
    let mut unknown = changed.clone();
    unknown["item"][1]["linkId"] = "favourite-colour".into();
    bad_cases.push((unknown, "QuestionnaireResponse.item[1].linkId"));
    let mut two = changed.clone();
    two["item"][1]["answer"] = json!([{ "valueString": "Mum" }, { "valueString": "Dad" }]);
    bad_cases.push((two, "QuestionnaireResponse.item[1].answer"));
    let mut draft = changed.clone();
    draft["status"] = "in-progress".into();
    bad_cases.push((draft, "QuestionnaireResponse.status"));
    let mut empty = changed.clone();
    empty["item"] = json!([]);
    bad_cases.push((empty, "QuestionnaireResponse.item"));
    let mut long = changed.clone();
    long["item"][1]["answer"][0]["valueString"] = "x".repeat(5000).into();
    bad_cases.push((long, "QuestionnaireResponse.item"));
    let mut other_review = changed.clone();
    other_review["encounter"]["reference"] = format!("Encounter/{}", uuid::Uuid::now_v7()).into();
    bad_cases.push((other_review, "QuestionnaireResponse.encounter"));
    for (body, at) in bad_cases {
        let (status, _, outcome) = send(&app, &kw, Method::PUT, &path, Some(&body), Some("W/\"2\"")).await;
        assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some(at)), "{outcome}");
    }
    assert_eq!(get(&app, &kw, &path).await.1, now);
    let outsider = token_for(&app, "demo-clinician").await;
    let (status, _, outcome) =
        send(&app, &outsider, Method::POST, "/fhir/QuestionnaireResponse", Some(&sheet), None).await;
    assert_eq!(
        (status, expression(&outcome)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("QuestionnaireResponse.encounter"))
    );
    assert_eq!(
        send(&app, &outsider, Method::PUT, &path, Some(&changed), Some("W/\"2\"")).await.0,
        StatusCode::NOT_FOUND
    );
}

/// POSTs `body` to `path` with an If-None-Exist condition: the status, the id answered, the body.
async fn create_unless(app: &TestApp, token: &str, path: &str, body: &Value, condition: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .header("if-none-exist", condition)
        .body(body.to_string())
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

#[tokio::test]
async fn if_none_exist_creates_a_review_once_and_refuses_a_condition_that_matches_many() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let person = aisha(&app, &kw).await;
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(45);
    let encounter = json!({
        "resourceType": "Encounter",
        "status": "planned",
        "class": { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB" },
        "type": [{ "text": "Team discussion" }],
        "subject": { "reference": format!("Patient/{person}") },
        "period": { "start": format!("{day}T11:00:00Z") },
        "location": [{ "location": { "display": "Room 2" } }],
        "extension": [{ "url": "https://carethread.app/fhir/StructureDefinition/review-chair", "valueString": "Priya Nair" }]
    });
    let before = reviews(&app, &kw, &person).await;
    let condition = format!("patient={person}&date={day}");
    let (status, first) = create_unless(&app, &kw, "/fhir/Encounter", &encounter, &condition).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // Sent again (a client retrying after a lost answer): the review already there is the answer.
    let (status, again) = create_unless(&app, &kw, "/fhir/Encounter", &encounter, &condition).await;
    assert_eq!((status, &again["id"]), (StatusCode::OK, &first["id"]), "{again}");
    assert_eq!(reviews(&app, &kw, &person).await, before + 1);
    // The same, as an entry of a transaction.
    let bundle = json!({ "resourceType": "Bundle", "type": "transaction", "entry": [
        { "resource": encounter, "request": { "method": "POST", "url": "Encounter", "ifNoneExist": condition } }
    ] });
    let (status, reply) = crate::fhir_case::post(&app, kw.clone(), "/fhir", bundle).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["entry"][0]["response"]["status"], "200 OK");
    assert_eq!(reply["entry"][0]["resource"]["id"], first["id"]);
    assert_eq!(reviews(&app, &kw, &person).await, before + 1);

    // Six clients sending the same conditional create at once make one review between them.
    let other_day = day + chrono::Duration::days(1);
    let mut at_once = encounter.clone();
    at_once["period"]["start"] = json!(format!("{other_day}T11:00:00Z"));
    let condition = format!("patient={person}&date={other_day}");
    let at_once_send = || create_unless(&app, &kw, "/fhir/Encounter", &at_once, &condition);
    let (a, b, c, d, e, f) =
        tokio::join!(at_once_send(), at_once_send(), at_once_send(), at_once_send(), at_once_send(), at_once_send());
    let answers = [a, b, c, d, e, f];
    let mut statuses: Vec<u16> = answers.iter().map(|(s, _)| s.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 201], "{answers:?}");
    assert!(answers.iter().all(|(_, r)| r["id"] == answers[0].1["id"]), "all answer with the one review");
    assert_eq!(reviews(&app, &kw, &person).await, before + 2);

    // With two problem areas, a condition matching them both creates nothing.
    let problem = json!({
        "resourceType": "Condition",
        "code": { "text": "Hay fever" },
        "subject": { "reference": format!("Patient/{person}") },
        "note": [{ "text": "How it affects daily life: Stays in on high-pollen days" }]
    });
    let count = || async {
        get(&app, &kw, &format!("/fhir/Condition?patient={person}&_summary=count")).await.1["total"].clone()
    };
    assert_eq!(send(&app, &kw, Method::POST, "/fhir/Condition", Some(&problem), None).await.0, StatusCode::CREATED);
    let problems = count().await;
    assert!(problems.as_u64() >= Some(2), "{problems}");
    let (status, outcome) = create_unless(&app, &kw, "/fhir/Condition", &problem, &format!("patient={person}")).await;
    assert_eq!((status, expression(&outcome)), (StatusCode::PRECONDITION_FAILED, Some("If-None-Exist")), "{outcome}");
    // A parameter the search does not take is named, as in the search itself.
    let (status, outcome) = create_unless(&app, &kw, "/fhir/Condition", &problem, "shoe-size=9").await;
    assert_eq!((status, expression(&outcome)), (StatusCode::BAD_REQUEST, Some("shoe-size")), "{outcome}");
    let (status, outcome) = create_unless(&app, &kw, "/fhir/Condition", &problem, "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{outcome}");
    assert_eq!(count().await, problems, "none of these wrote anything");
    // No match: created.
    let nobody = format!("_id={}", uuid::Uuid::now_v7());
    let (status, made) = create_unless(&app, &kw, "/fhir/Condition", &problem, &nobody).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
}

#[tokio::test]
async fn a_reviews_minutes_written_through_fhir_are_the_minutes_on_its_page() {
    let app = TestApp::spawn().await;
    let kw = token_for(&app, "demo-keyworker").await;
    let (_, found) = get(&app, &kw, "/fhir/Patient?name=jordan").await;
    let jordan = found["entry"][0]["resource"]["id"].as_str().expect("Jordan").to_string();
    let review = schedule(&app, &kw, &jordan).await;
    let path = format!("/fhir/Composition/{review}");

    // Every review has its minutes, empty until written.
    let (status, etag, empty) = send(&app, &kw, Method::GET, &path, None, None).await;
    assert_eq!((status, &empty["status"]), (StatusCode::OK, &json!("preliminary")), "{empty}");
    assert!(empty.get("section").is_none());
    let version = etag.expect("etag");

    let themes = "https://carethread.app/fhir/CodeSystem/carethread-themes";
    let div = |text: &str| format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{text}</div>");
    let mut written = empty.clone();
    written["section"] = json!([
        { "title": "Joining in", "code": { "coding": [{ "system": themes, "code": "joining-in" }] },
          "section": [
            { "title": "Notes", "text": { "status": "additional", "div": div("Goes to the art group &amp; loves it") } },
            { "title": "Decisions", "text": { "status": "additional", "div": div("Ask about Thursday sessions") } }
          ] },
        { "title": "Keeping safe", "code": { "coding": [{ "system": themes, "code": "keeping-safe" }] },
          "emptyReason": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/list-empty-reason", "code": "notasked" }] },
          "text": { "status": "additional", "div": div("Not discussed at this review.") } }
    ]);
    let encounter_path = format!("/fhir/Encounter/{review}");
    let (_, encounter_etag_before, _) = send(&app, &kw, Method::GET, &encounter_path, None, None).await;
    let (status, etag, now) = send(&app, &kw, Method::PUT, &path, Some(&written), Some(&version)).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_ne!(etag.as_deref(), Some(version.as_str()), "a new version");
    let (_, encounter_etag_after, _) = send(&app, &kw, Method::GET, &encounter_path, None, None).await;
    assert_ne!(encounter_etag_after, encounter_etag_before, "any change to a review is a new version of its Encounter");
    let sections = now["section"].as_array().expect("sections");
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0]["section"][0]["text"]["div"], div("Goes to the art group &amp; loves it"));
    assert_eq!(sections[1]["emptyReason"]["coding"][0]["code"], "notasked");

    // On the review page, as if typed there.
    let staff = app.signed_in("demo-keyworker").await;
    let (_, page) = app.get(&staff, &format!("/people/{jordan}/reviews/{review}")).await;
    assert!(page.contains("Goes to the art group &#38; loves it") && page.contains("Ask about Thursday sessions"));
    // Read back and sent again, it changes nothing but the version.
    let (status, _, again) = send(&app, &kw, Method::PUT, &path, Some(&now), etag.as_deref()).await;
    assert_eq!((status, &again["section"]), (StatusCode::OK, &now["section"]), "{again}");

    // Only from the version read; a stale or missing If-Match writes nothing.
    assert_eq!(
        send(&app, &kw, Method::PUT, &path, Some(&written), Some(&version)).await.0,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(send(&app, &kw, Method::PUT, &path, Some(&written), None).await.0, StatusCode::PRECONDITION_REQUIRED);
    let current = format!("W/\"{}\"", again["meta"]["versionId"].as_str().expect("version"));
    let mut unknown_theme = again.clone();
    unknown_theme["section"][0]["code"]["coding"][0]["code"] = json!("gardening");
    let mut long = again.clone();
    long["section"][0]["section"][0]["text"]["div"] = json!(div(&"a".repeat(5000)));
    let mut marked_up = again.clone();
    marked_up["section"][0]["section"][0]["text"]["div"] = json!(div("<b>bold</b>"));
    let mut signed = again.clone();
    signed["status"] = json!("final");
    let mut other_review = again.clone();
    other_review["encounter"]["reference"] = json!(format!("Encounter/{}", uuid::Uuid::now_v7()));
    for (body, element) in [
        (unknown_theme, "Composition.section[0].code"),
        (long, "Composition.section"),
        (marked_up, "Composition.section[0].section[0].text.div"),
        (signed, "Composition.status"),
        (other_review, "Composition.encounter"),
    ] {
        let (status, _, outcome) = send(&app, &kw, Method::PUT, &path, Some(&body), Some(&current)).await;
        assert_eq!((status, expression(&outcome)), (StatusCode::UNPROCESSABLE_ENTITY, Some(element)), "{outcome}");
    }
    assert_eq!(get(&app, &kw, &path).await.1, again, "none of those wrote anything");
    let outsider = token_for(&app, "demo-clinician").await;
    assert_eq!(send(&app, &outsider, Method::PUT, &path, Some(&again), Some(&current)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, &kw, Method::POST, "/fhir/Composition", Some(&again), None).await.0,
        StatusCode::METHOD_NOT_ALLOWED
    );

    // Found by the person and by the review.
    let (_, by_person) = get(&app, &kw, &format!("/fhir/Composition?patient={jordan}&status=preliminary")).await;
    assert!(by_person["entry"].as_array().expect("entries").iter().any(|e| e["resource"]["id"] == review.as_str()));
    let (_, by_review) = get(&app, &kw, &format!("/fhir/Composition?encounter=Encounter/{review}")).await;
    assert_eq!(by_review["total"], 1);
}
