//! Header fields an email carries besides those every provider builds from the message itself
//! (From, To, Subject, Date, MIME): RFC 2369 `List-Unsubscribe` and RFC 8058
//! `List-Unsubscribe-Post`, which let a mail client offer an unsubscribe button (Gmail and Yahoo
//! require them of bulk senders since 2024).
//!
//! Only the names in [`ALLOWED_HEADERS`] may be set, so no caller can override an address, the
//! subject or the MIME structure. Every provider passes the value on as it is: a line break in
//! it would start a header of its own (header injection), and a non-ASCII character would be
//! encoded differently by each provider, so [`checked_headers`] refuses both, along with what
//! RFC 2369 and RFC 8058 rule out. The values are unsubscribe links that act for one customer;
//! the errors name the header, never its value.

/// The only header fields an email may carry, spelled as they are sent. Names are compared
/// without regard to case (RFC 5322 §1.2.2).
///
/// `Reply-To` is not among them: SendGrid refuses it in `headers` (a reserved field, 400) and
/// takes it only as `reply_to`, so it would need its own field rather than this pipe.
pub const ALLOWED_HEADERS: &[&str] = &[LIST_UNSUBSCRIBE, LIST_UNSUBSCRIBE_POST];

/// RFC 2369 §3.2: where and how to unsubscribe, one or more `<URI>`, comma-separated.
pub const LIST_UNSUBSCRIBE: &str = "List-Unsubscribe";

/// RFC 8058 §3.1: the unsubscribe URI takes a one-click POST.
pub const LIST_UNSUBSCRIBE_POST: &str = "List-Unsubscribe-Post";

/// The one value `List-Unsubscribe-Post` may have (RFC 8058 §3.1).
pub const ONE_CLICK: &str = "List-Unsubscribe=One-Click";

/// RFC 5322 §2.1.1: a line holds at most 998 characters. A URL has no white space to fold at,
/// so `Name: value` must fit on one line.
pub const MAX_LINE: usize = 998;

/// Why header fields cannot be sent. A bug in the code that built them: the message is not
/// queued rather than sent with a broken header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// The name is not an RFC 7230 token.
    #[error("{0:?} is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)")]
    BadName(String),
    /// The name is not in [`ALLOWED_HEADERS`].
    #[error("header {0:?} may not be set; only List-Unsubscribe and List-Unsubscribe-Post may")]
    NotAllowed(String),
    /// The same field twice.
    #[error("header {0} is given twice")]
    Repeated(&'static str),
    /// An empty value.
    #[error("header {0} is empty")]
    Empty(&'static str),
    /// A control character: CR or LF would start another header.
    #[error("header {0} contains a line break or another control character")]
    ControlCharacter(&'static str),
    /// A character outside ASCII.
    #[error("header {0} contains a character outside printable ASCII (percent-encode URLs)")]
    NotAscii(&'static str),
    /// Longer than one line.
    #[error("header {name} is {length} characters with its name; a line holds at most 998")]
    TooLong {
        /// The header.
        name: &'static str,
        /// `Name: value`, in characters.
        length: usize,
    },
    /// Not a comma-separated list of `<https:…>`, `<http:…>` or `<mailto:…>`.
    #[error(
        "List-Unsubscribe must be one or more <https:…>, <http:…> or <mailto:…>, comma-separated"
    )]
    BadListUnsubscribe,
    /// Another value than `List-Unsubscribe=One-Click`.
    #[error("List-Unsubscribe-Post must be exactly List-Unsubscribe=One-Click")]
    BadOneClick,
    /// One-click without an HTTPS URI to post to (RFC 8058 §3.1).
    #[error("List-Unsubscribe-Post needs a List-Unsubscribe with an <https:…> URI")]
    OneClickWithoutHttps,
}

/// Checks header fields for an email and returns them with their names spelled as in
/// [`ALLOWED_HEADERS`], in the order given. An empty list is fine.
pub fn checked_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, HeaderError> {
    let mut checked: Vec<(String, String)> = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(HeaderError::BadName(name.chars().take(80).collect()));
        }
        let name = ALLOWED_HEADERS
            .iter()
            .copied()
            .find(|allowed| allowed.eq_ignore_ascii_case(name))
            .ok_or_else(|| HeaderError::NotAllowed(name.clone()))?;
        if checked.iter().any(|(seen, _)| seen == name) {
            return Err(HeaderError::Repeated(name));
        }
        check_value(name, value)?;
        match name {
            LIST_UNSUBSCRIBE if list_unsubscribe_uris(value).is_none() => {
                return Err(HeaderError::BadListUnsubscribe)
            }
            LIST_UNSUBSCRIBE_POST if value != ONE_CLICK => return Err(HeaderError::BadOneClick),
            _ => {}
        }
        checked.push((name.to_owned(), value.clone()));
    }
    let value_of = |wanted: &str| {
        checked
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.as_str())
    };
    if value_of(LIST_UNSUBSCRIBE_POST).is_some() {
        let https = value_of(LIST_UNSUBSCRIBE)
            .and_then(list_unsubscribe_uris)
            .is_some_and(|uris| uris.iter().any(|uri| has_scheme(uri, "https:")));
        if !https {
            return Err(HeaderError::OneClickWithoutHttps);
        }
    }
    Ok(checked)
}

/// RFC 7230 §3.2.6 `tchar`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

fn check_value(name: &'static str, value: &str) -> Result<(), HeaderError> {
    if value.trim().is_empty() {
        return Err(HeaderError::Empty(name));
    }
    if value.chars().any(char::is_control) {
        return Err(HeaderError::ControlCharacter(name));
    }
    if !value.is_ascii() {
        return Err(HeaderError::NotAscii(name));
    }
    let length = name.len() + 2 + value.len();
    if length > MAX_LINE {
        return Err(HeaderError::TooLong { name, length });
    }
    Ok(())
}

/// The URIs of a `List-Unsubscribe` value: `<uri>` items separated by commas and optional
/// spaces, each `https:`, `http:` or `mailto:` with no space or angle bracket inside. `None`
/// when the value is not that.
fn list_unsubscribe_uris(value: &str) -> Option<Vec<&str>> {
    value
        .split(',')
        .map(|item| {
            let uri = item.trim().strip_prefix('<')?.strip_suffix('>')?;
            let usable = ["https:", "http:", "mailto:"]
                .iter()
                .any(|scheme| has_scheme(uri, scheme) && uri.len() > scheme.len())
                && !uri.contains(|c: char| c == '<' || c == '>' || c.is_whitespace());
            usable.then_some(uri)
        })
        .collect()
}

/// Whether `uri` starts with `scheme` (which ends in `:`), in any case.
fn has_scheme(uri: &str, scheme: &str) -> bool {
    uri.get(..scheme.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    const URL: &str = "<https://shop.example/unsubscribe/abc.def>";

    #[test]
    fn one_click_unsubscribe_is_accepted_and_spelled_canonically() {
        let given = pairs(&[
            (
                "list-unsubscribe",
                "<mailto:unsub@shop.example?subject=stop>, <HTTPS://shop.example/u/1>",
            ),
            ("LIST-UNSUBSCRIBE-POST", ONE_CLICK),
        ]);
        assert_eq!(
            checked_headers(&given),
            Ok(pairs(&[
                (
                    "List-Unsubscribe",
                    "<mailto:unsub@shop.example?subject=stop>, <HTTPS://shop.example/u/1>"
                ),
                ("List-Unsubscribe-Post", ONE_CLICK),
            ]))
        );
    }

    #[test]
    fn no_headers_is_fine() {
        assert_eq!(checked_headers(&[]), Ok(Vec::new()));
    }

    #[test]
    fn a_mailto_alone_is_a_list_unsubscribe_without_one_click() {
        let given = pairs(&[("List-Unsubscribe", "<mailto:unsub@shop.example>")]);
        assert_eq!(checked_headers(&given), Ok(given.clone()));
    }

    #[test]
    fn only_allowed_names_may_be_set() {
        for name in [
            "From",
            "To",
            "Subject",
            "Reply-To",
            "Bcc",
            "Content-Type",
            "X-Mailer",
        ] {
            assert_eq!(
                checked_headers(&pairs(&[(name, "x")])),
                Err(HeaderError::NotAllowed(name.to_owned())),
                "{name}"
            );
        }
    }

    #[test]
    fn a_name_must_be_a_token() {
        for name in [
            "",
            "List-Unsubscribe:",
            "List Unsubscribe",
            "Bcc\r\nX",
            "Список",
        ] {
            assert!(
                matches!(
                    checked_headers(&pairs(&[(name, URL)])),
                    Err(HeaderError::BadName(_))
                ),
                "{name:?}"
            );
        }
    }

    #[test]
    fn line_breaks_and_control_characters_are_refused_in_values() {
        for value in [
            "<https://shop.example/u>\r\nBcc: all@example.com",
            "<https://shop.example/u>\nX",
            "<https://shop.example/u>\r",
            "<https://shop.example/u>\0",
            "<https://shop.example/u>\t",
        ] {
            assert_eq!(
                checked_headers(&pairs(&[("List-Unsubscribe", value)])),
                Err(HeaderError::ControlCharacter("List-Unsubscribe")),
                "{value:?}"
            );
        }
    }

    #[test]
    fn values_are_printable_ascii() {
        assert_eq!(
            checked_headers(&pairs(&[("List-Unsubscribe", "<https://магазин.рф/u>")])),
            Err(HeaderError::NotAscii("List-Unsubscribe"))
        );
    }

    #[test]
    fn empty_and_repeated_fields_are_refused() {
        assert_eq!(
            checked_headers(&pairs(&[("List-Unsubscribe", " ")])),
            Err(HeaderError::Empty("List-Unsubscribe"))
        );
        assert_eq!(
            checked_headers(&pairs(&[
                ("List-Unsubscribe", URL),
                ("list-unsubscribe", URL)
            ])),
            Err(HeaderError::Repeated("List-Unsubscribe"))
        );
    }

    #[test]
    fn a_field_fits_on_one_line() {
        let fits = format!("<https://shop.example/{}>", "a".repeat(MAX_LINE - 18 - 23));
        assert_eq!(LIST_UNSUBSCRIBE.len() + 2 + fits.len(), MAX_LINE);
        assert!(checked_headers(&pairs(&[("List-Unsubscribe", &fits)])).is_ok());
        let long = format!("<https://shop.example/{}>", "a".repeat(MAX_LINE - 18 - 22));
        assert_eq!(
            checked_headers(&pairs(&[("List-Unsubscribe", &long)])),
            Err(HeaderError::TooLong {
                name: "List-Unsubscribe",
                length: MAX_LINE + 1
            })
        );
    }

    #[test]
    fn list_unsubscribe_is_a_list_of_bracketed_uris() {
        for value in [
            "https://shop.example/u",
            "<https://shop.example/u",
            "<>",
            "<https:>",
            "<ftp://shop.example/u>",
            "<javascript:alert(1)>",
            "<https://shop.example/u>,",
            "<https://shop.example/u> <mailto:u@shop.example>",
            "<https://shop.example/a b>",
            "(Unsubscribe) <https://shop.example/u>",
        ] {
            assert_eq!(
                checked_headers(&pairs(&[("List-Unsubscribe", value)])),
                Err(HeaderError::BadListUnsubscribe),
                "{value:?}"
            );
        }
    }

    #[test]
    fn one_click_has_one_value_and_needs_an_https_uri() {
        assert_eq!(
            checked_headers(&pairs(&[
                ("List-Unsubscribe", URL),
                ("List-Unsubscribe-Post", "List-Unsubscribe=one-click"),
            ])),
            Err(HeaderError::BadOneClick)
        );
        assert_eq!(
            checked_headers(&pairs(&[("List-Unsubscribe-Post", ONE_CLICK)])),
            Err(HeaderError::OneClickWithoutHttps)
        );
        assert_eq!(
            checked_headers(&pairs(&[
                ("List-Unsubscribe-Post", ONE_CLICK),
                (
                    "List-Unsubscribe",
                    "<mailto:u@shop.example>, <http://shop.example/u>"
                ),
            ])),
            Err(HeaderError::OneClickWithoutHttps)
        );
        assert!(checked_headers(&pairs(&[
            ("List-Unsubscribe-Post", ONE_CLICK),
            ("List-Unsubscribe", URL),
        ]))
        .is_ok());
    }

    #[test]
    fn errors_never_carry_the_value() {
        let secret = "<https://shop.example/u/SECRET-TOKEN>\r\n";
        let error = checked_headers(&pairs(&[("List-Unsubscribe", secret)])).expect_err("refused");
        assert!(!error.to_string().contains("SECRET"), "{error}");
    }
}
