//! CarePlan and Goal: one version of a person's care and support plan as three linked CarePlans
//! told apart by category (the plan in the person's own words, the management plan and the
//! escalation plan, the latter two `partOf` the first), and the plan's goals as Goals.
//!
//! Each plan version is its own CarePlan: an agreed version never changes, a newer version
//! `replaces` it, and the one people follow is `active`. A goal keeps its id across plan
//! versions, so a Goal's history is the goal as each version of the plan said it.

use crate::search::Params;
use crate::terminology::{self, PLAN_PARTS, THEMES};
use carethread_domain::plan::lifecycle::{Agreement, PlanStatus};
use carethread_domain::plan::{Achievement, Goal, Ownership, PlanContent};
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

fn plan_status_url() -> String {
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
            activities.extend(m.social_prescribing.iter().map(|s| activity(format!("Social prescribing: {s}"), None)));
            activities.extend(m.self_management.iter().map(|s| activity(format!("Self-management: {s}"), None)));
            for r in &m.responsibilities {
                let (reference, name) = owner_performer(&r.who, &r.who_name, p.person_id);
                activities.push(activity(r.what.clone(), Some((reference, &name))));
            }
        }
        Part::Escalation => {
            let e = &c.escalation;
            let list =
                |label: &str, items: &[String]| (!items.is_empty()).then(|| format!("{label}: {}", items.join("; ")));
            notes.extend(list("Warning signs", &e.warning_signs));
            notes.extend(list("What helps", &e.what_helps));
            notes.extend(list("What not to do", &e.what_not_to_do));
            notes.extend(e.crisis_preferences.as_ref().map(|p| format!("Preferences in a crisis: {p}")));
            activities.extend(e.what_to_do.iter().map(|w| activity(w.clone(), None)));
            for contact in &e.contacts {
                activities.push(activity(
                    format!(
                        "Call {} ({}) on {}: {}",
                        contact.name,
                        contact.role,
                        contact.phone.as_str(),
                        contact.hours
                    ),
                    None,
                ));
            }
            for m in &e.mandates {
                notes.push(format!("{}: {} (kept at {})", m.kind.label(), m.says, m.kept_at));
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
    /// The number of the plan version this is from: the Goal's version.
    pub plan_number: i32,
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
        "meta": crate::meta(i64::from(s.plan_number), s.updated_at),
        "lifecycleStatus": goal_status_code(g.achievement),
        "description": { "text": g.achieve },
        "subject": { "reference": format!("Patient/{}", s.person_id) },
    });
    match g.achievement {
        Achievement::Working => goal["achievementStatus"] = achievement("in-progress", "In Progress"),
        Achievement::Achieved => goal["achievementStatus"] = achievement("achieved", "Achieved"),
        Achievement::Stopped => {}
    }
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

fn achievement(code: &str, display: &str) -> Value {
    json!({ "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
        "code": code,
        "display": display
    }] })
}

#[cfg(test)]
mod tests {
    use super::*;

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
