//! `/webhooks/calls/{pbx}/...`: phone calls from the shop's PBX.
//!
//! `mango` (Mango Office VPBX: `<base>/events/call`, `/events/summary`, …; form fields
//! `vpbx_api_key`, `sign`, `json`), `zadarma` (`NOTIFY_*` forms with the `Signature` header, and
//! its `zd_echo` URL check) and `generic` (our JSON for Asterisk bridges, UIS templates and
//! others, signed with Standard Webhooks). Each event is processed once per its key and folded
//! into one call (`orderpath_shell::inbound::calls`), which reacts once when it is over.

use orderpath_shell::clock::Timestamp;
use orderpath_shell::config;
use orderpath_shell::db::Db;
use orderpath_shell::http::{self, Answer, ApiError, Inbound};
use orderpath_shell::inbound::calls;
use orderpath_shell::inbound::{self, Handled, Notification};
use orderpath_shell::plans::automation::{self, Run};
use orderpath_wire::pbx::{generic, mango, zadarma, PbxRequest};
use serde_json::json;
use spin_sdk::http::{IncomingRequest, ResponseOutparam};
use spin_sdk::http_component;

#[http_component]
fn handle_call_event(request: IncomingRequest, out: ResponseOutparam) {
    inbound::finish(out, process(request));
}

fn process(request: IncomingRequest) -> Result<Handled, ApiError> {
    let inbound = http::read_request(request)?;
    let (pbx, rest) = route(&inbound)?;
    let now = Timestamp::now();
    // Read only when needed: a redelivery is answered without it.
    let mut loaded = None;
    let read = match pbx {
        "mango" => {
            inbound.require_method("POST")?;
            let key = inbound::required_secret("mango_api_key", "Mango Office events")?;
            let salt = inbound::required_secret("mango_api_salt", "Mango Office events")?;
            mango::read(&inbound.provider_request(rest), key.expose(), salt.expose())
        }
        "zadarma" => {
            let secret = inbound::required_secret("zadarma_api_secret", "Zadarma events")?;
            // `call_start` is the PBX account's local time (the shop's, unless set).
            let zone = match config::time_zone("zadarma_time_zone")? {
                Some(zone) => zone,
                None => loaded
                    .insert(automation::load_config()?)
                    .shop
                    .time_zone
                    .clone(),
            };
            zadarma::read(
                &inbound.provider_request(rest),
                secret.expose(),
                &zone,
                now.unix(),
            )
        }
        _ => {
            inbound.require_method("POST")?;
            let id = inbound::verify_signed(
                &inbound,
                "calls_webhook_secret",
                "generic call events",
                now,
            )?;
            generic::parse(&inbound.body, id)
        }
    }
    .map_err(ApiError::from)?;
    let event = match read {
        PbxRequest::Echo(value) => {
            // Zadarma checks the URL by asking us to say its value back.
            return Ok(Handled {
                answer: Answer {
                    status: 200,
                    body: value,
                    headers: vec![("content-type".into(), "text/plain".into())],
                },
                queued: None,
            });
        }
        PbxRequest::Ignored { key, what } => Err((key, what)),
        PbxRequest::Event(event) => Ok(event),
    };
    let db = Db::open(config::synchronous()?)?;
    let source = format!("calls:{pbx}");
    let key = match &event {
        Ok(event) => event.key.clone(),
        Err((key, _)) => key.clone(),
    };
    let cause = format!("{source}:{key}");
    let notification = Notification {
        source: &source,
        key: &key,
        content: &inbound.body,
        now,
        exact_key: pbx == "generic",
    };
    let repeat = inbound::duplicate_ack();
    if let Some(handled) = inbound::seen_before(&db, &notification, repeat.clone())? {
        return Ok(handled);
    }
    let automation = match loaded {
        Some(config) => config,
        None => automation::load_config()?,
    };
    inbound::once(db, &notification, repeat, |db| {
        let event = match &event {
            Err((_, what)) => {
                let answer = json!({ "received": true, "ignored": what });
                return Ok((Answer::json(200, &answer), Vec::new()));
            }
            Ok(event) => event,
        };
        let run = Run {
            db,
            config: &automation,
            now,
            cause: &cause,
        };
        let logged = calls::receive(&run, pbx, event)?;
        let reaction = logged.reaction.unwrap_or_default();
        let answer = json!({ "received": true, "call": logged.call, "finished": logged.finished,
                             "order_id": reaction.order_id, "lead": reaction.lead });
        Ok((Answer::json(200, &answer), reaction.messages))
    })
}

/// The PBX from the path after `/webhooks/calls/`, and what follows it (Mango's
/// `events/call`).
fn route(inbound: &Inbound) -> Result<(&'static str, &str), ApiError> {
    let (name, rest) = inbound.path_info();
    let pbx = match name {
        "mango" => "mango",
        "zadarma" => "zadarma",
        "generic" => "generic",
        other => {
            return Err(ApiError::new(
                404,
                "unknown_pbx",
                format!("no PBX {other:?} here; use /webhooks/calls/{{mango|zadarma|generic}}"),
            ))
        }
    };
    Ok((pbx, rest))
}
