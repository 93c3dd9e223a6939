//! Identifiers that appear in paths.

use std::fmt;

use crate::error::{FieldError, FieldIssue};

/// A customer ID as it appears in a path: `^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(String);

impl CustomerId {
    pub const MAX_LEN: usize = 64;
    /// The path rule as a JSON Schema pattern (for the OpenAPI documents).
    pub const PATTERN: &'static str = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$";

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let bytes = raw.as_bytes();
        let valid = !bytes.is_empty()
            && bytes.len() <= Self::MAX_LEN
            && bytes[0].is_ascii_alphanumeric()
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new("customerId", FieldIssue::InvalidFormat))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the registry's standard form, `<PREFIX>-<YYYY>-<NNNNNN>` (a prefix of
    /// 1–8 uppercase letters): the form every service stores, so it needs no resolving.
    pub fn is_standard_form(&self) -> bool {
        let mut parts = self.0.splitn(3, '-');
        let (Some(prefix), Some(year), Some(n)) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        (1..=8).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_uppercase())
            && year.len() == 4
            && year.bytes().all(|b| b.is_ascii_digit())
            && n.len() >= 6
            && n.bytes().all(|b| b.is_ascii_digit())
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for CustomerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_letters_digits_dash_underscore() {
        assert_eq!(
            CustomerId::parse("CID-2026_000001").map(|c| c.0),
            Ok("CID-2026_000001".into())
        );
        assert!(CustomerId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn the_standard_form_is_told_from_aliases() {
        let id = |s: &str| CustomerId::parse(s).unwrap();
        assert!(id("CID-2026-000562").is_standard_form());
        assert!(id("CID-2026-1234567").is_standard_form());
        for alias in [
            "CID000562",
            "562",
            "cid-2026-000562",
            "CID-26-000562",
            "CID-2026-562",
        ] {
            assert!(!id(alias).is_standard_form(), "{alias}");
        }
    }

    #[test]
    fn parse_rejects_bad_shapes() {
        for bad in ["", "-abc", "_abc", "a b", "a/b", "ü", &"a".repeat(65)] {
            assert!(
                CustomerId::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
