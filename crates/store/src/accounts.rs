//! Organisations, teams, accounts and API tokens.

use crate::audit::{AuditContext, record};
use crate::db::Db;
use crate::error::StoreError;
use carethread_domain::{AuditAction, OrgId, PersonId, Role, TeamId, UserId, Username};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrgRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub time_zone: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Staff must sign in with a code from an authenticator app as well as their password.
    pub require_two_factor: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TeamRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub name: String,
    pub active: bool,
}

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub org_time_zone: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub team_id: Option<Uuid>,
    pub team_name: Option<String>,
    pub person_id: Option<Uuid>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Two-factor sign-in is on for this account.
    pub two_factor: bool,
    /// The organisation requires two-factor sign-in of its staff.
    pub org_requires_two_factor: bool,
}

impl UserRow {
    pub fn user_id(&self) -> UserId {
        UserId::from_uuid(self.id)
    }
    pub fn org(&self) -> OrgId {
        OrgId::from_uuid(self.org_id)
    }
    pub fn person(&self) -> Option<PersonId> {
        self.person_id.map(PersonId::from_uuid)
    }
    /// The stored role. A value that no longer parses is treated as corrupt data, not guessed.
    pub fn role(&self) -> Result<Role, StoreError> {
        self.role.parse().map_err(|_| StoreError::Corrupt(format!("unknown role on account {}", self.id)))
    }
}

/// The columns of a [`UserRow`], to be followed by [`USER_FROM`] (other columns may come between).
pub(crate) const USER_SELECT: &str = "SELECT u.id, u.org_id, o.name AS org_name, o.time_zone AS org_time_zone, \
     u.username, u.display_name, u.role, u.team_id, t.name AS team_name, u.person_id, u.active, u.created_at, \
     (u.totp_secret IS NOT NULL) AS two_factor, o.require_two_factor AS org_requires_two_factor";
pub(crate) const USER_FROM: &str =
    "FROM users u JOIN organisations o ON o.id = u.org_id LEFT JOIN teams t ON t.id = u.team_id";

pub async fn create_org(
    db: &Db,
    ctx: &AuditContext,
    name: &str,
    kind: &str,
    time_zone: &str,
) -> Result<OrgId, StoreError> {
    let id = OrgId::new();
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO organisations (id, org_id, name, kind, time_zone, active, created_at) VALUES ($1, $1, $2, $3, $4, $5, $6)"
    )
    .bind(id.as_uuid())
    .bind(name)
    .bind(kind)
    .bind(time_zone)
    .bind(true)
    .bind(crate::now())
    .execute(c)
    .await)
    .map_err(|e| StoreError::from(e).on_unique("An organisation with this name"))?;
    let ctx = AuditContext { org_id: ctx.org_id.or(Some(id)), ..ctx.clone() };
    record(&mut tx, &ctx, AuditAction::AccountChange, None, &format!("created organisation '{name}'")).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list_orgs(db: &Db) -> Result<Vec<OrgRow>, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT id, name, kind, time_zone, active, created_at, require_two_factor FROM organisations ORDER BY name"
    )
    .fetch_all(p)
    .await)?)
}

pub async fn org_by_name(db: &Db, name: &str) -> Result<Option<OrgRow>, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT id, name, kind, time_zone, active, created_at, require_two_factor FROM organisations WHERE name = $1"
    )
    .bind(name)
    .fetch_optional(p)
    .await)?)
}

pub async fn org_by_id(db: &Db, id: OrgId) -> Result<Option<OrgRow>, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT id, name, kind, time_zone, active, created_at, require_two_factor FROM organisations WHERE id = $1"
    )
    .bind(id.as_uuid())
    .fetch_optional(p)
    .await)?)
}

pub async fn set_org_active(db: &Db, ctx: &AuditContext, id: OrgId, active: bool) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = exec_tx!(&mut tx, |c| sqlx::query("UPDATE organisations SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(id.as_uuid())
        .execute(c)
        .await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let what = if active { "reactivated" } else { "deactivated" };
    record(&mut tx, ctx, AuditAction::AccountChange, None, &format!("{what} organisation {id}")).await?;
    tx.commit().await
}

pub async fn create_team(db: &Db, ctx: &AuditContext, org_id: OrgId, name: &str) -> Result<TeamId, StoreError> {
    let id = TeamId::new();
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO teams (id, org_id, name, active, created_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(id.as_uuid())
    .bind(org_id.as_uuid())
    .bind(name)
    .bind(true)
    .bind(crate::now())
    .execute(c)
    .await)
    .map_err(|e| {
        StoreError::from(e)
            .on_unique("A team with this name in this organisation")
            .on_missing_reference("Choose an organisation from the list.")
    })?;
    record(&mut tx, ctx, AuditAction::AccountChange, None, &format!("created team '{name}'")).await?;
    tx.commit().await?;
    Ok(id)
}

/// Turns a team off or on. An inactive team is no longer offered for new allocations; cases it
/// holds keep showing it until they are reallocated.
pub async fn set_team_active(db: &Db, ctx: &AuditContext, id: TeamId, active: bool) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = exec_tx!(&mut tx, |c| sqlx::query("UPDATE teams SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(id.as_uuid())
        .execute(c)
        .await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    let what = if active { "reactivated" } else { "deactivated" };
    record(&mut tx, ctx, AuditAction::AccountChange, None, &format!("{what} team {id}")).await?;
    tx.commit().await
}

/// Teams, optionally of one organisation, with their organisation's name.
pub async fn list_teams(db: &Db, org_id: Option<OrgId>) -> Result<Vec<TeamRow>, StoreError> {
    Ok(on_pool!(db, |p| {
        sqlx::query_as(
        "SELECT t.id, t.org_id, o.name AS org_name, t.name, t.active FROM teams t JOIN organisations o ON o.id = t.org_id \
         WHERE ($1 IS NULL OR t.org_id = $1) ORDER BY o.name, t.name"
    )
    .bind(org_id.map(|o| o.as_uuid()))
    .fetch_all(p)
    .await
    })?)
}

/// A new account. `password_hash` is an Argon2id PHC string, or `None` for an account that can
/// only use API tokens until a password is set.
pub struct NewUser<'a> {
    pub org_id: OrgId,
    pub username: &'a Username,
    pub display_name: &'a str,
    pub role: Role,
    pub team_id: Option<TeamId>,
    pub person_id: Option<PersonId>,
    pub password_hash: Option<&'a str>,
}

pub async fn create_user(db: &Db, ctx: &AuditContext, new: NewUser<'_>) -> Result<UserId, StoreError> {
    let id = UserId::new();
    let mut tx = db.begin().await?;
    if let Some(team) = new.team_id {
        let same_org: Option<(Uuid,)> =
            on_tx!(&mut tx, |c| sqlx::query_as("SELECT id FROM teams WHERE id = $1 AND org_id = $2")
                .bind(team.as_uuid())
                .bind(new.org_id.as_uuid())
                .fetch_optional(c)
                .await)?;
        if same_org.is_none() {
            return Err(StoreError::Invalid("The team must belong to the account's organisation."));
        }
    }
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO users (id, org_id, username, display_name, role, team_id, person_id, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )
    .bind(id.as_uuid())
    .bind(new.org_id.as_uuid())
    .bind(new.username.as_str())
    .bind(new.display_name)
    .bind(new.role.as_str())
    .bind(new.team_id.map(|t| t.as_uuid()))
    .bind(new.person_id.map(|p| p.as_uuid()))
    .bind(new.password_hash)
    .bind(true)
    .bind(crate::now())
    .execute(c)
    .await)
    .map_err(|e| StoreError::from(e).on_unique("This username"))?;
    let detail = format!("created account '{}' with role {}", new.username, new.role);
    record(&mut tx, ctx, AuditAction::AccountChange, new.person_id, &detail).await?;
    tx.commit().await?;
    Ok(id)
}

/// Turns an account off or on. Turning it off also ends its sessions and revokes its API tokens
/// in the same transaction, so a deactivated account stops working at once.
pub async fn set_user_active(db: &Db, ctx: &AuditContext, username: &str, active: bool) -> Result<UserId, StoreError> {
    let mut tx = db.begin().await?;
    let id: Option<(Uuid,)> =
        on_tx!(&mut tx, |c| sqlx::query_as("UPDATE users SET active = $1 WHERE username = $2 RETURNING id")
            .bind(active)
            .bind(username)
            .fetch_optional(c)
            .await)?;
    let (id,) = id.ok_or(StoreError::NotFound)?;
    if !active {
        exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(c).await)?;
        exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(id).execute(c).await)?;
    }
    let what = if active { "reactivated" } else { "deactivated" };
    record(&mut tx, ctx, AuditAction::AccountChange, None, &format!("{what} account '{username}'")).await?;
    tx.commit().await?;
    Ok(UserId::from_uuid(id))
}

/// Changes an account's role. Its sessions end so the new role takes effect at the next sign-in.
pub async fn set_user_role(db: &Db, ctx: &AuditContext, user_id: UserId, role: Role) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let n = exec_tx!(&mut tx, |c| sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(user_id.as_uuid())
        .execute(c)
        .await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.as_uuid())
        .execute(c)
        .await)?;
    record(&mut tx, ctx, AuditAction::AccountChange, None, &format!("set role of account {user_id} to {role}")).await?;
    tx.commit().await
}

pub async fn list_users(db: &Db) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!("{USER_SELECT} {USER_FROM} ORDER BY o.name, u.username");
    Ok(on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await)?)
}

pub async fn user_by_id(db: &Db, id: UserId) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("{USER_SELECT} {USER_FROM} WHERE u.id = $1");
    Ok(on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id.as_uuid()).fetch_optional(p).await)?)
}

pub async fn user_by_username(db: &Db, username: &str) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("{USER_SELECT} {USER_FROM} WHERE u.username = $1");
    Ok(on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(username).fetch_optional(p).await)?)
}

/// The stored password hash of an active account, for checking a sign-in.
pub async fn password_hash(db: &Db, username: &str) -> Result<Option<(UserRow, Option<String>)>, StoreError> {
    let Some(user) = user_by_username(db, username).await? else {
        return Ok(None);
    };
    let hash: (Option<String>,) = on_pool!(db, |p| sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(user.id)
        .fetch_one(p)
        .await)?;
    Ok(Some((user, hash.0)))
}

/// Active staff of an organisation who can hold a caseload, for allocation choices.
pub async fn key_workers(db: &Db, org_id: OrgId) -> Result<Vec<UserRow>, StoreError> {
    let sql = format!(
        "{USER_SELECT} {USER_FROM} WHERE u.org_id = $1 AND u.active = $2 AND u.role IN ('key-worker', 'clinician', 'team-manager') \
         ORDER BY u.display_name"
    );
    Ok(on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id.as_uuid()).bind(true).fetch_all(p).await)?)
}

/// Stores an API token (as its SHA-256 hash only) for an account.
pub async fn create_api_token(db: &Db, ctx: &AuditContext, user: &UserRow, token_hash: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| {
        sqlx::query("INSERT INTO api_tokens (id, org_id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::now_v7())
            .bind(user.org_id)
            .bind(user.id)
            .bind(token_hash)
            .bind(crate::now())
            .execute(c)
            .await
    })?;
    let ctx = AuditContext { org_id: Some(user.org()), ..ctx.clone() };
    record(&mut tx, &ctx, AuditAction::TokenCreate, None, &format!("created an API token for '{}'", user.username))
        .await?;
    tx.commit().await
}

/// The active account an API token belongs to.
pub async fn user_by_token_hash(db: &Db, token_hash: &str) -> Result<Option<UserRow>, StoreError> {
    let sql = format!(
        "{USER_SELECT} {USER_FROM} JOIN api_tokens k ON k.user_id = u.id WHERE k.token_hash = $1 AND u.active = $2"
    );
    Ok(on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).bind(true).fetch_optional(p).await)?)
}
