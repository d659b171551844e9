//! CarePlan and Goal: one version of a person's care and support plan as three linked CarePlans
//! told apart by category (the plan in the person's own words, the management plan and the
//! escalation plan, the latter two `partOf` the first), and the plan's goals as Goals.
//!
//! Each plan version is its own CarePlan: what an agreed version says never changes (only where
//! it stands: in force, under review, replaced), a newer version `replaces` it, and the one
//! people follow is `active`. Each state it passes through is a version of the CarePlan. A goal keeps its id across plan
//! versions, and its version is its revision: how many different things it has said. A Goal's
//! history is each different thing the plan has said of it.

use crate::datatypes::{Annotation, CodeableConcept, Extension, Meta, Narrative, Reference};
use crate::outcome::{IssueCode, OperationOutcome};
use crate::search::{Params, Ref};
use crate::terminology::{self, PLAN_PARTS, THEMES};
use carethread_domain::plan::lifecycle::{Agreement, PlanStatus};
use carethread_domain::plan::{
    Achievement, ContactInput, DutyInput, EscalationInput, Goal, GoalInput, ManagementInput, MandateInput, MandateKind,
    Ownership, PlanContent,
};
use carethread_domain::tasks::Owner;
use carethread_domain::themes::Voice;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const CAREPLAN_SEARCH: Params = Params {
    categories: &["care-and-support", "management", "escalation"],
    includes: &["CarePlan:goal", "CarePlan:care-team"],
    ..Params::basic("CarePlan", &["draft", "active", "revoked"])
};

pub const GOAL_SEARCH: Params = Params::basic("Goal", &["active", "completed", "cancelled"]);

/// The parts of a plan version, each a CarePlan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    CareAndSupport,
    Management,
    Escalation,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::CareAndSupport, Part::Management, Part::Escalation];

    pub fn code(self) -> &'static str {
        match self {
            Part::CareAndSupport => "care-and-support",
            Part::Management => "management",
            Part::Escalation => "escalation",
        }
    }

    /// The resource id of this part of the plan version `version_id`.
    pub fn resource_id(self, version_id: Uuid) -> String {
        match self {
            Part::CareAndSupport => version_id.to_string(),
            other => format!("{version_id}-{}", other.code()),
        }
    }

    /// The plan version and part a CarePlan id names.
    pub fn parse_id(id: &str) -> Option<(Uuid, Part)> {
        if let Ok(v) = id.parse() {
            return Some((v, Part::CareAndSupport));
        }
        let (version, part) = id.split_at_checked(36)?;
        let part = match part {
            "-management" => Part::Management,
            "-escalation" => Part::Escalation,
            _ => return None,
        };
        Some((version.parse().ok()?, part))
    }

    fn title(self) -> &'static str {
        match self {
            Part::CareAndSupport => "Care and support plan",
            Part::Management => "Management plan",
            Part::Escalation => "Escalation plan",
        }
    }
}

/// One stored version of a person's plan.
pub struct StoredPlan<'a> {
    pub version_id: Uuid,
    pub person_id: Uuid,
    pub number: i32,
    pub status: PlanStatus,
    pub content: &'a PlanContent,
    pub agreement: Option<&'a Agreement>,
    pub review_due: Option<chrono::NaiveDate>,
    /// The version this one replaces.
    pub replaces: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl StoredPlan<'_> {
    /// The parts this version has: the plan itself always; the others when written.
    pub fn parts(&self) -> Vec<Part> {
        let mut parts = vec![Part::CareAndSupport];
        if !self.content.management.is_empty() {
            parts.push(Part::Management);
        }
        if !self.content.escalation.is_empty() {
            parts.push(Part::Escalation);
        }
        parts
    }
}

/// The FHIR status of a plan version: agreed but not yet in force is still a draft to FHIR
/// (not yet to be acted on); a replaced version is revoked.
pub fn status_code(status: PlanStatus) -> &'static str {
    match status {
        PlanStatus::Draft | PlanStatus::Agreed => "draft",
        PlanStatus::Active | PlanStatus::UnderReview => "active",
        PlanStatus::Superseded => "revoked",
    }
}

const WARNING_SIGN: &str = "Warning sign: ";
const WHAT_HELPS: &str = "What helps: ";
const WHAT_NOT_TO_DO: &str = "What not to do: ";
const CRISIS_WISHES: &str = "Preferences in a crisis: ";
const KEPT_AT: &str = " (kept at ";
const SOCIAL_PRESCRIBING: &str = "Social prescribing: ";
const SELF_MANAGEMENT: &str = "Self-management: ";

/// One part of a crisis contact (`name`, `role`, `phone`, `hours`), on the escalation plan's
/// "call" activities.
pub fn contact_url(part: &str) -> String {
    format!("{}/StructureDefinition/crisis-contact-{part}", crate::CANONICAL)
}

/// Where a plan version says where it stands (draft, agreed, active, under review, superseded).
pub fn plan_status_url() -> String {
    format!("{}/StructureDefinition/plan-status", crate::CANONICAL)
}

fn activity(description: String, performer: Option<(String, &str)>) -> Value {
    let mut detail = json!({ "status": "in-progress", "description": description });
    if let Some((reference, display)) = performer {
        detail["performer"] = json!([{ "reference": reference, "display": display }]);
    }
    json!({ "detail": detail })
}

fn owner_performer(owner: &Owner, name: &str, person_id: Uuid) -> (String, String) {
    (crate::task::owner_reference(owner, person_id), name.to_string())
}

/// One part of a plan version as a CarePlan.
pub fn to_fhir(p: &StoredPlan<'_>, part: Part) -> Value {
    let c = p.content;
    let subject = json!({ "reference": format!("Patient/{}", p.person_id) });
    let mut plan = json!({
        "resourceType": "CarePlan",
        "id": part.resource_id(p.version_id),
        "meta": crate::meta(p.version, p.updated_at),
        "extension": [{ "url": plan_status_url(), "valueCode": p.status.slug() }],
        "status": status_code(p.status),
        "intent": "plan",
        "category": [{ "coding": [terminology::coding(PLAN_PARTS, part.code())] }],
        "title": format!("{} (version {})", part.title(), p.number),
        "subject": subject,
        "created": crate::instant(p.created_at),
    });
    let mut period = serde_json::Map::new();
    if let Some(a) = p.agreement {
        period.insert("start".into(), json!(a.on.to_string()));
    }
    if let Some(due) = p.review_due {
        period.insert("end".into(), json!(due.to_string()));
    }
    if !period.is_empty() {
        plan["period"] = Value::Object(period);
    }
    if let Some(previous) = p.replaces {
        plan["replaces"] = json!([{ "reference": format!("CarePlan/{}", part.resource_id(previous)) }]);
    }
    if part != Part::CareAndSupport {
        plan["partOf"] = json!([{ "reference": format!("CarePlan/{}", p.version_id) }]);
    }
    let mut notes: Vec<String> = Vec::new();
    let mut activities: Vec<Value> = Vec::new();
    match part {
        Part::CareAndSupport => {
            plan["careTeam"] = json!([{ "reference": format!("CareTeam/{}", p.person_id) }]);
            if !c.goals.is_empty() {
                plan["goal"] = Value::Array(
                    c.goals
                        .iter()
                        .map(|g| json!({ "reference": format!("Goal/{}", g.id), "display": g.achieve }))
                        .collect(),
                );
            }
            for g in &c.goals {
                for s in &g.steps {
                    let (reference, name) = owner_performer(&s.who, &s.who_name, p.person_id);
                    let mut a = activity(s.what.clone(), Some((reference, &name)));
                    if let Some(by) = s.by {
                        a["detail"]["scheduledString"] = json!(format!("By {by}"));
                    }
                    a["detail"]["goal"] = json!([{ "reference": format!("Goal/{}", g.id) }]);
                    activities.push(a);
                }
            }
            notes.push(match &c.ownership {
                Ownership::Person => "The person owns this plan.".to_string(),
                Ownership::Nominated { name, reason } => format!("Held for the person by {name}: {reason}"),
            });
            if let Some(a) = p.agreement {
                notes.push(format!("Agreed on {}: {}.", a.on, a.describe("the person")));
            }
        }
        Part::Management => {
            let m = &c.management;
            for t in &m.treatments {
                let mut a = activity(t.text.clone(), None);
                if let Some(code) = &t.code {
                    a["detail"]["code"] = json!({
                        "coding": [{ "system": "http://snomed.info/sct", "code": code }],
                        "text": t.text
                    });
                }
                activities.push(a);
            }
            activities.extend(m.social_prescribing.iter().map(|s| activity(format!("{SOCIAL_PRESCRIBING}{s}"), None)));
            activities.extend(m.self_management.iter().map(|s| activity(format!("{SELF_MANAGEMENT}{s}"), None)));
            for r in &m.responsibilities {
                let (reference, name) = owner_performer(&r.who, &r.who_name, p.person_id);
                activities.push(activity(r.what.clone(), Some((reference, &name))));
            }
        }
        Part::Escalation => {
            // One note per item, each after its label, so each reads back as it was written.
            let e = &c.escalation;
            for (label, items) in
                [(WARNING_SIGN, &e.warning_signs), (WHAT_HELPS, &e.what_helps), (WHAT_NOT_TO_DO, &e.what_not_to_do)]
            {
                notes.extend(items.iter().map(|i| format!("{label}{i}")));
            }
            notes.extend(e.crisis_preferences.as_ref().map(|p| format!("{CRISIS_WISHES}{p}")));
            activities.extend(e.what_to_do.iter().map(|w| activity(w.clone(), None)));
            for contact in &e.contacts {
                let mut a = activity(
                    format!(
                        "Call {} ({}) on {}: {}",
                        contact.name,
                        contact.role,
                        contact.phone.as_str(),
                        contact.hours
                    ),
                    None,
                );
                a["detail"]["extension"] = Value::Array(
                    [
                        ("name", contact.name.as_str()),
                        ("role", contact.role.as_str()),
                        ("phone", contact.phone.as_str()),
                        ("hours", contact.hours.as_str()),
                    ]
                    .iter()
                    .map(|(part, value)| json!({ "url": contact_url(part), "valueString": value }))
                    .collect(),
                );
                activities.push(a);
            }
            for m in &e.mandates {
                notes.push(format!("{}: {}{KEPT_AT}{})", m.kind.label(), m.says, m.kept_at));
            }
        }
    }
    if !activities.is_empty() {
        plan["activity"] = Value::Array(activities);
    }
    if !notes.is_empty() {
        plan["note"] = Value::Array(notes.into_iter().map(|n| json!({ "text": n })).collect());
    }
    plan
}

/// A goal as one version of the plan states it.
pub struct StoredGoal<'a> {
    pub goal: &'a Goal,
    pub person_id: Uuid,
    pub updated_at: DateTime<Utc>,
}

pub fn goal_status_code(a: Achievement) -> &'static str {
    match a {
        Achievement::Working => "active",
        Achievement::Achieved => "completed",
        Achievement::Stopped => "cancelled",
    }
}

pub fn goal_to_fhir(s: &StoredGoal<'_>) -> Value {
    let g = s.goal;
    let mut goal = json!({
        "resourceType": "Goal",
        "id": g.id.to_string(),
        "meta": crate::meta(i64::from(g.revision), s.updated_at),
        "lifecycleStatus": goal_status_code(g.achievement),
        "description": { "text": g.achieve },
        "subject": { "reference": format!("Patient/{}", s.person_id) },
    });
    match g.achievement {
        Achievement::Working => goal["achievementStatus"] = achievement("in-progress", "In Progress"),
        Achievement::Achieved => goal["achievementStatus"] = achievement("achieved", "Achieved"),
        Achievement::Stopped => {}
    }
    goal["extension"] = json!([{ "url": voice_url(), "valueCode": g.voice.slug() }]);
    // In the person's own words, or written with them: they expressed it.
    if matches!(g.voice, Voice::OwnWords | Voice::WithPerson) {
        goal["expressedBy"] = json!({ "reference": format!("Patient/{}", s.person_id) });
    }
    if !g.themes.is_empty() {
        goal["category"] = Value::Array(
            g.themes.iter().map(|t| json!({ "coding": [terminology::coding(THEMES, t.slug())] })).collect(),
        );
    }
    if let Some(by) = g.steps.iter().filter_map(|s| s.by).max() {
        goal["target"] = json!([{ "dueDate": by.to_string() }]);
    }
    if !g.problems.is_empty() {
        goal["addresses"] =
            Value::Array(g.problems.iter().map(|p| json!({ "reference": format!("Condition/{p}") })).collect());
    }
    let mut notes = vec![json!({ "text": format!("What matters: {}", g.what_matters) })];
    if let Some(c) = &g.commitment {
        notes.push(json!({ "text": format!("What I will do: {c}") }));
    }
    if let Voice::Perspective(whose) = &g.voice {
        notes.push(json!({ "text": format!("Written from the point of view of {whose}.") }));
    }
    goal["note"] = Value::Array(notes);
    goal
}

/// Whose words a goal is in: own-words, with-person, perspective or professional.
pub fn voice_url() -> String {
    format!("{}/StructureDefinition/voice", crate::CANONICAL)
}

fn achievement(code: &str, display: &str) -> Value {
    json!({ "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
        "code": code,
        "display": display
    }] })
}

// ---- Reading plans and goals that another system sends ----

/// A Goal as a client sends it. Elements Carethread writes itself (`meta`, `text`, `target`,
/// which comes from the steps' dates) are accepted and not kept.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GoalIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<Meta>,
    #[serde(default)]
    pub text: Option<Narrative>,
    #[serde(default)]
    pub extension: Vec<Extension>,
    pub lifecycle_status: String,
    #[serde(default)]
    pub achievement_status: Option<CodeableConcept>,
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
    pub description: CodeableConcept,
    pub subject: Reference,
    #[serde(default)]
    pub target: Vec<Value>,
    #[serde(default)]
    pub expressed_by: Option<Reference>,
    #[serde(default)]
    pub addresses: Vec<Reference>,
    #[serde(default)]
    pub note: Vec<Annotation>,
}

/// A goal read from FHIR, as the goal form would have it (without its steps, which are the
/// plan's activities), with whose goal it is and the problem areas it addresses.
pub struct GoalForm {
    pub person: Option<Ref>,
    pub id: Option<String>,
    pub input: GoalInput,
    /// The Conditions it addresses, as written.
    pub addresses: Vec<String>,
}

const WHAT_MATTERS: &str = "What matters: ";
const COMMITMENT: &str = "What I will do: ";
const PERSPECTIVE: (&str, &str) = ("Written from the point of view of ", ".");

/// Reads a Goal: what the person wants to achieve is `description.text`; what matters to them,
/// and what they will do themselves, are notes with those labels (an unlabelled note is what
/// matters). Whose words they are comes from Carethread's voice extension, or else from
/// `expressedBy` (the Patient: their own words); a goal another system wrote with neither is a
/// professional's.
pub fn goal_from_fhir(value: Value) -> Result<GoalForm, OperationOutcome> {
    let g: GoalIn = crate::parse::value_as(value, "Goal")?;
    let achieved =
        g.achievement_status.iter().flat_map(|a| a.coding.iter()).any(|c| c.code.as_deref() == Some("achieved"));
    let achievement = match g.lifecycle_status.as_str() {
        "completed" => Achievement::Achieved,
        _ if achieved => Achievement::Achieved,
        "proposed" | "planned" | "accepted" | "active" | "on-hold" => Achievement::Working,
        "cancelled" | "rejected" => Achievement::Stopped,
        _ => {
            return Err(OperationOutcome::at(
                IssueCode::Value,
                "Goal.lifecycleStatus",
                "A goal's lifecycle status is one of proposed, planned, accepted, active, on-hold, completed, cancelled or rejected.",
            ));
        }
    };
    let themes_system = terminology::code_system_url(THEMES);
    let mut themes = Vec::new();
    for coding in g.category.iter().flat_map(|c| c.coding.iter()) {
        if coding.system.as_deref() == Some(themes_system.as_str()) {
            themes.push(coding.code.clone().unwrap_or_default());
        }
    }
    let mut what_matters = Vec::new();
    let mut commitment = String::new();
    let mut perspective_of = String::new();
    for note in &g.note {
        let t = note.text.as_str();
        if let Some(rest) = t.strip_prefix(WHAT_MATTERS) {
            what_matters.push(rest.to_string());
        } else if let Some(rest) = t.strip_prefix(COMMITMENT) {
            commitment = rest.to_string();
        } else if let Some(rest) = t.strip_prefix(PERSPECTIVE.0) {
            perspective_of = rest.strip_suffix(PERSPECTIVE.1).unwrap_or(rest).to_string();
        } else {
            what_matters.push(t.to_string());
        }
    }
    let person = g.subject.reference.as_deref().and_then(|r| Ref::parse(r, None));
    let expressed_by_person = g
        .expressed_by
        .as_ref()
        .and_then(|r| r.reference.as_deref())
        .and_then(|r| Ref::parse(r, None))
        .is_some_and(|r| r.kind == "Patient" && Some(r.id) == person.as_ref().map(|p| p.id));
    let voice = match crate::datatypes::extension(&g.extension, &voice_url()).and_then(|e| e.value_code.clone()) {
        Some(code) => code,
        None if expressed_by_person => Voice::OwnWords.slug().to_string(),
        None if !perspective_of.is_empty() => "perspective".to_string(),
        None => Voice::Professional.slug().to_string(),
    };
    let input = GoalInput {
        what_matters: what_matters.join("\n"),
        achieve: g.description.text.clone().unwrap_or_default(),
        voice,
        perspective_of,
        commitment,
        themes,
        problems: Vec::new(),
        achievement: achievement.slug().to_string(),
        steps: Vec::new(),
    };
    let addresses = g.addresses.iter().filter_map(|r| r.reference.clone()).collect();
    Ok(GoalForm { person, id: g.id, input, addresses })
}

/// The goal form's errors, each against the element it came from.
pub fn goal_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |field| match field {
        "achieve" => "Goal.description.text",
        "voice" => "Goal.extension",
        "themes" => "Goal.category",
        "problems" => "Goal.addresses",
        "achievement" => "Goal.lifecycleStatus",
        "steps" => "CarePlan.activity",
        _ => "Goal.note",
    })
}

/// The management plan form's errors, against the CarePlan's activities.
pub fn management_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |_| "CarePlan.activity")
}

/// The escalation plan form's errors: contacts and what to do are activities, the rest notes.
pub fn escalation_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |field| match field {
        "contacts" | "what_to_do" => "CarePlan.activity",
        _ => "CarePlan.note",
    })
}

/// A CarePlan as a client sends it.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CarePlanIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<Meta>,
    #[serde(default)]
    pub text: Option<Narrative>,
    #[serde(default)]
    pub extension: Vec<Extension>,
    pub status: String,
    pub intent: String,
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
    #[serde(default)]
    pub title: Option<String>,
    pub subject: Reference,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub period: Option<Value>,
    #[serde(default)]
    pub replaces: Vec<Reference>,
    #[serde(default)]
    pub part_of: Vec<Reference>,
    #[serde(default)]
    pub care_team: Vec<Reference>,
    #[serde(default)]
    pub goal: Vec<Reference>,
    #[serde(default)]
    pub activity: Vec<ActivityIn>,
    #[serde(default)]
    pub note: Vec<Annotation>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityIn {
    pub detail: DetailIn,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DetailIn {
    pub status: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub performer: Vec<Reference>,
    #[serde(default)]
    pub scheduled_string: Option<String>,
    #[serde(default)]
    pub goal: Vec<Reference>,
    #[serde(default)]
    pub extension: Vec<Extension>,
}

/// One step towards a goal, from a plan's activity: the goal and the supporter as written.
pub struct StepForm {
    pub goal: String,
    pub what: String,
    pub who: String,
    pub by: String,
}

/// The plan in the person's own words, read from FHIR: its goals in order, their steps, and
/// whose plan it is.
pub struct PlanForm {
    pub person: Option<Ref>,
    pub goals: Vec<String>,
    pub steps: Vec<StepForm>,
    pub ownership: Ownership,
}

const OWNED: &str = "The person owns this plan.";
const HELD_BY: &str = "Held for the person by ";

/// One part of a plan version read from FHIR, as the plan's forms would have it.
pub enum PartForm {
    /// The plan in the person's own words: its goals and their steps, and whose plan it is.
    CareAndSupport(PlanForm),
    Management(Option<Ref>, ManagementInput),
    Escalation(Option<Ref>, EscalationInput),
}

/// Reads one part of a plan: which part it is comes from its category (Carethread's plan-parts
/// code system; a CarePlan without one is the plan in the person's own words).
pub fn part_from_fhir(value: Value) -> Result<PartForm, OperationOutcome> {
    let p: CarePlanIn = crate::parse::value_as(value, "CarePlan")?;
    let bad = |at: String, m: &str| OperationOutcome::at(IssueCode::Value, at, m);
    if !matches!(p.intent.as_str(), "proposal" | "plan" | "order" | "option") {
        return Err(bad("CarePlan.intent".into(), "A CarePlan's intent is proposal, plan, order or option."));
    }
    if !matches!(p.status.as_str(), "draft" | "active" | "on-hold" | "revoked" | "completed" | "unknown") {
        return Err(bad(
            "CarePlan.status".into(),
            "A CarePlan's status is draft, active, on-hold, revoked, completed or unknown (not entered-in-error).",
        ));
    }
    let parts = terminology::code_system_url(PLAN_PARTS);
    let part = p
        .category
        .iter()
        .flat_map(|c| c.coding.iter())
        .find(|c| c.system.as_deref() == Some(parts.as_str()))
        .and_then(|c| c.code.as_deref());
    let person = p.subject.reference.as_deref().and_then(|r| Ref::parse(r, None));
    match part {
        None | Some("care-and-support") => care_and_support(p).map(PartForm::CareAndSupport),
        Some("management") => management(&p).map(|m| PartForm::Management(person, m)),
        Some("escalation") => escalation(&p).map(|e| PartForm::Escalation(person, e)),
        Some(_) => Err(bad("CarePlan.category".into(), "A plan's part is care-and-support, management or escalation.")),
    }
}

fn stray_note(i: usize) -> OperationOutcome {
    OperationOutcome::at(
        IssueCode::Value,
        format!("CarePlan.note[{i}]"),
        "This part of the plan has no place for that note: each note is one item after its label, as Carethread writes them.",
    )
}

/// The management plan: treatments (coded or not), social prescribing and looking after oneself
/// (each an activity after its label), and who does what (an activity with a performer).
fn management(p: &CarePlanIn) -> Result<ManagementInput, OperationOutcome> {
    if !p.note.is_empty() {
        return Err(stray_note(0));
    }
    let person = p.subject.reference.as_deref().and_then(|r| Ref::parse(r, None)).map_or(Uuid::nil(), |r| r.id);
    let mut input = ManagementInput::default();
    let (mut treatments, mut social, mut own) = (Vec::new(), Vec::new(), Vec::new());
    for (i, a) in p.activity.iter().enumerate() {
        let d = &a.detail;
        let text = d.description.clone().or_else(|| d.code.as_ref().and_then(|c| c.text.clone())).unwrap_or_default();
        if let Some(who) = d.performer.first() {
            let who = who.reference.as_deref().and_then(|r| crate::task::owner_value(r, person)).ok_or_else(|| {
                OperationOutcome::at(
                    IssueCode::Value,
                    format!("CarePlan.activity[{i}].detail.performer[0]"),
                    "Who does it is the person (their Patient), someone in their circle (RelatedPerson), staff (Practitioner) or a team (Organization).",
                )
            })?;
            input.duties.push(DutyInput { who, what: text });
        } else if let Some(rest) = text.strip_prefix(SOCIAL_PRESCRIBING) {
            social.push(rest.to_string());
        } else if let Some(rest) = text.strip_prefix(SELF_MANAGEMENT) {
            own.push(rest.to_string());
        } else {
            let code = d.code.as_ref().and_then(|c| c.coding.first()).and_then(|c| c.code.clone());
            treatments.push(match code {
                Some(code) => format!("[{code}] {text}"),
                None => text,
            });
        }
    }
    input.treatments = treatments.join("\n");
    input.social_prescribing = social.join("\n");
    input.self_management = own.join("\n");
    Ok(input)
}

/// The escalation plan: warning signs, what helps, what not to do and wishes in a crisis (a note
/// each, after its label), mandates (a note each), what to do (activities), and who to call
/// (activities with the contact's parts in extensions).
fn escalation(p: &CarePlanIn) -> Result<EscalationInput, OperationOutcome> {
    let mut input = EscalationInput::default();
    let (mut signs, mut helps, mut not_to_do, mut to_do) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, note) in p.note.iter().enumerate() {
        let t = note.text.as_str();
        let mandate = MandateKind::ALL.into_iter().find_map(|k| {
            let rest = t.strip_prefix(k.label())?.strip_prefix(": ")?.strip_suffix(')')?;
            let (says, kept_at) = rest.rsplit_once(KEPT_AT)?;
            Some(MandateInput { kind: k.slug().into(), says: says.into(), kept_at: kept_at.into() })
        });
        if let Some(m) = mandate {
            input.mandates.push(m);
        } else if let Some(rest) = t.strip_prefix(WARNING_SIGN) {
            signs.push(rest.to_string());
        } else if let Some(rest) = t.strip_prefix(WHAT_HELPS) {
            helps.push(rest.to_string());
        } else if let Some(rest) = t.strip_prefix(WHAT_NOT_TO_DO) {
            not_to_do.push(rest.to_string());
        } else if let Some(rest) = t.strip_prefix(CRISIS_WISHES) {
            input.crisis_preferences = rest.to_string();
        } else {
            return Err(stray_note(i));
        }
    }
    for a in &p.activity {
        let d = &a.detail;
        let part = |name: &str| {
            crate::datatypes::extension(&d.extension, &contact_url(name)).and_then(|e| e.value_string.clone())
        };
        match part("name") {
            Some(name) => input.contacts.push(ContactInput {
                name,
                role: part("role").unwrap_or_default(),
                phone: part("phone").unwrap_or_default(),
                hours: part("hours").unwrap_or_default(),
            }),
            None => to_do.push(d.description.clone().unwrap_or_default()),
        }
    }
    input.warning_signs = signs.join("\n");
    input.what_helps = helps.join("\n");
    input.what_not_to_do = not_to_do.join("\n");
    input.what_to_do = to_do.join("\n");
    Ok(input)
}

/// The plan in the person's own words: its goals in order, each activity a step towards one of
/// them with who supports it, and a note saying whose plan it is.
fn care_and_support(p: CarePlanIn) -> Result<PlanForm, OperationOutcome> {
    let bad = |at: String, m: &str| OperationOutcome::at(IssueCode::Value, at, m);
    let mut steps = Vec::new();
    for (i, a) in p.activity.iter().enumerate() {
        let d = &a.detail;
        let at = |e: &str| format!("CarePlan.activity[{i}].detail.{e}");
        let goal = d.goal.first().and_then(|g| g.reference.clone()).ok_or_else(|| {
            bad(at("goal"), "Each activity is a step towards one of the plan's goals: name the Goal.")
        })?;
        let who = d.performer.first().and_then(|r| r.reference.clone()).ok_or_else(|| {
            bad(at("performer"), "Say who supports the step: the Patient, a RelatedPerson, a Practitioner or a team.")
        })?;
        let by = match d.scheduled_string.as_deref() {
            None => String::new(),
            Some(s) => s.strip_prefix("By ").unwrap_or(s).to_string(),
        };
        let what = d.description.clone().or_else(|| d.code.as_ref().and_then(|c| c.text.clone())).unwrap_or_default();
        steps.push(StepForm { goal, what, who, by });
    }
    let mut ownership = Ownership::Person;
    for (i, note) in p.note.iter().enumerate() {
        let t = note.text.as_str();
        if t == OWNED || t.starts_with("Agreed on ") {
            continue;
        }
        match t.strip_prefix(HELD_BY).and_then(|rest| rest.split_once(": ")) {
            Some((name, reason)) if !name.trim().is_empty() && !reason.trim().is_empty() => {
                ownership = Ownership::Nominated { name: name.trim().into(), reason: reason.trim().into() };
            }
            _ => {
                return Err(bad(
                    format!("CarePlan.note[{i}]"),
                    "A plan's notes say whose plan it is (\"Held for the person by NAME: REASON\"); anything else belongs in a goal.",
                ));
            }
        }
    }
    Ok(PlanForm {
        person: p.subject.reference.as_deref().and_then(|r| Ref::parse(r, None)),
        goals: p.goal.iter().filter_map(|g| g.reference.clone()).collect(),
        steps,
        ownership,
    })
}

/// The goal forms of a plan, in the plan's order, each with its steps and the problem areas it
/// addresses filled in. References are `Type/id` by now (a Bundle's are resolved before).
/// `goals` are the Goals sent with the plan, with the ids they will have.
pub fn goal_inputs(
    plan: &PlanForm,
    goals: Vec<(Uuid, GoalForm)>,
    person: Uuid,
) -> Result<Vec<(Uuid, GoalInput)>, OperationOutcome> {
    let bad = |at: String, m: &str| OperationOutcome::at(IssueCode::Invalid, at, m);
    let mut order: Vec<Uuid> = Vec::new();
    for (i, r) in plan.goals.iter().enumerate() {
        match Ref::parse(r, Some("Goal")).filter(|r| r.kind == "Goal" && goals.iter().any(|(id, _)| *id == r.id)) {
            Some(r) if !order.contains(&r.id) => order.push(r.id),
            Some(_) => {}
            None => return Err(bad(format!("CarePlan.goal[{i}]"), "Each goal of the plan is a Goal sent with it.")),
        }
    }
    order.extend(goals.iter().map(|(id, _)| *id).filter(|id| !order.contains(id)).collect::<Vec<_>>());
    for (i, step) in plan.steps.iter().enumerate() {
        if !Ref::parse(&step.goal, Some("Goal")).is_some_and(|r| r.kind == "Goal" && order.contains(&r.id)) {
            return Err(bad(
                format!("CarePlan.activity[{i}].detail.goal"),
                "The step's goal is a Goal sent with the plan.",
            ));
        }
    }
    let mut out = Vec::new();
    for id in order {
        let Some((_, form)) = goals.iter().find(|(g, _)| *g == id) else { continue };
        let mut input = form.input.clone();
        for (i, r) in form.addresses.iter().enumerate() {
            match Ref::parse(r, Some("Condition")).filter(|r| r.kind == "Condition") {
                Some(c) => input.problems.push(c.id.to_string()),
                None => return Err(bad(format!("Goal.addresses[{i}]"), "A goal addresses the person's Conditions.")),
            }
        }
        for (i, step) in plan.steps.iter().enumerate() {
            if Ref::parse(&step.goal, Some("Goal")).map(|r| r.id) != Some(id) {
                continue;
            }
            let who = crate::task::owner_value(&step.who, person).ok_or_else(|| {
                bad(
                    format!("CarePlan.activity[{i}].detail.performer[0]"),
                    "A step is supported by the person (their Patient), someone in their circle (RelatedPerson), staff (Practitioner) or a team (Organization).",
                )
            })?;
            input.steps.push(carethread_domain::plan::StepInput { what: step.what.clone(), who, by: step.by.clone() });
        }
        out.push((id, input));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plans_goals_and_steps_read_back_as_written() {
        use carethread_domain::plan::{GoalChoices, Step};
        use carethread_domain::themes::Theme;
        let person = Uuid::now_v7();
        let member = Uuid::now_v7();
        let problem = Uuid::now_v7();
        let goal = Goal {
            id: Uuid::now_v7(),
            what_matters: "Seeing my sister on Sundays".into(),
            achieve: "Take the bus to Leeds on my own".into(),
            voice: Voice::WithPerson,
            steps: vec![
                Step {
                    what: "Practise the route".into(),
                    who: Owner::Member(member),
                    who_name: "Rita".into(),
                    by: None,
                },
                Step {
                    what: "Get a bus pass".into(),
                    who: Owner::Person,
                    who_name: "Aisha".into(),
                    by: chrono::NaiveDate::from_ymd_opt(2027, 1, 31),
                },
            ],
            commitment: Some("Keep the timetable on my phone".into()),
            themes: vec![Theme::JoiningIn],
            problems: vec![problem],
            achievement: Achievement::Working,
            revision: 1,
        };
        let content = PlanContent {
            goals: vec![goal.clone()],
            ownership: Ownership::Nominated { name: "Rita".into(), reason: "Aisha asked her to".into() },
            ..PlanContent::default()
        };
        let stored = first_draft(person, &content);
        let Ok(PartForm::CareAndSupport(plan)) = part_from_fhir(to_fhir(&stored, Part::CareAndSupport)) else {
            panic!("the plan reads back")
        };
        assert_eq!(plan.ownership, content.ownership);
        let written = goal_to_fhir(&StoredGoal { goal: &goal, person_id: person, updated_at: DateTime::UNIX_EPOCH });
        let form = goal_from_fhir(written).expect("goal reads back");
        let inputs = goal_inputs(&plan, vec![(goal.id, form)], person).expect("assembled");
        let supporters = vec![(Owner::Person, "Aisha".to_string()), (Owner::Member(member), "Rita".to_string())];
        let choices = GoalChoices { supporters: &supporters, problems: &[problem], written_by_person: false };
        let (id, input) = &inputs[0];
        assert_eq!(input.parse(*id, &choices).expect("valid"), goal);
    }

    #[test]
    fn an_unknown_part_or_a_stray_note_is_refused_by_name() {
        let mut body = json!({ "resourceType": "CarePlan", "status": "draft", "intent": "plan",
            "subject": { "reference": "Patient/x" },
            "category": [{ "coding": [{ "system": terminology::code_system_url(PLAN_PARTS), "code": "diet" }] }] });
        let e = part_from_fhir(body.clone()).err().expect("refused");
        assert_eq!(e.issue[0].expression, vec!["CarePlan.category"]);
        for part in ["care-and-support", "management", "escalation"] {
            body["category"] = json!([{ "coding": [terminology::coding(PLAN_PARTS, part)] }]);
            body["note"] = json!([{ "text": "Lovely chat" }]);
            let e = part_from_fhir(body.clone()).err().expect("refused");
            assert_eq!(e.issue[0].expression, vec!["CarePlan.note[0]"], "{part}");
        }
        body["note"] = json!([]);
        body["intent"] = json!("wish");
        let e = part_from_fhir(body).err().expect("refused");
        assert_eq!(e.issue[0].expression, vec!["CarePlan.intent"]);
    }

    #[test]
    fn the_management_and_escalation_plans_read_back_as_written() {
        use carethread_domain::plan::{
            CrisisContact, EscalationPlan, ManagementPlan, Mandate, PhoneNumber, Responsibility, Treatment,
        };
        let person = Uuid::now_v7();
        let member = Uuid::now_v7();
        let content = PlanContent {
            management: ManagementPlan {
                treatments: vec![
                    Treatment { text: "Paracetamol 500mg when needed".into(), code: Some("322236009".into()) },
                    Treatment { text: "Talking therapy; weekly".into(), code: None },
                ],
                social_prescribing: vec!["Walking group on Tuesdays".into()],
                self_management: vec!["Keep a mood diary".into(), "Sleep by eleven".into()],
                responsibilities: vec![Responsibility {
                    who: Owner::Member(member),
                    who_name: "Rita (Mum)".into(),
                    what: "Lifts to the walking group".into(),
                }],
            },
            escalation: EscalationPlan {
                warning_signs: vec!["Stops eating; stays in bed".into(), "Talks about money worries".into()],
                what_helps: vec!["Quiet room".into()],
                what_to_do: vec!["Ring Mum first".into()],
                contacts: vec![CrisisContact {
                    name: "Westmere crisis line".into(),
                    role: "Crisis team (24 hours)".into(),
                    phone: PhoneNumber::try_from("0800 000 0145".to_string()).expect("phone"),
                    hours: "Any time: day or night".into(),
                }],
                what_not_to_do: vec!["Do not raise your voice".into()],
                crisis_preferences: Some("Mum with me, and my headphones".into()),
                mandates: vec![Mandate {
                    kind: MandateKind::LpaProperty,
                    says: "Rita is attorney (for money)".into(),
                    kept_at: "Blue folder".into(),
                }],
            },
            ..PlanContent::default()
        };
        let stored = first_draft(person, &content);
        let supporters = vec![(Owner::Person, "Aisha".to_string()), (Owner::Member(member), "Rita (Mum)".to_string())];
        let Ok(PartForm::Management(_, management)) = part_from_fhir(to_fhir(&stored, Part::Management)) else {
            panic!("the management plan reads back")
        };
        assert_eq!(management.parse(&supporters).expect("valid"), content.management);
        let Ok(PartForm::Escalation(_, escalation)) = part_from_fhir(to_fhir(&stored, Part::Escalation)) else {
            panic!("the escalation plan reads back")
        };
        assert_eq!(escalation.parse().expect("valid"), content.escalation);
    }

    /// `content` as the first draft of `person`'s plan.
    fn first_draft(person: Uuid, content: &PlanContent) -> StoredPlan<'_> {
        StoredPlan {
            version_id: Uuid::now_v7(),
            person_id: person,
            number: 1,
            status: PlanStatus::Draft,
            content,
            agreement: None,
            review_due: None,
            replaces: None,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn plan_part_ids_read_back() {
        let v = Uuid::now_v7();
        for part in Part::ALL {
            assert_eq!(Part::parse_id(&part.resource_id(v)), Some((v, part)));
        }
        assert_eq!(Part::parse_id(&format!("{v}-other")), None);
        assert_eq!(Part::parse_id("short"), None);
    }

    #[test]
    fn a_plan_in_force_is_active_and_a_replaced_one_revoked() {
        assert_eq!(status_code(PlanStatus::UnderReview), "active");
        assert_eq!(status_code(PlanStatus::Agreed), "draft");
        assert_eq!(status_code(PlanStatus::Superseded), "revoked");
        for code in CAREPLAN_SEARCH.statuses {
            assert!(PlanStatus::ALL.iter().any(|s| status_code(*s) == *code), "{code}");
        }
    }
}
