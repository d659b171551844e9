//! Questionnaire and QuestionnaireResponse: the prompt sheet a person fills in before a review
//! ("before my review": per theme what is going well, what worries them, what they want to talk
//! about; who they want there; who helped). The Questionnaire is the same for everyone; each
//! review's sheet is a QuestionnaireResponse whose id is the review's.

use carethread_domain::reviews::PromptSheet;
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
        "meta": crate::meta(1, s.saved_at),
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
