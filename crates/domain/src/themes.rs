//! The six value themes a case is organised around, and the entries people write in them.
//!
//! Every theme holds the same four kinds of entry (what is working, what worries people, agreed
//! next steps, notes), each in someone's voice: the person's own words, words written with them,
//! another person's perspective, or a professional's. Themes add their own structured records on
//! top (the circle of support's members, for example).

use crate::errors::FieldErrors;
use crate::keeping_safe::{Particulars, ParticularsInput};
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

/// A section within a theme that an entry can belong to: the parts of "about me", the parts of
/// a good life, the areas of risk and health. Entries without a topic belong to the theme as a
/// whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topic {
    MyView,
    OthersViews,
    AgreeAndDiffer,
    HowToTalkWithMe,
    WhatHelpsMeUnderstand,
    Engagement,
    WorkingFormulation,
    StillToFindOut,
    CommunicationStyle,
    DailyStructure,
    PromptsNeeded,
    Interests,
    Skills,
    Opportunities,
    RiskHarmToSelf,
    RiskHarmToOthers,
    RiskVulnerability,
    RiskDeterioration,
    RiskOffending,
    RiskOther,
    PositiveRiskTaking,
    Medication,
    PhysicalHealth,
    MentalHealth,
    CapacityConsentDignity,
    FreshStart,
    ProgressMeasures,
    ReviewArrangements,
}

impl Topic {
    pub const ALL: [Topic; 28] = [
        Topic::MyView,
        Topic::OthersViews,
        Topic::AgreeAndDiffer,
        Topic::HowToTalkWithMe,
        Topic::WhatHelpsMeUnderstand,
        Topic::Engagement,
        Topic::WorkingFormulation,
        Topic::StillToFindOut,
        Topic::CommunicationStyle,
        Topic::DailyStructure,
        Topic::PromptsNeeded,
        Topic::Interests,
        Topic::Skills,
        Topic::Opportunities,
        Topic::RiskHarmToSelf,
        Topic::RiskHarmToOthers,
        Topic::RiskVulnerability,
        Topic::RiskDeterioration,
        Topic::RiskOffending,
        Topic::RiskOther,
        Topic::PositiveRiskTaking,
        Topic::Medication,
        Topic::PhysicalHealth,
        Topic::MentalHealth,
        Topic::CapacityConsentDignity,
        Topic::FreshStart,
        Topic::ProgressMeasures,
        Topic::ReviewArrangements,
    ];

    /// The six areas of risk, each written with the person (see [`crate::keeping_safe`]).
    pub fn is_risk_area(&self) -> bool {
        use Topic::*;
        matches!(
            self,
            RiskHarmToSelf | RiskHarmToOthers | RiskVulnerability | RiskDeterioration | RiskOffending | RiskOther
        )
    }

    pub fn theme(&self) -> Theme {
        use Topic::*;
        match self {
            MyView
            | OthersViews
            | AgreeAndDiffer
            | HowToTalkWithMe
            | WhatHelpsMeUnderstand
            | Engagement
            | WorkingFormulation
            | StillToFindOut => Theme::AboutMe,
            CommunicationStyle | DailyStructure | PromptsNeeded | Interests | Skills | Opportunities => {
                Theme::JoiningIn
            }
            RiskHarmToSelf
            | RiskHarmToOthers
            | RiskVulnerability
            | RiskDeterioration
            | RiskOffending
            | RiskOther
            | PositiveRiskTaking
            | Medication
            | PhysicalHealth
            | MentalHealth
            | CapacityConsentDignity
            | FreshStart => Theme::KeepingSafe,
            ProgressMeasures | ReviewArrangements => Theme::Progress,
        }
    }

    /// The topics of one theme, in the order the theme page shows them.
    pub fn of(theme: Theme) -> impl Iterator<Item = Topic> {
        Topic::ALL.into_iter().filter(move |t| t.theme() == theme)
    }

    pub fn slug(&self) -> &'static str {
        use Topic::*;
        match self {
            MyView => "my-view",
            OthersViews => "others-views",
            AgreeAndDiffer => "agree-and-differ",
            HowToTalkWithMe => "how-to-talk-with-me",
            WhatHelpsMeUnderstand => "what-helps-me-understand",
            Engagement => "engagement",
            WorkingFormulation => "working-formulation",
            StillToFindOut => "still-to-find-out",
            CommunicationStyle => "communication-style",
            DailyStructure => "daily-structure",
            PromptsNeeded => "prompts-needed",
            Interests => "interests",
            Skills => "skills",
            Opportunities => "opportunities",
            RiskHarmToSelf => "risk-harm-to-self",
            RiskHarmToOthers => "risk-harm-to-others",
            RiskVulnerability => "risk-vulnerability",
            RiskDeterioration => "risk-deterioration",
            RiskOffending => "risk-offending",
            RiskOther => "risk-other",
            PositiveRiskTaking => "positive-risk-taking",
            Medication => "medication",
            PhysicalHealth => "physical-health",
            MentalHealth => "mental-health",
            CapacityConsentDignity => "capacity-consent-dignity",
            FreshStart => "fresh-start",
            ProgressMeasures => "progress-measures",
            ReviewArrangements => "review-arrangements",
        }
    }

    pub fn label(&self) -> &'static str {
        use Topic::*;
        match self {
            MyView => "My view, in my own words",
            OthersViews => "Other people's views",
            AgreeAndDiffer => "Where views agree and differ",
            HowToTalkWithMe => "How to talk with me",
            WhatHelpsMeUnderstand => "What helps me understand",
            Engagement => "Engagement",
            WorkingFormulation => "Our agreed working formulation",
            StillToFindOut => "What we still need to find out",
            CommunicationStyle => "Communication style",
            DailyStructure => "Daily structure and routines",
            PromptsNeeded => "Prompts I need",
            Interests => "Interests",
            Skills => "Skills",
            Opportunities => "Opportunities",
            RiskHarmToSelf => "Risk: harm to myself",
            RiskHarmToOthers => "Risk: harm to other people",
            RiskVulnerability => "Risk: being taken advantage of",
            RiskDeterioration => "Risk: my health getting worse",
            RiskOffending => "Risk: offending",
            RiskOther => "Risk: something else",
            PositiveRiskTaking => "Positive risks we have agreed to take",
            Medication => "Medication",
            PhysicalHealth => "Physical health",
            MentalHealth => "Mental health",
            CapacityConsentDignity => "Capacity, consent and dignity",
            FreshStart => "Reputation and a fresh start",
            ProgressMeasures => "How we will measure progress",
            ReviewArrangements => "How often we review, and when next",
        }
    }

    /// What to write, in a line.
    pub fn hint(&self) -> &'static str {
        use Topic::*;
        match self {
            _ if self.is_risk_area() => {
                "Write it with the person: how they understand it, what helps now, and what else would help."
            }
            PositiveRiskTaking => {
                "A risk worth taking for a better life, agreed with the person, and how it is supported."
            }
            CapacityConsentDignity => "Tick “best-interests decision” to record who decided, when, and why.",
            WorkingFormulation => "The shared understanding of what is going on, agreed with the person.",
            ReviewArrangements => "For example: reviewed every 3 months; next review in March.",
            _ => "In the person's words where you can.",
        }
    }
}

impl FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Topic::ALL.into_iter().find(|t| t.slug() == s).ok_or_else(|| format!("'{s}' is not a topic"))
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

    /// Reads the form's `voice` and `perspective_of` fields.
    pub fn parse_input(errors: &mut FieldErrors, voice: &str, perspective_of: &str) -> Option<Voice> {
        match voice {
            "own-words" => Some(Voice::OwnWords),
            "with-person" => Some(Voice::WithPerson),
            "professional" => Some(Voice::Professional),
            "perspective" => {
                let of = required(errors, "perspective_of", "whose view this is", perspective_of, 100);
                Some(Voice::Perspective(of))
            }
            _ => {
                errors.add("voice", "Say whose words these are.");
                None
            }
        }
    }

    /// The form's `voice` and `perspective_of` values for this voice.
    pub fn to_input(&self) -> (String, String) {
        match self {
            Voice::Perspective(of) => ("perspective".into(), of.clone()),
            other => (other.slug().into(), String::new()),
        }
    }

    /// The person's words: written by them, or with them in their words.
    pub fn is_persons(&self) -> bool {
        matches!(self, Voice::OwnWords | Voice::WithPerson)
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

impl StepStatus {
    pub fn label(&self) -> &'static str {
        match self {
            StepStatus::Open => "Open",
            StepStatus::Done => "Done",
        }
    }
}

/// Who is looking, as far as withheld entries go. Everything is visible to the person except
/// entries withheld with a recorded reason; those are seen only by the team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Staff who work with the record: they see withheld entries, flagged.
    Team,
    /// The person, or anyone else who may read but not change the record.
    Person,
}

impl Audience {
    /// Those who may change the record are the team; everyone else reads as the person does.
    pub fn given(may_edit: bool) -> Self {
        if may_edit { Audience::Team } else { Audience::Person }
    }

    pub fn sees_withheld(&self) -> bool {
        *self == Audience::Team
    }
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
    /// A topic slug within the theme, or empty for the theme as a whole.
    pub topic: String,
    pub body: String,
    pub voice: String,
    pub perspective_of: String,
    /// Where it came from: a conversation, a meeting or a review (the golden thread).
    pub source: String,
    /// The id of the review or key-worker conversation it came from, if one was chosen.
    pub from_review: String,
    pub step_done: Option<String>,
    pub withhold: Option<String>,
    pub withhold_reason: String,
    pub review_day: String,
    pub review_month: String,
    pub review_year: String,
    /// The risk questions and best-interests fields of "keeping safe and well".
    #[serde(flatten)]
    pub particulars: ParticularsInput,
}

/// An entry with every field checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryDetails {
    pub kind: EntryKind,
    /// The section of the theme it belongs to, if any. Always a topic of the entry's theme.
    #[serde(default)]
    pub topic: Option<Topic>,
    pub body: String,
    pub voice: Voice,
    pub source: Option<String>,
    /// The review or key-worker conversation it came from: the golden thread. The store checks
    /// that it is one of this person's reviews.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<uuid::Uuid>,
    /// Only next steps have a status.
    pub status: Option<StepStatus>,
    pub withheld: Option<Withholding>,
    /// A risk area's answers or a best-interests decision; only in "keeping safe and well".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub particulars: Option<Particulars>,
}

pub const ENTRY_MAX: usize = 4000;

impl EntryInput {
    /// Checks the entry. `today` bounds the review date of a withholding: it must be in the
    /// future and within a year, so a decision to withhold is always looked at again.
    pub fn parse(&self, theme: Theme, today: NaiveDate) -> Result<EntryDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let topic = match self.topic.trim() {
            "" => None,
            slug => match slug.parse::<Topic>() {
                Ok(t) if t.theme() == theme => Some(t),
                _ => {
                    errors.add("topic", format!("Choose one of the parts of {} from the list.", theme.title()));
                    None
                }
            },
        };
        let kind =
            self.kind.parse::<EntryKind>().map_err(|_| errors.add("kind", "Choose what kind of entry this is.")).ok();
        let body = required(&mut errors, "body", "what you want to record", &self.body, ENTRY_MAX);
        let voice = Voice::parse_input(&mut errors, &self.voice, &self.perspective_of);
        let source = optional(&mut errors, "source", "where this came from", &self.source, 200);
        let review = match self.from_review.trim() {
            "" => None,
            id => match id.parse::<uuid::Uuid>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("from_review", "Choose the review from the list, or none.");
                    None
                }
            },
        };
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
        let particulars = self.particulars.parse(&mut errors, kind, topic, today);
        match (kind, voice, errors.is_empty()) {
            (Some(kind), Some(voice), true) => {
                Ok(EntryDetails { kind, topic, body, voice, source, review, status, withheld, particulars })
            }
            _ => Err(errors),
        }
    }
}

impl EntryDetails {
    /// The form filled in with this entry, for editing.
    pub fn to_input(&self) -> EntryInput {
        use chrono::Datelike;
        let (voice, perspective_of) = self.voice.to_input();
        EntryInput {
            kind: self.kind.slug().into(),
            topic: self.topic.map(|t| t.slug().to_string()).unwrap_or_default(),
            body: self.body.clone(),
            voice,
            perspective_of,
            source: self.source.clone().unwrap_or_default(),
            from_review: self.review.map(|r| r.to_string()).unwrap_or_default(),
            step_done: (self.status == Some(StepStatus::Done)).then(|| "yes".into()),
            withhold: self.withheld.as_ref().map(|_| "yes".into()),
            withhold_reason: self.withheld.as_ref().map(|w| w.reason.clone()).unwrap_or_default(),
            review_day: self.withheld.as_ref().map(|w| w.review_by.day().to_string()).unwrap_or_default(),
            review_month: self.withheld.as_ref().map(|w| w.review_by.month().to_string()).unwrap_or_default(),
            review_year: self.withheld.as_ref().map(|w| w.review_by.year().to_string()).unwrap_or_default(),
            particulars: self.particulars.as_ref().map(Particulars::to_input).unwrap_or_default(),
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
    /// The headline of this theme at the latest signed-off review, once there is one.
    pub latest_outcome: Option<crate::reviews::Headline>,
}

impl ThemeGlance {
    /// The latest review's verdict in a few words, for the map and its table.
    pub fn outcome_line(&self) -> String {
        match self.latest_outcome {
            Some(h) => format!("Last review: {}", h.label()),
            None => "No review yet".into(),
        }
    }

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
        let errors = EntryInput::default().parse(Theme::AboutMe, today()).expect_err("empty");
        for field in ["kind", "body", "voice"] {
            assert!(errors.get(field).is_some(), "{field}: {errors}");
        }
        let long = EntryInput { body: "x".repeat(ENTRY_MAX + 1), ..input("note", "professional") };
        assert!(long.parse(Theme::AboutMe, today()).expect_err("too long").get("body").is_some());
    }

    #[test]
    fn a_perspective_names_whose_view_it_is() {
        assert!(
            input("worry", "perspective")
                .parse(Theme::AboutMe, today())
                .expect_err("unnamed")
                .get("perspective_of")
                .is_some()
        );
        let named = EntryInput { perspective_of: "Lorna (mum)".into(), ..input("worry", "perspective") };
        assert_eq!(
            named.parse(Theme::AboutMe, today()).expect("valid").voice,
            Voice::Perspective("Lorna (mum)".into())
        );
    }

    #[test]
    fn only_next_steps_have_a_status() {
        assert_eq!(
            input("next-step", "with-person").parse(Theme::AboutMe, today()).expect("valid").status,
            Some(StepStatus::Open)
        );
        let done = EntryInput { step_done: Some("yes".into()), ..input("next-step", "with-person") };
        assert_eq!(done.parse(Theme::AboutMe, today()).expect("valid").status, Some(StepStatus::Done));
        assert_eq!(input("working", "own-words").parse(Theme::AboutMe, today()).expect("valid").status, None);
    }

    #[test]
    fn withholding_needs_a_reason_and_a_review_date_within_a_year() {
        let bare = EntryInput { withhold: Some("yes".into()), ..input("worry", "professional") };
        let errors = bare.parse(Theme::AboutMe, today()).expect_err("no reason");
        assert!(errors.get("withhold_reason").is_some() && errors.get("review_by").is_some());
        let past = EntryInput {
            withhold_reason: "Police investigation in progress".into(),
            review_day: "1".into(),
            review_month: "1".into(),
            review_year: "2026".into(),
            ..bare.clone()
        };
        assert!(
            past.parse(Theme::AboutMe, today())
                .expect_err("past")
                .get("review_by")
                .is_some_and(|m| m.contains("future"))
        );
        let far = EntryInput { review_year: "2028".into(), ..past.clone() };
        assert!(
            far.parse(Theme::AboutMe, today())
                .expect_err("far")
                .get("review_by")
                .is_some_and(|m| m.contains("within a year"))
        );
        let ok = EntryInput { review_year: "2027".into(), ..past };
        let parsed = ok.parse(Theme::AboutMe, today()).expect("valid");
        assert_eq!(parsed.withheld.as_ref().map(|w| w.review_by), NaiveDate::from_ymd_opt(2027, 1, 1));
        assert_eq!(parsed.to_input().parse(Theme::AboutMe, today()), Ok(parsed));
    }

    #[test]
    fn topics_belong_to_one_theme_and_are_refused_elsewhere() {
        for topic in Topic::ALL {
            assert_eq!(topic.slug().parse::<Topic>(), Ok(topic));
            assert!(Topic::of(topic.theme()).any(|t| t == topic));
        }
        assert_eq!(Topic::of(Theme::CircleOfSupport).count(), 0);
        assert_eq!(Topic::of(Theme::AboutMe).count(), 8);
        let talk = EntryInput { topic: "how-to-talk-with-me".into(), ..input("note", "own-words") };
        assert_eq!(talk.parse(Theme::AboutMe, today()).expect("valid").topic, Some(Topic::HowToTalkWithMe));
        let wrong_theme = talk.parse(Theme::KeepingSafe, today()).expect_err("topic of another theme");
        assert!(wrong_theme.get("topic").is_some());
    }

    #[test]
    fn the_glance_summary_counts_in_words() {
        let g = ThemeGlance { working: 1, worries: 2, open_steps: 0, ..ThemeGlance::default() };
        assert_eq!(g.summary(), "1 working · 2 worries · 0 steps");
        assert_eq!(count(1, "step", "steps"), "1 step");
    }
}

/// A comment on an entry, as typed: said in one to 1,000 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommentText(String);

impl CommentText {
    pub const MAX: usize = 1000;

    pub fn parse(raw: &str) -> Result<CommentText, &'static str> {
        let text = raw.trim();
        match text.chars().count() {
            0 => Err("Write your comment first."),
            n if n > Self::MAX => Err("Keep the comment to 1,000 characters or fewer."),
            _ => Ok(CommentText(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod comment_tests {
    use super::CommentText;

    #[test]
    fn a_comment_says_something_and_not_too_much() {
        assert!(CommentText::parse("  ").is_err());
        assert!(CommentText::parse(&"x".repeat(1001)).is_err());
        assert_eq!(CommentText::parse("  I don't agree  ").expect("ok").as_str(), "I don't agree");
    }
}
