use crate::config::Config;
use carethread_store::{Db, StoreError};
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::Arc;

/// What every handler can reach. Cheap to clone; holds no per-user state, so any number of
/// processes can serve the same database.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub metrics: PrometheusHandle,
    /// A real Argon2id hash of a random password, checked when a username does not exist so a
    /// failed sign-in takes the same time whether or not the account exists. Made on first use,
    /// to keep start-up fast.
    pub dummy_hash: Arc<tokio::sync::OnceCell<String>>,
}

impl AppState {
    /// Runs `read` in one read-only scope (see `Db::read_scope`): the policy decides on the same
    /// snapshot the records are read from, so an access ended in between cannot let a read
    /// through, and the reads' audit entries go to the writer together. The scope ends whichever
    /// way `read` does, so a refusal or a read made before a failure is on record too. Inside a
    /// scope already (an entry of a FHIR transaction Bundle) `read` simply runs in it.
    pub async fn in_one_snapshot<T, E: From<StoreError>>(
        &self,
        read: impl AsyncFnOnce(&AppState) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.db.in_scope() {
            return read(self).await;
        }
        let scope = self.db.read_scope().await?;
        let reading = AppState { db: scope.db.clone(), ..self.clone() };
        let found = read(&reading).await;
        scope.commit().await?;
        found
    }
}
