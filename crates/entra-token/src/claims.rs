//! The claims the rules read, typed, keeping "missing" apart from
//! "present but malformed".

use serde::Deserialize;
use serde_json::Value;

/// A claim's value as the rules see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim<T> {
    /// The claim is absent.
    Missing,
    /// The claim is present with the wrong JSON type; the text says what it is.
    Malformed(String),
    /// The claim is present and well-typed.
    Present(T),
}

impl<T> Claim<T> {
    /// The value, when present and well-typed.
    pub fn ok(self) -> Option<T> {
        match self {
            Claim::Present(v) => Some(v),
            _ => None,
        }
    }
}

/// The registered and Entra-specific claims the rules use. Every other claim
/// stays in the raw payload, for display.
///
/// Duplicate members among these are a parse error, so that a validator and
/// an API can never read two different values of, say, `aud`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Claims {
    pub aud: Option<Value>,
    pub iss: Option<Value>,
    pub tid: Option<Value>,
    pub exp: Option<Value>,
    pub nbf: Option<Value>,
    pub iat: Option<Value>,
    pub ver: Option<Value>,
    pub sub: Option<Value>,
    pub oid: Option<Value>,
    pub upn: Option<Value>,
    pub unique_name: Option<Value>,
    pub preferred_username: Option<Value>,
    pub email: Option<Value>,
    pub name: Option<Value>,
    pub appid: Option<Value>,
    pub azp: Option<Value>,
    pub app_displayname: Option<Value>,
    pub idtyp: Option<Value>,
    pub scp: Option<Value>,
    pub roles: Option<Value>,
    pub nonce: Option<Value>,
    pub at_hash: Option<Value>,
    pub c_hash: Option<Value>,
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Reads a string claim.
pub fn string(v: &Option<Value>) -> Claim<&str> {
    match v {
        None => Claim::Missing,
        Some(Value::String(s)) => Claim::Present(s.as_str()),
        Some(other) => Claim::Malformed(format!("{} instead of a string", kind(other))),
    }
}

/// Reads a NumericDate (RFC 7519 §2): seconds since the epoch. Fractions are
/// allowed and truncated; strings, even of digits, are malformed.
pub fn numeric_date(v: &Option<Value>) -> Claim<i64> {
    match v {
        None => Claim::Missing,
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Claim::Present(i)
            } else if let Some(f) = n.as_f64() {
                if f.is_finite() && f.abs() < 1e15 {
                    Claim::Present(f.trunc() as i64)
                } else {
                    Claim::Malformed(format!("{n} is out of range for a date"))
                }
            } else {
                Claim::Malformed(format!("{n} is out of range for a date"))
            }
        }
        Some(Value::String(s)) => Claim::Malformed(format!(
            "the string \"{}\" instead of a number of seconds",
            crate::text::clip(s, 40)
        )),
        Some(other) => Claim::Malformed(format!("{} instead of a number of seconds", kind(other))),
    }
}

/// Reads `aud`: one string, or an array of strings (RFC 7519 §4.1.3).
pub fn audiences(v: &Option<Value>) -> Claim<Vec<&str>> {
    match v {
        None => Claim::Missing,
        Some(Value::String(s)) => Claim::Present(vec![s.as_str()]),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => out.push(s.as_str()),
                    other => return Claim::Malformed(format!("an array holding {}", kind(other))),
                }
            }
            if out.is_empty() {
                Claim::Malformed("an empty array".into())
            } else {
                Claim::Present(out)
            }
        }
        Some(other) => Claim::Malformed(format!(
            "{} instead of a string or array of strings",
            kind(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_is_not_malformed() {
        assert_eq!(numeric_date(&None), Claim::Missing);
        assert!(matches!(
            numeric_date(&Some(json!("123"))),
            Claim::Malformed(_)
        ));
        assert_eq!(numeric_date(&Some(json!(12.9))), Claim::Present(12));
        assert_eq!(
            audiences(&Some(json!(["a", "b"]))),
            Claim::Present(vec!["a", "b"])
        );
        assert!(matches!(audiences(&Some(json!([1]))), Claim::Malformed(_)));
        assert!(matches!(string(&Some(json!(1))), Claim::Malformed(_)));
    }
}
