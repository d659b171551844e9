//! The circle of support: everyone involved in a person's life and care, from three sources,
//! and how closely they are involved.

use crate::errors::FieldErrors;
use crate::text::{optional, required};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Family, friends, carers and other supporters the person chose.
    PersonalNetwork,
    /// The key worker, clinicians and other professionals.
    Services,
    /// Commissioners, advocates, housing, employers and others.
    WiderSystem,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::PersonalNetwork, Source::Services, Source::WiderSystem];
    pub fn slug(&self) -> &'static str {
        match self {
            Source::PersonalNetwork => "personal-network",
            Source::Services => "services",
            Source::WiderSystem => "wider-system",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Source::PersonalNetwork => "Personal network",
            Source::Services => "Services",
            Source::WiderSystem => "Wider system",
        }
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::ALL.into_iter().find(|x| x.slug() == s).ok_or_else(|| format!("'{s}' is not a source"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Involvement {
    Core,
    Regular,
    Occasional,
}

impl Involvement {
    pub const ALL: [Involvement; 3] = [Involvement::Core, Involvement::Regular, Involvement::Occasional];
    pub fn slug(&self) -> &'static str {
        match self {
            Involvement::Core => "core",
            Involvement::Regular => "regular",
            Involvement::Occasional => "occasional",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Involvement::Core => "Core (closest)",
            Involvement::Regular => "Regular",
            Involvement::Occasional => "Occasional",
        }
    }
    /// The ring on the picture: 1 is nearest the person.
    pub fn ring(&self) -> usize {
        match self {
            Involvement::Core => 1,
            Involvement::Regular => 2,
            Involvement::Occasional => 3,
        }
    }
}

impl FromStr for Involvement {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Involvement::ALL
            .into_iter()
            .find(|x| x.slug() == s)
            .ok_or_else(|| format!("'{s}' is not a level of involvement"))
    }
}

/// A member as typed into the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemberInput {
    pub name: String,
    pub relationship: String,
    pub organisation: String,
    pub contact: String,
    pub source: String,
    pub involvement: String,
    pub brings: String,
    /// The username of their Carethread account, if they have one.
    pub account: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDetails {
    pub name: String,
    /// Their relationship to the person, or their role.
    pub relationship: String,
    pub organisation: Option<String>,
    pub contact: Option<String>,
    pub source: Source,
    pub involvement: Involvement,
    /// What they bring to the person's life or care.
    pub brings: Option<String>,
}

impl MemberInput {
    pub fn parse(&self) -> Result<MemberDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required(&mut errors, "name", "their name", &self.name, 100);
        let relationship = required(&mut errors, "relationship", "their relationship or role", &self.relationship, 100);
        let organisation = optional(&mut errors, "organisation", "the organisation", &self.organisation, 120);
        let contact = optional(&mut errors, "contact", "the contact details", &self.contact, 200);
        let brings = optional(&mut errors, "brings", "what they bring", &self.brings, 1000);
        let source = self
            .source
            .parse::<Source>()
            .map_err(|_| {
                errors.add("source", "Choose where they come from: personal network, services or wider system.")
            })
            .ok();
        let involvement = self
            .involvement
            .parse::<Involvement>()
            .map_err(|_| errors.add("involvement", "Choose how involved they are."))
            .ok();
        match (source, involvement, errors.is_empty()) {
            (Some(source), Some(involvement), true) => {
                Ok(MemberDetails { name, relationship, organisation, contact, source, involvement, brings })
            }
            _ => Err(errors),
        }
    }
}

impl MemberDetails {
    pub fn to_input(&self, account: Option<&str>) -> MemberInput {
        MemberInput {
            name: self.name.clone(),
            relationship: self.relationship.clone(),
            organisation: self.organisation.clone().unwrap_or_default(),
            contact: self.contact.clone().unwrap_or_default(),
            source: self.source.slug().into(),
            involvement: self.involvement.slug().into(),
            brings: self.brings.clone().unwrap_or_default(),
            account: account.unwrap_or_default().into(),
        }
    }

    /// How they are named where someone chooses who owns a task or supports a step.
    pub fn label(&self) -> String {
        match &self.organisation {
            Some(org) => format!("{} ({}, {org})", self.name, self.relationship),
            None => format!("{} ({})", self.name, self.relationship),
        }
    }

    fn mentions(&self, words: &[&str]) -> bool {
        let text = format!(" {} {} ", self.relationship, self.organisation.as_deref().unwrap_or("")).to_lowercase();
        words.iter().any(|w| text.contains(w))
    }
}

/// Gentle questions about who might be missing from a circle.
/// `capacity_in_question` is true when the keeping-safe theme records anything about the
/// person's capacity or consent: then an independent advocate matters.
pub fn prompts(members: &[MemberDetails], capacity_in_question: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    let advocate = members.iter().any(|m| m.mentions(&["advocate", "advocacy", "imca"]));
    if capacity_in_question && !advocate {
        out.push("The person's capacity or consent is being considered, and there is no advocate in the circle. Should there be one?");
    }
    if members.is_empty() {
        out.push("No one is in the circle yet. Start with the people the person sees most.");
        return out;
    }
    if !members.iter().any(|m| m.source == Source::PersonalNetwork) {
        out.push(
            "No one from the person's own network (family, friends, neighbours) is here. Who has been overlooked?",
        );
    }
    if !members.iter().any(|m| m.mentions(&[" gp ", "general practitioner", "surgery", "practice"])) {
        out.push("There is no GP in the circle. Who is the person's GP practice?");
    }
    if !members.iter().any(|m| m.involvement == Involvement::Core) {
        out.push("No one is marked as core. Who is closest to the person day to day?");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(name: &str, relationship: &str, source: Source, involvement: Involvement) -> MemberDetails {
        MemberDetails {
            name: name.into(),
            relationship: relationship.into(),
            organisation: None,
            contact: None,
            source,
            involvement,
            brings: None,
        }
    }

    #[test]
    fn a_member_needs_a_name_a_relationship_a_source_and_an_involvement() {
        let errors = MemberInput::default().parse().expect_err("empty");
        for field in ["name", "relationship", "source", "involvement"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let ok = MemberInput {
            name: "Lorna".into(),
            relationship: "Mum".into(),
            source: "personal-network".into(),
            involvement: "core".into(),
            ..MemberInput::default()
        };
        let parsed = ok.parse().expect("valid");
        assert_eq!(parsed.to_input(None).parse(), Ok(parsed));
    }

    #[test]
    fn prompts_ask_about_who_is_missing() {
        assert_eq!(prompts(&[], false).len(), 1);
        let services_only = [member("Priya", "Key worker", Source::Services, Involvement::Regular)];
        let asked = prompts(&services_only, false);
        assert!(asked.iter().any(|p| p.contains("own network")));
        assert!(asked.iter().any(|p| p.contains("GP")));
        assert!(asked.iter().any(|p| p.contains("core")));
        let full = [
            member("Lorna", "Mum", Source::PersonalNetwork, Involvement::Core),
            member("Dr Shah", "GP", Source::Services, Involvement::Occasional),
        ];
        assert!(prompts(&full, false).is_empty(), "{:?}", prompts(&full, false));
        assert!(prompts(&full, true).iter().any(|p| p.contains("no advocate")));
        let with_advocate = [
            full[0].clone(),
            full[1].clone(),
            member("Sue", "Independent advocate", Source::WiderSystem, Involvement::Regular),
        ];
        assert!(prompts(&with_advocate, true).is_empty());
    }
}
