//! The structured parts of "keeping safe and well": a risk area written with the person, and a
//! best-interests decision.
//!
//! Both ride on an ordinary theme entry (its words are the risk, or the decision), so they keep
//! the entry's author, history, visibility and golden thread without a second kind of record.

use crate::errors::FieldErrors;
use crate::text::{optional, required};
use crate::themes::{EntryKind, Topic};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The questions asked of every risk area, answered with the person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskParts {
    /// How the person understands this risk, in their words. Required for a worry: if they have
    /// not said yet, that is written here rather than left silent.
    pub understanding: Option<String>,
    /// What helps now.
    pub helps_now: Option<String>,
    /// What else would help.
    pub would_help: Option<String>,
}

/// A decision made in someone's best interests because they could not make it themselves at
/// the time. The entry's words say what was decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BestInterestsDecision {
    pub decided_by: String,
    pub decided_on: NaiveDate,
    pub why: String,
    /// Who was consulted: the person, family, an advocate...
    pub consulted: Option<String>,
}

/// What an entry in "keeping safe and well" carries beyond its words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Particulars {
    Risk(RiskParts),
    BestInterests(BestInterestsDecision),
}

/// The form fields behind [`Particulars`], as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ParticularsInput {
    pub risk_understanding: String,
    pub risk_helps_now: String,
    pub risk_would_help: String,
    /// Ticked when the entry records a best-interests decision.
    pub best_interests: Option<String>,
    pub decided_by: String,
    pub decided_day: String,
    pub decided_month: String,
    pub decided_year: String,
    pub decided_why: String,
    pub consulted: String,
}

const PART_MAX: usize = 2000;

impl ParticularsInput {
    fn has_risk_answers(&self) -> bool {
        [&self.risk_understanding, &self.risk_helps_now, &self.risk_would_help].iter().any(|s| !s.trim().is_empty())
    }

    /// Reads the fields for an entry of `kind` under `topic`. Risk questions belong only to risk
    /// areas and a best-interests decision only to "capacity, consent and dignity"; answers in
    /// the wrong place are refused rather than silently dropped, so nothing typed is lost.
    pub fn parse(
        &self,
        errors: &mut FieldErrors,
        kind: Option<EntryKind>,
        topic: Option<Topic>,
        today: NaiveDate,
    ) -> Option<Particulars> {
        let risk_area = topic.is_some_and(|t| t.is_risk_area());
        if self.best_interests.is_some() {
            if topic != Some(Topic::CapacityConsentDignity) {
                errors.add(
                    "topic",
                    "A best-interests decision belongs under “Capacity, consent and dignity”. Choose that part, \
                     or untick the best-interests decision.",
                );
            }
            if self.has_risk_answers() {
                errors.add(
                    "risk_understanding",
                    "An entry is either a risk area or a best-interests decision. Empty the risk questions.",
                );
            }
            return self.best_interests_decision(errors, today).map(Particulars::BestInterests);
        }
        let risk_worry = risk_area && kind == Some(EntryKind::Worry);
        if !self.has_risk_answers() && !risk_worry {
            return None;
        }
        if !risk_area {
            errors.add(
                "topic",
                "The risk questions are for a risk area. Choose which risk area this is, or empty the risk questions.",
            );
        }
        let understanding = if kind == Some(EntryKind::Worry) {
            Some(required(
                errors,
                "risk_understanding",
                "how the person understands this risk (if they have not said yet, write that)",
                &self.risk_understanding,
                PART_MAX,
            ))
        } else {
            optional(errors, "risk_understanding", "how the person understands it", &self.risk_understanding, PART_MAX)
        };
        let helps_now = optional(errors, "risk_helps_now", "what helps now", &self.risk_helps_now, PART_MAX);
        let would_help = optional(errors, "risk_would_help", "what else would help", &self.risk_would_help, PART_MAX);
        Some(Particulars::Risk(RiskParts { understanding, helps_now, would_help }))
    }

    fn best_interests_decision(&self, errors: &mut FieldErrors, today: NaiveDate) -> Option<BestInterestsDecision> {
        let decided_by = required(errors, "decided_by", "who made the decision", &self.decided_by, 200);
        let why =
            required(errors, "decided_why", "why it is in the person's best interests", &self.decided_why, PART_MAX);
        let consulted = optional(errors, "consulted", "who was consulted", &self.consulted, 500);
        let mut date_errors = FieldErrors::new();
        let decided_on = crate::person::parse_date(
            &mut date_errors,
            "decided_on",
            &self.decided_day,
            &self.decided_month,
            &self.decided_year,
        );
        for e in date_errors.iter() {
            errors.add("decided_on", format!("Date of the decision: {}", e.message));
        }
        let decided_on = match decided_on {
            Some(d) if d > today => {
                errors.add("decided_on", "The date of the decision must be today or in the past.");
                None
            }
            other => other,
        }?;
        Some(BestInterestsDecision { decided_by, decided_on, why, consulted })
    }
}

impl Particulars {
    /// The form filled in with these particulars, for editing.
    pub fn to_input(&self) -> ParticularsInput {
        use chrono::Datelike;
        let text = |s: &Option<String>| s.clone().unwrap_or_default();
        match self {
            Particulars::Risk(r) => ParticularsInput {
                risk_understanding: text(&r.understanding),
                risk_helps_now: text(&r.helps_now),
                risk_would_help: text(&r.would_help),
                ..ParticularsInput::default()
            },
            Particulars::BestInterests(b) => ParticularsInput {
                best_interests: Some("yes".into()),
                decided_by: b.decided_by.clone(),
                decided_day: b.decided_on.day().to_string(),
                decided_month: b.decided_on.month().to_string(),
                decided_year: b.decided_on.year().to_string(),
                decided_why: b.why.clone(),
                consulted: text(&b.consulted),
                ..ParticularsInput::default()
            },
        }
    }

    /// (question, answer) pairs, for the entry card and its history.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        match self {
            Particulars::Risk(r) => {
                let mut add = |label, v: &Option<String>| {
                    if let Some(v) = v {
                        out.push((label, v.clone()));
                    }
                };
                add("How they understand it", &r.understanding);
                add("What helps now", &r.helps_now);
                add("What else would help", &r.would_help);
            }
            Particulars::BestInterests(b) => {
                out.push(("Decided by", b.decided_by.clone()));
                out.push(("Decided on", b.decided_on.format("%-d %B %Y").to_string()));
                out.push(("Why it is in their best interests", b.why.clone()));
                if let Some(c) = &b.consulted {
                    out.push(("Who was consulted", c.clone()));
                }
            }
        }
        out
    }

    pub fn is_best_interests(&self) -> bool {
        matches!(self, Particulars::BestInterests(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn parse(
        input: &ParticularsInput,
        kind: EntryKind,
        topic: Option<Topic>,
    ) -> Result<Option<Particulars>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let out = input.parse(&mut errors, Some(kind), topic, today());
        errors.into_result(|| out)
    }

    #[test]
    fn a_risk_worry_needs_the_persons_own_understanding() {
        let errors = parse(&ParticularsInput::default(), EntryKind::Worry, Some(Topic::RiskVulnerability))
            .expect_err("no understanding");
        assert!(errors.get("risk_understanding").is_some_and(|m| m.contains("not said yet")));
        let answered = ParticularsInput {
            risk_understanding: "I know some people pretend to be my friend for money".into(),
            risk_helps_now: "Talking it through with Dev before I lend anything".into(),
            ..ParticularsInput::default()
        };
        let Some(Particulars::Risk(r)) =
            parse(&answered, EntryKind::Worry, Some(Topic::RiskVulnerability)).expect("ok")
        else {
            panic!("expected risk parts")
        };
        assert_eq!(r.would_help, None);
        assert!(r.helps_now.is_some_and(|h| h.contains("Dev")));
    }

    #[test]
    fn other_entries_in_a_risk_area_may_leave_the_questions_empty() {
        assert_eq!(parse(&ParticularsInput::default(), EntryKind::NextStep, Some(Topic::RiskHarmToSelf)), Ok(None));
        assert_eq!(parse(&ParticularsInput::default(), EntryKind::Worry, Some(Topic::Medication)), Ok(None));
    }

    #[test]
    fn risk_answers_outside_a_risk_area_are_refused_not_dropped() {
        let input = ParticularsInput { risk_helps_now: "Routine".into(), ..ParticularsInput::default() };
        let errors = parse(&input, EntryKind::Worry, Some(Topic::Medication)).expect_err("not a risk area");
        assert!(errors.get("topic").is_some_and(|m| m.contains("risk area")));
    }

    #[test]
    fn a_best_interests_decision_says_who_when_and_why() {
        let ticked = ParticularsInput { best_interests: Some("yes".into()), ..ParticularsInput::default() };
        let errors =
            parse(&ticked, EntryKind::Note, Some(Topic::CapacityConsentDignity)).expect_err("nothing filled in");
        for field in ["decided_by", "decided_on", "decided_why"] {
            assert!(errors.get(field).is_some(), "{field}: {errors}");
        }
        let future = ParticularsInput {
            decided_by: "Dr Okafor with Sam's sister".into(),
            decided_day: "1".into(),
            decided_month: "1".into(),
            decided_year: "2027".into(),
            decided_why: "Sam could not weigh up the risks of the operation at the time".into(),
            ..ticked
        };
        let errors = parse(&future, EntryKind::Note, Some(Topic::CapacityConsentDignity)).expect_err("future");
        assert!(errors.get("decided_on").is_some_and(|m| m.contains("past")));
        let past = ParticularsInput { decided_year: "2026".into(), ..future };
        let decided = parse(&past, EntryKind::Note, Some(Topic::CapacityConsentDignity)).expect("valid");
        let decided = decided.expect("particulars");
        assert!(decided.is_best_interests());
        assert_eq!(decided.to_input(), past);
        let elsewhere = parse(&past, EntryKind::Note, Some(Topic::Medication)).expect_err("wrong part");
        assert!(elsewhere.get("topic").is_some());
    }
}
