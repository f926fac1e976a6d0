//! Currencies and money amounts, always integers in minor units (kopecks, cents).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::message::Language;
use crate::text::echo;

/// Why a currency code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not three upper-case ASCII letters.
    #[error("is not a currency code (three upper-case letters, e.g. RUB): {0}")]
    InvalidCurrency(String),
}

/// An ISO 4217 currency code such as `RUB`: three upper-case ASCII letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// Accepts exactly three upper-case ASCII letters; the code is not looked up in a list,
    /// so new currencies need no release.
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(code.to_owned()))
        } else {
            Err(MoneyError::InvalidCurrency(echo(code)))
        }
    }

    /// Russian rouble, the shop's home currency.
    pub fn rub() -> Currency {
        Currency("RUB".to_owned())
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point of the minor unit: 2 for most currencies, 0 for yen
    /// and the like, 3 for the dinars.
    pub fn minor_digits(&self) -> u32 {
        const ZERO: [&str; 16] = [
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
            "VUV", "XAF", "XOF", "XPF",
        ];
        const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
        if ZERO.contains(&self.as_str()) {
            0
        } else if THREE.contains(&self.as_str()) {
            3
        } else {
            2
        }
    }

    /// The sign used in messages, when the currency has a well-known one.
    pub fn symbol(&self) -> Option<&'static str> {
        match self.as_str() {
            "RUB" => Some("₽"),
            "USD" => Some("$"),
            "EUR" => Some("€"),
            _ => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::parse(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

/// Formats an amount in minor units for people.
///
/// Russian: `1 499,00 ₽` (space between thousands, decimal comma, sign or code after).
/// English: `₽1,499.00`, `$1,499.00`, `€5.00` for currencies with a sign, `1,499.00 GBP`
/// otherwise.
pub fn format_amount(minor: i64, currency: &Currency, lang: Language) -> String {
    let (group, decimal) = match lang {
        Language::Ru => (' ', ','),
        Language::En => (',', '.'),
    };
    let digits = currency.minor_digits();
    let magnitude = minor.unsigned_abs();
    let scale = 10u64.pow(digits);
    let mut number = group_thousands(magnitude / scale, group);
    if digits > 0 {
        number.push(decimal);
        number.push_str(&format!(
            "{:0width$}",
            magnitude % scale,
            width = digits as usize
        ));
    }
    let sign = if minor < 0 { "-" } else { "" };
    match (lang, currency.symbol()) {
        (Language::En, Some(symbol)) => format!("{sign}{symbol}{number}"),
        (_, Some(symbol)) => format!("{sign}{number} {symbol}"),
        (_, None) => format!("{sign}{number} {currency}"),
    }
}

fn group_thousands(value: u64, separator: char) -> String {
    let plain = value.to_string();
    let mut out = String::with_capacity(plain.len() + plain.len() / 3);
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn currency_code_is_three_upper_case_letters() {
        assert_eq!(cur("RUB").as_str(), "RUB");
        for bad in ["rub", "RU", "RUBL", "R1B", "", "РУБ"] {
            assert!(Currency::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn roubles_are_formatted_the_russian_way() {
        assert_eq!(
            format_amount(149_900, &cur("RUB"), Language::Ru),
            "1 499,00 ₽"
        );
        assert_eq!(format_amount(5, &cur("RUB"), Language::Ru), "0,05 ₽");
        assert_eq!(
            format_amount(12_345_678_900, &cur("RUB"), Language::Ru),
            "123 456 789,00 ₽"
        );
    }

    #[test]
    fn english_puts_known_signs_before_the_number() {
        assert_eq!(
            format_amount(149_900, &cur("USD"), Language::En),
            "$1,499.00"
        );
        assert_eq!(
            format_amount(149_900, &cur("RUB"), Language::En),
            "₽1,499.00"
        );
        assert_eq!(format_amount(500, &cur("EUR"), Language::En), "€5.00");
    }

    #[test]
    fn currencies_without_a_sign_show_their_code() {
        assert_eq!(
            format_amount(149_900, &cur("GBP"), Language::En),
            "1,499.00 GBP"
        );
        assert_eq!(
            format_amount(149_900, &cur("KZT"), Language::Ru),
            "1 499,00 KZT"
        );
    }

    #[test]
    fn zero_and_three_decimal_currencies_use_their_minor_unit() {
        assert_eq!(format_amount(1500, &cur("JPY"), Language::En), "1,500 JPY");
        assert_eq!(format_amount(1500, &cur("KWD"), Language::En), "1.500 KWD");
    }

    #[test]
    fn negative_and_extreme_amounts_do_not_overflow() {
        assert_eq!(format_amount(-150, &cur("RUB"), Language::Ru), "-1,50 ₽");
        assert_eq!(
            format_amount(i64::MIN, &cur("USD"), Language::En),
            "-$92,233,720,368,547,758.08"
        );
        assert_eq!(format_amount(0, &cur("EUR"), Language::Ru), "0,00 €");
    }
}
