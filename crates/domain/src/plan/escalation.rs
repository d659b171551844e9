//! The escalation plan: what it looks like when things start to go wrong, what helps, what to
//! do and who to call, what not to do, the person's wishes in a crisis, and the legal mandates
//! anyone acting for them must know about. It is written to be read by a stranger at 3 a.m.

use super::lines;
use crate::errors::FieldErrors;
use crate::text::{optional, required};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPlan {
    pub warning_signs: Vec<String>,
    pub what_helps: Vec<String>,
    pub what_to_do: Vec<String>,
    pub contacts: Vec<CrisisContact>,
    pub what_not_to_do: Vec<String>,
    pub crisis_preferences: Option<String>,
    pub mandates: Vec<Mandate>,
}

impl EscalationPlan {
    pub fn is_empty(&self) -> bool {
        self == &EscalationPlan::default()
    }

    /// Enough to act on: the signs to look for, what to do, and someone to call.
    pub fn is_usable(&self) -> bool {
        !self.warning_signs.is_empty() && !self.what_to_do.is_empty() && !self.contacts.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrisisContact {
    pub name: String,
    /// Who they are to the person: "Mum", "Crisis team", "GP surgery".
    pub role: String,
    pub phone: PhoneNumber,
    /// When to call them: "Any time", "Weekdays 9am to 5pm".
    pub hours: String,
}

/// A telephone number as people write it: digits with spaces, dashes, brackets and a leading
/// plus allowed; 3 to 15 digits (so 999 and 111 are numbers too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let trimmed = raw.trim();
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        let allowed = trimmed
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')') || (c == '+' && i == 0));
        if allowed && (3..=15).contains(&digits) {
            Ok(PhoneNumber(trimmed.to_string()))
        } else {
            Err("a phone number has 3 to 15 digits, and only spaces, dashes, brackets or a leading + besides".into())
        }
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

impl PhoneNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// For a `tel:` link: the digits and a leading plus only.
    pub fn dial(&self) -> String {
        self.0.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
    }
}

/// A legal fact about who decides or what the person has decided in advance, and where the
/// document itself is kept. Carethread records that it exists; it is not the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    pub kind: MandateKind,
    /// What it says, in short: who the attorney is, what is refused, the resuscitation decision.
    pub says: String,
    pub kept_at: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MandateKind {
    LpaHealth,
    LpaProperty,
    AdvanceDecision,
    Respect,
}

impl MandateKind {
    pub const ALL: [MandateKind; 4] =
        [MandateKind::LpaHealth, MandateKind::LpaProperty, MandateKind::AdvanceDecision, MandateKind::Respect];
    pub fn slug(self) -> &'static str {
        match self {
            MandateKind::LpaHealth => "lpa-health",
            MandateKind::LpaProperty => "lpa-property",
            MandateKind::AdvanceDecision => "advance-decision",
            MandateKind::Respect => "respect",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            MandateKind::LpaHealth => "Lasting power of attorney for health and welfare",
            MandateKind::LpaProperty => "Lasting power of attorney for property and money",
            MandateKind::AdvanceDecision => "Advance decision to refuse treatment",
            MandateKind::Respect => "Resuscitation and ReSPECT recommendations",
        }
    }
}

/// One crisis-contact row of the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    pub name: String,
    pub role: String,
    pub phone: String,
    pub hours: String,
}

/// One mandate row of the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateInput {
    pub kind: String,
    pub says: String,
    pub kept_at: String,
}

/// The escalation plan form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationInput {
    pub warning_signs: String,
    pub what_helps: String,
    pub what_to_do: String,
    pub what_not_to_do: String,
    pub crisis_preferences: String,
    pub contacts: Vec<ContactInput>,
    pub mandates: Vec<MandateInput>,
}

impl EscalationInput {
    pub fn parse(&self) -> Result<EscalationPlan, FieldErrors> {
        let mut errors = FieldErrors::new();
        let warning_signs = lines(&mut errors, "warning_signs", "Early warning signs", &self.warning_signs);
        let what_helps = lines(&mut errors, "what_helps", "What helps", &self.what_helps);
        let what_to_do = lines(&mut errors, "what_to_do", "What to do", &self.what_to_do);
        let what_not_to_do = lines(&mut errors, "what_not_to_do", "What not to do", &self.what_not_to_do);
        let crisis_preferences = optional(
            &mut errors,
            "crisis_preferences",
            "the person's wishes in a crisis",
            &self.crisis_preferences,
            2000,
        );
        let mut contacts = Vec::new();
        let typed = self.contacts.iter().filter(|c| !(c.name.trim().is_empty() && c.phone.trim().is_empty()));
        for c in typed {
            let name = required(&mut errors, "contacts", "the contact's name", &c.name, 120);
            let role = optional(&mut errors, "contacts", "who the contact is", &c.role, 120).unwrap_or_default();
            let hours =
                optional(&mut errors, "contacts", "when to call", &c.hours, 120).unwrap_or_else(|| "Any time".into());
            if c.phone.trim().is_empty() {
                errors.add("contacts", format!("Enter a phone number for {}, or clear the row.", display(&name)));
                continue;
            }
            match PhoneNumber::try_from(c.phone.clone()) {
                Ok(phone) => contacts.push(CrisisContact { name, role, phone, hours }),
                Err(why) => errors.add("contacts", format!("The number for {}: {why}.", display(&name))),
            }
        }
        let mut mandates = Vec::new();
        for m in self
            .mandates
            .iter()
            .filter(|m| !(m.kind.is_empty() && m.says.trim().is_empty() && m.kept_at.trim().is_empty()))
        {
            let Some(kind) = MandateKind::ALL.into_iter().find(|k| k.slug() == m.kind) else {
                errors.add("mandates", "Choose what kind of document each mandate is.");
                continue;
            };
            let says = required(
                &mut errors,
                "mandates",
                &format!("what the {} says", kind.label().to_lowercase()),
                &m.says,
                500,
            );
            let kept_at = required(
                &mut errors,
                "mandates",
                &format!("where the {} is kept", kind.label().to_lowercase()),
                &m.kept_at,
                300,
            );
            mandates.push(Mandate { kind, says, kept_at });
        }
        errors.into_result(|| EscalationPlan {
            warning_signs,
            what_helps,
            what_to_do,
            contacts,
            what_not_to_do,
            crisis_preferences,
            mandates,
        })
    }
}

fn display(name: &str) -> String {
    if name.is_empty() { "this contact".into() } else { name.to_string() }
}

impl EscalationPlan {
    /// The form filled in with this plan, with blank rows to add a contact and a mandate.
    pub fn to_input(&self) -> EscalationInput {
        let mut contacts: Vec<ContactInput> = self
            .contacts
            .iter()
            .map(|c| ContactInput {
                name: c.name.clone(),
                role: c.role.clone(),
                phone: c.phone.as_str().into(),
                hours: c.hours.clone(),
            })
            .collect();
        contacts.extend([ContactInput::default(), ContactInput::default()]);
        let mut mandates: Vec<MandateInput> = self
            .mandates
            .iter()
            .map(|m| MandateInput { kind: m.kind.slug().into(), says: m.says.clone(), kept_at: m.kept_at.clone() })
            .collect();
        mandates.push(MandateInput::default());
        EscalationInput {
            warning_signs: self.warning_signs.join("\n"),
            what_helps: self.what_helps.join("\n"),
            what_to_do: self.what_to_do.join("\n"),
            what_not_to_do: self.what_not_to_do.join("\n"),
            crisis_preferences: self.crisis_preferences.clone().unwrap_or_default(),
            contacts,
            mandates,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_digits_as_people_write_them() {
        for ok in ["999", "0161 234 5678", "+44 (0)7700 900123", "111"] {
            assert!(PhoneNumber::try_from(ok.to_string()).is_ok(), "{ok}");
        }
        for bad in ["", "12", "call mum", "0161+234", "1234567890123456"] {
            assert!(PhoneNumber::try_from(bad.to_string()).is_err(), "{bad}");
        }
        assert_eq!(PhoneNumber::try_from("+44 (0)7700 900123".to_string()).expect("ok").dial(), "+4407700900123");
    }

    #[test]
    fn a_crisis_contact_without_a_number_is_refused_by_name() {
        let input = EscalationInput {
            warning_signs: "Stops answering the phone".into(),
            contacts: vec![
                ContactInput { name: "Rita".into(), role: "Mum".into(), phone: String::new(), hours: String::new() },
                ContactInput::default(),
            ],
            ..Default::default()
        };
        let errors = input.parse().expect_err("no number");
        assert_eq!(errors.get("contacts"), Some("Enter a phone number for Rita, or clear the row."));
    }

    #[test]
    fn mandates_say_what_they_are_and_where_the_document_is() {
        let input = EscalationInput {
            mandates: vec![MandateInput {
                kind: "lpa-health".into(),
                says: "Rita Karimi is attorney".into(),
                kept_at: String::new(),
            }],
            ..Default::default()
        };
        let errors = input.parse().expect_err("no location");
        assert!(errors.get("mandates").expect("error").contains("where the"));
        let plan = EscalationInput {
            warning_signs: "Not sleeping\nTalks very fast".into(),
            what_to_do: "Ring the crisis team".into(),
            contacts: vec![ContactInput {
                name: "Crisis team".into(),
                phone: "0300 123 4567".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
        .parse()
        .expect("valid");
        assert!(plan.is_usable());
        assert_eq!(plan.contacts[0].hours, "Any time");
    }
}
