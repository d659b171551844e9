//! Search parameters: what a client may search each resource by, parsed into typed filters.
//! An unknown or unsupported parameter is an error (a client should know its search was not
//! what it asked for), unless the request says `Prefer: handling=lenient`, when it is ignored.

use crate::NHS_NUMBER_SYSTEM;
use crate::outcome::{IssueCode, OperationOutcome};
use carethread_domain::NhsNumber;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub const DEFAULT_COUNT: usize = 50;
pub const MAX_COUNT: usize = 1000;

/// Paging, sorting and summary, common to every search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub count: usize,
    /// Rows to skip: Carethread's own paging token, written into `next` and `previous` links.
    pub offset: usize,
    /// `_summary=count`: the total only.
    pub count_only: bool,
    /// `_total=accurate`: count every match even where the search could stop at the page.
    pub accurate_total: bool,
    /// `_sort=-_lastUpdated` (newest first) or `_lastUpdated`; otherwise by name or date.
    pub sort_last_updated: Option<Direction>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Ascending,
    Descending,
}

impl Default for Page {
    fn default() -> Self {
        Page { count: DEFAULT_COUNT, offset: 0, count_only: false, accurate_total: false, sort_last_updated: None }
    }
}

/// A date-time bound from a prefixed value (`ge2026-01-01`, `lt2026-11-24T10:00:00Z`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    /// Inclusive lower bound.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound.
    pub until: Option<DateTime<Utc>>,
}

/// What a Patient search asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatientSearch {
    pub ids: Option<Vec<Uuid>>,
    pub nhs_number: Option<NhsNumber>,
    pub name: Option<String>,
    pub birthdate: Option<NaiveDate>,
    pub last_updated: Vec<Bound>,
    pub page: Page,
}

fn bad(param: &str, message: impl Into<String>) -> OperationOutcome {
    OperationOutcome::at(IssueCode::Invalid, param.to_string(), message)
}

/// Parses the query of a Patient search. `lenient`: unknown parameters are ignored.
pub fn patient(query: &[(String, String)], lenient: bool) -> Result<PatientSearch, OperationOutcome> {
    let mut s = PatientSearch::default();
    for (name, value) in query {
        match name.as_str() {
            "_id" => {
                let ids: Result<Vec<Uuid>, _> = value.split(',').map(|v| v.trim().parse::<Uuid>()).collect();
                s.ids = Some(ids.map_err(|_| bad("_id", "Each _id must be a Carethread id."))?);
            }
            "identifier" => {
                let (system, number) = match value.split_once('|') {
                    Some((system, number)) => (Some(system), number),
                    None => (None, value.as_str()),
                };
                if system.is_some_and(|sys| !sys.is_empty() && sys != NHS_NUMBER_SYSTEM) {
                    return Err(bad(
                        "identifier",
                        format!("People are found by NHS number: {NHS_NUMBER_SYSTEM}|9990000018."),
                    ));
                }
                s.nhs_number = Some(
                    number.parse().map_err(|e: carethread_domain::NhsNumberError| bad("identifier", e.to_string()))?,
                );
            }
            "name" => {
                let v = value.trim();
                if v.is_empty() || v.chars().count() > 100 {
                    return Err(bad("name", "Give between 1 and 100 characters of the name."));
                }
                s.name = Some(v.to_lowercase());
            }
            "birthdate" => {
                let v = value.strip_prefix("eq").unwrap_or(value);
                s.birthdate = Some(
                    NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| bad("birthdate", "Give a date of birth as YYYY-MM-DD."))?,
                );
            }
            "_lastUpdated" => s.last_updated.push(bound("_lastUpdated", value)?),
            other => {
                if !common(&mut s.page, other, value)? && !lenient {
                    return Err(OperationOutcome::at(
                        IssueCode::NotSupported,
                        other.to_string(),
                        format!(
                            "Patient cannot be searched by {other}. Use _id, identifier, name, birthdate, _lastUpdated, _count, _sort or _summary, or send Prefer: handling=lenient to ignore it."
                        ),
                    ));
                }
            }
        }
    }
    Ok(s)
}

/// A reference as a search value or element: `Practitioner/<id>`, an absolute address ending so,
/// or (where the type is implied) a bare id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub kind: String,
    pub id: Uuid,
}

impl Ref {
    /// Parses `value`; `implied` is the type a bare id is taken to be, if any.
    pub fn parse(value: &str, implied: Option<&str>) -> Option<Ref> {
        let mut parts = value.trim().trim_end_matches('/').rsplit('/');
        let id: Uuid = parts.next()?.parse().ok()?;
        match parts.next() {
            Some(kind) if !kind.is_empty() => Some(Ref { kind: kind.to_string(), id }),
            _ => implied.map(|k| Ref { kind: k.to_string(), id }),
        }
    }
}

/// What a resource type other than Patient may be searched by.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub resource: &'static str,
    /// The FHIR status codes the resource uses; empty when it cannot be searched by status.
    pub statuses: &'static [&'static str],
    /// The category codes it can be searched by; empty when it has none.
    pub categories: &'static [&'static str],
    /// The types an `owner` may be; empty when the resource has no owner.
    pub owners: &'static [&'static str],
    /// The `_include` values it supports.
    pub includes: &'static [&'static str],
    /// The codes it can be searched by with `code`; empty when it has none.
    pub codes: &'static [&'static str],
    /// Whether it can be searched by `encounter` (the review it belongs to).
    pub encounter: bool,
    /// Whether it can be searched by `date` (when it happened).
    pub date: bool,
}

impl Params {
    /// Every parameter a search of this resource takes, in a fixed order.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = vec!["_id", "patient", "subject"];
        let optional = [
            (!self.statuses.is_empty(), "status"),
            (!self.categories.is_empty(), "category"),
            (!self.owners.is_empty(), "owner"),
            (!self.includes.is_empty(), "_include"),
            (!self.codes.is_empty(), "code"),
            (self.encounter, "encounter"),
            (self.date, "date"),
        ];
        names.extend(optional.iter().filter(|(on, _)| *on).map(|(_, name)| *name));
        names.extend(["_lastUpdated", "_count", "_offset", "_sort", "_summary", "_total", "_format"]);
        names
    }

    /// A resource with none of the optional parameters.
    pub const fn basic(resource: &'static str, statuses: &'static [&'static str]) -> Params {
        Params {
            resource,
            statuses,
            categories: &[],
            owners: &[],
            includes: &[],
            codes: &[],
            encounter: false,
            date: false,
        }
    }
}

/// A search of one of the case resources.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    pub ids: Option<Vec<Uuid>>,
    /// `patient` or `subject`: the person whose record it is.
    pub patient: Option<Uuid>,
    pub statuses: Vec<String>,
    pub categories: Vec<String>,
    pub owner: Option<Ref>,
    pub includes: Vec<String>,
    pub codes: Vec<String>,
    pub encounter: Option<Uuid>,
    pub dates: Vec<Bound>,
    /// `_sort=date` or `-date`, where `date` can be searched: by when the review is (see [`date_of`]).
    pub sort_date: Option<Direction>,
    pub last_updated: Vec<Bound>,
    pub page: Page,
}

/// The date a `date` search and `_sort=date` look at in a resource: when the review is, for an
/// Encounter and for a vote cast in it.
pub fn date_of(resource: &serde_json::Value) -> Option<DateTime<Utc>> {
    let text = match resource["resourceType"].as_str()? {
        "Encounter" => resource["period"]["start"].as_str()?,
        "Observation" => resource["effectiveDateTime"].as_str()?,
        _ => return None,
    };
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// Parses the query of a search of the resource `params` describes.
pub fn resource(params: &Params, query: &[(String, String)], lenient: bool) -> Result<Search, OperationOutcome> {
    let mut s = Search::default();
    let codes = |name: &str, value: &str, allowed: &[&str]| -> Result<Vec<String>, OperationOutcome> {
        value
            .split(',')
            .map(|v| {
                // A token may carry its system: `system|code`; the codes are unambiguous here.
                let code = v.rsplit('|').next().unwrap_or(v).trim();
                if allowed.contains(&code) {
                    Ok(code.to_string())
                } else {
                    Err(bad(name, format!("{code:?} is not one of: {}.", allowed.join(", "))))
                }
            })
            .collect()
    };
    for (name, value) in query {
        match name.as_str() {
            "_id" => {
                let ids: Result<Vec<Uuid>, _> = value.split(',').map(|v| v.trim().parse::<Uuid>()).collect();
                s.ids = Some(ids.map_err(|_| bad("_id", "Each _id must be a Carethread id."))?);
            }
            "patient" | "subject" => {
                let r = Ref::parse(value, Some("Patient"))
                    .filter(|r| r.kind == "Patient")
                    .ok_or_else(|| bad(name, format!("{name} must be a Patient: Patient/<id>.")))?;
                if s.patient.is_some_and(|p| p != r.id) {
                    return Err(bad(name, "Search for one patient at a time."));
                }
                s.patient = Some(r.id);
            }
            "status" if !params.statuses.is_empty() => s.statuses.extend(codes("status", value, params.statuses)?),
            "category" if !params.categories.is_empty() => {
                s.categories.extend(codes("category", value, params.categories)?)
            }
            "owner" if !params.owners.is_empty() => {
                let r =
                    Ref::parse(value, None).filter(|r| params.owners.contains(&r.kind.as_str())).ok_or_else(|| {
                        bad("owner", format!("owner must be a reference to a {}: Type/<id>.", params.owners.join(", ")))
                    })?;
                s.owner = Some(r);
            }
            "code" if !params.codes.is_empty() => s.codes.extend(codes("code", value, params.codes)?),
            "encounter" if params.encounter => {
                let r = Ref::parse(value, Some("Encounter"))
                    .filter(|r| r.kind == "Encounter")
                    .ok_or_else(|| bad("encounter", "encounter must be a review: Encounter/<id>."))?;
                s.encounter = Some(r.id);
            }
            "date" if params.date => s.dates.push(bound("date", value)?),
            "_sort" if params.date && matches!(value.as_str(), "date" | "-date") => {
                s.sort_date = Some(if value.starts_with('-') { Direction::Descending } else { Direction::Ascending });
            }
            "_include" => {
                let v = value.as_str();
                if !params.includes.contains(&v) {
                    let supported =
                        if params.includes.is_empty() { "none".to_string() } else { params.includes.join(", ") };
                    return Err(OperationOutcome::at(
                        IssueCode::NotSupported,
                        "_include",
                        format!("{} supports these _include values: {supported}.", params.resource),
                    ));
                }
                s.includes.push(v.to_string());
            }
            "_lastUpdated" => s.last_updated.push(bound("_lastUpdated", value)?),
            other => {
                if !common(&mut s.page, other, value)? && !lenient {
                    return Err(OperationOutcome::at(
                        IssueCode::NotSupported,
                        other.to_string(),
                        format!(
                            "{} cannot be searched by {other}. Use {}, or send Prefer: handling=lenient to ignore it.",
                            params.resource,
                            params.names().join(", ")
                        ),
                    ));
                }
            }
        }
    }
    Ok(s)
}

impl Search {
    /// Whether a resource last changed at `at` falls within every `_lastUpdated` bound.
    pub fn updated_within(&self, at: DateTime<Utc>) -> bool {
        within(&self.last_updated, at)
    }
    /// Whether something that happened at `at` falls within every `date` bound.
    pub fn dated_within(&self, at: DateTime<Utc>) -> bool {
        within(&self.dates, at)
    }
}

fn within(bounds: &[Bound], at: DateTime<Utc>) -> bool {
    bounds.iter().all(|b| b.from.is_none_or(|f| at >= f) && b.until.is_none_or(|u| at < u))
}

/// The parameters every search takes. Returns whether `name` was one of them.
fn common(page: &mut Page, name: &str, value: &str) -> Result<bool, OperationOutcome> {
    match name {
        "_count" => {
            let n: usize = value.parse().map_err(|_| bad("_count", "_count must be a whole number."))?;
            if n > MAX_COUNT {
                return Err(bad("_count", format!("_count can be at most {MAX_COUNT}.")));
            }
            page.count = n;
        }
        "_offset" => page.offset = value.parse().map_err(|_| bad("_offset", "_offset must be a whole number."))?,
        // "none" and "estimate" let the server choose, which it does anyway.
        "_total" => match value {
            "accurate" => page.accurate_total = true,
            "none" | "estimate" => {}
            _ => return Err(bad("_total", "_total can be none, estimate or accurate.")),
        },
        "_summary" => match value {
            "count" => page.count_only = true,
            "false" => {}
            _ => return Err(bad("_summary", "Only _summary=count is supported.")),
        },
        "_sort" => {
            page.sort_last_updated = Some(match value {
                "_lastUpdated" => Direction::Ascending,
                "-_lastUpdated" => Direction::Descending,
                _ => {
                    return Err(bad(
                        "_sort",
                        "Results can be sorted by _lastUpdated or -_lastUpdated, and by date or -date where date can be searched.",
                    ));
                }
            })
        }
        "_format" => {
            if !matches!(value, "json" | "application/json" | "application/fhir+json") {
                return Err(OperationOutcome::at(
                    IssueCode::NotSupported,
                    "_format",
                    "Carethread speaks FHIR JSON only.",
                ));
            }
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// A `_lastUpdated` (or other date) value with its prefix, as a range.
fn bound(param: &str, value: &str) -> Result<Bound, OperationOutcome> {
    let (prefix, rest) = match value.get(..2) {
        Some(p @ ("eq" | "ge" | "gt" | "le" | "lt")) => (p, &value[2..]),
        _ => ("eq", value),
    };
    let message = || {
        bad(
            param,
            "Give a date (YYYY-MM-DD) or a date and time with a time zone, with an optional prefix ge, gt, le, lt or eq.",
        )
    };
    let (start, end) = if let Ok(t) = DateTime::parse_from_rfc3339(rest) {
        let t = t.with_timezone(&Utc);
        (t, t + chrono::Duration::seconds(1))
    } else {
        let day = NaiveDate::parse_from_str(rest, "%Y-%m-%d").map_err(|_| message())?;
        let start = day.and_hms_opt(0, 0, 0).ok_or_else(message)?.and_utc();
        (start, start + chrono::Duration::days(1))
    };
    Ok(match prefix {
        "ge" => Bound { from: Some(start), until: None },
        "gt" => Bound { from: Some(end), until: None },
        "le" => Bound { from: None, until: Some(end) },
        "lt" => Bound { from: None, until: Some(start) },
        _ => Bound { from: Some(start), until: Some(end) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_by_date_is_taken_only_where_date_can_be_searched() {
        let encounters = Params { date: true, ..Params::basic("Encounter", &[]) };
        let s = resource(&encounters, &q(&[("_sort", "-date")]), false).expect("parsed");
        assert_eq!(s.sort_date, Some(Direction::Descending));
        assert_eq!(
            resource(&encounters, &q(&[("_sort", "date")]), false).expect("parsed").sort_date,
            Some(Direction::Ascending)
        );
        let refused = resource(&Params::basic("Condition", &[]), &q(&[("_sort", "date")]), false).expect_err("refused");
        assert_eq!(refused.issue[0].expression, ["_sort"]);
        let encounter =
            serde_json::json!({ "resourceType": "Encounter", "period": { "start": "2026-12-01T10:00:00+00:00" } });
        assert_eq!(date_of(&encounter).map(|d| d.to_rfc3339()), Some("2026-12-01T10:00:00+00:00".to_string()));
    }

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn patient_searches_parse_into_filters() {
        let s = patient(
            &q(&[
                ("identifier", "https://fhir.nhs.uk/Id/nhs-number|9990000018"),
                ("_count", "10"),
                ("_lastUpdated", "ge2026-01-01"),
                ("_sort", "-_lastUpdated"),
            ]),
            false,
        )
        .expect("valid");
        assert_eq!(s.nhs_number.map(|n| n.digits()), Some("9990000018".into()));
        assert_eq!(s.page.count, 10);
        assert_eq!(s.page.sort_last_updated, Some(Direction::Descending));
        assert!(s.last_updated[0].from.is_some() && s.last_updated[0].until.is_none());
        assert!(patient(&q(&[("identifier", "9990000018")]), false).expect("bare value").nhs_number.is_some());
    }

    #[test]
    fn bad_or_unknown_parameters_are_refused_naming_them() {
        for (name, value) in [
            ("identifier", "9990000019"),
            ("identifier", "http://other|123"),
            ("_count", "-1"),
            ("_count", "5000"),
            ("_id", "not-an-id"),
            ("birthdate", "12/04/1998"),
            ("_lastUpdated", "yesterday"),
            ("_sort", "family"),
            ("_summary", "text"),
            ("_format", "xml"),
            ("gender", "male"),
        ] {
            let o = patient(&q(&[(name, value)]), false).expect_err(name);
            assert_eq!(o.issue[0].expression, vec![name.to_string()], "{name}={value}");
        }
        assert!(patient(&q(&[("gender", "male")]), true).is_ok(), "lenient ignores what it does not know");
        assert!(patient(&q(&[("_count", "5000")]), true).is_err(), "but never a bad value of a known one");
    }

    const TASK: Params =
        Params { owners: &["Practitioner", "RelatedPerson"], ..Params::basic("Task", &["requested", "completed"]) };

    #[test]
    fn case_resource_searches_take_references_codes_and_refuse_the_rest() {
        let id = "0196f0a0-0000-7000-8000-000000000001";
        let s = resource(
            &TASK,
            &q(&[
                ("subject", &format!("http://h/fhir/Patient/{id}")),
                ("owner", &format!("Practitioner/{id}")),
                ("status", "requested,http://hl7.org/fhir/task-status|completed"),
            ]),
            false,
        )
        .expect("valid");
        assert_eq!(s.patient.map(|p| p.to_string()), Some(id.to_string()));
        assert_eq!(s.owner.map(|o| o.kind), Some("Practitioner".to_string()));
        assert_eq!(s.statuses, ["requested", "completed"]);
        for (name, value) in [
            ("status", "finished"),
            ("owner", "Organization/0196f0a0-0000-7000-8000-000000000001"),
            ("owner", "Practitioner/nobody"),
            ("patient", "Group/0196f0a0-0000-7000-8000-000000000001"),
            ("category", "x"),
            ("_include", "CarePlan:goal"),
            ("code", "x"),
        ] {
            let o = resource(&TASK, &q(&[(name, value)]), false).expect_err(name);
            assert_eq!(o.issue[0].expression, vec![name.to_string()], "{name}={value}");
        }
    }
}
