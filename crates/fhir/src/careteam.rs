//! CareTeam: a person's circle of support. Each participant's role says where they come from
//! (personal network, services, wider system) and, as text, who they are to the person. Each is
//! a RelatedPerson (professionals in the circle too, named with their organisation: they are
//! there as the person's chosen contacts, which need not be Carethread accounts).
//! The allocated key worker is a Practitioner, and the team holding the case manages it.

use crate::search::Params;
use crate::terminology::{self, CIRCLE};
use carethread_domain::circle::{MemberDetails, Source};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SEARCH: Params = Params::basic("CareTeam", &["active", "inactive"]);

pub struct StoredMember<'a> {
    pub id: Uuid,
    pub details: &'a MemberDetails,
}

/// One person's circle, as the API has it. Its id is the person's.
pub struct StoredCircle<'a> {
    pub person_id: Uuid,
    pub person_name: &'a str,
    pub case_open: bool,
    pub members: Vec<StoredMember<'a>>,
    pub key_worker: Option<(Uuid, &'a str)>,
    pub team: Option<(Uuid, &'a str)>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

pub fn status_code(case_open: bool) -> &'static str {
    if case_open { "active" } else { "inactive" }
}

pub fn to_fhir(c: &StoredCircle<'_>) -> Value {
    let mut participants: Vec<Value> = c
        .members
        .iter()
        .map(|m| {
            let d = m.details;
            let mut p = json!({
                "role": [{ "coding": [terminology::coding(CIRCLE, d.source.slug())], "text": d.relationship }],
                "member": { "reference": format!("RelatedPerson/{}", m.id), "display": d.name },
            });
            if let Some(org) = &d.organisation {
                p["onBehalfOf"] = json!({ "display": org });
            }
            p
        })
        .collect();
    if let Some((id, name)) = c.key_worker {
        participants.push(json!({
            "role": [{ "coding": [terminology::coding(CIRCLE, Source::Services.slug())], "text": "Key worker" }],
            "member": { "reference": format!("Practitioner/{id}"), "display": name },
        }));
    }
    let mut team = json!({
        "resourceType": "CareTeam",
        "id": c.person_id.to_string(),
        "meta": crate::meta(c.version, c.updated_at),
        "status": status_code(c.case_open),
        "name": format!("Circle of support of {}", c.person_name),
        "subject": { "reference": format!("Patient/{}", c.person_id), "display": c.person_name },
    });
    if !participants.is_empty() {
        team["participant"] = Value::Array(participants);
    }
    if let Some((id, name)) = c.team {
        team["managingOrganization"] = json!([{ "reference": format!("Organization/{id}"), "display": name }]);
    }
    team
}
