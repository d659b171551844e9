//! FHIR R4 over HTTP: JSON only, bearer tokens, every error an OperationOutcome.

mod audit_event;
mod batch;
mod careplan;
mod careplan_write;
mod careteam;
mod case_import;
mod condition;
mod conditional;
mod consent;
mod directory;
mod export;
mod gate;
mod goal_write;
mod history;
mod metadata;
mod minutes;
mod patient;
mod prompt_sheet;
mod provenance;
mod related_person;
mod review;
mod task;
mod terminology;
mod transaction;

use crate::auth::{RequestMeta, token};
use crate::state::AppState;
use crate::web::routes::{Routes, routes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use carethread_domain::policy::Principal;
use carethread_fhir::MEDIA_TYPE;
use carethread_fhir::bundle::Total;
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_store::accounts::{self, UserRow};
use carethread_store::{AuditContext, StoreError};

pub fn router() -> Routes<AppState> {
    routes! {
        "/fhir" => post(batch::bundle),
        "/fhir/metadata" => get(metadata::capability_statement),
        "/fhir/$export" => get(export::kick_off),
        "/fhir/$export-status/{id}" => get(export::status).delete(export::delete),
        "/fhir/$export-file/{id}/{type}/{part}" => get(export::file),
        "/fhir/Patient/$export" => get(export::kick_off),
        "/fhir/Patient" => get(patient::search).post(patient::create),
        "/fhir/Patient/{id}" => get(patient::read).put(patient::update).delete(patient::delete),
        "/fhir/Patient/{id}/_history/{version}" => get(patient::vread),
        "/fhir/AuditEvent" => get(audit_event::search),
        "/fhir/CarePlan" => get(careplan::search_care_plans).post(careplan_write::create),
        "/fhir/CarePlan/{id}" => get(careplan::read_care_plan).put(careplan_write::update).delete(careplan_write::delete),
        "/fhir/CarePlan/{id}/_history" => get(careplan::care_plan_history),
        "/fhir/CarePlan/{id}/_history/{version}" => get(careplan::vread_care_plan),
        "/fhir/Goal" => get(careplan::search_goals).post(goal_write::create),
        "/fhir/Goal/{id}" => get(careplan::read_goal).put(goal_write::update),
        "/fhir/Goal/{id}/_history" => get(careplan::goal_history),
        "/fhir/Goal/{id}/_history/{version}" => get(careplan::vread_goal),
        "/fhir/CareTeam" => get(careteam::search),
        "/fhir/CareTeam/{id}" => get(careteam::read),
        "/fhir/Condition" => get(condition::search).post(condition::create),
        "/fhir/Condition/{id}" => get(condition::read).put(condition::update).delete(condition::delete),
        "/fhir/Condition/{id}/_history" => get(history::history_of::<condition::Versions>),
        "/fhir/Condition/{id}/_history/{version}" => get(history::version_of::<condition::Versions>),
        "/fhir/Consent" => get(consent::search).post(consent::create),
        "/fhir/Consent/{id}" => get(consent::read).put(consent::update),
        "/fhir/Consent/{id}/_history" => get(history::history_of::<consent::Versions>),
        "/fhir/Consent/{id}/_history/{version}" => get(history::version_of::<consent::Versions>),
        "/fhir/Encounter" => get(review::search_encounters).post(review::create_encounter),
        "/fhir/Encounter/{id}" => get(review::read_encounter),
        "/fhir/Encounter/{id}/_history/{version}" => get(review::vread_encounter),
        "/fhir/Composition" => get(minutes::search),
        "/fhir/Composition/{id}" => get(minutes::read).put(minutes::update),
        "/fhir/Composition/{id}/_history/{version}" => get(minutes::vread),
        "/fhir/Observation" => get(review::search_observations).post(review::create_observation),
        "/fhir/Observation/{id}" => get(review::read_observation),
        "/fhir/Observation/{id}/_history/{version}" => get(review::vread_observation),
        "/fhir/Questionnaire" => get(prompt_sheet::search_questionnaires),
        "/fhir/Questionnaire/{id}" => get(prompt_sheet::read_questionnaire),
        "/fhir/QuestionnaireResponse" => get(prompt_sheet::search_responses).post(prompt_sheet::create_response),
        "/fhir/QuestionnaireResponse/{id}" => get(prompt_sheet::read_response).put(prompt_sheet::update_response),
        "/fhir/QuestionnaireResponse/{id}/_history" => get(history::history_of::<prompt_sheet::Versions>),
        "/fhir/QuestionnaireResponse/{id}/_history/{version}" => get(history::version_of::<prompt_sheet::Versions>),
        "/fhir/Provenance" => get(provenance::search),
        "/fhir/Provenance/{id}" => get(provenance::read),
        "/fhir/RelatedPerson" => get(related_person::search).post(related_person::create),
        "/fhir/RelatedPerson/{id}" => get(related_person::read).put(related_person::update).delete(related_person::delete),
        "/fhir/RelatedPerson/{id}/_history" => get(history::history_of::<related_person::Versions>),
        "/fhir/RelatedPerson/{id}/_history/{version}" => get(history::version_of::<related_person::Versions>),
        "/fhir/Practitioner/{id}" => get(directory::read_practitioner),
        "/fhir/PractitionerRole/{id}" => get(directory::read_practitioner_role),
        "/fhir/Organization/{id}" => get(directory::read_organization),
        "/fhir/Task" => get(task::search).post(task::create),
        "/fhir/Task/{id}" => get(task::read).put(task::update),
        "/fhir/Task/{id}/_history" => get(history::history_of::<task::Versions>),
        "/fhir/Task/{id}/_history/{version}" => get(history::version_of::<task::Versions>),
        "/fhir/CodeSystem" => get(terminology::search_code_systems),
        "/fhir/CodeSystem/{id}" => get(terminology::read_code_system),
        "/fhir/ValueSet" => get(terminology::search_value_sets),
        "/fhir/ValueSet/{id}" => get(terminology::read_value_set),
        "/fhir/{*rest}" => any(unsupported),
    }
}

/// The layers every FHIR request passes, around `routes`.
pub fn layered(routes: axum::Router<AppState>, state: &AppState) -> axum::Router<AppState> {
    routes
        .layer(axum::middleware::from_fn_with_state(state.clone(), conditional::create_if_none_exist))
        .layer(axum::middleware::from_fn(explain_method_not_allowed))
}

/// The FHIR routes as a service of their own, for requests made inside a request: the entries
/// of a batch or transaction (with `state` holding the transaction's database handle), and the
/// search an If-None-Exist runs.
pub(super) fn service(state: AppState) -> axum::Router {
    layered(router().into_router(), &state).with_state(state)
}

/// Anything else under `/fhir`: said plainly, as an OperationOutcome.
async fn unsupported() -> FhirError {
    FhirError::new(
        StatusCode::NOT_FOUND,
        IssueCode::NotSupported,
        "This server does not support that resource type or interaction yet. GET /fhir/metadata lists what it does.",
    )
}

/// A method a FHIR address does not take (axum's bare 405) becomes an OperationOutcome that says
/// why, and what to do instead: people's records are kept whole, so most things are closed,
/// withdrawn or replaced rather than deleted.
pub async fn explain_method_not_allowed(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let method = request.method().clone();
    let resource =
        request.uri().path().strip_prefix("/fhir/").and_then(|p| p.split('/').next()).unwrap_or("").to_string();
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED || response.headers().contains_key(header::CONTENT_TYPE) {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let why = match (method.as_str(), resource.as_str()) {
        ("DELETE", "Task") => {
            "Tasks are not deleted: set the status to completed or cancelled, so the case keeps its history."
        }
        ("DELETE", "Goal") => {
            "A goal that no longer fits is marked cancelled (PUT the Goal), so the plan keeps its story."
        }
        ("DELETE", "Observation") => "A vote stays in the review's record once it is cast.",
        ("DELETE", "Encounter" | "QuestionnaireResponse" | "Composition") => {
            "Reviews are part of the care record and are not deleted."
        }
        ("POST", "Composition") => {
            "Every review has its minutes: write them with PUT Composition/<the review's id> and If-Match."
        }
        ("PUT", "Encounter") => {
            "A review is scheduled through FHIR (POST Encounter); who came, the minutes and the sign-off are recorded on its page."
        }
        ("PUT", "Observation") => {
            "A vote stays as cast: a correction is made on the review's page, where it is audited."
        }
        ("DELETE", "Consent") => {
            "A consent is withdrawn, not deleted, so it stays known what was shared and when. Withdraw it on the plan's sharing page."
        }
        ("DELETE", "CareTeam") => {
            "A circle of support is not deleted: take people off it one by one (DELETE RelatedPerson)."
        }
        (_, "AuditEvent") => "The audit trail is read-only.",
        _ => "This address does not take that method. GET /fhir/metadata lists what each resource supports.",
    };
    let mut r = FhirError::new(StatusCode::METHOD_NOT_ALLOWED, IssueCode::NotSupported, why).into_response();
    if let Some(allow) = allow {
        r.headers_mut().insert(header::ALLOW, allow);
    }
    r
}

/// An error as FHIR clients expect it: a status and an OperationOutcome.
#[derive(Debug)]
pub struct FhirError {
    pub status: StatusCode,
    pub outcome: OperationOutcome,
}

impl FhirError {
    pub fn new(status: StatusCode, code: IssueCode, message: impl Into<String>) -> Self {
        FhirError { status, outcome: OperationOutcome::error(code, message) }
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, IssueCode::NotFound, format!("No {what} with that id is available to you."))
    }
    pub fn invalid(outcome: OperationOutcome) -> Self {
        // Not JSON, or not the right shape: 400; well-formed but breaking a rule: 422.
        let structural = outcome.issue.iter().any(|i| matches!(i.code, IssueCode::Structure));
        let status = if structural { StatusCode::BAD_REQUEST } else { StatusCode::UNPROCESSABLE_ENTITY };
        FhirError { status, outcome }
    }
}

impl From<StoreError> for FhirError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => FhirError::not_found("resource"),
            StoreError::Invalid(message) => {
                FhirError::new(StatusCode::UNPROCESSABLE_ENTITY, IssueCode::Invariant, message)
            }
            // Another change landed between this request's read and its write (a race the
            // handler's own version check could not see): the same answer as a stale If-Match.
            StoreError::StaleVersion { current } => FhirError::new(
                StatusCode::PRECONDITION_FAILED,
                IssueCode::Conflict,
                format!(
                    "The resource was changed by someone else while this change was saved (it is now version \
                     {current}). Read it again and reapply your change; nothing was written."
                ),
            ),
            StoreError::Duplicate { what } => FhirError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                IssueCode::Duplicate,
                format!("{what} is already registered here. Search for it, or use If-None-Exist."),
            ),
            other => {
                tracing::error!(error = %other, "FHIR request failed");
                FhirError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    IssueCode::Exception,
                    "The server could not complete the request; nothing was half-written. Try again later.",
                )
            }
        }
    }
}

impl From<anyhow::Error> for FhirError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!(error = %format!("{e:#}"), "FHIR request failed");
        FhirError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            IssueCode::Exception,
            "The server could not complete the request.",
        )
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let mut r = (self.status, self.outcome.to_json()).into_response();
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

/// A FHIR JSON response, with the resource's version as its ETag when it has one.
pub fn resource_response(status: StatusCode, body: &impl serde::Serialize, version: Option<i64>) -> Response {
    let json = serde_json::to_string(body).unwrap_or_default();
    let mut r = (status, json).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    if let Some(v) = version
        && let Ok(etag) = HeaderValue::from_str(&format!("W/\"{v}\""))
    {
        r.headers_mut().insert(header::ETAG, etag);
    }
    r
}

/// The account behind a request's bearer token.
#[derive(Clone)]
pub struct Caller {
    pub user: UserRow,
    pub principal: Principal,
    pub meta: RequestMeta,
}

impl Caller {
    pub fn audit(&self) -> AuditContext {
        AuditContext {
            org_id: Some(self.user.org()),
            user_id: Some(self.user.user_id()),
            username: self.user.username.clone(),
            role: self.user.role.clone(),
            ip: self.meta.ip.clone(),
            request_id: self.meta.request_id.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = FhirError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorised = |m: &str| FhirError::new(StatusCode::UNAUTHORIZED, IssueCode::Login, m.to_string());
        let value = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
            unauthorised("Send Authorization: Bearer <token>, with a token from `carethread token create`.")
        })?;
        let secret = value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 200)
            .ok_or_else(|| unauthorised("The Authorization header must be: Bearer <token>."))?;
        let user = accounts::user_by_token_hash(&state.db, &token::hash(secret))
            .await
            .map_err(FhirError::from)?
            .ok_or_else(|| unauthorised("That token is not valid, or its account is no longer active."))?;
        let role = user.role().map_err(|e| FhirError::from(anyhow::anyhow!("{e}")))?;
        let principal = Principal {
            user_id: user.user_id(),
            org_id: user.org(),
            role,
            team_id: user.team_id.map(carethread_domain::TeamId::from_uuid),
            person_id: user.person(),
        };
        let meta = RequestMeta::from_request_parts(parts, state).await.unwrap_or_else(|never| match never {});
        Ok(Caller { user, principal, meta })
    }
}

/// The absolute address of the FHIR endpoint, as the client reached it.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = if state.config.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}/fhir")
}

/// Whether the client asked for unknown search parameters to be ignored.
pub fn lenient(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("handling=lenient")))
}

/// Refuses a body that is not FHIR JSON.
pub fn require_json(headers: &HeaderMap) -> Result<(), FhirError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case(MEDIA_TYPE) || media.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(FhirError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IssueCode::NotSupported,
            "Send the resource as FHIR JSON: Content-Type: application/fhir+json.",
        ))
    }
}

/// The query pairs, in order, as sent.
pub fn pairs(raw: Option<&str>) -> Result<Vec<(String, String)>, FhirError> {
    serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|_| {
        FhirError::new(StatusCode::BAD_REQUEST, IssueCode::Structure, "The query string could not be read.")
    })
}

/// The version an `If-Match` header names: `W/"3"` or `"3"`.
pub fn if_match(headers: &HeaderMap) -> Result<i64, FhirError> {
    optional_if_match(headers)?.ok_or_else(|| {
        FhirError::new(
            StatusCode::PRECONDITION_REQUIRED,
            IssueCode::Required,
            "Send If-Match with the version you changed (the ETag you read, such as W/\"3\"), so no one's change is overwritten.",
        )
    })
}

/// The version in If-Match, when the client sent one.
pub fn optional_if_match(headers: &HeaderMap) -> Result<Option<i64>, FhirError> {
    let Some(raw) = headers.get(header::IF_MATCH) else { return Ok(None) };
    raw.to_str()
        .ok()
        .and_then(|r| r.trim().trim_start_matches("W/").trim_matches('"').parse().ok())
        .map(Some)
        .ok_or_else(|| {
            FhirError::new(StatusCode::BAD_REQUEST, IssueCode::Invalid, "If-Match must be an ETag such as W/\"3\".")
        })
}

/// 204 No Content: done, nothing to show (a delete).
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// An update that would move a record to another person's: refused.
pub fn moved(element: &str) -> FhirError {
    FhirError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        outcome: OperationOutcome::at(
            IssueCode::Invariant,
            element,
            "A record cannot be moved to another person's record. Add it there, and remove it here.",
        ),
    }
}

/// One page of matches that are all in hand (each already let through by the policy), and how
/// many there were in all.
pub fn page_of<T>(mut items: Vec<T>, page: &carethread_fhir::search::Page) -> (Vec<T>, usize) {
    let total = items.len();
    if page.count_only {
        return (Vec::new(), total);
    }
    let start = page.offset.min(total);
    let end = start.saturating_add(page.count).min(total);
    (items.drain(start..end).collect(), total)
}

/// A searchset of resources (matches, then what `_include` brought in), with paging links that
/// repeat the search as asked; `base` is the FHIR endpoint's address ([`base_url`]).
pub fn searchset_response(
    base: &str,
    resource: &str,
    query: Vec<(String, String)>,
    page: &carethread_fhir::search::Page,
    total: carethread_fhir::bundle::Total,
    matches: Vec<serde_json::Value>,
    included: Vec<serde_json::Value>,
) -> Response {
    use carethread_fhir::bundle::{Entry, EntrySearch, searchset};
    let entry = |mode: &'static str| {
        let base = base.to_string();
        move |r: serde_json::Value| Entry {
            full_url: format!(
                "{base}/{}/{}",
                r["resourceType"].as_str().unwrap_or_default(),
                r["id"].as_str().unwrap_or_default()
            ),
            resource: r,
            search: EntrySearch { mode },
        }
    };
    let mut entries: Vec<Entry> = matches.into_iter().map(entry("match")).collect();
    entries.extend(included.into_iter().map(entry("include")));
    let kept: Vec<(String, String)> =
        query.into_iter().filter(|(k, _)| !matches!(k.as_str(), "_offset" | "_count")).collect();
    let kept = serde_urlencoded::to_string(&kept).unwrap_or_default();
    let bundle = searchset(&format!("{base}/{resource}"), &kept, total, page.offset, page.count, entries);
    resource_response(StatusCode::OK, &bundle, None)
}

/// Orders resources by `meta.lastUpdated` when the search asked for it.
pub fn sort_by_last_updated(resources: &mut [serde_json::Value], page: &carethread_fhir::search::Page) {
    use carethread_fhir::search::Direction;
    let key = |r: &serde_json::Value| r["meta"]["lastUpdated"].as_str().unwrap_or_default().to_string();
    match page.sort_last_updated {
        Some(Direction::Ascending) => resources.sort_by_key(key),
        Some(Direction::Descending) => resources.sort_by_key(|r| std::cmp::Reverse(key(r))),
        None => {}
    }
}

/// A search's parameters parsed for the resource `params` describes; a bad one is a 400.
pub fn parse_search(
    params: &carethread_fhir::search::Params,
    query: &[(String, String)],
    headers: &HeaderMap,
) -> Result<carethread_fhir::search::Search, FhirError> {
    carethread_fhir::search::resource(params, query, lenient(headers))
        .map_err(|o| FhirError { status: StatusCode::BAD_REQUEST, outcome: o })
}

/// The id in an address as a Carethread id; anything else names nothing here.
pub fn parse_id(raw: &str, resource: &str) -> Result<uuid::Uuid, FhirError> {
    raw.parse().map_err(|_| FhirError::not_found(resource))
}

/// Whether a resource matches the parameters every search takes: `_id` and `_lastUpdated`.
pub fn matches_common(s: &carethread_fhir::search::Search, r: &serde_json::Value) -> bool {
    let id = r["id"].as_str().unwrap_or_default();
    let id_ok = s.ids.as_ref().is_none_or(|ids| ids.iter().any(|i| i.to_string() == id));
    let updated = r["meta"]["lastUpdated"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| s.updated_within(t.with_timezone(&chrono::Utc)));
    id_ok && updated
}

/// The people a search looks at whose records the caller may do `action` on.
pub async fn admitted(
    state: &AppState,
    caller: &Caller,
    s: &carethread_fhir::search::Search,
    action: carethread_domain::policy::Action,
) -> Result<Vec<carethread_domain::PersonId>, FhirError> {
    let mut gate = gate::Gate::new(state, caller);
    let mut out = Vec::new();
    let people = gate.people(s.patient, &[action]).await?;
    gate.prefetch(people.iter().copied()).await?;
    for person in people {
        if gate.allows(person, action).await? {
            out.push(person);
        }
    }
    Ok(out)
}

/// Keeps the matches of `_id` and `_lastUpdated`, sorts and pages them, and answers with the
/// searchset. Every resource in `found` has already passed the policy.
pub fn search_answer(
    state: &AppState,
    headers: &HeaderMap,
    resource: &str,
    query: Vec<(String, String)>,
    s: &carethread_fhir::search::Search,
    mut found: Vec<serde_json::Value>,
) -> Response {
    found.retain(|r| matches_common(s, r));
    sort_by_last_updated(&mut found, &s.page);
    if let Some(direction) = s.sort_date {
        // Stable: resources on the same date stay in the order above.
        let date = |r: &serde_json::Value| carethread_fhir::search::date_of(r);
        match direction {
            carethread_fhir::search::Direction::Ascending => found.sort_by_key(date),
            carethread_fhir::search::Direction::Descending => found.sort_by_key(|r| std::cmp::Reverse(date(r))),
        }
    }
    let (page, total) = page_of(found, &s.page);
    searchset_response(&base_url(state, headers), resource, query, &s.page, Total::Exact(total), page, Vec::new())
}

/// 201 Created, with the new resource and its versioned address in `Location`.
pub fn created(
    state: &AppState,
    headers: &HeaderMap,
    body: &impl serde::Serialize,
    resource: &str,
    id: impl std::fmt::Display,
    version: i64,
) -> Response {
    let mut response = resource_response(StatusCode::CREATED, body, Some(version));
    if let Ok(location) =
        HeaderValue::from_str(&format!("{}/{resource}/{id}/_history/{version}", base_url(state, headers)))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// A record that was taken off the person's record: it existed, and its history says when and
/// by whom (Provenance), but it is no longer there to read or change.
pub fn gone(resource: &str) -> FhirError {
    FhirError::new(
        StatusCode::GONE,
        IssueCode::Deleted,
        format!("This {resource} was taken off the person's record. Its Provenance says when and by whom."),
    )
}

/// An update made from a version that is no longer the latest: nothing was written.
pub fn stale(resource: &str, base: i64, current: i64) -> FhirError {
    FhirError::new(
        StatusCode::PRECONDITION_FAILED,
        IssueCode::Conflict,
        format!(
            "The {resource} has changed since version {base} (it is now version {current}). Read it again and reapply your change; nothing was written."
        ),
    )
}

/// An update whose body names another resource than its address.
pub fn id_mismatch(resource: &str) -> FhirError {
    FhirError {
        status: StatusCode::BAD_REQUEST,
        outcome: OperationOutcome::at(
            IssueCode::Invalid,
            format!("{resource}.id"),
            "The resource's id must be the id in the address.",
        ),
    }
}

/// What an update's body must say of itself: the id in its address (`raw`), and the same
/// person's record as the resource is on now (named by `subject`, such as `Condition.subject`).
pub struct SameRecord<'a> {
    pub raw: &'a str,
    pub person: carethread_domain::PersonId,
    pub subject: &'a str,
}

impl SameRecord<'_> {
    pub fn check(&self, sent_id: Option<&str>, sent_person: Option<uuid::Uuid>) -> Result<(), FhirError> {
        if sent_id != Some(self.raw) {
            let resource = self.subject.split('.').next().unwrap_or_default();
            return Err(id_mismatch(resource));
        }
        if sent_person != Some(self.person.as_uuid()) {
            return Err(moved(self.subject));
        }
        Ok(())
    }
}
