//! The NHS number: ten digits, the last a modulus-11 check digit over the first nine.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A ten-digit NHS number whose check digit is correct. Stored as its ten digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber([u8; 10]);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NhsNumberError {
    #[error("An NHS number has 10 digits. Spaces and dashes are fine, other characters are not.")]
    WrongShape,
    #[error(
        "This is not a valid NHS number: its last digit does not match the check. Check each digit against the letter or card."
    )]
    BadCheckDigit,
}

impl NhsNumber {
    /// The check digit the first nine digits call for, or `None` when they cannot form a valid
    /// number (the modulus-11 calculation gives 10).
    pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
        let sum: u32 = first_nine.iter().enumerate().map(|(i, d)| u32::from(*d) * (10 - i as u32)).sum();
        match 11 - (sum % 11) {
            11 => Some(0),
            10 => None,
            check => Some(check as u8),
        }
    }

    /// Builds the valid NHS number that starts with these nine digits, if there is one.
    pub fn from_first_nine(first_nine: [u8; 9]) -> Option<Self> {
        let check = Self::check_digit(&first_nine)?;
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&first_nine);
        digits[9] = check;
        Some(Self(digits))
    }

    /// Ten digits, no spaces: the form used in storage and in FHIR identifiers.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// Numbers beginning 9 are never issued to a real person: England issues 3xx, 4xx, 6xx and
    /// 7xx numbers, Scotland and Northern Ireland use ranges below 400, and the NHS's own test
    /// patients carry 9xx numbers. Fixtures use 999 first; a synthetic population larger than
    /// its 909,090 valid numbers carries on into 998 and below.
    pub fn is_test_range(&self) -> bool {
        self.0[0] == 9
    }
}

impl FromStr for NhsNumber {
    type Err = NhsNumberError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut digits = [0u8; 10];
        let mut count = 0;
        for c in input.trim().chars() {
            match c {
                '0'..='9' => {
                    if count == 10 {
                        return Err(NhsNumberError::WrongShape);
                    }
                    digits[count] = c as u8 - b'0';
                    count += 1;
                }
                ' ' | '-' => {}
                _ => return Err(NhsNumberError::WrongShape),
            }
        }
        if count != 10 {
            return Err(NhsNumberError::WrongShape);
        }
        let mut first_nine = [0u8; 9];
        first_nine.copy_from_slice(&digits[..9]);
        match Self::check_digit(&first_nine) {
            Some(check) if check == digits[9] => Ok(Self(digits)),
            _ => Err(NhsNumberError::BadCheckDigit),
        }
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = NhsNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<NhsNumber> for String {
    fn from(value: NhsNumber) -> Self {
        value.digits()
    }
}

/// Shown the way people read it aloud: `999 123 4567`.
impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{} {} {}", &d[..3], &d[3..6], &d[6..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_numbers() {
        // 943 476 5919 is the NHS Data Dictionary's worked example.
        assert!("9434765919".parse::<NhsNumber>().is_ok());
        assert!("943 476 5919".parse::<NhsNumber>().is_ok());
        assert!("943-476-5919".parse::<NhsNumber>().is_ok());
        assert_eq!("9434765918".parse::<NhsNumber>(), Err(NhsNumberError::BadCheckDigit));
        assert_eq!("943476591".parse::<NhsNumber>(), Err(NhsNumberError::WrongShape));
        assert_eq!("94347659190".parse::<NhsNumber>(), Err(NhsNumberError::WrongShape));
        assert_eq!("94347a5919".parse::<NhsNumber>(), Err(NhsNumberError::WrongShape));
        assert_eq!("".parse::<NhsNumber>(), Err(NhsNumberError::WrongShape));
    }

    #[test]
    fn a_remainder_of_ten_can_never_be_valid() {
        // 1+2+...: find nine digits whose check would be 10, and prove every last digit fails.
        let nine = (0..1_000_000_000u32)
            .map(|n| {
                let mut d = [0u8; 9];
                let mut v = n;
                for slot in d.iter_mut().rev() {
                    *slot = (v % 10) as u8;
                    v /= 10;
                }
                d
            })
            .find(|d| NhsNumber::check_digit(d).is_none())
            .expect("some nine digits give a remainder of ten");
        for last in 0..10u8 {
            let s: String = nine.iter().chain(std::iter::once(&last)).map(|d| char::from(b'0' + d)).collect();
            assert_eq!(s.parse::<NhsNumber>(), Err(NhsNumberError::BadCheckDigit));
        }
    }

    #[test]
    fn display_groups_digits() {
        let n: NhsNumber = "9434765919".parse().expect("valid");
        assert_eq!(n.to_string(), "943 476 5919");
        assert_eq!(n.digits(), "9434765919");
    }

    fn valid_number() -> impl Strategy<Value = NhsNumber> {
        proptest::array::uniform9(0u8..10).prop_filter_map("remainder of ten", NhsNumber::from_first_nine)
    }

    proptest! {
        #[test]
        fn every_valid_number_is_accepted(n in valid_number()) {
            prop_assert_eq!(n.digits().parse::<NhsNumber>(), Ok(n));
            prop_assert_eq!(n.to_string().parse::<NhsNumber>(), Ok(n));
        }

        #[test]
        fn every_single_digit_change_is_rejected(n in valid_number(), position in 0usize..10, bump in 1u8..10) {
            let mut digits: Vec<u8> = n.digits().bytes().map(|b| b - b'0').collect();
            digits[position] = (digits[position] + bump) % 10;
            let changed: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            prop_assert_eq!(changed.parse::<NhsNumber>(), Err(NhsNumberError::BadCheckDigit));
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,20}") {
            let _ = s.parse::<NhsNumber>();
        }
    }
}
