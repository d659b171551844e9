//! CareTeam: a person's circle of support. Each participant's role says where they come from
//! (personal network, services, wider system) and, as text, who they are to the person. Each is
//! a RelatedPerson (professionals in the circle too, named with their organisation: they are
//! there as the person's chosen contacts, which need not be Carethread accounts).
//! The allocated key worker is a Practitioner, and the team holding the case manages it.

use crate::datatypes::{CodeableConcept, Meta, Narrative, Reference};
use crate::outcome::{IssueCode, OperationOutcome};
use crate::search::{Params, Ref};
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

/// A CareTeam as a client sends it: a person's circle of support.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CareTeamIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<Meta>,
    #[serde(default)]
    pub text: Option<Narrative>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    pub subject: Reference,
    #[serde(default)]
    pub participant: Vec<ParticipantIn>,
    #[serde(default)]
    pub managing_organization: Vec<Reference>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ParticipantIn {
    #[serde(default)]
    pub role: Vec<CodeableConcept>,
    pub member: Reference,
    #[serde(default)]
    pub on_behalf_of: Option<Reference>,
}

/// One participant of a circle read from FHIR.
pub struct ParticipantForm {
    /// The member's reference, as written.
    pub member: Option<String>,
    /// Where they come from (a circle code), when the role says.
    pub source: Option<String>,
    /// Who they are to the person: the role's text.
    pub relationship: Option<String>,
    pub name: Option<String>,
    pub organisation: Option<String>,
}

pub struct CircleForm {
    pub person: Option<Ref>,
    pub participants: Vec<ParticipantForm>,
}

/// Reads a CareTeam as a person's circle of support.
pub fn circle_from_fhir(value: Value) -> Result<CircleForm, OperationOutcome> {
    let t: CareTeamIn = crate::parse::value_as(value, "CareTeam")?;
    if let Some(status) = t.status.as_deref()
        && !matches!(status, "proposed" | "active" | "suspended" | "inactive")
    {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "CareTeam.status",
            "A CareTeam's status is proposed, active, suspended or inactive.",
        ));
    }
    let circle = terminology::code_system_url(CIRCLE);
    let participants = t
        .participant
        .into_iter()
        .map(|p| ParticipantForm {
            member: p.member.reference,
            source: p
                .role
                .iter()
                .flat_map(|r| r.coding.iter())
                .find(|c| c.system.as_deref() == Some(circle.as_str()))
                .and_then(|c| c.code.clone()),
            relationship: p.role.iter().find_map(|r| r.text.clone()),
            name: p.member.display,
            organisation: p.on_behalf_of.and_then(|o| o.display),
        })
        .collect();
    Ok(CircleForm { person: t.subject.reference.as_deref().and_then(|r| Ref::parse(r, None)), participants })
}
