//! Importing cases from another system: people, their circles of support, problem areas and a
//! first draft of their plan, written in one transaction so that either every case arrives or
//! none does. The records' ids are chosen by the caller, because records refer to each other
//! (a goal's step names a member of the circle; a goal addresses a problem area) before any of
//! them is written.

use crate::audit::AuditContext;
use crate::db::Db;
use crate::error::StoreError;
use crate::people::{Allocation, register_in};
use crate::plans::first_draft_in;
use crate::themes::{add_member_in, add_problem_in};
use carethread_domain::circle::MemberDetails;
use carethread_domain::plan::PlanContent;
use carethread_domain::problems::ProblemDetails;
use carethread_domain::{OrgId, PersonDetails, PersonId};
use uuid::Uuid;

/// One person's case as another system sent it, with the ids its records will have.
#[derive(Clone, Debug)]
pub struct NewCase {
    pub id: PersonId,
    pub details: PersonDetails,
    pub members: Vec<(Uuid, MemberDetails)>,
    pub problems: Vec<(Uuid, ProblemDetails)>,
    /// The first draft of their plan (its version id and what it says), when one was sent.
    /// It stays a draft until the person's agreement is recorded here.
    pub plan: Option<(Uuid, PlanContent)>,
}

/// Registers every case, held by `org` and allocated as given, all or nothing. Each record
/// leaves the same audit entries as when it is written through the pages.
pub async fn cases(
    db: &Db,
    ctx: &AuditContext,
    org: OrgId,
    allocation: Allocation,
    cases: &[NewCase],
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    for case in cases {
        register_in(&mut tx, ctx, case.id, org, &case.details, allocation).await?;
        for (id, member) in &case.members {
            add_member_in(&mut tx, ctx, case.id, *id, member, None).await?;
        }
        for (id, problem) in &case.problems {
            add_problem_in(&mut tx, ctx, case.id, *id, problem).await?;
        }
        if let Some((id, content)) = &case.plan {
            first_draft_in(&mut tx, ctx, case.id, *id, content, "imported from another system").await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
