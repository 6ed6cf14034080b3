//! Small helpers: base64, ordered JSON objects, GUIDs, random values, time formatting,
//! form parameters, a redirect answer.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

/// Base64url without padding (JWS segments, JWK members).
pub(crate) fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding (tolerates trailing `=`).
pub(crate) fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// Standard base64 with padding (`x5c`).
pub(crate) fn b64std(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// A form body or query string, decoded, in order.
pub(crate) type Form = Vec<(String, String)>;

pub(crate) fn parse_form(bytes: &[u8]) -> Form {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

/// The first value of a form parameter; a blank one counts as absent.
pub(crate) fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// `302 Found` to `location` (500 if it cannot be a header value).
pub(crate) fn found(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A JSON array of strings.
pub(crate) fn str_array(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(*s)).collect())
}

/// A JSON object that keeps its members in insertion order, so that documents and
/// tokens have the member order Entra uses (serde_json's `Map` sorts by default).
#[derive(Clone, Debug, Default)]
pub(crate) struct Obj(pub(crate) Vec<(String, Value)>);

impl Obj {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends a member (does not check for duplicates).
    pub(crate) fn push(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        self.0.push((key.to_owned(), value.into()));
        self
    }

    /// Replaces the member in place if present, else appends it.
    pub(crate) fn set(&mut self, key: &str, value: Value) {
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            self.0.push((key.to_owned(), value));
        }
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.0.retain(|(k, _)| k != key);
    }

    #[cfg(test)]
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Compact JSON text. Serialising strings and numbers cannot fail.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Converts to a (key-sorted) `serde_json::Value`.
    #[cfg(test)]
    pub(crate) fn into_value(self) -> Value {
        Value::Object(self.0.into_iter().collect())
    }
}

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Fills a buffer with random bytes from the system RNG. Falls back to a hash of the
/// clock and a counter if the RNG fails (it does not on supported platforms).
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    if aws_lc_rs::rand::fill(&mut out).is_err() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let seed = format!(
            "{:?}{}",
            SystemTime::now(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let d = digest::digest(&digest::SHA256, seed.as_bytes());
        for (i, b) in out.iter_mut().enumerate() {
            *b = d.as_ref()[i % 32];
        }
    }
    out
}

/// Formats 16 bytes as a version-4 GUID (`8-4-4-4-12`, lower case): the version and
/// variant bits are set, the other 122 bits kept.
fn v4_guid(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A random version-4 GUID.
pub(crate) fn random_guid() -> String {
    v4_guid(random_bytes::<16>())
}

/// A stable GUID derived from some text (same input, same GUID).
pub(crate) fn derived_guid(seed: &str) -> String {
    let d = digest::digest(&digest::SHA256, seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_ref()[..16]);
    v4_guid(b)
}

/// SHA-256 of the text, base64url (43 characters), like Entra's pairwise `sub`.
pub(crate) fn derived_b64(seed: &str) -> String {
    b64url(digest::digest(&digest::SHA256, seed.as_bytes()).as_ref())
}

/// A stable decimal number of `digits` digits derived from text (SCIM ids, org ids).
pub(crate) fn derived_digits(seed: &str, digits: usize) -> String {
    let d = digest::digest(&digest::SHA256, seed.as_bytes());
    let mut out = String::with_capacity(digits);
    for (i, byte) in d.as_ref().iter().cycle().take(digits).enumerate() {
        let digit = if i == 0 { 1 + byte % 9 } else { byte % 10 };
        out.push(char::from(b'0' + digit));
    }
    out
}

/// Is the text a GUID in the `8-4-4-4-12` hex form?
pub(crate) fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    parts.len() == 5
        && parts
            .iter()
            .zip(lens)
            .all(|(p, l)| p.len() == l && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

fn to_datetime(secs: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `2024-05-01T12:00:00Z`, the form jjwt prints dates in its exception messages.
pub(crate) fn iso_seconds(secs: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    to_datetime(secs)
        .format(&fmt)
        .unwrap_or_else(|_| secs.to_string())
}

/// `2024-05-01 12:00:00Z`, the form of Entra's error `timestamp` member.
pub(crate) fn entra_timestamp(secs: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    to_datetime(secs)
        .format(&fmt)
        .unwrap_or_else(|_| secs.to_string())
}

/// Compares two secrets without stopping at the first differing byte.
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        assert!(is_guid(&random_guid()));
        assert!(is_guid(&derived_guid("x")));
        assert_eq!(derived_guid("x"), derived_guid("x"));
        assert!(!is_guid("common"));
        assert!(!is_guid("9188040d-6c67-4c5b-b112-36a304b66daz"));
        assert!(is_guid("9188040d-6c67-4c5b-b112-36a304b66dad"));
    }

    #[test]
    fn digits_and_time() {
        let d = derived_digits("ws", 16);
        assert_eq!(d.len(), 16);
        assert!(!d.starts_with('0'));
        assert_eq!(iso_seconds(0), "1970-01-01T00:00:00Z");
        assert_eq!(entra_timestamp(86_400), "1970-01-02 00:00:00Z");
    }

    #[test]
    fn ordered_object() {
        let mut o = Obj::new();
        o.push("b", 1).push("a", 2);
        o.set("b", Value::from(3));
        assert_eq!(o.to_json(), r#"{"b":3,"a":2}"#);
        o.remove("b");
        assert_eq!(o.to_json(), r#"{"a":2}"#);
    }
}
