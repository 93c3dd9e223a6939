//! W3C trace context (`traceparent`) and request IDs, shared by the services and the gateway.

use rand::RngCore;

/// One hop of a W3C trace: the trace it belongs to and this hop's span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: String,
    pub span_id: String,
    /// The caller's span, when the request arrived with a `traceparent`.
    pub parent_span_id: Option<String>,
    pub sampled: bool,
}

fn random_hex<const N: usize>() -> String {
    let mut buf = [0u8; N];
    loop {
        rand::rng().fill_bytes(&mut buf);
        // All-zero IDs are invalid in W3C trace context.
        if buf.iter().any(|b| *b != 0) {
            break;
        }
    }
    // By table into one allocation: `hex::encode` goes through a char iterator, a visible
    // share of the gateway's work per request.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 * N);
    for b in buf {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && s.bytes().any(|b| b != b'0')
}

impl TraceContext {
    /// A new trace, for a request that arrived without one.
    pub fn root() -> Self {
        Self {
            trace_id: random_hex::<16>(),
            span_id: random_hex::<8>(),
            parent_span_id: None,
            sampled: true,
        }
    }

    /// Continues the caller's trace with a new span, or starts a root when the header is
    /// absent or malformed (as the W3C spec asks).
    pub fn continue_from(header: Option<&str>) -> Self {
        match header.and_then(Self::parse) {
            Some(parent) => Self {
                trace_id: parent.trace_id,
                parent_span_id: Some(parent.span_id),
                span_id: random_hex::<8>(),
                sampled: parent.sampled,
            },
            None => Self::root(),
        }
    }

    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let (version, trace_id, span_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "00" || parts.next().is_some() {
            return None;
        }
        if !is_lower_hex(trace_id, 32) || !is_lower_hex(span_id, 16) || flags.len() != 2 {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(Self {
            trace_id: trace_id.to_owned(),
            span_id: span_id.to_owned(),
            parent_span_id: None,
            sampled: flags & 1 == 1,
        })
    }

    /// The `traceparent` value naming this hop's span as the parent of the next.
    pub fn header(&self) -> String {
        let mut out = String::with_capacity(55);
        out.push_str("00-");
        out.push_str(&self.trace_id);
        out.push('-');
        out.push_str(&self.span_id);
        out.push_str(if self.sampled { "-01" } else { "-00" });
        out
    }
}

/// Keeps a client's `X-Request-Id` when it is sane (1–128 of `[A-Za-z0-9._:-]`), else makes
/// a new UUIDv7.
pub fn request_id(incoming: Option<&[u8]>) -> String {
    match incoming {
        Some(raw)
            if !raw.is_empty()
                && raw.len() <= 128
                && raw
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b)) =>
        {
            String::from_utf8_lossy(raw).into_owned()
        }
        _ => {
            let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
            uuid::Uuid::now_v7()
                .hyphenated()
                .encode_lower(&mut buf)
                .to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_from_keeps_the_trace_and_makes_a_new_span() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = TraceContext::continue_from(Some(parent));
        assert_eq!(ctx.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(ctx.parent_span_id.as_deref(), Some("00f067aa0ba902b7"));
        assert_ne!(ctx.span_id, "00f067aa0ba902b7");
        assert!(TraceContext::parse(&ctx.header()).is_some());
    }

    #[test]
    fn malformed_traceparent_starts_a_new_root() {
        for bad in [
            "",
            "garbage",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ] {
            let ctx = TraceContext::continue_from(Some(bad));
            assert!(ctx.parent_span_id.is_none(), "{bad}");
            assert_eq!(ctx.trace_id.len(), 32);
        }
    }

    #[test]
    fn request_id_keeps_sane_values_only() {
        assert_eq!(request_id(Some(b"abc-123")), "abc-123");
        assert_ne!(request_id(Some(b"bad id\n")), "bad id\n");
        assert_eq!(request_id(None).len(), 36);
    }
}
