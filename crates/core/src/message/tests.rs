use super::*;

#[test]
fn escape_html_replaces_the_five_special_characters() {
    assert_eq!(
        escape_html(r#"<a href="x">Tom's & Jerry</a>"#),
        "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&lt;/a&gt;"
    );
    assert_eq!(escape_html("Чай"), "Чай");
}

#[test]
fn language_is_read_from_common_tags() {
    assert_eq!(Language::parse("ru"), Some(Language::Ru));
    assert_eq!(Language::parse("EN"), Some(Language::En));
    assert_eq!(Language::parse("en-GB"), Some(Language::En));
    assert_eq!(Language::parse("de"), None);
    assert_eq!(Language::parse(""), None);
    assert_eq!(Language::default(), Language::Ru);
}
