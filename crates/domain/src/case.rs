//! A case: one organisation holding one person's care.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseStatus {
    Open,
    Closed,
}

impl CaseStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            CaseStatus::Open => "open",
            CaseStatus::Closed => "closed",
        }
    }
}

impl FromStr for CaseStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(CaseStatus::Open),
            "closed" => Ok(CaseStatus::Closed),
            other => Err(format!("unknown case status '{other}'")),
        }
    }
}

/// The reason given when a case is closed: required, so the record says why.
pub fn parse_close_reason(input: &str) -> Result<String, crate::FieldErrors> {
    let mut errors = crate::FieldErrors::new();
    let reason = crate::text::required(&mut errors, "reason", "the reason for closing the case", input, 500);
    errors.into_result(|| reason)
}

/// How often a case is reviewed and when the next review is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPlan {
    pub every_weeks: u16,
    pub next_review: chrono::NaiveDate,
}

/// The review plan as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewPlanInput {
    pub every_weeks: String,
    pub next_day: String,
    pub next_month: String,
    pub next_year: String,
}

impl ReviewPlanInput {
    /// At least every week and at most every two years; the next review between today and two
    /// years ahead (a plan is about the future, and a yearly review is the usual longest).
    pub fn parse(&self, today: chrono::NaiveDate) -> Result<ReviewPlan, crate::FieldErrors> {
        let mut errors = crate::FieldErrors::new();
        let every_weeks = match self.every_weeks.trim().parse::<u16>() {
            Ok(w) if (1..=104).contains(&w) => Some(w),
            _ => {
                errors.add("every_weeks", "Enter how many weeks between reviews, from 1 to 104 (52 is once a year).");
                None
            }
        };
        let next =
            crate::person::parse_date(&mut errors, "next_review", &self.next_day, &self.next_month, &self.next_year);
        let next = match next {
            Some(d) if d < today => {
                errors.add("next_review", "The next review must be today or later.");
                None
            }
            Some(d) if d > today + chrono::Duration::days(731) => {
                errors.add("next_review", "The next review must be within two years.");
                None
            }
            other => other,
        };
        match (every_weeks, next) {
            (Some(every_weeks), Some(next_review)) if errors.is_empty() => Ok(ReviewPlan { every_weeks, next_review }),
            _ => Err(errors),
        }
    }
}

impl ReviewPlan {
    pub fn to_input(&self) -> ReviewPlanInput {
        use chrono::Datelike;
        ReviewPlanInput {
            every_weeks: self.every_weeks.to_string(),
            next_day: self.next_review.day().to_string(),
            next_month: self.next_review.month().to_string(),
            next_year: self.next_review.year().to_string(),
        }
    }

    /// "every 12 weeks", "every week".
    pub fn frequency(&self) -> String {
        if self.every_weeks == 1 { "every week".into() } else { format!("every {} weeks", self.every_weeks) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn input(weeks: &str, d: &str, m: &str, y: &str) -> ReviewPlanInput {
        ReviewPlanInput { every_weeks: weeks.into(), next_day: d.into(), next_month: m.into(), next_year: y.into() }
    }

    #[test]
    fn review_plans_are_between_weekly_and_two_yearly_and_in_the_future() {
        let plan = input("12", "15", "2", "2027").parse(today()).expect("valid");
        assert_eq!(plan.frequency(), "every 12 weeks");
        assert_eq!(plan.to_input().parse(today()), Ok(plan));
        for (weeks, field) in [("0", "every_weeks"), ("105", "every_weeks"), ("often", "every_weeks")] {
            assert!(input(weeks, "15", "2", "2027").parse(today()).expect_err("bad").get(field).is_some(), "{weeks}");
        }
        assert!(input("12", "22", "11", "2026").parse(today()).expect_err("past").get("next_review").is_some());
        assert!(input("12", "1", "1", "2029").parse(today()).expect_err("far").get("next_review").is_some());
        assert!(input("12", "30", "2", "2027").parse(today()).expect_err("no such day").get("next_review").is_some());
    }
}
