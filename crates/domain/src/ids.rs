//! Typed identifiers. Every record is keyed by a UUIDv7 (time-ordered, so inserts stay
//! index-friendly), wrapped so a person id can never be passed where a case id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// An organisation: a trust, a practice, a council service or a programme.
    OrgId
);
id_type!(
    /// A team within an organisation.
    TeamId
);
id_type!(
    /// A Carethread account.
    UserId
);
id_type!(
    /// A person whose care is held here.
    PersonId
);
id_type!(
    /// A person's case, held by one organisation.
    CaseId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_are_time_ordered() {
        let first = PersonId::new();
        let second = PersonId::new();
        assert!(first < second, "UUIDv7 ids sort by creation time");
        assert_eq!(first.to_string().parse::<PersonId>().ok(), Some(first));
        assert!("not-a-uuid".parse::<PersonId>().is_err());
    }
}
