//! Small text helpers shared by the rules and summaries.

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Shows a long secret-like value by its ends only (for tokens in messages:
/// a whole token is never printed).
pub fn redact_token(token: &str) -> String {
    if token.len() <= 16 {
        return "[redacted]".into();
    }
    let head: String = token.chars().take(8).collect();
    format!("{head}…[{} bytes]", token.len())
}
