//! Searchset bundles, with the total and `self`, `next` and `previous` links.

use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, Serialize)]
pub struct Link {
    pub relation: &'static str,
    pub url: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub full_url: String,
    pub resource: Value,
    pub search: EntrySearch,
}

#[derive(Clone, Debug, Serialize)]
pub struct EntrySearch {
    /// `match` for a result, `include` for a resource brought in by `_include`.
    pub mode: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "resourceType", rename = "Bundle")]
pub struct Bundle {
    #[serde(rename = "type")]
    pub type_: &'static str,
    /// Left out when the search stopped before counting every match (see [`Total::More`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    pub link: Vec<Link>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<Entry>,
}

/// How many resources a search matched, as far as it counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Total {
    /// Every match was counted: `Bundle.total` says how many.
    Exact(usize),
    /// The search stopped once it had this page and knew a next one exists, without counting the
    /// rest (a client asks for `_total=accurate` when it needs the count). `Bundle.total` is left
    /// out, as FHIR allows, and the `next` link is given.
    More,
}

/// A page of results. `query_without_paging` is the search as asked, without `_offset`, so the
/// links can add their own; `base` is the absolute address of the resource type's endpoint.
pub fn searchset(
    base: &str,
    query_without_paging: &str,
    total: Total,
    offset: usize,
    count: usize,
    entries: Vec<Entry>,
) -> Bundle {
    let page = |offset: usize| {
        let sep = if query_without_paging.is_empty() { "" } else { "&" };
        format!("{base}?{query_without_paging}{sep}_offset={offset}&_count={count}")
    };
    let mut link = vec![Link { relation: "self", url: page(offset) }];
    let more = match total {
        Total::Exact(total) => offset + count < total,
        Total::More => true,
    };
    if count > 0 && more {
        link.push(Link { relation: "next", url: page(offset + count) });
    }
    if offset > 0 {
        link.push(Link { relation: "previous", url: page(offset.saturating_sub(count)) });
    }
    let total = match total {
        Total::Exact(n) => Some(n),
        Total::More => None,
    };
    Bundle { type_: "searchset", total, link, entry: entries }
}

/// Rewrites every `reference` under `value` that names another entry of a transaction by its
/// `urn:` fullUrl, using `map` (fullUrl to `Type/id`). `path` is where `value` is, so an unknown
/// urn comes back as the element that names it.
pub fn rewrite_references(
    value: &mut Value,
    path: &str,
    map: &std::collections::HashMap<String, String>,
) -> Result<(), String> {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                let here = format!("{path}.{key}");
                match (key.as_str(), child) {
                    ("reference", Value::String(r)) if r.starts_with("urn:") => {
                        *r = map.get(r.as_str()).cloned().ok_or(here)?;
                    }
                    (_, child) => rewrite_references(child, &here, map)?,
                }
            }
        }
        Value::Array(list) => {
            for (i, child) in list.iter_mut().enumerate() {
                rewrite_references(child, &format!("{path}[{i}]"), map)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_page_through_the_results() {
        let b = searchset("http://h/fhir/Patient", "name=ok", Total::Exact(120), 50, 50, vec![]);
        let rel: Vec<&str> = b.link.iter().map(|l| l.relation).collect();
        assert_eq!(rel, ["self", "next", "previous"]);
        assert_eq!(b.link[1].url, "http://h/fhir/Patient?name=ok&_offset=100&_count=50");
        assert_eq!(b.link[2].url, "http://h/fhir/Patient?name=ok&_offset=0&_count=50");
        let last = searchset("http://h/fhir/Patient", "", Total::Exact(120), 100, 50, vec![]);
        assert_eq!(last.link.iter().map(|l| l.relation).collect::<Vec<_>>(), ["self", "previous"]);
        assert_eq!(last.link[0].url, "http://h/fhir/Patient?_offset=100&_count=50");
        assert_eq!(serde_json::to_value(&last).expect("json")["total"], 120);
    }

    #[test]
    fn an_uncounted_search_leaves_the_total_out_and_links_to_the_next_page() {
        let b = searchset("http://h/fhir/Task", "status=requested", Total::More, 0, 20, vec![]);
        assert_eq!(b.link.iter().map(|l| l.relation).collect::<Vec<_>>(), ["self", "next"]);
        assert_eq!(b.link[1].url, "http://h/fhir/Task?status=requested&_offset=20&_count=20");
        let json = serde_json::to_value(&b).expect("json");
        assert!(json.get("total").is_none(), "{json}");
    }
}
