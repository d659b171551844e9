//! CarePlan and Goal: read, vread, history, search, and `_include` of a plan's goals and care
//! team. Staff with a working relationship (and the person) see every version of the plan;
//! someone the person shares parts of their plan with sees only the plan people follow now, and
//! only the parts shared with them.

use super::careteam;
use super::gate::Gate;
use super::history::{self, Historic};
use super::{
    Caller, FhirError, base_url, page_of, pairs, parse_id, parse_search, resource_response, search_answer,
    searchset_response,
};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::Action;
use carethread_domain::themes::Theme;
use carethread_fhir::bundle::Total;
use carethread_fhir::careplan::{self as fhir_plan, CAREPLAN_SEARCH, GOAL_SEARCH, Part, StoredGoal, StoredPlan};
use carethread_store::plans::{self, PlanVersion};
use serde_json::Value;
use uuid::Uuid;

/// Someone who may read any part of the plan may search for it.
pub(super) const PLAN_SECTIONS: [Action; 3] = [
    Action::ReadSection(Section::Goals),
    Action::ReadSection(Section::Management),
    Action::ReadSection(Section::Escalation),
];

fn part_action(part: Part) -> Action {
    Action::ReadSection(match part {
        Part::CareAndSupport => Section::Goals,
        Part::Management => Section::Management,
        Part::Escalation => Section::Escalation,
    })
}

/// The versions of the person's plan the caller may see, newest first, each with the version it
/// replaced.
pub(super) async fn visible_versions(
    state: &AppState,
    caller: &Caller,
    gate: &mut Gate<'_>,
    person: PersonId,
) -> Result<Vec<(PlanVersion, Option<Uuid>)>, FhirError> {
    let plan = plans::plan(&state.db, &caller.audit(), person, "read the plan through FHIR").await?;
    let previous = |v: &PlanVersion| plan.version(v.number - 1).map(|p| p.id);
    if gate.allows(person, Action::ReadPerson).await? {
        Ok(plan.versions.iter().map(|v| (v.clone(), previous(v))).collect())
    } else {
        Ok(plan.current().map(|v| (v.clone(), previous(v))).into_iter().collect())
    }
}

fn stored<'a>(person: PersonId, v: &'a PlanVersion, replaces: Option<Uuid>) -> StoredPlan<'a> {
    StoredPlan {
        version_id: v.id,
        person_id: person.as_uuid(),
        number: v.number,
        status: v.status,
        content: &v.content,
        agreement: v.agreement.as_ref(),
        review_due: v.review_due,
        replaces,
        created_at: v.created_at,
        updated_at: v.updated_at,
        version: v.version,
    }
}

/// Every CarePlan of the person the caller may see, with the number of its plan version.
pub(super) async fn care_plans(
    state: &AppState,
    caller: &Caller,
    gate: &mut Gate<'_>,
    person: PersonId,
) -> Result<Vec<(i32, Value)>, FhirError> {
    let versions = visible_versions(state, caller, gate, person).await?;
    care_plans_of(gate, person, &versions).await
}

/// The CarePlans of plan versions already read (see [`visible_versions`]) that the caller may see.
pub(super) async fn care_plans_of(
    gate: &mut Gate<'_>,
    person: PersonId,
    versions: &[(PlanVersion, Option<Uuid>)],
) -> Result<Vec<(i32, Value)>, FhirError> {
    let mut out = Vec::new();
    for (v, replaces) in versions {
        let s = stored(person, v, *replaces);
        for part in s.parts() {
            if gate.allows(person, part_action(part)).await? {
                out.push((v.number, fhir_plan::to_fhir(&s, part)));
            }
        }
    }
    Ok(out)
}

/// One version of a Goal: the goal as it read, and the plan versions that stated it so.
pub(super) struct GoalVersion {
    pub resource: Value,
    pub plan_numbers: Vec<i32>,
}

/// Each goal of the person's plan the caller may see, with its versions newest first: (goal id,
/// versions). A goal that says the same in two plan versions is one version of the Goal, and the
/// newest statement of it stands for it.
pub(super) async fn goals(
    state: &AppState,
    caller: &Caller,
    gate: &mut Gate<'_>,
    person: PersonId,
) -> Result<Vec<(Uuid, Vec<GoalVersion>)>, FhirError> {
    if !gate.allows(person, Action::ReadSection(Section::Goals)).await? {
        return Ok(Vec::new());
    }
    Ok(goals_of(person, &visible_versions(state, caller, gate, person).await?))
}

/// The goals stated in plan versions already read (see [`visible_versions`]), each with its
/// versions newest first, for a caller the policy lets read the plan's goals.
pub(super) fn goals_of(person: PersonId, versions: &[(PlanVersion, Option<Uuid>)]) -> Vec<(Uuid, Vec<GoalVersion>)> {
    let mut out: Vec<(Uuid, Vec<GoalVersion>)> = Vec::new();
    for (v, _) in versions {
        for g in &v.content.goals {
            let r =
                fhir_plan::goal_to_fhir(&StoredGoal { goal: g, person_id: person.as_uuid(), updated_at: v.updated_at });
            let versions = match out.iter_mut().find(|(id, _)| *id == g.id) {
                Some((_, versions)) => versions,
                None => {
                    out.push((g.id, Vec::new()));
                    &mut out.last_mut().expect("just pushed").1
                }
            };
            match versions.iter_mut().find(|known| known.resource["meta"]["versionId"] == r["meta"]["versionId"]) {
                Some(known) => known.plan_numbers.push(v.number),
                None => versions.push(GoalVersion { resource: r, plan_numbers: vec![v.number] }),
            }
        }
    }
    out
}

/// Just the resources, newest first.
fn resources(versions: Vec<GoalVersion>) -> Vec<Value> {
    versions.into_iter().map(|v| v.resource).collect()
}

fn version_of(r: &Value) -> Option<i64> {
    r["meta"]["versionId"].as_str().and_then(|v| v.parse().ok())
}

pub async fn read_care_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let (version_id, part) = Part::parse_id(&raw).ok_or_else(|| FhirError::not_found("CarePlan"))?;
    let plans = state
        .in_one_snapshot(async |state| {
            let person = plans::person_of_version(&state.db, version_id)
                .await?
                .ok_or_else(|| FhirError::not_found("CarePlan"))?;
            let mut gate = Gate::new(state, &caller);
            gate.admit(person, part_action(part), "CarePlan").await?;
            care_plans(state, &caller, &mut gate, person).await
        })
        .await?;
    let plan = plans
        .into_iter()
        .map(|(_, r)| r)
        .find(|r| r["id"] == raw.as_str())
        .ok_or_else(|| FhirError::not_found("CarePlan"))?;
    Ok(resource_response(StatusCode::OK, &plan, version_of(&plan)))
}

/// Each state of one CarePlan the caller may see, newest first. Staff and the person see every
/// state the plan version has been in (a draft's edits, its agreement, its coming into force and
/// its replacement); a supporter sees the plan in force as it is now.
async fn care_plan_states(state: &AppState, caller: &Caller, raw: &str) -> Result<Vec<Value>, FhirError> {
    let (version_id, part) = Part::parse_id(raw).ok_or_else(|| FhirError::not_found("CarePlan"))?;
    let person =
        plans::person_of_version(&state.db, version_id).await?.ok_or_else(|| FhirError::not_found("CarePlan"))?;
    let mut gate = Gate::new(state, caller);
    gate.admit(person, part_action(part), "CarePlan").await?;
    let (v, replaces) = visible_versions(state, caller, &mut gate, person)
        .await?
        .into_iter()
        .find(|(v, _)| v.id == version_id)
        .ok_or_else(|| FhirError::not_found("CarePlan"))?;
    let now = stored(person, &v, replaces);
    if !gate.allows(person, Action::ReadPerson).await? {
        return Ok(now.parts().contains(&part).then(|| fhir_plan::to_fhir(&now, part)).into_iter().collect());
    }
    let states = plans::version_states(&state.db, &caller.audit(), person, version_id).await?;
    let mut out: Vec<Value> = states
        .iter()
        .filter_map(|st| {
            let s = StoredPlan {
                status: st.status,
                content: &st.content,
                agreement: st.agreement.as_ref(),
                review_due: st.review_due,
                updated_at: st.at,
                version: st.version,
                ..stored(person, &v, replaces)
            };
            s.parts().contains(&part).then(|| fhir_plan::to_fhir(&s, part))
        })
        .collect();
    out.reverse();
    Ok(out)
}

pub async fn vread_care_plan(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, FhirError> {
    let states = care_plan_states(&state, &caller, &raw).await?;
    history::vread(&kept(states), &version, "CarePlan")
}

/// A plan's versions are never taken off the record: each is kept as it read.
fn kept(versions: Vec<Value>) -> Vec<Historic> {
    versions.into_iter().map(Historic::Kept).collect()
}

/// A CarePlan's history: each state of its plan version, newest first.
pub async fn care_plan_history(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let states = care_plan_states(&state, &caller, &raw).await?;
    Ok(history::response(&base_url(&state, &headers), "CarePlan", &raw, kept(states)))
}

pub async fn search_care_plans(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&CAREPLAN_SEARCH, &query, &headers)?;
    let (page, total, included) =
        state.in_one_snapshot(async |state| matching_care_plans(state, &caller, &s).await).await?;
    let page = page.into_iter().map(|(_, _, r)| r).collect();
    Ok(searchset_response(&base_url(&state, &headers), "CarePlan", query, &s.page, Total::Exact(total), page, included))
}

/// A CarePlan search's page of plan versions (with each one's person and number), its total,
/// and the resources its `_include`s add: everything the caller may see, read in the snapshot
/// `state` holds.
async fn matching_care_plans(
    state: &AppState,
    caller: &Caller,
    s: &carethread_fhir::search::Search,
) -> Result<(Vec<(PersonId, i32, Value)>, usize, Vec<Value>), FhirError> {
    let mut gate = Gate::new(state, caller);
    let mut found = Vec::new();
    for person in gate.people(s.patient, &PLAN_SECTIONS).await? {
        for (number, r) in care_plans(state, caller, &mut gate, person).await? {
            let status_ok = s.statuses.is_empty() || s.statuses.iter().any(|c| r["status"] == c.as_str());
            let category_ok = s.categories.is_empty()
                || s.categories.iter().any(|c| r["category"][0]["coding"][0]["code"] == c.as_str());
            if status_ok && category_ok && super::matches_common(s, &r) {
                found.push((person, number, r));
            }
        }
    }
    if let Some(direction) = s.page.sort_last_updated {
        found.sort_by_key(|(_, _, r)| r["meta"]["lastUpdated"].as_str().unwrap_or_default().to_string());
        if direction == carethread_fhir::search::Direction::Descending {
            found.reverse();
        }
    }
    let (page, total) = page_of(found, &s.page);
    let mut included: Vec<Value> = Vec::new();
    // Each person's goals are loaded once, however many of their plan versions are on the page.
    let mut goals_of: std::collections::HashMap<PersonId, Vec<(Uuid, Vec<GoalVersion>)>> = Default::default();
    for (person, number, r) in &page {
        let (person, number) = (*person, *number);
        if s.includes.iter().any(|i| i == "CarePlan:goal") {
            let wanted: Vec<&str> =
                r["goal"].as_array().into_iter().flatten().filter_map(|g| g["reference"].as_str()).collect();
            if let std::collections::hash_map::Entry::Vacant(slot) = goals_of.entry(person) {
                slot.insert(goals(state, caller, &mut gate, person).await?);
            }
            for (id, versions) in goals_of.get(&person).into_iter().flatten() {
                if !wanted.contains(&format!("Goal/{id}").as_str()) {
                    continue;
                }
                // The goal as this version of the plan states it.
                if let Some(g) = versions.iter().find(|g| g.plan_numbers.contains(&number))
                    && !included.iter().any(|i| i["resourceType"] == "Goal" && i["id"] == g.resource["id"])
                {
                    included.push(g.resource.clone());
                }
            }
        }
        if s.includes.iter().any(|i| i == "CarePlan:care-team")
            && r["careTeam"].is_array()
            && !included.iter().any(|i| i["resourceType"] == "CareTeam" && i["id"] == person.to_string().as_str())
            && gate.allows(person, Action::ReadSection(Section::Theme(Theme::CircleOfSupport))).await?
        {
            included.push(careteam::circle(state, caller, person).await?.0);
        }
    }
    Ok((page, total, included))
}

/// The goal's versions the caller may see, newest first, or not found.
/// How far back a read of a Goal looks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum History {
    /// What the plan's versions say of it now: enough for its current version.
    Current,
    /// Every revision, drafts' earlier states included (for history and vread).
    Every,
}

/// The versions of one Goal the caller may see, newest first. Staff and the person see each
/// revision the goal has had, drafts' included; a supporter sees the goal as the plan in force
/// states it.
pub(super) async fn goal_versions(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    history: History,
) -> Result<Vec<Value>, FhirError> {
    let id = parse_id(raw, "Goal")?;
    let person = plans::person_of_goal(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Goal"))?;
    let mut gate = Gate::new(state, caller);
    gate.admit(person, Action::ReadSection(Section::Goals), "Goal").await?;
    let mut versions = goals(state, caller, &mut gate, person)
        .await?
        .into_iter()
        .find(|(g, _)| *g == id)
        .map(|(_, versions)| resources(versions))
        .ok_or_else(|| FhirError::not_found("Goal"))?;
    if history == History::Every && gate.allows(person, Action::ReadPerson).await? {
        for (v, _) in visible_versions(state, caller, &mut gate, person).await? {
            for st in plans::version_states(&state.db, &caller.audit(), person, v.id).await? {
                let Some(g) = st.content.goal(id) else { continue };
                let r =
                    fhir_plan::goal_to_fhir(&StoredGoal { goal: g, person_id: person.as_uuid(), updated_at: st.at });
                if !versions.iter().any(|known| known["meta"]["versionId"] == r["meta"]["versionId"]) {
                    versions.push(r);
                }
            }
        }
        versions.sort_by_key(|r| std::cmp::Reverse(version_of(r)));
    }
    Ok(versions)
}

pub async fn read_goal(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let versions = goal_versions(&state, &caller, &raw, History::Current).await?;
    let goal = versions.first().ok_or_else(|| FhirError::not_found("Goal"))?;
    Ok(resource_response(StatusCode::OK, goal, version_of(goal)))
}

pub async fn vread_goal(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, FhirError> {
    let versions = goal_versions(&state, &caller, &raw, History::Every).await?;
    history::vread(&kept(versions), &version, "Goal")
}

/// A Goal's history: each revision of it the caller may see, newest first.
pub async fn goal_history(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let versions = goal_versions(&state, &caller, &raw, History::Every).await?;
    Ok(history::response(&base_url(&state, &headers), "Goal", &raw, kept(versions)))
}

pub async fn search_goals(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&GOAL_SEARCH, &query, &headers)?;
    let mut gate = Gate::new(&state, &caller);
    let mut found = Vec::new();
    for person in gate.people(s.patient, &PLAN_SECTIONS).await? {
        for (_, versions) in goals(&state, &caller, &mut gate, person).await? {
            let Some(g) = versions.into_iter().next().map(|v| v.resource) else { continue };
            if s.statuses.is_empty() || s.statuses.iter().any(|c| g["lifecycleStatus"] == c.as_str()) {
                found.push(g);
            }
        }
    }
    Ok(search_answer(&state, &headers, "Goal", query, &s, found))
}
