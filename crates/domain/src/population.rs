//! What the population register knows about each person, whether or not they have a case: their
//! long-term conditions, how frail they are, how able they feel to manage their own health, and
//! how often they have needed hospital in the last year. Finding the people who would benefit
//! from care coordination starts from these figures.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A long-term condition on the GP's disease registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LongTermCondition {
    Asthma,
    AtrialFibrillation,
    Cancer,
    ChronicKidneyDisease,
    Copd,
    CoronaryHeartDisease,
    Dementia,
    Depression,
    Diabetes,
    Epilepsy,
    HeartFailure,
    Hypertension,
    LearningDisability,
    SeriousMentalIllness,
    Stroke,
}

impl LongTermCondition {
    pub const ALL: [LongTermCondition; 15] = [
        LongTermCondition::Asthma,
        LongTermCondition::AtrialFibrillation,
        LongTermCondition::Cancer,
        LongTermCondition::ChronicKidneyDisease,
        LongTermCondition::Copd,
        LongTermCondition::CoronaryHeartDisease,
        LongTermCondition::Dementia,
        LongTermCondition::Depression,
        LongTermCondition::Diabetes,
        LongTermCondition::Epilepsy,
        LongTermCondition::HeartFailure,
        LongTermCondition::Hypertension,
        LongTermCondition::LearningDisability,
        LongTermCondition::SeriousMentalIllness,
        LongTermCondition::Stroke,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            LongTermCondition::Asthma => "asthma",
            LongTermCondition::AtrialFibrillation => "atrial-fibrillation",
            LongTermCondition::Cancer => "cancer",
            LongTermCondition::ChronicKidneyDisease => "chronic-kidney-disease",
            LongTermCondition::Copd => "copd",
            LongTermCondition::CoronaryHeartDisease => "coronary-heart-disease",
            LongTermCondition::Dementia => "dementia",
            LongTermCondition::Depression => "depression",
            LongTermCondition::Diabetes => "diabetes",
            LongTermCondition::Epilepsy => "epilepsy",
            LongTermCondition::HeartFailure => "heart-failure",
            LongTermCondition::Hypertension => "hypertension",
            LongTermCondition::LearningDisability => "learning-disability",
            LongTermCondition::SeriousMentalIllness => "serious-mental-illness",
            LongTermCondition::Stroke => "stroke",
        }
    }

    pub fn from_slug(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.slug() == s)
    }
}

/// The electronic frailty index: the share of 36 deficits a person's GP record shows, held in
/// hundredths (0 to 100) so that it compares and stores exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct FrailtyIndex(u8);

impl FrailtyIndex {
    pub fn hundredths(self) -> u8 {
        self.0
    }

    /// The category used by the eFI's authors: fit up to 0.12, mild up to 0.24, moderate up to
    /// 0.36, severe above.
    pub fn category(self) -> Frailty {
        match self.0 {
            0..=12 => Frailty::Fit,
            13..=24 => Frailty::Mild,
            25..=36 => Frailty::Moderate,
            _ => Frailty::Severe,
        }
    }
}

impl TryFrom<u8> for FrailtyIndex {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        if v <= 100 { Ok(FrailtyIndex(v)) } else { Err(format!("a frailty index is 0 to 100 hundredths, not {v}")) }
    }
}

impl From<FrailtyIndex> for u8 {
    fn from(f: FrailtyIndex) -> u8 {
        f.0
    }
}

impl fmt::Display for FrailtyIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Frailty {
    Fit,
    Mild,
    Moderate,
    Severe,
}

impl Frailty {
    pub fn slug(self) -> &'static str {
        match self {
            Frailty::Fit => "fit",
            Frailty::Mild => "mild",
            Frailty::Moderate => "moderate",
            Frailty::Severe => "severe",
        }
    }
}

/// How able someone feels to manage their own health (the four levels of the patient activation
/// measure): 1, disengaged and overwhelmed, to 4, keeping it up under stress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct ActivationLevel(u8);

impl ActivationLevel {
    pub fn level(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for ActivationLevel {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        if (1..=4).contains(&v) {
            Ok(ActivationLevel(v))
        } else {
            Err(format!("an activation level is 1 to 4, not {v}"))
        }
    }
}

impl From<ActivationLevel> for u8 {
    fn from(a: ActivationLevel) -> u8 {
        a.0
    }
}

/// One person's figures from the population register, as of `recorded_on`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSnapshot {
    /// Sorted and without repeats.
    pub conditions: Vec<LongTermCondition>,
    pub frailty: FrailtyIndex,
    pub activation: ActivationLevel,
    /// Emergency admissions to hospital in the last twelve months.
    pub admissions: u16,
    /// Visits to an emergency department in the last twelve months.
    pub emergency_visits: u16,
    pub recorded_on: chrono::NaiveDate,
}

impl HealthSnapshot {
    /// The conditions as stored: slugs joined by commas, so a register can be found with a
    /// plain `LIKE` on either database.
    pub fn conditions_text(&self) -> String {
        self.conditions.iter().map(|c| c.slug()).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form back; an unknown condition is named.
    pub fn parse_conditions(text: &str) -> Result<Vec<LongTermCondition>, String> {
        let mut out = text
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| LongTermCondition::from_slug(s).ok_or_else(|| format!("unknown long-term condition “{s}”")))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frailty_categories_follow_the_efi_cut_offs() {
        let cat = |h: u8| FrailtyIndex::try_from(h).expect("valid").category();
        assert_eq!(cat(0), Frailty::Fit);
        assert_eq!(cat(12), Frailty::Fit);
        assert_eq!(cat(13), Frailty::Mild);
        assert_eq!(cat(24), Frailty::Mild);
        assert_eq!(cat(25), Frailty::Moderate);
        assert_eq!(cat(36), Frailty::Moderate);
        assert_eq!(cat(37), Frailty::Severe);
        assert!(FrailtyIndex::try_from(101).is_err());
        assert_eq!(FrailtyIndex::try_from(7).expect("valid").to_string(), "0.07");
    }

    #[test]
    fn activation_is_one_of_four_levels() {
        assert!(ActivationLevel::try_from(0).is_err());
        assert!(ActivationLevel::try_from(5).is_err());
        assert_eq!(ActivationLevel::try_from(4).expect("valid").level(), 4);
    }

    #[test]
    fn conditions_read_back_as_written_and_unknown_ones_are_named() {
        let all = LongTermCondition::ALL.to_vec();
        let snapshot = HealthSnapshot {
            conditions: all.clone(),
            frailty: FrailtyIndex::try_from(20).expect("valid"),
            activation: ActivationLevel::try_from(2).expect("valid"),
            admissions: 1,
            emergency_visits: 3,
            recorded_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid"),
        };
        assert_eq!(HealthSnapshot::parse_conditions(&snapshot.conditions_text()).expect("valid"), all);
        assert_eq!(HealthSnapshot::parse_conditions("").expect("valid"), vec![]);
        let err = HealthSnapshot::parse_conditions("copd,gout").expect_err("refused");
        assert!(err.contains("gout"), "{err}");
    }
}
