//! The one access decision. Every page, API call and export asks [`decide`] before it reads or
//! writes anything about a named person, and denies unless a rule here allows. Keeping every rule
//! in one pure function means the whole policy can be read, and tested, in one place.
//!
//! Staff see a person's record only through a working relationship with it (allocated key
//! worker, a member of the team holding the case, or named in the person's circle of support),
//! or through emergency ("break-glass") access they asked for with a reason. Supporters see the
//! sections the person has consented to share with them, while that consent is in force. The
//! store finds these facts ([`Ties`]); this module decides what they allow.

use crate::ids::{OrgId, PersonId, TeamId, UserId};
use crate::plan::consent::Section;
use crate::role::Role;

/// Who is asking: the signed-in account, as the policy needs to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
    /// The team the account works in, if any: it gives access to the cases that team holds.
    pub team_id: Option<TeamId>,
    /// For the `person` role: the record that is theirs.
    pub person_id: Option<PersonId>,
}

/// What they want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See the list of people on one's caseload, or search people.
    FindPeople,
    RegisterPerson,
    /// Open a named person's whole record.
    ReadPerson,
    /// Read one section of a person's record or plan: what a supporter may be given.
    ReadSection(Section),
    /// See entries withheld from the person (with the recorded reason): the team, and staff
    /// using emergency access, do.
    SeeWithheld,
    /// Change a person's details, or close or reopen their case.
    EditPerson,
    /// Record one's own votes in a review of the person's case (the person themselves, on
    /// their own device, as well as staff).
    VoteInReview,
    /// Write in the person's own words: goals in the care plan and "about me". The person does
    /// it on their own record; staff with a relationship do it with them.
    WriteOwnWords,
    /// Comment on an entry in the record: the person on their own record, and staff with a
    /// relationship.
    Comment,
    /// Invite someone in the circle of support to sign in as a supporter, or withdraw a consent
    /// to share: the person themselves, or staff with a relationship.
    ManageSharing,
    /// Ask for emergency access to a record one has no relationship with.
    BreakGlass,
    /// Look through emergency accesses and mark each as justified or not.
    ReviewBreakGlass,
    /// See the team's plan-quality report, which names the people whose plans fall short.
    ViewPlanQuality,
    /// See the organisation's figures: counts and outcome distributions, never a name.
    ViewAggregates,
    /// Manage organisations, teams and accounts.
    ManageAccounts,
    /// Browse the audit log.
    ViewAudit,
    /// Look up the staff and teams of one's own organisation (who a reference names).
    ReadDirectory,
    /// Export in bulk what one may read: staff their caseload's records, a person their own,
    /// a supporter what is shared with them. Each record in it still passes the policy.
    BulkExport,
}

/// How the asker stands towards one person's record, as the store found it for this request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ties {
    /// The asker is the case's allocated key worker.
    pub key_worker: bool,
    /// The asker works in the team holding the case.
    pub holding_team: bool,
    /// The asker's account is named in the person's circle of support.
    pub in_circle: bool,
    /// The asker has emergency access to this record in force now.
    pub break_glass: bool,
    /// The sections the person's consents in force today share with the asker.
    pub shared: Vec<Section>,
}

impl Ties {
    /// A legitimate, standing reason to work with the record.
    pub fn working_relationship(&self) -> bool {
        self.key_worker || self.holding_team || self.in_circle
    }
}

/// The record an action is about, when it is about one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub person_id: PersonId,
    /// The organisation that holds the person's case.
    pub org_id: OrgId,
    pub ties: Ties,
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

const NO_RELATIONSHIP: &str = "You do not have a working relationship with this person's record.";

pub fn decide(who: &Principal, action: Action, target: Option<&Target>) -> Decision {
    use Action::*;
    let staff = who.role.works_with_named_records();
    let Some(t) = target else {
        return match action {
            ManageAccounts | ViewAudit if who.role == Role::Admin => Decision::Allow,
            ManageAccounts | ViewAudit => Decision::Deny("Only administrators manage accounts and read the audit log."),
            ViewAggregates if matches!(who.role, Role::Commissioner | Role::TeamManager | Role::Admin) => {
                Decision::Allow
            }
            ViewAggregates => Decision::Deny("Only commissioners, team managers and administrators see these figures."),
            ReviewBreakGlass if matches!(who.role, Role::TeamManager | Role::Admin) => Decision::Allow,
            ReviewBreakGlass => Decision::Deny("Only team managers and administrators review emergency access."),
            BulkExport if staff || matches!(who.role, Role::Person | Role::Supporter) => Decision::Allow,
            BulkExport => Decision::Deny("Your role sees figures, not named records: there is nothing to export."),
            ReadDirectory if staff || who.role == Role::Admin => Decision::Allow,
            ReadDirectory => Decision::Deny("Only staff look up the organisation's staff and teams."),
            FindPeople | RegisterPerson | ViewPlanQuality if staff => Decision::Allow,
            FindPeople | RegisterPerson | ViewPlanQuality => {
                Decision::Deny("Your role does not work with named people's records.")
            }
            _ => Decision::Deny("No record was named."),
        };
    };
    if matches!(
        action,
        ManageAccounts
            | ViewAudit
            | ViewAggregates
            | ReviewBreakGlass
            | FindPeople
            | RegisterPerson
            | ViewPlanQuality
            | ReadDirectory
            | BulkExport
    ) {
        return Decision::Deny("This is not done on one person's record.");
    }
    let own = who.role == Role::Person && who.person_id == Some(t.person_id);
    let same_org = who.org_id == t.org_id;
    let related = staff && same_org && t.ties.working_relationship();
    let emergency = staff && same_org && t.ties.break_glass;
    let allow = match action {
        ReadPerson => own || related || emergency,
        ReadSection(s) => {
            own || related || emergency || (who.role == Role::Supporter && same_org && t.ties.shared.contains(&s))
        }
        SeeWithheld => related || emergency,
        EditPerson => related,
        VoteInReview | WriteOwnWords | ManageSharing | Comment => own || related,
        BreakGlass if staff && same_org && !related => true,
        BreakGlass if related => {
            return Decision::Deny(
                "You already have a working relationship with this record; no emergency access is needed.",
            );
        }
        _ => false,
    };
    if allow { Decision::Allow } else { Decision::Deny(NO_RELATIONSHIP) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::themes::Theme;

    fn principal(role: Role, org: OrgId) -> Principal {
        Principal { user_id: UserId::new(), org_id: org, role, team_id: None, person_id: None }
    }

    fn target(org: OrgId, ties: Ties) -> Target {
        Target { person_id: PersonId::new(), org_id: org, ties }
    }

    fn each_relationship() -> [Ties; 3] {
        [
            Ties { key_worker: true, ..Ties::default() },
            Ties { holding_team: true, ..Ties::default() },
            Ties { in_circle: true, ..Ties::default() },
        ]
    }

    #[test]
    fn staff_need_a_working_relationship_within_their_organisation() {
        let (home, other) = (OrgId::new(), OrgId::new());
        for role in Role::ALL {
            let p = principal(role, home);
            let expected = role.works_with_named_records();
            for ties in each_relationship() {
                let here = target(home, ties.clone());
                assert_eq!(decide(&p, Action::ReadPerson, Some(&here)).is_allowed(), expected, "{role}");
                assert_eq!(decide(&p, Action::EditPerson, Some(&here)).is_allowed(), expected, "{role}");
                assert_eq!(decide(&p, Action::WriteOwnWords, Some(&here)).is_allowed(), expected, "{role}");
                assert_eq!(decide(&p, Action::SeeWithheld, Some(&here)).is_allowed(), expected, "{role}");
                let there = target(other, ties);
                assert!(!decide(&p, Action::ReadPerson, Some(&there)).is_allowed(), "{role} across organisations");
            }
            let stranger = target(home, Ties::default());
            for action in [Action::ReadPerson, Action::EditPerson, Action::VoteInReview, Action::SeeWithheld] {
                assert!(!decide(&p, action, Some(&stranger)).is_allowed(), "{role} {action:?} with no relationship");
            }
            assert_eq!(decide(&p, Action::FindPeople, None).is_allowed(), expected, "{role}");
            assert_eq!(decide(&p, Action::ViewPlanQuality, None).is_allowed(), expected, "{role}");
        }
    }

    #[test]
    fn break_glass_is_for_staff_without_a_relationship_and_lets_them_read_but_not_change() {
        let org = OrgId::new();
        let clinician = principal(Role::Clinician, org);
        let stranger = target(org, Ties::default());
        assert!(decide(&clinician, Action::BreakGlass, Some(&stranger)).is_allowed());
        let related = target(org, Ties { holding_team: true, ..Ties::default() });
        assert!(!decide(&clinician, Action::BreakGlass, Some(&related)).is_allowed(), "no need");
        let other_org = target(OrgId::new(), Ties::default());
        assert!(!decide(&clinician, Action::BreakGlass, Some(&other_org)).is_allowed());
        for role in [Role::Person, Role::Supporter, Role::Commissioner, Role::Admin] {
            assert!(!decide(&principal(role, org), Action::BreakGlass, Some(&stranger)).is_allowed(), "{role}");
        }
        let open = target(org, Ties { break_glass: true, ..Ties::default() });
        assert!(decide(&clinician, Action::ReadPerson, Some(&open)).is_allowed());
        assert!(decide(&clinician, Action::SeeWithheld, Some(&open)).is_allowed(), "risks matter in an emergency");
        assert!(decide(&clinician, Action::ReadSection(Section::Escalation), Some(&open)).is_allowed());
        assert!(!decide(&clinician, Action::EditPerson, Some(&open)).is_allowed());
        assert!(!decide(&clinician, Action::VoteInReview, Some(&open)).is_allowed());
        let other_org_grant = target(OrgId::new(), Ties { break_glass: true, ..Ties::default() });
        assert!(!decide(&clinician, Action::ReadPerson, Some(&other_org_grant)).is_allowed());
        for role in Role::ALL {
            let may = matches!(role, Role::TeamManager | Role::Admin);
            assert_eq!(decide(&principal(role, org), Action::ReviewBreakGlass, None).is_allowed(), may, "{role}");
        }
    }

    #[test]
    fn supporters_see_only_the_sections_shared_with_them() {
        let org = OrgId::new();
        let supporter = principal(Role::Supporter, org);
        let shared = vec![Section::Escalation, Section::Theme(Theme::AboutMe)];
        let t = target(org, Ties { shared: shared.clone(), ..Ties::default() });
        for section in Section::all() {
            assert_eq!(
                decide(&supporter, Action::ReadSection(section), Some(&t)).is_allowed(),
                shared.contains(&section),
                "{section:?}"
            );
        }
        for action in [Action::ReadPerson, Action::EditPerson, Action::SeeWithheld, Action::WriteOwnWords] {
            assert!(!decide(&supporter, action, Some(&t)).is_allowed(), "{action:?}");
        }
        let withdrawn = target(org, Ties::default());
        assert!(!decide(&supporter, Action::ReadSection(Section::Escalation), Some(&withdrawn)).is_allowed());
        assert!(!decide(&supporter, Action::FindPeople, None).is_allowed());
        // Sharing is for supporters: a clinician with no relationship gains nothing from it.
        let clinician_shared = target(org, Ties { shared, ..Ties::default() });
        let clinician = principal(Role::Clinician, org);
        assert!(!decide(&clinician, Action::ReadSection(Section::Escalation), Some(&clinician_shared)).is_allowed());
    }

    #[test]
    fn a_person_reads_only_their_own_record_and_edits_none() {
        let org = OrgId::new();
        let mine = target(org, Ties::default());
        let theirs = target(org, Ties::default());
        let me = Principal { person_id: Some(mine.person_id), ..principal(Role::Person, org) };
        assert!(decide(&me, Action::ReadPerson, Some(&mine)).is_allowed());
        assert!(!decide(&me, Action::ReadPerson, Some(&theirs)).is_allowed());
        assert!(!decide(&me, Action::EditPerson, Some(&mine)).is_allowed());
        assert!(!decide(&me, Action::SeeWithheld, Some(&mine)).is_allowed());
        assert!(decide(&me, Action::VoteInReview, Some(&mine)).is_allowed(), "the person votes in their own review");
        assert!(!decide(&me, Action::VoteInReview, Some(&theirs)).is_allowed());
        assert!(!decide(&me, Action::FindPeople, None).is_allowed());
        assert!(decide(&me, Action::WriteOwnWords, Some(&mine)).is_allowed(), "the person writes their own goals");
        assert!(!decide(&me, Action::WriteOwnWords, Some(&theirs)).is_allowed());
        assert!(decide(&me, Action::ManageSharing, Some(&mine)).is_allowed());
        assert!(decide(&me, Action::Comment, Some(&mine)).is_allowed(), "the person answers what is written");
        assert!(!decide(&me, Action::Comment, Some(&theirs)).is_allowed());
        assert!(!decide(&me, Action::ManageSharing, Some(&theirs)).is_allowed());
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
        let t = target(org, Ties { holding_team: true, in_circle: true, ..Ties::default() });
        assert!(!decide(&admin, Action::ReadPerson, Some(&t)).is_allowed());
        assert!(!decide(&admin, Action::ManageAccounts, Some(&t)).is_allowed(), "never about one record");
        assert!(!decide(&principal(Role::Commissioner, org), Action::ReadPerson, Some(&t)).is_allowed());
        let commissioner = principal(Role::Commissioner, org);
        assert!(decide(&commissioner, Action::ViewAggregates, None).is_allowed());
        assert!(!decide(&commissioner, Action::FindPeople, None).is_allowed());
        assert!(!decide(&commissioner, Action::ViewPlanQuality, None).is_allowed(), "the report names people");
        assert!(!decide(&principal(Role::KeyWorker, org), Action::ViewAggregates, None).is_allowed());
    }

    #[test]
    fn staff_look_up_their_colleagues_and_only_those_with_named_records_export() {
        let org = OrgId::new();
        for role in Role::ALL {
            let expected = role.works_with_named_records() || role == Role::Admin;
            assert_eq!(decide(&principal(role, org), Action::ReadDirectory, None).is_allowed(), expected, "{role}");
            let exports = role.works_with_named_records() || matches!(role, Role::Person | Role::Supporter);
            assert_eq!(decide(&principal(role, org), Action::BulkExport, None).is_allowed(), exports, "{role}");
        }
    }
}
