//! Free text from forms: trimmed, length-limited, and empty meaning "not given".

use crate::errors::FieldErrors;

/// Reads a required text field: trimmed, not empty, at most `max` characters. Records a
/// plain-words error against `field` otherwise.
pub fn required(errors: &mut FieldErrors, field: &'static str, label: &str, value: &str, max: usize) -> String {
    let value = value.trim();
    if value.is_empty() {
        errors.add(field, format!("Enter {label}."));
    } else if value.chars().count() > max {
        errors.add(field, format!("{} must be {max} characters or fewer.", capitalise(label)));
    } else if value.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errors.add(field, format!("{} contains characters that cannot be shown. Retype it.", capitalise(label)));
    }
    value.to_string()
}

/// Reads an optional text field: `None` when blank, otherwise the same rules as [`required`].
pub fn optional(errors: &mut FieldErrors, field: &'static str, label: &str, value: &str, max: usize) -> Option<String> {
    if value.trim().is_empty() { None } else { Some(required(errors, field, label, value, max)) }
}

fn capitalise(label: &str) -> String {
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_and_optional_text() {
        let mut errors = FieldErrors::new();
        assert_eq!(required(&mut errors, "a", "a name", "  Sam  ", 10), "Sam");
        assert!(errors.is_empty());
        required(&mut errors, "b", "a name", "   ", 10);
        assert_eq!(errors.get("b"), Some("Enter a name."));
        required(&mut errors, "c", "a name", "abcdefghijk", 10);
        assert_eq!(errors.get("c"), Some("A name must be 10 characters or fewer."));
        assert_eq!(optional(&mut errors, "d", "pronouns", "  ", 10), None);
        required(&mut errors, "e", "a name", "a\u{0}b", 10);
        assert!(errors.get("e").is_some());
    }
}
