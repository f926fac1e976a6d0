//! The fixed wording of messages in each language.

use super::Language;

/// Fixed phrases of the order-created email.
pub(super) struct Words {
    pub subject: &'static str,
    pub order_no: &'static str,
    pub heading: &'static str,
    pub hello: &'static str,
    pub received: &'static str,
    pub at_shop: (&'static str, &'static str),
    pub items_title: &'static str,
    pub col_item: &'static str,
    pub col_qty: &'static str,
    pub col_sum: &'static str,
    pub subtotal: &'static str,
    pub delivery_cost: &'static str,
    pub discount: &'static str,
    pub total: &'static str,
    pub delivery_method: &'static str,
    pub delivery_address: &'static str,
    pub next_title: &'static str,
    pub next_steps: [&'static str; 3],
    pub contacts_title: &'static str,
    pub phone: &'static str,
    pub email: &'static str,
    pub site: &'static str,
    pub hours: &'static str,
    pub regards: &'static str,
    pub team: &'static str,
}

const RU: Words = Words {
    subject: "Спасибо за заказ",
    order_no: "№",
    heading: "Спасибо за заказ!",
    hello: "Здравствуйте",
    received: "Мы получили ваш заказ",
    at_shop: (" в магазине «", "»"),
    items_title: "Состав заказа",
    col_item: "Товар",
    col_qty: "Кол-во × цена",
    col_sum: "Сумма",
    subtotal: "Товары",
    delivery_cost: "Доставка",
    discount: "Скидка",
    total: "Итого к оплате",
    delivery_method: "Способ доставки",
    delivery_address: "Адрес доставки",
    next_title: "Что дальше",
    next_steps: [
        "Менеджер позвонит или напишет вам, чтобы подтвердить заказ.",
        "После подтверждения мы пришлём данные для оплаты и соберём заказ.",
        "Когда заказ передадим в доставку, сообщим, как его отследить.",
    ],
    contacts_title: "Контакты магазина",
    phone: "Телефон",
    email: "Эл. почта",
    site: "Сайт",
    hours: "Часы работы",
    regards: "С уважением,",
    team: "команда магазина",
};

const EN: Words = Words {
    subject: "Thank you for your order",
    order_no: "",
    heading: "Thank you for your order!",
    hello: "Hello",
    received: "We have received your order",
    at_shop: (" at ", ""),
    items_title: "Your order",
    col_item: "Item",
    col_qty: "Qty × price",
    col_sum: "Amount",
    subtotal: "Items",
    delivery_cost: "Delivery",
    discount: "Discount",
    total: "Total to pay",
    delivery_method: "Delivery method",
    delivery_address: "Delivery address",
    next_title: "What happens next",
    next_steps: [
        "A manager will call or write to you to confirm the order.",
        "Once it is confirmed, we will send the payment details and pack your order.",
        "When the order is handed over for delivery, we will tell you how to track it.",
    ],
    contacts_title: "Shop contacts",
    phone: "Phone",
    email: "Email",
    site: "Website",
    hours: "Opening hours",
    regards: "Kind regards,",
    team: "The shop team",
};

pub(super) fn words(lang: Language) -> &'static Words {
    match lang {
        Language::Ru => &RU,
        Language::En => &EN,
    }
}

/// A readable name for the documented delivery codes; the shop's own codes are shown as is.
pub(super) fn delivery_kind(code: &str, lang: Language) -> &str {
    match (code, lang) {
        ("courier", Language::Ru) => "Курьером",
        ("courier", Language::En) => "Courier",
        ("pickup-point", Language::Ru) => "В пункт выдачи",
        ("pickup-point", Language::En) => "Pickup point",
        ("post", Language::Ru) => "Почтой",
        ("post", Language::En) => "Post",
        ("self-pickup", Language::Ru) => "Самовывоз",
        ("self-pickup", Language::En) => "Self-pickup",
        _ => code,
    }
}
