use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::carrier::stock::{allocate, parse, short, Allocation, StockPost, WaitingOrder};

const WEBHOOK_ID: &str = "msg_2qE1aLk9cZ5nV1yD3fF6gH8jK";

fn parse_body(body: &[u8]) -> Result<StockPost, CarrierError> {
    parse(body, WEBHOOK_ID)
}

fn items(list: serde_json::Value) -> Vec<u8> {
    edit_json(fixture!("stock/snapshot.json"), "/data/items", Some(list))
}

fn map(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect()
}

fn lines(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect()
}

fn order(id: &str, pairs: &[(&str, i64)]) -> WaitingOrder {
    WaitingOrder {
        order_id: id.to_owned(),
        items: lines(pairs),
    }
}

fn served(allocations: &[Allocation]) -> Vec<&str> {
    allocations.iter().map(|a| a.order_id.as_str()).collect()
}

#[test]
fn a_snapshot_lists_every_article_sorted() {
    let post = parse_body(fixture!("stock/snapshot.json")).unwrap();

    assert_eq!(
        post,
        StockPost {
            key: WEBHOOK_ID.to_owned(),
            warehouse: "main".to_owned(),
            full: true,
            levels: lines(&[("CUP-010", 3), ("SPOON-7", 0), ("TEA-001", 10)]),
        }
    );
}

#[test]
fn changes_list_only_the_changed_articles() {
    let out = parse_body(fixture!("stock/changes.json")).unwrap();
    let back = parse_body(fixture!("stock/changes-back.json")).unwrap();

    assert!(!out.full);
    assert_eq!(out.levels, lines(&[("CUP-010", 0)]));
    assert!(!back.full);
    assert_eq!(back.levels, lines(&[("CUP-010", 5)]));
}

#[test]
fn the_warehouse_is_kept_trimmed_and_a_post_without_one_is_the_unnamed_warehouse() {
    let body = |data: serde_json::Value| {
        serde_json::to_vec(&json!({ "type": "stock.snapshot", "data": data })).unwrap()
    };

    let named = parse_body(&body(json!({ "warehouse": " north ", "items": [] }))).unwrap();
    let blank = parse_body(&body(json!({ "warehouse": "  ", "items": [] }))).unwrap();
    let none = parse_body(&body(json!({ "items": [] }))).unwrap();
    let long = parse_body(&body(json!({ "warehouse": "x".repeat(65), "items": [] })));

    assert_eq!(named.warehouse, "north");
    assert_eq!(blank.warehouse, "");
    assert_eq!(none.warehouse, "");
    assert!(
        matches!(long, Err(CarrierError::Invalid { ref field, .. }) if field == "data.warehouse"),
        "{long:?}"
    );
}

#[test]
fn an_empty_snapshot_says_everything_is_out() {
    let post = parse_body(&items(json!([]))).unwrap();

    assert!(post.full);
    assert!(post.levels.is_empty());
}

#[test]
fn empty_changes_are_invalid() {
    let body = edit_json(
        fixture!("stock/changes.json"),
        "/data/items",
        Some(json!([])),
    );

    let (field, _) = invalid(parse_body(&body));

    assert_eq!(field, "data.items");
}

#[test]
fn an_article_listed_twice_is_invalid() {
    let body = items(json!([
        {"sku": "TEA-001", "available": 1},
        {"sku": "CUP-010", "available": 2},
        {"sku": "TEA-001", "available": 3}
    ]));

    let (field, message) = invalid(parse_body(&body));

    assert_eq!(field, "data.items[2].sku");
    assert!(message.contains("data.items[0]"));
}

#[test]
fn articles_are_kept_exactly_and_differ_by_case() {
    let post = parse_body(&items(json!([
        {"sku": "tea-001", "available": 1},
        {"sku": "TEA-001", "available": 2},
        {"sku": " TEA-001", "available": 3}
    ])))
    .unwrap();

    assert_eq!(
        post.levels,
        lines(&[(" TEA-001", 3), ("TEA-001", 2), ("tea-001", 1)])
    );
}

#[test]
fn levels_must_be_whole_numbers_not_below_zero() {
    for available in [
        json!(-1),
        json!(2.5),
        json!("3"),
        json!(null),
        json!(1e300),
        json!(true),
    ] {
        let body = items(json!([{"sku": "TEA-001", "available": available}]));

        let (field, _) = invalid(parse_body(&body));

        assert_eq!(field, "data.items[0].available", "{available}");
    }
    let whole_float = items(json!([{"sku": "TEA-001", "available": 3.0}]));
    assert_eq!(
        parse_body(&whole_float).unwrap().levels,
        lines(&[("TEA-001", 3)])
    );
}

#[test]
fn articles_must_be_short_printable_text() {
    for sku in [
        json!(""),
        json!("A".repeat(65)),
        json!("TEA\u{7}001"),
        json!(7),
        json!(null),
    ] {
        let body = items(json!([{"sku": sku, "available": 1}]));

        let (field, _) = invalid(parse_body(&body));

        assert_eq!(field, "data.items[0].sku", "{sku}");
    }
    let longest = items(json!([{"sku": "Ч".repeat(64), "available": 1}]));
    assert!(parse_body(&longest).is_ok());
}

#[test]
fn items_must_be_a_list_of_objects() {
    let not_list = invalid(parse_body(&items(json!({"TEA-001": 1}))));
    let not_object = invalid(parse_body(&items(json!(["TEA-001"]))));
    let missing = invalid(parse_body(&edit_json(
        fixture!("stock/snapshot.json"),
        "/data/items",
        None,
    )));

    assert_eq!(not_list.0, "data.items");
    assert_eq!(not_object.0, "data.items[0]");
    assert_eq!(missing, ("data.items".to_owned(), "is required".to_owned()));
}

#[test]
fn at_most_ten_thousand_articles() {
    let list = |n: usize| -> serde_json::Value {
        (0..n)
            .map(|i| json!({"sku": format!("SKU-{i}"), "available": 1}))
            .collect()
    };

    assert_eq!(
        parse_body(&items(list(10_000))).unwrap().levels.len(),
        10_000
    );
    assert_eq!(invalid(parse_body(&items(list(10_001)))).0, "data.items");
}

#[test]
fn unknown_type_is_invalid_and_lists_ours() {
    let body = edit_json(
        fixture!("stock/snapshot.json"),
        "/type",
        Some(json!("stock.delta")),
    );

    let (field, message) = invalid(parse_body(&body));

    assert_eq!(field, "type");
    assert!(message.contains("stock.snapshot") && message.contains("stock.changes"));
}

#[test]
fn the_warehouse_is_optional_text() {
    let without = edit_json(fixture!("stock/snapshot.json"), "/data/warehouse", None);
    let number = edit_json(
        fixture!("stock/snapshot.json"),
        "/data/warehouse",
        Some(json!(1)),
    );

    assert!(parse_body(&without).is_ok());
    assert_eq!(invalid(parse_body(&number)).0, "data.warehouse");
}

#[test]
fn bad_json_is_malformed() {
    assert!(matches!(
        parse_body(b"{\"type\":"),
        Err(CarrierError::Malformed(_))
    ));
}

#[test]
fn the_oldest_waiting_order_is_served_first() {
    let levels = map(&[("TEA-001", 3), ("CUP-010", 1)]);
    let waiting = [
        order("A-1001", &[("TEA-001", 2), ("CUP-010", 1)]),
        order("A-1002", &[("TEA-001", 2)]),
        order("A-1003", &[("TEA-001", 1)]),
    ];

    let allocations = allocate(&levels, &BTreeMap::new(), &waiting);

    assert_eq!(
        allocations,
        vec![
            Allocation {
                order_id: "A-1001".to_owned(),
                items: lines(&[("CUP-010", 1), ("TEA-001", 2)]),
            },
            Allocation {
                order_id: "A-1003".to_owned(),
                items: lines(&[("TEA-001", 1)]),
            },
        ]
    );
}

#[test]
fn an_order_that_cannot_be_served_whole_takes_nothing() {
    let levels = map(&[("TEA-001", 5), ("CUP-010", 0)]);
    let waiting = [
        order("A-1001", &[("TEA-001", 5), ("CUP-010", 1)]),
        order("A-1002", &[("TEA-001", 5)]),
    ];

    let allocations = allocate(&levels, &BTreeMap::new(), &waiting);

    assert_eq!(served(&allocations), ["A-1002"]);
}

#[test]
fn what_others_hold_is_not_available() {
    let levels = map(&[("TEA-001", 5)]);
    let held = map(&[("TEA-001", 4)]);
    let waiting = [
        order("A-1001", &[("TEA-001", 2)]),
        order("A-1002", &[("TEA-001", 1)]),
    ];

    assert_eq!(served(&allocate(&levels, &held, &waiting)), ["A-1002"]);
}

#[test]
fn an_article_without_a_known_level_is_not_available() {
    let levels = map(&[("TEA-001", 5)]);
    let waiting = [order("A-1001", &[("TEA-001", 1), ("MUG-01", 1)])];

    assert!(allocate(&levels, &BTreeMap::new(), &waiting).is_empty());
}

#[test]
fn lines_of_one_article_are_summed() {
    let levels = map(&[("TEA-001", 3)]);
    let waiting = [order("A-1001", &[("TEA-001", 2), ("TEA-001", 2)])];

    assert!(allocate(&levels, &BTreeMap::new(), &waiting).is_empty());
}

#[test]
fn quantities_below_one_need_nothing() {
    let levels = map(&[("TEA-001", 1)]);
    let waiting = [
        order("A-1001", &[("TEA-001", -5)]),
        order("A-1002", &[("TEA-001", 1), ("CUP-010", 0)]),
    ];

    let allocations = allocate(&levels, &BTreeMap::new(), &waiting);

    assert_eq!(served(&allocations), ["A-1001", "A-1002"]);
    assert!(allocations[0].items.is_empty());
    assert_eq!(allocations[1].items, lines(&[("TEA-001", 1)]));
}

#[test]
fn short_names_the_articles_the_known_stock_cannot_cover() {
    let levels = map(&[("TEA-001", 10), ("CUP-010", 1), ("SPOON-7", 0)]);
    let held = map(&[("CUP-010", 1)]);
    let needed = lines(&[
        ("TEA-001", 2),
        ("CUP-010", 1),
        ("SPOON-7", 1),
        ("MUG-01", 9),
    ]);

    assert_eq!(short(&levels, &held, &needed), ["CUP-010", "SPOON-7"]);
    assert!(short(&levels, &BTreeMap::new(), &lines(&[("CUP-010", 1)])).is_empty());
    assert_eq!(
        short(
            &levels,
            &BTreeMap::new(),
            &lines(&[("CUP-010", 1), ("CUP-010", 1)])
        ),
        ["CUP-010"]
    );
}

#[test]
fn the_fixture_order_is_served_after_the_snapshot_and_short_after_the_changes() {
    let a1001 = lines(&[("TEA-001", 2), ("CUP-010", 1)]);
    let mut levels: BTreeMap<String, i64> = parse_body(fixture!("stock/snapshot.json"))
        .unwrap()
        .levels
        .into_iter()
        .collect();
    let nothing_held = BTreeMap::new();
    let waiting = [WaitingOrder {
        order_id: "A-1001".to_owned(),
        items: a1001.clone(),
    }];

    assert_eq!(
        served(&allocate(&levels, &nothing_held, &waiting)),
        ["A-1001"]
    );
    levels.extend(parse_body(fixture!("stock/changes.json")).unwrap().levels);
    assert_eq!(short(&levels, &nothing_held, &a1001), ["CUP-010"]);
    assert!(allocate(&levels, &nothing_held, &waiting).is_empty());
    levels.extend(
        parse_body(fixture!("stock/changes-back.json"))
            .unwrap()
            .levels,
    );
    assert!(short(&levels, &nothing_held, &a1001).is_empty());
}

/// A small linear congruential generator (Knuth's MMIX constants): the same inputs on every
/// run, without a dependency.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn int(&mut self, n: u64) -> i64 {
        i64::try_from(self.below(n)).unwrap()
    }
}

const SKUS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

#[test]
fn random_orders_are_never_given_more_than_is_free() {
    let mut rng = Lcg(0x5eed_0f0a_110c_a7e5);
    for round in 0..2_000 {
        // Some articles unknown, some over-held (held > level), some short.
        let mut levels = BTreeMap::new();
        let mut held = BTreeMap::new();
        for sku in SKUS {
            if rng.below(5) > 0 {
                levels.insert(sku.to_owned(), rng.int(12));
            }
            if rng.below(3) == 0 {
                held.insert(sku.to_owned(), rng.int(8));
            }
        }
        let waiting: Vec<WaitingOrder> = (0..rng.below(8))
            .map(|n| WaitingOrder {
                order_id: format!("R{round}-{n}"),
                items: (0..1 + rng.below(4))
                    .map(|_| {
                        let sku = SKUS[usize::try_from(rng.below(6)).unwrap()];
                        (sku.to_owned(), rng.int(6) - 1)
                    })
                    .collect(),
            })
            .collect();

        let allocations = allocate(&levels, &held, &waiting);

        // Never beyond level − held, and nothing of an unknown article.
        let mut taken: BTreeMap<&str, i64> = BTreeMap::new();
        for allocation in &allocations {
            for (sku, qty) in &allocation.items {
                assert!(*qty > 0, "round {round}: {allocation:?}");
                *taken.entry(sku).or_default() += qty;
            }
        }
        for (sku, total) in &taken {
            let level = levels.get(*sku).copied();
            let free = level.map(|l| l - held.get(*sku).copied().unwrap_or(0));
            assert!(
                free.is_some_and(|free| *total <= free),
                "round {round}: {sku} took {total} of {level:?} with {held:?}"
            );
        }

        // Whole orders only, in their waiting order; a skipped order could not be served
        // with what was left when its turn came.
        let mut left: BTreeMap<&str, i64> = BTreeMap::new();
        let mut next = allocations.iter().peekable();
        for order in &waiting {
            let mut need: BTreeMap<&str, i64> = BTreeMap::new();
            for (sku, qty) in order.items.iter().filter(|(_, q)| *q > 0) {
                *need.entry(sku).or_default() += qty;
            }
            let fits = need.iter().all(|(sku, qty)| {
                let free = levels
                    .get(*sku)
                    .map(|l| l - held.get(*sku).copied().unwrap_or(0));
                free.is_some_and(|f| f - left.get(sku).copied().unwrap_or(0) >= *qty)
            });
            match next.peek() {
                Some(a) if a.order_id == order.order_id => {
                    assert!(fits, "round {round}: {} served without stock", a.order_id);
                    let expected: Vec<(String, i64)> =
                        need.iter().map(|(s, q)| ((*s).to_owned(), *q)).collect();
                    assert_eq!(a.items, expected, "round {round}");
                    for (sku, qty) in need {
                        *left.entry(sku).or_default() += qty;
                    }
                    next.next();
                }
                _ => assert!(!fits, "round {round}: {} skipped", order.order_id),
            }
        }
        assert!(
            next.next().is_none(),
            "round {round}: allocations out of order"
        );
    }
}

#[test]
fn random_short_lists_agree_with_allocation_of_a_lone_order() {
    let mut rng = Lcg(42);
    for round in 0..2_000 {
        let mut levels = BTreeMap::new();
        let mut held = BTreeMap::new();
        for sku in SKUS {
            if rng.below(4) > 0 {
                levels.insert(sku.to_owned(), rng.int(6));
            }
            if rng.below(3) == 0 {
                held.insert(sku.to_owned(), rng.int(4));
            }
        }
        let items: Vec<(String, i64)> = (0..1 + rng.below(4))
            .map(|_| {
                let sku = SKUS[usize::try_from(rng.below(6)).unwrap()];
                (sku.to_owned(), 1 + rng.int(4))
            })
            .collect();
        let unknown = items.iter().any(|(sku, _)| !levels.contains_key(sku));
        let lone = [WaitingOrder {
            order_id: "X".to_owned(),
            items: items.clone(),
        }];

        let short = short(&levels, &held, &items);
        let served = !allocate(&levels, &held, &lone).is_empty();

        // With every level known, an order is short of something exactly when it cannot be
        // served; unknown articles are never short but never served either.
        if unknown {
            assert!(!served, "round {round}");
        } else {
            assert_eq!(
                short.is_empty(),
                served,
                "round {round}: {items:?} {levels:?} {held:?}"
            );
        }
        assert!(
            short.iter().all(|sku| levels.contains_key(sku)),
            "round {round}"
        );
    }
}
