//! Condition: a problem area in the person's problem toolkits, named as a diagnosis or in plain
//! words, with how it affects daily life and what is being done about it. Carethread bundles no
//! terminology, so a code typed in travels as text beside the name.

use crate::datatypes::CodeableConcept;
use crate::outcome::{IssueCode, OperationOutcome};
use crate::search::Params;
use carethread_domain::problems::{Described, ProblemDetails, ProblemInput};
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

const NOTE_LABELS: [&str; 6] = ["How it affects daily life", "Assessments", "Guidelines", "Plan", "Progress", "Next"];

/// A Condition as a client sends it. Elements Carethread writes itself (`meta`, `text`) are
/// accepted and not kept, so a Condition read can be sent back changed.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<crate::datatypes::Narrative>,
    #[serde(default)]
    pub clinical_status: Option<CodeableConcept>,
    #[serde(default)]
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: crate::datatypes::Reference,
    #[serde(default)]
    pub note: Vec<crate::datatypes::Annotation>,
}

/// A problem area read from FHIR, as the problem form would have it, and whose it is.
pub struct ConditionForm {
    pub person: Option<crate::search::Ref>,
    pub id: Option<String>,
    pub input: ProblemInput,
}

/// Reads a Condition. The name is `code.text` (or the first coding's display); a code typed in
/// Carethread travels as `[code]` after the name, and a coding's code is taken as it is. The
/// notes carry how it affects daily life and the rest, each after its label; a note without a
/// label is how it affects daily life.
pub fn from_fhir(value: Value) -> Result<ConditionForm, OperationOutcome> {
    let c: ConditionIn = crate::parse::value_as(value, "Condition")?;
    if let Some(status) = c.clinical_status.as_ref().and_then(|s| s.coding.first()).and_then(|c| c.code.as_deref())
        && status != "active"
        && status != "recurrence"
        && status != "relapse"
    {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "Condition.clinicalStatus",
            "A problem area in the toolkit is one the person lives with now: its clinical status is active. Leave out conditions that have resolved.",
        ));
    }
    let coding = c.code.coding.first();
    let mut name = c.code.text.clone().or_else(|| coding.and_then(|c| c.display.clone())).unwrap_or_default();
    let mut code = coding.and_then(|c| c.code.clone()).unwrap_or_default();
    if let Some((before, after)) = name.rsplit_once(" [")
        && let Some(typed) = after.strip_suffix(']')
    {
        if code.is_empty() {
            code = typed.to_string();
        }
        name = before.to_string();
    }
    let described_as = match c.category.iter().find_map(|k| k.text.as_deref()) {
        Some(t) if t == Described::PlainWords.label() => Described::PlainWords,
        Some(t) if t == Described::Diagnosis.label() => Described::Diagnosis,
        _ if code.is_empty() => Described::PlainWords,
        _ => Described::Diagnosis,
    };
    let mut input = ProblemInput {
        name,
        described_as: described_as.slug().to_string(),
        // Kept even beside "in plain words", so the form's rules refuse the pair rather than
        // the code being dropped unseen.
        code,
        ..ProblemInput::default()
    };
    for note in &c.note {
        let (label, text) = match note.text.split_once(": ") {
            Some((label, text)) if NOTE_LABELS.contains(&label) => (label, text.to_string()),
            _ => (NOTE_LABELS[0], note.text.clone()),
        };
        let field = match label {
            "Assessments" => &mut input.assessments,
            "Guidelines" => &mut input.guidelines,
            "Plan" => &mut input.plan,
            "Progress" => &mut input.progress,
            "Next" => &mut input.next_initiatives,
            _ => &mut input.impact,
        };
        if field.is_empty() {
            *field = text;
        } else {
            field.push('\n');
            field.push_str(&text);
        }
    }
    let person = c.subject.reference.as_deref().and_then(|r| crate::search::Ref::parse(r, None));
    Ok(ConditionForm { person, id: c.id, input })
}

/// The problem form's errors, each against the element it came from.
pub fn form_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |field| match field {
        "name" | "code" => "Condition.code",
        "described_as" => "Condition.category",
        _ => "Condition.note",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_area_read_back_is_the_problem_area_written() {
        let details = ProblemDetails {
            name: "Type 2 diabetes".into(),
            described_as: Described::Diagnosis,
            code: Some("44054006".into()),
            impact: "Tired after meals; worries about feet.".into(),
            assessments: Some("HbA1c in March".into()),
            guidelines: None,
            plan: Some("Walk after lunch: with Sam".into()),
            progress: None,
            next_initiatives: Some("Retinal screening".into()),
        };
        let id = Uuid::now_v7();
        let written = to_fhir(&StoredProblem {
            id,
            person_id: id,
            details: &details,
            version: 1,
            updated_at: DateTime::UNIX_EPOCH,
        });
        let form = from_fhir(written).expect("reads back");
        assert_eq!(form.input.parse().expect("valid"), details);
        assert_eq!(form.person.map(|r| r.kind), Some("Patient".to_string()));
    }

    #[test]
    fn a_resolved_condition_or_an_unknown_element_is_refused_by_name() {
        let body = json!({ "resourceType": "Condition", "code": { "text": "Asthma" },
            "subject": { "reference": "Patient/x" },
            "clinicalStatus": { "coding": [{ "code": "resolved" }] } });
        let e = from_fhir(body).err().expect("refused");
        assert_eq!(e.issue[0].expression, vec!["Condition.clinicalStatus"]);
        let body = json!({ "resourceType": "Condition", "code": { "text": "Asthma" },
            "subject": { "reference": "Patient/x" }, "severity": {} });
        let e = from_fhir(body).err().expect("refused");
        assert_eq!(e.issue[0].expression, vec!["Condition.severity"]);
    }
}
