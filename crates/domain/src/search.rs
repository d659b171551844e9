//! What a member of staff typed into "find a person": a name, an NHS number or a date of birth.

use crate::nhs_number::NhsNumber;
use chrono::NaiveDate;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeopleQuery {
    NhsNumber(NhsNumber),
    DateOfBirth(NaiveDate),
    /// Lower-cased, at least two characters; matched anywhere in a person's names.
    Name(String),
}

impl PeopleQuery {
    pub fn parse(input: &str) -> Result<Self, String> {
        let input = input.trim();
        if input.is_empty() {
            return Err("Enter a name, an NHS number or a date of birth to search for.".into());
        }
        let digits = input.chars().filter(char::is_ascii_digit).count();
        if digits == 10 && input.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '-') {
            return input.parse().map(PeopleQuery::NhsNumber).map_err(|e| e.to_string());
        }
        for format in ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %m %Y", "%d.%m.%Y"] {
            if let Ok(date) = NaiveDate::parse_from_str(input, format) {
                return Ok(PeopleQuery::DateOfBirth(date));
            }
        }
        if digits > 0 && input.chars().all(|c| c.is_ascii_digit() || " /-.".contains(c)) {
            return Err("That is neither a 10-digit NHS number nor a date like 27/03/1985.".into());
        }
        if input.chars().count() < 2 {
            return Err("Type at least 2 letters of a name.".into());
        }
        if input.chars().count() > 100 {
            return Err("A name to search for must be 100 characters or fewer.".into());
        }
        Ok(PeopleQuery::Name(input.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_told_apart() {
        assert!(matches!(PeopleQuery::parse("943 476 5919"), Ok(PeopleQuery::NhsNumber(_))));
        assert!(PeopleQuery::parse("943 476 5918").is_err_and(|e| e.contains("check")));
        assert_eq!(
            PeopleQuery::parse("27/03/1985"),
            Ok(PeopleQuery::DateOfBirth(NaiveDate::from_ymd_opt(1985, 3, 27).expect("date")))
        );
        assert!(matches!(PeopleQuery::parse("1985-03-27"), Ok(PeopleQuery::DateOfBirth(_))));
        assert!(PeopleQuery::parse("31/02/1985").is_err());
        assert_eq!(PeopleQuery::parse(" O'Neill "), Ok(PeopleQuery::Name("o'neill".into())));
        assert!(PeopleQuery::parse("a").is_err());
        assert!(PeopleQuery::parse("   ").is_err());
    }
}
