//! Provenance (read-only): who wrote each version of a person's records, and when. One
//! Provenance per version of the person's details, of each member of their circle and each
//! problem area, and per plan version (with who recorded the person's agreement to it).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SEARCH: crate::search::Params = crate::search::Params::basic("Provenance", &[]);

/// The resource a version belongs to, as FHIR names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Patient,
    RelatedPerson,
    Condition,
    CarePlan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Create,
    Update,
    Delete,
}

/// Who made a change: a member of staff, the person themselves, someone else with an account
/// (named only), or no one signed in.
pub enum Who<'a> {
    Staff { id: Uuid, name: &'a str },
    Person { id: Uuid, name: &'a str },
    Named(&'a str),
    System,
}

pub struct StoredProvenance<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub target: Target,
    pub target_id: Uuid,
    pub version: i64,
    pub at: DateTime<Utc>,
    pub activity: Activity,
    pub author: Who<'a>,
    /// For a plan version: who recorded the person's agreement to it.
    pub agreement_recorded_by: Option<Who<'a>>,
}

fn who(w: &Who<'_>) -> Value {
    match w {
        Who::Staff { id, name } => json!({ "reference": format!("Practitioner/{id}"), "display": name }),
        Who::Person { id, name } => json!({ "reference": format!("Patient/{id}"), "display": name }),
        Who::Named(name) => json!({ "display": name }),
        Who::System => json!({ "display": "Carethread: imported, or set up from the command line" }),
    }
}

fn agent(kind: &str, display: &str, w: &Who<'_>) -> Value {
    json!({
        "type": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": kind,
            "display": display
        }] },
        "who": who(w),
    })
}

pub fn to_fhir(p: &StoredProvenance<'_>) -> Value {
    // The person's details can be read at each version; the others are named as they are now.
    let target = match p.target {
        Target::Patient => format!("Patient/{}/_history/{}", p.target_id, p.version),
        Target::RelatedPerson => format!("RelatedPerson/{}", p.target_id),
        Target::Condition => format!("Condition/{}", p.target_id),
        Target::CarePlan => format!("CarePlan/{}", p.target_id),
    };
    let (code, display) = match p.activity {
        Activity::Create => ("CREATE", "create"),
        Activity::Update => ("UPDATE", "revise"),
        Activity::Delete => ("DELETE", "delete"),
    };
    let mut agents = vec![agent("author", "Author", &p.author)];
    if let Some(recorder) = &p.agreement_recorded_by {
        agents.push(agent("enterer", "Enterer", recorder));
    }
    json!({
        "resourceType": "Provenance",
        "id": p.id.to_string(),
        "meta": crate::meta(1, p.at),
        "target": [{ "reference": target }],
        "recorded": crate::instant(p.at),
        "activity": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": code,
            "display": display
        }] },
        "agent": agents,
        "extension": [{
            "url": format!("{}/StructureDefinition/about-person", crate::CANONICAL),
            "valueReference": { "reference": format!("Patient/{}", p.person_id) }
        }],
    })
}
