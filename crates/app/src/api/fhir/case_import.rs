//! `POST /fhir` with a transaction Bundle that creates Patients: importing cases from another
//! system. The Bundle
//! creates people (Patient) with their circles of support (RelatedPerson, CareTeam), problem
//! areas (Condition) and the plan in their own words (CarePlan with its Goals). Every entry is
//! read and checked first; then all of it is written in one database transaction, so a Bundle
//! either arrives whole or leaves nothing behind.
//!
//! Entries refer to each other by their `fullUrl` (`urn:uuid:...`), as FHIR transactions do;
//! those references are rewritten to the ids Carethread gives the new records. A Bundle that
//! creates Patients only creates new cases; a transaction of changes to cases already here runs
//! its entries as ordinary requests instead (module `transaction`).

use super::{Caller, FhirError, resource_response};
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use carethread_domain::circle::{MemberDetails, MemberInput, Source};
use carethread_domain::plan::{EscalationInput, GoalChoices, ManagementInput, Ownership, PlanContent};
use carethread_domain::policy::{Action, Decision, decide};
use carethread_domain::problems::ProblemDetails;
use carethread_domain::tasks::Owner;
use carethread_domain::{PersonDetails, PersonId, TeamId, UserId};
use carethread_fhir::careplan::{self, GoalForm, Part, PartForm, PlanForm};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_fhir::search::Ref;
use carethread_fhir::{careteam, condition, directory, patient as fhir_patient};
use carethread_store::import::{self, NewCase};
use carethread_store::people;
use carethread_store::tasks;
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// What a transaction may create, in the order the records are written.
const TYPES: [&str; 6] = ["Patient", "RelatedPerson", "CareTeam", "Condition", "Goal", "CarePlan"];

fn refused(status: StatusCode, code: IssueCode, at: String, message: &str) -> FhirError {
    FhirError { status, outcome: OperationOutcome::at(code, at, message) }
}

fn entry_error(i: usize) -> impl Fn(OperationOutcome) -> FhirError {
    move |o| FhirError::invalid(o.within_entry(i))
}

/// One entry, read: its place in the Bundle, its type, and the id its record will have.
struct Item {
    index: usize,
    kind: &'static str,
    full_url: Option<String>,
    id: Uuid,
    resource: Value,
}

/// A case being put together from the entries that belong to one Patient.
struct CaseDraft {
    index: usize,
    details: PersonDetails,
    members: Vec<MemberDraft>,
    problems: Vec<(Uuid, ProblemDetails)>,
    goals: Vec<(usize, Uuid, GoalForm)>,
    plan: Option<(usize, Uuid, PlanForm)>,
    management: Option<(usize, ManagementInput)>,
    escalation: Option<(usize, EscalationInput)>,
}

/// A member of the circle, from a RelatedPerson entry or a CareTeam participant.
struct MemberDraft {
    id: Uuid,
    input: MemberInput,
    source_given: bool,
    /// Where to point an error: the entry and the element within it.
    index: usize,
    element: Option<String>,
}

pub async fn import(state: &AppState, caller: &Caller, entries: &[Value]) -> Result<Response, FhirError> {
    if let Decision::Deny(reason) = decide(&caller.principal, Action::RegisterPerson, None) {
        return Err(FhirError::new(StatusCode::FORBIDDEN, IssueCode::Forbidden, reason));
    }
    let mut items = read_entries(entries)?;
    resolve_references(&mut items)?;
    let org = caller.user.org();
    let staff = tasks::staff_and_teams(&state.db, org).await?;
    let allocation = super::patient::allocation(caller)?;
    // In the order the Patients were sent, so the first fault found is always the same one.
    let mut cases: Vec<(Uuid, CaseDraft)> = gather_cases(state, caller, &items, &staff).await?.into_iter().collect();
    cases.sort_by_key(|(_, case)| case.index);
    let mut new_cases = Vec::with_capacity(cases.len());
    for (person, case) in cases {
        new_cases.push(assemble(person, case, &staff)?);
    }
    import::cases(&state.db, &caller.audit(), org, allocation, &new_cases).await?;
    Ok(resource_response(StatusCode::OK, &response(&items, &new_cases), None))
}

/// Reads every entry's request and resource, giving each the id its record will have.
fn read_entries(entries: &[Value]) -> Result<Vec<Item>, FhirError> {
    let mut items = Vec::with_capacity(entries.len());
    let mut full_urls: Vec<&str> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = |e: &str| format!("Bundle.entry[{i}].{e}");
        let only_creates = "A transaction that creates Patients imports new cases: each entry is a POST creating \
            a Patient, RelatedPerson, CareTeam, Condition, Goal or CarePlan. Send changes to cases already here \
            in a transaction of their own.";
        let request = entry.get("request");
        if request.and_then(|r| r.get("method")).and_then(Value::as_str) != Some("POST") {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                IssueCode::NotSupported,
                at("request.method"),
                only_creates,
            ));
        }
        let url = request.and_then(|r| r.get("url")).and_then(Value::as_str).unwrap_or("").trim();
        let Some(kind) = TYPES.into_iter().find(|t| *t == url) else {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                IssueCode::NotSupported,
                at("request.url"),
                only_creates,
            ));
        };
        if request.and_then(|r| r.get("ifNoneExist")).is_some() {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                IssueCode::NotSupported,
                at("request.ifNoneExist"),
                "An import creates new records; a Patient already here is reported as a duplicate instead.",
            ));
        }
        let Some(resource) = entry.get("resource").filter(|r| r.is_object()) else {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                IssueCode::Required,
                at("resource"),
                "Each entry carries the resource it creates.",
            ));
        };
        if resource.get("resourceType").and_then(Value::as_str) != Some(kind) {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                IssueCode::Structure,
                at("resource.resourceType"),
                "The resource is of the type the request's url names.",
            ));
        }
        let mut own_url = None;
        if let Some(full_url) = entry.get("fullUrl") {
            let Some(full_url) = full_url.as_str().filter(|u| u.starts_with("urn:uuid:")) else {
                return Err(refused(
                    StatusCode::BAD_REQUEST,
                    IssueCode::Value,
                    at("fullUrl"),
                    "A new record's fullUrl is urn:uuid: followed by a UUID; other entries refer to it by that.",
                ));
            };
            if full_urls.contains(&full_url) {
                return Err(refused(
                    StatusCode::BAD_REQUEST,
                    IssueCode::Duplicate,
                    at("fullUrl"),
                    "Two entries have the same fullUrl.",
                ));
            }
            full_urls.push(full_url);
            own_url = Some(full_url.to_string());
        }
        items.push(Item { index: i, kind, full_url: own_url, id: Uuid::now_v7(), resource: resource.clone() });
    }
    Ok(items)
}

/// Rewrites references to other entries (`urn:uuid:...`) as references to the new records.
fn resolve_references(items: &mut [Item]) -> Result<(), FhirError> {
    let map: HashMap<String, String> =
        items.iter().filter_map(|i| i.full_url.clone().map(|u| (u, format!("{}/{}", i.kind, i.id)))).collect();
    for item in items.iter_mut() {
        let at = format!("Bundle.entry[{}].resource", item.index);
        carethread_fhir::bundle::rewrite_references(&mut item.resource, &at, &map).map_err(|element| {
            refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                IssueCode::NotFound,
                element,
                "This reference names no entry of the Bundle: refer to another entry by its fullUrl.",
            )
        })?;
    }
    Ok(())
}

/// Whose case an entry belongs to: a Patient created by this Bundle.
fn owner(
    cases: &HashMap<Uuid, CaseDraft>,
    index: usize,
    person: Option<Ref>,
    element: &str,
) -> Result<Uuid, FhirError> {
    person.filter(|r| r.kind == "Patient" && cases.contains_key(&r.id)).map(|r| r.id).ok_or_else(|| {
        refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            IssueCode::Invalid,
            format!("Bundle.entry[{index}].resource.{element}"),
            "A transaction imports new cases: each resource belongs to a Patient created in the same Bundle (refer to it by its fullUrl).",
        )
    })
}

/// Reads every resource and sorts it into the case of the Patient it belongs to.
async fn gather_cases(
    state: &AppState,
    caller: &Caller,
    items: &[Item],
    staff: &[tasks::OwnerChoice],
) -> Result<HashMap<Uuid, CaseDraft>, FhirError> {
    let today = crate::web::current_date();
    let org = caller.user.org();
    let mut cases: HashMap<Uuid, CaseDraft> = HashMap::new();
    for item in items.iter().filter(|i| i.kind == "Patient") {
        let patient: fhir_patient::Patient =
            carethread_fhir::parse::value_as(item.resource.clone(), "Patient").map_err(entry_error(item.index))?;
        let details = fhir_patient::from_fhir(&patient, today).map_err(entry_error(item.index))?;
        let duplicate = |message: &str| {
            refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                IssueCode::Duplicate,
                format!("Bundle.entry[{}].resource.identifier", item.index),
                message,
            )
        };
        if cases.values().any(|c| c.details.nhs_number == details.nhs_number) {
            return Err(duplicate("Two Patients in the Bundle have this NHS number."));
        }
        if people::id_by_nhs_number(&state.db, org, &details.nhs_number).await?.is_some() {
            return Err(duplicate(
                "A person with this NHS number is already registered here: nothing was imported. Leave them out, or add to their record instead.",
            ));
        }
        cases.insert(
            item.id,
            CaseDraft {
                index: item.index,
                details,
                members: vec![],
                problems: vec![],
                goals: vec![],
                plan: None,
                management: None,
                escalation: None,
            },
        );
    }
    for item in items.iter().filter(|i| i.kind == "RelatedPerson") {
        let form = directory::member_from_fhir(item.resource.clone()).map_err(entry_error(item.index))?;
        let person = owner(&cases, item.index, form.person, "patient")?;
        if let Some(case) = cases.get_mut(&person) {
            case.members.push(MemberDraft {
                id: item.id,
                input: form.input,
                source_given: form.source_given,
                index: item.index,
                element: None,
            });
        }
    }
    for item in items.iter().filter(|i| i.kind == "CareTeam") {
        let form = careteam::circle_from_fhir(item.resource.clone()).map_err(entry_error(item.index))?;
        let person = owner(&cases, item.index, form.person, "subject")?;
        let Some(case) = cases.get_mut(&person) else { continue };
        for (j, p) in form.participants.into_iter().enumerate() {
            let at = |e: &str| format!("Bundle.entry[{}].resource.participant[{j}].{e}", item.index);
            let named = p.member.as_deref().and_then(|r| Ref::parse(r, None));
            // The person is not in their own circle; this organisation's own staff and teams
            // are there through the case's allocation, not as members.
            let ours = named.as_ref().is_some_and(|r| match r.kind.as_str() {
                "Patient" => r.id == person,
                "Practitioner" => staff.iter().any(|c| c.owner == Owner::Staff(UserId::from_uuid(r.id))),
                "Organization" => staff.iter().any(|c| c.owner == Owner::Team(TeamId::from_uuid(r.id))),
                _ => false,
            });
            if ours {
                continue;
            }
            // A RelatedPerson of the Bundle: the role says where they come from, if they did not.
            if let Some(m) = named
                .as_ref()
                .filter(|r| r.kind == "RelatedPerson")
                .and_then(|r| case.members.iter_mut().find(|m| m.id == r.id))
            {
                if let Some(source) = p.source.filter(|_| !m.source_given) {
                    m.input.source = source;
                    m.source_given = true;
                }
                if m.input.relationship.trim().is_empty() {
                    m.input.relationship = p.relationship.unwrap_or_default();
                }
                continue;
            }
            // Anyone else joins the circle by the name and role given here.
            let name = p.name.filter(|n| !n.trim().is_empty()).ok_or_else(|| {
                refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    IssueCode::Required,
                    at("member.display"),
                    "Name them: someone who is not a RelatedPerson of the Bundle joins the circle by the name in member.display.",
                )
            })?;
            let professional = named.as_ref().is_some_and(|r| {
                matches!(r.kind.as_str(), "Practitioner" | "PractitionerRole" | "Organization" | "CareTeam")
            });
            let source = p.source.unwrap_or_else(|| {
                if professional { Source::Services } else { Source::PersonalNetwork }.slug().to_string()
            });
            case.members.push(MemberDraft {
                id: Uuid::now_v7(),
                input: MemberInput {
                    name,
                    relationship: p.relationship.unwrap_or_default(),
                    organisation: p.organisation.unwrap_or_default(),
                    source,
                    involvement: "regular".into(),
                    ..MemberInput::default()
                },
                source_given: true,
                index: item.index,
                element: Some(at("role")),
            });
        }
    }
    for item in items.iter().filter(|i| i.kind == "Condition") {
        let form = condition::from_fhir(item.resource.clone()).map_err(entry_error(item.index))?;
        let person = owner(&cases, item.index, form.person, "subject")?;
        let details = form.input.parse().map_err(|e| entry_error(item.index)(condition::form_errors(&e)))?;
        if let Some(case) = cases.get_mut(&person) {
            case.problems.push((item.id, details));
        }
    }
    for item in items.iter().filter(|i| i.kind == "Goal") {
        let form = careplan::goal_from_fhir(item.resource.clone()).map_err(entry_error(item.index))?;
        let person = owner(&cases, item.index, form.person.clone(), "subject")?;
        let Some(case) = cases.get_mut(&person) else { continue };
        for (k, r) in form.addresses.iter().enumerate() {
            let known = Ref::parse(r, None)
                .is_some_and(|c| c.kind == "Condition" && case.problems.iter().any(|(id, _)| *id == c.id));
            if !known {
                return Err(refused(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    IssueCode::Invalid,
                    format!("Bundle.entry[{}].resource.addresses[{k}]", item.index),
                    "A goal addresses the same person's Conditions, sent in the same Bundle.",
                ));
            }
        }
        case.goals.push((item.index, item.id, form));
    }
    for item in items.iter().filter(|i| i.kind == "CarePlan") {
        let part = careplan::part_from_fhir(item.resource.clone()).map_err(entry_error(item.index))?;
        let who = match &part {
            PartForm::CareAndSupport(form) => form.person.clone(),
            PartForm::Management(person, _) | PartForm::Escalation(person, _) => person.clone(),
        };
        let person = owner(&cases, item.index, who, "subject")?;
        let Some(case) = cases.get_mut(&person) else { continue };
        let twice = match part {
            PartForm::CareAndSupport(form) => case.plan.replace((item.index, item.id, form)).is_some(),
            PartForm::Management(_, input) => case.management.replace((item.index, input)).is_some(),
            PartForm::Escalation(_, input) => case.escalation.replace((item.index, input)).is_some(),
        };
        if twice {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                IssueCode::Invariant,
                format!("Bundle.entry[{}].resource", item.index),
                "A person has one plan, with at most one CarePlan for each part of it (care-and-support, management, escalation).",
            ));
        }
    }
    Ok(cases)
}

/// Checks one case by the same rules as the pages and turns it into what the store writes.
fn assemble(person: Uuid, case: CaseDraft, staff: &[tasks::OwnerChoice]) -> Result<NewCase, FhirError> {
    let mut members = Vec::with_capacity(case.members.len());
    for m in case.members {
        let details = m.input.parse().map_err(|e| {
            let outcome = directory::member_errors(&e);
            match &m.element {
                Some(at) => FhirError::invalid(OperationOutcome {
                    issue: outcome
                        .issue
                        .into_iter()
                        .map(|mut i| {
                            i.expression = vec![at.clone()];
                            i
                        })
                        .collect(),
                }),
                None => FhirError::invalid(outcome.within_entry(m.index)),
            }
        })?;
        members.push((m.id, details));
    }
    let mut supporters: Vec<(Owner, String)> = vec![(Owner::Person, case.details.display_name())];
    supporters.extend(members.iter().map(|(id, d): &(Uuid, MemberDetails)| (Owner::Member(*id), d.label())));
    supporters.extend(staff.iter().map(|c| (c.owner, c.label.clone())));
    let problem_ids: Vec<Uuid> = case.problems.iter().map(|(id, _)| *id).collect();
    let choices = GoalChoices { supporters: &supporters, problems: &problem_ids, written_by_person: false };

    let (plan_index, plan_id, plan_form) = match case.plan {
        Some((i, id, form)) => (Some(i), id, form),
        None => (
            None,
            Uuid::now_v7(),
            PlanForm { person: None, goals: vec![], steps: vec![], ownership: Ownership::Person },
        ),
    };
    let goal_index: HashMap<Uuid, usize> = case.goals.iter().map(|(i, id, _)| (*id, *i)).collect();
    let forms: Vec<(Uuid, GoalForm)> = case.goals.into_iter().map(|(_, id, form)| (id, form)).collect();
    let had_goals = !forms.is_empty();
    // Where an error belongs: the plan's own elements to the CarePlan entry, a goal's to its Goal.
    let place = |outcome: OperationOutcome, goal: Option<Uuid>| {
        let on_plan = outcome.issue.iter().any(|i| i.expression.iter().any(|e| e.starts_with("CarePlan")));
        let index = match (on_plan, plan_index, goal.and_then(|g| goal_index.get(&g))) {
            (true, Some(p), _) => p,
            (_, _, Some(g)) => *g,
            (_, Some(p), None) => p,
            _ => case.index,
        };
        FhirError::invalid(outcome.within_entry(index))
    };
    let inputs = careplan::goal_inputs(&plan_form, forms, person).map_err(|o| place(o, None))?;
    let mut goals = Vec::with_capacity(inputs.len());
    for (id, input) in inputs {
        goals.push(input.parse(id, &choices).map_err(|e| place(careplan::goal_errors(&e), Some(id)))?);
    }
    let management = match case.management {
        Some((i, input)) => {
            input.parse(&supporters).map_err(|e| FhirError::invalid(careplan::management_errors(&e).within_entry(i)))?
        }
        None => Default::default(),
    };
    let escalation = match case.escalation {
        Some((i, input)) => {
            input.parse().map_err(|e| FhirError::invalid(careplan::escalation_errors(&e).within_entry(i)))?
        }
        None => Default::default(),
    };
    let written = plan_index.is_some() || had_goals || !management.is_empty() || !escalation.is_empty();
    let content =
        PlanContent { goals, ownership: plan_form.ownership, management, escalation, ..PlanContent::default() };
    let plan = written.then_some((plan_id, content));
    Ok(NewCase { id: PersonId::from_uuid(person), details: case.details, members, problems: case.problems, plan })
}

/// The transaction-response: each entry's new record, in the order sent.
fn response(items: &[Item], cases: &[NewCase]) -> Value {
    let entries: Vec<Value> = items
        .iter()
        .map(|item| {
            let location = match item.kind {
                // The circle's id is its person's.
                "CareTeam" => {
                    let person =
                        cases.iter().find(|c| item_person(item) == Some(c.id.as_uuid())).map(|c| c.id.as_uuid());
                    format!("CareTeam/{}", person.unwrap_or(item.id))
                }
                // Each part of the plan is named after the plan version.
                "CarePlan" => {
                    let version = cases
                        .iter()
                        .find(|c| item_person(item) == Some(c.id.as_uuid()))
                        .and_then(|c| c.plan.as_ref())
                        .map_or(item.id, |(id, _)| *id);
                    let part = match careplan::part_from_fhir(item.resource.clone()) {
                        Ok(PartForm::Management(..)) => Part::Management,
                        Ok(PartForm::Escalation(..)) => Part::Escalation,
                        _ => Part::CareAndSupport,
                    };
                    format!("CarePlan/{}/_history/1", part.resource_id(version))
                }
                kind => format!("{kind}/{}/_history/1", item.id),
            };
            let mut answer = json!({ "status": "201 Created", "location": location });
            if item.kind != "CareTeam" {
                answer["etag"] = json!("W/\"1\"");
            }
            if item.kind == "CarePlan" {
                answer["outcome"] = serde_json::to_value(OperationOutcome::information(
                    "Imported as a draft: record the person's agreement in Carethread before the plan is followed.",
                ))
                .unwrap_or_default();
            }
            json!({ "response": answer })
        })
        .collect();
    json!({ "resourceType": "Bundle", "type": "transaction-response", "entry": entries })
}

fn item_person(item: &Item) -> Option<Uuid> {
    item.resource.pointer("/subject/reference").and_then(Value::as_str).and_then(|r| Ref::parse(r, None)).map(|r| r.id)
}
