//! The request target's share of the text rule (`cid_common::text`): a path or query
//! parameter that decodes to a control character is refused before any handler sees it, so
//! no route needs its own check and none can forget one.

use cid_common::FieldIssue;
use cid_common::text::has_forbidden_control;

use crate::error::ApiError;

/// `%XX` decoded; `+` as a space where `plus_is_space` (query strings). Malformed escapes
/// stay as they are.
fn decode(raw: &str, plus_is_space: bool) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The 400 for a path or query holding a control character, naming the query parameter
/// (or `path`).
pub fn check(path: &str, query: &str) -> Option<ApiError> {
    if path.contains('%') && has_forbidden_control(&decode(path, false)) {
        return Some(ApiError::field("path", FieldIssue::ControlCharacters));
    }
    if query.is_empty() {
        return None;
    }
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key, true);
        if has_forbidden_control(&key) {
            return Some(ApiError::field("query", FieldIssue::ControlCharacters));
        }
        if has_forbidden_control(&decode(value, true)) {
            return Some(ApiError::field(&key, FieldIssue::ControlCharacters));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(path: &str, query: &str) -> Option<String> {
        check(path, query).map(|e| e.fields[0].field.clone())
    }

    #[test]
    fn control_characters_in_the_path_or_query_are_named() {
        assert_eq!(
            field("/api/customer-id/rewards/a%00b/details", ""),
            Some("path".into())
        );
        assert_eq!(field("/x/%1B%5B31m", ""), Some("path".into()));
        assert_eq!(field("/x", "limit=5&cursor=ab%00"), Some("cursor".into()));
        assert_eq!(field("/x", "q%07=1"), Some("query".into()));
        assert_eq!(field("/x", "query=%C2%9B"), Some("query".into()));
    }

    #[test]
    fn ordinary_targets_pass() {
        assert_eq!(field("/api/customer-id/loyalty/CID-1", "limit=5"), None);
        assert_eq!(
            field("/a%20b/%D8%B3%D8%A7%D8%B1%D8%A9", "q=a+b&x=%2F"),
            None
        );
        assert_eq!(field("/bad%zzescape%", "x=%"), None);
    }
}
