//! `JsonBody`: a request body read with a size limit and a content-type check, then parsed
//! strictly (after the handler has authorized the caller) with every problem reported per
//! field. The raw bytes stay available for idempotency hashing.

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
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = if raw.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        raw
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(ErrorCode::MalformedJson);
        }
        ApiError::validation(vec![field_error(&path, &inner.to_string())])
    })?;
    de.end()
        .map_err(|_| ApiError::new(ErrorCode::MalformedJson))?;
    Ok(value)
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
    } else {
        e.to_owned()
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
}
