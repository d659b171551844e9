//! The roles an account can hold. A role says what kind of work someone does here; what they may
//! see of a given person is decided by the policy, which also looks at their relationships.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The person whose care this is (a service user or patient).
    Person,
    /// Family, a friend, a carer or an advocate.
    Supporter,
    /// Key worker or care coordinator.
    KeyWorker,
    /// Clinician or member of the multidisciplinary team.
    Clinician,
    TeamManager,
    PracticeAdmin,
    /// Sees aggregates only, never a named record.
    Commissioner,
    /// Runs the system: organisations, teams, accounts and the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Person,
        Role::Supporter,
        Role::KeyWorker,
        Role::Clinician,
        Role::TeamManager,
        Role::PracticeAdmin,
        Role::Commissioner,
        Role::Admin,
    ];

    /// The word used on the command line, in forms and in storage.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Person => "person",
            Role::Supporter => "supporter",
            Role::KeyWorker => "key-worker",
            Role::Clinician => "clinician",
            Role::TeamManager => "team-manager",
            Role::PracticeAdmin => "practice-admin",
            Role::Commissioner => "commissioner",
            Role::Admin => "admin",
        }
    }

    /// How the role is named to people.
    pub fn label(&self) -> &'static str {
        match self {
            Role::Person => "Person (service user)",
            Role::Supporter => "Supporter",
            Role::KeyWorker => "Key worker",
            Role::Clinician => "Clinician",
            Role::TeamManager => "Team manager",
            Role::PracticeAdmin => "Practice or programme admin",
            Role::Commissioner => "Commissioner",
            Role::Admin => "Administrator",
        }
    }

    /// Staff work with the records of many people; people and supporters see one.
    pub fn is_staff(&self) -> bool {
        !matches!(self, Role::Person | Role::Supporter)
    }

    /// Roles that hold, register and edit named people's records in their organisation.
    pub fn works_with_named_records(&self) -> bool {
        matches!(self, Role::KeyWorker | Role::Clinician | Role::TeamManager | Role::PracticeAdmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a role. Use one of: person, supporter, key-worker, clinician, team-manager, practice-admin, commissioner, admin."
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim()).ok_or_else(|| UnknownRole(s.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_and_unknown_roles_are_named() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        let err = "superuser".parse::<Role>().expect_err("not a role");
        assert!(err.to_string().contains("'superuser' is not a role"));
    }

    #[test]
    fn only_people_and_supporters_are_not_staff() {
        let not_staff: Vec<Role> = Role::ALL.into_iter().filter(|r| !r.is_staff()).collect();
        assert_eq!(not_staff, vec![Role::Person, Role::Supporter]);
        assert!(!Role::Commissioner.works_with_named_records());
        assert!(!Role::Admin.works_with_named_records());
    }
}
