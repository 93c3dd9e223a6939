//! Cursor pagination: `?limit=` (1..100, default 20) and an opaque `?cursor=`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{FieldError, FieldIssue};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// A position in a list ordered by a numeric key (newest first or oldest first).
///
/// On the wire it is the key in decimal, up to 18 digits: every such value is a valid
/// position, so the documented pattern (`^[0-9]{0,18}$`) is exactly what the server accepts.
/// Clients treat it as opaque. The earlier base64 form (`c1:<key>`) is still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub i64);

impl Cursor {
    pub fn encode(self) -> String {
        self.0.to_string()
    }

    pub fn decode(raw: &str) -> Option<Self> {
        if (1..=18).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            return raw.parse().ok().map(Cursor);
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        let text = std::str::from_utf8(&bytes).ok()?;
        text.strip_prefix("c1:")?.parse().ok().map(Cursor)
    }
}

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// Validates raw query values; every problem is reported with its field name.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "limit",
                        FieldIssue::OutOfRange {
                            min: 1,
                            max: i64::from(MAX_LIMIT),
                        },
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let cursor = match cursor {
            None | Some("") => None,
            Some(raw) => {
                let parsed = Cursor::decode(raw);
                if parsed.is_none() {
                    errors.push(FieldError::new("cursor", FieldIssue::InvalidFormat));
                }
                parsed
            }
        };
        if errors.is_empty() {
            Ok(Self { limit, cursor })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_every_documented_value_decodes() {
        assert_eq!(Cursor::decode(&Cursor(42).encode()), Some(Cursor(42)));
        assert_eq!(Cursor::decode("not-a-cursor"), None);
        assert_eq!(Cursor::decode("0"), Some(Cursor(0)));
        assert_eq!(
            Cursor::decode("999999999999999999"),
            Some(Cursor(999_999_999_999_999_999))
        );
        assert_eq!(Cursor::decode("1234567890123456789"), None, "19 digits");
        // The earlier form stays readable for clients holding one.
        assert_eq!(
            Cursor::decode(&URL_SAFE_NO_PAD.encode("c1:7")),
            Some(Cursor(7))
        );
    }

    #[test]
    fn parse_rejects_out_of_range_and_non_numeric_limits() {
        for bad in ["0", "101", "-1", "abc", "1.5"] {
            let errors = PageRequest::parse(Some(bad), None).unwrap_err();
            assert_eq!(errors[0].field, "limit", "{bad}");
        }
        assert_eq!(
            PageRequest::parse(Some("100"), None).map(|p| p.limit),
            Ok(100)
        );
        assert_eq!(
            PageRequest::parse(None, None).map(|p| p.limit),
            Ok(DEFAULT_LIMIT)
        );
    }
}
