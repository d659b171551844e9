//! Bulk data export jobs (FHIR `$export`): who asked for what, how far the job is, and the
//! NDJSON it wrote, in parts per resource type so a large export is never held in memory at once.
//! Kept in the database so any server process can answer the status and file requests.

use crate::audit::record_alone;
use crate::{AuditContext, Db, StoreError};
use carethread_domain::{AuditAction, OrgId, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Running,
    Complete,
    Failed,
}

impl JobStatus {
    fn parse(s: &str) -> Result<JobStatus, StoreError> {
        match s {
            "running" => Ok(JobStatus::Running),
            "complete" => Ok(JobStatus::Complete),
            "failed" => Ok(JobStatus::Failed),
            other => Err(StoreError::Corrupt(format!("export job status '{other}'"))),
        }
    }
}

/// One file of a finished export: its resource type, part number and how many lines it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub resource_type: String,
    pub part: i32,
    pub lines: i64,
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: Uuid,
    pub user_id: UserId,
    pub request: String,
    pub status: JobStatus,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub parts: Vec<Part>,
}

/// Records a new export job, running, and audits that it was asked for.
pub async fn start(db: &Db, ctx: &AuditContext, org: OrgId, user: UserId, request: &str) -> Result<Uuid, StoreError> {
    let id = Uuid::now_v7();
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| {
        sqlx::query(
        "INSERT INTO export_jobs (id, org_id, user_id, request, status, created_at) VALUES ($1, $2, $3, $4, 'running', $5)"
    )
    .bind(id)
    .bind(org.as_uuid())
    .bind(user.as_uuid())
    .bind(request)
    .bind(crate::now())
    .execute(c)
    .await
    })?;
    tx.commit().await?;
    record_alone(db, ctx, AuditAction::Search, None, &format!("started a bulk export ({request})")).await?;
    Ok(id)
}

/// Adds one part of one resource type's NDJSON.
pub async fn add_part(
    db: &Db,
    job: Uuid,
    resource_type: &str,
    part: i32,
    lines: i64,
    content: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "INSERT INTO export_files (job_id, org_id, resource_type, part, line_count, content) \
         SELECT id, org_id, $2, $3, $4, $5 FROM export_jobs WHERE id = $1"
    )
    .bind(job)
    .bind(resource_type)
    .bind(part)
    .bind(lines)
    .bind(content)
    .execute(c)
    .await)?;
    tx.commit().await
}

/// Marks the job finished: complete, or failed with the reason.
pub async fn finish(db: &Db, job: Uuid, error: Option<&str>) -> Result<(), StoreError> {
    let status = if error.is_some() { "failed" } else { "complete" };
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "UPDATE export_jobs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND status = 'running'"
    )
    .bind(status)
    .bind(error)
    .bind(crate::now())
    .bind(job)
    .execute(c)
    .await)?;
    tx.commit().await
}

/// The job, if it exists and belongs to `user`: only whoever asked for an export may see it.
pub async fn job(db: &Db, user: UserId, id: Uuid) -> Result<Option<Job>, StoreError> {
    type Row = (Uuid, Uuid, String, String, Option<String>, DateTime<Utc>);
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(
        "SELECT id, user_id, request, status, error, created_at FROM export_jobs WHERE id = $1 AND user_id = $2"
    )
    .bind(id)
    .bind(user.as_uuid())
    .fetch_optional(p)
    .await)?;
    let Some((id, user_id, request, status, error, created_at)) = row else { return Ok(None) };
    let parts: Vec<(String, i32, i64)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT resource_type, part, CAST(line_count AS BIGINT) FROM export_files WHERE job_id = $1 \
         ORDER BY resource_type, part"
    )
    .bind(id)
    .fetch_all(p)
    .await)?;
    Ok(Some(Job {
        id,
        user_id: UserId::from_uuid(user_id),
        request,
        status: JobStatus::parse(&status)?,
        error,
        created_at,
        parts: parts.into_iter().map(|(resource_type, part, lines)| Part { resource_type, part, lines }).collect(),
    }))
}

/// One part's NDJSON, for its job's owner.
pub async fn part(
    db: &Db,
    user: UserId,
    job: Uuid,
    resource_type: &str,
    part: i32,
) -> Result<Option<String>, StoreError> {
    let row: Option<(String,)> = on_pool!(db, |p| sqlx::query_as(
        "SELECT f.content FROM export_files f JOIN export_jobs j ON j.id = f.job_id \
         WHERE f.job_id = $1 AND j.user_id = $2 AND f.resource_type = $3 AND f.part = $4"
    )
    .bind(job)
    .bind(user.as_uuid())
    .bind(resource_type)
    .bind(part)
    .fetch_optional(p)
    .await)?;
    Ok(row.map(|(c,)| c))
}

/// Deletes a job and its files (the client is done with them, or cancels it). Returns whether
/// there was such a job of this user's.
pub async fn delete(db: &Db, user: UserId, job: Uuid) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM export_files WHERE job_id IN (SELECT id FROM export_jobs WHERE id = $1 AND user_id = $2)"
    )
    .bind(job)
    .bind(user.as_uuid())
    .execute(c)
    .await)?;
    let n = exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM export_jobs WHERE id = $1 AND user_id = $2")
        .bind(job)
        .bind(user.as_uuid())
        .execute(c)
        .await)?;
    tx.commit().await?;
    Ok(n == 1)
}

/// Removes jobs older than `before`, and marks as failed any job still "running" from before
/// `interrupted_before` (its server stopped part-way). Run at start-up and then periodically.
pub async fn tidy(db: &Db, before: DateTime<Utc>, interrupted_before: DateTime<Utc>) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, |c| sqlx::query(
        "DELETE FROM export_files WHERE job_id IN (SELECT id FROM export_jobs WHERE created_at < $1)"
    )
    .bind(before)
    .execute(c)
    .await)?;
    exec_tx!(&mut tx, |c| sqlx::query("DELETE FROM export_jobs WHERE created_at < $1").bind(before).execute(c).await)?;
    exec_tx!(&mut tx, |c| {
        sqlx::query(
        "UPDATE export_jobs SET status = 'failed', error = 'The server stopped before the export finished. Start it again.', \
         finished_at = $1 WHERE status = 'running' AND created_at < $2"
    )
    .bind(crate::now())
    .bind(interrupted_before)
    .execute(c)
    .await
    })?;
    tx.commit().await
}
