//! Consent: the person's consent to share their record with someone in their circle, anyone in a
//! role, or an organisation; which parts; for what; from and until when; how it was given. A
//! withdrawn consent stays in the record, inactive, with the day and reason of withdrawal.

use crate::datatypes::{CodeableConcept, Coding, Extension, Reference};
use crate::outcome::{IssueCode, OperationOutcome};
use crate::search::{Params, Ref};
use carethread_domain::plan::consent::{ConsentDetails, ConsentInput, Section, ShareScope, ShareWith};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SEARCH: Params = Params::basic("Consent", &["proposed", "active", "inactive"]);

pub struct StoredConsent<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub details: &'a ConsentDetails,
    pub withdrawn: Option<(NaiveDate, &'a str)>,
    pub created_at: DateTime<Utc>,
}

/// A consent's version: 1 as recorded, 2 once withdrawn (what it says never changes).
pub fn version(withdrawn: bool) -> i64 {
    if withdrawn { 2 } else { 1 }
}

/// Not yet begun: proposed; in force: active; ended or withdrawn: inactive.
pub fn status_code(c: &StoredConsent<'_>, today: NaiveDate) -> &'static str {
    if c.details.in_force(today, c.withdrawn.map(|(d, _)| d)) {
        "active"
    } else if c.withdrawn.is_none() && c.details.from > today {
        "proposed"
    } else {
        "inactive"
    }
}

fn ext(name: &str, value: &str) -> Value {
    json!({ "url": format!("{}/StructureDefinition/{name}", crate::CANONICAL), "valueString": value })
}

pub fn to_fhir(c: &StoredConsent<'_>, today: NaiveDate) -> Value {
    let d = c.details;
    let recipient = match &d.with {
        ShareWith::Member { id, name } => json!({ "reference": format!("RelatedPerson/{id}"), "display": name }),
        other => json!({ "display": other.describe() }),
    };
    let mut period = json!({ "start": d.from.to_string() });
    if let Some(end) = c.withdrawn.map(|(w, _)| w).or(d.until) {
        period["end"] = json!(end.to_string());
    }
    let mut extension = vec![ext("consent-given", &d.given.describe())];
    if let Some((on, reason)) = c.withdrawn {
        extension.push(ext("withdrawn", &format!("Withdrawn on {on}: {reason}")));
    }
    json!({
        "resourceType": "Consent",
        "id": c.id.to_string(),
        "meta": crate::meta(version(c.withdrawn.is_some()), c.created_at),
        "extension": extension,
        "status": status_code(c, today),
        "scope": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/consentscope",
            "code": "patient-privacy",
            "display": "Privacy Consent"
        }] },
        "category": [{ "coding": [{ "system": "http://loinc.org", "code": "59284-0", "display": "Consent Document" }] }],
        "patient": { "reference": format!("Patient/{}", c.person_id) },
        "dateTime": crate::instant(c.created_at),
        "policyRule": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "OPTIN",
            "display": "opt-in"
        }] },
        "provision": {
            "type": "permit",
            "period": period,
            "actor": [{
                "role": { "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "code": "IRCP",
                    "display": "information recipient"
                }] },
                "reference": recipient
            }],
            "purpose": [{ "display": d.purpose }],
            "code": d.scope.sections().iter().map(|s| json!({ "text": s.label() })).collect::<Vec<_>>(),
        }
    })
}

/// A Consent as a client sends it. Elements Carethread writes itself (`meta`, `text`,
/// `dateTime`, `policyRule`) are accepted and not kept.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConsentIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<crate::datatypes::Narrative>,
    #[serde(default)]
    pub extension: Vec<Extension>,
    pub status: String,
    pub scope: CodeableConcept,
    pub category: Vec<CodeableConcept>,
    pub patient: Reference,
    #[serde(default)]
    pub date_time: Option<String>,
    #[serde(default)]
    pub policy_rule: Option<CodeableConcept>,
    pub provision: ProvisionIn,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvisionIn {
    #[serde(default, rename = "type")]
    pub type_: Option<String>,
    #[serde(default)]
    pub period: Option<PeriodIn>,
    #[serde(default)]
    pub actor: Vec<ActorIn>,
    #[serde(default)]
    pub purpose: Vec<Coding>,
    #[serde(default)]
    pub code: Vec<CodeableConcept>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodIn {
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorIn {
    pub role: CodeableConcept,
    pub reference: Reference,
}

/// A consent read from FHIR, as the consent form would have it, with whose it is, its status,
/// and the reason given when it is being withdrawn.
pub struct ConsentForm {
    pub person: Option<Ref>,
    pub id: Option<String>,
    pub status: String,
    pub input: ConsentInput,
    pub withdrawal_reason: Option<String>,
}

fn ext_url(name: &str) -> String {
    format!("{}/StructureDefinition/{name}", crate::CANONICAL)
}

const ROLE: &str = "Anyone working as: ";
const ORGANISATION: &str = "The organisation ";

/// Reads a Consent. Who it is shared with is the provision's actor: a RelatedPerson of the
/// circle, or named in words (a role, or an organisation). What is shared is the provision's
/// codes, one section of the record each; how consent was given, and why it was withdrawn, are
/// Carethread extensions.
pub fn from_fhir(value: Value) -> Result<ConsentForm, OperationOutcome> {
    let c: ConsentIn = crate::parse::value_as(value, "Consent")?;
    let bad = |at: &str, m: &str| OperationOutcome::at(IssueCode::Value, at, m);
    if c.provision.type_.as_deref().is_some_and(|t| t != "permit") {
        return Err(bad("Consent.provision.type", "A consent to share permits: its provision type is permit."));
    }
    let actor = match c.provision.actor.as_slice() {
        [one] => &one.reference,
        _ => {
            return Err(bad("Consent.provision.actor", "Name the one person, role or organisation it is shared with."));
        }
    };
    let named = actor.reference.as_deref().and_then(|r| Ref::parse(r, None));
    let display = actor.display.clone().unwrap_or_default();
    let mut input = ConsentInput::default();
    match (named.as_ref().map(|r| r.kind.as_str()), display.as_str()) {
        (Some("RelatedPerson"), _) => {
            input.with_kind = "member".into();
            input.member = named.as_ref().map(|r| r.id.to_string()).unwrap_or_default();
        }
        (_, d) if d.starts_with(ROLE) => {
            input.with_kind = "role".into();
            input.role = d[ROLE.len()..].to_string();
        }
        (Some("Organization"), d) | (None, d) if d.starts_with(ORGANISATION) || named.is_some() => {
            input.with_kind = "organisation".into();
            input.organisation = d.strip_prefix(ORGANISATION).unwrap_or(d).to_string();
        }
        (_, d) => {
            input.with_kind = "role".into();
            input.role = d.to_string();
        }
    }
    let mut sections = Vec::new();
    for (i, code) in c.provision.code.iter().enumerate() {
        let label = code.text.as_deref().unwrap_or_default();
        match Section::all().into_iter().find(|s| s.label() == label || s.slug() == label) {
            Some(s) => sections.push(s),
            None => {
                return Err(bad(
                    &format!("Consent.provision.code[{i}]"),
                    "Each code names a section of the record, as Carethread labels it (for example \"Escalation (crisis) plan\").",
                ));
            }
        }
    }
    input.scope = if sections == ShareScope::WholePlan.sections() {
        "whole".into()
    } else if sections == ShareScope::EscalationOnly.sections() {
        "escalation".into()
    } else {
        input.sections = sections.iter().map(|s| s.slug()).collect();
        "sections".into()
    };
    input.purpose = c.provision.purpose.first().and_then(|p| p.display.clone()).unwrap_or_default();
    if let Some(period) = &c.provision.period {
        input.from = period.start.clone().unwrap_or_default();
        input.until = period.end.clone().unwrap_or_default();
    }
    let text =
        |name: &str| crate::datatypes::extension(&c.extension, &ext_url(name)).and_then(|e| e.value_string.clone());
    match text("consent-given").as_deref() {
        Some("Given verbally") => input.given = "verbal".into(),
        Some("Given in writing") => input.given = "written".into(),
        Some(t) if t.starts_with("Best-interests decision: ") => {
            input.given = "best-interests".into();
            input.best_interests = t["Best-interests decision: ".len()..].to_string();
        }
        _ => {}
    }
    // "Withdrawn on 2026-11-24: Asked by the person", as read, or just the reason.
    let withdrawal_reason = text("withdrawn").map(|t| match t.split_once(": ") {
        Some((head, reason)) if head.starts_with("Withdrawn on ") => reason.to_string(),
        _ => t,
    });
    Ok(ConsentForm {
        person: c.patient.reference.as_deref().and_then(|r| Ref::parse(r, None)),
        id: c.id,
        status: c.status,
        input,
        withdrawal_reason,
    })
}

/// The consent form's errors, each against the element it came from.
pub fn form_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |field| match field {
        "member" | "role" | "organisation" | "with_kind" => "Consent.provision.actor",
        "scope" | "sections" => "Consent.provision.code",
        "purpose" => "Consent.provision.purpose",
        "from" | "until" => "Consent.provision.period",
        _ => "Consent.extension",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use carethread_domain::plan::consent::ConsentGiven;
    use carethread_domain::themes::Theme;

    #[test]
    fn a_consent_read_back_is_the_consent_written() {
        let member = Uuid::now_v7();
        let members = vec![(member, "Lorna Baptiste".to_string())];
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).expect("date");
        for (with, scope, given) in [
            (
                ShareWith::Member { id: member, name: "Lorna Baptiste".into() },
                ShareScope::WholePlan,
                ConsentGiven::Verbal,
            ),
            (ShareWith::Role("Out-of-hours GP".into()), ShareScope::EscalationOnly, ConsentGiven::Written),
            (
                ShareWith::Organisation("Westmere Homes".into()),
                ShareScope::Sections(vec![Section::Escalation, Section::Theme(Theme::AboutMe)]),
                ConsentGiven::BestInterests("Dr Hollis: Jordan could not weigh it up that day".into()),
            ),
        ] {
            let details = ConsentDetails {
                with,
                scope,
                purpose: "So they can help in a crisis".into(),
                from: today,
                until: NaiveDate::from_ymd_opt(2027, 11, 24),
                given,
            };
            let written = to_fhir(
                &StoredConsent {
                    id: member,
                    person_id: member,
                    details: &details,
                    withdrawn: None,
                    created_at: DateTime::UNIX_EPOCH,
                },
                today,
            );
            let form = from_fhir(written).expect("reads back");
            assert_eq!(form.input.parse(&members).expect("valid"), details);
        }
    }
}
