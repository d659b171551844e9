//! Consent to share: with whom the person agreed their record may be shared (someone in their
//! circle of support, a role, or an organisation), what, for what purpose, from and until when,
//! and how the consent was given. Consent can be withdrawn at any time; a withdrawn consent is
//! kept, marked with when and why.

use super::iso_date;
use crate::errors::FieldErrors;
use crate::text::required;
use crate::themes::Theme;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareWith {
    /// Someone in the person's circle of support (with their name when consent was recorded).
    Member {
        id: Uuid,
        name: String,
    },
    /// Whoever holds a role: "Out-of-hours GP", "Ambulance crew".
    Role(String),
    Organisation(String),
}

impl ShareWith {
    pub fn describe(&self) -> String {
        match self {
            ShareWith::Member { name, .. } => name.clone(),
            ShareWith::Role(r) => format!("Anyone working as: {r}"),
            ShareWith::Organisation(o) => format!("The organisation {o}"),
        }
    }
    pub fn member(&self) -> Option<Uuid> {
        match self {
            ShareWith::Member { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// A part of the record that consent may cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Goals,
    Management,
    Escalation,
    Theme(Theme),
}

impl Section {
    pub fn all() -> Vec<Section> {
        let mut out = vec![Section::Goals, Section::Management, Section::Escalation];
        out.extend(Theme::ALL.map(Section::Theme));
        out
    }
    pub fn slug(self) -> String {
        match self {
            Section::Goals => "goals".into(),
            Section::Management => "management".into(),
            Section::Escalation => "escalation".into(),
            Section::Theme(t) => format!("theme-{}", t.slug()),
        }
    }
    pub fn label(self) -> String {
        match self {
            Section::Goals => "Goals in the plan".into(),
            Section::Management => "Management plan".into(),
            Section::Escalation => "Escalation (crisis) plan".into(),
            Section::Theme(t) => format!("Theme: {}", t.title()),
        }
    }
    fn parse(slug: &str) -> Option<Section> {
        Section::all().into_iter().find(|s| s.slug() == slug)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareScope {
    WholePlan,
    EscalationOnly,
    Sections(Vec<Section>),
}

impl ShareScope {
    pub fn describe(&self) -> String {
        match self {
            ShareScope::WholePlan => "The whole plan".into(),
            ShareScope::EscalationOnly => "The escalation (crisis) plan only".into(),
            ShareScope::Sections(s) => s.iter().map(|s| s.label()).collect::<Vec<_>>().join("; "),
        }
    }
    /// The sections this scope gives access to. "The whole plan" is the plan's own parts; the
    /// themes of the record are shared only when named.
    pub fn sections(&self) -> Vec<Section> {
        match self {
            ShareScope::WholePlan => vec![Section::Goals, Section::Management, Section::Escalation],
            ShareScope::EscalationOnly => vec![Section::Escalation],
            ShareScope::Sections(s) => s.clone(),
        }
    }
    /// Whether any part of the care plan itself is covered.
    pub fn covers_plan(&self) -> bool {
        match self {
            ShareScope::WholePlan | ShareScope::EscalationOnly => true,
            ShareScope::Sections(s) => {
                s.iter().any(|s| matches!(s, Section::Goals | Section::Management | Section::Escalation))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentGiven {
    Verbal,
    Written,
    /// The person could not decide; who decided in their best interests and why.
    BestInterests(String),
}

impl ConsentGiven {
    pub fn describe(&self) -> String {
        match self {
            ConsentGiven::Verbal => "Given verbally".into(),
            ConsentGiven::Written => "Given in writing".into(),
            ConsentGiven::BestInterests(note) => format!("Best-interests decision: {note}"),
        }
    }
}

/// Why a consent is withdrawn, as typed: said in words (for example "Asked by the person"), up
/// to 500 characters.
pub fn withdrawal_reason(raw: &str) -> Result<&str, &'static str> {
    match raw.trim() {
        "" => Err("Say why consent is withdrawn (for example, \u{201c}Asked by the person\u{201d})."),
        r if r.chars().count() > 500 => Err("The reason must be 500 characters or fewer."),
        r => Ok(r),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentDetails {
    pub with: ShareWith,
    pub scope: ShareScope,
    pub purpose: String,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub given: ConsentGiven,
}

impl ConsentDetails {
    /// In force on `day`: started, not ended, and not withdrawn on or before that day.
    pub fn in_force(&self, day: NaiveDate, withdrawn_on: Option<NaiveDate>) -> bool {
        self.from <= day && self.until.is_none_or(|u| day <= u) && withdrawn_on.is_none_or(|w| day < w)
    }
}

/// The consent form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentInput {
    /// `member`, `role` or `organisation`.
    pub with_kind: String,
    pub member: String,
    pub role: String,
    pub organisation: String,
    /// `whole`, `escalation` or `sections`.
    pub scope: String,
    pub sections: Vec<String>,
    pub purpose: String,
    pub from: String,
    pub until: String,
    /// `verbal`, `written` or `best-interests`.
    pub given: String,
    pub best_interests: String,
}

impl ConsentInput {
    /// `members` are the circle of support's current members, with their names.
    pub fn parse(&self, members: &[(Uuid, String)]) -> Result<ConsentDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let with = match self.with_kind.as_str() {
            "member" => match self.member.parse::<Uuid>().ok().and_then(|id| members.iter().find(|(m, _)| *m == id)) {
                Some((id, name)) => Some(ShareWith::Member { id: *id, name: name.clone() }),
                None => {
                    errors.add("member", "Choose someone from the circle of support.");
                    None
                }
            },
            "role" => Some(ShareWith::Role(required(&mut errors, "role", "the role", &self.role, 120))),
            "organisation" => Some(ShareWith::Organisation(required(
                &mut errors,
                "organisation",
                "the organisation's name",
                &self.organisation,
                200,
            ))),
            _ => {
                errors.add("with_kind", "Choose who the record may be shared with.");
                None
            }
        };
        let scope = match self.scope.as_str() {
            "whole" => Some(ShareScope::WholePlan),
            "escalation" => Some(ShareScope::EscalationOnly),
            "sections" => {
                let chosen: Vec<Section> = self.sections.iter().filter_map(|s| Section::parse(s)).collect();
                if chosen.is_empty() || chosen.len() != self.sections.len() {
                    errors.add("sections", "Tick at least one section from the list.");
                }
                Some(ShareScope::Sections(chosen))
            }
            _ => {
                errors.add("scope", "Choose what may be shared.");
                None
            }
        };
        let purpose = required(&mut errors, "purpose", "what it is shared for", &self.purpose, 500);
        let from = iso_date(&mut errors, "from", "the date consent starts", &self.from);
        let until = match self.until.trim() {
            "" => None,
            raw => iso_date(&mut errors, "until", "the date consent ends", raw),
        };
        if let (Some(f), Some(u)) = (from, until)
            && u < f
        {
            errors.add("until", "Consent cannot end before it starts. Check the end date.");
        }
        let given = match self.given.as_str() {
            "verbal" => Some(ConsentGiven::Verbal),
            "written" => Some(ConsentGiven::Written),
            "best-interests" => Some(ConsentGiven::BestInterests(required(
                &mut errors,
                "best_interests",
                "who made the best-interests decision and why",
                &self.best_interests,
                1000,
            ))),
            _ => {
                errors.add("given", "Say how consent was given.");
                None
            }
        };
        match (with, scope, from, given) {
            (Some(with), Some(scope), Some(from), Some(given)) if errors.is_empty() => {
                Ok(ConsentDetails { with, scope, purpose, from, until, given })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn input() -> ConsentInput {
        ConsentInput {
            with_kind: "role".into(),
            role: "Out-of-hours GP".into(),
            scope: "escalation".into(),
            purpose: "So the doctor on call knows what helps".into(),
            from: "2026-11-01".into(),
            given: "verbal".into(),
            ..Default::default()
        }
    }

    #[test]
    fn consent_runs_from_its_start_until_its_end_or_withdrawal() {
        let c = ConsentInput { until: "2027-10-31".into(), ..input() }.parse(&[]).expect("valid");
        assert!(!c.in_force(d("2026-10-31"), None));
        assert!(c.in_force(d("2026-11-01"), None));
        assert!(c.in_force(d("2027-10-31"), None));
        assert!(!c.in_force(d("2027-11-01"), None));
        assert!(!c.in_force(d("2026-12-01"), Some(d("2026-12-01"))), "withdrawn that day");
        assert!(c.scope.covers_plan());
    }

    #[test]
    fn consent_ending_before_it_starts_is_refused() {
        let errors = ConsentInput { until: "2026-10-01".into(), ..input() }.parse(&[]).expect_err("backwards");
        assert_eq!(errors.get("until"), Some("Consent cannot end before it starts. Check the end date."));
    }

    #[test]
    fn sections_and_members_must_come_from_the_lists() {
        let member = Uuid::now_v7();
        let chosen = ConsentInput {
            with_kind: "member".into(),
            member: member.to_string(),
            scope: "sections".into(),
            sections: vec!["goals".into(), "theme-about-me".into()],
            ..input()
        };
        let c = chosen.parse(&[(member, "Rita (mum)".into())]).expect("valid");
        assert_eq!(c.with.member(), Some(member));
        assert_eq!(c.scope, ShareScope::Sections(vec![Section::Goals, Section::Theme(Theme::AboutMe)]));
        let errors =
            ConsentInput { sections: vec!["bank-details".into()], ..chosen.clone() }.parse(&[]).expect_err("invalid");
        assert!(errors.get("member").is_some() && errors.get("sections").is_some());
        let bi = ConsentInput { given: "best-interests".into(), ..input() }.parse(&[]).expect_err("no note");
        assert!(bi.get("best_interests").is_some());
    }
}
