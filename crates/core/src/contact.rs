//! Customer contacts: phone numbers normalised to E.164 and email addresses.
//!
//! The shop is Russia-first, so bare national numbers are read as Russian ones:
//! `8 912 345-67-89`, `7 912 345 67 89` and `912 345 67 89` all become `+79123456789`.
//! A number written with a leading `+` is taken as international and kept as is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::text::{char_len, echo};

/// Why a phone number or an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// The input cannot be read as a phone number.
    #[error("is not a phone number ({reason}): {input}")]
    InvalidPhone {
        /// The rejected input, quoted and cut short.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The input cannot be read as an email address.
    #[error("is not an email address ({reason}): {input}")]
    InvalidEmail {
        /// The rejected input, quoted and cut short.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

fn bad_phone(input: &str, reason: &'static str) -> ContactError {
    ContactError::InvalidPhone {
        input: echo(input),
        reason,
    }
}

fn bad_email(input: &str, reason: &'static str) -> ContactError {
    ContactError::InvalidEmail {
        input: echo(input),
        reason,
    }
}

/// E.164 phone, e.g. "+79123456789".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Reads a phone number written in any common format and normalises it to E.164.
    ///
    /// Spaces, brackets, dashes and dots are ignored. `+` followed by 8–15 digits is kept as
    /// is; 11 digits starting with `8` or `7` and 10 digits starting with `9` are Russian
    /// numbers and get `+7`. Anything else is refused.
    pub fn parse(input: &str) -> Result<Phone, ContactError> {
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for c in input.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if !plus && digits.is_empty() => plus = true,
                '+' => return Err(bad_phone(input, "misplaced +")),
                '(' | ')' | '[' | ']' | '-' | '.' => {}
                c if c.is_whitespace() => {}
                _ => return Err(bad_phone(input, "unexpected characters")),
            }
        }
        if plus {
            return match digits.len() {
                8..=15 if !digits.starts_with('0') => Ok(Phone(format!("+{digits}"))),
                8..=15 => Err(bad_phone(input, "country code cannot start with 0")),
                _ => Err(bad_phone(input, "needs 8 to 15 digits after +")),
            };
        }
        let national = match (digits.len(), digits.as_bytes().first()) {
            (11, Some(b'8' | b'7')) => &digits[1..],
            (10, Some(b'9')) => &digits[..],
            (0, _) => return Err(bad_phone(input, "no digits")),
            _ => return Err(bad_phone(input, "unknown number format")),
        };
        Ok(Phone(format!("+7{national}")))
    }

    /// The number in E.164 form, `+` and digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Phone {
    type Err = ContactError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

/// Longest address accepted (RFC 5321 path limit).
const EMAIL_MAX_CHARS: usize = 254;

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Checks the shape of a mailbox address: one `@`, a non-empty local part, a domain with
    /// at least one dot and no empty labels, no spaces or control characters, at most 254
    /// characters. The address is stored lower-cased so that one customer has one address.
    pub fn parse(input: &str) -> Result<Email, ContactError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(bad_email(input, "empty"));
        }
        if char_len(trimmed) > EMAIL_MAX_CHARS {
            return Err(bad_email(input, "longer than 254 characters"));
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad_email(input, "contains spaces or control characters"));
        }
        let Some((local, domain)) = trimmed.split_once('@') else {
            return Err(bad_email(input, "no @"));
        };
        if domain.contains('@') {
            return Err(bad_email(input, "more than one @"));
        }
        if local.is_empty() {
            return Err(bad_email(input, "nothing before @"));
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(bad_email(input, "the domain needs a dot between its parts"));
        }
        Ok(Email(trimmed.to_lowercase()))
    }

    /// The address, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Email {
    type Err = ContactError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Email::parse(s)
    }
}

impl TryFrom<String> for Email {
    type Error = ContactError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Email::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(s: &str) -> String {
        match Phone::parse(s) {
            Ok(p) => p.to_string(),
            Err(e) => panic!("{s:?} was refused: {e}"),
        }
    }

    #[test]
    fn eight_prefixed_russian_number_becomes_plus_seven() {
        assert_eq!(phone("8 912 345-67-89"), "+79123456789");
        assert_eq!(phone("8(912)3456789"), "+79123456789");
    }

    #[test]
    fn seven_prefixed_number_without_plus_becomes_plus_seven() {
        assert_eq!(phone("7 912 345 67 89"), "+79123456789");
    }

    #[test]
    fn ten_digit_mobile_number_gets_the_russian_country_code() {
        assert_eq!(phone("912.345.67.89"), "+79123456789");
    }

    #[test]
    fn international_number_is_kept_with_its_country_code() {
        assert_eq!(phone("+7 (912) 345-67-89"), "+79123456789");
        assert_eq!(phone("+44 20 7946 0958"), "+442079460958");
        assert_eq!(phone("+375 29 123-45-67"), "+375291234567");
        assert_eq!(phone(" +1 [212] 555 0100 "), "+12125550100");
    }

    #[test]
    fn letters_are_not_a_phone_number() {
        let err = Phone::parse("call me").unwrap_err();
        assert!(
            err.to_string().starts_with("is not a phone number"),
            "{err}"
        );
        assert!(Phone::parse("8 912 ABC-67-89").is_err());
        assert!(Phone::parse("+7 912 345 67 89 ext 5").is_err());
    }

    #[test]
    fn numbers_of_the_wrong_length_are_refused() {
        for bad in [
            "",
            "   ",
            "912 345 67 8",
            "8 912 345 67 899",
            "6 912 345 67 89",
            "812 345 67 89",
            "+7123456",
            "+1234567890123456",
            "+0 123 456 789",
            "7+9123456789",
            "++79123456789",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn phone_error_message_quotes_the_input() {
        let err = Phone::parse("12345").unwrap_err();
        assert_eq!(
            err.to_string(),
            "is not a phone number (unknown number format): \"12345\""
        );
    }

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Anna.Petrova@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "anna.petrova@example.com");
        assert_eq!(email.to_string(), "anna.petrova@example.com");
    }

    #[test]
    fn malformed_email_addresses_are_refused() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@example.com",
            "anna@example",
            "anna@@example.com",
            "anna@b@example.com",
            "an na@example.com",
            "anna@example..com",
            "anna@.example.com",
            "anna@example.com.",
            "anna\u{7}@example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                err.to_string().starts_with("is not an email address"),
                "{err}"
            );
        }
    }

    #[test]
    fn email_longer_than_254_characters_is_refused() {
        let long = format!("{}@example.com", "a".repeat(243));
        assert_eq!(long.len(), 255);
        assert!(Email::parse(&long).is_err());
        assert!(Email::parse(&long[1..]).is_ok());
    }

    #[test]
    fn contacts_serialise_as_plain_strings_and_validate_when_read() {
        let phone = Phone::parse("89123456789").unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), "\"+79123456789\"");
        let back: Phone = serde_json::from_str("\"+79123456789\"").unwrap();
        assert_eq!(back, phone);
        assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
    }
}
