//! A cursor over a `serde_json::Value` that knows the JSON path of where it stands, so that
//! every check can name the field it refuses.

use serde_json::{Map, Value};

use super::EventError;
use crate::text::char_len;

/// Largest float accepted as an integer: beyond 2^53 a float no longer holds every integer,
/// so `9007199254740993.0` would silently become another amount.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// An object at a known path.
pub(super) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: String,
}

/// A present, non-null value at a known path.
pub(super) struct Field<'a> {
    pub value: &'a Value,
    pub path: String,
}

pub(super) fn invalid(field: impl Into<String>, message: impl Into<String>) -> EventError {
    EventError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

impl<'a> Obj<'a> {
    /// The top level of the document, which must be an object.
    pub fn root(value: &'a Value) -> Option<Obj<'a>> {
        value.as_object().map(|map| Obj {
            map,
            path: String::new(),
        })
    }

    /// The path of a field of this object, e.g. `data.customer.phone`.
    /// The object's members in order.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, &'a Value)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// The path of this object, for rules about the object as a whole.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The field, or `None` when it is absent or `null`.
    pub fn optional(&self, name: &str) -> Option<Field<'a>> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(Field {
                value,
                path: self.path_of(name),
            }),
        }
    }

    /// The field, refused with "is required" when absent or `null`.
    pub fn required(&self, name: &str) -> Result<Field<'a>, EventError> {
        self.optional(name)
            .ok_or_else(|| invalid(self.path_of(name), "is required"))
    }
}

impl<'a> Field<'a> {
    pub fn invalid(&self, message: impl Into<String>) -> EventError {
        invalid(self.path.clone(), message)
    }

    pub fn object(&self) -> Result<Obj<'a>, EventError> {
        match self.value {
            Value::Object(map) => Ok(Obj {
                map,
                path: self.path.clone(),
            }),
            _ => Err(self.invalid("must be an object")),
        }
    }

    /// The elements with their paths (`items[0]`, `items[1]`, …).
    pub fn array(&self) -> Result<Vec<Field<'a>>, EventError> {
        match self.value {
            Value::Array(values) => Ok(values
                .iter()
                .enumerate()
                .map(|(i, value)| Field {
                    value,
                    path: format!("{}[{i}]", self.path),
                })
                .collect()),
            _ => Err(self.invalid("must be an array")),
        }
    }

    pub fn string(&self) -> Result<&'a str, EventError> {
        self.value
            .as_str()
            .ok_or_else(|| self.invalid("must be a string"))
    }

    /// A string of at most `max` characters.
    pub fn string_max(&self, max: usize) -> Result<&'a str, EventError> {
        let s = self.string()?;
        if char_len(s) > max {
            Err(self.invalid(format!("must be at most {max} characters")))
        } else {
            Ok(s)
        }
    }

    /// An integer in `min..=max`, refused with `rule` (e.g. "must be an integer ≥ 0").
    /// Floats are integers only when they have no fraction (`2.0`), like JSON Schema's
    /// `integer`.
    pub fn integer(&self, min: i64, max: i64, rule: &str) -> Result<i64, EventError> {
        let Value::Number(n) = self.value else {
            return Err(self.invalid(rule));
        };
        let value = if let Some(i) = n.as_i64() {
            i
        } else if n.as_u64().is_some() {
            return Err(self.invalid(format!("{rule} (too large)")));
        } else {
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() <= MAX_EXACT_FLOAT => f as i64,
                Some(f) if f.fract() == 0.0 && f.is_finite() => {
                    return Err(self.invalid(format!("{rule} (too large)")))
                }
                _ => return Err(self.invalid(rule)),
            }
        };
        if (min..=max).contains(&value) {
            Ok(value)
        } else {
            Err(self.invalid(rule))
        }
    }

    /// Money in minor units: an integer ≥ 0.
    pub fn money(&self) -> Result<i64, EventError> {
        self.integer(0, i64::MAX, "must be an integer ≥ 0")
    }
}
