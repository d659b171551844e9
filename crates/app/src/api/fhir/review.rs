//! Encounter (reviews) and Observation (democratic-outcome votes): read and search, scheduling
//! a review by creating an Encounter, and recording a vote by creating an Observation. A review is part of the whole record, not a
//! section a person shares, so reading it needs what reading the record needs.

use super::gate::Gate;
use super::{
    Caller, FhirError, created, pairs, parse_id, parse_search, require_json, resource_response, search_answer,
};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use carethread_domain::policy::Action;
use carethread_domain::reviews::{Ballot, ReviewInput};
use carethread_domain::{PersonId, Role};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_fhir::review::{
    self as fhir_review, ENCOUNTER_SEARCH, InviteForm, OBSERVATION_SEARCH, StoredAttendee, StoredReview, StoredVote,
};
use carethread_fhir::search::Search;
use carethread_store::reviews::{self, ReviewRecord, ReviewStatus};
use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;
use uuid::Uuid;

/// The caller's organisation's clock, by which reviews are scheduled.
fn time_zone(caller: &Caller) -> chrono_tz::Tz {
    caller.user.org_time_zone.parse().unwrap_or(crate::web::layout::DEFAULT_TIME_ZONE)
}

/// A review's local time as an instant, in the caller's organisation's time zone.
fn instant(at: NaiveDateTime, caller: &Caller) -> DateTime<Utc> {
    time_zone(caller).from_local_datetime(&at).earliest().map_or_else(|| at.and_utc(), |t| t.with_timezone(&Utc))
}

pub(super) fn stored<'a>(r: &'a ReviewRecord, person: PersonId, caller: &Caller) -> StoredReview<'a> {
    StoredReview {
        id: r.id,
        person_id: person.as_uuid(),
        details: &r.details,
        start: instant(r.details.at, caller).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        signed_off: r.status == ReviewStatus::SignedOff,
        attendees: r
            .attendees
            .iter()
            .map(|a| StoredAttendee {
                id: a.id,
                name: &a.details.name,
                role: &a.details.role,
                is_person: a.details.is_person,
                member_id: a.member_id,
                account_id: a.account_id.map(|u| u.as_uuid()),
                attendance: a.attendance,
            })
            .collect(),
        version: r.version,
        updated_at: r.updated_at,
    }
}

/// The review's votes as Observations.
pub(super) fn observations(r: &ReviewRecord, review: &StoredReview<'_>) -> Vec<Value> {
    r.votes
        .iter()
        .filter_map(|v| {
            let attendee = review.attendees.iter().find(|a| a.id == v.attendee_id)?;
            Some(fhir_review::to_observation(&StoredVote {
                id: v.id,
                review,
                attendee,
                theme: v.theme,
                vote: v.vote,
                comment: v.comment.as_deref(),
                recorded_at: v.recorded_at,
            }))
        })
        .collect()
}

pub async fn read_encounter(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Encounter")?;
    let person = reviews::person_of(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Encounter"))?;
    Gate::new(&state, &caller).admit(person, Action::ReadPerson, "Encounter").await?;
    let r = reviews::review(&state.db, &caller.audit(), person, id).await?;
    let e = fhir_review::to_encounter(&stored(&r, person, &caller));
    Ok(resource_response(StatusCode::OK, &e, Some(r.version)))
}

/// Whether a review matches the search's `status` and `date`.
fn review_matches(s: &Search, r: &ReviewRecord, caller: &Caller) -> bool {
    let status = fhir_review::encounter_status(r.status == ReviewStatus::SignedOff);
    (s.statuses.is_empty() || s.statuses.iter().any(|c| c == status)) && s.dated_within(instant(r.details.at, caller))
}

pub async fn search_encounters(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&ENCOUNTER_SEARCH, &query, &headers)?;
    let mut gate = Gate::new(&state, &caller);
    let mut found = Vec::new();
    for person in gate.people(s.patient, &[Action::ReadPerson]).await? {
        if !gate.allows(person, Action::ReadPerson).await? {
            continue;
        }
        for r in reviews::reviews_in_full(&state.db, &caller.audit(), person).await? {
            if review_matches(&s, &r, &caller) {
                found.push(fhir_review::to_encounter(&stored(&r, person, &caller)));
            }
        }
    }
    Ok(search_answer(&state, &headers, "Encounter", query, &s, found))
}

pub async fn read_observation(
    State(state): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
) -> Result<Response, FhirError> {
    let id = parse_id(&raw, "Observation")?;
    let (person, review) =
        reviews::review_of_vote(&state.db, id).await?.ok_or_else(|| FhirError::not_found("Observation"))?;
    Gate::new(&state, &caller).admit(person, Action::ReadPerson, "Observation").await?;
    let r = reviews::review(&state.db, &caller.audit(), person, review).await?;
    let o = observations(&r, &stored(&r, person, &caller))
        .into_iter()
        .find(|o| o["id"] == raw.as_str())
        .ok_or_else(|| FhirError::not_found("Observation"))?;
    Ok(resource_response(StatusCode::OK, &o, Some(1)))
}

pub async fn search_observations(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Response, FhirError> {
    let query = pairs(raw.as_deref())?;
    let s = parse_search(&OBSERVATION_SEARCH, &query, &headers)?;
    let mut gate = Gate::new(&state, &caller);
    let records = person_reviews(&state, &caller, &mut gate, &s).await?;
    let mut found = Vec::new();
    for (person, r) in &records {
        if !s.dated_within(instant(r.details.at, &caller)) {
            continue;
        }
        let review = stored(r, *person, &caller);
        for o in observations(r, &review) {
            let code_ok = s.codes.is_empty() || s.codes.iter().any(|c| o["code"]["coding"][0]["code"] == c.as_str());
            let status_ok = s.statuses.is_empty() || s.statuses.iter().any(|c| o["status"] == c.as_str());
            if code_ok && status_ok {
                found.push(o);
            }
        }
    }
    Ok(search_answer(&state, &headers, "Observation", query, &s, found))
}

/// The reviews a search looks at: the one `encounter` names, or every review of the people
/// searched; only those of records the caller may read.
pub(super) async fn person_reviews(
    state: &AppState,
    caller: &Caller,
    gate: &mut Gate<'_>,
    s: &Search,
) -> Result<Vec<(PersonId, ReviewRecord)>, FhirError> {
    let mut records = Vec::new();
    match s.encounter {
        Some(review) => {
            if let Some(person) = reviews::person_of(&state.db, review).await?
                && s.patient.is_none_or(|p| p == person.as_uuid())
                && gate.allows(person, Action::ReadPerson).await?
            {
                records.push((person, reviews::review(&state.db, &caller.audit(), person, review).await?));
            }
        }
        None => {
            for person in gate.people(s.patient, &[Action::ReadPerson]).await? {
                if gate.allows(person, Action::ReadPerson).await? {
                    let all = reviews::reviews_in_full(&state.db, &caller.audit(), person).await?;
                    records.extend(all.into_iter().map(|r| (person, r)));
                }
            }
        }
    }
    Ok(records)
}

pub(super) fn unprocessable(element: &str, message: impl Into<String>) -> FhirError {
    FhirError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        outcome: OperationOutcome::at(IssueCode::Invalid, element, message),
    }
}

/// Records one attendee's vote on one theme. A second vote by the same attendee on the same
/// theme is refused: a vote is corrected on the review's page, where the correction is audited.
pub async fn create_observation(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let v = carethread_fhir::review::vote_from_fhir(&body).map_err(FhirError::invalid)?;
    let unknown_review = || unprocessable("Observation.encounter", "No review with that id is available to you.");
    let person = reviews::person_of(&state.db, v.review).await?.ok_or_else(unknown_review)?;
    let mut gate = Gate::new(&state, &caller);
    if !gate.allows(person, Action::ReadPerson).await? {
        return Err(unknown_review());
    }
    if person.as_uuid() != v.person {
        return Err(unprocessable("Observation.subject", "The subject must be the person whose review it is."));
    }
    gate.admit(person, Action::VoteInReview, "Encounter").await?;
    let r = reviews::review(&state.db, &caller.audit(), person, v.review).await?;
    let review = stored(&r, person, &caller);
    let performer = format!("{}/{}", v.performer.kind, v.performer.id);
    let attendee = review
        .attendees
        .iter()
        .find(|a| a.reference(person.as_uuid()).as_deref() == Some(performer.as_str()))
        .ok_or_else(|| {
            unprocessable("Observation.performer[0]", "The performer must be an attendee of this review.")
        })?;
    // The person, signed in themselves, records only their own vote.
    if caller.principal.role == Role::Person && !attendee.is_person {
        return Err(FhirError::new(StatusCode::FORBIDDEN, IssueCode::Forbidden, "You can record only your own vote."));
    }
    if r.vote_of(attendee.id, v.theme).is_some() {
        return Err(FhirError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            outcome: OperationOutcome::at(
                IssueCode::Duplicate,
                "Observation.code",
                format!(
                    "{} has already voted on {} in this review. A vote is corrected on the review's page, not recorded twice.",
                    attendee.name,
                    v.theme.title()
                ),
            ),
        });
    }
    let attendee_id: Uuid = attendee.id;
    let ballot = Ballot(vec![(v.theme, v.vote, v.comment.clone())]);
    reviews::record_ballot(&state.db, &caller.audit(), person, v.review, attendee_id, &ballot).await.map_err(|e| {
        match e {
            carethread_store::StoreError::Invalid(m) => unprocessable("Observation.performer[0]", m),
            other => FhirError::from(other),
        }
    })?;
    let r = reviews::review(&state.db, &caller.audit(), person, v.review).await?;
    let id = r.vote_of(attendee_id, v.theme).map(|vote| vote.id).ok_or_else(|| FhirError::not_found("Observation"))?;
    let o = observations(&r, &stored(&r, person, &caller))
        .into_iter()
        .find(|o| o["id"] == id.to_string().as_str())
        .ok_or_else(|| FhirError::not_found("Observation"))?;
    Ok(created(&state, &headers, &o, "Observation", id, 1))
}

/// Schedules a review of the case of the Patient the Encounter's subject names, by the rules of
/// the scheduling page: the person is always invited, with the members of their circle and
/// anyone else the Encounter names by name and role.
pub async fn create_encounter(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FhirError> {
    require_json(&headers)?;
    let form = fhir_review::review_from_fhir(&body).map_err(FhirError::invalid)?;
    let person =
        Gate::new(&state, &caller).writable(form.person.clone(), "Encounter.subject", Action::EditPerson).await?;
    let local = form.start.with_timezone(&time_zone(&caller)).naive_local();
    let input = ReviewInput {
        kind: form.kind.slug().into(),
        day: local.day().to_string(),
        month: local.month().to_string(),
        year: local.year().to_string(),
        time: local.format("%H:%M").to_string(),
        place: form.place,
        chair: form.chair,
    };
    let details =
        input.parse(crate::web::current_date()).map_err(|e| FhirError::invalid(fhir_review::review_errors(&e)))?;
    let (mut members, mut others) = (Vec::new(), Vec::new());
    for invite in &form.invited {
        match invite {
            InviteForm::Person => {}
            InviteForm::Member(_, id) => members.push(*id),
            InviteForm::Named(i, who) => others.push(who.parse().map_err(|e| {
                let why: Vec<String> = e.iter().map(|x| x.message.clone()).collect();
                unprocessable(&format!("Encounter.participant[{i}]"), why.join(" "))
            })?),
        }
    }
    let ctx = caller.audit();
    let (invitees, unknown) = crate::web::reviews::invitees(&state.db, &ctx, person, &members, others).await?;
    if let Some(i) = form.invited.iter().find_map(|f| match f {
        InviteForm::Member(i, id) if unknown.contains(id) => Some(i),
        _ => None,
    }) {
        return Err(unprocessable(
            &format!("Encounter.participant[{i}].individual"),
            "That RelatedPerson is not in this person's circle of support.",
        ));
    }
    let id = reviews::schedule(&state.db, &ctx, person, &details, &invitees).await?;
    let r = reviews::review(&state.db, &ctx, person, id).await?;
    let encounter = fhir_review::to_encounter(&stored(&r, person, &caller));
    Ok(created(&state, &headers, &encounter, "Encounter", id, r.version))
}

/// The Encounter at one version: only its current version is kept.
pub async fn vread_encounter(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, FhirError> {
    super::history::current_only(read_encounter(State(state), caller, Path(raw)).await?, &version, "Encounter")
}

/// The Observation at one version: only its current version is kept.
pub async fn vread_observation(
    State(state): State<AppState>,
    caller: Caller,
    Path((raw, version)): Path<(String, String)>,
) -> Result<Response, FhirError> {
    super::history::current_only(read_observation(State(state), caller, Path(raw)).await?, &version, "Observation")
}
