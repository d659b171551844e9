//! A person's details as registered: who they are and how to communicate with them.

use crate::errors::FieldErrors;
use crate::nhs_number::NhsNumber;
use crate::text::{optional, required};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The form as typed. Every field is text so nothing a person typed is lost when the form is
/// shown again with errors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonInput {
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: String,
    pub pronouns: String,
    pub dob_day: String,
    pub dob_month: String,
    pub dob_year: String,
    pub nhs_number: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub communication_needs: String,
    /// A checkbox: present ("yes") when ticked.
    pub easy_read: Option<String>,
    pub language: String,
    pub interpreter_needed: Option<String>,
}

/// A person's details, every field checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDetails {
    pub given_name: String,
    pub family_name: String,
    pub preferred_name: Option<String>,
    pub pronouns: Option<String>,
    pub date_of_birth: NaiveDate,
    pub nhs_number: NhsNumber,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub communication_needs: Option<String>,
    /// Whether the person prefers easy-read pages and documents.
    pub easy_read: bool,
    pub language: Option<String>,
    pub interpreter_needed: bool,
}

pub const NAME_MAX: usize = 100;

/// One field that differs between two versions: (field label, value before, value after).
pub type FieldChange = (&'static str, String, String);

impl PersonInput {
    /// Checks every field against the rules and returns the details, or every problem found.
    /// `today` bounds the date of birth (the domain has no clock of its own).
    pub fn parse(&self, today: NaiveDate) -> Result<PersonDetails, FieldErrors> {
        let mut errors = FieldErrors::new();
        let given_name = required(&mut errors, "given_name", "a first name", &self.given_name, NAME_MAX);
        let family_name = required(&mut errors, "family_name", "a last name", &self.family_name, NAME_MAX);
        let preferred_name =
            optional(&mut errors, "preferred_name", "the preferred name", &self.preferred_name, NAME_MAX);
        let pronouns = optional(&mut errors, "pronouns", "the pronouns", &self.pronouns, 40);
        let date_of_birth = parse_date_of_birth(&mut errors, &self.dob_day, &self.dob_month, &self.dob_year, today);
        let nhs_number = match self.nhs_number.trim() {
            "" => {
                errors.add("nhs_number", "Enter the NHS number. It is 10 digits, for example 999 123 4567.");
                None
            }
            typed => match typed.parse::<NhsNumber>() {
                Ok(n) => Some(n),
                Err(e) => {
                    errors.add("nhs_number", e.to_string());
                    None
                }
            },
        };
        let phone = optional(&mut errors, "phone", "the phone number", &self.phone, 30);
        if let Some(p) = &phone
            && !p.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c))
        {
            errors.add("phone", "A phone number can only use digits, spaces, +, brackets and dashes.");
        }
        let email = optional(&mut errors, "email", "the email address", &self.email, 254);
        if let Some(e) = &email
            && !looks_like_email(e)
        {
            errors.add("email", "Enter an email address in the right format, like name@example.org.");
        }
        let address = optional(&mut errors, "address", "the address", &self.address, 500);
        let communication_needs =
            optional(&mut errors, "communication_needs", "the communication needs", &self.communication_needs, 2000);
        let language = optional(&mut errors, "language", "the language", &self.language, 60);
        let easy_read = self.easy_read.is_some();
        let interpreter_needed = self.interpreter_needed.is_some();
        match (date_of_birth, nhs_number) {
            (Some(date_of_birth), Some(nhs_number)) if errors.is_empty() => Ok(PersonDetails {
                given_name,
                family_name,
                preferred_name,
                pronouns,
                date_of_birth,
                nhs_number,
                phone,
                email,
                address,
                communication_needs,
                easy_read,
                language,
                interpreter_needed,
            }),
            _ => Err(errors),
        }
    }
}

impl PersonDetails {
    /// The name to use when talking to or about the person.
    pub fn display_name(&self) -> String {
        format!("{} {}", self.preferred_name.as_deref().unwrap_or(&self.given_name), self.family_name)
    }

    /// The form filled in with these details, for editing.
    pub fn to_input(&self) -> PersonInput {
        PersonInput {
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            preferred_name: self.preferred_name.clone().unwrap_or_default(),
            pronouns: self.pronouns.clone().unwrap_or_default(),
            dob_day: self.date_of_birth.day().to_string(),
            dob_month: self.date_of_birth.month().to_string(),
            dob_year: self.date_of_birth.year().to_string(),
            nhs_number: self.nhs_number.to_string(),
            phone: self.phone.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            address: self.address.clone().unwrap_or_default(),
            communication_needs: self.communication_needs.clone().unwrap_or_default(),
            easy_read: self.easy_read.then(|| "yes".to_string()),
            language: self.language.clone().unwrap_or_default(),
            interpreter_needed: self.interpreter_needed.then(|| "yes".to_string()),
        }
    }

    /// The fields that differ between two versions, as (label, before, after), in form order.
    /// Used to tell someone whose edit was refused exactly what changed under them.
    pub fn differences(&self, other: &PersonDetails) -> Vec<FieldChange> {
        let a = self.labelled_values();
        let b = other.labelled_values();
        a.into_iter().zip(b).filter(|((_, x), (_, y))| x != y).map(|((label, x), (_, y))| (label, x, y)).collect()
    }

    fn labelled_values(&self) -> Vec<(&'static str, String)> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(blank)".to_string());
        let yes_no = |v: bool| if v { "yes" } else { "no" }.to_string();
        vec![
            ("First name", self.given_name.clone()),
            ("Last name", self.family_name.clone()),
            ("Preferred name", opt(&self.preferred_name)),
            ("Pronouns", opt(&self.pronouns)),
            ("Date of birth", self.date_of_birth.format("%-d %B %Y").to_string()),
            ("NHS number", self.nhs_number.to_string()),
            ("Phone", opt(&self.phone)),
            ("Email", opt(&self.email)),
            ("Address", opt(&self.address)),
            ("Communication needs", opt(&self.communication_needs)),
            ("Prefers easy read", yes_no(self.easy_read)),
            ("Language", opt(&self.language)),
            ("Needs an interpreter", yes_no(self.interpreter_needed)),
        ]
    }
}

fn looks_like_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Reads a date typed as day, month and year boxes (the NHS date input pattern), recording a
/// plain-words error against `field` when it is missing or not a real date.
pub fn parse_date(
    errors: &mut FieldErrors,
    field: &'static str,
    day: &str,
    month: &str,
    year: &str,
) -> Option<NaiveDate> {
    parse_labelled_date(errors, field, "The date", day, month, year)
}

fn parse_labelled_date(
    errors: &mut FieldErrors,
    field: &'static str,
    label: &str,
    day: &str,
    month: &str,
    year: &str,
) -> Option<NaiveDate> {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    if day.is_empty() && month.is_empty() && year.is_empty() {
        errors.add(field, format!("Enter {}.", label.to_lowercase()));
        return None;
    }
    let number = |s: &str| s.parse::<u32>().ok();
    let date = match (number(day), number(month), number(year)) {
        (Some(d), Some(m), Some(y)) if year.len() == 4 => NaiveDate::from_ymd_opt(y as i32, m, d),
        _ => None,
    };
    if date.is_none() {
        errors.add(field, format!("{label} must be a real date, with a 4-digit year, for example 27 3 1985."));
    }
    date
}

/// Reads a date of birth: a real date, not in the future, not before 1900.
pub fn parse_date_of_birth(
    errors: &mut FieldErrors,
    day: &str,
    month: &str,
    year: &str,
    today: NaiveDate,
) -> Option<NaiveDate> {
    match parse_labelled_date(errors, "date_of_birth", "Date of birth", day, month, year) {
        Some(d) if d > today => {
            errors.add("date_of_birth", "Date of birth must be today or in the past.");
            None
        }
        Some(d) if d.year() < 1900 => {
            errors.add("date_of_birth", "Date of birth must be after 1900.");
            None
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).expect("valid date")
    }

    fn good() -> PersonInput {
        PersonInput {
            given_name: "Alex".into(),
            family_name: "Rowe".into(),
            dob_day: "29".into(),
            dob_month: "2".into(),
            dob_year: "1996".into(),
            nhs_number: "943 476 5919".into(),
            email: "alex@example.org".into(),
            easy_read: Some("yes".into()),
            ..PersonInput::default()
        }
    }

    #[test]
    fn a_complete_form_parses() {
        let details = good().parse(today()).expect("valid");
        assert_eq!(details.display_name(), "Alex Rowe");
        assert!(details.easy_read);
        assert!(!details.interpreter_needed);
        assert_eq!(details.to_input().parse(today()), Ok(details));
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let input = PersonInput {
            given_name: "  ".into(),
            family_name: "x".repeat(101),
            dob_day: "30".into(),
            dob_month: "2".into(),
            dob_year: "2001".into(),
            nhs_number: "943 476 5918".into(),
            email: "not-an-email".into(),
            phone: "call me".into(),
            ..PersonInput::default()
        };
        let errors = input.parse(today()).expect_err("invalid");
        for field in ["given_name", "family_name", "date_of_birth", "nhs_number", "email", "phone"] {
            assert!(errors.get(field).is_some(), "expected an error for {field}: {errors}");
        }
        assert!(errors.get("date_of_birth").is_some_and(|m| m.contains("real date")));
    }

    #[test]
    fn dates_of_birth_are_real_and_in_the_past() {
        let mut errors = FieldErrors::new();
        assert!(parse_date_of_birth(&mut errors, "24", "11", "2026", today()).is_none());
        assert!(parse_date_of_birth(&mut errors, "1", "1", "1899", today()).is_none());
        assert!(parse_date_of_birth(&mut errors, "1", "13", "1990", today()).is_none());
        assert!(parse_date_of_birth(&mut errors, "1", "1", "90", today()).is_none());
        assert!(parse_date_of_birth(&mut errors, "23", "11", "2026", today()).is_some());
    }

    #[test]
    fn differences_name_the_changed_fields() {
        let before = good().parse(today()).expect("valid");
        let mut after = before.clone();
        after.preferred_name = Some("Al".into());
        after.easy_read = false;
        let diff = before.differences(&after);
        assert_eq!(
            diff,
            vec![
                ("Preferred name", "(blank)".to_string(), "Al".to_string()),
                ("Prefers easy read", "yes".to_string(), "no".to_string()),
            ]
        );
    }
}
