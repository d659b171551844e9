"""Independent checks of Carethread's FHIR R4 API, run by scripts/test against a live server.

Everything the server emits is validated with the fhir.resources R4B models (an independent
implementation of the FHIR specification), and the API is driven with fhirpy, a real FHIR
client: search with paging, create, and update with an ETag. Exits non-zero on the first
failure, saying what failed.

Usage: python fhir_check.py BASE_URL TOKEN
"""

import datetime
import importlib
import json
import sys

import requests
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.careteam import CareTeam
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.task import Task
from fhir.resources.R4B.valueset import ValueSet
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import MultipleResourcesFound

NHS = "https://fhir.nhs.uk/Id/nhs-number"
CANONICAL = "https://carethread.app/fhir"
checked = 0


def valid(model, data, what):
    """Validates one resource with the independent models; fails loudly with the reason."""
    global checked
    try:
        model.model_validate(data)
    except Exception as error:  # noqa: BLE001 - any validation error is a failure to report
        sys.exit(f"FAIL: {what} is not valid FHIR R4: {error}")
    checked += 1


def expect(condition, message):
    if not condition:
        sys.exit(f"FAIL: {message}")


def main(base, token):
    auth = {"Authorization": f"Bearer {token}"}
    fhir_json = {**auth, "Content-Type": "application/fhir+json"}

    metadata = requests.get(f"{base}/metadata", timeout=30)
    expect(metadata.status_code == 200, f"metadata answered {metadata.status_code}")
    valid(CapabilityStatement, metadata.json(), "the CapabilityStatement")

    for kind, model in [("CodeSystem", CodeSystem), ("ValueSet", ValueSet)]:
        listing = requests.get(f"{base}/{kind}", timeout=30).json()
        valid(Bundle, listing, f"the {kind} Bundle")
        expect(listing["total"] == 4, f"{listing['total']} {kind}s, expected themes, votes, plan parts, circle")
        for entry in listing["entry"]:
            valid(model, entry["resource"], f"{kind} {entry['resource']['id']}")

    questionnaire = requests.get(f"{base}/Questionnaire/prompt-sheet", timeout=30)
    expect(questionnaire.status_code == 200, f"the prompt sheet answered {questionnaire.status_code}")
    valid(importlib.import_module("fhir.resources.R4B.questionnaire").Questionnaire, questionnaire.json(),
          "the prompt sheet Questionnaire")

    client = SyncFHIRClient(base, authorization=f"Bearer {token}")

    # Search with paging: fetch_all follows the server's `next` links to the end.
    everyone = client.resources("Patient").limit(3).fetch_all()
    first_page = requests.get(f"{base}/Patient", params={"_count": "3"}, headers=auth, timeout=30).json()
    valid(Bundle, first_page, "a searchset Bundle")
    expect(len(everyone) == first_page["total"], f"paging found {len(everyone)} of {first_page['total']}")
    expect(len({p["id"] for p in everyone}) == len(everyone), "a person appeared on two pages")
    for p in everyone:
        valid(Patient, p.serialize(), f"Patient {p['id']}")

    # Create with the client, then read it back.
    created = client.resource(
        "Patient",
        identifier=[{"system": NHS, "value": "9990000999"}],
        name=[{"use": "official", "family": "Interop", "given": ["Check"]}],
        birthDate="1970-01-01",
    )
    created.save()
    expect(created.get("id"), "the created Patient has no id")
    read = requests.get(f"{base}/Patient/{created['id']}", headers=auth, timeout=30)
    valid(Patient, read.json(), "the created Patient")
    etag = read.headers.get("ETag")
    expect(etag == 'W/"1"', f"a new Patient's ETag is {etag}")

    # Update with If-Match through the client; a stale update is refused with an OperationOutcome.
    updating = SyncFHIRClient(base, authorization=f"Bearer {token}", extra_headers={"If-Match": etag})
    patient = updating.reference("Patient", created["id"]).to_resource()
    patient["name"] = [{"use": "official", "family": "Interop", "given": ["Checked"]}]
    patient.save()
    expect(patient["meta"]["versionId"] == "2", f"the update made version {patient['meta']['versionId']}")
    try:
        patient.save()
        sys.exit("FAIL: a stale If-Match was accepted")
    except MultipleResourcesFound as refused:
        # fhirpy reports any 412 this way; the body is the server's OperationOutcome.
        valid(OperationOutcome, json.loads(str(refused)), "the 412 OperationOutcome")

    # Bad input: each answer is a valid OperationOutcome naming the element.
    bad = requests.post(
        f"{base}/Patient",
        headers=fhir_json,
        json={"resourceType": "Patient", "identifier": [{"system": NHS, "value": "9990000998"}]},
        timeout=30,
    )
    expect(bad.status_code == 422, f"a bad check digit answered {bad.status_code}")
    outcome = bad.json()
    valid(OperationOutcome, outcome, "the OperationOutcome for a bad NHS number")
    named = [e for issue in outcome["issue"] for e in issue.get("expression", [])]
    expect("Patient.identifier[0].value" in named, f"the bad NHS number was not named: {named}")
    for body, status in [("{not json", 400), ('{"resourceType":"Patient","gender":"x"}', 400)]:
        r = requests.post(f"{base}/Patient", headers=fhir_json, data=body, timeout=30)
        expect(r.status_code == status, f"{body!r} answered {r.status_code}")
        valid(OperationOutcome, r.json(), f"the OperationOutcome for {body!r}")
    unknown = requests.get(f"{base}/Patient", params={"shoe-size": "9"}, headers=auth, timeout=30)
    expect(unknown.status_code == 400, f"an unknown search parameter answered {unknown.status_code}")
    valid(OperationOutcome, unknown.json(), "the OperationOutcome for an unknown parameter")
    anonymous = requests.get(f"{base}/Patient", timeout=30)
    expect(anonymous.status_code == 401, f"no token answered {anonymous.status_code}")
    valid(OperationOutcome, anonymous.json(), "the OperationOutcome for no token")

    case_resources = check_case_resources(base, auth, client)
    imported = check_import(base, auth, client)
    exported = check_export(base, auth)

    print(f"FHIR interoperability: {case_resources} case resources checked, a case of {imported} resources imported, {exported} export lines; {checked} resources valid (fhir.resources R4B); fhirpy searched {len(everyone)} patients over pages, created and updated one")


def unused_nhs_number(base, auth):
    """A valid NHS number in the 999 test range that no one here has yet."""
    import random
    while True:
        digits = [9, 9, 9] + [random.randint(0, 9) for _ in range(6)]
        check = 11 - sum(d * (10 - i) for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check == 10:
            continue
        number = "".join(map(str, digits)) + str(check)
        found = requests.get(f"{base}/Patient", params={"identifier": number}, headers=auth, timeout=30).json()
        if found["total"] == 0:
            return number


def check_import(base, auth, client):
    """A transaction Bundle imports a new case whole; one fault anywhere in it writes nothing."""
    number = unused_nhs_number(base, auth)
    entries = [
        ("urn:uuid:1a2b3c4d-0000-4000-8000-000000000001", {
            "resourceType": "Patient", "identifier": [{"system": NHS, "value": number}],
            "name": [{"use": "official", "family": "Imported", "given": ["Ines"]}], "birthDate": "1992-04-05"}),
        ("urn:uuid:1a2b3c4d-0000-4000-8000-000000000002", {
            "resourceType": "RelatedPerson", "patient": {"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000001"},
            "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                                          "code": "SIS", "display": "sister"}]}],
            "name": [{"given": ["Mara"], "family": "Imported"}]}),
        ("urn:uuid:1a2b3c4d-0000-4000-8000-000000000003", {
            "resourceType": "Condition", "code": {"text": "Asthma", "coding": [{"code": "195967001", "display": "Asthma"}]},
            "subject": {"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000001"},
            "note": [{"text": "Breathless on stairs"}]}),
        ("urn:uuid:1a2b3c4d-0000-4000-8000-000000000004", {
            "resourceType": "Goal", "lifecycleStatus": "active", "description": {"text": "Walk to the park"},
            "subject": {"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000001"},
            "expressedBy": {"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000001"},
            "addresses": [{"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000003"}],
            "note": [{"text": "What matters: Getting out with my sister"}]}),
        ("urn:uuid:1a2b3c4d-0000-4000-8000-000000000005", {
            "resourceType": "CarePlan", "status": "active", "intent": "plan",
            "subject": {"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000001"},
            "goal": [{"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000004"}],
            "activity": [{"detail": {"status": "not-started", "description": "Walk there together on Sundays",
                                     "goal": [{"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000004"}],
                                     "performer": [{"reference": "urn:uuid:1a2b3c4d-0000-4000-8000-000000000002"}]}}]}),
    ]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": url, "resource": resource, "request": {"method": "POST", "url": resource["resourceType"]}}
        for url, resource in entries]}
    valid(Bundle, bundle, "the transaction Bundle sent")
    headers = {**auth, "Content-Type": "application/fhir+json"}
    # One fault (a goal addressing a Condition not in the Bundle) refuses the whole Bundle.
    faulty = json.loads(json.dumps(bundle))
    faulty["entry"][3]["resource"]["addresses"][0]["reference"] = "urn:uuid:1a2b3c4d-0000-4000-8000-0000000000ff"
    refused = requests.post(base, headers=headers, json=faulty, timeout=30)
    expect(refused.status_code == 422, f"a faulty transaction answered {refused.status_code}")
    valid(OperationOutcome, refused.json(), "the OperationOutcome for a faulty transaction")
    found = requests.get(f"{base}/Patient", params={"identifier": number}, headers=auth, timeout=30).json()
    expect(found["total"] == 0, "a faulty transaction wrote the Patient")
    answer = requests.post(base, headers=headers, json=bundle, timeout=30)
    expect(answer.status_code == 200, f"the transaction answered {answer.status_code}: {answer.text[:300]}")
    reply = answer.json()
    valid(Bundle, reply, "the transaction-response")
    expect(reply["type"] == "transaction-response" and len(reply["entry"]) == len(entries), "the transaction-response")
    patient_id = reply["entry"][0]["response"]["location"].split("/")[1]
    conditions = client.resources("Condition").search(patient=patient_id).fetch_all()
    expect([c["code"]["text"] for c in conditions] == ["Asthma [195967001]"], "the imported Condition")
    goals = client.resources("Goal").search(patient=patient_id).fetch_all()
    expect(len(goals) == 1 and goals[0]["addresses"][0]["reference"] == f"Condition/{conditions[0]['id']}",
           "the imported Goal does not address the imported Condition")
    plan = requests.get(f"{base}/CarePlan", params={"patient": patient_id}, headers=auth, timeout=30).json()
    step = plan["entry"][0]["resource"]["activity"][0]["detail"]
    expect(step["performer"][0]["display"].startswith("Mara Imported"), f"the step's supporter: {step['performer']}")
    for entry in plan["entry"]:
        history = requests.get(f"{base}/CarePlan/{entry['resource']['id']}/_history", headers=auth, timeout=30).json()
        valid(Bundle, history, "a CarePlan history")
        for version in history["entry"]:
            valid(CarePlan, version["resource"], "a CarePlan version")
    check_change_transaction(base, auth, patient_id)
    return len(entries)


def check_change_transaction(base, auth, patient_id):
    """A transaction of changes to a case already here lands whole, or not at all."""
    headers = {**auth, "Content-Type": "application/fhir+json"}
    new_condition = "urn:uuid:1a2b3c4d-0000-4000-8000-000000000010"
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": new_condition, "request": {"method": "POST", "url": "Condition"}, "resource": {
            "resourceType": "Condition", "code": {"text": "Hay fever"},
            "subject": {"reference": f"Patient/{patient_id}"}, "note": [{"text": "Sneezes all through May"}]}},
        {"request": {"method": "POST", "url": "Goal"}, "resource": {
            "resourceType": "Goal", "lifecycleStatus": "active", "description": {"text": "Enjoy the park in May"},
            "subject": {"reference": f"Patient/{patient_id}"}, "addresses": [{"reference": new_condition}],
            "note": [{"text": "What matters: Being outside"}]}},
        {"request": {"method": "GET", "url": f"Condition?patient={patient_id}"}},
    ]}
    valid(Bundle, bundle, "a transaction of changes sent")
    names = lambda: [e["resource"]["code"]["text"] for e in requests.get(
        f"{base}/Condition", params={"patient": patient_id}, headers=auth, timeout=30).json().get("entry", [])]
    faulty = json.loads(json.dumps(bundle))
    faulty["entry"][1]["resource"]["lifecycleStatus"] = "sometime"
    refused = requests.post(base, headers=headers, json=faulty, timeout=30)
    expect(refused.status_code in (400, 422), f"a faulty transaction of changes answered {refused.status_code}")
    valid(OperationOutcome, refused.json(), "the OperationOutcome for a faulty transaction of changes")
    named = [e for issue in refused.json()["issue"] for e in issue.get("expression", [])]
    expect(any(e.startswith("Bundle.entry[1]") for e in named), f"the faulty entry was not named: {named}")
    expect("Hay fever" not in names(), "a faulty transaction of changes wrote the Condition before the fault")
    answer = requests.post(base, headers=headers, json=bundle, timeout=30)
    expect(answer.status_code == 200, f"the transaction of changes answered {answer.status_code}: {answer.text[:300]}")
    reply = answer.json()
    valid(Bundle, reply, "the transaction-response to changes")
    statuses = [e["response"]["status"] for e in reply["entry"]]
    expect(statuses == ["201 Created", "201 Created", "200 OK"], f"the entries answered {statuses}")
    expect(reply["entry"][1]["resource"]["addresses"][0]["reference"] == f"Condition/{reply['entry'][0]['resource']['id']}",
           "the new Goal does not address the new Condition")
    expect("Hay fever" in names(), "the transaction of changes did not write the Condition")


def check_case_resources(base, auth, client):
    """CarePlan, Goal, CareTeam and Task: every one the key worker can see is valid, reads back by
    id with its ETag, and the searches filter and include what they say."""
    plans = client.resources("CarePlan").limit(2).fetch_all()
    expect(plans, "the key worker sees no CarePlan in the demo")
    kinds = set()
    for plan in plans:
        data = plan.serialize()
        valid(CarePlan, data, f"CarePlan {data['id']}")
        kinds.add(data["category"][0]["coding"][0]["code"])
        read = requests.get(f"{base}/CarePlan/{data['id']}", headers=auth, timeout=30)
        expect(read.status_code == 200 and read.headers.get("ETag") == f'W/"{data["meta"]["versionId"]}"',
               f"CarePlan {data['id']} read back {read.status_code} {read.headers.get('ETag')}")
    expect(kinds == {"care-and-support", "management", "escalation"}, f"plan parts seen: {kinds}")
    subject = plans[0]["subject"]["reference"]
    active = requests.get(f"{base}/CarePlan", headers=auth, timeout=30, params=[
        ("subject", subject), ("status", "active"), ("category", "care-and-support"),
        ("_include", "CarePlan:goal"), ("_include", "CarePlan:care-team")]).json()
    valid(Bundle, active, "the CarePlan searchset with _include")
    matches = [e["resource"] for e in active["entry"] if e["search"]["mode"] == "match"]
    included = [e["resource"] for e in active["entry"] if e["search"]["mode"] == "include"]
    expect(len(matches) == 1 and matches[0]["status"] == "active", f"active plans of {subject}: {len(matches)}")
    wanted = {g["reference"] for g in matches[0].get("goal", [])}
    got = {f"Goal/{r['id']}" for r in included if r["resourceType"] == "Goal"}
    expect(wanted and wanted == got, f"_include=CarePlan:goal brought {got}, the plan names {wanted}")
    teams = [r for r in included if r["resourceType"] == "CareTeam"]
    expect(len(teams) == 1, "_include=CarePlan:care-team did not bring the circle of support")
    valid(CareTeam, teams[0], "the included CareTeam")
    for goal in included:
        if goal["resourceType"] == "Goal":
            valid(Goal, goal, f"Goal {goal['id']}")
            history = requests.get(f"{base}/Goal/{goal['id']}/_history", headers=auth, timeout=30).json()
            valid(Bundle, history, f"the history of Goal {goal['id']}")
            for entry in history["entry"]:
                valid(Goal, entry["resource"], f"a version of Goal {goal['id']}")
    keyworker = next(p["member"]["reference"] for p in teams[0]["participant"] if p["role"][0].get("text") == "Key worker")
    open_tasks = client.resources("Task").search(owner=keyworker, status="requested,accepted,in-progress").limit(2).fetch_all()
    every_task = client.resources("Task").fetch_all()
    expect(every_task, "the key worker sees no Task in the demo")
    for task in every_task:
        valid(Task, task.serialize(), f"Task {task['id']}")
    expected = {t["id"] for t in every_task
                if t["owner"]["reference"] == keyworker and t["status"] in ("requested", "accepted", "in-progress")}
    expect({t["id"] for t in open_tasks} == expected,
           f"Task?owner={keyworker}&status=open found {len(open_tasks)}, expected {len(expected)}")
    for resource, params in [("CarePlan", {"status": "finished"}), ("Task", {"owner": "Group/1"}),
                             ("Goal", {"code": "x"})]:
        r = requests.get(f"{base}/{resource}", params=params, headers=auth, timeout=30)
        expect(r.status_code == 400, f"{resource}?{params} answered {r.status_code}")
        valid(OperationOutcome, r.json(), f"the OperationOutcome for {resource}?{params}")
    # A task written with the client, then changed with its ETag.
    new_task = client.resource(
        "Task", status="requested", intent="plan", description="Interop check: ring about the allotment",
        owner={"reference": keyworker}, restriction={"period": {"end": "2026-12-31"}}, **{"for": {"reference": subject}})
    new_task.save()
    valid(Task, new_task.serialize(), "the created Task")
    changing = SyncFHIRClient(base, authorization=auth["Authorization"],
                              extra_headers={"If-Match": f'W/"{new_task["meta"]["versionId"]}"'})
    task = changing.reference("Task", new_task["id"]).to_resource()
    task["status"] = "completed"
    task.save()
    expect(task["status"] == "completed" and task["meta"]["versionId"] == "2", "the Task update did not take")

    # The management plan in force, sent back through the client to start the next draft, which
    # is then changed with its ETag.
    # (Someone whose plan has no draft yet: the browser suite, run before, may have started one.)
    drafting = {p["subject"]["reference"] for p in client.resources("CarePlan").search(status="draft").fetch_all()}
    in_force = [p.serialize() for p in client.resources("CarePlan").search(status="active", category="management")
                .fetch_all() if p["subject"]["reference"] not in drafting]
    expect(in_force, "nobody has a management plan in force without a draft")
    body = {k: v for k, v in in_force[0].items() if k not in ("id", "meta")}
    body["status"] = "draft"
    body["activity"].append({"detail": {"status": "in-progress", "description": "Self-management: Interop check"}})
    draft = client.resource("CarePlan", **body)
    draft.save()
    valid(CarePlan, draft.serialize(), "the CarePlan draft created")
    expect(draft["status"] == "draft" and draft["meta"]["versionId"] == "1", "the CarePlan draft was not created")
    changing = SyncFHIRClient(base, authorization=auth["Authorization"],
                              extra_headers={"If-Match": f'W/"{draft["meta"]["versionId"]}"'})
    plan = changing.reference("CarePlan", draft["id"]).to_resource()
    plan["activity"].append({"detail": {"status": "in-progress", "description": "Social prescribing: Interop choir"}})
    plan.save()
    expect(plan["meta"]["versionId"] == "2"
           and any(a["detail"]["description"].endswith("Interop choir") for a in plan["activity"]),
           "the CarePlan update did not take")

    # A review scheduled with the client, and its prompt sheet filled in and then changed.
    day = (datetime.date.today() + datetime.timedelta(days=21)).isoformat()
    review = client.resource(
        "Encounter", status="planned", type=[{"text": "Key-worker conversation"}],
        **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}},
        subject={"reference": subject}, period={"start": f"{day}T10:30:00Z"},
        location=[{"location": {"display": "Interop café"}}],
        extension=[{"url": "https://carethread.app/fhir/StructureDefinition/review-chair", "valueString": "Interop"}])
    review.save()
    valid(Encounter, review.serialize(), "the scheduled Encounter")
    expect(review["period"]["start"] == f"{day}T10:30:00Z", f"the review's start: {review['period']}")
    sheet = client.resource(
        "QuestionnaireResponse", status="completed", questionnaire=f"{CANONICAL}/Questionnaire/prompt-sheet",
        subject={"reference": subject}, encounter={"reference": f"Encounter/{review['id']}"},
        item=[{"linkId": "who-i-want-there", "answer": [{"valueString": "Interop check"}]}])
    sheet.save()
    valid(QuestionnaireResponse, sheet.serialize(), "the QuestionnaireResponse created")
    changing = SyncFHIRClient(base, authorization=auth["Authorization"],
                              extra_headers={"If-Match": f'W/"{sheet["meta"]["versionId"]}"'})
    answers = changing.reference("QuestionnaireResponse", sheet["id"]).to_resource()
    answers["item"][0]["answer"][0]["valueString"] = "Interop check, changed"
    answers.save()
    expect(answers["meta"]["versionId"] == "2", "the QuestionnaireResponse update did not take")
    # Its minutes, written with the client from the version read.
    minutes = client.reference("Composition", review["id"]).to_resource()
    minutes["section"] = [{
        "title": "Joining in",
        "code": {"coding": [{"system": f"{CANONICAL}/CodeSystem/carethread-themes", "code": "joining-in"}]},
        "section": [{"title": "Notes", "text": {
            "status": "additional", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Interop choir on Fridays</div>'}}],
    }]
    writing = SyncFHIRClient(base, authorization=auth["Authorization"],
                             extra_headers={"If-Match": f'W/"{minutes["meta"]["versionId"]}"'})
    written = writing.resource("Composition", **minutes.serialize())
    written.save()
    valid(Composition, written.serialize(), "the Composition written")
    expect(written["section"][0]["section"][0]["text"]["div"].endswith("Interop choir on Fridays</div>"),
           "the minutes written did not read back")

    reviews = client.resources("Encounter").limit(1).fetch_all()
    expect(reviews, "the key worker sees no review (Encounter) in the demo")
    votes = 0
    for review in reviews:
        valid(Encounter, review.serialize(), f"Encounter {review['id']}")
        cast = client.resources("Observation").search(encounter=f"Encounter/{review['id']}").limit(10).fetch_all()
        for vote in cast:
            valid(Observation, vote.serialize(), f"Observation {vote['id']}")
            expect(vote["encounter"]["reference"] == f"Encounter/{review['id']}", "a vote of another review was found")
        # The democratic outcome: each attendee votes at most once on each theme, and only attendees vote.
        pairs = [(v["performer"][0].get("reference", v["performer"][0]["display"]), v["code"]["coding"][0]["code"])
                 for v in cast]
        expect(len(pairs) == len(set(pairs)), f"review {review['id']}: an attendee voted twice on a theme")
        attendees = {p["individual"].get("reference", p["individual"]["display"]) for p in review.get("participant", [])}
        expect({who for who, _ in pairs} <= attendees, f"review {review['id']}: a vote by someone not attending")
        votes += len(cast)
    # Follow every reference those resources make, and validate what each one names.
    seen = set()

    def collect(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "reference" and isinstance(inner, str):
                    seen.add(inner)
                else:
                    collect(inner)
        elif isinstance(value, list):
            for inner in value:
                collect(inner)

    subject = plans[0]["subject"]["reference"].split("/")[1]
    for kind in ["CarePlan", "Goal", "CareTeam", "Task", "Encounter", "Observation", "RelatedPerson", "Condition",
                 "Consent", "AuditEvent", "QuestionnaireResponse", "Composition", "Provenance"]:
        listing = requests.get(f"{base}/{kind}", params={"patient": subject}, headers=auth, timeout=30).json()
        valid(Bundle, listing, f"the {kind} searchset")
        for entry in listing.get("entry", []):
            module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
            valid(getattr(module, kind), entry["resource"], f"{kind} {entry['resource']['id']}")
            if kind in ("RelatedPerson", "Condition", "Task", "Consent", "QuestionnaireResponse"):
                history = requests.get(f"{base}/{kind}/{entry['resource']['id']}/_history", headers=auth, timeout=30)
                expect(history.status_code == 200, f"the history of {kind} {entry['resource']['id']}")
                valid(Bundle, history.json(), f"the history of {kind} {entry['resource']['id']}")
                for version in history.json()["entry"]:
                    if "resource" in version:
                        valid(getattr(module, kind), version["resource"], f"a version of {kind}")
        collect(requests.get(f"{base}/{kind}", params={"patient": subject, "_count": "1000"}, headers=auth, timeout=30).json())
    for reference in sorted(seen):
        kind = reference.split("/")[0]
        answer = requests.get(f"{base}/{reference}", headers=auth, timeout=30)
        if answer.status_code == 410:
            # Taken off the record since (Provenance names such records): gone, not unknown.
            valid(OperationOutcome, answer.json(), f"the 410 for {reference}")
            continue
        expect(answer.status_code == 200, f"{reference} cannot be followed: {answer.status_code}")
        module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
        valid(getattr(module, kind), answer.json(), reference)
    return len(plans) + len(included) + len(every_task) + len(reviews) + votes + len(seen)


def check_export(base, auth):
    """Bulk export: kick off, poll, and validate every NDJSON line with the R4B models."""
    import time
    kick = requests.get(f"{base}/$export", headers={**auth, "Prefer": "respond-async"}, timeout=30)
    expect(kick.status_code == 202, f"$export answered {kick.status_code}")
    status_url = kick.headers["Content-Location"]
    for _ in range(600):
        poll = requests.get(status_url, headers=auth, timeout=30)
        if poll.status_code != 202:
            break
        time.sleep(0.1)
    expect(poll.status_code == 200, f"the export status answered {poll.status_code}")
    lines = 0
    for output in poll.json()["output"]:
        module = importlib.import_module(f"fhir.resources.R4B.{output['type'].lower()}")
        text = requests.get(output["url"], headers=auth, timeout=60).text
        for number, line in enumerate(text.splitlines(), 1):
            valid(getattr(module, output["type"]), json.loads(line), f"{output['type']} export line {number}")
            lines += 1
        expect(lines > 0, f"the {output['type']} file is empty")
    expect(requests.delete(status_url, headers=auth, timeout=30).status_code == 202, "the export could not be deleted")
    return lines


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
