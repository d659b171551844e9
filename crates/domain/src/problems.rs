//! Problem toolkits: a counted list of the distinct problem areas that affect daily life, each
//! described as a diagnosis or in plain words, with what is in hand for it.

use crate::errors::FieldErrors;
use crate::text::{optional, required};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Described {
    /// A named diagnosis, optionally with a code typed in (no terminology is bundled).
    Diagnosis,
    /// The person's or the team's plain description.
    PlainWords,
}

impl Described {
    pub fn slug(&self) -> &'static str {
        match self {
            Described::Diagnosis => "diagnosis",
            Described::PlainWords => "plain-words",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Described::Diagnosis => "A diagnosis",
            Described::PlainWords => "In plain words",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProblemInput {
    pub name: String,
    pub described_as: String,
    pub code: String,
    pub impact: String,
    pub assessments: String,
    pub guidelines: String,
    pub plan: String,
    pub progress: String,
    pub next_initiatives: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDetails {
    pub name: String,
    pub described_as: Described,
    /// A code from whatever terminology the team uses, as typed.
    pub code: Option<String>,
    /// How it affects daily life: a problem area is one with a functional impact.
    pub impact: String,
    pub assessments: Option<String>,
    pub guidelines: Option<String>,
    pub plan: Option<String>,
    pub progress: Option<String>,
    pub next_initiatives: Option<String>,
}

impl ProblemInput {
    pub fn parse(&self) -> Result<ProblemDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required(&mut errors, "name", "the problem area", &self.name, 200);
        let described_as = match self.described_as.as_str() {
            "diagnosis" => Some(Described::Diagnosis),
            "plain-words" => Some(Described::PlainWords),
            _ => {
                errors.add("described_as", "Say whether this is a diagnosis or a description in plain words.");
                None
            }
        };
        let code = optional(&mut errors, "code", "the code", &self.code, 40);
        if code.is_some() && described_as == Some(Described::PlainWords) {
            errors.add("code", "A code goes with a diagnosis. Choose diagnosis, or leave the code blank.");
        }
        let impact = required(&mut errors, "impact", "how it affects daily life", &self.impact, 2000);
        let assessments = optional(&mut errors, "assessments", "the assessments", &self.assessments, 2000);
        let guidelines = optional(&mut errors, "guidelines", "the guidelines", &self.guidelines, 2000);
        let plan = optional(&mut errors, "plan", "the plan", &self.plan, 2000);
        let progress = optional(&mut errors, "progress", "the progress notes", &self.progress, 4000);
        let next_initiatives =
            optional(&mut errors, "next_initiatives", "the next initiatives", &self.next_initiatives, 2000);
        match (described_as, errors.is_empty()) {
            (Some(described_as), true) => Ok(ProblemDetails {
                name,
                described_as,
                code,
                impact,
                assessments,
                guidelines,
                plan,
                progress,
                next_initiatives,
            }),
            _ => Err(errors),
        }
    }
}

impl ProblemDetails {
    pub fn to_input(&self) -> ProblemInput {
        let s = |v: &Option<String>| v.clone().unwrap_or_default();
        ProblemInput {
            name: self.name.clone(),
            described_as: self.described_as.slug().into(),
            code: s(&self.code),
            impact: self.impact.clone(),
            assessments: s(&self.assessments),
            guidelines: s(&self.guidelines),
            plan: s(&self.plan),
            progress: s(&self.progress),
            next_initiatives: s(&self.next_initiatives),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_area_needs_a_name_a_kind_of_description_and_its_impact() {
        let errors = ProblemInput::default().parse().expect_err("empty");
        for field in ["name", "described_as", "impact"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let plain_with_code = ProblemInput {
            name: "Getting out of the house".into(),
            described_as: "plain-words".into(),
            code: "F40.0".into(),
            impact: "Misses appointments".into(),
            ..ProblemInput::default()
        };
        assert!(plain_with_code.parse().expect_err("code").get("code").is_some());
        let diagnosis =
            ProblemInput { described_as: "diagnosis".into(), name: "Agoraphobia".into(), ..plain_with_code };
        let parsed = diagnosis.parse().expect("valid");
        assert_eq!(parsed.code.as_deref(), Some("F40.0"));
        assert_eq!(parsed.to_input().parse(), Ok(parsed));
    }
}
