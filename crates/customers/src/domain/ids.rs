//! Customer ID formats (SPEC §3.1), all derived from one sequence number:
//! standard `<PREFIX>-<YYYY>-<NNNNNN>`, short `<PREFIX><NNNNNN>`, numeric `N`.

/// The three formats of one customer's ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formats {
    pub standard: String,
    pub short: String,
    pub numeric: i64,
}

/// Formats sequence number `n` issued in `year`; numbers past 999,999 simply grow wider.
pub fn formats(prefix: &str, year: i32, n: i64) -> Formats {
    Formats {
        standard: format!("{prefix}-{year:04}-{n:06}"),
        short: format!("{prefix}{n:06}"),
        numeric: n,
    }
}

/// How a path segment names a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Numeric(i64),
    /// Standard or short form (both stored and unique).
    Text(String),
}

pub fn lookup(raw: &str) -> Lookup {
    if !raw.is_empty()
        && raw.len() <= 18
        && raw.bytes().all(|b| b.is_ascii_digit())
        && let Ok(n) = raw.parse()
    {
        return Lookup::Numeric(n);
    }
    Lookup::Text(raw.to_owned())
}

/// A valid prefix: 1–8 uppercase letters.
pub fn valid_prefix(prefix: &str) -> bool {
    (1..=8).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_pad_to_six_digits_and_grow_past_them() {
        let f = formats("CID", 2026, 42);
        assert_eq!(
            (f.standard.as_str(), f.short.as_str(), f.numeric),
            ("CID-2026-000042", "CID000042", 42)
        );
        assert_eq!(formats("CID", 2026, 1_234_567).standard, "CID-2026-1234567");
    }

    #[test]
    fn lookup_tells_numeric_from_text_forms() {
        assert_eq!(lookup("42"), Lookup::Numeric(42));
        assert_eq!(lookup("CID000042"), Lookup::Text("CID000042".into()));
        assert_eq!(
            lookup("CID-2026-000042"),
            Lookup::Text("CID-2026-000042".into())
        );
    }

    #[test]
    fn prefixes_are_short_uppercase_words() {
        assert!(valid_prefix("CID"));
        assert!(!valid_prefix("cid") && !valid_prefix("") && !valid_prefix("C-1"));
    }
}
