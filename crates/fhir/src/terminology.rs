//! Carethread's own code systems and value sets: the six value themes, and the three answers of
//! a democratic-outcome vote. Observations of votes code the theme in `code` and the answer in
//! `valueCodeableConcept`; clients look the codes up here.

use crate::CANONICAL;
use carethread_domain::circle::Source;
use carethread_domain::reviews::Vote;
use carethread_domain::themes::Theme;
use serde_json::{Value, json};

/// The ids the code systems and value sets are served under.
pub const THEMES: &str = "carethread-themes";
pub const VOTES: &str = "carethread-votes";
pub const PLAN_PARTS: &str = "carethread-plan-parts";
pub const CIRCLE: &str = "carethread-circle";

/// The three linked CarePlans of one plan version, told apart by category.
pub const PLAN_PART_CODES: [(&str, &str); 3] = [
    ("care-and-support", "Care and support plan, in the person's own words"),
    ("management", "Management plan"),
    ("escalation", "Escalation (crisis) plan"),
];

/// A code system's title, description, and (code, display) pairs.
type Concepts = (&'static str, &'static str, Vec<(String, String)>);

fn concepts(id: &str) -> Option<Concepts> {
    match id {
        THEMES => Some((
            "Carethread value themes",
            "The six themes a person's case is organised around.",
            Theme::ALL.iter().map(|t| (t.slug().to_string(), t.title().to_string())).collect(),
        )),
        VOTES => Some((
            "Carethread democratic outcome votes",
            "What each attendee of a review says of a theme since the last review.",
            Vote::ALL.iter().map(|v| (v.slug().to_string(), v.label().to_string())).collect(),
        )),
        PLAN_PARTS => Some((
            "Carethread plan parts",
            "The parts of a person's care and support plan, each a CarePlan of its own.",
            PLAN_PART_CODES.iter().map(|(c, d)| (c.to_string(), d.to_string())).collect(),
        )),
        CIRCLE => Some((
            "Carethread circle of support",
            "Where someone in a person's circle of support comes from.",
            Source::ALL.iter().map(|s| (s.slug().to_string(), s.label().to_string())).collect(),
        )),
        _ => None,
    }
}

/// A coding from one of Carethread's code systems, with its display.
pub fn coding(id: &str, code: &str) -> Value {
    let display = concepts(id).and_then(|(_, _, codes)| codes.into_iter().find(|(c, _)| c == code).map(|(_, d)| d));
    json!({ "system": code_system_url(id), "code": code, "display": display.unwrap_or_default() })
}

pub fn code_system_url(id: &str) -> String {
    format!("{CANONICAL}/CodeSystem/{id}")
}

/// The code system with this id, complete.
pub fn code_system(id: &str) -> Option<Value> {
    let (title, description, codes) = concepts(id)?;
    Some(json!({
        "resourceType": "CodeSystem",
        "id": id,
        "url": code_system_url(id),
        "version": "1",
        "name": title.replace(' ', ""),
        "title": title,
        "status": "active",
        "description": description,
        "caseSensitive": true,
        "content": "complete",
        "count": codes.len(),
        "concept": codes.iter().map(|(code, display)| json!({ "code": code, "display": display })).collect::<Vec<_>>()
    }))
}

/// The value set of every code in the code system with this id.
pub fn value_set(id: &str) -> Option<Value> {
    let (title, description, _) = concepts(id)?;
    Some(json!({
        "resourceType": "ValueSet",
        "id": id,
        "url": format!("{CANONICAL}/ValueSet/{id}"),
        "version": "1",
        "name": title.replace(' ', ""),
        "title": title,
        "status": "active",
        "description": description,
        "compose": { "include": [{ "system": code_system_url(id) }] }
    }))
}

/// Every id served.
pub const ALL: [&str; 4] = [THEMES, VOTES, PLAN_PARTS, CIRCLE];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_themes_and_votes_are_complete_code_systems() {
        let themes = code_system(THEMES).expect("themes");
        assert_eq!(themes["count"], 6);
        assert_eq!(themes["concept"][1]["code"], "about-me");
        let votes = code_system(VOTES).expect("votes");
        let codes: Vec<&str> =
            votes["concept"].as_array().expect("concepts").iter().filter_map(|c| c["code"].as_str()).collect();
        assert_eq!(codes, ["progressed", "unchanged", "slipped-back"]);
        assert_eq!(value_set(VOTES).expect("vs")["compose"]["include"][0]["system"], code_system_url(VOTES));
        assert!(code_system("nope").is_none());
    }
}
