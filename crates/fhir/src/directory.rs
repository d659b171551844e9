//! Practitioner, PractitionerRole and Organization: the staff, their roles in teams, and the
//! organisation and its teams, so that every reference Carethread writes can be followed. A team
//! is an Organization that is `partOf` the organisation it belongs to. RelatedPerson: someone in
//! a person's circle of support.

use crate::datatypes::{CodeableConcept, ContactPoint, Extension, HumanName, Reference};
use crate::outcome::{IssueCode, OperationOutcome};
use crate::search::{Params, Ref};
use crate::terminology::{self, CIRCLE};
use carethread_domain::circle::{MemberDetails, MemberInput, Source};
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
    let mut extension = vec![json!({ "url": involvement_url(), "valueCode": d.involvement.slug() })];
    if let Some(org) = &d.organisation {
        extension.push(json!({ "url": organisation_url(), "valueString": org }));
    }
    if let Some(brings) = &d.brings {
        extension.push(json!({ "url": brings_url(), "valueString": brings }));
    }
    related["extension"] = Value::Array(extension);
    related
}

/// How closely someone is involved: core, regular or occasional.
pub fn involvement_url() -> String {
    format!("{}/StructureDefinition/involvement", crate::CANONICAL)
}
/// The organisation a member of the circle comes from, as they gave it.
pub fn organisation_url() -> String {
    format!("{}/StructureDefinition/organisation", crate::CANONICAL)
}
/// What someone brings to the person's life or care.
pub fn brings_url() -> String {
    format!("{}/StructureDefinition/brings", crate::CANONICAL)
}

/// A RelatedPerson as a client sends it: someone to add to a person's circle of support.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelatedPersonIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<crate::datatypes::Narrative>,
    #[serde(default)]
    pub extension: Vec<Extension>,
    #[serde(default)]
    pub active: Option<bool>,
    pub patient: Reference,
    #[serde(default)]
    pub relationship: Vec<CodeableConcept>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
}

/// A member of the circle read from FHIR, as the circle form would have it, and whose circle.
pub struct MemberForm {
    pub person: Option<Ref>,
    pub id: Option<String>,
    pub input: MemberInput,
    /// Whether the sender said where they come from (else the personal network is assumed).
    pub source_given: bool,
}

/// Reads a RelatedPerson. Where they come from is a coding from Carethread's circle code system
/// (someone another system sends without one is taken to be from the person's own network);
/// who they are to the person is the relationship's text, or its coding's display. Involvement
/// defaults to regular when not said.
pub fn member_from_fhir(value: Value) -> Result<MemberForm, OperationOutcome> {
    let r: RelatedPersonIn = crate::parse::value_as(value, "RelatedPerson")?;
    if r.active == Some(false) {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "RelatedPerson.active",
            "Only people who are in the circle now are added to it.",
        ));
    }
    let circle = terminology::code_system_url(CIRCLE);
    let codings = || r.relationship.iter().flat_map(|c| c.coding.iter());
    let given = codings().find(|c| c.system.as_deref() == Some(circle.as_str())).and_then(|c| c.code.clone());
    let source_given = given.is_some();
    let source = given.unwrap_or_else(|| Source::PersonalNetwork.slug().to_string());
    let relationship = r
        .relationship
        .iter()
        .find_map(|c| c.text.clone())
        .or_else(|| codings().find(|c| c.system.as_deref() != Some(circle.as_str())).and_then(|c| c.display.clone()))
        .unwrap_or_default();
    let name = r
        .name
        .first()
        .map(|n| n.text.clone().unwrap_or_else(|| [n.given.join(" "), n.family.clone().unwrap_or_default()].join(" ")))
        .unwrap_or_default();
    let text = |url: String| {
        crate::datatypes::extension(&r.extension, &url).and_then(|e| e.value_string.clone().or(e.value_code.clone()))
    };
    let contact: Vec<&str> = r.telecom.iter().filter_map(|t| t.value.as_deref()).collect();
    let input = MemberInput {
        name: name.trim().to_string(),
        relationship,
        organisation: text(organisation_url()).unwrap_or_default(),
        contact: contact.join("; "),
        source,
        involvement: text(involvement_url()).unwrap_or_else(|| "regular".to_string()),
        brings: text(brings_url()).unwrap_or_default(),
        account: String::new(),
    };
    let person = r.patient.reference.as_deref().and_then(|p| Ref::parse(p, None));
    Ok(MemberForm { person, id: r.id, input, source_given })
}

/// The circle form's errors, each against the element it came from.
pub fn member_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |field| match field {
        "name" => "RelatedPerson.name",
        "relationship" | "source" => "RelatedPerson.relationship",
        "contact" => "RelatedPerson.telecom",
        _ => "RelatedPerson.extension",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use carethread_domain::circle::Involvement;

    #[test]
    fn a_member_of_the_circle_read_back_is_the_member_written() {
        let details = MemberDetails {
            name: "Sam Okafor".into(),
            relationship: "Neighbour".into(),
            organisation: Some("Tenants' group".into()),
            contact: Some("07700 900123".into()),
            source: Source::WiderSystem,
            involvement: Involvement::Occasional,
            brings: Some("Lifts to the market".into()),
        };
        let id = Uuid::now_v7();
        let written = related_person(&StoredRelated {
            id,
            person_id: id,
            details: &details,
            version: 1,
            updated_at: DateTime::UNIX_EPOCH,
        });
        let form = member_from_fhir(written).expect("reads back");
        assert_eq!(form.input.parse().expect("valid"), details);
    }

    #[test]
    fn another_systems_relative_joins_the_personal_network() {
        let body = json!({ "resourceType": "RelatedPerson", "patient": { "reference": "Patient/x" },
            "relationship": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
                "code": "MTH", "display": "mother" }] }],
            "name": [{ "given": ["Lorna"], "family": "Baptiste" }] });
        let member = member_from_fhir(body).expect("reads").input.parse().expect("valid");
        assert_eq!(member.name, "Lorna Baptiste");
        assert_eq!(member.relationship, "mother");
        assert_eq!(member.source, Source::PersonalNetwork);
        assert_eq!(member.involvement, Involvement::Regular);
    }
}
