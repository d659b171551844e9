//! A resource's versions, newest first: as a history Bundle, or one of them (vread). A version
//! in which a record was taken off the person's record is kept as the removal it was. Where
//! only the current version is kept, a vread answers that one alone.

use super::{Caller, FhirError, base_url, gone, resource_response};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// One version of a resource.
pub enum Historic {
    /// The resource as it read at that version.
    Kept(Value),
    /// The version in which it was taken off the record.
    Removed { version: i64, at: DateTime<Utc> },
}

impl Historic {
    fn version(&self) -> Option<String> {
        match self {
            Historic::Kept(r) => r["meta"]["versionId"].as_str().map(str::to_string),
            Historic::Removed { version, .. } => Some(version.to_string()),
        }
    }
}

/// A record's kept versions (`carethread_store::themes::Version`), newest first, each that is not
/// its removal written by `to_fhir` from what it said then, its version and when.
pub fn of<T>(
    versions: Vec<carethread_store::themes::Version<T>>,
    to_fhir: impl Fn(&T, i64, DateTime<Utc>) -> Value,
) -> Vec<Historic> {
    versions
        .into_iter()
        .map(|v| match v.removed {
            true => Historic::Removed { version: v.version, at: v.changed_at },
            false => Historic::Kept(to_fhir(&v.details, v.version, v.changed_at)),
        })
        .collect()
}

/// A history Bundle of one resource's versions, newest first.
fn bundle(base: &str, kind: &str, id: &str, versions: Vec<Historic>) -> Value {
    let entries: Vec<Value> = versions
        .into_iter()
        .map(|v| match v {
            Historic::Kept(r) => json!({
                "fullUrl": format!("{base}/{kind}/{id}"),
                "request": { "method": "PUT", "url": format!("{kind}/{id}") },
                "response": { "status": "200", "lastModified": r["meta"]["lastUpdated"] },
                "resource": r,
            }),
            Historic::Removed { version, at } => json!({
                "request": { "method": "DELETE", "url": format!("{kind}/{id}") },
                "response": {
                    "status": "204",
                    "etag": format!("W/\"{version}\""),
                    "lastModified": carethread_fhir::instant(at),
                },
            }),
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "type": "history",
        "total": entries.len(),
        "link": [{ "relation": "self", "url": format!("{base}/{kind}/{id}/_history") }],
        "entry": entries
    })
}

/// A resource whose kept versions can be listed: its `_history` and vread routes are
/// [`history_of`] and [`version_of`].
pub trait Kept {
    /// The resource type, as in its address.
    const KIND: &'static str;
    /// Every version of the resource `raw` still known, newest first, for a caller the policy
    /// admits to its record.
    fn versions(
        state: &AppState,
        caller: &Caller,
        raw: &str,
    ) -> impl std::future::Future<Output = Result<Vec<Historic>, FhirError>> + Send;
}

/// `GET /fhir/{type}/{id}/_history`.
pub async fn history_of<K: Kept>(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let versions = K::versions(&state, &caller, &raw).await?;
    Ok(response(&base_url(&state, &headers), K::KIND, &raw, versions))
}

/// `GET /fhir/{type}/{id}/_history/{version}`.
pub async fn version_of<K: Kept>(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, FhirError> {
    vread(&K::versions(&state, &caller, &raw).await?, &version, K::KIND)
}

/// The `_history` answer: the Bundle of a resource's versions.
pub fn response(base: &str, kind: &str, id: &str, versions: Vec<Historic>) -> Response {
    resource_response(StatusCode::OK, &bundle(base, kind, id, versions), None)
}

/// The one of a resource's versions a vread names.
pub fn vread(versions: &[Historic], version: &str, resource: &str) -> Result<Response, FhirError> {
    match versions.iter().find(|v| v.version().as_deref() == Some(version)) {
        Some(Historic::Kept(r)) => {
            let number = r["meta"]["versionId"].as_str().and_then(|v| v.parse().ok());
            Ok(resource_response(StatusCode::OK, r, number))
        }
        Some(Historic::Removed { .. }) => Err(gone(resource)),
        None => Err(FhirError::not_found(&format!("version of this {resource}"))),
    }
}

/// A vread of a resource whose earlier versions are not kept (a review, its minutes, a vote): `current` is
/// the read of it, answered when it is at the version asked for. So the versioned address a
/// create answers with in `Location` can be followed.
pub fn current_only(current: Response, version: &str, resource: &str) -> Result<Response, FhirError> {
    let now = current
        .headers()
        .get(axum::http::header::ETAG)
        .and_then(|e| e.to_str().ok())
        .and_then(|e| e.strip_prefix("W/\"")?.strip_suffix('"'))
        .map(str::to_string);
    match now {
        Some(v) if v == version => Ok(current),
        _ => Err(FhirError::new(
            StatusCode::NOT_FOUND,
            carethread_fhir::outcome::IssueCode::NotFound,
            format!(
                "Only the current version of a {resource} is kept, and this is not it ({}). Read it without a version.",
                now.map_or_else(|| "it has none".to_string(), |v| format!("it is at version {v}"))
            ),
        )),
    }
}
