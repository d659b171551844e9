//! A plan's life: a draft is written, agreed with the person (who agreed and how is recorded),
//! made active, put under review when a newer draft is started, and superseded when the newer
//! version becomes active. An agreed version never changes again; changing the plan always
//! starts a new draft.

use super::{PlanContent, iso_date};
use crate::errors::FieldErrors;
use crate::text::required;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanStatus {
    Draft,
    Agreed,
    Active,
    /// Still in force while a newer draft is being written.
    UnderReview,
    Superseded,
}

impl PlanStatus {
    pub const ALL: [PlanStatus; 5] =
        [PlanStatus::Draft, PlanStatus::Agreed, PlanStatus::Active, PlanStatus::UnderReview, PlanStatus::Superseded];

    pub fn slug(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Agreed => "agreed",
            PlanStatus::Active => "active",
            PlanStatus::UnderReview => "under-review",
            PlanStatus::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Draft => "Draft",
            PlanStatus::Agreed => "Agreed",
            PlanStatus::Active => "Active",
            PlanStatus::UnderReview => "Under review",
            PlanStatus::Superseded => "Superseded",
        }
    }

    pub fn from_slug(slug: &str) -> Option<PlanStatus> {
        PlanStatus::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// The plan people should follow now: agreed, and not yet replaced.
    pub fn is_in_force(self) -> bool {
        matches!(self, PlanStatus::Active | PlanStatus::UnderReview)
    }

    /// What an event does to a version in this status, or why it cannot happen.
    pub fn after(self, event: PlanEvent) -> Result<PlanStatus, &'static str> {
        use PlanEvent::*;
        use PlanStatus::*;
        match (self, event) {
            (Draft, Agree) => Ok(Agreed),
            (Agreed, Activate) => Ok(Active),
            (Active, Revise) => Ok(UnderReview),
            (Agreed | Active | UnderReview, Supersede) => Ok(Superseded),
            (_, Agree) => Err("Only a draft can be agreed. Changing the plan starts a new draft."),
            (_, Activate) => Err("Only an agreed version can be made active."),
            (_, Revise) => Err("Only the active plan goes under review when a new draft is started."),
            (_, Supersede) => Err("A draft or an already superseded version cannot be superseded."),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanEvent {
    Agree,
    Activate,
    /// A newer draft was started from this version.
    Revise,
    /// A newer version became active.
    Supersede,
}

/// How the plan was agreed: the person's own agreement, or (when they could not decide) a
/// best-interests decision, recorded with who made it and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonAgreement {
    Themselves(AgreedHow),
    BestInterests { decided_by: String, reason: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgreedHow {
    InPerson,
    InWriting,
    ByPhoneOrVideo,
    WithAnAdvocate,
    /// The person pressed "I agree" on their own sign-in: only they can record this.
    OnCarethread,
}

impl AgreedHow {
    /// The ways staff can record the person's agreement (not "on Carethread", which only the
    /// person's own sign-in records).
    pub const BY_STAFF: [AgreedHow; 4] =
        [AgreedHow::InPerson, AgreedHow::InWriting, AgreedHow::ByPhoneOrVideo, AgreedHow::WithAnAdvocate];
    pub fn slug(self) -> &'static str {
        match self {
            AgreedHow::InPerson => "in-person",
            AgreedHow::InWriting => "in-writing",
            AgreedHow::ByPhoneOrVideo => "by-phone-or-video",
            AgreedHow::WithAnAdvocate => "with-an-advocate",
            AgreedHow::OnCarethread => "on-carethread",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            AgreedHow::InPerson => "In person",
            AgreedHow::InWriting => "In writing",
            AgreedHow::ByPhoneOrVideo => "By phone or video",
            AgreedHow::WithAnAdvocate => "With the support of an advocate",
            AgreedHow::OnCarethread => "On Carethread, from their own sign-in",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub on: NaiveDate,
    pub person: PersonAgreement,
    /// Anyone else who agreed it: "Rita (mum) and Sam (key worker)".
    pub others: Option<String>,
}

impl Agreement {
    pub fn describe(&self, person_name: &str) -> String {
        let how = match &self.person {
            PersonAgreement::Themselves(AgreedHow::OnCarethread) => {
                format!("{person_name} agreed it on Carethread, from their own sign-in")
            }
            PersonAgreement::Themselves(how) => {
                format!("{person_name} agreed it ({})", how.label().to_lowercase())
            }
            PersonAgreement::BestInterests { decided_by, reason } => {
                format!("agreed in {person_name}'s best interests by {decided_by}: {reason}")
            }
        };
        match &self.others {
            Some(o) => format!("{how}, with {o}"),
            None => how,
        }
    }

    pub fn by_the_person(&self) -> bool {
        matches!(self.person, PersonAgreement::Themselves(_))
    }
}

/// The agreement form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgreementInput {
    /// `themselves` or `best-interests`.
    pub agreed_by: String,
    pub how: String,
    pub decided_by: String,
    pub reason: String,
    pub others: String,
    /// `YYYY-MM-DD`.
    pub on: String,
}

impl AgreementInput {
    /// Checks that this draft may be agreed and reads the agreement. A plan with no goal, or
    /// without the person's agreement (or a best-interests decision) recorded, is refused.
    pub fn parse(&self, draft: &PlanContent, person_name: &str, today: NaiveDate) -> Result<Agreement, FieldErrors> {
        let mut errors = FieldErrors::new();
        if draft.goals.is_empty() {
            errors.add("goals", format!("Add at least one of {person_name}'s goals before agreeing the plan."));
        }
        let person = match self.agreed_by.as_str() {
            "themselves" => match AgreedHow::BY_STAFF.into_iter().find(|h| h.slug() == self.how) {
                Some(how) => Some(PersonAgreement::Themselves(how)),
                None => {
                    errors.add("how", format!("Say how {person_name} agreed the plan."));
                    None
                }
            },
            "best-interests" => {
                let decided_by =
                    required(&mut errors, "decided_by", "who made the best-interests decision", &self.decided_by, 200);
                let reason = required(&mut errors, "reason", "why the decision was made for them", &self.reason, 1000);
                Some(PersonAgreement::BestInterests { decided_by, reason })
            }
            _ => {
                errors.add(
                    "agreed_by",
                    format!("Record {person_name}'s agreement, or the best-interests decision made for them."),
                );
                None
            }
        };
        let others = crate::text::optional(&mut errors, "others", "who else agreed", &self.others, 300);
        let on = iso_date(&mut errors, "on", "the date it was agreed", &self.on);
        if on.is_some_and(|d| d > today) {
            errors.add("on", "The date it was agreed must be today or in the past.");
        }
        match (person, on) {
            (Some(person), Some(on)) if errors.is_empty() => Ok(Agreement { on, person, others }),
            _ => Err(errors),
        }
    }
}

impl Agreement {
    /// The person agreeing to the draft themselves, from their own sign-in, today.
    pub fn from_own_sign_in(draft: &PlanContent, today: NaiveDate) -> Result<Agreement, &'static str> {
        if draft.goals.is_empty() {
            return Err("Add at least one of your goals before you agree to your plan.");
        }
        Ok(Agreement { on: today, person: PersonAgreement::Themselves(AgreedHow::OnCarethread), others: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Achievement, Goal};
    use crate::themes::Voice;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
    }

    fn with_goal() -> PlanContent {
        let goal = Goal {
            id: uuid::Uuid::nil(),
            what_matters: "My cat".into(),
            achieve: "Keep my cat".into(),
            voice: Voice::OwnWords,
            steps: vec![],
            commitment: None,
            themes: vec![],
            problems: vec![],
            achievement: Achievement::Working,
            revision: 1,
        };
        PlanContent { goals: vec![goal], ..PlanContent::default() }
    }

    #[test]
    fn every_status_moves_only_along_the_lifecycle() {
        use PlanEvent::*;
        use PlanStatus::*;
        assert_eq!(Draft.after(Agree), Ok(Agreed));
        assert_eq!(Agreed.after(Activate), Ok(Active));
        assert_eq!(Active.after(Revise), Ok(UnderReview));
        assert_eq!(UnderReview.after(Supersede), Ok(Superseded));
        assert_eq!(Agreed.after(Supersede), Ok(Superseded));
        for (from, event) in [
            (Agreed, Agree),
            (Active, Agree),
            (Draft, Activate),
            (Superseded, Activate),
            (Draft, Revise),
            (Draft, Supersede),
            (Superseded, Supersede),
        ] {
            assert!(from.after(event).is_err(), "{from:?} + {event:?}");
        }
        for s in PlanStatus::ALL {
            assert_eq!(PlanStatus::from_slug(s.slug()), Some(s));
        }
    }

    #[test]
    fn agreeing_needs_a_goal_and_the_persons_agreement() {
        let empty = AgreementInput { on: "2026-11-20".into(), ..Default::default() };
        let errors = empty.parse(&PlanContent::default(), "Aisha", today()).expect_err("nothing to agree");
        assert_eq!(errors.get("goals"), Some("Add at least one of Aisha's goals before agreeing the plan."));
        assert_eq!(
            errors.get("agreed_by"),
            Some("Record Aisha's agreement, or the best-interests decision made for them.")
        );
        let themselves = AgreementInput {
            agreed_by: "themselves".into(),
            how: "in-person".into(),
            on: "2026-11-20".into(),
            ..Default::default()
        };
        let agreement = themselves.parse(&with_goal(), "Aisha", today()).expect("valid");
        assert!(agreement.by_the_person());
        assert_eq!(agreement.describe("Aisha"), "Aisha agreed it (in person)");
        let future = AgreementInput { on: "2026-12-01".into(), ..themselves.clone() };
        assert!(future.parse(&with_goal(), "Aisha", today()).expect_err("future").get("on").is_some());
        let claimed = AgreementInput { how: "on-carethread".into(), ..themselves.clone() };
        assert!(claimed.parse(&with_goal(), "Aisha", today()).expect_err("staff cannot claim it").get("how").is_some());
        let own = Agreement::from_own_sign_in(&with_goal(), today()).expect("agreed");
        assert_eq!(own.describe("Aisha"), "Aisha agreed it on Carethread, from their own sign-in");
        assert!(Agreement::from_own_sign_in(&PlanContent::default(), today()).is_err());
        let bi = AgreementInput { agreed_by: "best-interests".into(), on: "2026-11-20".into(), ..Default::default() };
        let errors = bi.parse(&with_goal(), "Aisha", today()).expect_err("who and why");
        assert!(errors.get("decided_by").is_some() && errors.get("reason").is_some());
    }
}
