//! The client connection as the HTTP parser sees it, so that even a request too broken to
//! parse (a bad `Content-Length`, a header block over the limit) gets a problem+json body
//! like every other error, instead of the parser's bare status line.
//!
//! hyper answers such requests itself, before any of the gateway's code runs, with a head
//! like `HTTP/1.1 400 Bad Request` and `content-length: 0`. Every answer the gateway writes
//! carries `x-request-id`; a 4xx head without one can only be the parser's, and is replaced
//! here by the same status with a problem body (the connection closes after it either way).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use cid_common::{ErrorCode, Locale, Problem};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub struct ProblemIo<T> {
    inner: T,
    /// Our answer in place of the parser's, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
}

impl<T> ProblemIo<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            replacement: None,
        }
    }
}

/// The problem answer for the parser's bare error head in `buf`, if that is what it is.
pub fn replace_bare_error(buf: &[u8]) -> Option<Vec<u8>> {
    if !buf.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..head_end])
        .ok()?
        .to_ascii_lowercase();
    if head.contains("\r\nx-request-id:") || !head.contains("\r\ncontent-length: 0") {
        return None;
    }
    let code = match head.get(9..12)? {
        "400" => ErrorCode::MalformedRequest,
        "414" => ErrorCode::UriTooLong,
        "431" => ErrorCode::HeadersTooLarge,
        _ => return None,
    };
    let request_id = cid_kit::trace::request_id(None);
    let args = [("limit".to_owned(), "65534".to_owned())];
    let problem = Problem::build(code, Locale::En, &args, &[], &request_id);
    let body = serde_json::to_vec(&problem).ok()?;
    let status = code.status();
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\
         content-language: en\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\n\
         x-request-id: {request_id}\r\nconnection: close\r\n\r\n",
        code.title(),
        Problem::CONTENT_TYPE,
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacement.is_none() {
            // Only error heads need a look; everything else passes straight through.
            match replace_bare_error(buf) {
                Some(answer) => this.replacement = Some((answer, 0)),
                None => return Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        let Some((answer, written)) = this.replacement.as_mut() else {
            return Poll::Ready(Ok(buf.len()));
        };
        while *written < answer.len() {
            match Pin::new(&mut this.inner).poll_write(cx, &answer[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        // The parser's bytes count as written: ours went out in their place.
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parsers_bare_errors_become_problems_and_ours_pass() {
        let bare = b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let answer = String::from_utf8(replace_bare_error(bare).unwrap()).unwrap();
        assert!(answer.starts_with("HTTP/1.1 400 "));
        assert!(answer.contains("application/problem+json"));
        assert!(answer.contains("\"code\":\"MALFORMED_REQUEST\""));
        let too_long = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n";
        assert!(
            String::from_utf8(replace_bare_error(too_long).unwrap())
                .unwrap()
                .contains("URI_TOO_LONG")
        );
        let ours = b"HTTP/1.1 404 Not Found\r\nx-request-id: r1\r\ncontent-length: 0\r\n\r\n";
        assert!(replace_bare_error(ours).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(replace_bare_error(ok).is_none());
    }
}
