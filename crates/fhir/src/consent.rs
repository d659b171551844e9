//! Consent: the person's consent to share their record with someone in their circle, anyone in a
//! role, or an organisation; which parts; for what; from and until when; how it was given. A
//! withdrawn consent stays in the record, inactive, with the day and reason of withdrawal.

use crate::search::Params;
use carethread_domain::plan::consent::{ConsentDetails, ShareWith};
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
        "meta": crate::meta(if c.withdrawn.is_some() { 2 } else { 1 }, c.created_at),
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
