use crate::config::Config;
use carethread_store::Db;
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
