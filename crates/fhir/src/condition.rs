//! Condition: a problem area in the person's problem toolkits, named as a diagnosis or in plain
//! words, with how it affects daily life and what is being done about it. Carethread bundles no
//! terminology, so a code typed in travels as text beside the name.

use crate::search::Params;
use carethread_domain::problems::ProblemDetails;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SEARCH: Params = Params::basic("Condition", &[]);

pub struct StoredProblem<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub details: &'a ProblemDetails,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

pub fn to_fhir(p: &StoredProblem<'_>) -> Value {
    let d = p.details;
    let text = match &d.code {
        Some(code) => format!("{} [{code}]", d.name),
        None => d.name.clone(),
    };
    let mut notes = vec![json!({ "text": format!("How it affects daily life: {}", d.impact) })];
    for (label, value) in [
        ("Assessments", &d.assessments),
        ("Guidelines", &d.guidelines),
        ("Plan", &d.plan),
        ("Progress", &d.progress),
        ("Next", &d.next_initiatives),
    ] {
        if let Some(v) = value {
            notes.push(json!({ "text": format!("{label}: {v}") }));
        }
    }
    json!({
        "resourceType": "Condition",
        "id": p.id.to_string(),
        "meta": crate::meta(p.version, p.updated_at),
        "clinicalStatus": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active"
        }] },
        "category": [{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
            "code": "problem-list-item",
            "display": "Problem List Item"
        }], "text": d.described_as.label() }],
        "code": { "text": text },
        "subject": { "reference": format!("Patient/{}", p.person_id) },
        "note": notes,
    })
}
