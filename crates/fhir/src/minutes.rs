//! Composition: the minutes of a review. Every review has its minutes (empty until written), so a
//! Composition's id is its review's, like the prompt sheet's. There is a section for each theme
//! with minutes, holding a "Notes" and a "Decisions" section of plain text, and marked not asked
//! (`emptyReason`) when the review did not discuss the theme. Preliminary until the review is
//! signed off, final after, amended once a correction is recorded.

use crate::datatypes::{CodeableConcept, Narrative, Reference};
use crate::outcome::{IssueCode, OperationOutcome};
use crate::search::Ref;
use carethread_domain::reviews::{Minutes, MinutesInput, decisions_field, notes_field};
use carethread_domain::themes::Theme;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SEARCH: crate::search::Params = crate::search::Params {
    encounter: true,
    ..crate::search::Params::basic("Composition", &["preliminary", "final", "amended"])
};

/// Where FHIR's reasons a list is empty are defined: "notasked" says a theme was not discussed.
const EMPTY_REASON: &str = "http://terminology.hl7.org/CodeSystem/list-empty-reason";
const XHTML_OPEN: &str = "<div xmlns=\"http://www.w3.org/1999/xhtml\">";

/// One review's minutes.
pub struct StoredMinutes<'a> {
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub minutes: &'a Minutes,
    /// The review's kind and day, for the title.
    pub review: &'a str,
    pub chair: &'a str,
    pub signed_off: bool,
    pub amended: bool,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// The status a review's minutes have.
pub fn status(signed_off: bool, amended: bool) -> &'static str {
    match (signed_off, amended) {
        (false, _) => "preliminary",
        (true, false) => "final",
        (true, true) => "amended",
    }
}

fn narrative(text: &str) -> Value {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    json!({ "status": "additional", "div": format!("{XHTML_OPEN}{escaped}</div>") })
}

pub fn to_fhir(m: &StoredMinutes<'_>) -> Value {
    let mut sections = Vec::new();
    for theme in Theme::ALL {
        let Some(t) = m.minutes.0.get(theme.slug()) else {
            continue;
        };
        let parts: Vec<Value> = [("Notes", &t.notes), ("Decisions", &t.decisions)]
            .into_iter()
            .filter_map(|(title, text)| text.as_deref().map(|text| json!({ "title": title, "text": narrative(text) })))
            .collect();
        let mut section = json!({
            "title": theme.title(),
            "code": { "coding": [crate::terminology::coding(crate::terminology::THEMES, theme.slug())] },
        });
        if t.not_discussed {
            section["emptyReason"] = json!({
                "coding": [{ "system": EMPTY_REASON, "code": "notasked", "display": "Not Asked" }],
                "text": "Not discussed at this review"
            });
        }
        if parts.is_empty() {
            // A section says something: here, that the theme was not discussed.
            section["text"] = narrative("Not discussed at this review.");
        } else {
            section["section"] = json!(parts);
        }
        sections.push(section);
    }
    let mut c = json!({
        "resourceType": "Composition",
        "id": m.review_id.to_string(),
        "meta": crate::meta(m.version, m.updated_at),
        "status": status(m.signed_off, m.amended),
        "type": { "text": "Review minutes" },
        "subject": { "reference": format!("Patient/{}", m.person_id) },
        "encounter": { "reference": format!("Encounter/{}", m.review_id) },
        "date": crate::instant(m.updated_at),
        "author": [{ "display": m.chair }],
        "title": format!("Minutes of the {}", m.review),
    });
    if !sections.is_empty() {
        c["section"] = json!(sections);
    }
    c
}

/// A Composition as a client sends it to write a review's minutes.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompositionIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<Narrative>,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: CodeableConcept,
    pub subject: Reference,
    pub encounter: Reference,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub author: Vec<Reference>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub section: Vec<SectionIn>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SectionIn {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub text: Option<Narrative>,
    #[serde(default)]
    pub empty_reason: Option<CodeableConcept>,
    #[serde(default)]
    pub section: Vec<SectionIn>,
}

/// Minutes read from a Composition: whose and which review's they are, and the minutes as the
/// review page's form holds them (checked by the form's rules after).
pub struct MinutesForm {
    pub id: Option<String>,
    pub person: Option<Ref>,
    pub review: Option<Ref>,
    pub input: MinutesInput,
}

fn refused(code: IssueCode, at: impl Into<String>, message: &str) -> OperationOutcome {
    OperationOutcome::at(code, at, message)
}

/// The plain text of a narrative Carethread wrote: markup is not kept, so a div holding any is
/// refused rather than stripped.
fn plain_text(n: &Narrative, at: &str) -> Result<String, OperationOutcome> {
    let inner = n.div.trim().strip_prefix(XHTML_OPEN).and_then(|d| d.strip_suffix("</div>"));
    match inner {
        Some(text) if !text.contains('<') => Ok(text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&apos;", "'")
            .replace("&amp;", "&")),
        _ => Err(refused(
            IssueCode::Value,
            format!("{at}.text.div"),
            "Write the minutes as plain text inside <div xmlns=\"http://www.w3.org/1999/xhtml\">...</div>: markup is not kept.",
        )),
    }
}

/// Reads minutes sent as a Composition. A theme's section is found by its code, its parts by
/// their titles ("Notes", "Decisions"); a theme not discussed has the emptyReason "notasked".
pub fn minutes_from_fhir(body: &[u8]) -> Result<MinutesForm, OperationOutcome> {
    let c: CompositionIn = crate::parse::resource(body, "Composition")?;
    if c.status != "preliminary" {
        return Err(refused(
            IssueCode::Value,
            "Composition.status",
            "Minutes are written while the review is open (preliminary); they become final when the review is signed off on its page.",
        ));
    }
    let mut input = MinutesInput::new();
    let mut seen = Vec::new();
    for (i, section) in c.section.iter().enumerate() {
        let at = format!("Composition.section[{i}]");
        let theme = section
            .code
            .as_ref()
            .and_then(|code| {
                let themes = crate::terminology::code_system_url(crate::terminology::THEMES);
                code.coding.iter().find(|c| c.system.as_deref() == Some(themes.as_str()))
            })
            .and_then(|c| Theme::ALL.into_iter().find(|t| Some(t.slug()) == c.code.as_deref()))
            .ok_or_else(|| {
                refused(
                    IssueCode::Value,
                    format!("{at}.code"),
                    "Each section is one of the six themes, coded from the themes CodeSystem (GET /fhir/CodeSystem lists them).",
                )
            })?;
        if seen.contains(&theme) {
            return Err(refused(IssueCode::Value, format!("{at}.code"), "Give each theme one section."));
        }
        seen.push(theme);
        let not_asked = section
            .empty_reason
            .as_ref()
            .is_some_and(|r| r.coding.iter().any(|c| c.code.as_deref() == Some("notasked")));
        if not_asked {
            input.insert(format!("not-discussed-{}", theme.slug()), "on".into());
        }
        for (j, part) in section.section.iter().enumerate() {
            let at = format!("{at}.section[{j}]");
            let field = match part.title.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("notes") => notes_field(theme),
                Some("decisions") => decisions_field(theme),
                _ => {
                    return Err(refused(
                        IssueCode::Value,
                        format!("{at}.title"),
                        "A theme's minutes are in two parts, titled Notes and Decisions.",
                    ));
                }
            };
            let text = part.text.as_ref().ok_or_else(|| {
                refused(IssueCode::Required, format!("{at}.text"), "Each part holds its words as text.")
            })?;
            input.insert(field.to_string(), plain_text(text, &at)?);
        }
    }
    let reference = |r: &Reference| r.reference.as_deref().and_then(|v| Ref::parse(v, None));
    Ok(MinutesForm { id: c.id, person: reference(&c.subject), review: reference(&c.encounter), input })
}

/// The minutes form's errors, each against the sections.
pub fn minutes_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |_| "Composition.section")
}

#[cfg(test)]
mod tests {
    use super::*;
    use carethread_domain::reviews::{ThemeMinutes, parse_minutes};
    use std::collections::BTreeMap;

    #[test]
    fn minutes_written_out_read_back_the_same() {
        let mut by_theme = BTreeMap::new();
        by_theme.insert(
            Theme::JoiningIn.slug().to_string(),
            ThemeMinutes {
                notes: Some("Goes to art group <on Tuesdays> & likes it\nSecond line".into()),
                decisions: Some("Ask about \"Thursday\" too".into()),
                not_discussed: false,
            },
        );
        by_theme.insert(
            Theme::KeepingSafe.slug().to_string(),
            ThemeMinutes { notes: None, decisions: None, not_discussed: true },
        );
        let minutes = Minutes(by_theme);
        let out = to_fhir(&StoredMinutes {
            review_id: Uuid::now_v7(),
            person_id: Uuid::now_v7(),
            minutes: &minutes,
            review: "review on 1 December 2026",
            chair: "Priya Nair",
            signed_off: false,
            amended: false,
            version: 3,
            updated_at: Utc::now(),
        });
        let form = minutes_from_fhir(out.to_string().as_bytes()).expect("read back");
        assert_eq!(parse_minutes(&form.input).expect("valid"), minutes);

        let mut marked_up = out.clone();
        marked_up["section"][0]["section"][0]["text"]["div"] = json!(format!("{XHTML_OPEN}<b>bold</b></div>"));
        let refused = minutes_from_fhir(marked_up.to_string().as_bytes()).err().expect("refused");
        assert_eq!(refused.issue[0].expression, ["Composition.section[0].section[0].text.div"]);
        let mut signed = out;
        signed["status"] = json!("final");
        assert!(minutes_from_fhir(signed.to_string().as_bytes()).is_err());
    }
}
