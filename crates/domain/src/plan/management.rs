//! The management plan: treatments and medicines, social prescribing, what the person does to
//! look after themselves, and who does what.

use super::lines;
use crate::errors::FieldErrors;
use crate::tasks::Owner;
use crate::text::required;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementPlan {
    pub treatments: Vec<Treatment>,
    /// Referrals to local services and groups.
    pub social_prescribing: Vec<String>,
    pub self_management: Vec<String>,
    pub responsibilities: Vec<Responsibility>,
}

impl ManagementPlan {
    pub fn is_empty(&self) -> bool {
        self.treatments.is_empty()
            && self.social_prescribing.is_empty()
            && self.self_management.is_empty()
            && self.responsibilities.is_empty()
    }
}

/// A treatment or medicine, in free text, optionally with a SNOMED CT or dm+d concept id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Treatment {
    pub text: String,
    pub code: Option<String>,
}

impl Treatment {
    /// The line as typed into the form: `[322236009] Paracetamol 500 mg` or plain text.
    pub fn to_line(&self) -> String {
        match &self.code {
            Some(code) => format!("[{code}] {}", self.text),
            None => self.text.clone(),
        }
    }

    fn parse_line(errors: &mut FieldErrors, line: &str) -> Treatment {
        let Some(rest) = line.strip_prefix('[') else {
            return Treatment { text: line.to_string(), code: None };
        };
        let Some((code, text)) = rest.split_once(']') else {
            errors.add("treatments", format!("\u{201c}{line}\u{201d}: close the code's square bracket, or remove it."));
            return Treatment { text: line.to_string(), code: None };
        };
        let (code, text) = (code.trim(), text.trim());
        if !(6..=18).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.add(
                "treatments",
                format!("\u{201c}{code}\u{201d} is not a SNOMED CT or dm+d code: those are 6 to 18 digits."),
            );
        }
        if text.is_empty() {
            errors.add("treatments", format!("Say in words what [{code}] is."));
        }
        Treatment { text: text.to_string(), code: Some(code.to_string()) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Responsibility {
    pub who: Owner,
    pub who_name: String,
    pub what: String,
}

/// One "who does what" row of the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyInput {
    pub who: String,
    pub what: String,
}

/// The management plan form as typed: lists one item per line, and "who does what" rows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementInput {
    pub treatments: String,
    pub social_prescribing: String,
    pub self_management: String,
    pub duties: Vec<DutyInput>,
}

impl ManagementInput {
    pub fn parse(&self, supporters: &[(Owner, String)]) -> Result<ManagementPlan, FieldErrors> {
        let mut errors = FieldErrors::new();
        let treatments = lines(&mut errors, "treatments", "Treatments and medicines", &self.treatments)
            .iter()
            .map(|l| Treatment::parse_line(&mut errors, l))
            .collect();
        let social_prescribing =
            lines(&mut errors, "social_prescribing", "Social prescribing", &self.social_prescribing);
        let self_management = lines(&mut errors, "self_management", "Looking after myself", &self.self_management);
        let mut responsibilities = Vec::new();
        for duty in self.duties.iter().filter(|d| !d.what.trim().is_empty()) {
            let what = required(&mut errors, "duties", "what they will do", &duty.what, 300);
            match Owner::parse_value(duty.who.trim()).and_then(|o| supporters.iter().find(|(c, _)| *c == o)) {
                Some((who, name)) => responsibilities.push(Responsibility { who: *who, who_name: name.clone(), what }),
                None => errors.add("duties", format!("\u{201c}{what}\u{201d}: choose who will do it from the list.")),
            }
        }
        errors.into_result(|| ManagementPlan { treatments, social_prescribing, self_management, responsibilities })
    }
}

impl ManagementPlan {
    /// The form filled in with this plan, with two blank "who does what" rows.
    pub fn to_input(&self) -> ManagementInput {
        let mut duties: Vec<DutyInput> =
            self.responsibilities.iter().map(|r| DutyInput { who: r.who.to_value(), what: r.what.clone() }).collect();
        duties.extend([DutyInput::default(), DutyInput::default()]);
        ManagementInput {
            treatments: self.treatments.iter().map(Treatment::to_line).collect::<Vec<_>>().join("\n"),
            social_prescribing: self.social_prescribing.join("\n"),
            self_management: self.self_management.join("\n"),
            duties,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn treatments_may_carry_a_code_in_square_brackets() {
        let input = ManagementInput {
            treatments: "[322236009] Paracetamol 500 mg when needed\nTalking therapy, weekly".into(),
            duties: vec![DutyInput { who: "person".into(), what: "Take my tablets with breakfast".into() }],
            ..Default::default()
        };
        let plan = input.parse(&[(Owner::Person, "Aisha".into())]).expect("valid");
        assert_eq!(plan.treatments[0].code.as_deref(), Some("322236009"));
        assert_eq!(plan.treatments[0].text, "Paracetamol 500 mg when needed");
        assert_eq!(plan.treatments[1].code, None);
        assert_eq!(plan.responsibilities[0].who_name, "Aisha");
        assert_eq!(plan.to_input().treatments, input.treatments);
    }

    #[test]
    fn bad_codes_and_unknown_helpers_are_refused() {
        let input = ManagementInput {
            treatments: "[12ab] Something\n[123456 Unclosed".into(),
            duties: vec![DutyInput { who: "staff:not-an-id".into(), what: "Ring weekly".into() }],
            ..Default::default()
        };
        let errors = input.parse(&[(Owner::Person, "Aisha".into())]).expect_err("invalid");
        assert_eq!(errors.iter().filter(|e| e.field == "treatments").count(), 2);
        assert!(errors.get("duties").is_some());
    }
}
