//! The population register's figures for each person (see `carethread_domain::population`).
//! They arrive in bulk (`crate::bulk`); this module reads them back, one person at a time.

use crate::Db;
use crate::audit::{AuditContext, record};
use crate::error::StoreError;
use carethread_domain::population::{ActivationLevel, FrailtyIndex, HealthSnapshot};
use carethread_domain::{AuditAction, PersonId};
use chrono::NaiveDate;

/// The person's latest figures, if the register has any (an audited read).
pub async fn health(db: &Db, ctx: &AuditContext, person: PersonId) -> Result<Option<HealthSnapshot>, StoreError> {
    let mut tx = db.read().await?;
    let row: Option<(String, i64, i64, i64, i64, NaiveDate)> = on_tx!(&mut tx, |c| sqlx::query_as(
        "SELECT conditions, frailty_index, activation_level, admissions, emergency_visits, recorded_on \
         FROM population_health WHERE person_id = $1"
    )
    .bind(person.as_uuid())
    .fetch_optional(c)
    .await)?;
    record(&mut tx, ctx, AuditAction::Read, Some(person), "read the population register's health figures").await?;
    tx.commit().await?;
    let Some((conditions, frailty, activation, admissions, visits, recorded_on)) = row else {
        return Ok(None);
    };
    let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("population_health.{what}: {e}"));
    let small = |what: &str, v: i64| u8::try_from(v).map_err(|e| corrupt(what, e.to_string()));
    let count = |what: &str, v: i64| u16::try_from(v).map_err(|e| corrupt(what, e.to_string()));
    Ok(Some(HealthSnapshot {
        conditions: HealthSnapshot::parse_conditions(&conditions).map_err(|e| corrupt("conditions", e))?,
        frailty: FrailtyIndex::try_from(small("frailty_index", frailty)?).map_err(|e| corrupt("frailty_index", e))?,
        activation: ActivationLevel::try_from(small("activation_level", activation)?)
            .map_err(|e| corrupt("activation_level", e))?,
        admissions: count("admissions", admissions)?,
        emergency_visits: count("emergency_visits", visits)?,
        recorded_on,
    }))
}
