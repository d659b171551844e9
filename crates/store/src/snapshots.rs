//! Earlier versions of records that are changed in place (tasks, prompt sheets). When a change
//! replaces a version, that version is kept here as it read, so any version can still be read
//! (FHIR's vread and `_history`). A record changed before versions were kept has only the
//! versions replaced since.

use crate::db::Tx;
use crate::error::StoreError;
use crate::json::{from_json, to_json};
use carethread_domain::OrgId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// Keeps `record` as version `version` of the record `id` of this kind, written at `at`. Keeping
/// a version twice keeps the first.
pub(crate) async fn keep<T: Serialize>(
    tx: &mut Tx,
    org: OrgId,
    kind: &'static str,
    id: Uuid,
    version: i64,
    at: DateTime<Utc>,
    record: &T,
) -> Result<(), StoreError> {
    let json = to_json(record)?;
    exec_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO record_versions (id, org_id, record_type, record_id, version, details, removed, changed_by, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8) ON CONFLICT (record_type, record_id, version) DO NOTHING"
    )
    .bind(Uuid::now_v7())
    .bind(org.as_uuid())
    .bind(kind)
    .bind(id)
    .bind(version)
    .bind(&json)
    .bind(false)
    .bind(at)
    .execute(c)
    .await
    })?;
    Ok(())
}

/// The kept versions of the record `id`, newest first.
pub(crate) async fn kept<T: DeserializeOwned>(tx: &mut Tx, kind: &'static str, id: Uuid) -> Result<Vec<T>, StoreError> {
    let rows: Vec<(String,)> = on_tx!(tx, |c| sqlx::query_as(
        "SELECT details FROM record_versions WHERE record_type = $1 AND record_id = $2 ORDER BY version DESC"
    )
    .bind(kind)
    .bind(id)
    .fetch_all(c)
    .await)?;
    rows.iter().map(|(json,)| from_json(json)).collect()
}
