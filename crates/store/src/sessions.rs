//! Server-side sign-in sessions and the record of failed sign-ins that throttling counts.
//!
//! Nothing about a session lives in process memory, so any number of Carethread processes can
//! serve the same users, and a restart signs nobody out.

use crate::accounts::{USER_FROM, USER_SELECT, UserRow};
use crate::audit::{AuditContext, record};
use crate::db::Db;
use crate::error::StoreError;
use carethread_domain::{AuditAction, OrgId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A live session with the account it belongs to, read together: every signed-in page asks.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRow {
    #[sqlx(rename = "session_id")]
    pub id: Uuid,
    pub csrf_token: String,
    #[sqlx(rename = "session_created_at")]
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub user: UserRow,
}

/// Starts a session for a user who has just proved who they are. Any session the browser held
/// before (`replaces`) is deleted in the same transaction: the id always changes at sign-in, so a
/// session id planted before sign-in is worthless after it.
pub async fn start(
    db: &Db,
    ctx: &AuditContext,
    user_id: UserId,
    org_id: OrgId,
    token_hash: &str,
    csrf_token: &str,
    replaces: Option<&str>,
) -> Result<(), StoreError> {
    let now = crate::now();
    let mut tx = db.begin().await?;
    if let Some(old) = replaces {
        exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(old).execute(c).await)?;
    }
    exec_tx!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO sessions (id, org_id, user_id, token_hash, csrf_token, created_at, last_seen_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(Uuid::now_v7())
        .bind(org_id.as_uuid())
        .bind(user_id.as_uuid())
        .bind(token_hash)
        .bind(csrf_token)
        .bind(now)
        .execute(c)
        .await
    })?;
    // A successful sign-in clears this account's failure count.
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sign_in_failures WHERE username = $1")
        .bind(&ctx.username)
        .execute(c)
        .await)?;
    record(&mut tx, ctx, AuditAction::SignIn, None, "signed in").await?;
    tx.commit().await
}

/// The session with this token hash, if it exists and its account is still active.
pub async fn find(db: &Db, token_hash: &str) -> Result<Option<SessionRow>, StoreError> {
    let sql = format!(
        "{USER_SELECT}, s.id AS session_id, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at \
         {USER_FROM} JOIN sessions s ON s.user_id = u.id WHERE s.token_hash = $1 AND u.active = $2"
    );
    Ok(on_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(token_hash).bind(true).fetch_optional(p).await)?)
}

/// Marks a session as used now, which pushes back its idle timeout.
pub async fn touch(db: &Db, id: Uuid) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(crate::now())
        .bind(id)
        .execute(c)
        .await)?;
    tx.commit().await
}

/// Ends a session on the server (sign-out), audited.
pub async fn end(db: &Db, ctx: &AuditContext, token_hash: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(c).await)?;
    record(&mut tx, ctx, AuditAction::SignOut, None, "signed out").await?;
    tx.commit().await
}

/// Removes a session that has timed out (not audited as a sign-out: nobody asked for it).
pub async fn expire(db: &Db, id: Uuid) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(c).await)?;
    tx.commit().await
}

/// Deletes sessions idle since before `idle_cutoff`, and failure records older than
/// `failures_cutoff`. Run periodically so the tables stay small.
pub async fn sweep(db: &Db, idle_cutoff: DateTime<Utc>, failures_cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut tx = db.begin().await?;
    let n = exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1")
        .bind(idle_cutoff)
        .execute(c)
        .await)?;
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sign_in_failures WHERE at < $1")
        .bind(failures_cutoff)
        .execute(c)
        .await)?;
    tx.commit().await?;
    Ok(n)
}

/// Records a failed sign-in (and audits it) for throttling.
pub async fn record_failure(db: &Db, ctx: &AuditContext, username: &str, ip: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO sign_in_failures (id, org_id, username, ip, at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(Uuid::now_v7())
    .bind(ctx.org_id.map(|o| o.as_uuid()))
    .bind(username)
    .bind(ip)
    .bind(crate::now())
    .execute(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::SignInFailed, None, "sign-in refused: wrong username or password").await?;
    tx.commit().await
}

/// Failed sign-ins since `since`: (for this username, from this address).
pub async fn recent_failures(
    db: &Db,
    username: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(i64, i64), StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sign_in_failures WHERE username = $1 AND at >= $3), \
                (SELECT COUNT(*) FROM sign_in_failures WHERE ip = $2 AND at >= $3)"
    )
    .bind(username)
    .bind(ip)
    .bind(since)
    .fetch_one(p)
    .await)?)
}
