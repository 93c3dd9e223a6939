//! `JsonBody`: a request body read with a size limit and a content-type check, then parsed
//! strictly (after the handler has authorized the caller) with every problem reported per
//! field. The raw bytes stay available for idempotency hashing.

mod strict;

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest, dev::Payload};
use cid_common::{ErrorCode, FieldError, FieldIssue};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Rules a request body checks after it parsed; the default has none.
pub trait Validate {
    fn validate(&self) -> Vec<FieldError> {
        Vec::new()
    }
}

/// A text field's rule: trimmed, required or not, at most `max` characters.
pub fn check_text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&str>,
    required: bool,
    max: usize,
) {
    match value.map(str::trim) {
        None | Some("") if required => errors.push(FieldError::new(field, FieldIssue::Required)),
        Some(v) if v.chars().count() > max => {
            errors.push(FieldError::new(field, FieldIssue::TooLong { max }))
        }
        _ => {}
    }
}

/// A money field's rule: at most two decimals and `min_minor..=max_minor` in minor units;
/// the amount in minor units when it holds.
pub fn check_amount(
    errors: &mut Vec<FieldError>,
    field: &str,
    major: f64,
    min_minor: i64,
    max_minor: i64,
) -> Option<i64> {
    match cid_common::time::minor_units(major) {
        None => {
            errors.push(FieldError::new(
                field,
                FieldIssue::TooManyDecimals { max: 2 },
            ));
            None
        }
        Some(minor) if !(min_minor..=max_minor).contains(&minor) => {
            errors.push(FieldError::new(
                field,
                FieldIssue::OutOfRange {
                    min: min_minor / 100,
                    max: max_minor / 100,
                },
            ));
            None
        }
        Some(minor) => Some(minor),
    }
}

/// Largest JSON body a service accepts, in bytes (app data; default 64 KiB).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl Default for BodyLimit {
    fn default() -> Self {
        Self(64 * 1024)
    }
}

pub struct JsonBody {
    pub raw: Bytes,
}

impl JsonBody {
    /// Parses and validates the body as `T`.
    pub fn parse<T: DeserializeOwned + Validate>(&self) -> Result<T, ApiError> {
        let value = parse::<T>(&self.raw)?;
        let errors = value.validate();
        if errors.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map_or(BodyLimit::default().0, |l| l.0);
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.as_bytes().to_vec());
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if let Some(ct) = content_type {
                let ct = String::from_utf8_lossy(&ct).to_ascii_lowercase();
                let mime = ct.split(';').next().unwrap_or("").trim().to_owned();
                if !(mime == "application/json" || mime.ends_with("+json")) {
                    return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
                }
            }
            let too_large = || ApiError::new(ErrorCode::PayloadTooLarge).arg("limit", limit);
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| ApiError::new(ErrorCode::MalformedJson))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Self { raw: body.freeze() })
        })
    }
}

/// Parses `raw` (empty means `{}`) into `T`, mapping serde's complaint to a field error.
///
/// The body must be a JSON object (a struct also reads from an array, which must not pass
/// for one), and no string in it — key or value, at any depth — may hold a control
/// character: one rule here instead of a check per field.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = if raw.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        raw
    };
    let mut value: serde_json::Value =
        serde_json::from_slice(text).map_err(|_| ApiError::new(ErrorCode::MalformedJson))?;
    // `null` is "no body", as an empty one is.
    if value.is_null() {
        value = serde_json::Value::Object(Default::default());
    }
    if !value.is_object() {
        return Err(ApiError::field(
            "body",
            FieldIssue::WrongType {
                expected: "an object".into(),
            },
        ));
    }
    integral_floats_to_integers(&mut value);
    let mut controls = Vec::new();
    find_controls(&value, "", &mut controls);
    if !controls.is_empty() {
        return Err(ApiError::validation(controls));
    }
    serde_path_to_error::deserialize(strict::Strict(&value)).map_err(|e| {
        let path = e.path().to_string();
        ApiError::validation(vec![field_error(&path, &e.into_inner().to_string())])
    })
}

/// `818.0` is the integer 818 in JSON (and JSON Schema): read it as one, so an integer field
/// takes it; number fields take integers as well.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64()
                && !n.is_i64()
                && !n.is_u64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Collects a field error for every string (or key) holding a forbidden control character.
fn find_controls(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
    use cid_common::text::has_forbidden_control;
    let here = |p: &str| {
        if p.is_empty() {
            "body".to_owned()
        } else {
            p.to_owned()
        }
    };
    match value {
        serde_json::Value::String(s) if has_forbidden_control(s) => {
            out.push(FieldError::new(here(path), FieldIssue::ControlCharacters));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_controls(item, &format!("{}[{i}]", here(path)), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let field = join(if path.is_empty() { "." } else { path }, key);
                if has_forbidden_control(key) {
                    out.push(FieldError::new(
                        field.escape_default().to_string(),
                        FieldIssue::ControlCharacters,
                    ));
                } else {
                    find_controls(item, &field, out);
                }
            }
        }
        _ => {}
    }
}

fn join(path: &str, name: &str) -> String {
    if path == "." || path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn between<'a>(msg: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = msg.find(start)? + start.len();
    let len = msg[from..].find(end)?;
    Some(&msg[from..from + len])
}

/// Turns serde_json's message into a field and an issue a client can act on.
fn field_error(path: &str, msg: &str) -> FieldError {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(name) = between(msg, "unknown field `", "`") {
        // The path already ends at the unknown field.
        let field = if path.rsplit('.').next() == Some(name) {
            path.to_owned()
        } else {
            join(path, name)
        };
        return FieldError::new(field, FieldIssue::UnknownField);
    }
    if let Some(name) = between(msg, "missing field `", "`") {
        return FieldError::new(join(path, name), FieldIssue::Required);
    }
    let field = if path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    if msg.starts_with("unknown variant") {
        let allowed = msg
            .split("expected ")
            .nth(1)
            .map(|list| {
                list.split('`')
                    .enumerate()
                    .filter(|(i, _)| i % 2 == 1)
                    .map(|(_, s)| s.to_owned())
            })
            .map(Iterator::collect)
            .unwrap_or_default();
        return FieldError::new(field, FieldIssue::OneOf { allowed });
    }
    if msg.starts_with("invalid type") {
        let expected = msg.split("expected ").nth(1).unwrap_or("");
        return FieldError::new(
            field,
            FieldIssue::WrongType {
                expected: describe(expected),
            },
        );
    }
    FieldError::new(field, FieldIssue::InvalidFormat)
}

fn describe(expected: &str) -> String {
    let e = expected.trim();
    let integer = [
        "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
    ];
    if integer.contains(&e) || e.contains("integer") {
        "an integer".into()
    } else if e == "f64" || e == "f32" || e.contains("number") {
        "a number".into()
    } else if e.contains("string") || e.contains("char") {
        "a string".into()
    } else if e.contains("bool") {
        "a boolean".into()
    } else if e.contains("struct") || e.contains("map") {
        "an object".into()
    } else if e.starts_with("enum") || e.contains("variant") {
        "a string".into()
    } else {
        e.to_owned()
    }
}

/// How far ahead of this server's clock a reported time may be (clock skew).
const FUTURE_SKEW_SECS: i64 = 300;

/// A reported time (an event's or a purchase's): RFC 3339, not in the future beyond clock
/// skew, kept to the millisecond.
pub fn reported_time(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    now: chrono::NaiveDateTime,
) -> Option<chrono::NaiveDateTime> {
    // Kept to the millisecond, the precision times are shown with, so a replay of the same
    // report compares equal on every backend.
    use chrono::Timelike;
    let at = chrono::DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.naive_utc())
        .and_then(|t| t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000));
    match at {
        Some(at) if (at - now).num_seconds() <= FUTURE_SKEW_SECS => Some(at),
        Some(_) => {
            errors.push(FieldError::new(field, FieldIssue::InvalidFormat));
            None
        }
        None => {
            errors.push(FieldError::new(field, FieldIssue::InvalidFormat));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Earn {
        points: i64,
        reason: String,
        kind: Option<Kind>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Purchase,
        Review,
    }

    fn err(body: &str) -> ApiError {
        parse::<Earn>(body.as_bytes()).unwrap_err()
    }

    #[test]
    fn errors_name_the_field_and_the_issue() {
        let e = err(r#"{"points": "ten", "reason": "x"}"#);
        assert_eq!(e.fields[0].field, "points");
        assert_eq!(
            e.fields[0].issue,
            FieldIssue::WrongType {
                expected: "an integer".into()
            }
        );
        // An integral float is an integer; a fractional one is not.
        assert!(
            parse::<Earn>(br#"{"points": 818.0, "reason": "x"}"#).is_ok_and(|e| e.points == 818)
        );
        let e = err(r#"{"points": 1.5, "reason": "x"}"#);
        assert_eq!(
            e.fields[0].issue,
            FieldIssue::WrongType {
                expected: "an integer".into()
            }
        );
        let e = err(r#"{"reason": "x"}"#);
        assert_eq!(e.fields[0], FieldError::new("points", FieldIssue::Required));
        let e = err(r#"{"points": 1, "reason": "x", "extra": 1}"#);
        assert_eq!(
            e.fields[0],
            FieldError::new("extra", FieldIssue::UnknownField)
        );
        let e = err(r#"{"points": 1, "reason": "x", "kind": "gift"}"#);
        assert_eq!(
            e.fields[0].issue,
            FieldIssue::OneOf {
                allowed: vec!["purchase".into(), "review".into()]
            }
        );
    }

    #[test]
    fn broken_json_is_malformed_not_a_field_error() {
        assert_eq!(err(r#"{"points": 1,"#).code, ErrorCode::MalformedJson);
        assert_eq!(
            err(r#"{"points": 1, "reason": "x"} trailing"#).code,
            ErrorCode::MalformedJson
        );
        assert_eq!(err("[1,2]").code, ErrorCode::ValidationFailed);
    }

    #[test]
    fn only_an_object_passes_for_a_body() {
        for body in ["[true]", "[1, \"x\"]", "5", "\"text\"", "true"] {
            let e = err(body);
            assert_eq!(e.code, ErrorCode::ValidationFailed, "{body}");
            assert_eq!(e.fields[0].field, "body", "{body}");
        }
    }

    #[test]
    fn control_characters_are_refused_in_any_string_naming_the_field() {
        let e = err(r#"{"points": 1, "reason": "a\u0000b"}"#);
        assert_eq!(
            e.fields,
            vec![FieldError::new("reason", FieldIssue::ControlCharacters)]
        );
        let e = err(r#"{"points": 1, "reason": "\u001b[31mred"}"#);
        assert_eq!(e.fields[0].field, "reason");
        // Nested strings and keys count too, even ones the type would refuse anyway.
        let e = parse::<serde_json::Value>(br#"{"a": {"b": ["ok", "x\u0007"]}}"#).unwrap_err();
        assert_eq!(e.fields[0].field, "a.b[1]");
        let e = err(r#"{"points": 1, "reason": "x", "k\u0000": 1}"#);
        assert_eq!(e.fields[0].issue, FieldIssue::ControlCharacters);
        // Line breaks and tabs are text.
        assert!(parse::<Earn>(br#"{"points": 1, "reason": "two\nlines\tok"}"#).is_ok());
    }

    #[test]
    fn a_wrong_type_on_an_enum_field_is_a_field_error() {
        let e = err(r#"{"points": 1, "reason": "x", "kind": 5}"#);
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert_eq!(e.fields[0].field, "kind");
    }
}
