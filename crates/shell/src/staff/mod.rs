//! Who is calling the staff API and the desk, and what they may do.
//!
//! Two ways in: a staff member's session (the `op_session` cookie, set by signing in with the
//! password kept hashed in `staff_credentials`), or the admin bearer token for the shop's own
//! scripts. Staff come from `config/shop.toml`: someone removed there is signed out everywhere
//! at once, whatever their sessions say. A role with `supervisor = true` sees and acts on
//! everything; others act on their own tasks and orders (and on orders nobody manages).

pub mod password;
pub mod sessions;

use orderpath_core::automation::config::Shop;
use orderpath_core::event::{Actor, ActorKind};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;

use crate::clock::Timestamp;
use crate::config;
use crate::db::Db;
use crate::http::{Answer, ApiError, Inbound};

/// The session cookie's name.
pub const COOKIE: &str = "op_session";

/// The person (or the admin token) behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The staff id, or `admin` for the admin token.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role ids.
    pub roles: Vec<String>,
    /// Sees and acts on everything.
    pub supervisor: bool,
    /// Came with the admin token.
    pub admin: bool,
    /// Statuses their roles may move any order to (`[roles.*] moves_to`).
    pub moves_to: Vec<String>,
}

impl Caller {
    fn admin() -> Caller {
        Caller {
            id: "admin".into(),
            name: "admin".into(),
            roles: Vec::new(),
            supervisor: true,
            admin: true,
            moves_to: Vec::new(),
        }
    }

    fn staff(member: &orderpath_core::automation::config::StaffMember, shop: &Shop) -> Caller {
        Caller {
            id: member.id.clone(),
            name: member.name.clone(),
            roles: member.roles.clone(),
            supervisor: shop.supervises(&member.roles),
            admin: false,
            moves_to: (shop.roles.iter())
                .filter(|(id, _)| member.roles.contains(id))
                .flat_map(|(_, role)| role.moves_to.iter().cloned())
                .collect(),
        }
    }

    /// The actor recorded in an order's history for what this caller does.
    pub fn actor(&self) -> Actor {
        Actor {
            kind: if self.admin {
                ActorKind::Integration
            } else {
                ActorKind::Staff
            },
            id: self.id.clone(),
            name: Some(self.name.clone()),
        }
    }

    /// The task assignees that mean this person: `staff:<id>` and `role:<role>` for each role.
    pub fn assignees(&self) -> Vec<String> {
        if self.admin {
            return Vec::new();
        }
        std::iter::once(format!("staff:{}", self.id))
            .chain(self.roles.iter().map(|r| format!("role:{r}")))
            .collect()
    }

    /// Whether a task with this assignee is theirs to finish.
    pub fn may_complete(&self, assignee: &str) -> bool {
        self.supervisor || self.assignees().iter().any(|a| a == assignee)
    }

    /// Whether they may move (to `status`) or flag (`None`) an order with this manager.
    pub fn may_change(&self, manager: Option<&str>, status: Option<&str>) -> bool {
        self.supervisor
            || manager.is_none_or(|m| m == self.id)
            || status.is_some_and(|to| self.moves_to.iter().any(|s| s == to))
    }

    /// 403 unless they are a supervisor.
    pub fn require_supervisor(&self) -> Result<(), ApiError> {
        if self.supervisor {
            Ok(())
        } else {
            Err(forbidden("only a supervisor sees this"))
        }
    }

    /// As `GET /api/me` and the sign-in show it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "roles": self.roles,
            "supervisor": self.supervisor,
        })
    }
}

/// What a staff request's handler has: the request, its caller, the database, the shop's
/// configuration, now.
pub struct Call<'a> {
    /// The request.
    pub inbound: &'a Inbound,
    /// Who is asking.
    pub caller: &'a Caller,
    /// The database.
    pub db: Db,
    /// The shop's configuration.
    pub config: &'a orderpath_core::automation::config::Config,
    /// Now.
    pub now: Timestamp,
}

/// 403 with a reason.
pub fn forbidden(message: &str) -> ApiError {
    ApiError::new(403, "forbidden", message)
}

/// Who is calling: the admin token in `Authorization`, else a live session in the cookie.
/// 401 without either (a wrong token is never retried as a cookie). A state-changing request
/// signed in by cookie must come from this origin (besides `SameSite=Strict`).
pub fn authenticate(
    db: &Db,
    inbound: &Inbound,
    shop: &Shop,
    now: Timestamp,
) -> Result<Caller, ApiError> {
    if inbound.header("authorization").is_some() {
        crate::inbound::auth::require_token(
            inbound,
            &config::secret("admin_token")?,
            crate::inbound::auth::TokenIn::Header,
        )?;
        return Ok(Caller::admin());
    }
    let caller = signed_in(db, inbound, shop, now)?.ok_or_else(unauthorized)?;
    if !matches!(inbound.method.as_str(), "GET" | "HEAD") && !same_origin(inbound) {
        return Err(forbidden("a change must come from the desk's own origin"));
    }
    Ok(caller)
}

/// The staff member whose live session the request's cookie carries, if any (and if they are
/// still in `shop.toml`).
pub fn signed_in(
    db: &Db,
    inbound: &Inbound,
    shop: &Shop,
    now: Timestamp,
) -> Result<Option<Caller>, crate::db::DbError> {
    match cookie(inbound, COOKIE) {
        Some(value) => session_caller(db, value, shop, now),
        None => Ok(None),
    }
}

/// The staff member behind a session cookie's value, if the session is live and they are
/// still in `shop.toml`.
pub fn session_caller(
    db: &Db,
    value: &str,
    shop: &Shop,
    now: Timestamp,
) -> Result<Option<Caller>, crate::db::DbError> {
    Ok(sessions::find(db, value, now)?
        .and_then(|(id, _)| shop.staff_member(&id).map(|m| Caller::staff(m, shop))))
}

/// Signs a person in: `{"staff": "<id>", "password": "…"}`. The answer sets the cookie.
pub fn sign_in(
    db: &Db,
    inbound: &Inbound,
    shop: &Shop,
    now: Timestamp,
) -> Result<Answer, ApiError> {
    let body: Value = serde_json::from_slice(&inbound.body)
        .map_err(|e| ApiError::new(400, "malformed_json", e.to_string()))?;
    let field = |name: &str| body.get(name).and_then(Value::as_str).unwrap_or_default();
    let (staff_id, given) = (field("staff").trim(), field("password"));
    if staff_id.is_empty() || given.is_empty() || given.len() > password::MAX_LEN {
        return Err(ApiError::new(
            422,
            "invalid_request",
            "staff and password are required",
        ));
    }
    let member = shop.staff_member(staff_id);
    let credential = match member {
        Some(_) => sessions::credential(db, staff_id)?,
        None => None,
    };
    if let Some(until) = credential.as_ref().and_then(|c| c.locked_until) {
        if until.unix() > now.unix() {
            let mut error = ApiError::new(
                429,
                "too_many_attempts",
                "too many failed sign-ins; try again later",
            );
            let wait = (until.unix() - now.unix()).to_string();
            error.headers.push(("retry-after".into(), wait));
            return Err(error);
        }
    }
    let stored = credential
        .as_ref()
        .map_or(password::DECOY, |c| c.hash.as_str());
    let matches = password::verify(given, stored) && credential.is_some();
    let (Some(member), true) = (member, matches) else {
        if credential.is_some() {
            db.transaction(|db| sessions::record_failure(db, staff_id, now))?;
        }
        return Err(ApiError::new(
            401,
            "invalid_credentials",
            "wrong staff id or password",
        ));
    };
    let token = random_bytes::<32>();
    let (value, expires) = db.transaction(|db| sessions::start(db, staff_id, &token, now))?;
    let caller = Caller::staff(member, shop);
    Ok(Answer::json(
        200,
        &json!({ "staff": caller.to_json(), "expires_at": expires.to_rfc3339() }),
    )
    .with_header(
        "set-cookie",
        &cookie_header(&value, sessions::SESSION_SECS, https(inbound)),
    )
    .with_header("cache-control", "no-store"))
}

/// Signs out: the session ends on the server and the cookie is cleared.
pub fn sign_out(db: &Db, inbound: &Inbound) -> Result<Answer, ApiError> {
    if let Some(value) = cookie(inbound, COOKIE) {
        db.transaction(|db| sessions::end(db, value))?;
    }
    Ok(Answer {
        status: 204,
        body: String::new(),
        headers: vec![("set-cookie".into(), cookie_header("", 0, https(inbound)))],
    })
}

/// Sets a password: the admin for anyone in `shop.toml`; a person for themself, with the
/// current password. Ends that person's sessions.
pub fn change_password(
    db: &Db,
    inbound: &Inbound,
    caller: &Caller,
    staff_id: &str,
    shop: &Shop,
    now: Timestamp,
) -> Result<Answer, ApiError> {
    if shop.staff_member(staff_id).is_none() {
        return Err(ApiError::new(
            404,
            "not_found",
            format!("no staff member {staff_id} in shop.toml"),
        ));
    }
    if !caller.admin && caller.id != staff_id {
        return Err(forbidden("only the admin sets another person's password"));
    }
    let body: Value = serde_json::from_slice(&inbound.body)
        .map_err(|e| ApiError::new(400, "malformed_json", e.to_string()))?;
    let new = body
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default();
    password::acceptable(new)
        .map_err(|e| ApiError::new(422, "invalid_request", format!("password: {e}")))?;
    if !caller.admin {
        let current = body
            .get("current_password")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let stored = sessions::credential(db, staff_id)?;
        if !stored.is_some_and(|c| password::verify(current, &c.hash)) {
            return Err(ApiError::new(403, "forbidden", "current_password is wrong"));
        }
    }
    let hash = password::hash(new, &random_bytes::<16>());
    db.transaction(|db| sessions::set_password(db, staff_id, &hash, now))?;
    Ok(Answer {
        status: 204,
        body: String::new(),
        headers: Vec::new(),
    })
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'a>(inbound: &'a Inbound, name: &str) -> Option<&'a str> {
    inbound
        .headers
        .iter()
        .filter(|(k, _)| k == "cookie")
        .find_map(|(_, v)| cookie_value(v, name))
}

/// A cookie's value from one `Cookie` header's text (`a=1; op_session=…`).
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn cookie_header(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// Whether the browser reached us over https: Spin's full URL, or the TLS-terminating proxy's
/// `X-Forwarded-Proto` (SpinKube behind an ingress).
fn https(inbound: &Inbound) -> bool {
    inbound
        .header("spin-full-url")
        .is_some_and(|u| u.starts_with("https://"))
        || inbound
            .header("x-forwarded-proto")
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A browser's state-changing request carries `Origin`; it must name the host it was sent to.
/// Tools without `Origin` (curl with a copied cookie) are let through: CSRF needs a browser.
fn same_origin(inbound: &Inbound) -> bool {
    let Some(origin) = inbound.header("origin") else {
        return true;
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
    // The `Host` the browser sent, or the authority of the URL Spin reports (an HTTP/2 or
    // wasi-http request carries it outside the headers).
    let full_url_host = inbound
        .header("spin-full-url")
        .and_then(|url| url.split_once("://"))
        .map(|(_, rest)| rest.split('/').next().unwrap_or_default());
    [inbound.header("host"), full_url_host]
        .into_iter()
        .flatten()
        .any(|host| bool::from(origin_host.as_bytes().ct_eq(host.as_bytes())))
}

fn unauthorized() -> ApiError {
    let mut error = ApiError::new(
        401,
        "unauthorized",
        "sign in (POST /api/session) or send the admin token (Authorization: Bearer <token>)",
    );
    error
        .headers
        .push(("www-authenticate".into(), "Bearer".into()));
    error
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    #[cfg(target_arch = "wasm32")]
    {
        let bytes = wasi::random::random::get_random_bytes(N as u64);
        out.copy_from_slice(&bytes[..N]);
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        for (i, chunk) in out.chunks_mut(8).enumerate() {
            let word = crate::outbound::outbox::random_u64() ^ (i as u64).rotate_left(32);
            chunk.copy_from_slice(&word.to_le_bytes()[..chunk.len()]);
        }
    }
    out
}
