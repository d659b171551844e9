//! OperationOutcome: what went wrong, in words, with the element at fault.

use serde::{Deserialize, Serialize};

/// The FHIR issue type codes Carethread uses (a subset of the issue-type value set).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IssueCode {
    /// Not JSON, or not the shape of the resource.
    Structure,
    /// A required element is missing.
    Required,
    /// An element's value is not allowed (a bad check digit, an unknown code).
    Value,
    /// A rule across elements or records is broken.
    Invariant,
    /// Something else about the content is wrong.
    Invalid,
    /// The request is not supported (an unknown search parameter, a method not allowed).
    NotSupported,
    Security,
    Login,
    Forbidden,
    NotFound,
    /// The resource existed and was removed.
    Deleted,
    Conflict,
    Duplicate,
    Exception,
    Informational,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Fatal,
    Error,
    Warning,
    Information,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: Severity,
    pub code: IssueCode,
    pub diagnostics: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "resourceType", rename = "OperationOutcome")]
pub struct OperationOutcome {
    pub issue: Vec<Issue>,
}

impl OperationOutcome {
    pub fn error(code: IssueCode, diagnostics: impl Into<String>) -> Self {
        OperationOutcome {
            issue: vec![Issue { severity: Severity::Error, code, diagnostics: diagnostics.into(), expression: vec![] }],
        }
    }

    /// An error about one element, named as a FHIRPath expression.
    pub fn at(code: IssueCode, expression: impl Into<String>, diagnostics: impl Into<String>) -> Self {
        OperationOutcome {
            issue: vec![Issue {
                severity: Severity::Error,
                code,
                diagnostics: diagnostics.into(),
                expression: vec![expression.into()],
            }],
        }
    }

    pub fn information(diagnostics: impl Into<String>) -> Self {
        OperationOutcome {
            issue: vec![Issue {
                severity: Severity::Information,
                code: IssueCode::Informational,
                diagnostics: diagnostics.into(),
                expression: vec![],
            }],
        }
    }

    /// A form's errors, each against the element its field came from.
    pub fn from_fields(
        errors: &carethread_domain::errors::FieldErrors,
        element: impl Fn(&str) -> &'static str,
    ) -> Self {
        OperationOutcome {
            issue: errors
                .iter()
                .map(|e| Issue {
                    severity: Severity::Error,
                    code: IssueCode::Value,
                    diagnostics: e.message.clone(),
                    expression: vec![element(e.field).to_string()],
                })
                .collect(),
        }
    }

    /// The same issues, with each element named from inside a Bundle entry: `Condition.code`
    /// becomes `Bundle.entry[3].resource.code`.
    pub fn within_entry(mut self, index: usize) -> Self {
        let at = format!("Bundle.entry[{index}].resource");
        for issue in &mut self.issue {
            if issue.expression.is_empty() {
                issue.expression.push(at.clone());
            }
            for e in &mut issue.expression {
                *e = match e.split_once('.') {
                    Some((_, rest)) => format!("{at}.{rest}"),
                    None => at.clone(),
                };
            }
        }
        self
    }

    pub fn push(&mut self, issue: Issue) {
        self.issue.push(issue);
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"resourceType\":\"OperationOutcome\",\"issue\":[]}".into())
    }
}
