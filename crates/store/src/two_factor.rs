//! Two-factor sign-in records: each account's authenticator secret (pending while being set
//! up, then confirmed), the last code step accepted so a code works once, the organisation's
//! "required" setting, and the short-lived challenge between a correct password and a code.
//! Checking a code is the app's job (`auth::totp`); this module only keeps the state.

use crate::audit::record;
use crate::{AuditContext, Db, StoreError};
use carethread_domain::{AuditAction, OrgId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An account's two-factor state.
#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct TwoFactor {
    pub secret: Option<String>,
    pub pending: Option<String>,
    pub last_step: Option<i64>,
}

pub async fn state(db: &Db, user: UserId) -> Result<TwoFactor, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT totp_secret AS secret, totp_pending AS pending, totp_last_step AS last_step FROM users WHERE id = $1"
    )
    .bind(user.as_uuid())
    .fetch_optional(p)
    .await)?
    .unwrap_or_default())
}

/// Keeps a new secret while the person sets up their app (replacing any earlier pending one).
pub async fn set_pending(db: &Db, user: UserId, secret: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2")
        .bind(secret)
        .bind(user.as_uuid())
        .execute(c)
        .await)?;
    tx.commit().await
}

/// Turns two-factor sign-in on with the pending secret, which a correct code at `step` proved.
pub async fn confirm(db: &Db, ctx: &AuditContext, user: UserId, step: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let changed = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $1 \
         WHERE id = $2 AND totp_pending IS NOT NULL"
    )
    .bind(step)
    .bind(user.as_uuid())
    .execute(c)
    .await)?;
    if changed == 0 {
        return Err(StoreError::Invalid("Start setting up two-factor sign-in again: the code to scan has changed."));
    }
    record(&mut tx, ctx, AuditAction::AccountChange, None, "turned on two-factor sign-in").await?;
    tx.commit().await
}

/// Turns two-factor sign-in off for an account: by its holder, or an administrator's reset
/// after a lost phone (`detail` says which).
pub async fn turn_off(db: &Db, ctx: &AuditContext, user: UserId, detail: &str) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1"
    )
    .bind(user.as_uuid())
    .execute(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::AccountChange, None, detail).await?;
    tx.commit().await
}

/// Accepts a code's time step once: false when this step (or a later one) was already used,
/// so a code seen over someone's shoulder cannot be used again.
pub async fn accept_step(db: &Db, user: UserId, step: i64) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let changed = exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_secret IS NOT NULL \
         AND (totp_last_step IS NULL OR totp_last_step < $1)"
    )
    .bind(step)
    .bind(user.as_uuid())
    .execute(c)
    .await)?;
    tx.commit().await?;
    Ok(changed == 1)
}

/// Makes two-factor sign-in required (or not) for every member of staff of an organisation.
pub async fn set_required(db: &Db, ctx: &AuditContext, org: OrgId, required: bool) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let changed = exec_tx!(&mut tx, |c| sqlx::query("UPDATE organisations SET require_two_factor = $1 WHERE id = $2")
        .bind(required)
        .bind(org.as_uuid())
        .execute(c)
        .await)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    let detail =
        if required { "made two-factor sign-in required for staff" } else { "made two-factor sign-in optional" };
    let ctx = AuditContext { org_id: Some(org), ..ctx.clone() };
    record(&mut tx, &ctx, AuditAction::AccountChange, None, detail).await?;
    tx.commit().await
}

/// A password was right; the code is still to come.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Challenge {
    pub id: Uuid,
    pub user_id: Uuid,
    pub next: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

pub async fn start_challenge(
    db: &Db,
    user: UserId,
    org: OrgId,
    token_hash: &str,
    next: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO sign_in_challenges (id, org_id, user_id, token_hash, next, attempts, created_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6)"
    )
    .bind(Uuid::now_v7())
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(token_hash)
    .bind(next)
    .bind(crate::now())
    .execute(c)
    .await)?;
    tx.commit().await
}

pub async fn challenge(db: &Db, token_hash: &str) -> Result<Option<Challenge>, StoreError> {
    Ok(on_pool!(db, |p| sqlx::query_as(
        "SELECT id, user_id, next, attempts, created_at FROM sign_in_challenges WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(p)
    .await)?)
}

/// Counts a wrong code against the challenge.
pub async fn challenge_failed(db: &Db, id: Uuid) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query("UPDATE sign_in_challenges SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(c)
        .await)?;
    tx.commit().await
}

/// Removes a challenge: used, expired, or out of tries. Old ones go too.
pub async fn end_challenge(db: &Db, id: Uuid, older_than: DateTime<Utc>) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM sign_in_challenges WHERE id = $1 OR created_at < $2")
        .bind(id)
        .bind(older_than)
        .execute(c)
        .await)?;
    tx.commit().await
}
