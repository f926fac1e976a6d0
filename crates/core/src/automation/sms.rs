//! SMS length: which encoding a text needs and how many parts it is sent in.
//!
//! A text made only of GSM 03.38 characters goes as GSM-7: 160 characters in one part,
//! 153 per part when split (the rest carries the concatenation header); characters of the
//! extension table (`{ } [ ] ~ \ | ^ €`) count twice. Anything else (Cyrillic, emoji) needs
//! UCS-2: 70 UTF-16 units in one part, 67 per part when split.

use serde::Serialize;

/// The encoding an SMS is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmsEncoding {
    /// The 7-bit GSM alphabet.
    Gsm7,
    /// UTF-16, needed for Cyrillic.
    Ucs2,
}

/// How an SMS text is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SmsLength {
    /// The encoding needed.
    pub encoding: SmsEncoding,
    /// Length in encoding units (septets or UTF-16 units).
    pub units: usize,
    /// Number of parts (at least 1, also for an empty text).
    pub parts: usize,
}

const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// Measures an SMS text.
pub fn sms_length(text: &str) -> SmsLength {
    let mut septets = 0;
    let mut gsm = true;
    for c in text.chars() {
        if GSM_BASIC.contains(c) {
            septets += 1;
        } else if GSM_EXTENSION.contains(c) {
            septets += 2;
        } else {
            gsm = false;
            break;
        }
    }
    let (encoding, units, single, multi) = if gsm {
        (SmsEncoding::Gsm7, septets, 160, 153)
    } else {
        (SmsEncoding::Ucs2, text.encode_utf16().count(), 70, 67)
    };
    let parts = if units <= single {
        1
    } else {
        units.div_ceil(multi)
    };
    SmsLength {
        encoding,
        units,
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_is_gsm7_with_160_characters_in_one_part() {
        let one = sms_length(&"a".repeat(160));
        assert_eq!((one.encoding, one.parts), (SmsEncoding::Gsm7, 1));
        assert_eq!(sms_length(&"a".repeat(161)).parts, 2);
        assert_eq!(sms_length(&"a".repeat(306)).parts, 2);
        assert_eq!(sms_length(&"a".repeat(307)).parts, 3);
    }

    #[test]
    fn cyrillic_text_is_ucs2_with_70_characters_in_one_part() {
        let one = sms_length(&"я".repeat(70));
        assert_eq!((one.encoding, one.parts), (SmsEncoding::Ucs2, 1));
        assert_eq!(sms_length(&"я".repeat(71)).parts, 2);
        assert_eq!(sms_length(&"я".repeat(134)).parts, 2);
        assert_eq!(sms_length(&"я".repeat(135)).parts, 3);
    }

    #[test]
    fn one_cyrillic_letter_switches_the_whole_text_to_ucs2() {
        let mixed = format!("{}ж", "a".repeat(100));
        assert_eq!(sms_length(&mixed).encoding, SmsEncoding::Ucs2);
        assert_eq!(sms_length(&mixed).parts, 2);
    }

    #[test]
    fn extension_characters_count_twice() {
        let text = format!("{}€", "a".repeat(159));
        let len = sms_length(&text);
        assert_eq!(
            (len.encoding, len.units, len.parts),
            (SmsEncoding::Gsm7, 161, 2)
        );
    }

    #[test]
    fn the_rouble_sign_and_emoji_need_ucs2() {
        assert_eq!(sms_length("100 ₽").encoding, SmsEncoding::Ucs2);
        assert_eq!(sms_length("ok 👍").units, 5);
    }

    #[test]
    fn empty_text_is_one_part() {
        assert_eq!(sms_length("").parts, 1);
    }
}
