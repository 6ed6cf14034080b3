//! Hand-written text scanning: AADSTS codes, labelled IDs, OAuth error words,
//! quoted details inside descriptions, and form/percent decoding. No regex.

/// Finds `needle` in `hay` ignoring ASCII case, from byte `from`.
pub(crate) fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// Whether `hay` contains `needle`, ignoring ASCII case.
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay, needle, 0).is_some()
}

/// Every distinct `AADSTS<digits>` code in `text`, in order of appearance,
/// with the byte offset of the first one.
pub(crate) fn aadsts_codes(text: &str) -> (Vec<u32>, Option<usize>) {
    let mut codes = Vec::new();
    let mut first = None;
    let mut from = 0;
    while let Some(at) = find_ci(text, "AADSTS", from) {
        let digits: String = text[at + 6..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(11)
            .collect();
        from = at + 6;
        if let Some(code) = parse_code_digits(&digits) {
            if first.is_none() {
                first = Some(at);
            }
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    (codes, first)
}

/// An AADSTS number: 1 to 10 digits that fit a `u32`.
pub(crate) fn parse_code_digits(digits: &str) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The OAuth 2.0 / OpenID Connect error strings Entra ID returns.
pub(crate) const OAUTH_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_grant",
    "unauthorized_client",
    "invalid_client",
    "unsupported_grant_type",
    "unsupported_response_type",
    "invalid_resource",
    "invalid_scope",
    "interaction_required",
    "login_required",
    "consent_required",
    "access_denied",
    "temporarily_unavailable",
    "server_error",
    "authorization_pending",
    "authorization_declined",
    "bad_verification_code",
    "expired_token",
    "slow_down",
    "invalid_target",
];

/// The first OAuth error word standing on its own in `text`.
pub(crate) fn oauth_error_word(text: &str) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    for &word in OAUTH_ERRORS {
        let mut from = 0;
        while let Some(at) = find_ci(text, word, from) {
            from = at + word.len();
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if !is_word(before) && !is_word(after) {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, word));
                }
                break;
            }
        }
    }
    best.map(|(_, w)| w)
}

fn is_id_char(c: char) -> bool {
    c.is_ascii_hexdigit() || c == '-'
}

/// The GUID-like value after the first of `labels` (e.g. `Trace ID:`),
/// skipping separators such as `:`, `=`, quotes and spaces.
pub(crate) fn labelled_id(text: &str, labels: &[&str]) -> Option<String> {
    for label in labels {
        let mut from = 0;
        while let Some(at) = find_ci(text, label, from) {
            from = at + label.len();
            let rest = text[from..].trim_start_matches([':', '=', '"', '\'', ' ', '\t']);
            let id: String = rest
                .chars()
                .take_while(|&c| is_id_char(c))
                .take(64)
                .collect();
            if id.len() >= 8 && id.chars().any(|c| c.is_ascii_hexdigit()) {
                return Some(id);
            }
        }
    }
    None
}

/// The trace ID (Entra also calls it the request ID) in free text.
pub(crate) fn trace_id(text: &str) -> Option<String> {
    labelled_id(
        text,
        &[
            "trace id",
            "trace_id",
            "traceid",
            "request id",
            "request_id",
            "requestid",
        ],
    )
}

/// The correlation ID in free text.
pub(crate) fn correlation_id(text: &str) -> Option<String> {
    labelled_id(text, &["correlation id", "correlation_id", "correlationid"])
}

/// The `Timestamp: 2024-05-01 10:11:12Z` value in free text.
pub(crate) fn timestamp(text: &str) -> Option<String> {
    let mut from = 0;
    while let Some(at) = find_ci(text, "timestamp", from) {
        from = at + 9;
        let rest = text[from..].trim_start_matches([':', '=', '"', '\'', ' ']);
        let mut out = String::new();
        for c in rest.chars().take(40) {
            if c.is_ascii_digit() || matches!(c, '-' | ':' | ' ' | 'T' | '.' | '+') {
                out.push(c);
            } else if c == 'Z' {
                out.push(c);
                break;
            } else {
                break;
            }
        }
        let out = out.trim().to_owned();
        if out.len() >= 10 && out.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return Some(out);
        }
    }
    None
}

/// The one-line message that starts at byte `at` (an `AADSTS` code): up to a
/// line break (real or written as `\r\n`), `Trace ID`, or the closing quote
/// when the message sits inside quotes.
pub(crate) fn message_at(text: &str, at: usize) -> String {
    let rest = &text[at..];
    let quote = text[..at]
        .chars()
        .next_back()
        .filter(|c| *c == '\'' || *c == '"');
    let mut end = rest.len();
    for stop in ["\n", "\r", "\\r\\n", "\\n", "\\r"] {
        if let Some(i) = rest.find(stop) {
            end = end.min(i);
        }
    }
    for stop in ["trace id", "trace_id"] {
        if let Some(i) = find_ci(rest, stop, 0) {
            end = end.min(i);
        }
    }
    if let Some(q) = quote {
        if let Some(i) = rest.find(q) {
            end = end.min(i);
        }
    }
    let msg = rest[..end]
        .trim_end_matches(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == ',');
    entra_token::text::clip(msg.trim(), 2000)
}

pub(crate) use entra_token::tenant_id::is_guid;

/// The value after `marker` in `text`: the quoted text if a quote follows
/// (`'`, `"`, `‘`, `’`), else the next whitespace-delimited word, with
/// trailing punctuation removed.
pub(crate) fn value_after(text: &str, marker: &str) -> Option<String> {
    let at = find_ci(text, marker, 0)?;
    let rest = text[at + marker.len()..].trim_start();
    let mut chars = rest.chars();
    let first = chars.next()?;
    let value: String = match first {
        '\'' | '"' | '‘' | '’' | '“' => {
            let close: &[char] = match first {
                '‘' | '’' => &['’', '‘'],
                '“' => &['”'],
                '\'' => &['\''],
                _ => &['"'],
            };
            chars
                .take_while(|c| !close.contains(c))
                .take(2048)
                .collect()
        }
        _ => rest
            .chars()
            .take_while(|c| !c.is_whitespace())
            .take(2048)
            .collect(),
    };
    let value = value
        .trim()
        .trim_end_matches(['.', ',', ';', ')', '('])
        .trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space and
/// `%XX` a byte; a broken `%` sequence stays as written.
pub(crate) fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `key=value` pairs of a query string or fragment, decoded.
pub(crate) fn form_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_codes_in_order_without_duplicates() {
        let (codes, first) = aadsts_codes(
            "x AADSTS50076: a; then aadsts53003 and AADSTS50076 again; AADSTS; AADSTS99999999999",
        );
        assert_eq!(codes, vec![50076, 53003]);
        assert_eq!(first, Some(2));
        assert_eq!(aadsts_codes("nothing").0, Vec::<u32>::new());
    }

    #[test]
    fn finds_oauth_words_on_their_own() {
        assert_eq!(
            oauth_error_word("MsalUiRequiredException: interaction_required: AADSTS50076"),
            Some("interaction_required")
        );
        assert_eq!(
            oauth_error_word("ErrorCode: invalid_grant, invalid_client"),
            Some("invalid_grant")
        );
        assert_eq!(oauth_error_word("my_invalid_grant_x"), None);
    }

    #[test]
    fn reads_labelled_ids_and_timestamps() {
        let t = "AADSTS50126: Bad.\\r\\nTrace ID: 0b1c2d3e-aaaa-4bbb-8ccc-123456789abc\\r\\nCorrelation ID: 11111111-2222-4333-8444-555555555555\\r\\nTimestamp: 2024-05-01 10:11:12Z";
        assert_eq!(
            trace_id(t).as_deref(),
            Some("0b1c2d3e-aaaa-4bbb-8ccc-123456789abc")
        );
        assert_eq!(
            correlation_id(t).as_deref(),
            Some("11111111-2222-4333-8444-555555555555")
        );
        assert_eq!(timestamp(t).as_deref(), Some("2024-05-01 10:11:12Z"));
        assert_eq!(
            trace_id("Request Id: abcdef12-0000-0000-0000-000000000000 Correlation").as_deref(),
            Some("abcdef12-0000-0000-0000-000000000000")
        );
        assert_eq!(timestamp("timestamp: soon"), None);
    }

    #[test]
    fn cuts_the_message_line() {
        let t = "Error: 'AADSTS7000215: Invalid client secret provided.\\r\\nTrace ID: x' more";
        let at = t.find("AADSTS").unwrap();
        assert_eq!(
            message_at(t, at),
            "AADSTS7000215: Invalid client secret provided."
        );
        let t2 = "{'error_description': 'AADSTS50126: Error validating credentials.', 'x': 1}";
        assert_eq!(
            message_at(t2, t2.find("AADSTS").unwrap()),
            "AADSTS50126: Error validating credentials."
        );
    }

    #[test]
    fn takes_values_after_markers() {
        let d = "AADSTS50011: The redirect URI 'http://localhost:8020' specified in the request does not match the redirect URIs configured for the application '0d0c1e2a-1111-4222-8333-444455556666'.";
        assert_eq!(
            value_after(d, "redirect URI ").as_deref(),
            Some("http://localhost:8020")
        );
        assert_eq!(
            value_after(d, "the application ").as_deref(),
            Some("0d0c1e2a-1111-4222-8333-444455556666")
        );
        assert_eq!(
            value_after("named https://x.example/ was", "named ").as_deref(),
            Some("https://x.example/")
        );
        assert!(value_after("abc", "zzz").is_none());
        assert!(is_guid("0d0c1e2a-1111-4222-8333-444455556666"));
        assert!(!is_guid("0d0c1e2a-1111-4222-8333-44445555666"));
    }

    #[test]
    fn decodes_forms() {
        assert_eq!(
            form_decode("AADSTS65004%3a+User+declined%20consent"),
            "AADSTS65004: User declined consent"
        );
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz%4"), "%zz%4");
        assert_eq!(form_decode("%C3%A9"), "é");
        assert_eq!(
            form_pairs("a=1&b=x+y&&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), String::new())
            ]
        );
    }
}
