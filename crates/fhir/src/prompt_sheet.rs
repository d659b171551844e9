//! Questionnaire and QuestionnaireResponse: the prompt sheet a person fills in before a review
//! ("before my review": per theme what is going well, what worries them, what they want to talk
//! about; who they want there; who helped). The Questionnaire is the same for everyone; each
//! review's sheet is a QuestionnaireResponse whose id is the review's, read back from a client
//! into the sheet's form by the same question ids.

use crate::datatypes::Reference;
use crate::outcome::{IssueCode, OperationOutcome};
use crate::search::Ref;
use carethread_domain::reviews::{PromptSheet, PromptSheetInput};
use carethread_domain::themes::Theme;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ID: &str = "prompt-sheet";

pub const RESPONSE_SEARCH: crate::search::Params =
    crate::search::Params { encounter: true, ..crate::search::Params::basic("QuestionnaireResponse", &["completed"]) };

pub fn url() -> String {
    format!("{}/Questionnaire/{ID}", crate::CANONICAL)
}

/// The three questions asked of each theme: (link id suffix, text).
const PER_THEME: [(&str, &str); 3] =
    [("going-well", "What is going well"), ("worries", "What worries me"), ("talk-about", "What I want to talk about")];

pub fn questionnaire() -> Value {
    let mut items: Vec<Value> = Theme::ALL
        .iter()
        .map(|t| {
            json!({
                "linkId": t.slug(),
                "text": t.title(),
                "type": "group",
                "code": [crate::terminology::coding(crate::terminology::THEMES, t.slug())],
                "item": PER_THEME.iter().map(|(id, text)| json!({
                    "linkId": format!("{}.{id}", t.slug()),
                    "text": text,
                    "type": "text",
                    "maxLength": carethread_domain::reviews::PROMPT_MAX,
                })).collect::<Vec<_>>()
            })
        })
        .collect();
    items.push(json!({ "linkId": "who-i-want-there", "text": "Who I want at my review", "type": "text" }));
    items.push(
        json!({ "linkId": "helped-by", "text": "Who helped me fill this in (if someone did)", "type": "string" }),
    );
    json!({
        "resourceType": "Questionnaire",
        "id": ID,
        "meta": { "versionId": "1" },
        "url": url(),
        "version": "1",
        "name": "PromptSheet",
        "title": "Before my review",
        "status": "active",
        "subjectType": ["Patient"],
        "description": "What the person wants people at their review to know, theme by theme, in their own words.",
        "item": items,
    })
}

/// One review's prompt sheet.
pub struct StoredSheet<'a> {
    pub review_id: Uuid,
    pub person_id: Uuid,
    pub sheet: &'a PromptSheet,
    pub saved_by: Option<&'a str>,
    pub saved_at: DateTime<Utc>,
    pub version: i64,
}

fn answer(link_id: String, text: &str, value: &str) -> Value {
    json!({ "linkId": link_id, "text": text, "answer": [{ "valueString": value }] })
}

pub fn response(s: &StoredSheet<'_>) -> Value {
    let mut items: Vec<Value> = Vec::new();
    for t in Theme::ALL {
        let a = s.sheet.of(t);
        let answers: Vec<Value> = PER_THEME
            .iter()
            .zip([&a.going_well, &a.worries, &a.talk_about])
            .filter_map(|((id, text), v)| v.as_deref().map(|v| answer(format!("{}.{id}", t.slug()), text, v)))
            .collect();
        if !answers.is_empty() {
            items.push(json!({ "linkId": t.slug(), "text": t.title(), "item": answers }));
        }
    }
    if let Some(w) = &s.sheet.who_i_want_there {
        items.push(answer("who-i-want-there".into(), "Who I want at my review", w));
    }
    if let Some(h) = &s.sheet.helped_by {
        items.push(answer("helped-by".into(), "Who helped me fill this in (if someone did)", h));
    }
    let mut r = json!({
        "resourceType": "QuestionnaireResponse",
        "id": s.review_id.to_string(),
        "meta": crate::meta(s.version, s.saved_at),
        "questionnaire": url(),
        "status": "completed",
        "subject": { "reference": format!("Patient/{}", s.person_id) },
        "encounter": { "reference": format!("Encounter/{}", s.review_id) },
        "authored": crate::instant(s.saved_at),
        "source": { "reference": format!("Patient/{}", s.person_id) },
    });
    if let Some(by) = s.saved_by {
        r["author"] = json!({ "display": by });
    }
    if !items.is_empty() {
        r["item"] = Value::Array(items);
    }
    r
}

/// A QuestionnaireResponse as a client sends it to fill in a review's prompt sheet.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseIn {
    pub resource_type: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<crate::datatypes::Meta>,
    #[serde(default)]
    pub text: Option<crate::datatypes::Narrative>,
    #[serde(default)]
    pub questionnaire: Option<String>,
    pub status: String,
    pub subject: Reference,
    pub encounter: Reference,
    #[serde(default)]
    pub authored: Option<String>,
    #[serde(default)]
    pub author: Option<Reference>,
    #[serde(default)]
    pub source: Option<Reference>,
    #[serde(default)]
    pub item: Vec<ItemIn>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ItemIn {
    pub link_id: String,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub answer: Vec<AnswerIn>,
    #[serde(default)]
    pub item: Vec<ItemIn>,
}

#[derive(Clone, Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerIn {
    pub value_string: String,
}

/// A prompt sheet read from a QuestionnaireResponse: whose and which review's it is, and the
/// answers as the sheet's form holds them (checked by the form's rules after).
pub struct SheetForm {
    pub id: Option<String>,
    pub person: Option<Ref>,
    pub review: Option<Ref>,
    pub input: PromptSheetInput,
}

/// Reads a filled-in prompt sheet: each answer is one item whose linkId is the question's in the
/// prompt sheet Questionnaire, the theme questions inside their theme's group.
pub fn sheet_from_fhir(body: &[u8]) -> Result<SheetForm, OperationOutcome> {
    let r: ResponseIn = crate::parse::resource(body, "QuestionnaireResponse")?;
    if r.questionnaire.as_deref().is_some_and(|q| q != url()) {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "QuestionnaireResponse.questionnaire",
            format!("Carethread keeps answers to its prompt sheet only: {}.", url()),
        ));
    }
    if r.status != "completed" {
        return Err(OperationOutcome::at(
            IssueCode::Value,
            "QuestionnaireResponse.status",
            "A prompt sheet is saved as completed; it can be changed until the review is signed off.",
        ));
    }
    let mut input = PromptSheetInput::new();
    for (i, item) in r.item.iter().enumerate() {
        let at = format!("QuestionnaireResponse.item[{i}]");
        match Theme::ALL.iter().find(|t| t.slug() == item.link_id) {
            Some(theme) => {
                for (j, question) in item.item.iter().enumerate() {
                    let at = format!("{at}.item[{j}]");
                    let prompt = question
                        .link_id
                        .strip_prefix(theme.slug())
                        .and_then(|rest| rest.strip_prefix('.'))
                        .filter(|p| PER_THEME.iter().any(|(id, _)| id == p))
                        .ok_or_else(|| unknown_question(&at))?;
                    input.insert(
                        carethread_domain::reviews::prompt_field(prompt, *theme).into(),
                        the_answer(question, &at)?,
                    );
                }
            }
            None if matches!(item.link_id.as_str(), "who-i-want-there" | "helped-by") && item.item.is_empty() => {
                input.insert(item.link_id.clone(), the_answer(item, &at)?);
            }
            None => return Err(unknown_question(&at)),
        }
    }
    let reference = |r: &Reference| r.reference.as_deref().and_then(|v| Ref::parse(v, None));
    Ok(SheetForm { id: r.id, person: reference(&r.subject), review: reference(&r.encounter), input })
}

fn unknown_question(at: &str) -> OperationOutcome {
    OperationOutcome::at(
        IssueCode::Value,
        format!("{at}.linkId"),
        "That is not a question of the prompt sheet: GET /fhir/Questionnaire/prompt-sheet lists them.",
    )
}

/// The one answer to a question.
fn the_answer(item: &ItemIn, at: &str) -> Result<String, OperationOutcome> {
    match item.answer.as_slice() {
        [one] => Ok(one.value_string.clone()),
        _ => Err(OperationOutcome::at(
            IssueCode::Invalid,
            format!("{at}.answer"),
            "Give each question one answer, as valueString (leave out a question not answered).",
        )),
    }
}

/// The prompt sheet form's errors, each against the answers.
pub fn sheet_errors(errors: &carethread_domain::errors::FieldErrors) -> OperationOutcome {
    OperationOutcome::from_fields(errors, |_| "QuestionnaireResponse.item")
}
