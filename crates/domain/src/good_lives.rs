//! The Good Lives Model's primary goods: the things every person seeks for a good life. In the
//! joining-in theme they are a checklist, each with where things stand and a note.

use crate::errors::FieldErrors;
use crate::text::optional;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Good {
    Life,
    Knowledge,
    ExcellenceInPlay,
    ExcellenceInWork,
    ExcellenceInAgency,
    InnerPeace,
    Relatedness,
    Community,
    Spirituality,
    Pleasure,
    Creativity,
}

impl Good {
    pub const ALL: [Good; 11] = [
        Good::Life,
        Good::Knowledge,
        Good::ExcellenceInPlay,
        Good::ExcellenceInWork,
        Good::ExcellenceInAgency,
        Good::InnerPeace,
        Good::Relatedness,
        Good::Community,
        Good::Spirituality,
        Good::Pleasure,
        Good::Creativity,
    ];

    pub fn slug(&self) -> &'static str {
        match self {
            Good::Life => "life",
            Good::Knowledge => "knowledge",
            Good::ExcellenceInPlay => "play",
            Good::ExcellenceInWork => "work",
            Good::ExcellenceInAgency => "agency",
            Good::InnerPeace => "inner-peace",
            Good::Relatedness => "relatedness",
            Good::Community => "community",
            Good::Spirituality => "spirituality",
            Good::Pleasure => "pleasure",
            Good::Creativity => "creativity",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Good::Life => "Life: staying healthy and safe",
            Good::Knowledge => "Knowledge: learning and understanding",
            Good::ExcellenceInPlay => "Play: hobbies and fun I am good at",
            Good::ExcellenceInWork => "Work: doing something useful and doing it well",
            Good::ExcellenceInAgency => "Agency: making my own choices",
            Good::InnerPeace => "Inner peace: feeling calm, coping with stress",
            Good::Relatedness => "Relationships: family, friends, someone close",
            Good::Community => "Community: belonging to a group",
            Good::Spirituality => "Meaning: faith or purpose in life",
            Good::Pleasure => "Pleasure: enjoying life day to day",
            Good::Creativity => "Creativity: making or trying new things",
        }
    }
}

/// Where a primary good stands in the person's life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    InPlace,
    Partly,
    NotYet,
}

impl Standing {
    pub const ALL: [Standing; 3] = [Standing::InPlace, Standing::Partly, Standing::NotYet];
    pub fn slug(&self) -> &'static str {
        match self {
            Standing::InPlace => "in-place",
            Standing::Partly => "partly",
            Standing::NotYet => "not-yet",
        }
    }
    pub fn label(&self) -> &'static str {
        match self {
            Standing::InPlace => "In my life",
            Standing::Partly => "Partly",
            Standing::NotYet => "Not yet",
        }
    }
}

impl FromStr for Standing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Standing::ALL.into_iter().find(|x| x.slug() == s).ok_or_else(|| format!("'{s}' is not a standing"))
    }
}

/// One good's line of the checklist. Goods not yet talked about have no line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodLine {
    pub standing: Standing,
    pub note: Option<String>,
}

/// The whole checklist.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodLives(pub BTreeMap<Good, GoodLine>);

/// The checklist form: for each good, `{slug}` (the standing, or empty for "not talked about")
/// and `{slug}-note`.
pub type GoodLivesInput = BTreeMap<String, String>;

impl GoodLives {
    pub fn parse(input: &GoodLivesInput) -> Result<GoodLives, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut lines = BTreeMap::new();
        for good in Good::ALL {
            let standing = input.get(good.slug()).map(|s| s.trim()).unwrap_or("");
            let note_field = Good::note_field(good);
            let note =
                optional(&mut errors, note_field, "the note", input.get(note_field).map_or("", |s| s.as_str()), 1000);
            match standing {
                "" if note.is_some() => {
                    errors.add(note_field, format!("Say where {} stands before adding a note.", good.label()))
                }
                "" => {}
                s => match s.parse::<Standing>() {
                    Ok(standing) => {
                        lines.insert(good, GoodLine { standing, note });
                    }
                    Err(_) => errors.add(note_field, "Choose in my life, partly or not yet."),
                },
            }
        }
        errors.into_result(|| GoodLives(lines))
    }

    pub fn to_input(&self) -> GoodLivesInput {
        let mut out = GoodLivesInput::new();
        for (good, line) in &self.0 {
            out.insert(good.slug().into(), line.standing.slug().into());
            if let Some(n) = &line.note {
                out.insert(Good::note_field(*good).into(), n.clone());
            }
        }
        out
    }
}

impl Good {
    /// The name of a good's note field in the form.
    pub fn note_field(good: Good) -> &'static str {
        match good {
            Good::Life => "life-note",
            Good::Knowledge => "knowledge-note",
            Good::ExcellenceInPlay => "play-note",
            Good::ExcellenceInWork => "work-note",
            Good::ExcellenceInAgency => "agency-note",
            Good::InnerPeace => "inner-peace-note",
            Good::Relatedness => "relatedness-note",
            Good::Community => "community-note",
            Good::Spirituality => "spirituality-note",
            Good::Pleasure => "pleasure-note",
            Good::Creativity => "creativity-note",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checklist_keeps_what_was_said_and_refuses_a_note_without_a_standing() {
        let mut input = GoodLivesInput::new();
        input.insert("relatedness".into(), "partly".into());
        input.insert("relatedness-note".into(), "Sees his sister monthly".into());
        input.insert("work".into(), "not-yet".into());
        let parsed = GoodLives::parse(&input).expect("valid");
        assert_eq!(parsed.0.len(), 2);
        assert_eq!(parsed.0[&Good::Relatedness].note.as_deref(), Some("Sees his sister monthly"));
        assert_eq!(GoodLives::parse(&parsed.to_input()), Ok(parsed));
        let mut orphan = GoodLivesInput::new();
        orphan.insert("pleasure-note".into(), "Likes music".into());
        assert!(GoodLives::parse(&orphan).expect_err("no standing").get("pleasure-note").is_some());
        let mut nonsense = GoodLivesInput::new();
        nonsense.insert("life".into(), "sometimes".into());
        assert!(GoodLives::parse(&nonsense).is_err());
        assert_eq!(Good::ALL.len(), 11);
    }
}
