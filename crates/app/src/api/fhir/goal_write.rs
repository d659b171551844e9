//! Writing goals through FHIR: a new Goal joins the person's plan, and a changed Goal changes it,
//! always in the plan's draft (started from the plan in force when there is none), by the goal
//! form's rules. A goal's steps are the plan's activities, written on the plan pages: a Goal sent
//! here keeps the steps it had. The person may write their own goals; their words are then
//! always their own.

use super::gate::Gate;
use super::{Caller, FhirError, SameRecord, created, if_match, parse_id, require_json, resource_response, stale};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::plan::consent::Section;
use carethread_domain::plan::{Goal, GoalChoices, PlanContent};
use carethread_domain::policy::Action;
use carethread_domain::tasks::Owner;
use carethread_fhir::careplan::{self as fhir_plan, GoalForm};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_fhir::search::Ref;
use carethread_store::{StoreError, people, plans, tasks, themes};
use uuid::Uuid;

/// How many times a write is tried again when someone else saved the plan in between.
const ATTEMPTS: usize = 3;

fn invalid_at(status: StatusCode, element: String, message: &str) -> FhirError {
    FhirError { status, outcome: OperationOutcome::at(IssueCode::Invariant, element, message) }
}

/// Who may support a step or take on a duty in the person's plan, as the plan's pages offer them.
pub(super) async fn supporters(
    state: &AppState,
    caller: &Caller,
    person: PersonId,
) -> Result<Vec<(Owner, String)>, FhirError> {
    let name = people::read(&state.db, &caller.audit(), person, "wrote in the plan through FHIR")
        .await?
        .details
        .display_name();
    Ok(tasks::owner_choices(&state.db, person)
        .await?
        .into_iter()
        .map(|c| if c.owner == Owner::Person { (Owner::Person, name.clone()) } else { (c.owner, c.label) })
        .collect())
}

/// The person's problem areas, which their goals may address.
pub(super) async fn problem_ids(state: &AppState, caller: &Caller, person: PersonId) -> Result<Vec<Uuid>, FhirError> {
    Ok(themes::problems(&state.db, &caller.audit(), person).await?.iter().map(|p| p.id).collect())
}

/// The goal in the body, checked by the goal form's rules for this person's plan, with the
/// steps `keep` (a changed goal keeps its steps).
async fn parse_goal(
    state: &AppState,
    caller: &Caller,
    person: PersonId,
    form: GoalForm,
    id: Uuid,
    keep: Option<&Goal>,
) -> Result<Goal, FhirError> {
    let supporters = supporters(state, caller, person).await?;
    let problems = problem_ids(state, caller, person).await?;
    let mut input = form.input;
    for (i, r) in form.addresses.iter().enumerate() {
        match Ref::parse(r, Some("Condition")).filter(|c| c.kind == "Condition") {
            Some(c) => input.problems.push(c.id.to_string()),
            None => {
                return Err(invalid_at(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("Goal.addresses[{i}]"),
                    "A goal addresses the person's Conditions.",
                ));
            }
        }
    }
    if let Some(old) = keep {
        input.steps = old.to_input().steps;
    }
    let choices = GoalChoices {
        supporters: &supporters,
        problems: &problems,
        written_by_person: caller.principal.person_id == Some(person),
    };
    input.parse(id, &choices).map_err(|e| FhirError::invalid(fhir_plan::goal_errors(&e)))
}

/// Applies `change` to the plan's working copy and saves it as the draft, trying again if
/// someone else saved in between; `change` may refuse, having seen the plan as it is now.
async fn save(
    state: &AppState,
    caller: &Caller,
    person: PersonId,
    what: &str,
    change: impl Fn(&mut PlanContent) -> Result<(), FhirError>,
) -> Result<(), FhirError> {
    let audit = caller.audit();
    for _ in 0..ATTEMPTS {
        let plan = plans::plan(&state.db, &audit, person, "read the plan to change it through FHIR").await?;
        let (mut content, lock) = plan.working_copy();
        change(&mut content)?;
        match plans::save_draft(&state.db, &audit, person, lock, &content, what).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(_)) | Err(StoreError::StaleVersion { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(FhirError::new(
        StatusCode::CONFLICT,
        IssueCode::Conflict,
        "Others were changing the plan at the same moment; nothing was written. Try again.",
    ))
}

/// The goal as a read of it now answers.
async fn read_back(state: &AppState, caller: &Caller, id: Uuid) -> Result<(serde_json::Value, i64), FhirError> {
    let newest = super::careplan::goal_versions(state, caller, &id.to_string(), super::careplan::History::Current)
        .await?
        .into_iter()
        .next();
    let goal = newest.ok_or_else(|| FhirError::not_found("Goal"))?;
    let version = goal["meta"]["versionId"].as_str().and_then(|v| v.parse().ok()).unwrap_or(1);
    Ok((goal, version))
}

/// Adds a goal to the plan of the Patient the Goal's subject names.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let form = carethread_fhir::parse::json(&body).and_then(fhir_plan::goal_from_fhir).map_err(FhirError::invalid)?;
    let person =
        Gate::new(&state, &caller).writable(form.person.clone(), "Goal.subject", Action::WriteOwnWords).await?;
    let id = Uuid::now_v7();
    let goal = parse_goal(&state, &caller, person, form, id, None).await?;
    save(&state, &caller, person, "added a goal through FHIR", |content| {
        content.goals.push(goal.clone());
        Ok(())
    })
    .await?;
    let (goal, version) = read_back(&state, &caller, id).await?;
    Ok(created(&state, &headers, &goal, "Goal", id, version))
}

/// Changes a goal in the plan, only from the revision the client read (If-Match).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Goal")?;
    let person = plans::person_of_goal(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Goal"))?;
    let mut gate = Gate::new(&state, &caller);
    gate.admit(person, Action::ReadSection(Section::Goals), "Goal").await?;
    gate.admit(person, Action::WriteOwnWords, "Goal").await?;
    require_json(&headers)?;
    let base = if_match(&headers)?;
    let form = carethread_fhir::parse::json(&body).and_then(fhir_plan::goal_from_fhir).map_err(FhirError::invalid)?;
    SameRecord { raw: &raw, person, subject: "Goal.subject" }
        .check(form.id.as_deref(), form.person.as_ref().map(|r| r.id))?;
    let plan = plans::plan(&state.db, &caller.audit(), person, "read the plan to change a goal through FHIR").await?;
    let (now, _) = plan.working_copy();
    let current = current_goal(&now, id, base)?;
    let changed = parse_goal(&state, &caller, person, form, id, Some(current)).await?;
    save(&state, &caller, person, "changed a goal through FHIR", |content| {
        // Checked again against the plan as it is at the moment of saving.
        current_goal(content, id, base)?;
        if let Some(slot) = content.goals.iter_mut().find(|g| g.id == id) {
            *slot = changed.clone();
        }
        Ok(())
    })
    .await?;
    let (goal, version) = read_back(&state, &caller, id).await?;
    Ok(resource_response(StatusCode::OK, &goal, Some(version)))
}

/// The goal as the plan now says it, if it is still at the revision the client read.
fn current_goal(content: &PlanContent, id: Uuid, base: i64) -> Result<&Goal, FhirError> {
    let goal = content.goal(id).ok_or_else(|| {
        invalid_at(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Goal.id".into(),
            "This goal is no longer in the plan: a later version took it out. Add it again as a new goal.",
        )
    })?;
    if i64::from(goal.revision) != base {
        return Err(stale("Goal", base, i64::from(goal.revision)));
    }
    Ok(goal)
}
