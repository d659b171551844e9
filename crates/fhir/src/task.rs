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
