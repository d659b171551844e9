//! Task: something someone has agreed to do for the person. Its owner may be the person
//! (Patient), someone in their circle of support (RelatedPerson), a member of staff
//! (Practitioner) or a team (Organization); a task that came out of a review points at that
//! review (Encounter); the theme it serves is its `reasonCode`.

use crate::search::Params;
use crate::terminology::{self, THEMES};
use carethread_domain::tasks::{Owner, TaskDetails, TaskStatus};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SEARCH: Params = Params {
    owners: &["Patient", "RelatedPerson", "Practitioner", "Organization"],
    ..Params::basic("Task", &["requested", "accepted", "in-progress", "on-hold", "completed", "cancelled"])
};

/// A stored task, as the API has it.
pub struct Stored<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: &'a str,
    pub details: &'a TaskDetails,
    pub owner_name: &'a str,
    pub review: Option<Uuid>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// The FHIR status of a Carethread task status; "blocked" is on hold, with the reason.
pub fn status_code(status: &TaskStatus) -> &'static str {
    match status {
        TaskStatus::Requested => "requested",
        TaskStatus::Accepted => "accepted",
        TaskStatus::InProgress => "in-progress",
        TaskStatus::Blocked(_) => "on-hold",
        TaskStatus::Done => "completed",
        TaskStatus::Cancelled => "cancelled",
    }
}

/// The Carethread status slug a FHIR status search code stands for.
pub fn status_slug(code: &str) -> Option<&'static str> {
    Some(match code {
        "requested" => "requested",
        "accepted" => "accepted",
        "in-progress" => "in-progress",
        "on-hold" => "blocked",
        "completed" => "done",
        "cancelled" => "cancelled",
        _ => return None,
    })
}

/// The reference a task's owner is written as.
pub fn owner_reference(owner: &Owner, person_id: Uuid) -> String {
    match owner {
        Owner::Person => format!("Patient/{person_id}"),
        Owner::Member(id) => format!("RelatedPerson/{id}"),
        Owner::Staff(id) => format!("Practitioner/{}", id.as_uuid()),
        Owner::Team(id) => format!("Organization/{}", id.as_uuid()),
    }
}

/// The task or step form's value for whoever a reference names, when it can own or support
/// something in `person`'s care: `person`, `member:ID`, `staff:ID` or `team:ID`.
pub fn owner_value(reference: &str, person: Uuid) -> Option<String> {
    owner_kind_value(&crate::search::Ref::parse(reference, None)?, person)
}

fn owner_kind_value(r: &crate::search::Ref, person: Uuid) -> Option<String> {
    match r.kind.as_str() {
        "Patient" if r.id == person => Some("person".to_string()),
        "RelatedPerson" => Some(format!("member:{}", r.id)),
        "Practitioner" => Some(format!("staff:{}", r.id)),
        "Organization" => Some(format!("team:{}", r.id)),
        _ => None,
    }
}

pub fn to_fhir(t: &Stored<'_>) -> Value {
    let d = t.details;
    let mut task = json!({
        "resourceType": "Task",
        "id": t.id.to_string(),
        "meta": crate::meta(t.version, t.updated_at),
        "status": status_code(&d.status),
        "intent": "plan",
        "description": d.title,
        "for": { "reference": format!("Patient/{}", t.person_id), "display": t.person_name },
        "owner": { "reference": owner_reference(&d.owner, t.person_id), "display": t.owner_name },
        "restriction": { "period": { "end": d.due.to_string() } },
        "lastModified": crate::instant(t.updated_at),
    });
    if let Some(reason) = d.status.blocked_reason() {
        task["statusReason"] = json!({ "text": reason });
    }
    if let Some(theme) = d.theme {
        task["reasonCode"] = json!({
            "coding": [{ "system": terminology::code_system_url(THEMES), "code": theme.slug(), "display": theme.title() }]
        });
    }
    if let Some(review) = t.review {
        task["encounter"] = json!({ "reference": format!("Encounter/{review}") });
    }
    task
}

#[cfg(test)]
mod tests {
    use super::*;
    use carethread_domain::themes::Theme;
    use chrono::NaiveDate;

    #[test]
    fn a_blocked_task_is_on_hold_with_its_reason_and_points_at_its_owner() {
        let details = TaskDetails {
            title: "Book the dentist".into(),
            owner: Owner::Member(Uuid::nil()),
            due: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            theme: Some(Theme::KeepingSafe),
            status: TaskStatus::Blocked("Surgery closed".into()),
        };
        let t = to_fhir(&Stored {
            id: Uuid::nil(),
            person_id: Uuid::nil(),
            person_name: "Jordan Baptiste",
            details: &details,
            owner_name: "Lorna (Mum)",
            review: None,
            version: 3,
            updated_at: DateTime::UNIX_EPOCH,
        });
        assert_eq!(t["status"], "on-hold");
        assert_eq!(t["statusReason"]["text"], "Surgery closed");
        assert_eq!(t["owner"]["reference"], format!("RelatedPerson/{}", Uuid::nil()));
        assert_eq!(t["restriction"]["period"]["end"], "2026-12-01");
        assert_eq!(t["meta"]["versionId"], "3");
        for code in SEARCH.statuses {
            assert!(status_slug(code).is_some(), "{code}");
        }
    }
}

/// A Task as a client sends it to create or change one. Elements Carethread writes itself
/// (`meta`, `text`, `lastModified`, `encounter`) are accepted and not kept, so a Task read can be
/// sent back changed.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<crate::datatypes::Narrative>,
    pub status: String,
    #[serde(default)]
    pub status_reason: Option<crate::datatypes::CodeableConcept>,
    pub intent: String,
    pub description: String,
    #[serde(rename = "for")]
    pub for_: crate::datatypes::Reference,
    pub owner: crate::datatypes::Reference,
    pub restriction: Restriction,
    #[serde(default)]
    pub reason_code: Option<crate::datatypes::CodeableConcept>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// The review a task came from: set when the review records it, and kept as it is.
    #[serde(default)]
    pub encounter: Option<crate::datatypes::Reference>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restriction {
    pub period: Period,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    #[serde(default)]
    pub start: Option<String>,
    pub end: String,
}

/// A task read from FHIR, as the task form would have it, and whose record it is for. The
/// domain's own form rules then decide whether it is a valid task.
pub struct TaskForm {
    pub person: Uuid,
    pub id: Option<String>,
    pub input: carethread_domain::tasks::TaskInput,
}

/// Reads a Task, naming the element at fault when it cannot.
pub fn task_from_fhir(body: &[u8]) -> Result<TaskForm, crate::outcome::OperationOutcome> {
    use crate::outcome::{IssueCode, OperationOutcome};
    let t: TaskIn = crate::parse::resource(body, "Task")?;
    let bad = |at: &str, m: String| OperationOutcome::at(IssueCode::Value, at, m);
    if t.intent != "plan" {
        return Err(bad("Task.intent", "A task agreed for a person's care has the intent \"plan\".".into()));
    }
    let status = status_slug(&t.status)
        .ok_or_else(|| bad("Task.status", format!("A task's status is one of: {}.", SEARCH.statuses.join(", "))))?;
    let person = t
        .for_
        .reference
        .as_deref()
        .and_then(|r| crate::search::Ref::parse(r, None))
        .filter(|r| r.kind == "Patient")
        .ok_or_else(|| bad("Task.for", "Say whose task it is: a reference to a Patient.".into()))?
        .id;
    let owner = t
        .owner
        .reference
        .as_deref()
        .and_then(|r| crate::search::Ref::parse(r, None))
        .ok_or_else(|| bad("Task.owner", "Give the owner as a reference: Practitioner/<id>, and so on.".into()))?;
    let owner = owner_kind_value(&owner, person).ok_or_else(|| {
        bad(
            "Task.owner",
            "The owner is the person themselves, someone in their circle (RelatedPerson), staff (Practitioner) or a team (Organization).".into(),
        )
    })?;
    let due = chrono::NaiveDate::parse_from_str(&t.restriction.period.end, "%Y-%m-%d")
        .map_err(|_| bad("Task.restriction.period.end", "Give the due date as YYYY-MM-DD.".into()))?;
    let theme = match &t.reason_code {
        None => String::new(),
        Some(c) => {
            let themes = terminology::code_system_url(THEMES);
            c.coding
                .iter()
                .find(|c| c.system.as_deref() == Some(themes.as_str()))
                .and_then(|c| c.code.clone())
                .ok_or_else(|| bad("Task.reasonCode", format!("The reason is one of the six themes, from {themes}.")))?
        }
    };
    use chrono::Datelike;
    let input = carethread_domain::tasks::TaskInput {
        title: t.description,
        owner,
        due_day: due.day().to_string(),
        due_month: due.month().to_string(),
        due_year: due.year().to_string(),
        theme,
        status: status.to_string(),
        blocked_reason: t.status_reason.and_then(|r| r.text).unwrap_or_default(),
    };
    Ok(TaskForm { person, id: t.id, input })
}

/// The task form's errors, each against the element it came from.
pub fn form_errors(errors: &carethread_domain::errors::FieldErrors) -> crate::outcome::OperationOutcome {
    crate::outcome::OperationOutcome::from_fields(errors, |field| match field {
        "title" => "Task.description",
        "owner" => "Task.owner",
        "due" => "Task.restriction.period.end",
        "theme" => "Task.reasonCode",
        "blocked_reason" => "Task.statusReason.text",
        _ => "Task.status",
    })
}
