//! Patient: a person's registered details. Everything Carethread holds about who the person is
//! and how to talk with them travels, so a Patient read and written back changes nothing.
//!
//! - NHS number: `identifier` with the NHS number system (check digit enforced).
//! - Names: the `official` name (family and given names), and the name the person goes by as a
//!   `usual` name with one given name.
//! - Phone and email: `telecom`; address: `address.text`; language: `communication`.
//! - Interpreter needed: HL7's `patient-interpreterRequired` extension. Pronouns, communication
//!   needs and a preference for easy read: Carethread extensions.
//! - `active`: whether the person's case is open.

use crate::datatypes::{Address, CodeableConcept, ContactPoint, Extension, HumanName, Identifier, Meta, Narrative};
use crate::outcome::{Issue, IssueCode, OperationOutcome, Severity};
use crate::{CANONICAL, NHS_NUMBER_SYSTEM};
use carethread_domain::{PersonDetails, PersonInput};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub const INTERPRETER_REQUIRED: &str = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";

pub fn pronouns_url() -> String {
    format!("{CANONICAL}/StructureDefinition/pronouns")
}
pub fn communication_needs_url() -> String {
    format!("{CANONICAL}/StructureDefinition/communication-needs")
}
pub fn easy_read_url() -> String {
    format!("{CANONICAL}/StructureDefinition/easy-read")
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Patient {
    pub resource_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Accepted from clients and not kept: the narrative is Carethread's to write.
    #[serde(default, skip_serializing)]
    pub text: Option<Narrative>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communication: Vec<Communication>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Communication {
    pub language: CodeableConcept,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred: Option<bool>,
}

/// A stored person as a FHIR Patient: the record's id, its version and when it last changed.
pub struct Stored<'a> {
    pub id: String,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub details: &'a PersonDetails,
    pub case_open: bool,
}

pub fn to_fhir(s: &Stored<'_>) -> Patient {
    let d = s.details;
    let mut extension = Vec::new();
    if let Some(p) = &d.pronouns {
        extension.push(Extension::string(&pronouns_url(), p));
    }
    if let Some(n) = &d.communication_needs {
        extension.push(Extension::string(&communication_needs_url(), n));
    }
    extension.push(Extension::boolean(&easy_read_url(), d.easy_read));
    extension.push(Extension::boolean(INTERPRETER_REQUIRED, d.interpreter_needed));
    let mut name = vec![HumanName {
        use_: Some("official".into()),
        family: Some(d.family_name.clone()),
        given: vec![d.given_name.clone()],
        ..HumanName::default()
    }];
    if let Some(p) = &d.preferred_name {
        name.push(HumanName { use_: Some("usual".into()), given: vec![p.clone()], ..HumanName::default() });
    }
    let mut telecom = Vec::new();
    if let Some(p) = &d.phone {
        telecom.push(ContactPoint { system: Some("phone".into()), value: Some(p.clone()), use_: None });
    }
    if let Some(e) = &d.email {
        telecom.push(ContactPoint { system: Some("email".into()), value: Some(e.clone()), use_: None });
    }
    Patient {
        resource_type: "Patient".into(),
        id: Some(s.id.clone()),
        meta: Some(Meta {
            version_id: Some(s.version.to_string()),
            last_updated: Some(s.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            ..Meta::default()
        }),
        text: None,
        extension,
        identifier: vec![Identifier {
            use_: None,
            system: Some(NHS_NUMBER_SYSTEM.into()),
            value: Some(d.nhs_number.digits()),
        }],
        active: Some(s.case_open),
        name,
        telecom,
        birth_date: Some(d.date_of_birth.format("%Y-%m-%d").to_string()),
        address: d.address.iter().map(|a| Address { text: Some(a.clone()), ..Address::default() }).collect(),
        communication: d
            .language
            .iter()
            .map(|l| Communication {
                language: CodeableConcept { coding: vec![], text: Some(l.clone()) },
                preferred: Some(true),
            })
            .collect(),
    }
}

/// Where each of the domain's fields lives in a Patient, for naming it in an error.
fn expression(field: &str) -> &'static str {
    match field {
        "given_name" => "Patient.name.where(use='official').given",
        "family_name" => "Patient.name.where(use='official').family",
        "preferred_name" => "Patient.name.where(use='usual').given",
        "pronouns" | "communication_needs" => "Patient.extension",
        "date_of_birth" | "dob_day" | "dob_month" | "dob_year" => "Patient.birthDate",
        "nhs_number" => "Patient.identifier",
        "phone" | "email" => "Patient.telecom",
        "address" => "Patient.address",
        "language" => "Patient.communication",
        _ => "Patient",
    }
}

fn issue(code: IssueCode, expression: impl Into<String>, diagnostics: impl Into<String>) -> Issue {
    Issue { severity: Severity::Error, code, diagnostics: diagnostics.into(), expression: vec![expression.into()] }
}

/// A Patient from a client as a person's details, checked by the same rules as the
/// registration form. Every problem is reported, each against its element.
pub fn from_fhir(p: &Patient, today: NaiveDate) -> Result<PersonDetails, OperationOutcome> {
    let mut issues: Vec<Issue> = Vec::new();
    let mut input = PersonInput::default();

    let mut nhs = None;
    for (i, id) in p.identifier.iter().enumerate() {
        match id.system.as_deref() {
            Some(NHS_NUMBER_SYSTEM) if nhs.is_none() => nhs = Some((i, id.value.clone().unwrap_or_default())),
            Some(NHS_NUMBER_SYSTEM) => issues.push(issue(
                IssueCode::Invariant,
                format!("Patient.identifier[{i}]"),
                "Give one NHS number only.",
            )),
            other => issues.push(issue(
                IssueCode::NotSupported,
                format!("Patient.identifier[{i}].system"),
                format!(
                    "Carethread identifies people by NHS number ({NHS_NUMBER_SYSTEM}); the system {} is not kept.",
                    other.unwrap_or("(none)")
                ),
            )),
        }
    }
    match &nhs {
        Some((_, value)) => input.nhs_number = value.clone(),
        None => issues.push(issue(
            IssueCode::Required,
            "Patient.identifier",
            format!("Give the person's NHS number as an identifier with system {NHS_NUMBER_SYSTEM}."),
        )),
    }

    for (i, n) in p.name.iter().enumerate() {
        match n.use_.as_deref() {
            Some("usual") => {
                if n.given.len() != 1 || n.family.is_some() {
                    issues.push(issue(
                        IssueCode::Invalid,
                        format!("Patient.name[{i}]"),
                        "The usual name is the one name the person goes by: one given name and no family name.",
                    ));
                }
                input.preferred_name = n.given.join(" ");
            }
            None | Some("official") => {
                input.given_name = n.given.join(" ");
                input.family_name = n.family.clone().unwrap_or_default();
            }
            Some(other) => issues.push(issue(
                IssueCode::NotSupported,
                format!("Patient.name[{i}].use"),
                format!("Names are kept as official or usual; a {other} name is not kept."),
            )),
        }
        if !n.prefix.is_empty() || !n.suffix.is_empty() || n.text.is_some() {
            issues.push(issue(
                IssueCode::NotSupported,
                format!("Patient.name[{i}]"),
                "Name prefixes, suffixes and text are not kept: give family and given names.",
            ));
        }
    }

    match p.birth_date.as_deref().map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d")) {
        Some(Ok(d)) => {
            input.dob_day = d.day().to_string();
            input.dob_month = d.month().to_string();
            input.dob_year = d.year().to_string();
        }
        Some(Err(_)) => issues.push(issue(
            IssueCode::Value,
            "Patient.birthDate",
            "Give the date of birth as a full date, YYYY-MM-DD.",
        )),
        None => {} // the domain's check says it is needed
    }

    for (i, t) in p.telecom.iter().enumerate() {
        let value = t.value.clone().unwrap_or_default();
        match t.system.as_deref() {
            Some("phone") if input.phone.is_empty() => input.phone = value,
            Some("email") if input.email.is_empty() => input.email = value,
            _ => issues.push(issue(
                IssueCode::NotSupported,
                format!("Patient.telecom[{i}]"),
                "One phone number and one email address are kept.",
            )),
        }
    }
    for (i, a) in p.address.iter().enumerate() {
        if i > 0 {
            issues.push(issue(IssueCode::NotSupported, format!("Patient.address[{i}]"), "One address is kept."));
            continue;
        }
        let mut parts: Vec<String> = a.text.iter().cloned().collect();
        if a.text.is_none() {
            parts.extend(a.line.iter().cloned());
            parts.extend(a.city.iter().cloned());
            parts.extend(a.postal_code.iter().cloned());
        }
        input.address = parts.join(", ");
    }
    for (i, c) in p.communication.iter().enumerate() {
        if i > 0 {
            issues.push(issue(IssueCode::NotSupported, format!("Patient.communication[{i}]"), "One language is kept."));
            continue;
        }
        let l = &c.language;
        input.language = l
            .text
            .clone()
            .or_else(|| l.coding.first().and_then(|c| c.display.clone().or(c.code.clone())))
            .unwrap_or_default();
    }
    for (i, e) in p.extension.iter().enumerate() {
        let at = format!("Patient.extension[{i}]");
        let url = e.url.as_str();
        if url == pronouns_url() {
            input.pronouns = e.value_string.clone().unwrap_or_default();
        } else if url == communication_needs_url() {
            input.communication_needs = e.value_string.clone().unwrap_or_default();
        } else if url == easy_read_url() {
            input.easy_read = e.value_boolean.filter(|b| *b).map(|_| "yes".into());
        } else if url == INTERPRETER_REQUIRED {
            input.interpreter_needed = e.value_boolean.filter(|b| *b).map(|_| "yes".into());
        } else {
            issues.push(issue(
                IssueCode::NotSupported,
                at,
                format!("The extension {url} is not one Carethread keeps."),
            ));
        }
    }

    let parsed = input.parse(today);
    if let Err(errors) = &parsed {
        for e in errors.iter() {
            let code = if e.message.starts_with("Enter") { IssueCode::Required } else { IssueCode::Value };
            let at = match (e.field, &nhs) {
                ("nhs_number", Some((i, _))) => format!("Patient.identifier[{i}].value"),
                (field, _) => expression(field).to_string(),
            };
            issues.push(issue(code, at, e.message.clone()));
        }
    }
    match parsed {
        Ok(details) if issues.is_empty() => Ok(details),
        _ => Err(OperationOutcome { issue: issues }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 24).expect("date")
    }

    fn jordan() -> PersonDetails {
        PersonDetails {
            given_name: "Jordan".into(),
            family_name: "Baptiste".into(),
            preferred_name: Some("Jordy".into()),
            pronouns: Some("he/him".into()),
            date_of_birth: NaiveDate::from_ymd_opt(1998, 4, 12).expect("date"),
            nhs_number: "9990000018".parse().expect("valid"),
            phone: Some("01632 960 100".into()),
            email: Some("jordy@example.org".into()),
            address: Some("10 Fictional Row, Westmere".into()),
            communication_needs: Some("Short sentences and Makaton".into()),
            easy_read: true,
            language: Some("English".into()),
            interpreter_needed: false,
        }
    }

    #[test]
    fn a_patient_written_and_read_back_loses_nothing() {
        let d = jordan();
        let stored = Stored { id: "x".into(), version: 3, updated_at: Utc::now(), details: &d, case_open: true };
        let json = serde_json::to_vec(&to_fhir(&stored)).expect("json");
        let back: Patient = parse::resource(&json, "Patient").expect("parses");
        assert_eq!(from_fhir(&back, today()).expect("valid"), d);
        let minimal = PersonDetails {
            preferred_name: None,
            pronouns: None,
            phone: None,
            email: None,
            address: None,
            communication_needs: None,
            easy_read: false,
            language: None,
            ..jordan()
        };
        let stored = Stored { details: &minimal, ..stored };
        let json = serde_json::to_vec(&to_fhir(&stored)).expect("json");
        let back: Patient = parse::resource(&json, "Patient").expect("parses");
        assert_eq!(from_fhir(&back, today()).expect("valid"), minimal);
    }

    fn outcome_of(json: &str) -> OperationOutcome {
        match parse::resource::<Patient>(json.as_bytes(), "Patient") {
            Err(o) => o,
            Ok(p) => from_fhir(&p, today()).expect_err("should be refused"),
        }
    }

    #[test]
    fn bad_patients_are_refused_naming_the_element() {
        let o = outcome_of(
            r#"{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}],"name":[{"family":"B","given":["J"]}],"birthDate":"1998-04-12"}"#,
        );
        assert_eq!(o.issue[0].expression, vec!["Patient.identifier[0].value"]);
        assert_eq!(o.issue[0].code, IssueCode::Value);
        assert!(o.issue[0].diagnostics.contains("does not match the check"), "{}", o.issue[0].diagnostics);

        let o = outcome_of(r#"{"resourceType":"Patient","gender":"male"}"#);
        assert_eq!(o.issue[0].expression, vec!["Patient.gender"]);
        assert_eq!(o.issue[0].code, IssueCode::Structure);

        let o = outcome_of(r#"{"resourceType":"Patient","name":[{"family":"B","given":"J"}]}"#);
        assert_eq!(o.issue[0].expression, vec!["Patient.name[0].given"]);

        let o = outcome_of(r#"{"resourceType":"CarePlan"}"#);
        assert_eq!(o.issue[0].expression, vec!["resourceType"]);
        let o = outcome_of("[1, 2]");
        assert_eq!(o.issue[0].code, IssueCode::Structure);
        let o = outcome_of("{not json");
        assert_eq!(o.issue[0].code, IssueCode::Structure);

        let o =
            outcome_of(r#"{"resourceType":"Patient","name":[{"family":"B","given":["J"]}],"birthDate":"12/04/1998"}"#);
        let at: Vec<&str> = o.issue.iter().flat_map(|i| i.expression.iter().map(String::as_str)).collect();
        assert!(at.contains(&"Patient.identifier"), "the missing NHS number: {at:?}");
        assert!(at.contains(&"Patient.birthDate"), "{at:?}");

        let o = outcome_of(
            r#"{"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000018"}],"name":[{"family":"B","given":["J"]}],"birthDate":"2999-01-01"}"#,
        );
        assert_eq!(o.issue[0].expression, vec!["Patient.birthDate"], "{o:?}");
    }
}
