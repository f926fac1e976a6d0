use super::*;

fn item(sku: &str, qty: u32, price: i64, category: Option<&str>) -> Item {
    Item {
        sku: sku.into(),
        name: format!("{sku} name"),
        qty,
        price,
        category: category.map(str::to_owned),
    }
}

fn by_category(pairs: &[(&str, i64)], other: Option<i64>) -> Rates {
    Rates {
        categories: pairs.iter().map(|(c, r)| ((*c).to_owned(), *r)).collect(),
        other,
    }
}

#[test]
fn a_percentage_rounds_to_the_nearest_minor_unit_a_half_up() {
    assert_eq!(percent_of(12_345, 250), 309); // 308.625
    assert_eq!(percent_of(100, 50), 1); // 0.5 → 1
    assert_eq!(percent_of(99, 50), 0); // 0.495 → 0
    assert_eq!(percent_of(90_000, 500), 4_500);
    assert_eq!(percent_of(-100, 50), -1);
    assert_eq!(percent_of(0, 10_000), 0);
}

#[test]
fn a_huge_base_saturates_instead_of_overflowing() {
    assert_eq!(percent_of(i64::MAX, 10_000), i64::MAX);
    assert_eq!(percent_of(i64::MAX, 5_000), i64::MAX / 2 + 1);
}

#[test]
fn a_percentage_rule_pays_each_category_at_its_rate_on_its_own_line() {
    let items = [
        item("TEA-1", 2, 45_000, Some("tea")),
        item("TEA-2", 1, 10_001, Some("tea")),
        item("CUP-1", 1, 120_000, Some("dishes")),
        item("BOX-1", 3, 5_000, None),
        item("SPOON", 1, 7_000, Some("spoons")),
    ];
    let pays = Pays::Percent(by_category(&[("tea", 500), ("dishes", 300)], Some(150)));

    let lines = lines(&pays, &items);

    let got: Vec<(Option<&str>, i64, i64, i64)> = lines
        .iter()
        .map(|l| (l.category.as_deref(), l.base, l.rate, l.amount))
        .collect();
    assert_eq!(
        got,
        vec![
            (None, 15_000, 150, 225),
            (Some("dishes"), 120_000, 300, 3_600),
            (Some("spoons"), 7_000, 150, 105),
            // 100 001 × 5 % = 5 000.05 → 5 000: rounded once per category, not per item.
            (Some("tea"), 100_001, 500, 5_000),
        ]
    );
    assert!(lines.iter().all(|l| l.calculation == Calculation::Percent));
}

#[test]
fn without_a_rate_for_other_categories_only_listed_ones_earn() {
    let items = [
        item("TEA-1", 1, 10_000, Some("tea")),
        item("CUP-1", 1, 10_000, Some("dishes")),
        item("BOX-1", 1, 10_000, None),
    ];
    let pays = Pays::Percent(by_category(&[("tea", 1_000)], None));

    let lines = lines(&pays, &items);

    assert_eq!(lines.len(), 1);
    assert_eq!(
        (lines[0].category.as_deref(), lines[0].amount),
        (Some("tea"), 1_000)
    );
}

#[test]
fn a_per_item_rule_counts_units() {
    let items = [
        item("TEA-1", 2, 45_000, Some("tea")),
        item("CUP-1", 3, 120_000, Some("dishes")),
    ];

    let lines = lines(&Pays::PerItem(Rates::flat(1_500)), &items);

    assert_eq!(
        lines
            .iter()
            .map(|l| (l.category.as_deref(), l.base, l.rate, l.amount))
            .collect::<Vec<_>>(),
        vec![
            (Some("dishes"), 3, 1_500, 4_500),
            (Some("tea"), 2, 1_500, 3_000)
        ]
    );
}

#[test]
fn a_fixed_rule_pays_once_whatever_the_items() {
    let lines = lines(&Pays::Fixed(5_000), &[]);

    assert_eq!(
        lines,
        vec![Line {
            category: None,
            calculation: Calculation::Fixed,
            base: 1,
            rate: 5_000,
            amount: 5_000,
        }]
    );
}

#[test]
fn nothing_to_pay_is_no_line() {
    assert!(lines(&Pays::Fixed(0), &[]).is_empty());
    assert!(lines(&Pays::Percent(Rates::flat(500)), &[]).is_empty());
    let free = [item("GIFT", 1, 0, None)];
    assert!(lines(&Pays::Percent(Rates::flat(500)), &free).is_empty());
    let cheap = [item("PIN", 1, 9, None)];
    assert!(lines(&Pays::Percent(Rates::flat(500)), &cheap).is_empty()); // 0.45 → 0
}

#[test]
fn added_items_are_new_articles_and_grown_quantities() {
    let old = [
        item("TEA-1", 2, 45_000, Some("tea")),
        item("CUP-1", 1, 120_000, Some("dishes")),
        item("BOX-1", 4, 5_000, None),
    ];
    let new = [
        item("TEA-1", 5, 45_000, Some("tea")),     // +3
        item("CUP-1", 1, 130_000, Some("dishes")), // price changed, quantity not
        item("BOX-1", 1, 5_000, None),             // reduced
        item("SPOON", 2, 7_000, Some("spoons")),   // new
    ];

    let added = added_items(&old, &new);

    assert_eq!(
        added,
        vec![
            item("TEA-1", 3, 45_000, Some("tea")),
            item("SPOON", 2, 7_000, Some("spoons")),
        ]
    );
    assert!(added_items(&new, &old)
        .iter()
        .all(|i| i.sku == "CUP-1" || i.sku == "BOX-1"));
    assert!(added_items(&old, &old).is_empty());
}

#[test]
fn an_article_on_two_lines_counts_its_total_quantity_once() {
    let old = [item("TEA-1", 1, 45_000, Some("tea"))];
    let new = [
        item("TEA-1", 1, 45_000, Some("tea")),
        item("TEA-1", 2, 45_000, Some("tea")),
    ];

    assert_eq!(
        added_items(&old, &new),
        vec![item("TEA-1", 2, 45_000, Some("tea"))]
    );
}

#[test]
fn the_period_is_the_month_in_the_shop_time_zone() {
    let moscow = TimeZone::moscow();
    // 2026-11-30T21:30:00Z is 1 December 00:30 in Moscow.
    let t = crate::automation::time::days_from_civil(2026, 11, 30) * 86_400 + 21 * 3_600 + 1_800;

    assert_eq!(period(t, &moscow), "2026-12");
    assert_eq!(period(t, &TimeZone::utc()), "2026-11");
}

#[test]
fn periods_are_checked() {
    assert_eq!(parse_period("2026-11"), Ok("2026-11".to_owned()));
    for bad in [
        "2026-13",
        "2026-00",
        "2026-1",
        "26-11",
        "2026/11",
        "",
        "2026-11-01",
        "１９９９-01",
        "1999-01",
    ] {
        assert_eq!(parse_period(bad), Err(BadPeriod), "{bad}");
    }
}

fn line(id: i64, staff: &str, amount: i64) -> LedgerLine {
    LedgerLine {
        id,
        staff: staff.into(),
        order_id: "A-1".into(),
        rule: "upsell".into(),
        trigger: "s2-upsell-bonus".into(),
        kind: if amount < 0 { "reversal" } else { "accrual" }.into(),
        calculation: "percent".into(),
        category: Some("tea".into()),
        base: 90_000,
        rate: 500,
        amount,
        currency: "RUB".into(),
        period: "2026-11".into(),
        reverses: (amount < 0).then_some(1),
        at: "2026-11-24T07:00:00Z".into(),
    }
}

#[test]
fn totals_sum_each_person_lines_reversals_included() {
    let lines = vec![
        line(3, "m.ivanova", -4_500),
        line(1, "m.ivanova", 4_500),
        line(2, "p.sidorov", 700),
        line(4, "m.ivanova", 1_000),
    ];
    let names = |id: &str| (id == "m.ivanova").then(|| "Мария Иванова".to_owned());

    let people = totals(lines, names);

    assert_eq!(people.len(), 2);
    assert_eq!(
        (people[0].name.as_str(), people[0].total),
        ("p.sidorov", 700),
        "a person no longer in shop.toml shows by id"
    );
    assert_eq!(
        (people[1].name.as_str(), people[1].total),
        ("Мария Иванова", 1_000)
    );
    assert_eq!(
        people[1].lines.iter().map(|l| l.id).collect::<Vec<_>>(),
        vec![1, 3, 4]
    );
}

#[test]
fn the_csv_quotes_what_needs_quoting_and_defuses_formulas() {
    let mut tricky = line(1, "m.ivanova", 4_500);
    tricky.order_id = "A-1,\"2\"".into();
    tricky.category = Some("=HYPERLINK(\"x\")".into());
    let people = totals(vec![tricky, line(2, "m.ivanova", -5)], |_| {
        Some("Иванова, Мария".to_owned())
    });

    let csv = csv(&people, |_| 2);

    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(rows[0], CSV_HEADER.join(","));
    assert_eq!(
        rows[1],
        "2026-11,m.ivanova,\"Иванова, Мария\",1,2026-11-24T07:00:00Z,\"A-1,\"\"2\"\"\",upsell,\
         s2-upsell-bonus,accrual,percent,\"'=HYPERLINK(\"\"x\"\")\",90000,500,4500,45.00,RUB,"
    );
    assert!(rows[2].contains(",-5,-0.05,RUB,1"), "{}", rows[2]);
    assert_eq!(rows[3], "", "every row ends with CRLF");
    assert_eq!(rows.len(), 4);
}

#[test]
fn major_units_follow_the_currency_digits() {
    assert_eq!(major_units(12_345, 2), "123.45");
    assert_eq!(major_units(-5, 2), "-0.05");
    assert_eq!(major_units(0, 2), "0.00");
    assert_eq!(major_units(1_500, 0), "1500");
    assert_eq!(major_units(1_500, 3), "1.500");
}
