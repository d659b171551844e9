//! The care and support plan: what matters to the person and what they want to achieve, in
//! their own words; what everyone will do (the management plan); what to do when things go
//! wrong (the escalation plan); and who owns the plan.
//!
//! A plan is kept as numbered versions (see [`lifecycle`]): a draft is written, agreed with the
//! person, made active, and later superseded by a newer version. This module holds what one
//! version says; [`diff`] tells two versions apart in plain words, [`quality`] checks a plan
//! against the audit criteria, and [`consent`] records who the person agreed it may be shared
//! with.

pub mod consent;
pub mod diff;
mod escalation;
mod goals;
pub mod lifecycle;
mod management;
pub mod quality;

pub use escalation::{
    ContactInput, CrisisContact, EscalationInput, EscalationPlan, Mandate, MandateInput, MandateKind, PhoneNumber,
};
pub use goals::{Achievement, Goal, GoalChoices, GoalInput, Step, StepInput};
pub use management::{DutyInput, ManagementInput, ManagementPlan, Responsibility, Treatment};

use crate::errors::FieldErrors;
use crate::tasks::Owner;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What one version of the plan says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanContent {
    pub goals: Vec<Goal>,
    pub management: ManagementPlan,
    pub escalation: EscalationPlan,
    pub ownership: Ownership,
    /// How often the plan is looked at again once agreed: 12 months unless the case needs sooner.
    pub review_months: ReviewInterval,
}

impl Default for PlanContent {
    fn default() -> Self {
        PlanContent {
            goals: Vec::new(),
            management: ManagementPlan::default(),
            escalation: EscalationPlan::default(),
            ownership: Ownership::Person,
            review_months: ReviewInterval::default(),
        }
    }
}

impl PlanContent {
    /// Everyone the plan names as helping: the supporters of goal steps and the people in the
    /// management plan's "who does what". The plan should be shared with each of them.
    pub fn named_helpers(&self) -> Vec<(Owner, String)> {
        let mut out: Vec<(Owner, String)> = Vec::new();
        let steps = self.goals.iter().flat_map(|g| g.steps.iter().map(|s| (s.who, s.who_name.clone())));
        let duties = self.management.responsibilities.iter().map(|r| (r.who, r.who_name.clone()));
        for (who, name) in steps.chain(duties) {
            if !out.iter().any(|(o, _)| *o == who) {
                out.push((who, name));
            }
        }
        out
    }

    pub fn goal(&self, id: uuid::Uuid) -> Option<&Goal> {
        self.goals.iter().find(|g| g.id == id)
    }

    /// Numbers each goal's revision from what the plan said `before` this change: a goal that
    /// says the same keeps its revision, a changed one goes up by one, a new one is 1.
    pub fn count_revisions(&mut self, before: &PlanContent) {
        for goal in &mut self.goals {
            goal.revision = match before.goal(goal.id) {
                Some(old) if goal.says_the_same_as(old) => old.revision,
                Some(old) => old.revision + 1,
                None => 1,
            };
        }
    }
}

/// Whose plan it is. It is the person's unless someone else was nominated, and then the reason
/// is always recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ownership {
    Person,
    Nominated { name: String, reason: String },
}

impl Ownership {
    pub fn describe(&self, person_name: &str) -> String {
        match self {
            Ownership::Person => format!("{person_name} owns this plan."),
            Ownership::Nominated { name, reason } => {
                format!("{name} holds this plan for {person_name}, because {}", lower_first(reason))
            }
        }
    }
}

/// Months between plan reviews: 1 to 12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct ReviewInterval(u8);

impl Default for ReviewInterval {
    fn default() -> Self {
        ReviewInterval(12)
    }
}

impl TryFrom<u8> for ReviewInterval {
    type Error = String;
    fn try_from(months: u8) -> Result<Self, String> {
        if (1..=12).contains(&months) {
            Ok(ReviewInterval(months))
        } else {
            Err(format!("a plan is reviewed every 1 to 12 months, not {months}"))
        }
    }
}

impl From<ReviewInterval> for u8 {
    fn from(r: ReviewInterval) -> u8 {
        r.0
    }
}

impl ReviewInterval {
    pub fn months(self) -> u8 {
        self.0
    }
    /// The review date for a plan agreed on `agreed`.
    pub fn due_after(self, agreed: NaiveDate) -> NaiveDate {
        agreed.checked_add_months(chrono::Months::new(self.0.into())).unwrap_or(NaiveDate::MAX)
    }
    pub fn describe(self) -> String {
        match self.0 {
            1 => "every month".into(),
            12 => "every year".into(),
            n => format!("every {n} months"),
        }
    }
}

/// The plan's settings form: who owns it and how often it is reviewed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    /// `person` or `nominated`.
    pub owner: String,
    pub nominated_name: String,
    pub nominated_reason: String,
    pub review_months: String,
}

impl SettingsInput {
    pub fn from_content(c: &PlanContent) -> Self {
        let (owner, name, reason) = match &c.ownership {
            Ownership::Person => ("person", String::new(), String::new()),
            Ownership::Nominated { name, reason } => ("nominated", name.clone(), reason.clone()),
        };
        SettingsInput {
            owner: owner.into(),
            nominated_name: name,
            nominated_reason: reason,
            review_months: c.review_months.months().to_string(),
        }
    }

    pub fn parse(&self) -> Result<(Ownership, ReviewInterval), FieldErrors> {
        let mut errors = FieldErrors::new();
        let ownership = match self.owner.as_str() {
            "person" | "" => Some(Ownership::Person),
            "nominated" => {
                let name = crate::text::required(
                    &mut errors,
                    "nominated_name",
                    "who holds the plan",
                    &self.nominated_name,
                    120,
                );
                let reason = crate::text::required(
                    &mut errors,
                    "nominated_reason",
                    "why someone else holds the plan",
                    &self.nominated_reason,
                    500,
                );
                Some(Ownership::Nominated { name, reason })
            }
            _ => {
                errors.add("owner", "Choose who owns the plan.");
                None
            }
        };
        let interval = self.review_months.trim().parse::<u8>().ok().and_then(|m| ReviewInterval::try_from(m).ok());
        if interval.is_none() {
            errors.add("review_months", "Choose how often the plan is reviewed: every 1 to 12 months.");
        }
        match (ownership, interval) {
            (Some(o), Some(i)) if errors.is_empty() => Ok((o, i)),
            _ => Err(errors),
        }
    }
}

/// Reads a list typed one item per line: blank lines are dropped, each line is checked.
pub(crate) fn lines(errors: &mut FieldErrors, field: &'static str, label: &str, value: &str) -> Vec<String> {
    const MAX_LINES: usize = 30;
    const MAX_LINE: usize = 500;
    let items: Vec<String> = value.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    if items.len() > MAX_LINES {
        errors.add(field, format!("{label}: keep it to {MAX_LINES} lines or fewer."));
    } else if items.iter().any(|l| l.chars().count() > MAX_LINE) {
        errors.add(field, format!("{label}: each line must be {MAX_LINE} characters or fewer."));
    } else if items.iter().any(|l| l.chars().any(char::is_control)) {
        errors.add(field, format!("{label} contains characters that cannot be shown. Retype it."));
    }
    items
}

/// Reads a date from an `<input type="date">` (`YYYY-MM-DD`).
pub(crate) fn iso_date(errors: &mut FieldErrors, field: &'static str, label: &str, value: &str) -> Option<NaiveDate> {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, format!("Enter {label}."));
        return None;
    }
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) if (1900..=2200).contains(&chrono::Datelike::year(&d)) => Some(d),
        _ => {
            errors.add(field, format!("{} must be a real date, for example 2027-03-31.", capitalise(label)));
            None
        }
    }
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_need_a_reason_when_someone_else_holds_the_plan() {
        let input = SettingsInput { owner: "nominated".into(), review_months: "6".into(), ..Default::default() };
        let errors = input.parse().expect_err("no name or reason");
        assert!(errors.get("nominated_name").is_some());
        assert!(errors.get("nominated_reason").is_some());
        let ok = SettingsInput {
            owner: "nominated".into(),
            nominated_name: "Rita Karimi".into(),
            nominated_reason: "Aisha asked her mum to hold it".into(),
            review_months: "6".into(),
        };
        let (owner, months) = ok.parse().expect("valid");
        assert_eq!(months.months(), 6);
        assert_eq!(
            owner.describe("Aisha"),
            "Rita Karimi holds this plan for Aisha, because aisha asked her mum to hold it"
        );
        let bad = SettingsInput { review_months: "13".into(), ..Default::default() };
        assert!(bad.parse().expect_err("13 months").get("review_months").is_some());
    }

    #[test]
    fn a_review_falls_due_the_chosen_number_of_months_after_agreement() {
        let agreed = NaiveDate::from_ymd_opt(2026, 1, 31).expect("date");
        assert_eq!(ReviewInterval::default().due_after(agreed), NaiveDate::from_ymd_opt(2027, 1, 31).expect("date"));
        let monthly = ReviewInterval::try_from(1).expect("valid");
        assert_eq!(monthly.due_after(agreed), NaiveDate::from_ymd_opt(2026, 2, 28).expect("date"));
        assert!(ReviewInterval::try_from(0).is_err());
    }

    #[test]
    fn list_fields_drop_blank_lines_and_refuse_overlong_ones() {
        let mut errors = FieldErrors::new();
        assert_eq!(
            lines(&mut errors, "f", "Signs", "  Not sleeping \n\n Stops eating\n"),
            vec!["Not sleeping", "Stops eating"]
        );
        assert!(errors.is_empty());
        lines(&mut errors, "g", "Signs", &"x".repeat(501));
        assert!(errors.get("g").is_some());
    }
}
