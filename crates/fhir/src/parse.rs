//! Reading a resource a client sent: JSON, of the expected type, with no element Carethread
//! does not know, each problem reported against the element at fault.

use crate::outcome::{IssueCode, OperationOutcome};
use serde::de::DeserializeOwned;

/// Parses `body` as a `resource_type` into `T`. `T` refuses unknown elements, so a misspelt or
/// unsupported element is an error rather than silently lost data.
pub fn resource<T: DeserializeOwned>(body: &[u8], resource_type: &str) -> Result<T, OperationOutcome> {
    value_as(json(body)?, resource_type)
}

/// The body as JSON, or why it is not.
pub fn json(body: &[u8]) -> Result<serde_json::Value, OperationOutcome> {
    serde_json::from_slice(body)
        .map_err(|e| OperationOutcome::error(IssueCode::Structure, format!("The body is not valid JSON: {e}.")))
}

/// Like [`resource`], for a resource already read as JSON (an entry of a Bundle).
pub fn value_as<T: DeserializeOwned>(value: serde_json::Value, resource_type: &str) -> Result<T, OperationOutcome> {
    let Some(object) = value.as_object() else {
        return Err(OperationOutcome::error(
            IssueCode::Structure,
            "The body must be a JSON object: one FHIR resource.",
        ));
    };
    match object.get("resourceType").and_then(|t| t.as_str()) {
        None => {
            return Err(OperationOutcome::at(
                IssueCode::Required,
                "resourceType",
                format!("Say what the resource is: \"resourceType\": \"{resource_type}\"."),
            ));
        }
        Some(t) if t != resource_type => {
            return Err(OperationOutcome::at(
                IssueCode::Structure,
                "resourceType",
                format!("Expected a {resource_type} here, not a {t}."),
            ));
        }
        Some(_) => {}
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // serde reports a missing field at the object's path, naming the field in its message.
        let field = message.split('`').nth(1).filter(|_| message.starts_with("missing field `"));
        let mut expression = if path == "." { resource_type.to_string() } else { format!("{resource_type}.{path}") };
        if let Some(field) = field {
            expression = format!("{expression}.{field}");
        }
        let code = if message.starts_with("unknown field") {
            IssueCode::Structure
        } else if message.starts_with("missing field") {
            IssueCode::Required
        } else {
            IssueCode::Value
        };
        OperationOutcome::at(code, expression, message)
    })
}
