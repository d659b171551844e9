//! The one access decision. Every page, API call and export asks [`decide`] before it reads or
//! writes anything about a named person, and denies unless a rule here allows. Keeping every rule
//! in one pure function means the whole policy can be read, and tested, in one place.

use crate::ids::{OrgId, PersonId, UserId};
use crate::role::Role;

/// Who is asking: the signed-in account, as the policy needs to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
    /// For the `person` role: the record that is theirs.
    pub person_id: Option<PersonId>,
}

/// What they want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See the list of people on one's caseload, or search people.
    FindPeople,
    RegisterPerson,
    /// Open a named person's record.
    ReadPerson,
    /// Change a person's details, or close or reopen their case.
    EditPerson,
    /// Record one's own votes in a review of the person's case (the person themselves, on
    /// their own device, as well as staff).
    VoteInReview,
    /// Write in the person's own words: goals in the care plan and "about me". The person does
    /// it on their own record; staff with a relationship do it with them.
    WriteOwnWords,
    /// See the team's plan-quality report, which names the people whose plans fall short.
    ViewPlanQuality,
    /// See the organisation's figures: counts and outcome distributions, never a name.
    ViewAggregates,
    /// Manage organisations, teams and accounts.
    ManageAccounts,
    /// Browse the audit log.
    ViewAudit,
}

/// The record an action is about, when it is about one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    pub person_id: PersonId,
    /// The organisation that holds the person's case.
    pub org_id: OrgId,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Refused, with the reason in plain words (shown to the person refused, and audited).
    Deny(&'static str),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

pub fn decide(who: &Principal, action: Action, target: Option<Target>) -> Decision {
    use Action::*;
    match (action, target) {
        (ManageAccounts | ViewAudit, None) if who.role == Role::Admin => Decision::Allow,
        (ManageAccounts | ViewAudit, _) => {
            Decision::Deny("Only administrators manage accounts and read the audit log.")
        }

        (ViewAggregates, None) if matches!(who.role, Role::Commissioner | Role::TeamManager | Role::Admin) => {
            Decision::Allow
        }
        (ViewAggregates, _) => {
            Decision::Deny("Only commissioners, team managers and administrators see these figures.")
        }

        (FindPeople | RegisterPerson | ViewPlanQuality, None) if who.role.works_with_named_records() => Decision::Allow,
        (FindPeople | RegisterPerson | ViewPlanQuality, _) => {
            Decision::Deny("Your role does not work with named people's records.")
        }

        (ReadPerson | VoteInReview | WriteOwnWords, Some(t))
            if who.role == Role::Person && who.person_id == Some(t.person_id) =>
        {
            Decision::Allow
        }
        (ReadPerson | EditPerson | VoteInReview | WriteOwnWords, Some(t))
            if who.role.works_with_named_records() && who.org_id == t.org_id =>
        {
            Decision::Allow
        }
        (ReadPerson | EditPerson | VoteInReview | WriteOwnWords, Some(_)) => {
            Decision::Deny("You do not have a working relationship with this person's record.")
        }
        (ReadPerson | EditPerson | VoteInReview | WriteOwnWords, None) => Decision::Deny("No record was named."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, org: OrgId) -> Principal {
        Principal { user_id: UserId::new(), org_id: org, role, person_id: None }
    }

    #[test]
    fn staff_read_only_within_their_organisation() {
        let (home, other) = (OrgId::new(), OrgId::new());
        let here = Target { person_id: PersonId::new(), org_id: home };
        let there = Target { person_id: PersonId::new(), org_id: other };
        for role in Role::ALL {
            let p = principal(role, home);
            let expected = role.works_with_named_records();
            assert_eq!(decide(&p, Action::ReadPerson, Some(here)).is_allowed(), expected, "{role}");
            assert_eq!(decide(&p, Action::EditPerson, Some(here)).is_allowed(), expected, "{role}");
            assert!(!decide(&p, Action::ReadPerson, Some(there)).is_allowed(), "{role} across organisations");
            assert_eq!(decide(&p, Action::FindPeople, None).is_allowed(), expected, "{role}");
            assert_eq!(decide(&p, Action::WriteOwnWords, Some(here)).is_allowed(), expected, "{role}");
            assert_eq!(decide(&p, Action::ViewPlanQuality, None).is_allowed(), expected, "{role}");
        }
    }

    #[test]
    fn a_person_reads_only_their_own_record_and_edits_none() {
        let org = OrgId::new();
        let mine = Target { person_id: PersonId::new(), org_id: org };
        let theirs = Target { person_id: PersonId::new(), org_id: org };
        let me = Principal { person_id: Some(mine.person_id), ..principal(Role::Person, org) };
        assert!(decide(&me, Action::ReadPerson, Some(mine)).is_allowed());
        assert!(!decide(&me, Action::ReadPerson, Some(theirs)).is_allowed());
        assert!(!decide(&me, Action::EditPerson, Some(mine)).is_allowed());
        assert!(decide(&me, Action::VoteInReview, Some(mine)).is_allowed(), "the person votes in their own review");
        assert!(!decide(&me, Action::VoteInReview, Some(theirs)).is_allowed());
        assert!(!decide(&me, Action::FindPeople, None).is_allowed());
        assert!(decide(&me, Action::WriteOwnWords, Some(mine)).is_allowed(), "the person writes their own goals");
        assert!(!decide(&me, Action::WriteOwnWords, Some(theirs)).is_allowed());
        assert!(!decide(&me, Action::ViewPlanQuality, None).is_allowed(), "the report names other people");
    }

    #[test]
    fn only_admins_manage_accounts_and_admins_never_read_named_records() {
        let org = OrgId::new();
        for role in Role::ALL {
            let p = principal(role, org);
            assert_eq!(decide(&p, Action::ManageAccounts, None).is_allowed(), role == Role::Admin);
            assert_eq!(decide(&p, Action::ViewAudit, None).is_allowed(), role == Role::Admin);
        }
        let admin = principal(Role::Admin, org);
        let t = Target { person_id: PersonId::new(), org_id: org };
        assert!(!decide(&admin, Action::ReadPerson, Some(t)).is_allowed());
        assert!(!decide(&principal(Role::Commissioner, org), Action::ReadPerson, Some(t)).is_allowed());
        let commissioner = principal(Role::Commissioner, org);
        assert!(decide(&commissioner, Action::ViewAggregates, None).is_allowed());
        assert!(!decide(&commissioner, Action::FindPeople, None).is_allowed());
        assert!(!decide(&commissioner, Action::ViewPlanQuality, None).is_allowed(), "the report names people");
        assert!(!decide(&principal(Role::KeyWorker, org), Action::ViewAggregates, None).is_allowed());
    }
}
