//! Bounds on untrusted input: every size and depth the engine accepts.

/// The longest token accepted, in bytes (64 KiB). Entra access tokens are
/// 1–4 KiB; a token carrying many groups stays well under this.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// The deepest nesting of JSON arrays and objects accepted in a token's
/// header or payload, and in a key set. Entra tokens nest two levels deep.
pub const MAX_JSON_DEPTH: usize = 32;

/// The largest key set (JWKS or PEM) accepted, in bytes (1 MiB).
pub const MAX_KEYSET_BYTES: usize = 1024 * 1024;

/// The most keys accepted in one key set.
pub const MAX_KEYS: usize = 1024;

/// Returns the nesting depth of `json` (objects and arrays), scanning bytes
/// without building anything, and stops early once `limit` is exceeded.
///
/// Brackets inside strings are ignored. The scan does not validate JSON; it
/// only bounds what a real parser will later be asked to do.
pub fn json_depth_exceeds(json: &[u8], limit: usize) -> bool {
    // Fast path: fewer openers than the limit cannot nest deeper than it.
    // This count is SIMD; the exact scan below runs only when needed.
    if memchr::memchr2_iter(b'{', b'[', json)
        .take(limit + 1)
        .count()
        <= limit
    {
        return false;
    }
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in json {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nesting_and_ignores_strings() {
        assert!(!json_depth_exceeds(br#"{"a":{"b":[1,2]}}"#, 3));
        assert!(json_depth_exceeds(br#"{"a":{"b":[1,2]}}"#, 2));
        assert!(!json_depth_exceeds(br#"{"a":"[[[[[[[[\"{{{{"}"#, 1));
    }

    #[test]
    fn deep_input_is_caught_early() {
        let deep = "[".repeat(100_000);
        assert!(json_depth_exceeds(deep.as_bytes(), MAX_JSON_DEPTH));
    }
}
