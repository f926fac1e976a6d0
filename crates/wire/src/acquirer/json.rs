//! Reading acquirers' JSON by hand, so that a refusal names the field's path
//! (`data.object.amount_received`) in the provider's own spelling.

use serde_json::{Map, Value};

use super::NoticeError;
use orderpath_core::money::Currency;
use orderpath_core::text::{char_len, echo, has_control};

/// Longest id (payment, order, refund) taken from a provider.
pub(crate) const ID_MAX: usize = 128;
/// Longest failure reason kept; longer ones are cut, not refused.
const REASON_MAX: usize = 500;

/// The body as JSON; not UTF-8 or not JSON is `Malformed`.
pub(crate) fn parse(body: &[u8]) -> Result<Value, NoticeError> {
    serde_json::from_slice(body).map_err(|e| NoticeError::Malformed(format!("malformed JSON: {e}")))
}

pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> NoticeError {
    NoticeError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// An id as providers send it: a string or an integer, kept as text; bounded and printable.
pub(crate) fn id_text(field: &str, value: &str) -> Result<String, NoticeError> {
    let value = value.trim();
    if value.is_empty() {
        Err(invalid(field, "must not be empty"))
    } else if char_len(value) > ID_MAX {
        Err(invalid(
            field,
            format!("must be at most {ID_MAX} characters"),
        ))
    } else if has_control(value) {
        Err(invalid(field, "must not contain control characters"))
    } else {
        Ok(value.to_owned())
    }
}

/// A reason as the provider wrote it, trimmed and cut to a sensible length; `None` when empty.
pub(crate) fn reason_text(value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        None
    } else {
        Some(value.chars().take(REASON_MAX).collect())
    }
}

/// A currency code, upper-cased (Stripe writes `rub`).
pub(crate) fn currency(field: &str, code: &str) -> Result<Currency, NoticeError> {
    Currency::parse(&code.trim().to_ascii_uppercase()).map_err(|e| invalid(field, e.to_string()))
}

/// An object at a known path.
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

impl<'a> Obj<'a> {
    /// The top level, which must be an object.
    pub fn root(value: &'a Value) -> Result<Obj<'a>, NoticeError> {
        value
            .as_object()
            .map(|map| Obj {
                map,
                path: String::new(),
            })
            .ok_or_else(|| NoticeError::Malformed("the body is not a JSON object".to_owned()))
    }

    /// The members, in the map's order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.map.iter()
    }

    /// The path of a member, e.g. `object.amount.value`.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The member, `None` when absent or `null`.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A member object, `None` when absent or `null`.
    pub fn object(&self, key: &str) -> Result<Option<Obj<'a>>, NoticeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj {
                map,
                path: self.path_of(key),
            })),
            Some(_) => Err(invalid(self.path_of(key), "must be an object")),
        }
    }

    /// A member object that must be there.
    pub fn required_object(&self, key: &str) -> Result<Obj<'a>, NoticeError> {
        self.object(key)?
            .ok_or_else(|| invalid(self.path_of(key), "is required"))
    }

    /// A string member, untrimmed; `None` when absent or `null`.
    pub fn str(&self, key: &str) -> Result<Option<&'a str>, NoticeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(self.path_of(key), "must be a string")),
        }
    }

    /// A string member that must be there and not be blank.
    pub fn required_str(&self, key: &str) -> Result<&'a str, NoticeError> {
        match self.str(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            Some(_) => Err(invalid(self.path_of(key), "must not be empty")),
            None => Err(invalid(self.path_of(key), "is required")),
        }
    }

    /// An id member: a string or an integer, as text; `None` when absent, `null` or blank.
    pub fn id(&self, key: &str) -> Result<Option<String>, NoticeError> {
        let text = match self.value(key) {
            None => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            Some(_) => return Err(invalid(self.path_of(key), "must be a string or an integer")),
        };
        id_text(&self.path_of(key), &text).map(Some)
    }

    /// An id member that must be there.
    pub fn required_id(&self, key: &str) -> Result<String, NoticeError> {
        self.id(key)?
            .ok_or_else(|| invalid(self.path_of(key), "is required"))
    }

    /// An amount in minor units: an integer ≥ 0; `None` when absent or `null`.
    pub fn minor(&self, key: &str) -> Result<Option<i64>, NoticeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if v >= 0 => Ok(Some(v)),
                _ => Err(invalid(
                    self.path_of(key),
                    format!("must be an integer ≥ 0 (minor units), got {n}"),
                )),
            },
            Some(other) => Err(invalid(
                self.path_of(key),
                format!(
                    "must be an integer ≥ 0 (minor units), got {}",
                    echo(&other.to_string())
                ),
            )),
        }
    }

    /// An amount that must be there.
    pub fn required_minor(&self, key: &str) -> Result<i64, NoticeError> {
        self.minor(key)?
            .ok_or_else(|| invalid(self.path_of(key), "is required"))
    }

    /// A boolean member; `None` when absent or `null`.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, NoticeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(invalid(self.path_of(key), "must be true or false")),
        }
    }

    /// A free-text member (a failure reason), trimmed and bounded; numbers are taken as text.
    pub fn reason(&self, key: &str) -> Result<Option<String>, NoticeError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(reason_text(s)),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(invalid(self.path_of(key), "must be a string")),
        }
    }
}
