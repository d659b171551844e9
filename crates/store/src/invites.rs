//! Invitations for someone in a person's circle of support to sign in as a supporter. An
//! invitation is for one member, works once, and expires; a newer invitation for the same member
//! replaces any older one. What the supporter may then see is decided by the person's consents
//! to share, not by the invitation: signing in gives access to nothing on its own.

use crate::audit::record;
use crate::people::org_of;
use crate::{AuditContext, Db, StoreError};
use carethread_domain::{AuditAction, OrgId, PersonId, Role, UserId, Username};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// How long an invitation stays usable.
pub const VALID_DAYS: i64 = 7;

/// Invites one member of the person's circle of support; `code_hash` is the hash of the code the
/// inviter passes on. Earlier unused invitations for the member stop working. Returns when the
/// invitation expires.
pub async fn create(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    member: Uuid,
    code_hash: &str,
) -> Result<DateTime<Utc>, StoreError> {
    let inviter = ctx.user_id.ok_or(StoreError::Invalid("An invitation needs a signed-in account."))?;
    let now = crate::now();
    let expires = now + Duration::days(VALID_DAYS);
    let mut tx = db.begin().await?;
    let org = org_of(&mut tx, person).await?;
    let found: Option<(Option<Uuid>,)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT account_id FROM circle_members WHERE id = $1 AND person_id = $2 AND removed_at IS NULL"
    )
    .bind(member)
    .bind(person.as_uuid())
    .fetch_optional(c)
    .await)?;
    match found {
        None => return Err(StoreError::Invalid("Choose someone who is in the circle of support.")),
        Some((Some(_),)) => return Err(StoreError::Invalid("They already sign in to Carethread.")),
        Some((None,)) => {}
    }
    exec_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE supporter_invites SET cancelled_at = $1 WHERE member_id = $2 AND used_at IS NULL AND cancelled_at IS NULL"
    )
    .bind(now)
    .bind(member)
    .execute(c)
    .await
    })?;
    exec_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO supporter_invites (id, org_id, person_id, member_id, code_hash, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )
    .bind(Uuid::now_v7())
    .bind(org.as_uuid())
    .bind(person.as_uuid())
    .bind(member)
    .bind(code_hash)
    .bind(inviter.as_uuid())
    .bind(now)
    .bind(expires)
    .execute(c)
    .await
    })?;
    record(&mut tx, ctx, AuditAction::Invite, Some(person), "invited a member of the circle of support to sign in")
        .await?;
    tx.commit().await?;
    Ok(expires)
}

/// The invitation still waiting for each member of the person's circle, if any: (member, expires).
pub async fn waiting(db: &Db, person: PersonId) -> Result<Vec<(Uuid, DateTime<Utc>)>, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT member_id, expires_at FROM supporter_invites WHERE person_id = $1 AND used_at IS NULL \
         AND cancelled_at IS NULL AND expires_at > $2"
    )
    .bind(person.as_uuid())
    .bind(crate::now())
    .fetch_all(p)
    .await)?)
}

/// The member and person an invitation code is for, while it can still be used.
pub async fn lookup(db: &Db, code_hash: &str) -> Result<Option<Invitation>, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT i.id, i.org_id, i.person_id, i.member_id, i.expires_at, p.given_name, p.preferred_name, m.details \
         FROM supporter_invites i JOIN people p ON p.id = i.person_id JOIN circle_members m ON m.id = i.member_id \
         WHERE i.code_hash = $1 AND i.used_at IS NULL AND i.cancelled_at IS NULL AND i.expires_at > $2 \
         AND m.removed_at IS NULL AND m.account_id IS NULL"
    )
    .bind(code_hash)
    .bind(crate::now())
    .fetch_optional(p)
    .await)?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Invitation {
    pub id: Uuid,
    pub org_id: Uuid,
    pub person_id: Uuid,
    pub member_id: Uuid,
    pub expires_at: DateTime<Utc>,
    given_name: String,
    preferred_name: Option<String>,
    /// The member's details as JSON, for their name.
    details: String,
}

impl Invitation {
    /// The first name the person goes by: enough to say whose circle this is, no more.
    pub fn person_first_name(&self) -> &str {
        self.preferred_name.as_deref().unwrap_or(&self.given_name)
    }
    /// The invited member's name as the circle of support records it.
    pub fn member_name(&self) -> String {
        crate::json::from_json::<carethread_domain::circle::MemberDetails>(&self.details)
            .map(|d| d.name)
            .unwrap_or_default()
    }
}

/// The new supporter's account, as they chose it.
pub struct NewSupporter<'a> {
    pub username: &'a Username,
    pub display_name: &'a str,
    pub password_hash: &'a str,
}

/// Why an invitation could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedeemError {
    /// Expired, used, replaced or never issued: the same answer for each, so a guess learns nothing.
    NotValid,
    UsernameTaken,
}

/// Uses an invitation: creates the supporter's account and links it to the member of the circle,
/// all at once, and marks the invitation used so it never works again (a second use at the same
/// moment finds it taken). `ctx` carries where the request came from.
pub async fn redeem(
    db: &Db,
    ctx: &AuditContext,
    code_hash: &str,
    new: NewSupporter<'_>,
) -> Result<Result<UserId, RedeemError>, StoreError> {
    let now = crate::now();
    let user = UserId::new();
    let mut tx = db.begin().await?;
    let found: Option<(Uuid, Uuid, Uuid)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT i.org_id, i.person_id, i.member_id FROM supporter_invites i \
         JOIN circle_members m ON m.id = i.member_id \
         WHERE i.code_hash = $1 AND i.used_at IS NULL AND i.cancelled_at IS NULL AND i.expires_at > $2 \
         AND m.removed_at IS NULL AND m.account_id IS NULL"
    )
    .bind(code_hash)
    .bind(now)
    .fetch_optional(c)
    .await)?;
    let Some((org, person, member)) = found else { return Ok(Err(RedeemError::NotValid)) };
    let created = exec_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO users (id, org_id, username, display_name, role, team_id, person_id, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6, $7, $8)"
    )
    .bind(user.as_uuid())
    .bind(org)
    .bind(new.username.as_str())
    .bind(new.display_name)
    .bind(Role::Supporter.as_str())
    .bind(new.password_hash)
    .bind(true)
    .bind(now)
    .execute(c)
    .await
    });
    if let Err(e) = created {
        return match StoreError::from(e).on_unique("This username") {
            StoreError::Duplicate { .. } => Ok(Err(RedeemError::UsernameTaken)),
            other => Err(other),
        };
    }
    // Claim the invitation: the conditional update lets exactly one request through, even when
    // two arrive at the same moment (the second finds it used and its whole write is undone).
    let claimed = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE supporter_invites SET used_at = $1, used_by = $2 WHERE code_hash = $3 AND used_at IS NULL \
         AND cancelled_at IS NULL AND expires_at > $1"
    )
    .bind(now)
    .bind(user.as_uuid())
    .bind(code_hash)
    .execute(c)
    .await)?;
    let linked = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE circle_members SET account_id = $1 WHERE id = $2 AND account_id IS NULL AND removed_at IS NULL"
    )
    .bind(user.as_uuid())
    .bind(member)
    .execute(c)
    .await)?;
    if claimed == 0 || linked == 0 {
        return Ok(Err(RedeemError::NotValid));
    }
    let ctx = AuditContext {
        org_id: Some(OrgId::from_uuid(org)),
        user_id: Some(user),
        username: new.username.as_str().to_string(),
        role: Role::Supporter.as_str().to_string(),
        ..ctx.clone()
    };
    record(
        &mut tx,
        &ctx,
        AuditAction::Invite,
        Some(PersonId::from_uuid(person)),
        "accepted an invitation and now signs in as a supporter",
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(user))
}
