//! Writing the plan's parts through FHIR. Only a draft ever changes: PUT a part of the draft
//! (with If-Match) to change it, or POST a part to start the next draft from the plan people
//! follow now. An agreed version never changes, and a draft comes into force only when the
//! person's agreement is recorded on the plan page, so every CarePlan sent here is a draft.
//!
//! Each part is checked by the rules of its page: the management and escalation plans as their
//! forms are; the plan in the person's own words says the order of its goals, each goal's steps
//! with who supports them, and whose plan it is. What a goal says is written on the Goal itself.

use super::gate::Gate;
use super::goal_write::{problem_ids, supporters};
use super::{Caller, FhirError, SameRecord, created, if_match, require_json, resource_response, stale};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::PersonId;
use carethread_domain::plan::consent::Section;
use carethread_domain::plan::lifecycle::PlanStatus;
use carethread_domain::plan::{Goal, GoalChoices, GoalInput, PlanContent};
use carethread_domain::policy::Action;
use carethread_fhir::careplan::{self as fhir_plan, GoalForm, Part, PartForm, PlanForm};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_fhir::search::Ref;
use carethread_store::plans::{self, Plan};
use serde_json::Value;
use uuid::Uuid;

fn refused(element: impl Into<String>, message: impl Into<String>) -> FhirError {
    FhirError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        outcome: OperationOutcome::at(IssueCode::Invariant, element, message),
    }
}

/// A part of the plan as a client sent it.
struct Sent {
    id: Option<String>,
    form: PartForm,
}

impl Sent {
    fn read(headers: &HeaderMap, body: &Bytes) -> Result<Sent, FhirError> {
        require_json(headers)?;
        let value = carethread_fhir::parse::json(body).map_err(FhirError::invalid)?;
        let id = value.get("id").and_then(Value::as_str).map(str::to_string);
        let status = value.get("status").and_then(Value::as_str).map(str::to_string);
        let form = fhir_plan::part_from_fhir(value).map_err(FhirError::invalid)?;
        if status.as_deref() != Some("draft") {
            return Err(refused(
                "CarePlan.status",
                "A plan written through FHIR is a draft. It comes into force when the person's agreement is recorded and it is made active, on the plan page.",
            ));
        }
        Ok(Sent { id, form })
    }

    fn part(&self) -> Part {
        match self.form {
            PartForm::CareAndSupport(_) => Part::CareAndSupport,
            PartForm::Management(..) => Part::Management,
            PartForm::Escalation(..) => Part::Escalation,
        }
    }

    fn person(&self) -> Option<Ref> {
        match &self.form {
            PartForm::CareAndSupport(plan) => plan.person.clone(),
            PartForm::Management(person, _) | PartForm::Escalation(person, _) => person.clone(),
        }
    }
}

/// What the caller must be allowed to write a part: the plan in the person's own words is
/// written with them (as goals are); the management and escalation plans by their team.
fn write_action(part: Part) -> Action {
    match part {
        Part::CareAndSupport => Action::WriteOwnWords,
        Part::Management | Part::Escalation => Action::EditPerson,
    }
}

fn read_action(part: Part) -> Action {
    Action::ReadSection(match part {
        Part::CareAndSupport => Section::Goals,
        Part::Management => Section::Management,
        Part::Escalation => Section::Escalation,
    })
}

/// Writes the part into `content` by the rules of its page.
async fn apply(
    state: &AppState,
    caller: &Caller,
    gate: &mut Gate<'_>,
    person: PersonId,
    form: PartForm,
    content: &mut PlanContent,
) -> Result<(), FhirError> {
    let supporters = supporters(state, caller, person).await?;
    match form {
        PartForm::Management(_, input) => {
            content.management =
                input.parse(&supporters).map_err(|e| FhirError::invalid(fhir_plan::management_errors(&e)))?;
            if content.management.is_empty() {
                return Err(empty_part(Part::Management));
            }
        }
        PartForm::Escalation(_, input) => {
            content.escalation = input.parse().map_err(|e| FhirError::invalid(fhir_plan::escalation_errors(&e)))?;
            if content.escalation.is_empty() {
                return Err(empty_part(Part::Escalation));
            }
        }
        PartForm::CareAndSupport(plan) => {
            // Who owns the plan is set by the team, as on the plan's settings page.
            if plan.ownership != content.ownership {
                gate.admit(person, Action::EditPerson, "CarePlan").await?;
            }
            let problems = problem_ids(state, caller, person).await?;
            // The goals keep their words and voice: only their order and steps change here.
            let choices = GoalChoices { supporters: &supporters, problems: &problems, written_by_person: false };
            content.goals = restate_goals(&plan, content, person, &choices)?;
            content.ownership = plan.ownership;
        }
    }
    Ok(())
}

/// A plan has a management or escalation part only when something is written in it, so an
/// empty one sent here would leave no CarePlan to answer with.
fn empty_part(part: Part) -> FhirError {
    refused(
        "CarePlan.activity",
        format!(
            "This {} plan says nothing: give it at least one activity or note. To clear the draft's part, DELETE it (with If-Match).",
            part.code()
        ),
    )
}

/// The plan's goals in the order the CarePlan lists them, each with the steps its activities
/// give it. Every goal the plan has must be listed, and only those: goals are added with POST
/// Goal, and a goal that no longer fits is marked cancelled rather than dropped.
fn restate_goals(
    plan: &PlanForm,
    content: &PlanContent,
    person: PersonId,
    choices: &GoalChoices<'_>,
) -> Result<Vec<Goal>, FhirError> {
    let mut listed = Vec::new();
    for (i, r) in plan.goals.iter().enumerate() {
        match Ref::parse(r, Some("Goal")).filter(|g| g.kind == "Goal" && content.goal(g.id).is_some()) {
            Some(g) => listed.push(g.id),
            None => {
                return Err(refused(
                    format!("CarePlan.goal[{i}]"),
                    "That is not one of this plan's goals. Add a new goal with POST Goal, then list it here.",
                ));
            }
        }
    }
    if let Some(missing) = content.goals.iter().find(|g| !listed.contains(&g.id)) {
        return Err(refused(
            "CarePlan.goal",
            format!(
                "List every goal of the plan: Goal/{} is missing. A goal that no longer fits stays in the plan, marked cancelled (PUT the Goal).",
                missing.id
            ),
        ));
    }
    for (i, step) in plan.steps.iter().enumerate() {
        if !Ref::parse(&step.goal, Some("Goal")).is_some_and(|g| g.kind == "Goal" && listed.contains(&g.id)) {
            return Err(refused(
                format!("CarePlan.activity[{i}].detail.goal"),
                "Each step is towards one of the goals the plan lists.",
            ));
        }
    }
    let forms: Vec<(Uuid, GoalForm)> = content
        .goals
        .iter()
        .map(|g| {
            let input = GoalInput { steps: Vec::new(), ..g.to_input() };
            (g.id, GoalForm { person: None, id: None, input, addresses: Vec::new() })
        })
        .collect();
    let inputs = fhir_plan::goal_inputs(plan, forms, person.as_uuid()).map_err(FhirError::invalid)?;
    inputs
        .into_iter()
        .map(|(id, input)| input.parse(id, choices).map_err(|e| FhirError::invalid(fhir_plan::goal_errors(&e))))
        .collect()
}

/// The part of the plan's draft as a read of it now answers.
async fn read_back(
    state: &AppState,
    caller: &Caller,
    person: PersonId,
    part: Part,
) -> Result<(Value, i64, String), FhirError> {
    let mut gate = Gate::new(state, caller);
    // The draft's part: of its plan version's three, the one of this category whose plan status
    // (not its FHIR status, which an agreed version waiting to come into force shares) is draft.
    let resource = super::careplan::care_plans(state, caller, &mut gate, person)
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .find(|r| {
            let url = fhir_plan::plan_status_url();
            let status = r["extension"].as_array().into_iter().flatten().find(|e| e["url"] == url.as_str());
            status.is_some_and(|e| e["valueCode"] == PlanStatus::Draft.slug())
                && Part::parse_id(r["id"].as_str().unwrap_or_default()).is_some_and(|(_, p)| p == part)
        })
        .ok_or_else(|| FhirError::not_found("CarePlan"))?;
    let version = resource["meta"]["versionId"].as_str().and_then(|v| v.parse().ok()).unwrap_or(1);
    let id = resource["id"].as_str().unwrap_or_default().to_string();
    Ok((resource, version, id))
}

fn draft_exists(plan: &Plan, part: Part) -> FhirError {
    let (number, id, version) =
        plan.draft().map_or((0, String::new(), 0), |d| (d.number, part.resource_id(d.id), d.version));
    FhirError::new(
        StatusCode::CONFLICT,
        IssueCode::Conflict,
        format!(
            "Version {number} of the plan is already a draft; nothing was written. Change it with PUT CarePlan/{id} and If-Match: W/\"{version}\"."
        ),
    )
}

/// Starts the next draft of the plan of the Patient the CarePlan's subject names, from the plan
/// people follow now, with this part as sent.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let sent = Sent::read(&headers, &body)?;
    let part = sent.part();
    let mut gate = Gate::new(&state, &caller);
    let person = gate.writable(sent.person(), "CarePlan.subject", write_action(part)).await?;
    let audit = caller.audit();
    let plan = plans::plan(&state.db, &audit, person, "read the plan to start a draft through FHIR").await?;
    if plan.draft().is_some() {
        return Err(draft_exists(&plan, part));
    }
    let (mut content, _) = plan.working_copy();
    apply(&state, &caller, &mut gate, person, sent.form, &mut content).await?;
    let what = format!("started through FHIR from its {}", part.code());
    if plans::save_draft(&state.db, &audit, person, 0, &content, &what).await?.is_err() {
        // Someone started a draft in the moment between: theirs stands.
        let now = plans::plan(&state.db, &audit, person, "read the plan to start a draft through FHIR").await?;
        return Err(draft_exists(&now, part));
    }
    let (resource, version, id) = read_back(&state, &caller, person, part).await?;
    Ok(created(&state, &headers, &resource, "CarePlan", id, version))
}

/// A part of the plan's draft a client changes: whose, which part, the draft's version the
/// client read (If-Match), and what the draft holds now.
struct DraftPart {
    person: PersonId,
    part: Part,
    version_id: Uuid,
    base: i64,
    content: PlanContent,
}

impl DraftPart {
    /// Checks the caller may change the part, and that it is of a draft still at the version
    /// the client read: an agreed version never changes.
    async fn open(
        state: &AppState,
        caller: &Caller,
        gate: &mut Gate<'_>,
        raw: &str,
        headers: &HeaderMap,
    ) -> Result<Self, FhirError> {
        let (version_id, part) = Part::parse_id(raw).ok_or_else(|| FhirError::not_found("CarePlan"))?;
        let person =
            plans::person_of_version(&state.db, version_id).await?.ok_or_else(|| FhirError::not_found("CarePlan"))?;
        gate.admit(person, read_action(part), "CarePlan").await?;
        gate.admit(person, write_action(part), "CarePlan").await?;
        let base = if_match(headers)?;
        let plan = plans::plan(&state.db, &caller.audit(), person, "read the plan to change it through FHIR").await?;
        let version =
            plan.versions.iter().find(|v| v.id == version_id).ok_or_else(|| FhirError::not_found("CarePlan"))?;
        if version.status != PlanStatus::Draft {
            return Err(FhirError::new(
                StatusCode::CONFLICT,
                IssueCode::Conflict,
                format!(
                    "Version {} of the plan was agreed, and an agreed plan never changes; nothing was written. Start the next draft with POST CarePlan.",
                    version.number
                ),
            ));
        }
        if version.version != base {
            return Err(stale("CarePlan", base, version.version));
        }
        Ok(DraftPart { person, part, version_id, base, content: version.content.clone() })
    }

    /// Saves the draft with `what` it says was done, unless someone saved it since.
    async fn save(&self, state: &AppState, caller: &Caller, what: &str) -> Result<(), FhirError> {
        match plans::save_draft(&state.db, &caller.audit(), self.person, self.base, &self.content, what).await? {
            Ok(_) => Ok(()),
            Err(now) => {
                let current = now.versions.iter().find(|v| v.id == self.version_id).map_or(self.base, |v| v.version);
                Err(stale("CarePlan", self.base, current))
            }
        }
    }
}

/// Changes a part of the plan's draft, only from the version the client read (If-Match).
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    let mut gate = Gate::new(&state, &caller);
    let mut draft = DraftPart::open(&state, &caller, &mut gate, &raw, &headers).await?;
    let sent = Sent::read(&headers, &body)?;
    SameRecord { raw: &raw, person: draft.person, subject: "CarePlan.subject" }
        .check(sent.id.as_deref(), sent.person().map(|r| r.id))?;
    if sent.part() != draft.part {
        return Err(refused(
            "CarePlan.category",
            format!("CarePlan/{raw} is the plan's {} part; a part keeps its category.", draft.part.code()),
        ));
    }
    apply(&state, &caller, &mut gate, draft.person, sent.form, &mut draft.content).await?;
    draft.save(&state, &caller, &format!("changed its {} through FHIR", draft.part.code())).await?;
    let (resource, version, _) = read_back(&state, &caller, draft.person, draft.part).await?;
    Ok(resource_response(StatusCode::OK, &resource, Some(version)))
}

/// Clears the management or escalation part of the plan's draft, from the version the client
/// read: that part's CarePlan goes, as when it is emptied on the plan page. The plan itself is
/// never deleted, nor anything of an agreed version.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, FhirError> {
    if Part::parse_id(&raw).is_some_and(|(_, part)| part == Part::CareAndSupport) {
        return Err(FhirError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            IssueCode::NotSupported,
            "A plan version is never deleted: agree a new version instead. Only the management or escalation part of a draft can be cleared.",
        ));
    }
    let mut gate = Gate::new(&state, &caller);
    let mut draft = DraftPart::open(&state, &caller, &mut gate, &raw, &headers).await?;
    let empty = match draft.part {
        Part::Management => std::mem::take(&mut draft.content.management).is_empty(),
        Part::Escalation => std::mem::take(&mut draft.content.escalation).is_empty(),
        Part::CareAndSupport => false,
    };
    if empty {
        // The draft has no such part: there is no CarePlan to delete.
        return Err(FhirError::not_found("CarePlan"));
    }
    draft.save(&state, &caller, &format!("cleared its {} through FHIR", draft.part.code())).await?;
    Ok(super::no_content())
}
