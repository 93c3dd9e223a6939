//! The one rule every text a client sends passes: no control characters.
//!
//! PostgreSQL refuses NUL in text (the request would fail as a server error), SQLite stores
//! it and exports then carry it raw, and escape sequences in names reach terminals and logs.
//! Tab, line feed and carriage return stay allowed: descriptions and messages have lines.

/// C0 controls other than tab, line feed and carriage return; DEL; C1 controls (which include
/// the CSI that starts ANSI escapes).
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether `s` holds a character [`is_forbidden_control`] refuses.
pub fn has_forbidden_control(s: &str) -> bool {
    s.chars().any(is_forbidden_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_refused_but_line_breaks_and_tabs_and_arabic_are_not() {
        for bad in ["a\0b", "\u{1b}[31mred", "x\u{7f}", "\u{9b}1m", "\u{8}"] {
            assert!(has_forbidden_control(bad), "{bad:?}");
        }
        for good in [
            "line one\nline two\r\n",
            "a\tb",
            "سارة",
            "CID-2026-000001",
            "",
        ] {
            assert!(!has_forbidden_control(good), "{good:?}");
        }
    }
}
