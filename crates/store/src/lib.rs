//! Carethread's persistence: one store over SQLite (the embedded default) or PostgreSQL.
//!
//! Each query is written once, in SQL both databases accept, and run on whichever backend the
//! URL chose (see [`db`]). Every repository function that touches a named person's record takes
//! an [`AuditContext`] and writes the audit entry in the same transaction as the work it records,
//! so an audited action and its audit entry are committed together or not at all.

#[macro_use]
mod db;
pub mod access;
pub mod accounts;
pub mod audit;
pub mod audit_chain;
mod audit_writer;
pub mod break_glass;
pub mod bulk;
mod clock;
mod error;
pub mod exports;
pub mod import;
pub mod insights;
pub mod invites;
mod json;
pub mod people;
pub mod plans;
pub mod population;
pub mod provenance;
mod query;
mod read_journal;
pub mod reviews;
pub mod sessions;
mod snapshots;
pub mod tasks;
#[cfg(feature = "testing")]
pub mod testing;
pub mod themes;
pub mod today;
pub mod two_factor;
mod wal_checkpoint;
mod wal_flush;

pub use audit::AuditContext;
pub use clock::now;
pub use db::{Backend, Db, Scoped, Tx};
pub use error::StoreError;
