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

/// `s` made safe to show on a terminal: C0 and C1 control characters (ESC,
/// CR, LF, BEL, CSI U+009B, ...), DEL, and the bidirectional overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069) become visible escapes such as
/// `\u{1b}`, so a value can neither move the cursor, clear the screen,
/// change colours, start a new line nor reorder what follows it. Everything
/// else is kept as it is; text without such characters is borrowed.
pub fn for_terminal(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(unsafe_on_terminal) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_on_terminal(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn unsafe_on_terminal(c: char) -> bool {
    matches!(
        u32::from(c),
        0x00..=0x1f | 0x7f..=0x9f | 0x202a..=0x202e | 0x2066..=0x2069
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_terminal_escapes_controls_and_bidi_overrides() {
        assert_eq!(
            for_terminal("a\x1b[2J\x1b[Hb\r\nc\u{9b}31m\u{7f}"),
            "a\\u{1b}[2J\\u{1b}[Hb\\u{d}\\u{a}c\\u{9b}31m\\u{7f}"
        );
        assert_eq!(
            for_terminal("x\u{202e}gnp.exe\u{2066}\u{2069}\u{202a}"),
            "x\\u{202e}gnp.exe\\u{2066}\\u{2069}\\u{202a}"
        );
    }

    #[test]
    fn for_terminal_keeps_plain_and_non_latin_text_borrowed() {
        for s in [
            "ada@contoso.example",
            "Zoë — 東京 ✓",
            "",
            "\u{a0}\u{200b}\u{2065}\u{206a}",
        ] {
            assert!(
                matches!(for_terminal(s), std::borrow::Cow::Borrowed(b) if b == s),
                "{s:?}"
            );
        }
    }
}
