//! Reviews of a case, and the democratic outcome they end in.
//!
//! A review is a conversation at one of three levels. The formal one ends with every attendee
//! (the person, their supporters, professionals, and those who sent their views) saying, for
//! each of the six themes, whether things have progressed, stayed the same or slipped back. The
//! outcome is the tally, a headline by a rule stated on screen, and the person's own vote beside
//! it: disagreement is shown, never averaged away.

use crate::errors::FieldErrors;
use crate::text::{optional, required};
use crate::themes::Theme;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;

/// Generates `slug`, `label`, `ALL` and `FromStr` for a simple enum stored by its slug.
macro_rules! slugged {
    ($name:ident { $($variant:ident => ($slug:literal, $label:literal)),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn slug(&self) -> &'static str {
                match self { $($name::$variant => $slug),+ }
            }
            pub fn label(&self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|v| v.slug() == s).ok_or_else(|| format!("'{s}' is not a {}", stringify!($name)))
            }
        }
    };
}

/// The three levels of conversation about a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewKind {
    /// The person and their key worker.
    Conversation,
    /// The multidisciplinary team.
    TeamDiscussion,
    /// A formal multi-stakeholder case review, such as a Care Programme Approach review.
    FormalReview,
}

slugged!(ReviewKind {
    Conversation => ("conversation", "Key-worker conversation"),
    TeamDiscussion => ("team-discussion", "Team discussion"),
    FormalReview => ("formal-review", "Formal case review"),
});

/// Whether someone invited took part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attendance {
    /// Invited; not yet known whether they came.
    Invited,
    Present,
    /// Did not come but sent their views, which count: they vote too.
    SentViews,
    Apologies,
}

slugged!(Attendance {
    Invited => ("invited", "Invited"),
    Present => ("present", "Present"),
    SentViews => ("sent-views", "Sent their views"),
    Apologies => ("apologies", "Sent apologies"),
});

impl Attendance {
    /// Those present and those who sent their views have a vote.
    pub fn may_vote(&self) -> bool {
        matches!(self, Attendance::Present | Attendance::SentViews)
    }
}

/// One attendee's judgement of one theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vote {
    Progressed,
    Unchanged,
    SlippedBack,
}

slugged!(Vote {
    Progressed => ("progressed", "Progressed"),
    Unchanged => ("unchanged", "Stayed the same"),
    SlippedBack => ("slipped-back", "Slipped back"),
});

impl Vote {
    /// The choice as the person might say it, in easy-read words.
    pub fn easy_read(&self) -> &'static str {
        match self {
            Vote::Progressed => "Better",
            Vote::Unchanged => "The same",
            Vote::SlippedBack => "Worse",
        }
    }
}

/// A review as scheduled.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewDetails {
    pub kind: ReviewKind,
    pub at: NaiveDateTime,
    /// A room, an address, or "online" with how to join.
    pub place: String,
    /// Who chairs it, by name.
    pub chair: String,
}

/// The scheduling form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewInput {
    pub kind: String,
    pub day: String,
    pub month: String,
    pub year: String,
    /// 24-hour time, "14:30".
    pub time: String,
    pub place: String,
    pub chair: String,
}

impl ReviewInput {
    /// Reviews may be recorded after the event (up to a year back) or planned up to two years
    /// ahead.
    pub fn parse(&self, today: NaiveDate) -> Result<ReviewDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = self.kind.parse::<ReviewKind>().map_err(|_| errors.add("kind", "Choose the kind of review.")).ok();
        let date = crate::person::parse_date(&mut errors, "date", &self.day, &self.month, &self.year);
        let date = match date {
            Some(d) if d < today - chrono::Duration::days(366) => {
                errors.add("date", "The date must be within the last year, or in the future.");
                None
            }
            Some(d) if d > today + chrono::Duration::days(731) => {
                errors.add("date", "The date must be within the next two years.");
                None
            }
            other => other,
        };
        let time = match NaiveTime::parse_from_str(self.time.trim(), "%H:%M") {
            Ok(t) => Some(t),
            Err(_) => {
                errors.add("time", "Enter the time as hours and minutes on the 24-hour clock, for example 14:30.");
                None
            }
        };
        let place =
            required(&mut errors, "place", "where it happens (a room, an address or “online”)", &self.place, 200);
        let chair = required(&mut errors, "chair", "who chairs it", &self.chair, 100);
        match (kind, date, time) {
            (Some(kind), Some(date), Some(time)) if errors.is_empty() => {
                Ok(ReviewDetails { kind, at: date.and_time(time), place, chair })
            }
            _ => Err(errors),
        }
    }
}

impl ReviewDetails {
    pub fn to_input(&self) -> ReviewInput {
        use chrono::Datelike;
        ReviewInput {
            kind: self.kind.slug().into(),
            day: self.at.day().to_string(),
            month: self.at.month().to_string(),
            year: self.at.year().to_string(),
            time: self.at.format("%H:%M").to_string(),
            place: self.place.clone(),
            chair: self.chair.clone(),
        }
    }
}

/// Someone invited to a review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendeeDetails {
    pub name: String,
    /// Their relationship to the person, or their role.
    pub role: String,
    /// True for the person whose review it is: their vote is always shown beside the tally.
    pub is_person: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttendeeInput {
    pub name: String,
    pub role: String,
}

impl AttendeeInput {
    pub fn parse(&self) -> Result<AttendeeDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = required(&mut errors, "name", "the attendee's name", &self.name, 100);
        let role = required(&mut errors, "role", "their relationship or role", &self.role, 100);
        errors.into_result(|| AttendeeDetails { name, role, is_person: false })
    }
}

/// What was said and decided about one theme, and whether it was discussed at all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThemeMinutes {
    pub notes: Option<String>,
    pub decisions: Option<String>,
    /// Marked when the review did not discuss the theme: sign-off then needs no votes for it.
    pub not_discussed: bool,
}

/// The minutes of the whole review, by theme.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minutes(pub BTreeMap<String, ThemeMinutes>);

impl Minutes {
    pub fn of(&self, theme: Theme) -> ThemeMinutes {
        self.0.get(theme.slug()).cloned().unwrap_or_default()
    }
}

/// The minutes form: `notes-<theme>`, `decisions-<theme>`, `not-discussed-<theme>` fields.
pub type MinutesInput = BTreeMap<String, String>;

pub const MINUTES_MAX: usize = 4000;

pub fn parse_minutes(input: &MinutesInput) -> Result<Minutes, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut out = BTreeMap::new();
    for theme in Theme::ALL {
        let get = |prefix: &str| input.get(&format!("{prefix}-{}", theme.slug())).map(String::as_str).unwrap_or("");
        let minutes = ThemeMinutes {
            notes: optional(&mut errors, notes_field(theme), "the notes", get("notes"), MINUTES_MAX),
            decisions: optional(&mut errors, decisions_field(theme), "the decisions", get("decisions"), MINUTES_MAX),
            not_discussed: !get("not-discussed").is_empty(),
        };
        if minutes != ThemeMinutes::default() {
            out.insert(theme.slug().to_string(), minutes);
        }
    }
    errors.into_result(|| Minutes(out))
}

/// Field names are `'static` so errors can carry them; one per theme.
pub fn notes_field(theme: Theme) -> &'static str {
    match theme {
        Theme::CircleOfSupport => "notes-circle-of-support",
        Theme::AboutMe => "notes-about-me",
        Theme::ProblemToolkits => "notes-problem-toolkits",
        Theme::JoiningIn => "notes-joining-in",
        Theme::KeepingSafe => "notes-keeping-safe",
        Theme::Progress => "notes-progress",
    }
}

pub fn decisions_field(theme: Theme) -> &'static str {
    match theme {
        Theme::CircleOfSupport => "decisions-circle-of-support",
        Theme::AboutMe => "decisions-about-me",
        Theme::ProblemToolkits => "decisions-problem-toolkits",
        Theme::JoiningIn => "decisions-joining-in",
        Theme::KeepingSafe => "decisions-keeping-safe",
        Theme::Progress => "decisions-progress",
    }
}

/// One attendee's votes as typed: `vote-<theme>` and `comment-<theme>` fields. A theme left
/// blank is simply not voted on (yet).
pub type BallotInput = BTreeMap<String, String>;

/// One attendee's votes on the themes they chose to vote on, with optional comments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ballot(pub Vec<(Theme, Vote, Option<String>)>);

pub fn parse_ballot(input: &BallotInput) -> Result<Ballot, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut out = Vec::new();
    for theme in Theme::ALL {
        let vote = input.get(&format!("vote-{}", theme.slug())).map(|s| s.trim()).unwrap_or("");
        let comment = input.get(&format!("comment-{}", theme.slug())).map(String::as_str).unwrap_or("");
        let comment = optional(&mut errors, comment_field(theme), "the comment", comment, 500);
        match vote {
            "" if comment.is_some() => errors.add(
                vote_field(theme),
                format!("Choose a vote for {} to go with the comment, or clear the comment.", theme.title()),
            ),
            "" => {}
            v => match v.parse::<Vote>() {
                Ok(v) => out.push((theme, v, comment)),
                Err(_) => {
                    errors.add(vote_field(theme), format!("Choose one of the three answers for {}.", theme.title()))
                }
            },
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.add(vote_field(Theme::CircleOfSupport), "Choose an answer for at least one theme.");
    }
    errors.into_result(|| Ballot(out))
}

pub fn vote_field(theme: Theme) -> &'static str {
    match theme {
        Theme::CircleOfSupport => "vote-circle-of-support",
        Theme::AboutMe => "vote-about-me",
        Theme::ProblemToolkits => "vote-problem-toolkits",
        Theme::JoiningIn => "vote-joining-in",
        Theme::KeepingSafe => "vote-keeping-safe",
        Theme::Progress => "vote-progress",
    }
}

pub fn comment_field(theme: Theme) -> &'static str {
    match theme {
        Theme::CircleOfSupport => "comment-circle-of-support",
        Theme::AboutMe => "comment-about-me",
        Theme::ProblemToolkits => "comment-problem-toolkits",
        Theme::JoiningIn => "comment-joining-in",
        Theme::KeepingSafe => "comment-keeping-safe",
        Theme::Progress => "comment-progress",
    }
}

/// How many attendees gave each answer for one theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub progressed: u32,
    pub unchanged: u32,
    pub slipped_back: u32,
}

/// The one-line verdict for a theme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Headline {
    /// More than half of the votes gave this answer.
    Clear(Vote),
    /// No answer had more than half: the review was split.
    Split,
    /// Nobody voted on this theme.
    NoVotes,
}

/// The rule, as shown on screen beside every outcome.
pub const HEADLINE_RULE: &str = "The headline is the answer given by more than half of those who voted on the theme. \
     When no answer has more than half, the theme is shown as split.";

impl Tally {
    pub fn from_votes(votes: impl IntoIterator<Item = Vote>) -> Self {
        let mut t = Tally::default();
        for v in votes {
            t.add(v);
        }
        t
    }

    pub fn add(&mut self, vote: Vote) {
        match vote {
            Vote::Progressed => self.progressed += 1,
            Vote::Unchanged => self.unchanged += 1,
            Vote::SlippedBack => self.slipped_back += 1,
        }
    }

    pub fn count(&self, vote: Vote) -> u32 {
        match vote {
            Vote::Progressed => self.progressed,
            Vote::Unchanged => self.unchanged,
            Vote::SlippedBack => self.slipped_back,
        }
    }

    pub fn total(&self) -> u32 {
        self.progressed + self.unchanged + self.slipped_back
    }

    pub fn headline(&self) -> Headline {
        let total = self.total();
        if total == 0 {
            return Headline::NoVotes;
        }
        Vote::ALL.iter().copied().find(|v| self.count(*v) * 2 > total).map(Headline::Clear).unwrap_or(Headline::Split)
    }

    /// "4 progressed, 1 stayed the same, 0 slipped back".
    pub fn describe(&self) -> String {
        format!(
            "{} progressed, {} stayed the same, {} slipped back",
            self.progressed, self.unchanged, self.slipped_back
        )
    }

    /// True when voters did not all agree: shown, not averaged away.
    pub fn disagreement(&self) -> bool {
        Vote::ALL.iter().filter(|v| self.count(**v) > 0).count() > 1
    }
}

impl Headline {
    pub fn label(&self) -> &'static str {
        match self {
            Headline::Clear(v) => v.label(),
            Headline::Split => "Split: no clear majority",
            Headline::NoVotes => "No votes",
        }
    }

    /// A number for charts: progressed 1, unchanged 0, slipped back -1; none for split or no votes.
    pub fn score(&self) -> Option<i8> {
        match self {
            Headline::Clear(Vote::Progressed) => Some(1),
            Headline::Clear(Vote::Unchanged) => Some(0),
            Headline::Clear(Vote::SlippedBack) => Some(-1),
            Headline::Split | Headline::NoVotes => None,
        }
    }
}

/// Why a review cannot be signed off yet, in plain words; empty when it can.
pub fn sign_off_problems(voters: usize, voted_themes: &[Theme], minutes: &Minutes) -> Vec<String> {
    let mut problems = Vec::new();
    if voters == 0 {
        problems.push("Record who attended: nobody is marked present or as having sent their views.".to_string());
    }
    for theme in Theme::ALL {
        if !voted_themes.contains(&theme) && !minutes.of(theme).not_discussed {
            problems.push(format!(
                "Nobody has voted on {}. Record the votes, or mark the theme as not discussed.",
                theme.title()
            ));
        }
    }
    problems
}

/// What the person wants the review to hear, written before it in their own sign-in or with
/// someone helping them: per theme, what is going well, what worries them and what they want to
/// talk about; and who they want there.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptSheet {
    /// Keyed by theme slug; themes left blank are absent.
    pub themes: BTreeMap<String, PromptAnswers>,
    pub who_i_want_there: Option<String>,
    /// Who helped fill it in, if anyone ("my sister Ama", "my key worker").
    pub helped_by: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptAnswers {
    pub going_well: Option<String>,
    pub worries: Option<String>,
    pub talk_about: Option<String>,
}

impl PromptSheet {
    pub fn of(&self, theme: Theme) -> PromptAnswers {
        self.themes.get(theme.slug()).cloned().unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.themes.is_empty() && self.who_i_want_there.is_none()
    }

    /// The form filled in with this sheet.
    pub fn to_input(&self) -> PromptSheetInput {
        let mut input = PromptSheetInput::new();
        for (slug, a) in &self.themes {
            for (prefix, v) in [("going-well", &a.going_well), ("worries", &a.worries), ("talk-about", &a.talk_about)] {
                if let Some(v) = v {
                    input.insert(format!("{prefix}-{slug}"), v.clone());
                }
            }
        }
        if let Some(w) = &self.who_i_want_there {
            input.insert("who-i-want-there".into(), w.clone());
        }
        if let Some(h) = &self.helped_by {
            input.insert("helped-by".into(), h.clone());
        }
        input
    }
}

/// The prompt sheet form: `going-well-<theme>`, `worries-<theme>`, `talk-about-<theme>`,
/// `who-i-want-there`, `helped-by`.
pub type PromptSheetInput = BTreeMap<String, String>;

pub const PROMPT_MAX: usize = 1000;

pub fn parse_prompt_sheet(input: &PromptSheetInput) -> Result<PromptSheet, FieldErrors> {
    let mut errors = FieldErrors::new();
    let get = |key: &str| input.get(key).map(String::as_str).unwrap_or("");
    let mut themes = BTreeMap::new();
    for theme in Theme::ALL {
        let answers = PromptAnswers {
            going_well: optional(
                &mut errors,
                prompt_field("going-well", theme),
                "what is going well",
                get(prompt_field("going-well", theme)),
                PROMPT_MAX,
            ),
            worries: optional(
                &mut errors,
                prompt_field("worries", theme),
                "what worries you",
                get(prompt_field("worries", theme)),
                PROMPT_MAX,
            ),
            talk_about: optional(
                &mut errors,
                prompt_field("talk-about", theme),
                "what you want to talk about",
                get(prompt_field("talk-about", theme)),
                PROMPT_MAX,
            ),
        };
        if answers != PromptAnswers::default() {
            themes.insert(theme.slug().to_string(), answers);
        }
    }
    let sheet = PromptSheet {
        themes,
        who_i_want_there: optional(
            &mut errors,
            "who-i-want-there",
            "who you want there",
            get("who-i-want-there"),
            PROMPT_MAX,
        ),
        helped_by: optional(&mut errors, "helped-by", "who helped", get("helped-by"), 200),
    };
    if sheet.is_empty() && errors.is_empty() {
        errors.add(prompt_field("going-well", Theme::CircleOfSupport), "Write something in at least one box.");
    }
    errors.into_result(|| sheet)
}

/// The form field for one prompt of one theme (`'static`, so errors can name it).
pub fn prompt_field(prompt: &str, theme: Theme) -> &'static str {
    const FIELDS: [[&str; 6]; 3] = [
        [
            "going-well-circle-of-support",
            "going-well-about-me",
            "going-well-problem-toolkits",
            "going-well-joining-in",
            "going-well-keeping-safe",
            "going-well-progress",
        ],
        [
            "worries-circle-of-support",
            "worries-about-me",
            "worries-problem-toolkits",
            "worries-joining-in",
            "worries-keeping-safe",
            "worries-progress",
        ],
        [
            "talk-about-circle-of-support",
            "talk-about-about-me",
            "talk-about-problem-toolkits",
            "talk-about-joining-in",
            "talk-about-keeping-safe",
            "talk-about-progress",
        ],
    ];
    let row = match prompt {
        "going-well" => 0,
        "worries" => 1,
        _ => 2,
    };
    let col = Theme::ALL.iter().position(|t| *t == theme).unwrap_or(0);
    FIELDS[row][col]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    #[test]
    fn a_review_needs_a_kind_a_real_date_and_time_a_place_and_a_chair() {
        let errors = ReviewInput::default().parse(today()).expect_err("empty");
        for f in ["kind", "date", "time", "place", "chair"] {
            assert!(errors.get(f).is_some(), "{f}: {errors}");
        }
        let ok = ReviewInput {
            kind: "formal-review".into(),
            day: "4".into(),
            month: "12".into(),
            year: "2026".into(),
            time: "14:30".into(),
            place: "Westmere Resource Centre, room 2".into(),
            chair: "Dr Okafor".into(),
        };
        let parsed = ok.parse(today()).expect("valid");
        assert_eq!(parsed.at.format("%Y-%m-%d %H:%M").to_string(), "2026-12-04 14:30");
        assert_eq!(parsed.to_input(), ok);
        let bad_time = ReviewInput { time: "2.30pm".into(), ..ok.clone() };
        assert!(bad_time.parse(today()).expect_err("time").get("time").is_some());
        let far = ReviewInput { year: "2029".into(), ..ok };
        assert!(far.parse(today()).expect_err("far").get("date").is_some());
    }

    #[test]
    fn a_ballot_takes_the_themes_voted_on_and_refuses_nonsense() {
        let mut input = BallotInput::new();
        input.insert("vote-about-me".into(), "progressed".into());
        input.insert("vote-keeping-safe".into(), "slipped-back".into());
        input.insert("comment-keeping-safe".into(), "Two falls since the summer".into());
        let ballot = parse_ballot(&input).expect("valid");
        assert_eq!(
            ballot.0,
            vec![
                (Theme::AboutMe, Vote::Progressed, None),
                (Theme::KeepingSafe, Vote::SlippedBack, Some("Two falls since the summer".into()))
            ]
        );
        input.insert("vote-progress".into(), "much-better".into());
        assert!(parse_ballot(&input).expect_err("bad").get("vote-progress").is_some());
        let empty = parse_ballot(&BallotInput::new()).expect_err("nothing chosen");
        assert!(empty.iter().next().is_some_and(|e| e.message.contains("at least one theme")));
        let mut orphan = BallotInput::new();
        orphan.insert("comment-about-me".into(), "a comment".into());
        assert!(parse_ballot(&orphan).expect_err("comment alone").get("vote-about-me").is_some());
    }

    #[test]
    fn a_prompt_sheet_keeps_what_was_written_and_needs_something() {
        assert!(parse_prompt_sheet(&PromptSheetInput::new()).is_err());
        let mut input = PromptSheetInput::new();
        input.insert("going-well-joining-in".into(), "I like my new job at the café".into());
        input.insert("worries-keeping-safe".into(), "The man at the bus stop".into());
        input.insert("who-i-want-there".into(), "Mum and Ama".into());
        let sheet = parse_prompt_sheet(&input).expect("valid");
        assert_eq!(sheet.of(Theme::JoiningIn).going_well.as_deref(), Some("I like my new job at the café"));
        assert_eq!(sheet.of(Theme::AboutMe), PromptAnswers::default());
        assert_eq!(sheet.to_input(), input);
        input.insert("talk-about-progress".into(), "x".repeat(PROMPT_MAX + 1));
        assert!(parse_prompt_sheet(&input).expect_err("too long").get("talk-about-progress").is_some());
    }

    #[test]
    fn the_headline_rule_in_examples() {
        let t = |p, u, s| Tally { progressed: p, unchanged: u, slipped_back: s };
        assert_eq!(t(4, 1, 0).headline(), Headline::Clear(Vote::Progressed));
        assert_eq!(t(2, 2, 0).headline(), Headline::Split, "a tie is not a majority");
        assert_eq!(t(2, 1, 1).headline(), Headline::Split, "half is not more than half");
        assert_eq!(t(0, 0, 1).headline(), Headline::Clear(Vote::SlippedBack));
        assert_eq!(t(0, 0, 0).headline(), Headline::NoVotes);
        assert_eq!(t(4, 1, 0).describe(), "4 progressed, 1 stayed the same, 0 slipped back");
        assert!(t(4, 1, 0).disagreement() && !t(3, 0, 0).disagreement());
    }

    #[test]
    fn sign_off_needs_voters_and_a_vote_or_a_not_discussed_mark_for_every_theme() {
        let none = sign_off_problems(0, &[], &Minutes::default());
        assert_eq!(none.len(), 7);
        let mut minutes = Minutes::default();
        minutes.0.insert("progress".into(), ThemeMinutes { not_discussed: true, ..ThemeMinutes::default() });
        let voted =
            [Theme::CircleOfSupport, Theme::AboutMe, Theme::ProblemToolkits, Theme::JoiningIn, Theme::KeepingSafe];
        assert!(sign_off_problems(3, &voted, &minutes).is_empty());
        assert_eq!(sign_off_problems(3, &voted, &Minutes::default()).len(), 1);
    }

    fn vote() -> impl Strategy<Value = Vote> {
        prop_oneof![Just(Vote::Progressed), Just(Vote::Unchanged), Just(Vote::SlippedBack)]
    }

    proptest! {
        #[test]
        fn the_tally_counts_every_vote_once(votes in proptest::collection::vec(vote(), 0..40)) {
            let t = Tally::from_votes(votes.iter().copied());
            prop_assert_eq!(t.total() as usize, votes.len());
            for v in Vote::ALL {
                prop_assert_eq!(t.count(*v) as usize, votes.iter().filter(|x| *x == v).count());
            }
        }

        #[test]
        fn the_headline_is_a_strict_majority_or_split(votes in proptest::collection::vec(vote(), 0..40)) {
            let t = Tally::from_votes(votes.iter().copied());
            match t.headline() {
                Headline::NoVotes => prop_assert!(votes.is_empty()),
                Headline::Clear(v) => prop_assert!(t.count(v) * 2 > t.total()),
                Headline::Split => {
                    prop_assert!(!votes.is_empty());
                    for v in Vote::ALL {
                        prop_assert!(t.count(*v) * 2 <= t.total());
                    }
                }
            }
        }

        #[test]
        fn the_order_of_voting_never_changes_the_outcome(mut votes in proptest::collection::vec(vote(), 0..40)) {
            let before = Tally::from_votes(votes.iter().copied());
            votes.reverse();
            votes.sort();
            prop_assert_eq!(Tally::from_votes(votes), before);
        }
    }
}
