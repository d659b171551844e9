//! The facts the access policy needs about one asker and one person's record: whether the asker
//! is the allocated key worker, works in the holding team, is named in the circle of support,
//! holds emergency access, or has sections shared with them by consent. The policy
//! (`carethread_domain::policy`) decides what these facts allow; this module only finds them.

use crate::audit::record_alone;
use crate::json::from_json;
use crate::{AuditContext, Db, StoreError};
use carethread_domain::plan::consent::{ConsentDetails, Section};
use carethread_domain::policy::{Principal, Target, Ties};
use carethread_domain::{AuditAction, OrgId, PersonId, Role};
use chrono::NaiveDate;
use uuid::Uuid;

/// SQL that is true for a case `c` the account `$U` (working in team `$T`) has a working
/// relationship with: the list queries use it so that lists show exactly the people the policy
/// would let the asker open (`Ties::working_relationship`). Callers replace `$U` and `$T` with
/// their own parameter numbers.
pub(crate) const RELATED: &str = "(c.key_worker_id = $U OR (c.team_id IS NOT NULL AND c.team_id = $T) \
     OR EXISTS (SELECT 1 FROM circle_members rm WHERE rm.person_id = c.person_id AND rm.account_id = $U \
     AND rm.removed_at IS NULL))";

/// [`RELATED`] with the asker's parameters numbered `user` and `team`.
pub(crate) fn related(user: u8, team: u8) -> String {
    RELATED.replace("$U", &format!("${user}")).replace("$T", &format!("${team}"))
}

/// What ties the asker to one person, as [`ties_columns`] selects it.
#[derive(sqlx::FromRow)]
pub(crate) struct TiesOfRow {
    /// The person.
    pub(crate) id: Uuid,
    pub(crate) org_id: Uuid,
    pub(crate) key_worker_id: Option<Uuid>,
    pub(crate) team_id: Option<Uuid>,
    pub(crate) in_circle: bool,
    pub(crate) break_glass: bool,
}

/// The columns that tie the asker (parameter `user`) to the person `p` and their case `c` (a
/// left join) at the instant `now`: a query that already reads people can fetch the policy's
/// facts along with its rows.
pub(crate) fn ties_columns(user: &str, now: &str) -> String {
    format!(
        "p.org_id, c.key_worker_id, c.team_id, \
         EXISTS (SELECT 1 FROM circle_members m WHERE m.person_id = p.id AND m.account_id = {user} AND m.removed_at IS NULL) AS in_circle, \
         EXISTS (SELECT 1 FROM break_glass_grants g WHERE g.person_id = p.id AND g.user_id = {user} AND g.ended_at IS NULL AND g.expires_at > {now}) AS break_glass"
    )
}

pub(crate) async fn to_target(
    db: &Db,
    who: &Principal,
    row: TiesOfRow,
    today: NaiveDate,
) -> Result<Target, StoreError> {
    let id = PersonId::from_uuid(row.id);
    let shared = if who.role == Role::Supporter { shared_sections(db, who, id, today).await? } else { Vec::new() };
    let ties = Ties {
        key_worker: row.key_worker_id == Some(who.user_id.as_uuid()),
        holding_team: row.team_id.is_some() && row.team_id == who.team_id.map(|t| t.as_uuid()),
        in_circle: row.in_circle,
        break_glass: row.break_glass,
        shared,
    };
    Ok(Target { person_id: id, org_id: OrgId::from_uuid(row.org_id), ties })
}

/// The person's record as a policy target for this asker, or None when no such person exists.
pub async fn target(db: &Db, who: &Principal, id: PersonId, today: NaiveDate) -> Result<Option<Target>, StoreError> {
    Ok(targets(db, who, &[id], today).await?.pop())
}

/// [`target`] for many people at once (the rows of a search): one query, not one per person.
/// People who do not exist are left out.
pub async fn targets(db: &Db, who: &Principal, ids: &[PersonId], today: NaiveDate) -> Result<Vec<Target>, StoreError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT p.id, {} FROM people p LEFT JOIN cases c ON c.person_id = p.id WHERE p.id IN ({})",
            ties_columns("$1", "$2"),
            list.join(", ")
        );
        let rows: Vec<TiesOfRow> = on_pool!(db, |p| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(who.user_id.as_uuid()).bind(crate::now());
            for id in chunk {
                q = q.bind(id.as_uuid());
            }
            q.fetch_all(p).await
        })?;
        for row in rows {
            out.push(to_target(db, who, row, today).await?);
        }
    }
    Ok(out)
}

/// Every section that a consent in force today shares with the asker, through the circle of
/// support member their account is linked to. A withdrawn or lapsed consent shares nothing, from
/// the moment it is withdrawn.
async fn shared_sections(db: &Db, who: &Principal, id: PersonId, today: NaiveDate) -> Result<Vec<Section>, StoreError> {
    let rows: Vec<(String, Option<NaiveDate>)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT s.details, s.withdrawn_on FROM share_consents s JOIN circle_members m ON m.id = s.member_id \
         WHERE s.person_id = $1 AND m.account_id = $2 AND m.removed_at IS NULL"
    )
    .bind(id.as_uuid())
    .bind(who.user_id.as_uuid())
    .fetch_all(p)
    .await)?;
    let mut sections: Vec<Section> = Vec::new();
    for (details, withdrawn_on) in rows {
        let consent: ConsentDetails = from_json(&details)?;
        // Withdrawal takes effect at once, not from the next day.
        if withdrawn_on.is_none() && consent.in_force(today, None) {
            for s in consent.scope.sections() {
                if !sections.contains(&s) {
                    sections.push(s);
                }
            }
        }
    }
    Ok(sections)
}

/// The people who share something with this supporter today, by name, for their home page.
/// The list is audited as one search.
pub async fn sharing_with(
    db: &Db,
    ctx: &AuditContext,
    who: &Principal,
    today: NaiveDate,
) -> Result<Vec<Sharer>, StoreError> {
    let rows: Vec<(Uuid, String, String, Option<String>)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT DISTINCT p.id, p.given_name, p.family_name, p.preferred_name FROM people p \
         JOIN circle_members m ON m.person_id = p.id JOIN share_consents s ON s.member_id = m.id \
         WHERE m.account_id = $1 AND m.removed_at IS NULL AND s.withdrawn_on IS NULL AND p.org_id = $2 \
         ORDER BY p.family_name, p.given_name"
    )
    .bind(who.user_id.as_uuid())
    .bind(who.org_id.as_uuid())
    .fetch_all(p)
    .await)?;
    let mut out = Vec::new();
    for (id, given, family, preferred) in rows {
        let person = PersonId::from_uuid(id);
        let sections = shared_sections(db, who, person, today).await?;
        if !sections.is_empty() {
            let name = format!("{} {family}", preferred.unwrap_or(given));
            out.push(Sharer { person, name, sections });
        }
    }
    let detail = format!("listed the people who share their record with them ({})", out.len());
    record_alone(db, ctx, AuditAction::Search, None, &detail).await?;
    Ok(out)
}

/// Someone who shares parts of their record with the asker.
#[derive(Clone, Debug)]
pub struct Sharer {
    pub person: PersonId,
    pub name: String,
    pub sections: Vec<Section>,
}

/// The people whose records the asker works with (or, for a person, their own): where an API
/// search that names no patient looks. The policy still decides on each record.
pub async fn people_within_reach(db: &Db, who: &Principal) -> Result<Vec<PersonId>, StoreError> {
    let sql = format!(
        "SELECT p.id FROM people p JOIN cases c ON c.person_id = p.id WHERE p.org_id = $1 AND (p.id = $4 OR {}) \
         ORDER BY p.id",
        related(2, 3)
    );
    let rows: Vec<(Uuid,)> = on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(who.org_id.as_uuid())
        .bind(who.user_id.as_uuid())
        .bind(who.team_id.map(|t| t.as_uuid()))
        .bind(who.person_id.map(|p| p.as_uuid()))
        .fetch_all(p)
        .await)?;
    Ok(rows.into_iter().map(|(id,)| PersonId::from_uuid(id)).collect())
}
