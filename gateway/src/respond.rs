//! Responses the gateway writes itself: problem+json errors and small JSON bodies.

use bytes::Bytes;
use cid_common::{Envelope, ErrorCode, Locale, Problem};
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{Either, Full};
use hyper::body::Incoming;

/// An upstream's body, read by hyper's client or by the gateway's own (`h1.rs`).
pub type UpstreamBody = Either<Incoming, crate::h1::UpstreamBody>;

/// Upstream bodies stream through untouched; the gateway's own are small and whole.
pub type Body = Either<UpstreamBody, Full<Bytes>>;

pub fn full(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut res = Response::new(Either::Right(Full::new(body.into())));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

pub fn json<T: serde::Serialize>(status: StatusCode, data: &T) -> Response<Body> {
    let body = serde_json::to_vec(&Envelope::ok(data)).unwrap_or_default();
    full(status, "application/json", body)
}

/// The same problem+json body the services write (SPEC §1).
pub fn problem(
    code: ErrorCode,
    args: &[(String, String)],
    locale: Locale,
    request_id: &str,
) -> Response<Body> {
    let p = Problem::build(code, locale, args, &[], request_id);
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = full(
        status,
        Problem::CONTENT_TYPE,
        serde_json::to_vec(&p).unwrap_or_default(),
    );
    res.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(locale.as_str()),
    );
    if code.status() == 503 {
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    res
}
