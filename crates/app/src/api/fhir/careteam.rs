//! CareTeam: a person's circle of support, read and searched. It is the "circle of support"
//! theme of the record, so a person may share it with a supporter on its own.

use super::gate::Gate;
use super::{
    Caller, FhirError, base_url, page_of, pairs, parse_id, parse_search, resource_response, searchset_response,
};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::plan::consent::Section;
use carethread_domain::policy::Action;
use carethread_domain::themes::Theme;
use carethread_domain::{CaseStatus, PersonId};
use carethread_fhir::bundle::Total;
use carethread_fhir::careteam::{self as fhir_team, SEARCH, StoredCircle, StoredMember};
use carethread_store::people::{self, PersonRecord};
use carethread_store::themes::{self, MemberRecord};
use serde_json::Value;

const ACTION: Action = Action::ReadSection(Section::Theme(Theme::CircleOfSupport));

/// The person's circle as a CareTeam, and its version. The caller must already be let in.
pub async fn circle(state: &AppState, caller: &Caller, person: PersonId) -> Result<(Value, i64), FhirError> {
    let audit = caller.audit();
    let record = people::read(&state.db, &audit, person, "read the circle of support through FHIR").await?;
    let members = themes::members(&state.db, &audit, person).await?;
    circle_of(state, &record, &members).await
}

/// The person's circle of support as a CareTeam, from their record and circle members already
/// read, and its version.
pub async fn circle_of(
    state: &AppState,
    record: &PersonRecord,
    members: &[MemberRecord],
) -> Result<(Value, i64), FhirError> {
    let person = record.id;
    let (changes, last_change) = themes::circle_version(&state.db, person).await?;
    let name = record.details.display_name();
    let key_worker_name = record.case.key_worker_name.clone().unwrap_or_default();
    let team_name = record.case.team_name.clone().unwrap_or_default();
    let version = changes + record.case.version;
    let c = StoredCircle {
        person_id: person.as_uuid(),
        person_name: &name,
        case_open: record.case.status == CaseStatus::Open,
        members: members.iter().map(|m| StoredMember { id: m.id, details: &m.details }).collect(),
        key_worker: record.case.key_worker_id.map(|k| (k.as_uuid(), key_worker_name.as_str())),
        team: record.case.team_id.map(|t| (t.as_uuid(), team_name.as_str())),
        version,
        updated_at: last_change.map_or(record.updated_at, |t| t.max(record.updated_at)),
    };
    Ok((fhir_team::to_fhir(&c), version))
}

pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let person = PersonId::from_uuid(parse_id(&raw, "CareTeam")?);
    Gate::new(&state, &caller).admit(person, ACTION, "CareTeam").await?;
    let (team, version) = circle(&state, &caller, person).await?;
    Ok(resource_response(StatusCode::OK, &team, Some(version)))
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&SEARCH, &query, &headers)?;
    let mut gate = Gate::new(&state, &caller);
    let mut candidates = gate.people(s.patient, &[ACTION]).await?;
    if let Some(ids) = &s.ids {
        candidates.retain(|p| ids.contains(&p.as_uuid()));
    }
    let mut people = Vec::new();
    for p in candidates {
        if gate.allows(p, ACTION).await? {
            people.push(p);
        }
    }
    // Paged before loading: each circle is read (and audited) only when it is on the page, unless
    // a filter on its contents needs every one.
    let filtered = !s.statuses.is_empty() || !s.last_updated.is_empty() || s.page.sort_last_updated.is_some();
    let mut found = Vec::new();
    let (people, mut total) = if filtered { (people, 0) } else { page_of(people, &s.page) };
    for p in people {
        let (team, _) = circle(&state, &caller, p).await?;
        let status_ok = s.statuses.is_empty() || s.statuses.iter().any(|c| team["status"] == c.as_str());
        let updated = team["meta"]["lastUpdated"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| s.updated_within(t.with_timezone(&chrono::Utc)));
        if status_ok && updated {
            found.push(team);
        }
    }
    if filtered {
        super::sort_by_last_updated(&mut found, &s.page);
        (found, total) = page_of(found, &s.page);
    }
    Ok(searchset_response(
        &base_url(&state, &headers),
        "CareTeam",
        query,
        &s.page,
        Total::Exact(total),
        found,
        Vec::new(),
    ))
}
