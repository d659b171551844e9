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
    pub total: usize,
    pub link: Vec<Link>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<Entry>,
}

/// A page of results. `query_without_paging` is the search as asked, without `_offset`, so the
/// links can add their own; `base` is the absolute address of the resource type's endpoint.
pub fn searchset(
    base: &str,
    query_without_paging: &str,
    total: usize,
    offset: usize,
    count: usize,
    entries: Vec<Entry>,
) -> Bundle {
    let page = |offset: usize| {
        let sep = if query_without_paging.is_empty() { "" } else { "&" };
        format!("{base}?{query_without_paging}{sep}_offset={offset}&_count={count}")
    };
    let mut link = vec![Link { relation: "self", url: page(offset) }];
    if count > 0 && offset + count < total {
        link.push(Link { relation: "next", url: page(offset + count) });
    }
    if offset > 0 {
        link.push(Link { relation: "previous", url: page(offset.saturating_sub(count)) });
    }
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
        let b = searchset("http://h/fhir/Patient", "name=ok", 120, 50, 50, vec![]);
        let rel: Vec<&str> = b.link.iter().map(|l| l.relation).collect();
        assert_eq!(rel, ["self", "next", "previous"]);
        assert_eq!(b.link[1].url, "http://h/fhir/Patient?name=ok&_offset=100&_count=50");
        assert_eq!(b.link[2].url, "http://h/fhir/Patient?name=ok&_offset=0&_count=50");
        let last = searchset("http://h/fhir/Patient", "", 120, 100, 50, vec![]);
        assert_eq!(last.link.iter().map(|l| l.relation).collect::<Vec<_>>(), ["self", "previous"]);
        assert_eq!(last.link[0].url, "http://h/fhir/Patient?_offset=100&_count=50");
    }
}
