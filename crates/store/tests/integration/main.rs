//! The store's tests against a real database, in one binary so the workspace links one test
//! executable per crate rather than one per file. Every test gets its own fresh database on the
//! backend `CARETHREAD_TEST_BACKEND` names.

mod common;

mod access;
mod audit_chain;
mod bulk;
mod import;
mod plans;
mod read_journal;
mod reviews;
mod store;
mod tasks;
mod themes;
mod wal_checkpoint;
