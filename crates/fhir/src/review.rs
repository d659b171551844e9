//! Encounter and Observation: a review of the case, and the democratic outcome. Each attendee's
//! vote on each theme is one Observation: `code` is the theme, `valueCodeableConcept` what they
//! said (progressed, unchanged, slipped back), `performer` who said it, `encounter` the review.
//! A signed-off review is `finished` and its votes `final`; before that they are `preliminary`.
//! A client schedules a review by sending a planned Encounter, and records a vote by sending an
//! Observation; both are read back here into what the review pages would have been given.

use crate::datatypes::Extension;
use crate::search::Params;
use crate::terminology::{self, THEMES, VOTES};
use carethread_domain::reviews::{Attendance, AttendeeInput, ReviewDetails, ReviewKind, Vote};
use carethread_domain::themes::Theme;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ENCOUNTER_SEARCH: Params = Params { date: true, ..Params::basic("Encounter", &["planned", "finished"]) };

/// The theme codes a vote may be searched by.
const THEME_CODES: [&str; 6] =
    ["circle-of-support", "about-me", "problem-toolkits", "joining-in", "keeping-safe", "progress"];

pub const OBSERVATION_SEARCH: Params = Params {
    codes: &THEME_CODES,
    encounter: true,
    date: true,
    ..Params::basic("Observation", &["preliminary", "final"])
};

/// Someone at a review.
pub struct StoredAttendee<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub role: &'a str,
    pub is_person: bool,
    pub member_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    pub attendance: Attendance,
}

impl StoredAttendee<'_> {
    /// Who they are as a FHIR reference: the person, someone in their circle, or staff. An
    /// attendee added by name only has none.
    pub fn reference(&self, person_id: Uuid) -> Option<String> {
        if self.is_person {
            Some(format!("Patient/{person_id}"))
        } else if let Some(m) = self.member_id {
            Some(format!("RelatedPerson/{m}"))
        } else {
            self.account_id.map(|a| format!("Practitioner/{a}"))
        }
    }

    fn as_reference(&self, person_id: Uuid) -> Value {
        let mut r = json!({ "display": format!("{} ({})", self.name, self.role) });
        if let Some(reference) = self.reference(person_id) {
            r["reference"] = json!(reference);
        }
        r
    }
}

/// A review of the case.
pub struct StoredReview<'a> {
    pub id: Uuid,
    pub person_id: Uuid,
    pub details: &'a ReviewDetails,
    /// When it is (or was), in the organisation's time zone, as FHIR writes a date-time.
    pub start: String,
    pub signed_off: bool,
    pub attendees: Vec<StoredAttendee<'a>>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

fn attendance_url() -> String {
    format!("{}/StructureDefinition/attendance", crate::CANONICAL)
}

/// Who chairs the review, by name.
pub fn chair_url() -> String {
    format!("{}/StructureDefinition/review-chair", crate::CANONICAL)
}

pub fn encounter_status(signed_off: bool) -> &'static str {
    if signed_off { "finished" } else { "planned" }
}

pub fn observation_status(signed_off: bool) -> &'static str {
    if signed_off { "final" } else { "preliminary" }
}

pub fn to_encounter(r: &StoredReview<'_>) -> Value {
    let participants: Vec<Value> = r
        .attendees
        .iter()
        .map(|a| {
            json!({
                "extension": [{ "url": attendance_url(), "valueCode": a.attendance.slug() }],
                "type": [{ "text": a.role }],
                "individual": a.as_reference(r.person_id),
            })
        })
        .collect();
    let mut e = json!({
        "resourceType": "Encounter",
        "id": r.id.to_string(),
        "meta": crate::meta(r.version, r.updated_at),
        "extension": [{ "url": chair_url(), "valueString": r.details.chair }],
        "status": encounter_status(r.signed_off),
        // A meeting about the person's care, not a clinical visit: "ambulatory" is the nearest
        // class HL7 offers.
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory"
        },
        "type": [{ "text": r.details.kind.label() }],
        "subject": { "reference": format!("Patient/{}", r.person_id) },
        "period": { "start": r.start },
        "location": [{ "location": { "display": r.details.place } }],
    });
    if !participants.is_empty() {
        e["participant"] = Value::Array(participants);
    }
    e
}

/// One attendee's vote on one theme in a review.
pub struct StoredVote<'a> {
    pub id: Uuid,
    pub review: &'a StoredReview<'a>,
    pub attendee: &'a StoredAttendee<'a>,
    pub theme: Theme,
    pub vote: Vote,
    pub comment: Option<&'a str>,
    pub recorded_at: DateTime<Utc>,
}

pub fn to_observation(v: &StoredVote<'_>) -> Value {
    let r = v.review;
    let mut o = json!({
        "resourceType": "Observation",
        "id": v.id.to_string(),
        "meta": crate::meta(1, v.recorded_at),
        "status": observation_status(r.signed_off),
        "category": [{ "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey"
        }] }],
        "code": { "coding": [terminology::coding(THEMES, v.theme.slug())], "text": v.theme.title() },
        "subject": { "reference": format!("Patient/{}", r.person_id) },
        "encounter": { "reference": format!("Encounter/{}", r.id) },
        "effectiveDateTime": r.start,
        "issued": crate::instant(v.recorded_at),
        "performer": [v.attendee.as_reference(r.person_id)],
        "valueCodeableConcept": { "coding": [terminology::coding(VOTES, v.vote.slug())], "text": v.vote.label() },
    });
    if let Some(c) = v.comment {
        o["note"] = json!([{ "text": c }]);
    }
    o
}

/// An Observation as a client sends it to record a vote.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObservationIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<crate::datatypes::Narrative>,
    pub status: String,
    #[serde(default)]
    pub category: Vec<crate::datatypes::CodeableConcept>,
    pub code: crate::datatypes::CodeableConcept,
    pub subject: crate::datatypes::Reference,
    pub encounter: crate::datatypes::Reference,
    pub performer: Vec<crate::datatypes::Reference>,
    pub value_codeable_concept: crate::datatypes::CodeableConcept,
    #[serde(default)]
    pub effective_date_time: Option<String>,
    #[serde(default)]
    pub issued: Option<String>,
    #[serde(default)]
    pub note: Vec<Annotation>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Annotation {
    pub text: String,
}

/// A vote to record, read from an Observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVote {
    pub review: Uuid,
    pub person: Uuid,
    /// The attendee, as a reference: `Patient/…`, `RelatedPerson/…` or `Practitioner/…`.
    pub performer: crate::search::Ref,
    pub theme: Theme,
    pub vote: Vote,
    pub comment: Option<String>,
}

/// The one code from `system` in a concept, or an error naming the element.
fn code_from<'a>(
    concept: &'a crate::datatypes::CodeableConcept,
    system: &str,
    element: &str,
) -> Result<&'a str, crate::outcome::OperationOutcome> {
    use crate::outcome::{IssueCode, OperationOutcome};
    concept
        .coding
        .iter()
        .find(|c| c.system.as_deref() == Some(system))
        .and_then(|c| c.code.as_deref())
        .ok_or_else(|| OperationOutcome::at(IssueCode::Required, element, format!("Give a coding from {system}.")))
}

/// Reads a vote from an Observation, naming the element at fault when it cannot.
pub fn vote_from_fhir(body: &[u8]) -> Result<NewVote, crate::outcome::OperationOutcome> {
    use crate::outcome::{IssueCode, OperationOutcome};
    let o: ObservationIn = crate::parse::resource(body, "Observation")?;
    if !OBSERVATION_SEARCH.statuses.contains(&o.status.as_str()) {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "Observation.status",
            "A vote is recorded as preliminary (it becomes final when the review is signed off).",
        ));
    }
    let themes = terminology::code_system_url(THEMES);
    let theme_code = code_from(&o.code, &themes, "Observation.code.coding")?;
    let theme: Theme = theme_code.parse().map_err(|_| {
        OperationOutcome::at(
            IssueCode::Value,
            "Observation.code.coding",
            format!("{theme_code:?} is not one of the six themes."),
        )
    })?;
    let votes = terminology::code_system_url(VOTES);
    let vote_code = code_from(&o.value_codeable_concept, &votes, "Observation.valueCodeableConcept.coding")?;
    let vote: Vote = vote_code.parse().map_err(|_| {
        OperationOutcome::at(
            IssueCode::Value,
            "Observation.valueCodeableConcept.coding",
            format!("{vote_code:?} is not a vote: progressed, unchanged or slipped-back."),
        )
    })?;
    let reference = |r: &crate::datatypes::Reference, kinds: &[&str], element: &str| {
        r.reference
            .as_deref()
            .and_then(|v| crate::search::Ref::parse(v, None))
            .filter(|r| kinds.contains(&r.kind.as_str()))
            .ok_or_else(|| {
                OperationOutcome::at(
                    IssueCode::Value,
                    element,
                    format!("Give a reference to a {}.", kinds.join(" or ")),
                )
            })
    };
    let review = reference(&o.encounter, &["Encounter"], "Observation.encounter")?.id;
    let person = reference(&o.subject, &["Patient"], "Observation.subject")?.id;
    let [performer] = o.performer.as_slice() else {
        return Err(OperationOutcome::at(
            IssueCode::Invalid,
            "Observation.performer",
            "Name exactly one performer: the attendee whose vote it is.",
        ));
    };
    let performer = reference(performer, &["Patient", "RelatedPerson", "Practitioner"], "Observation.performer[0]")?;
    let comment = match o.note.as_slice() {
        [] => None,
        [n] if n.text.trim().chars().count() <= 500 => Some(n.text.trim().to_string()).filter(|t| !t.is_empty()),
        [_] => {
            return Err(OperationOutcome::at(
                IssueCode::Value,
                "Observation.note[0].text",
                "Keep the comment to 500 characters.",
            ));
        }
        _ => {
            return Err(OperationOutcome::at(
                IssueCode::Invalid,
                "Observation.note",
                "Give at most one note: the comment on the vote.",
            ));
        }
    };
    Ok(NewVote { review, person, performer, theme, vote, comment })
}

/// An Encounter as a client sends it to schedule a review.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EncounterIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<crate::datatypes::Narrative>,
    #[serde(default)]
    pub extension: Vec<Extension>,
    pub status: String,
    pub class: crate::datatypes::Coding,
    #[serde(default, rename = "type")]
    pub kind: Vec<crate::datatypes::CodeableConcept>,
    pub subject: crate::datatypes::Reference,
    #[serde(default)]
    pub period: Option<PeriodIn>,
    #[serde(default)]
    pub location: Vec<LocationIn>,
    #[serde(default)]
    pub participant: Vec<ParticipantIn>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodIn {
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationIn {
    pub location: crate::datatypes::Reference,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParticipantIn {
    #[serde(default)]
    pub extension: Vec<Extension>,
    #[serde(default, rename = "type")]
    pub kind: Vec<crate::datatypes::CodeableConcept>,
    #[serde(default)]
    pub individual: Option<crate::datatypes::Reference>,
}

/// Someone invited to a review, as an Encounter names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InviteForm {
    /// The person whose review it is (always invited, named or not).
    Person,
    /// Someone in their circle of support: the RelatedPerson's id, and the participant's index.
    Member(usize, Uuid),
    /// Anyone else, by name and role (as the review page adds them).
    Named(usize, AttendeeInput),
}

/// A review to schedule, read from an Encounter. The time is an instant; the organisation's
/// clock turns it into the day and time the review page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewForm {
    pub person: Option<crate::search::Ref>,
    pub kind: ReviewKind,
    pub start: DateTime<chrono::FixedOffset>,
    pub place: String,
    pub chair: String,
    pub invited: Vec<InviteForm>,
}

/// Reads an Encounter that schedules a review: a planned one (a review is finished by signing it
/// off on its page), of one of the kinds of review, with when, where and who chairs it.
pub fn review_from_fhir(body: &[u8]) -> Result<ReviewForm, crate::outcome::OperationOutcome> {
    use crate::outcome::{IssueCode, OperationOutcome};
    let e: EncounterIn = crate::parse::resource(body, "Encounter")?;
    if e.status != "planned" {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "Encounter.status",
            "A review is scheduled as planned; it is finished by signing it off on its page.",
        ));
    }
    let named = |text: &str| {
        ReviewKind::ALL.iter().copied().find(|k| k.slug() == text.trim() || k.label().eq_ignore_ascii_case(text.trim()))
    };
    let kind = e
        .kind
        .iter()
        .flat_map(|c| c.text.iter().chain(c.coding.iter().filter_map(|c| c.code.as_ref())))
        .find_map(|t| named(t))
        .ok_or_else(|| {
            let kinds: Vec<&str> = ReviewKind::ALL.iter().map(|k| k.label()).collect();
            OperationOutcome::at(
                IssueCode::Value,
                "Encounter.type",
                format!("Say which kind of review it is, as type text: {}.", kinds.join(", ")),
            )
        })?;
    if e.period.as_ref().is_some_and(|p| p.end.is_some()) {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "Encounter.period.end",
            "A review is scheduled by when it starts; leave out its end.",
        ));
    }
    let start = e
        .period
        .as_ref()
        .and_then(|p| p.start.as_deref())
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .filter(|t| t.timestamp() % 60 == 0)
        .ok_or_else(|| {
            OperationOutcome::at(
                IssueCode::Value,
                "Encounter.period.start",
                "Say when the review starts, to the minute, as a date and time with its offset (for example 2026-12-03T14:30:00Z).",
            )
        })?;
    let place = match e.location.as_slice() {
        [] => String::new(),
        [l] => l.location.display.clone().unwrap_or_default(),
        _ => {
            return Err(OperationOutcome::at(
                IssueCode::Invalid,
                "Encounter.location",
                "Give one location: where the review happens, as its display.",
            ));
        }
    };
    let chair = crate::datatypes::extension(&e.extension, &chair_url())
        .and_then(|x| x.value_string.clone())
        .unwrap_or_default();
    let person = e.subject.reference.as_deref().and_then(|r| crate::search::Ref::parse(r, None));
    let mut invited = Vec::new();
    for (i, p) in e.participant.iter().enumerate() {
        let attendance =
            crate::datatypes::extension(&p.extension, &attendance_url()).and_then(|x| x.value_code.as_deref());
        if attendance.is_some_and(|a| a != Attendance::Invited.slug()) {
            return Err(OperationOutcome::at(
                IssueCode::Value,
                format!("Encounter.participant[{i}].extension"),
                "Everyone is invited to a review being scheduled; who came is recorded on the review page.",
            ));
        }
        let individual = p.individual.clone().unwrap_or_default();
        let reference = individual.reference.as_deref().map(|r| crate::search::Ref::parse(r, None));
        invited.push(match reference {
            Some(Some(r)) if r.kind == "Patient" && person.as_ref().is_some_and(|p| p.id == r.id) => InviteForm::Person,
            Some(Some(r)) if r.kind == "RelatedPerson" => InviteForm::Member(i, r.id),
            Some(_) => {
                return Err(OperationOutcome::at(
                    IssueCode::Value,
                    format!("Encounter.participant[{i}].individual"),
                    "Invite the person whose review it is (their Patient), someone in their circle (RelatedPerson), or anyone else by name in display with their role as type text.",
                ));
            }
            None => {
                let role = p.kind.first().and_then(|t| t.text.clone()).unwrap_or_default();
                let display = individual.display.unwrap_or_default();
                // Carethread writes "Name (Role)"; the role is type text.
                let name = display.strip_suffix(&format!(" ({role})")).unwrap_or(&display).to_string();
                InviteForm::Named(i, AttendeeInput { name, role })
            }
        });
    }
    Ok(ReviewForm { person, kind, start, place, chair, invited })
}

/// The scheduling form's errors, each against the element it came from.
pub fn review_errors(errors: &carethread_domain::errors::FieldErrors) -> crate::outcome::OperationOutcome {
    crate::outcome::OperationOutcome::from_fields(errors, |field| match field {
        "kind" => "Encounter.type",
        "place" => "Encounter.location",
        "chair" => "Encounter.extension",
        _ => "Encounter.period.start",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_searchable_theme_codes_are_the_six_themes() {
        assert_eq!(THEME_CODES.to_vec(), Theme::ALL.iter().map(|t| t.slug()).collect::<Vec<_>>());
    }

    fn body(theme: &str, vote: &str) -> Vec<u8> {
        let id = Uuid::nil();
        json!({
            "resourceType": "Observation",
            "status": "preliminary",
            "code": { "coding": [{ "system": terminology::code_system_url(THEMES), "code": theme }] },
            "subject": { "reference": format!("Patient/{id}") },
            "encounter": { "reference": format!("Encounter/{id}") },
            "performer": [{ "reference": format!("RelatedPerson/{id}") }],
            "valueCodeableConcept": { "coding": [{ "system": terminology::code_system_url(VOTES), "code": vote }] },
            "note": [{ "text": "Much better at the weekends" }]
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_vote_reads_from_an_observation_and_bad_ones_name_the_element() {
        let v = vote_from_fhir(&body("keeping-safe", "progressed")).expect("valid");
        assert_eq!(
            (v.theme, v.vote, v.performer.kind.as_str()),
            (Theme::KeepingSafe, Vote::Progressed, "RelatedPerson")
        );
        assert_eq!(v.comment.as_deref(), Some("Much better at the weekends"));
        let e = vote_from_fhir(&body("housing", "progressed")).expect_err("unknown theme");
        assert_eq!(e.issue[0].expression, ["Observation.code.coding"]);
        let e = vote_from_fhir(&body("keeping-safe", "better")).expect_err("unknown vote");
        assert_eq!(e.issue[0].expression, ["Observation.valueCodeableConcept.coding"]);
        let mut missing: serde_json::Value = serde_json::from_slice(&body("keeping-safe", "progressed")).expect("json");
        missing.as_object_mut().expect("object").remove("encounter");
        let e = vote_from_fhir(missing.to_string().as_bytes()).expect_err("no encounter");
        assert_eq!(e.issue[0].expression, ["Observation.encounter"]);
    }
}
