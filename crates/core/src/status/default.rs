//! The default status path, copied from the tables in `docs/order-events.md`.

use super::{StatusDef, StatusPath};

/// `(code, group, Russian label, English label)` in the order of the documentation.
const STATUSES: &[(&str, &str, &str, &str)] = &[
    ("new", "new", "Новый", "New"),
    ("no-answer-1", "approval", "Недозвон 1", "No answer 1"),
    ("no-answer-2", "approval", "Недозвон 2", "No answer 2"),
    ("call-back", "approval", "Перезвонить", "Call back"),
    ("thinking", "approval", "Думает", "Thinking it over"),
    (
        "awaiting-stock",
        "approval",
        "Ожидает поступления",
        "Awaiting stock",
    ),
    (
        "availability-confirmed",
        "approval",
        "Наличие подтверждено",
        "Availability confirmed",
    ),
    ("confirmed", "approval", "Подтверждён", "Confirmed"),
    ("invoice-sent", "payment", "Счёт выставлен", "Invoice sent"),
    (
        "awaiting-payment",
        "payment",
        "Ожидает оплаты",
        "Awaiting payment",
    ),
    (
        "payment-received",
        "payment",
        "Оплата получена",
        "Payment received",
    ),
    ("payment-error", "payment", "Ошибка оплаты", "Payment error"),
    (
        "prepare-for-delivery",
        "assembly",
        "Готовится к отправке",
        "Preparing for delivery",
    ),
    ("assembled", "assembly", "Собран", "Assembled"),
    (
        "handed-to-carrier",
        "delivery",
        "Передан в доставку",
        "Handed to carrier",
    ),
    (
        "at-pickup-point",
        "delivery",
        "В пункте выдачи",
        "At pickup point",
    ),
    (
        "delivery-problem",
        "delivery",
        "Проблема с доставкой",
        "Delivery problem",
    ),
    ("completed", "done", "Выполнен", "Completed"),
    ("cancelled", "cancel", "Отменён", "Cancelled"),
    ("not-bought-out", "cancel", "Не выкуплен", "Not bought out"),
    ("returned", "cancel", "Возврат", "Returned"),
];

/// `from → [to]` rows of the transition matrix.
const TRANSITIONS: &[(&str, &[&str])] = &[
    (
        "new",
        &[
            "no-answer-1",
            "call-back",
            "thinking",
            "awaiting-stock",
            "availability-confirmed",
            "confirmed",
            "invoice-sent",
            "awaiting-payment",
            "prepare-for-delivery",
            "cancelled",
        ],
    ),
    (
        "no-answer-1",
        &[
            "no-answer-2",
            "call-back",
            "thinking",
            "awaiting-stock",
            "availability-confirmed",
            "confirmed",
            "cancelled",
        ],
    ),
    (
        "no-answer-2",
        &[
            "no-answer-1",
            "call-back",
            "thinking",
            "awaiting-stock",
            "availability-confirmed",
            "confirmed",
            "cancelled",
        ],
    ),
    (
        "call-back",
        &[
            "no-answer-1",
            "no-answer-2",
            "thinking",
            "awaiting-stock",
            "availability-confirmed",
            "confirmed",
            "cancelled",
        ],
    ),
    (
        "thinking",
        &[
            "no-answer-1",
            "no-answer-2",
            "call-back",
            "awaiting-stock",
            "availability-confirmed",
            "confirmed",
            "cancelled",
        ],
    ),
    (
        "awaiting-stock",
        &[
            "availability-confirmed",
            "confirmed",
            "call-back",
            "thinking",
            "cancelled",
        ],
    ),
    (
        "availability-confirmed",
        &[
            "confirmed",
            "invoice-sent",
            "awaiting-payment",
            "prepare-for-delivery",
            "cancelled",
        ],
    ),
    (
        "confirmed",
        &[
            "awaiting-stock",
            "invoice-sent",
            "awaiting-payment",
            "prepare-for-delivery",
            "cancelled",
        ],
    ),
    (
        "invoice-sent",
        &[
            "awaiting-payment",
            "payment-received",
            "payment-error",
            "cancelled",
        ],
    ),
    (
        "awaiting-payment",
        &[
            "invoice-sent",
            "payment-received",
            "payment-error",
            "cancelled",
        ],
    ),
    (
        "payment-error",
        &[
            "invoice-sent",
            "awaiting-payment",
            "payment-received",
            "cancelled",
        ],
    ),
    (
        "payment-received",
        &["prepare-for-delivery", "cancelled", "returned"],
    ),
    (
        "prepare-for-delivery",
        &["assembled", "awaiting-stock", "cancelled"],
    ),
    (
        "assembled",
        &["prepare-for-delivery", "handed-to-carrier", "cancelled"],
    ),
    (
        "handed-to-carrier",
        &[
            "at-pickup-point",
            "delivery-problem",
            "completed",
            "not-bought-out",
            "returned",
        ],
    ),
    (
        "at-pickup-point",
        &[
            "completed",
            "delivery-problem",
            "not-bought-out",
            "returned",
        ],
    ),
    (
        "delivery-problem",
        &[
            "handed-to-carrier",
            "at-pickup-point",
            "completed",
            "not-bought-out",
            "returned",
            "cancelled",
        ],
    ),
    ("completed", &["returned"]),
];

/// Builds the default path; `cancelled`, `not-bought-out` and `returned` have no row and so
/// are final.
pub(super) fn build() -> StatusPath {
    let statuses = STATUSES
        .iter()
        .map(|&(code, group, ru, en)| StatusDef {
            code: code.to_owned(),
            group: group.to_owned(),
            label_ru: ru.to_owned(),
            label_en: en.to_owned(),
            waits_for_stock: code == "awaiting-stock",
        })
        .collect();
    let pairs: Vec<(&str, &str)> = TRANSITIONS
        .iter()
        .flat_map(|&(from, tos)| tos.iter().map(move |&to| (from, to)))
        .collect();
    // Constant data, covered by the tests: a failure here is a typo in this file.
    StatusPath::new(statuses, &pairs).expect("the default status path names only its own statuses")
}
