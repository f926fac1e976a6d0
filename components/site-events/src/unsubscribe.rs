//! `/unsubscribe/<token>`: GET shows a page with one button; POST (the button, or a mail
//! client's RFC 8058 one-click `List-Unsubscribe=One-Click`) withdraws the customer's consent
//! to marketing by email and SMS. Transactional messages (their orders) still come. A GET
//! never unsubscribes: mail scanners open links.

use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError};
use orderpath_shell::inbound::Handled;
use orderpath_shell::marketing::{self, unsubscribe as link};
use spin_sdk::http::IncomingRequest;

pub fn handle(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let token = inbound
        .path
        .strip_prefix(link::PATH)
        .unwrap_or_default()
        .trim_end_matches('/');
    let key = config::secret("unsubscribe_secret")?;
    let customer = (key.expose().len() >= 16)
        .then(|| link::verify(&key, token))
        .flatten();
    let Some(customer_id) = customer else {
        return Ok(page(
            404,
            "Ссылка не найдена",
            "Эта ссылка отписки недействительна.",
        ));
    };
    match inbound.method.as_str() {
        "GET" | "HEAD" => Ok(page(
            200,
            "Отписаться от рассылки",
            &format!(
                "<p>Вы больше не будете получать рекламные письма и SMS. Письма о ваших заказах \
                 продолжат приходить.</p><form method=\"post\" action=\"{}{token}\">\
                 <button type=\"submit\">Отписаться</button></form>",
                link::PATH
            ),
        )),
        "POST" => {
            let db = Db::open(config::synchronous()?)?;
            let now = Timestamp::now();
            let changed = db.transaction(|db| {
                let mut changed = false;
                for channel in ["email", "sms"] {
                    changed |= marketing::set_consent(
                        db,
                        customer_id,
                        channel,
                        false,
                        ("unsubscribe-link", None),
                        now,
                    )?;
                }
                Ok::<_, orderpath_shell::db::DbError>(changed)
            })?;
            let text = if changed {
                "Вы отписаны от рекламных писем и SMS."
            } else {
                "Вы уже отписаны."
            };
            Ok(page(200, "Готово", &format!("<p>{text}</p>")))
        }
        _ => Err(method_not_allowed()),
    }
}

fn method_not_allowed() -> ApiError {
    let mut error = ApiError::new(405, "method_not_allowed", "use GET or POST");
    error
        .headers
        .push(("allow".into(), "GET, HEAD, POST".into()));
    error
}

fn page(status: u16, title: &str, body: &str) -> Handled {
    let html = format!(
        "<!doctype html><html lang=\"ru\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><body style=\"font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem\">\
         <h1>{title}</h1>{body}</body></html>"
    );
    Handled {
        answer: Answer {
            status,
            body: html,
            headers: vec![
                ("content-type".into(), "text/html; charset=utf-8".into()),
                ("cache-control".into(), "no-store".into()),
                ("x-content-type-options".into(), "nosniff".into()),
            ],
        },
        queued: None,
    }
}
