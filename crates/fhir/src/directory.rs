//! Practitioner, PractitionerRole and Organization: the staff, their roles in teams, and the
//! organisation and its teams, so that every reference Carethread writes can be followed. A team
//! is an Organization that is `partOf` the organisation it belongs to. RelatedPerson: someone in
//! a person's circle of support.

use crate::search::Params;
use carethread_domain::circle::MemberDetails;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const RELATED_SEARCH: Params = Params::basic("RelatedPerson", &[]);

/// A staff account.
pub struct StoredStaff<'a> {
    pub id: Uuid,
    pub display_name: &'a str,
    pub role_label: &'a str,
    pub active: bool,
    pub team: Option<(Uuid, &'a str)>,
    pub org: (Uuid, &'a str),
    pub created_at: DateTime<Utc>,
}

pub fn practitioner(s: &StoredStaff<'_>) -> Value {
    json!({
        "resourceType": "Practitioner",
        "id": s.id.to_string(),
        "meta": crate::meta(1, s.created_at),
        "active": s.active,
        "name": [{ "text": s.display_name }],
    })
}

/// The staff member's role, in their team (or the organisation); its id is the account's.
pub fn practitioner_role(s: &StoredStaff<'_>) -> Value {
    let (org_id, org_name) = match s.team {
        Some(team) => team,
        None => s.org,
    };
    json!({
        "resourceType": "PractitionerRole",
        "id": s.id.to_string(),
        "meta": crate::meta(1, s.created_at),
        "active": s.active,
        "practitioner": { "reference": format!("Practitioner/{}", s.id), "display": s.display_name },
        "organization": { "reference": format!("Organization/{org_id}"), "display": org_name },
        "code": [{ "text": s.role_label }],
    })
}

/// An organisation (`part_of` None) or one of its teams.
pub struct StoredOrganisation<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub active: bool,
    pub part_of: Option<(Uuid, &'a str)>,
}

pub fn organization(o: &StoredOrganisation<'_>) -> Value {
    let mut org = json!({
        "resourceType": "Organization",
        "id": o.id.to_string(),
        "meta": { "versionId": "1" },
        "active": o.active,
        "name": o.name,
    });
    if let Some((id, name)) = o.part_of {
        org["type"] = json!([{ "text": "Team" }]);
        org["partOf"] = json!({ "reference": format!("Organization/{id}"), "display": name });
    }
    org
}

/// Someone in a person's circle of support.
pub struct StoredRelated<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub details: &'a MemberDetails,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

pub fn related_person(r: &StoredRelated<'_>) -> Value {
    let d = r.details;
    let mut related = json!({
        "resourceType": "RelatedPerson",
        "id": r.id.to_string(),
        "meta": crate::meta(r.version, r.updated_at),
        "active": true,
        "patient": { "reference": format!("Patient/{}", r.person_id) },
        "relationship": [{
            "coding": [crate::terminology::coding(crate::terminology::CIRCLE, d.source.slug())],
            "text": d.relationship
        }],
        "name": [{ "text": d.name }],
    });
    if let Some(contact) = &d.contact {
        // Contact details are written as people give them: a number, an address or both.
        related["telecom"] = json!([{ "system": "other", "value": contact }]);
    }
    if let Some(org) = &d.organisation {
        related["extension"] = json!([{
            "url": format!("{}/StructureDefinition/organisation", crate::CANONICAL),
            "valueString": org
        }]);
    }
    related
}
