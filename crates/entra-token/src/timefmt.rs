//! Times for people: UTC instants and "3 h 12 min ago".

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Formats epoch seconds as RFC 3339 UTC (`2026-11-28T20:27:59Z`), or says
/// the value is out of range.
pub fn utc(epoch: i64) -> String {
    match OffsetDateTime::from_unix_timestamp(epoch) {
        Ok(t) => t
            .format(&Rfc3339)
            .unwrap_or_else(|_| format!("{epoch} (epoch seconds)")),
        Err(_) => format!("{epoch} (out of range)"),
    }
}

/// A span of seconds in words: `45 s`, `3 min 5 s`, `2 h 12 min`, `3 d 4 h`.
pub fn span(secs: i64) -> String {
    let s = secs.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        if h > 0 {
            format!("{d} d {h} h")
        } else {
            format!("{d} d")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else if m > 0 {
        if sec > 0 {
            format!("{m} min {sec} s")
        } else {
            format!("{m} min")
        }
    } else {
        format!("{sec} s")
    }
}

/// `in 5 min` or `3 h 12 min ago`, relative to `now`.
pub fn relative(epoch: i64, now: i64) -> String {
    let delta = epoch.saturating_sub(now);
    if delta == 0 {
        "now".into()
    } else if delta > 0 {
        format!("in {}", span(delta))
    } else {
        format!("{} ago", span(delta))
    }
}

/// Parses `--at`: RFC 3339, or epoch seconds.
pub fn parse_instant(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| {
            format!("'{s}' is neither RFC 3339 (2026-11-28T10:00:00Z) nor epoch seconds: {e}")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(45), "45 s");
        assert_eq!(span(3 * 3600 + 12 * 60 + 5), "3 h 12 min");
        assert_eq!(relative(0, 11_520), "3 h 12 min ago");
        assert_eq!(relative(300, 0), "in 5 min");
        assert_eq!(span(90_000), "1 d 1 h");
    }

    #[test]
    fn instants_parse_both_ways() {
        assert_eq!(parse_instant("1700000000").unwrap(), 1_700_000_000);
        assert_eq!(
            parse_instant("2023-11-14T22:13:20Z").unwrap(),
            1_700_000_000
        );
        assert!(parse_instant("yesterday").is_err());
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
