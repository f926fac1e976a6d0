use serde_json::json;

use super::*;
use crate::automation::time::TimeZone;
use crate::message::Language;

fn render(src: &str, ctx: serde_json::Value) -> String {
    render_as(src, ctx, false, Language::Ru)
}

fn render_as(src: &str, ctx: serde_json::Value, html: bool, language: Language) -> String {
    let tz = TimeZone::moscow();
    let env = RenderEnv {
        language,
        time_zone: &tz,
        html,
    };
    Template::parse(src).unwrap().render(&ctx, &env)
}

#[test]
fn values_are_substituted_by_dotted_path() {
    let ctx = json!({"order": {"id": "A-1", "pickup_point": {"phone": "+7 495"}}});
    assert_eq!(
        render("№{{ order.id }}, {{order.pickup_point.phone}}", ctx),
        "№A-1, +7 495"
    );
}

#[test]
fn missing_values_render_empty() {
    assert_eq!(render("[{{ order.nothing.here }}]", json!({})), "[]");
}

#[test]
fn money_uses_the_order_currency_and_language() {
    let ctx = json!({"order": {"total": 149900, "currency": "RUB"}});
    assert_eq!(
        render("{{ order.total | money }}", ctx.clone()),
        "1 499,00 ₽"
    );
    assert_eq!(
        render_as("{{ order.total | money }}", ctx, false, Language::En),
        "₽1,499.00"
    );
}

#[test]
fn dates_are_shop_local() {
    // 2026-11-23 21:30 UTC is 24.11.2026 00:30 in Moscow.
    let ctx = json!({"t": 1_795_469_400});
    assert_eq!(
        render("{{ t | date }} {{ t | time }}", ctx.clone()),
        "24.11.2026 00:30"
    );
    assert_eq!(render("{{ t | datetime }}", ctx), "24.11.2026 00:30");
}

#[test]
fn if_else_chooses_by_truthiness() {
    let src =
        "{% if order.payment_link %}pay: {{ order.payment_link }}{% else %}no link{% endif %}";
    assert_eq!(
        render(src, json!({"order": {"payment_link": "https://p"}})),
        "pay: https://p"
    );
    assert_eq!(
        render(src, json!({"order": {"payment_link": ""}})),
        "no link"
    );
    assert_eq!(
        render("{% if not x %}none{% endif %}", json!({"x": 0})),
        "none"
    );
}

#[test]
fn for_loops_bind_the_item_and_keep_outer_values() {
    let ctx = json!({"order": {"currency": "RUB", "items": [
        {"name": "Чай", "qty": 2, "sum": 90000}, {"name": "Чашка", "qty": 1, "sum": 120000}]}});
    let src = "{% for item in order.items %}{{ item.name }} × {{ item.qty }} = {{ item.sum | money }}; {% endfor %}";
    assert_eq!(
        render(src, ctx),
        "Чай × 2 = 900,00 ₽; Чашка × 1 = 1 200,00 ₽; "
    );
}

#[test]
fn tags_alone_on_a_line_leave_no_blank_lines() {
    let src = "Items:\n  {% for i in list %}\n- {{ i }}\n  {% endfor %}\nEnd";
    assert_eq!(
        render(src, json!({"list": ["a", "b"]})),
        "Items:\n- a\n- b\nEnd"
    );
}

#[test]
fn html_bodies_escape_substituted_values_only() {
    let out = render_as(
        "<b>{{ customer.name }}</b>",
        json!({"customer": {"name": "<script>&"}}),
        true,
        Language::Ru,
    );
    assert_eq!(out, "<b>&lt;script&gt;&amp;</b>");
}

#[test]
fn syntax_errors_name_the_line() {
    let cases = [
        ("a\n{{ order.id", "never closed"),
        ("{% if x %}open", "endif"),
        ("{% for x in y %}", "endfor"),
        ("{% endif %}", "without an opening"),
        ("{{ x | shout }}", "unknown filter"),
        ("{% while x %}", "unknown tag"),
        ("{{ order..id }}", "not a value path"),
    ];
    for (src, needle) in cases {
        let e = Template::parse(src).unwrap_err();
        assert!(e.to_string().contains(needle), "{src:?}: {e}");
    }
    assert_eq!(Template::parse("a\nb\n{{ x | no }}").unwrap_err().line, 3);
}

#[test]
fn roots_list_top_level_names_without_loop_variables() {
    let t = Template::parse(
        "{{ order.id }}{% for item in order.items %}{{ item.name }}{{ ordr.x }}{% endfor %}",
    )
    .unwrap();
    let roots: Vec<_> = t.roots().into_iter().collect();
    assert_eq!(roots, ["order", "ordr"]);
}
