//! Small string helpers shared by the parsers.

/// Longest part of a rejected input echoed back in an error message.
const ECHO_LIMIT: usize = 64;

/// Number of Unicode scalar values; the documented limits count characters, not bytes.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// True when `s` contains a Unicode control character (C0, DEL or C1).
pub fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A name as one line: every control character (CR, LF, tab, NUL, DEL, C1…) becomes a space,
/// runs of whitespace become one space, and the ends are trimmed. A name goes into email
/// headers and SMS texts, where a line break could start a header or a new line of text.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The input quoted for an error message, cut short so a 1 MiB field does not become a
/// 1 MiB error body.
pub fn echo(s: &str) -> String {
    if char_len(s) <= ECHO_LIMIT {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(ECHO_LIMIT).collect();
        format!("{head:?}…")
    }
}

/// A code as the order format defines it: 1..=`max` characters of `a-z`, `0-9`, `-`, and `_`
/// when `underscore` is true.
pub fn is_code(s: &str, max: usize, underscore: bool) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || (underscore && b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_loses_its_line_breaks_and_control_characters() {
        assert_eq!(
            one_line("Анна\r\nBcc: all@example.com"),
            "Анна Bcc: all@example.com"
        );
        assert_eq!(
            one_line("  Анна \t\u{0}\u{7f}\u{85} Петрова\n"),
            "Анна Петрова"
        );
        assert_eq!(one_line("\r\n\t"), "");
        assert_eq!(one_line("Анна Петрова"), "Анна Петрова");
    }

    #[test]
    fn long_inputs_are_cut_short_in_messages() {
        let long = "x".repeat(1000);
        assert!(echo(&long).chars().count() < 80);
        assert_eq!(echo("abc"), "\"abc\"");
    }

    #[test]
    fn codes_allow_lower_case_digits_and_dashes() {
        assert!(is_code("one-click", 32, true));
        assert!(is_code("my_shop_2", 32, true));
        assert!(!is_code("my_shop", 40, false));
        assert!(!is_code("Site", 32, true));
        assert!(!is_code("", 32, true));
        assert!(!is_code(&"a".repeat(33), 32, true));
    }
}
