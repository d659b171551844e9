//! The six value themes a case is organised around, and the entries people write in them.
//!
//! Every theme holds the same four kinds of entry (what is working, what worries people, agreed
//! next steps, notes), each in someone's voice: the person's own words, words written with them,
//! another person's perspective, or a professional's. Themes add their own structured records on
//! top (the circle of support's members, for example).

use crate::errors::FieldErrors;
use crate::text::{optional, required};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    CircleOfSupport,
    AboutMe,
    ProblemToolkits,
    JoiningIn,
    KeepingSafe,
    Progress,
}

impl Theme {
    /// In the order they are shown, clockwise from the top of the map.
    pub const ALL: [Theme; 6] = [
        Theme::CircleOfSupport,
        Theme::AboutMe,
        Theme::ProblemToolkits,
        Theme::JoiningIn,
        Theme::KeepingSafe,
        Theme::Progress,
    ];

    /// The word used in web addresses and storage.
    pub fn slug(&self) -> &'static str {
        match self {
            Theme::CircleOfSupport => "circle-of-support",
            Theme::AboutMe => "about-me",
            Theme::ProblemToolkits => "problem-toolkits",
            Theme::JoiningIn => "joining-in",
            Theme::KeepingSafe => "keeping-safe",
            Theme::Progress => "progress",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            Theme::CircleOfSupport => "Circle of support",
            Theme::AboutMe => "About me",
            Theme::ProblemToolkits => "Problem toolkits",
            Theme::JoiningIn => "Joining in and living a good life",
            Theme::KeepingSafe => "Keeping safe and well",
            Theme::Progress => "What progress am I making",
        }
    }

    /// The theme as the person might ask it, in easy-read words.
    pub fn easy_read(&self) -> &'static str {
        match self {
            Theme::CircleOfSupport => "Who helps me?",
            Theme::AboutMe => "What I want you to know about me",
            Theme::ProblemToolkits => "What is hard for me, and what helps",
            Theme::JoiningIn => "What I like doing and my days",
            Theme::KeepingSafe => "Staying safe and well",
            Theme::Progress => "Is it getting better?",
        }
    }

    /// One line saying what belongs in the theme, for staff.
    pub fn purpose(&self) -> &'static str {
        match self {
            Theme::CircleOfSupport => "Everyone involved: the person's own network, services, and the wider system.",
            Theme::AboutMe => {
                "The person's own view in their own words, how far others share it, and how best to communicate."
            }
            Theme::ProblemToolkits => {
                "Each distinct problem area, its impact on daily life, and what is in hand for it."
            }
            Theme::JoiningIn => {
                "Routines, interests, skills, opportunities and what makes a good life for this person."
            }
            Theme::KeepingSafe => {
                "Risks written with the person, health, medication, capacity, consent and a fresh start."
            }
            Theme::Progress => {
                "The measures agreed for this case, when it is reviewed, and how reviews judged progress."
            }
        }
    }
}

impl FromStr for Theme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Theme::ALL.into_iter().find(|t| t.slug() == s).ok_or_else(|| format!("'{s}' is not one of the six themes"))
    }
}

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// Something that is working well: a strength.
    Working,
    /// Something that worries the person or people around them.
    Worry,
    /// An agreed next step: something someone will do.
    NextStep,
    Note,
}

impl EntryKind {
    pub const ALL: [EntryKind; 4] = [EntryKind::Working, EntryKind::Worry, EntryKind::NextStep, EntryKind::Note];

    pub fn slug(&self) -> &'static str {
        match self {
            EntryKind::Working => "working",
            EntryKind::Worry => "worry",
            EntryKind::NextStep => "next-step",
            EntryKind::Note => "note",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            EntryKind::Working => "What is working",
            EntryKind::Worry => "What worries people",
            EntryKind::NextStep => "Agreed next steps",
            EntryKind::Note => "Notes",
        }
    }
}

impl FromStr for EntryKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntryKind::ALL.into_iter().find(|k| k.slug() == s).ok_or_else(|| format!("'{s}' is not a kind of entry"))
    }
}

/// Whose words an entry is in. The author (the account that typed it) is always recorded too.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "voice", content = "of", rename_all = "kebab-case")]
pub enum Voice {
    /// Written by the person themselves.
    OwnWords,
    /// Written with the person, in their words, by whoever is typing.
    WithPerson,
    /// Another person's view, named (a family member, a carer, a clinician...).
    Perspective(String),
    /// A professional's own note.
    Professional,
}

impl Voice {
    pub fn slug(&self) -> &'static str {
        match self {
            Voice::OwnWords => "own-words",
            Voice::WithPerson => "with-person",
            Voice::Perspective(_) => "perspective",
            Voice::Professional => "professional",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Voice::OwnWords => "In their own words".into(),
            Voice::WithPerson => "Written with them".into(),
            Voice::Perspective(of) => format!("{of}'s view"),
            Voice::Professional => "Professional note".into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Open,
    Done,
}

/// Why an entry is not shown to the person, and when that decision is looked at again.
/// Everything is visible to the person unless this is recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withholding {
    pub reason: String,
    pub review_by: NaiveDate,
}

/// An entry as typed into the form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryInput {
    pub kind: String,
    pub body: String,
    pub voice: String,
    pub perspective_of: String,
    /// Where it came from: a conversation, a meeting or a review (the golden thread).
    pub source: String,
    pub step_done: Option<String>,
    pub withhold: Option<String>,
    pub withhold_reason: String,
    pub review_day: String,
    pub review_month: String,
    pub review_year: String,
}

/// An entry with every field checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryDetails {
    pub kind: EntryKind,
    pub body: String,
    pub voice: Voice,
    pub source: Option<String>,
    /// Only next steps have a status.
    pub status: Option<StepStatus>,
    pub withheld: Option<Withholding>,
}

pub const ENTRY_MAX: usize = 4000;

impl EntryInput {
    /// Checks the entry. `today` bounds the review date of a withholding: it must be in the
    /// future and within a year, so a decision to withhold is always looked at again.
    pub fn parse(&self, today: NaiveDate) -> Result<EntryDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind =
            self.kind.parse::<EntryKind>().map_err(|_| errors.add("kind", "Choose what kind of entry this is.")).ok();
        let body = required(&mut errors, "body", "what you want to record", &self.body, ENTRY_MAX);
        let voice = match self.voice.as_str() {
            "own-words" => Some(Voice::OwnWords),
            "with-person" => Some(Voice::WithPerson),
            "professional" => Some(Voice::Professional),
            "perspective" => {
                let of = required(&mut errors, "perspective_of", "whose view this is", &self.perspective_of, 100);
                Some(Voice::Perspective(of))
            }
            _ => {
                errors.add("voice", "Say whose words these are.");
                None
            }
        };
        let source = optional(&mut errors, "source", "where this came from", &self.source, 200);
        let withheld = if self.withhold.is_some() {
            let reason = required(
                &mut errors,
                "withhold_reason",
                "the reason for not showing this to the person",
                &self.withhold_reason,
                500,
            );
            let mut date_errors = FieldErrors::new();
            let review_by = crate::person::parse_date(
                &mut date_errors,
                "review_by",
                &self.review_day,
                &self.review_month,
                &self.review_year,
            );
            for e in date_errors.iter() {
                errors.add("review_by", e.message.clone());
            }
            match review_by {
                Some(d) if d <= today => {
                    errors.add("review_by", "The date to look at this again must be in the future.");
                    None
                }
                Some(d) if d > today + chrono::Duration::days(366) => {
                    errors.add("review_by", "Look at this again within a year.");
                    None
                }
                Some(d) => Some(Withholding { reason, review_by: d }),
                None => None,
            }
        } else {
            None
        };
        let status = match kind {
            Some(EntryKind::NextStep) => {
                Some(if self.step_done.is_some() { StepStatus::Done } else { StepStatus::Open })
            }
            _ => None,
        };
        match (kind, voice, errors.is_empty()) {
            (Some(kind), Some(voice), true) => Ok(EntryDetails { kind, body, voice, source, status, withheld }),
            _ => Err(errors),
        }
    }
}

impl EntryDetails {
    /// The form filled in with this entry, for editing.
    pub fn to_input(&self) -> EntryInput {
        use chrono::Datelike;
        let (perspective_of, voice) = match &self.voice {
            Voice::Perspective(of) => (of.clone(), "perspective".to_string()),
            other => (String::new(), other.slug().to_string()),
        };
        EntryInput {
            kind: self.kind.slug().into(),
            body: self.body.clone(),
            voice,
            perspective_of,
            source: self.source.clone().unwrap_or_default(),
            step_done: (self.status == Some(StepStatus::Done)).then(|| "yes".into()),
            withhold: self.withheld.as_ref().map(|_| "yes".into()),
            withhold_reason: self.withheld.as_ref().map(|w| w.reason.clone()).unwrap_or_default(),
            review_day: self.withheld.as_ref().map(|w| w.review_by.day().to_string()).unwrap_or_default(),
            review_month: self.withheld.as_ref().map(|w| w.review_by.month().to_string()).unwrap_or_default(),
            review_year: self.withheld.as_ref().map(|w| w.review_by.year().to_string()).unwrap_or_default(),
        }
    }
}

/// What a theme shows at a glance on the case map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThemeGlance {
    pub working: usize,
    pub worries: usize,
    pub open_steps: usize,
    /// The most recent "working" and "worry" entries, for a one-line preview.
    pub latest_working: Option<String>,
    pub latest_worry: Option<String>,
}

impl ThemeGlance {
    /// The counts in a few words, as the case map shows them: "2 working · 1 worry · 3 steps".
    pub fn summary(&self) -> String {
        format!(
            "{} working · {} · {}",
            self.working,
            count(self.worries, "worry", "worries"),
            count(self.open_steps, "step", "steps")
        )
    }
}

/// "1 worry", "2 worries": a number with the right form of its noun.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn input(kind: &str, voice: &str) -> EntryInput {
        EntryInput {
            kind: kind.into(),
            body: "Going to the allotment on Tuesdays".into(),
            voice: voice.into(),
            ..EntryInput::default()
        }
    }

    #[test]
    fn themes_and_kinds_round_trip_through_their_slugs() {
        for t in Theme::ALL {
            assert_eq!(t.slug().parse::<Theme>(), Ok(t));
        }
        for k in EntryKind::ALL {
            assert_eq!(k.slug().parse::<EntryKind>(), Ok(k));
        }
        assert!("themes".parse::<Theme>().is_err());
    }

    #[test]
    fn an_entry_needs_words_a_kind_and_a_voice() {
        let errors = EntryInput::default().parse(today()).expect_err("empty");
        for field in ["kind", "body", "voice"] {
            assert!(errors.get(field).is_some(), "{field}: {errors}");
        }
        let long = EntryInput { body: "x".repeat(ENTRY_MAX + 1), ..input("note", "professional") };
        assert!(long.parse(today()).expect_err("too long").get("body").is_some());
    }

    #[test]
    fn a_perspective_names_whose_view_it_is() {
        assert!(input("worry", "perspective").parse(today()).expect_err("unnamed").get("perspective_of").is_some());
        let named = EntryInput { perspective_of: "Lorna (mum)".into(), ..input("worry", "perspective") };
        assert_eq!(named.parse(today()).expect("valid").voice, Voice::Perspective("Lorna (mum)".into()));
    }

    #[test]
    fn only_next_steps_have_a_status() {
        assert_eq!(input("next-step", "with-person").parse(today()).expect("valid").status, Some(StepStatus::Open));
        let done = EntryInput { step_done: Some("yes".into()), ..input("next-step", "with-person") };
        assert_eq!(done.parse(today()).expect("valid").status, Some(StepStatus::Done));
        assert_eq!(input("working", "own-words").parse(today()).expect("valid").status, None);
    }

    #[test]
    fn withholding_needs_a_reason_and_a_review_date_within_a_year() {
        let bare = EntryInput { withhold: Some("yes".into()), ..input("worry", "professional") };
        let errors = bare.parse(today()).expect_err("no reason");
        assert!(errors.get("withhold_reason").is_some() && errors.get("review_by").is_some());
        let past = EntryInput {
            withhold_reason: "Police investigation in progress".into(),
            review_day: "1".into(),
            review_month: "1".into(),
            review_year: "2026".into(),
            ..bare.clone()
        };
        assert!(past.parse(today()).expect_err("past").get("review_by").is_some_and(|m| m.contains("future")));
        let far = EntryInput { review_year: "2028".into(), ..past.clone() };
        assert!(far.parse(today()).expect_err("far").get("review_by").is_some_and(|m| m.contains("within a year")));
        let ok = EntryInput { review_year: "2027".into(), ..past };
        let parsed = ok.parse(today()).expect("valid");
        assert_eq!(parsed.withheld.as_ref().map(|w| w.review_by), NaiveDate::from_ymd_opt(2027, 1, 1));
        assert_eq!(parsed.to_input().parse(today()), Ok(parsed));
    }

    #[test]
    fn the_glance_summary_counts_in_words() {
        let g = ThemeGlance { working: 1, worries: 2, open_steps: 0, ..ThemeGlance::default() };
        assert_eq!(g.summary(), "1 working · 2 worries · 0 steps");
        assert_eq!(count(1, "step", "steps"), "1 step");
    }
}
