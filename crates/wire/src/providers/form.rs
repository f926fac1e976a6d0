//! `application/x-www-form-urlencoded` encoding (WHATWG URL standard), for the providers
//! that take forms (SMS.ru, SMSC, Twilio, Unisender).

/// Encodes `pairs` as a form body: bytes other than `A–Z a–z 0–9 * - . _` are
/// percent-encoded, spaces become `+`.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

fn push_encoded(out: &mut String, text: &str) {
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_a_browser_form() {
        assert_eq!(
            encode(&[("to", "+79123456789"), ("msg", "Заказ A-1 & co")]),
            "to=%2B79123456789&msg=%D0%97%D0%B0%D0%BA%D0%B0%D0%B7+A-1+%26+co"
        );
        assert_eq!(encode(&[]), "");
    }
}
