//! Scenario C1: the thank-you email for a new order.
//!
//! The letter is first laid out as language-neutral parts ([`Letter`]), then written twice:
//! as plain text and as an inline-styled HTML document in which every outside string is
//! escaped.

use std::fmt::Write as _;

use super::words::{delivery_kind, words};
use super::{escape_html as esc, Language, RenderedEmail, ShopInfo};
use crate::event::NewOrder;
use crate::money::format_amount;

struct ItemLine {
    name: String,
    qty_price: String,
    sum: String,
}

struct Row {
    label: &'static str,
    value: String,
    strong: bool,
}

struct Contact {
    label: &'static str,
    value: String,
    href: Option<String>,
}

struct Letter {
    lang: Language,
    subject: String,
    heading: &'static str,
    greeting: String,
    intro: String,
    items_title: &'static str,
    columns: [&'static str; 3],
    items: Vec<ItemLine>,
    summary: Vec<Row>,
    delivery: Vec<Row>,
    next_title: &'static str,
    next_steps: [&'static str; 3],
    contacts_title: &'static str,
    contacts: Vec<Contact>,
    regards: &'static str,
    signature: String,
}

pub(super) fn render(order: &NewOrder, shop: &ShopInfo, lang: Language) -> RenderedEmail {
    let letter = lay_out(order, shop, lang);
    RenderedEmail {
        subject: letter.subject.clone(),
        text: text(&letter),
        html: html(&letter),
    }
}

fn lay_out(order: &NewOrder, shop: &ShopInfo, lang: Language) -> Letter {
    let w = words(lang);
    let money = |minor: i64| format_amount(minor, &order.currency, lang);
    let shop_name = single_line(&shop.name);
    let number = format!("{}{}", w.order_no, single_line(order.order_id.as_str()));

    let mut subject = format!("{} {number}", w.subject);
    if !shop_name.is_empty() {
        subject.push_str(" — ");
        subject.push_str(&shop_name);
    }
    let greeting = match order.customer.name.as_deref() {
        Some(name) => format!("{}, {name}!", w.hello),
        None => format!("{}!", w.hello),
    };
    let mut intro = format!("{} {number}", w.received);
    if !shop_name.is_empty() {
        let _ = write!(intro, "{}{shop_name}{}", w.at_shop.0, w.at_shop.1);
    }
    intro.push('.');

    let items = order
        .items
        .iter()
        .map(|item| ItemLine {
            name: item.name.clone(),
            qty_price: format!("{} × {}", item.qty, money(item.price)),
            sum: money(i64::from(item.qty).saturating_mul(item.price)),
        })
        .collect();

    let row = |label, value, strong| Row {
        label,
        value,
        strong,
    };
    let mut summary = Vec::new();
    if order.delivery.cost > 0 || order.discount > 0 {
        let subtotal = crate::order::items_total(&order.items);
        summary.push(row(w.subtotal, money(subtotal), false));
    }
    if order.delivery.cost > 0 {
        summary.push(row(w.delivery_cost, money(order.delivery.cost), false));
    }
    if order.discount > 0 {
        summary.push(row(
            w.discount,
            format!("−{}", money(order.discount)),
            false,
        ));
    }
    summary.push(row(w.total, money(order.total), true));

    let mut delivery = Vec::new();
    if let Some(kind) = &order.delivery.kind {
        delivery.push(row(
            w.delivery_method,
            delivery_kind(kind, lang).to_owned(),
            false,
        ));
    }
    if let Some(address) = &order.delivery.address {
        delivery.push(row(w.delivery_address, address.clone(), false));
    }

    Letter {
        lang,
        subject,
        heading: w.heading,
        greeting,
        intro,
        items_title: w.items_title,
        columns: [w.col_item, w.col_qty, w.col_sum],
        items,
        summary,
        delivery,
        next_title: w.next_title,
        next_steps: w.next_steps,
        contacts_title: w.contacts_title,
        contacts: contacts(shop, lang),
        regards: w.regards,
        signature: if shop_name.is_empty() {
            w.team.to_owned()
        } else {
            shop_name
        },
    }
}

fn contacts(shop: &ShopInfo, lang: Language) -> Vec<Contact> {
    let w = words(lang);
    let mut out = Vec::new();
    let mut add = |label, value: &str, href: Option<String>| {
        let value = value.trim();
        if !value.is_empty() {
            out.push(Contact {
                label,
                value: value.to_owned(),
                href,
            });
        }
    };
    add(w.phone, &shop.phone, phone_href(&shop.phone));
    add(w.email, &shop.email, email_href(&shop.email));
    add(w.site, &shop.url, site_href(&shop.url));
    add(w.hours, &shop.hours, None);
    out
}

fn phone_href(phone: &str) -> Option<String> {
    let dialable: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    (dialable.chars().filter(char::is_ascii_digit).count() >= 5).then(|| format!("tel:{dialable}"))
}

fn email_href(email: &str) -> Option<String> {
    crate::contact::Email::parse(email)
        .ok()
        .map(|e| format!("mailto:{e}"))
}

/// Only web links: a configured `javascript:` or other scheme is shown as text, never linked.
fn site_href(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        None
    } else if lower.starts_with("https://") || lower.starts_with("http://") {
        Some(url.to_owned())
    } else if !url.contains(':') && url.contains('.') {
        Some(format!("https://{url}"))
    } else {
        None
    }
}

/// Control characters (line breaks included) become spaces: a subject is one header line.
fn single_line(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn text(l: &Letter) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{}\n\n{}\n", l.greeting, l.intro);
    let _ = writeln!(t, "{}:", l.items_title);
    for (i, item) in l.items.iter().enumerate() {
        let _ = writeln!(
            t,
            "{}. {} — {} = {}",
            i + 1,
            item.name,
            item.qty_price,
            item.sum
        );
    }
    t.push('\n');
    for row in &l.summary {
        let _ = writeln!(t, "{}: {}", row.label, row.value);
    }
    if !l.delivery.is_empty() {
        t.push('\n');
        for row in &l.delivery {
            let _ = writeln!(t, "{}: {}", row.label, row.value);
        }
    }
    let _ = writeln!(t, "\n{}:", l.next_title);
    for (i, step) in l.next_steps.iter().enumerate() {
        let _ = writeln!(t, "{}. {step}", i + 1);
    }
    if !l.contacts.is_empty() {
        let _ = writeln!(t, "\n{}:", l.contacts_title);
        for c in &l.contacts {
            let _ = writeln!(t, "{}: {}", c.label, c.value);
        }
    }
    let _ = writeln!(t, "\n{}\n{}", l.regards, l.signature);
    t
}

const CELL: &str = "padding:8px 0;border-bottom:1px solid #e4e4e7;vertical-align:top;";
const NUM: &str = "padding:8px 0 8px 12px;border-bottom:1px solid #e4e4e7;vertical-align:top;text-align:right;white-space:nowrap;";
const H2: &str = "font-size:17px;margin:24px 0 8px;";

fn html(l: &Letter) -> String {
    let mut h = String::with_capacity(4096);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n</head>\n\
         <body style=\"margin:0;padding:0;background:#f4f4f5;\">\n\
         <div style=\"max-width:600px;margin:0 auto;padding:24px;background:#ffffff;\
         font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#222222;\">\n\
         <h1 style=\"font-size:22px;margin:0 0 16px;\">{}</h1>\n\
         <p style=\"margin:0 0 12px;\">{}</p>\n<p style=\"margin:0 0 16px;\">{}</p>\n",
        l.lang.as_str(),
        esc(&l.subject),
        esc(l.heading),
        esc(&l.greeting),
        esc(&l.intro),
    );

    let _ = write!(
        h,
        "<h2 style=\"{H2}\">{}</h2>\n<table style=\"width:100%;border-collapse:collapse;\">\n\
         <thead><tr><th style=\"{CELL}text-align:left;\">{}</th><th style=\"{NUM}\">{}</th>\
         <th style=\"{NUM}\">{}</th></tr></thead>\n<tbody>\n",
        esc(l.items_title),
        esc(l.columns[0]),
        esc(l.columns[1]),
        esc(l.columns[2]),
    );
    for item in &l.items {
        let _ = writeln!(
            h,
            "<tr><td style=\"{CELL}\">{}</td><td style=\"{NUM}\">{}</td><td style=\"{NUM}\">{}</td></tr>",
            esc(&item.name),
            esc(&item.qty_price),
            esc(&item.sum),
        );
    }
    h.push_str("</tbody>\n<tfoot>\n");
    for row in &l.summary {
        let weight = if row.strong { "font-weight:bold;" } else { "" };
        let _ = writeln!(
            h,
            "<tr><td colspan=\"2\" style=\"{NUM}{weight}\">{}</td><td style=\"{NUM}{weight}\">{}</td></tr>",
            esc(row.label),
            esc(&row.value),
        );
    }
    h.push_str("</tfoot>\n</table>\n");

    if !l.delivery.is_empty() {
        h.push_str("<p style=\"margin:16px 0 0;\">");
        for (i, row) in l.delivery.iter().enumerate() {
            let br = if i > 0 { "<br>" } else { "" };
            let _ = write!(
                h,
                "{br}<strong>{}:</strong> {}",
                esc(row.label),
                esc(&row.value)
            );
        }
        h.push_str("</p>\n");
    }

    let _ = write!(
        h,
        "<h2 style=\"{H2}\">{}</h2>\n<ol style=\"margin:0;padding-left:20px;\">\n",
        esc(l.next_title)
    );
    for step in l.next_steps {
        let _ = writeln!(h, "<li>{}</li>", esc(step));
    }
    h.push_str("</ol>\n");

    if !l.contacts.is_empty() {
        let _ = write!(
            h,
            "<h2 style=\"{H2}\">{}</h2>\n<p style=\"margin:0;\">",
            esc(l.contacts_title)
        );
        for (i, c) in l.contacts.iter().enumerate() {
            let br = if i > 0 { "<br>" } else { "" };
            let value = match &c.href {
                Some(href) => format!(
                    "<a href=\"{}\" style=\"color:#2563eb;\">{}</a>",
                    esc(href),
                    esc(&c.value)
                ),
                None => esc(&c.value),
            };
            let _ = write!(h, "{br}{}: {value}", esc(c.label));
        }
        h.push_str("</p>\n");
    }

    let _ = write!(
        h,
        "<p style=\"margin:24px 0 0;\">{}<br>{}</p>\n</div>\n</body>\n</html>\n",
        esc(l.regards),
        esc(&l.signature),
    );
    h
}
