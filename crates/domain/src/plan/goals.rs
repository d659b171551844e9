//! Goals: what matters to the person and what they want to achieve, the steps towards it with
//! who supports each one and by when, and what the person commits to doing themselves.

use crate::errors::FieldErrors;
use crate::tasks::Owner;
use crate::text::{optional, required};
use crate::themes::{Theme, Voice};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    /// Stable across versions, so two versions of the plan can be compared goal by goal.
    pub id: Uuid,
    pub what_matters: String,
    pub achieve: String,
    /// Whose words these are; the plan-quality audit wants the person's own.
    pub voice: Voice,
    pub steps: Vec<Step>,
    /// What the person themselves will do.
    pub commitment: Option<String>,
    /// The themes and problem areas the goal addresses.
    pub themes: Vec<Theme>,
    pub problems: Vec<Uuid>,
    pub achievement: Achievement,
    /// How many different things the goal has said: 1 when written, one more each time what it
    /// says changes (see [`PlanContent::count_revisions`](super::PlanContent::count_revisions)).
    /// It is the goal's version to other systems, so two people changing the same goal cannot
    /// overwrite each other.
    #[serde(default = "first_revision")]
    pub revision: u32,
}

fn first_revision() -> u32 {
    1
}

impl Goal {
    /// Whether two statements of a goal say the same, whatever their revisions.
    pub fn says_the_same_as(&self, other: &Goal) -> bool {
        Goal { revision: other.revision, ..self.clone() } == *other
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub what: String,
    pub who: Owner,
    /// The supporter's name when the step was written, so an agreed version keeps showing who
    /// was named even after they leave.
    pub who_name: String,
    pub by: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Achievement {
    Working,
    Achieved,
    /// The person no longer wants it, or it no longer fits.
    Stopped,
}

impl Achievement {
    pub const ALL: [Achievement; 3] = [Achievement::Working, Achievement::Achieved, Achievement::Stopped];
    pub fn slug(self) -> &'static str {
        match self {
            Achievement::Working => "working",
            Achievement::Achieved => "achieved",
            Achievement::Stopped => "stopped",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Achievement::Working => "Working on it",
            Achievement::Achieved => "Achieved",
            Achievement::Stopped => "No longer a goal",
        }
    }
}

/// One step row of the goal form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInput {
    pub what: String,
    /// An [`Owner`] form value.
    pub who: String,
    /// `YYYY-MM-DD`, or empty.
    pub by: String,
}

/// The goal form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoalInput {
    pub what_matters: String,
    pub achieve: String,
    pub voice: String,
    pub perspective_of: String,
    pub commitment: String,
    pub themes: Vec<String>,
    pub problems: Vec<String>,
    pub achievement: String,
    pub steps: Vec<StepInput>,
}

/// What the goal form may choose from, for this person's case.
pub struct GoalChoices<'a> {
    /// Who may support a step: the person, their circle of support, staff and teams, with names.
    pub supporters: &'a [(Owner, String)],
    pub problems: &'a [Uuid],
    /// The person writing their own goal: their words are their own, whatever the form says.
    pub written_by_person: bool,
}

const MAX_STEPS: usize = 12;

impl GoalInput {
    /// Parses the form into a goal with the given id (a new one, or the goal being changed).
    pub fn parse(&self, id: Uuid, choices: &GoalChoices<'_>) -> Result<Goal, FieldErrors> {
        let mut errors = FieldErrors::new();
        // The person writing their own goal is spoken to as "you".
        let (matters, wants) = if choices.written_by_person {
            ("what matters to you", "what you want to do")
        } else {
            ("what matters to the person", "what the person wants to achieve")
        };
        let what_matters = required(&mut errors, "what_matters", matters, &self.what_matters, 1000);
        let achieve = required(&mut errors, "achieve", wants, &self.achieve, 1000);
        let voice = if choices.written_by_person {
            Some(Voice::OwnWords)
        } else {
            Voice::parse_input(&mut errors, &self.voice, &self.perspective_of)
        };
        let commitment = optional(&mut errors, "commitment", "what the person will do", &self.commitment, 1000);
        let mut themes = Vec::new();
        for slug in &self.themes {
            match slug.parse::<Theme>() {
                Ok(t) if !themes.contains(&t) => themes.push(t),
                Ok(_) => {}
                Err(_) => errors.add("themes", "Choose themes from the list."),
            }
        }
        let mut problems = Vec::new();
        for raw in &self.problems {
            match raw.parse::<Uuid>().ok().filter(|p| choices.problems.contains(p)) {
                Some(p) if !problems.contains(&p) => problems.push(p),
                Some(_) => {}
                None => errors.add("problems", "Choose problem areas from this person's list."),
            }
        }
        let achievement = match self.achievement.as_str() {
            "" => Achievement::Working,
            slug => Achievement::ALL.into_iter().find(|a| a.slug() == slug).unwrap_or_else(|| {
                errors.add("achievement", "Choose how the goal is going from the list.");
                Achievement::Working
            }),
        };
        let mut steps = Vec::new();
        let typed: Vec<&StepInput> =
            self.steps.iter().filter(|s| !(s.what.trim().is_empty() && s.by.trim().is_empty())).collect();
        if typed.len() > MAX_STEPS {
            errors.add("steps", format!("A goal can have up to {MAX_STEPS} steps. Split it into two goals."));
        }
        for step in typed {
            let what = required(&mut errors, "steps", "what the step is", &step.what, 300);
            let who = Owner::parse_value(step.who.trim())
                .and_then(|o| choices.supporters.iter().find(|(c, _)| *c == o).cloned());
            if who.is_none() {
                errors.add("steps", format!("Step \u{201c}{what}\u{201d}: choose who will support it from the list."));
            }
            let by = match step.by.trim() {
                "" => None,
                raw => super::iso_date(&mut errors, "steps", "the date for the step", raw),
            };
            if let Some((who, who_name)) = who {
                steps.push(Step { what, who, who_name, by });
            }
        }
        match voice {
            Some(voice) if errors.is_empty() => Ok(Goal {
                id,
                what_matters,
                achieve,
                voice,
                steps,
                commitment,
                themes,
                problems,
                achievement,
                revision: 1,
            }),
            _ => Err(errors),
        }
    }
}

impl Goal {
    /// The form filled in with this goal, with two blank step rows to add more.
    pub fn to_input(&self) -> GoalInput {
        let (voice, perspective_of) = self.voice.to_input();
        let mut steps: Vec<StepInput> = self
            .steps
            .iter()
            .map(|s| StepInput {
                what: s.what.clone(),
                who: s.who.to_value(),
                by: s.by.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect();
        steps.extend([StepInput::default(), StepInput::default()]);
        GoalInput {
            what_matters: self.what_matters.clone(),
            achieve: self.achieve.clone(),
            voice,
            perspective_of,
            commitment: self.commitment.clone().unwrap_or_default(),
            themes: self.themes.iter().map(|t| t.slug().to_string()).collect(),
            problems: self.problems.iter().map(Uuid::to_string).collect(),
            achievement: self.achievement.slug().into(),
            steps,
        }
    }
}

impl GoalInput {
    /// A blank form with three step rows.
    pub fn blank() -> Self {
        GoalInput { steps: vec![StepInput::default(); 3], ..GoalInput::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supporters() -> Vec<(Owner, String)> {
        vec![(Owner::Person, "Aisha".into()), (Owner::Member(Uuid::nil()), "Rita (mum)".into())]
    }

    fn input() -> GoalInput {
        GoalInput {
            what_matters: "Seeing my friends at the Thursday club".into(),
            achieve: "Get to the club on my own by bus".into(),
            voice: "with-person".into(),
            steps: vec![
                StepInput {
                    what: "Practise the bus route with Mum".into(),
                    who: "member:00000000-0000-0000-0000-000000000000".into(),
                    by: "2027-01-15".into(),
                },
                StepInput::default(),
            ],
            ..GoalInput::default()
        }
    }

    #[test]
    fn a_goal_keeps_its_steps_with_who_supports_them_and_by_when() {
        let choices = GoalChoices { supporters: &supporters(), problems: &[], written_by_person: false };
        let goal = input().parse(Uuid::nil(), &choices).expect("valid");
        assert_eq!(goal.steps.len(), 1, "the blank row is dropped");
        assert_eq!(goal.steps[0].who_name, "Rita (mum)");
        assert_eq!(goal.steps[0].by, NaiveDate::from_ymd_opt(2027, 1, 15));
        assert_eq!(goal.voice, Voice::WithPerson);
        assert_eq!(goal.achievement, Achievement::Working);
    }

    #[test]
    fn the_persons_own_goal_is_always_in_their_own_words() {
        let choices = GoalChoices { supporters: &supporters(), problems: &[], written_by_person: true };
        let goal = GoalInput { voice: "professional".into(), ..input() }.parse(Uuid::nil(), &choices).expect("valid");
        assert_eq!(goal.voice, Voice::OwnWords);
    }

    #[test]
    fn steps_need_a_supporter_from_the_case_and_a_real_date() {
        let choices = GoalChoices { supporters: &supporters(), problems: &[], written_by_person: false };
        let mut bad = input();
        bad.steps[0].who = format!("member:{}", Uuid::now_v7());
        bad.steps[1] = StepInput { what: "Buy a bus pass".into(), who: "person".into(), by: "2027-02-30".into() };
        bad.problems = vec![Uuid::now_v7().to_string()];
        let errors = bad.parse(Uuid::nil(), &choices).expect_err("invalid");
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.contains("choose who will support it")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("real date")), "{messages:?}");
        assert!(errors.get("problems").is_some());
        let empty = GoalInput::blank().parse(Uuid::nil(), &choices).expect_err("empty");
        assert!(empty.get("what_matters").is_some() && empty.get("achieve").is_some() && empty.get("voice").is_some());
    }
}
