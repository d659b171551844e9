//! Carethread's domain: the types and rules of a person's care, with no IO and no async.
//!
//! Everything that crosses into the system from outside (a form, a command line, later a FHIR
//! resource) is parsed into these types once, at the edge. Code past the edge can rely on an
//! [`NhsNumber`] having a valid check digit, a [`Username`] being well formed, and so on.

pub mod audit;
pub mod case;
pub mod circle;
pub mod errors;
pub mod good_lives;
pub mod ids;
pub mod insights;
pub mod keeping_safe;
pub mod nhs_number;
pub mod person;
pub mod plan;
pub mod policy;
pub mod population;
pub mod problems;
pub mod reviews;
pub mod role;
pub mod search;
pub mod tasks;
pub mod text;
pub mod themes;
pub mod username;

pub use audit::AuditAction;
pub use case::CaseStatus;
pub use errors::{FieldError, FieldErrors};
pub use ids::{CaseId, OrgId, PersonId, TeamId, UserId};
pub use nhs_number::{NhsNumber, NhsNumberError};
pub use person::{PersonDetails, PersonInput};
pub use role::Role;
pub use username::Username;
