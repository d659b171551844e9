//! AuditEvent (read-only): who looked at a person's record, when, and whether the policy let
//! them, from the same audit log the person reads as "Who has looked at my record".

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SEARCH: crate::search::Params = crate::search::Params::basic("AuditEvent", &[]);

/// One audit log entry about a person's record.
pub struct StoredLook<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub at: DateTime<Utc>,
    pub who: &'a str,
    pub role: &'a str,
    /// The audit action: read, search, denied, break-glass-start, break-glass-end.
    pub action: &'a str,
    pub detail: &'a str,
}

pub fn to_fhir(l: &StoredLook<'_>) -> Value {
    // A refusal is a failure the caller caused; everything else here succeeded.
    let (outcome, description) = match l.action {
        "denied" => ("4", "Refused by the access policy"),
        "break-glass-start" => ("0", "Emergency access began"),
        "break-glass-end" => ("0", "Emergency access ended"),
        "search" => ("0", "Found in a search or list"),
        _ => ("0", "Read"),
    };
    json!({
        "resourceType": "AuditEvent",
        "id": l.id.to_string(),
        "meta": crate::meta(1, l.at),
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
            "display": "RESTful Operation"
        },
        "action": if l.action == "search" { "E" } else { "R" },
        "recorded": crate::instant(l.at),
        "outcome": outcome,
        "outcomeDesc": description,
        "agent": [{ "type": { "text": l.role }, "who": { "display": l.who }, "requestor": true }],
        "source": { "observer": { "display": "Carethread" } },
        "entity": [{
            "what": { "reference": format!("Patient/{}", l.person_id) },
            "description": l.detail
        }]
    })
}
