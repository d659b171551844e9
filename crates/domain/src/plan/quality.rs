//! The plan-quality audit: each person's plan checked against six criteria, so a team can see
//! which plans need attention and why.

use super::PlanContent;
use super::consent::ConsentDetails;
use super::lifecycle::Agreement;
use crate::tasks::Owner;
use chrono::NaiveDate;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    GoalsInOwnWords,
    EscalationPlan,
    ConsentRecorded,
    AgreedByPerson,
    ReviewedOnTime,
    SharedWithNamedPeople,
}

impl Criterion {
    pub const ALL: [Criterion; 6] = [
        Criterion::GoalsInOwnWords,
        Criterion::EscalationPlan,
        Criterion::ConsentRecorded,
        Criterion::AgreedByPerson,
        Criterion::ReviewedOnTime,
        Criterion::SharedWithNamedPeople,
    ];
    pub fn slug(self) -> &'static str {
        match self {
            Criterion::GoalsInOwnWords => "own-words",
            Criterion::EscalationPlan => "escalation",
            Criterion::ConsentRecorded => "consent",
            Criterion::AgreedByPerson => "agreed",
            Criterion::ReviewedOnTime => "on-time",
            Criterion::SharedWithNamedPeople => "shared",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Criterion::GoalsInOwnWords => "Goals in the person's own words",
            Criterion::EscalationPlan => "Escalation plan present",
            Criterion::ConsentRecorded => "Consent to share recorded",
            Criterion::AgreedByPerson => "Agreed by the person",
            Criterion::ReviewedOnTime => "Reviewed on time",
            Criterion::SharedWithNamedPeople => "Shared with the people it names",
        }
    }
    pub fn from_slug(slug: &str) -> Option<Criterion> {
        Criterion::ALL.into_iter().find(|c| c.slug() == slug)
    }
}

/// The plan in force for one person, as the audit needs it.
pub struct CurrentPlan<'a> {
    pub content: &'a PlanContent,
    pub agreement: &'a Agreement,
    pub review_due: NaiveDate,
}

/// Whether the plan meets each criterion, and if not, why not in plain words. A person with no
/// agreed plan meets none.
pub fn check(
    plan: Option<&CurrentPlan<'_>>,
    consents_in_force: &[&ConsentDetails],
    today: NaiveDate,
) -> Vec<(Criterion, Result<(), String>)> {
    let Some(plan) = plan else {
        return Criterion::ALL.into_iter().map(|c| (c, Err("There is no agreed plan yet.".to_string()))).collect();
    };
    Criterion::ALL.into_iter().map(|c| (c, one(c, plan, consents_in_force, today))).collect()
}

fn one(c: Criterion, plan: &CurrentPlan<'_>, consents: &[&ConsentDetails], today: NaiveDate) -> Result<(), String> {
    match c {
        Criterion::GoalsInOwnWords => {
            let others = plan.content.goals.iter().filter(|g| !g.voice.is_persons()).count();
            match (plan.content.goals.len(), others) {
                (0, _) => Err("The plan has no goals.".into()),
                (_, 0) => Ok(()),
                (_, n) => Err(format!("{n} goal{} not in the person's words.", if n == 1 { " is" } else { "s are" })),
            }
        }
        Criterion::EscalationPlan if plan.content.escalation.is_usable() => Ok(()),
        Criterion::EscalationPlan => {
            Err("The escalation plan needs warning signs, what to do and someone to call.".into())
        }
        Criterion::ConsentRecorded if !consents.is_empty() => Ok(()),
        Criterion::ConsentRecorded => Err("No consent to share is in force.".into()),
        Criterion::AgreedByPerson if plan.agreement.by_the_person() => Ok(()),
        Criterion::AgreedByPerson => Err("Agreed through a best-interests decision, not by the person.".into()),
        Criterion::ReviewedOnTime if plan.review_due >= today => Ok(()),
        Criterion::ReviewedOnTime => Err(format!("The review was due on {}.", plan.review_due.format("%-d %B %Y"))),
        Criterion::SharedWithNamedPeople => {
            let missing: Vec<String> = plan
                .content
                .named_helpers()
                .into_iter()
                .filter_map(|(who, name)| match who {
                    Owner::Member(id) => {
                        (!consents.iter().any(|c| c.with.member() == Some(id) && c.scope.covers_plan())).then_some(name)
                    }
                    // The person, staff and teams need no consent to see their own plan.
                    _ => None,
                })
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("No consent to share it with {}.", missing.join(", ")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::consent::{ConsentGiven, ShareScope, ShareWith};
    use crate::plan::lifecycle::{AgreedHow, PersonAgreement};
    use crate::plan::{Achievement, CrisisContact, Goal, PhoneNumber, Step};
    use crate::themes::Voice;
    use uuid::Uuid;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn content(voice: Voice, helper: Uuid) -> PlanContent {
        let mut p = PlanContent::default();
        p.goals.push(Goal {
            id: Uuid::nil(),
            what_matters: "Music".into(),
            achieve: "Join a choir".into(),
            voice,
            steps: vec![Step {
                what: "Find a choir".into(),
                who: Owner::Member(helper),
                who_name: "Rita".into(),
                by: None,
            }],
            commitment: None,
            themes: vec![],
            problems: vec![],
            achievement: Achievement::Working,
            revision: 1,
        });
        p.escalation.warning_signs.push("Stops singing".into());
        p.escalation.what_to_do.push("Call Rita".into());
        p.escalation.contacts.push(CrisisContact {
            name: "Rita".into(),
            role: "Mum".into(),
            phone: PhoneNumber::try_from("07700 900123".to_string()).expect("valid"),
            hours: "Any time".into(),
        });
        p
    }

    fn consent(with: ShareWith) -> ConsentDetails {
        ConsentDetails {
            with,
            scope: ShareScope::WholePlan,
            purpose: "Help".into(),
            from: d("2026-01-01"),
            until: None,
            given: ConsentGiven::Verbal,
        }
    }

    #[test]
    fn a_good_plan_meets_every_criterion() {
        let rita = Uuid::now_v7();
        let c = content(Voice::WithPerson, rita);
        let agreement =
            Agreement { on: d("2026-06-01"), person: PersonAgreement::Themselves(AgreedHow::InPerson), others: None };
        let plan = CurrentPlan { content: &c, agreement: &agreement, review_due: d("2027-06-01") };
        let shared = consent(ShareWith::Member { id: rita, name: "Rita".into() });
        let results = check(Some(&plan), &[&shared], d("2026-11-23"));
        assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    }

    #[test]
    fn each_failing_criterion_says_why() {
        let rita = Uuid::now_v7();
        let c = content(Voice::Professional, rita);
        let agreement = Agreement {
            on: d("2025-06-01"),
            person: PersonAgreement::BestInterests { decided_by: "Dr Lee".into(), reason: "No capacity".into() },
            others: None,
        };
        let plan = CurrentPlan { content: &c, agreement: &agreement, review_due: d("2026-06-01") };
        let other = consent(ShareWith::Role("GP".into()));
        let results = check(Some(&plan), &[&other], d("2026-11-23"));
        let why = |c: Criterion| results.iter().find(|(k, _)| *k == c).map(|(_, r)| r.clone()).expect("checked");
        assert_eq!(why(Criterion::GoalsInOwnWords), Err("1 goal is not in the person's words.".into()));
        assert_eq!(
            why(Criterion::AgreedByPerson),
            Err("Agreed through a best-interests decision, not by the person.".into())
        );
        assert_eq!(why(Criterion::ReviewedOnTime), Err("The review was due on 1 June 2026.".into()));
        assert_eq!(why(Criterion::SharedWithNamedPeople), Err("No consent to share it with Rita.".into()));
        assert_eq!(why(Criterion::ConsentRecorded), Ok(()));
        assert_eq!(why(Criterion::EscalationPlan), Ok(()));
        let none = check(None, &[], d("2026-11-23"));
        assert!(none.iter().all(|(_, r)| r.is_err()));
        assert_eq!(Criterion::from_slug("shared"), Some(Criterion::SharedWithNamedPeople));
    }
}
