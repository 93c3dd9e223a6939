//! The upstream exchange on the serving task itself: the request written with one `write`,
//! the response head parsed with httparse, and the body read from the socket while the
//! client's side polls it — no connection task, no channel between tasks, no wake-ups in
//! between (hyper's client costs two tasks and four wake-ups per request). hyper's client
//! (`pool.rs`) still carries what this does not: WebSocket upgrades and request bodies
//! without a declared length.
//!
//! Connections are kept per serving thread and upstream, like `pool.rs`'s. One whose upstream
//! closed it while idle (a FIN already read by the reactor) is dropped when taken.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};

use bytes::{Buf, Bytes, BytesMut};
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::pool::SendError;
use crate::upstream::Upstream;

const MAX_HEADERS: usize = 128;
/// A response head larger than this is refused (as hyper's default).
const MAX_HEAD: usize = 64 * 1024;
/// A chunk-size line longer than this is refused.
const MAX_LINE: usize = 4096;
const READ_AHEAD: usize = 16 * 1024;
/// Idle connections kept per thread and upstream.
const MAX_IDLE: usize = 256;

thread_local! {
    static IDLE: RefCell<rustc_hash::FxHashMap<usize, Vec<Conn>>> =
        RefCell::new(rustc_hash::FxHashMap::default());
}

struct Conn {
    io: TcpStream,
    buf: BytesMut,
}

/// An upstream's key in the idle map: its address in the gateway's table, which lives as
/// long as the process.
fn key(upstream: &Upstream) -> usize {
    std::ptr::from_ref(upstream) as usize
}

fn take_idle(key: usize) -> Option<Conn> {
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        let conns = idle.get_mut(&key)?;
        while let Some(conn) = conns.pop() {
            // Idle means nothing to read: a readable socket was closed (or sent junk).
            let mut probe = [0u8; 1];
            if matches!(conn.io.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
            {
                return Some(conn);
            }
        }
        None
    })
}

fn put_idle(key: usize, conn: Conn) {
    if !conn.buf.is_empty() {
        return;
    }
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        let conns = idle.entry(key).or_default();
        if conns.len() < MAX_IDLE {
            conns.push(conn);
        }
    });
}

async fn connect(upstream: &Upstream) -> Result<Conn, SendError> {
    let addr = upstream.authority.as_str();
    let io = tokio::time::timeout(crate::pool::CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .map_err(|_| SendError::Connect(format!("connect to {addr} timed out")))?
        .map_err(|e| SendError::Connect(format!("connect to {addr}: {e}")))?;
    let _ = io.set_nodelay(true);
    Ok(Conn {
        io,
        buf: BytesMut::with_capacity(READ_AHEAD),
    })
}

/// The headers the gateway sets on every forwarded request, in place of any the client sent.
pub struct Forwarding<'a> {
    pub forwarded_for: &'a [u8],
    /// The client's `Host`, passed on as `X-Forwarded-Host`.
    pub host: Option<&'a [u8]>,
    pub request_id: &'a str,
    pub traceparent: &'a str,
}

/// Whether a request header stays behind: framing and `Host` (written anew), hop-by-hop
/// headers (RFC 9110 §7.6.1) and those the gateway sets itself. One match on the name
/// rather than a removal from the map per name.
fn stays_behind(name: &str) -> bool {
    crate::proxy::is_hop_by_hop(name)
        || matches!(
            name,
            "host"
            | "content-length"
            // The body is sent at once, so an `Expect: 100-continue` has nothing to wait for.
            | "expect"
            | "x-forwarded-for"
            | "x-forwarded-proto"
            | "x-forwarded-host"
            | "x-request-id"
            | "traceparent"
        )
}

impl Forwarding<'_> {
    /// The gateway's headers, for each: name and value.
    pub fn each(&self, mut f: impl FnMut(HeaderName, &[u8])) {
        f(X_FORWARDED_FOR, self.forwarded_for);
        f(X_FORWARDED_PROTO, b"http");
        if let Some(host) = self.host {
            f(X_FORWARDED_HOST, host);
        }
        f(X_REQUEST_ID, self.request_id.as_bytes());
        f(TRACEPARENT, self.traceparent.as_bytes());
    }
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// The request's head and body as bytes on the wire: the client's end-to-end headers as
/// they came, then the gateway's.
fn encode(
    parts: &http::request::Parts,
    authority: &str,
    fwd: &Forwarding<'_>,
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512 + body.len());
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b' ');
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    let declared = each_passed(parts, |name, value| {
        line(&mut out, name.as_str().as_bytes(), value.as_bytes());
    });
    fwd.each(|name, value| line(&mut out, name.as_str().as_bytes(), value));
    if declared || !body.is_empty() {
        line(
            &mut out,
            b"content-length",
            body.len().to_string().as_bytes(),
        );
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// The client's end-to-end headers as they are passed on, for each: name and value; true
/// when it declared a `Content-Length` (written anew).
pub fn each_passed(
    parts: &http::request::Parts,
    mut f: impl FnMut(&HeaderName, &HeaderValue),
) -> bool {
    // Headers the client's `Connection` names are hop-by-hop too (rare: looked up once).
    let named: Vec<&str> = parts
        .headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let mut declared = false;
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if stays_behind(n) {
            declared |= n == "content-length";
            continue;
        }
        if !named.is_empty() && named.iter().any(|c| c.eq_ignore_ascii_case(n)) {
            continue;
        }
        f(name, value);
    }
    declared
}

fn line(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Waits for the first bytes of the answer: an end of stream before any is an error of
/// its own kind (`UnexpectedEof`).
async fn first_bytes(conn: &mut Conn) -> io::Result<()> {
    if conn.buf.is_empty() && conn.io.read_buf(&mut conn.buf).await? == 0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "upstream closed before answering",
        ));
    }
    Ok(())
}

/// How the response body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    Length(u64),
    Chunked(Chunk),
    /// Until the upstream closes the connection.
    Close,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Custom response header names the services send, built once: one of these costs no
/// allocation (any other custom name is copied).
static KNOWN: [HeaderName; 4] = [
    HeaderName::from_static("x-request-id"),
    HeaderName::from_static("traceresponse"),
    HeaderName::from_static("x-content-type-options"),
    HeaderName::from_static("idempotency-replay"),
];

fn name_of(raw: &[u8]) -> Result<HeaderName, SendError> {
    match KNOWN.iter().find(|k| k.as_str().as_bytes() == raw) {
        Some(known) => Ok(known.clone()),
        None => HeaderName::from_bytes(raw).map_err(|_| SendError::Io(bad("header name"))),
    }
}

/// A response head taken off the front of `buf`: status, version and headers whose values
/// share the head's bytes (no copy per value); `None` while incomplete.
fn parse_head(
    buf: &mut BytesMut,
) -> Result<Option<(StatusCode, Version, http::HeaderMap)>, SendError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut res = httparse::Response::new(&mut slots);
    let used = match res.parse(buf) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(SendError::Io(bad(e.to_string()))),
    };
    let status =
        StatusCode::from_u16(res.code.unwrap_or(0)).map_err(|_| SendError::Io(bad("status")))?;
    let version = if res.version == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    };
    // Where each value lies in the head, so that the head can be split off the buffer
    // (which the parsed headers borrow) and shared by the values.
    let start = buf.as_ptr() as usize;
    let mut fields = Vec::with_capacity(res.headers.len());
    for h in res.headers.iter() {
        let at = h.value.as_ptr() as usize - start;
        fields.push((name_of(h.name.as_bytes())?, at, at + h.value.len()));
    }
    let head = buf.split_to(used).freeze();
    let mut headers = http::HeaderMap::with_capacity(fields.len());
    for (name, from, to) in fields {
        let value = HeaderValue::from_maybe_shared(head.slice(from..to))
            .map_err(|_| SendError::Io(bad("header value")))?;
        headers.append(name, value);
    }
    Ok(Some((status, version, headers)))
}

/// Sends `parts` with `body` to `upstream` and reads the response head; the body follows as
/// the returned response's body is polled.
pub async fn send(
    upstream: &Upstream,
    parts: &http::request::Parts,
    fwd: &Forwarding<'_>,
    body: &[u8],
) -> Result<Response<UpstreamBody>, SendError> {
    let bodiless_read = body.is_empty()
        && matches!(parts.method, Method::GET | Method::HEAD)
        && !asks_for_stream(&parts.headers);
    if bodiless_read
        && upstream.h2c_usable()
        && let Some(outcome) = crate::h2c::send(upstream, parts, fwd).await
    {
        return outcome;
    }
    let wire = encode(parts, upstream.authority.as_str(), fwd, body);
    let key = key(upstream);
    let depth = upstream.pipeline_depth();
    if depth > 1 && bodiless_read {
        match send_piped(upstream, key, &wire, depth, parts.method == Method::HEAD).await {
            Piped::Answered(outcome) => return *outcome,
            // The batch's connection failed before this request's answer began: a GET or
            // HEAD is safe to send again, on its own.
            Piped::Broken => {
                upstream
                    .resent
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    send_single(upstream, key, &wire, &parts.method).await
}

/// A request for an event stream (what a browser's `EventSource` sends): its answer does
/// not end, so nothing may be written behind it.
fn asks_for_stream(headers: &http::HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().any(|v| {
        v.as_bytes()
            .windows(b"text/event-stream".len())
            .any(|w| w.eq_ignore_ascii_case(b"text/event-stream"))
    })
}

async fn send_single(
    upstream: &Upstream,
    key: usize,
    wire: &[u8],
    method: &Method,
) -> Result<Response<UpstreamBody>, SendError> {
    // A reused connection the upstream closed while idle fails the write, or ends before
    // the first byte of an answer. The upstream then read nothing (a failed write) or
    // most likely nothing (closing an idle connection): a failed write goes again on a
    // fresh connection for any method, an early end only for methods safe to repeat.
    let safe = matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    );
    let conn = write_on_any(upstream, key, wire, safe).await?;
    read_response(conn, key, *method == Method::HEAD, None).await
}

/// Writes `wire` on an idle connection, or on a fresh one when the idle one turns out
/// closed (see [`send_single`]); the connection has the first bytes of the answer, or is
/// fresh.
async fn write_on_any(
    upstream: &Upstream,
    key: usize,
    wire: &[u8],
    safe: bool,
) -> Result<Conn, SendError> {
    if let Some(mut conn) = take_idle(key)
        && conn.io.write_all(wire).await.is_ok()
    {
        match first_bytes(&mut conn).await {
            Ok(()) => return Ok(conn),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && safe => {}
            Err(e) => return Err(SendError::Io(e)),
        }
    }
    let mut fresh = connect(upstream).await?;
    fresh.io.write_all(wire).await.map_err(SendError::Io)?;
    Ok(fresh)
}

/// Reads a response head off `conn` (the body stays to be read as it is polled).
async fn read_response(
    mut conn: Conn,
    key: usize,
    head_request: bool,
    turn: Option<Member>,
) -> Result<Response<UpstreamBody>, SendError> {
    loop {
        // The head is parsed in a plain function: its array of header slots (4 KiB) then
        // never lives in this future, which is moved (copied) several times per request.
        let Some((status, version, headers)) = parse_head(&mut conn.buf)? else {
            if conn.buf.len() > MAX_HEAD {
                return Err(SendError::Io(bad("response head too large")));
            }
            let n = conn
                .io
                .read_buf(&mut conn.buf)
                .await
                .map_err(SendError::Io)?;
            if n == 0 {
                return Err(SendError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "upstream closed before answering",
                )));
            }
            continue;
        };
        // An interim answer (100 Continue, 103 Early Hints) precedes the real one.
        if status.is_informational() && status != StatusCode::SWITCHING_PROTOCOLS {
            continue;
        }
        let framing = framing(head_request, status, &headers).map_err(SendError::Io)?;
        let reuse = version == Version::HTTP_11
            && framing != Framing::Close
            && !headers
                .get_all(header::CONNECTION)
                .iter()
                .any(|v| has_token(v, "close"));
        let mut body = UpstreamBody {
            conn: Some(conn),
            key,
            framing,
            reuse,
            turn,
            whole: None,
            h2: None,
        };
        // A body already read whole is taken off the connection now, which then serves
        // the next request at once (the next of a batch, or the next to come).
        if let Framing::Length(n) = framing
            && let Some(conn) = body.conn.as_mut()
            && conn.buf.len() as u64 >= n
        {
            body.whole = Some(conn.buf.split_to(n as usize).freeze());
            body.finish();
        }
        let mut res = Response::new(body);
        *res.status_mut() = status;
        *res.version_mut() = version;
        *res.headers_mut() = headers;
        if framing == Framing::Done {
            res.body_mut().finish();
        }
        return Ok(res);
    }
}

// Requests to one upstream that arrive in the same turn of the event loop go out on one
// connection in one write (HTTP/1.1 pipelining), at most `Upstream::pipeline` of them: one
// write and, mostly, one read for the batch instead of one each per request, on both sides
// of the connection. Their answers come back in order and are read in turn. Only bodiless
// GETs and HEADs: a request of a batch whose connection fails before its answer began is
// safe to send again, on its own. A request waits behind the others of its batch only:
// requests that arrived at the same moment.

/// How long a request waits for the answers before its own in a batch (those the service
/// reads first and answers in order) before it is sent again on its own: what pipelining
/// may cost a request at most, well above the time a healthy service takes to answer a
/// batch, well below any upstream timeout.
const PATIENCE: std::time::Duration = std::time::Duration::from_millis(100);

/// An answer of a batch that comes this long after the one before it shows a service that
/// waits while it answers (another service, a busy database pool): a few in a row pause
/// pipelining to it (`Upstream::answered`), since its requests would wait for each other.
const APART: std::time::Duration = std::time::Duration::from_millis(1);

thread_local! {
    /// The batch still taking requests, per upstream.
    static OPEN: RefCell<rustc_hash::FxHashMap<usize, Arc<Pipe>>> =
        RefCell::new(rustc_hash::FxHashMap::default());
}

#[derive(Default)]
struct Pipe {
    state: Mutex<PipeState>,
}

#[derive(Default)]
struct PipeState {
    /// The connection, while no member reads from it.
    conn: Option<Conn>,
    /// The batch's requests, until written.
    out: Vec<u8>,
    queued: usize,
    written: bool,
    /// The member whose answer is read next.
    turn: usize,
    broken: bool,
    wakers: Vec<Option<Waker>>,
}

impl Pipe {
    fn state(&self) -> MutexGuard<'_, PipeState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The connection can no longer be trusted: every member still waiting sends again.
    fn fail(&self) {
        let mut s = self.state();
        s.broken = true;
        s.conn = None;
        for w in s.wakers.iter_mut().filter_map(Option::take) {
            w.wake();
        }
    }
}

/// A request of a batch, until its answer is read whole; dropped before that (an error, a
/// deadline, a client gone), the batch's connection is given up.
struct Member {
    pipe: Option<Arc<Pipe>>,
    index: usize,
}

impl Member {
    /// The answer was read: the next member's turn, or the connection back to the idle
    /// list after the last.
    fn pass(mut self, conn: Conn, key: usize, reuse: bool) {
        let Some(pipe) = self.pipe.take() else { return };
        let mut s = pipe.state();
        if !reuse || s.broken {
            drop(s);
            pipe.fail();
            return;
        }
        s.turn = self.index + 1;
        if s.turn >= s.queued {
            drop(s);
            put_idle(key, conn);
            return;
        }
        s.conn = Some(conn);
        let next = s.turn;
        if let Some(w) = s.wakers[next].take() {
            w.wake();
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(pipe) = self.pipe.take() {
            pipe.fail();
        }
    }
}

enum Piped {
    Answered(Box<Result<Response<UpstreamBody>, SendError>>),
    Broken,
}

/// Joins this turn's batch for the upstream (or starts one): the request's place in it.
fn join(key: usize, wire: &[u8], depth: usize) -> (Arc<Pipe>, usize) {
    OPEN.with(|open| {
        let mut open = open.borrow_mut();
        if let Some(pipe) = open.get(&key).cloned() {
            let mut s = pipe.state();
            if !s.broken && !s.written && s.queued < depth {
                s.out.extend_from_slice(wire);
                s.wakers.push(None);
                let index = s.queued;
                s.queued += 1;
                if s.queued == depth {
                    open.remove(&key);
                }
                drop(s);
                return (pipe, index);
            }
        }
        let pipe = Arc::new(Pipe::default());
        {
            let mut s = pipe.state();
            s.out.extend_from_slice(wire);
            s.wakers.push(None);
            s.queued = 1;
        }
        open.insert(key, pipe.clone());
        (pipe, 0)
    })
}

async fn send_piped(
    upstream: &Upstream,
    key: usize,
    wire: &[u8],
    depth: usize,
    head_request: bool,
) -> Piped {
    let (pipe, index) = join(key, wire, depth);
    let member = Member {
        pipe: Some(pipe.clone()),
        index,
    };
    if index == 0 {
        // The first of the batch lets the other requests of this turn join, then writes
        // them all.
        tokio::task::yield_now().await;
        OPEN.with(|open| {
            let mut open = open.borrow_mut();
            if open.get(&key).is_some_and(|p| Arc::ptr_eq(p, &pipe)) {
                open.remove(&key);
            }
        });
        let out = {
            let mut s = pipe.state();
            s.written = true;
            if s.queued > 1 {
                upstream
                    .batched
                    .fetch_add(s.queued as u64, std::sync::atomic::Ordering::Relaxed);
            }
            std::mem::take(&mut s.out)
        };
        // Every request of the batch is a GET or HEAD: safe to write again on a fresh
        // connection when an idle one turns out closed.
        return match write_on_any(upstream, key, &out, true).await {
            // The first answer is read next, whatever became of the others.
            Ok(conn) => Piped::Answered(Box::new(
                read_response(conn, key, head_request, Some(member)).await,
            )),
            Err(e) => {
                drop(member);
                Piped::Answered(Box::new(Err(e)))
            }
        };
    }
    // Stuck behind a slow answer, a member gives up: the batch is given up and this
    // request, like the others still waiting, sent on its own (and the upstream, which
    // makes its requests wait for each other, gets no batches for a while).
    let Some(conn) = (match crate::deadline::within(PATIENCE, Turn { pipe: &pipe, index }).await {
        Some(turn) => turn,
        None => {
            upstream.pause_pipelining();
            None
        }
    }) else {
        drop(member);
        return Piped::Broken;
    };
    // The answers of a batch the service answers without waiting come together; one that
    // keeps this member waiting for its own had the service wait between them.
    let waiting = std::time::Instant::now();
    let outcome = read_response(conn, key, head_request, Some(member)).await;
    upstream.answered(waiting.elapsed() > APART);
    match outcome {
        // The upstream closed the connection after the answers before this one (the
        // first's was awaited when the batch was written): not read, so sent again.
        Err(SendError::Io(e))
            if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
            ) =>
        {
            Piped::Broken
        }
        outcome => Piped::Answered(Box::new(outcome)),
    }
}

/// Waits for a member's turn to read: the connection, or `None` when the batch failed.
struct Turn<'a> {
    pipe: &'a Pipe,
    index: usize,
}

impl Future for Turn<'_> {
    type Output = Option<Conn>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Conn>> {
        let mut s = self.pipe.state();
        if s.broken {
            return Poll::Ready(None);
        }
        if s.written
            && s.turn == self.index
            && let Some(conn) = s.conn.take()
        {
            return Poll::Ready(Some(conn));
        }
        s.wakers[self.index] = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn has_token(value: &HeaderValue, token: &str) -> bool {
    value
        .to_str()
        .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

fn framing(
    head_request: bool,
    status: StatusCode,
    headers: &http::HeaderMap,
) -> io::Result<Framing> {
    if head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return Ok(Framing::Done);
    }
    if let Some(te) = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .next_back()
    {
        // Chunked must be the last coding; anything else is read until close.
        let last = te.to_str().ok().and_then(|v| v.rsplit(',').next());
        return Ok(match last {
            Some(c) if c.trim().eq_ignore_ascii_case("chunked") => Framing::Chunked(Chunk::Size),
            _ => Framing::Close,
        });
    }
    let mut lengths = headers.get_all(header::CONTENT_LENGTH).iter();
    match lengths.next() {
        None => Ok(Framing::Close),
        Some(first) => {
            if lengths.any(|other| other != first) {
                return Err(bad("conflicting content-length"));
            }
            let n: u64 = first
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or_else(|| bad("content-length"))?;
            Ok(if n == 0 {
                Framing::Done
            } else {
                Framing::Length(n)
            })
        }
    }
}

/// A response body read from the upstream connection as it is polled; the connection goes
/// back to the thread's idle list once the body ended cleanly.
pub struct UpstreamBody {
    conn: Option<Conn>,
    key: usize,
    framing: Framing,
    reuse: bool,
    /// Its place in a batch, until read whole.
    turn: Option<Member>,
    /// The whole body, when it had been read with the head.
    whole: Option<Bytes>,
    /// A body coming on an h2c stream (`h2c.rs`).
    h2: Option<crate::h2c::Body>,
}

impl UpstreamBody {
    /// A body read whole already (`h2c.rs`).
    pub fn whole(body: Bytes) -> Self {
        Self {
            conn: None,
            key: 0,
            framing: Framing::Done,
            reuse: false,
            turn: None,
            whole: (!body.is_empty()).then_some(body),
            h2: None,
        }
    }

    /// A body that comes on an h2c stream as it is polled (`h2c.rs`).
    pub fn h2(body: crate::h2c::Body) -> Self {
        Self {
            framing: Framing::Close,
            h2: Some(body),
            ..Self::whole(Bytes::new())
        }
    }

    fn finish(&mut self) {
        self.framing = Framing::Done;
        let conn = self.conn.take();
        match (self.turn.take(), conn) {
            (Some(member), Some(conn)) => member.pass(conn, self.key, self.reuse),
            (Some(member), None) => drop(member),
            (None, Some(conn)) if self.reuse => put_idle(self.key, conn),
            (None, _) => {}
        }
    }
}

/// Reads more of the connection into its buffer: 0 at the end of the stream.
fn poll_fill(conn: &mut Conn, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
    conn.buf.reserve(READ_AHEAD);
    loop {
        match conn.io.try_read_buf(&mut conn.buf) {
            Ok(n) => return Poll::Ready(Ok(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                ready!(conn.io.poll_read_ready(cx))?;
            }
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "upstream closed mid-body")
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = &mut *self;
        if let Some(h2) = this.h2.as_mut() {
            return h2
                .poll_data(cx)
                .map(|data| data.map(|r| r.map(Frame::data)));
        }
        if let Some(whole) = this.whole.take() {
            return Poll::Ready(Some(Ok(Frame::data(whole))));
        }
        loop {
            let framing = this.framing;
            if framing == Framing::Done {
                this.finish();
                return Poll::Ready(None);
            }
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match framing {
                Framing::Done => unreachable!("handled above"),
                Framing::Length(left) | Framing::Chunked(Chunk::Data(left)) => {
                    if conn.buf.is_empty() && ready!(poll_fill(conn, cx))? == 0 {
                        return Poll::Ready(Some(Err(eof())));
                    }
                    let take = conn
                        .buf
                        .len()
                        .min(usize::try_from(left).unwrap_or(usize::MAX));
                    let data = conn.buf.split_to(take).freeze();
                    let left = left - take as u64;
                    this.framing = match (framing, left) {
                        (Framing::Length(_), 0) => Framing::Done,
                        (Framing::Length(_), n) => Framing::Length(n),
                        (_, 0) => Framing::Chunked(Chunk::DataEnd),
                        (_, n) => Framing::Chunked(Chunk::Data(n)),
                    };
                    if this.framing == Framing::Done {
                        this.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Framing::Close => {
                    if conn.buf.is_empty() && ready!(poll_fill(conn, cx))? == 0 {
                        this.reuse = false;
                        this.finish();
                        return Poll::Ready(None);
                    }
                    let data = conn.buf.split().freeze();
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Framing::Chunked(Chunk::DataEnd) => {
                    if conn.buf.len() < 2 {
                        if ready!(poll_fill(conn, cx))? == 0 {
                            return Poll::Ready(Some(Err(eof())));
                        }
                        continue;
                    }
                    if &conn.buf[..2] != b"\r\n" {
                        return Poll::Ready(Some(Err(bad("chunk not followed by CRLF"))));
                    }
                    conn.buf.advance(2);
                    this.framing = Framing::Chunked(Chunk::Size);
                }
                Framing::Chunked(state @ (Chunk::Size | Chunk::Trailers)) => {
                    let Some(end) = conn.buf.windows(2).position(|w| w == b"\r\n") else {
                        if conn.buf.len() > MAX_LINE {
                            return Poll::Ready(Some(Err(bad("chunk line too long"))));
                        }
                        if ready!(poll_fill(conn, cx))? == 0 {
                            return Poll::Ready(Some(Err(eof())));
                        }
                        continue;
                    };
                    let line = conn.buf.split_to(end + 2);
                    let line = &line[..end];
                    this.framing = if state == Chunk::Trailers {
                        // Trailers are not passed on; the empty line ends the body.
                        if line.is_empty() {
                            Framing::Done
                        } else {
                            Framing::Chunked(Chunk::Trailers)
                        }
                    } else {
                        let digits = line.split(|b| *b == b';').next().unwrap_or_default();
                        let size = std::str::from_utf8(digits)
                            .ok()
                            .and_then(|d| u64::from_str_radix(d.trim(), 16).ok())
                            .ok_or_else(|| bad("chunk size"))?;
                        if size == 0 {
                            Framing::Chunked(Chunk::Trailers)
                        } else {
                            Framing::Chunked(Chunk::Data(size))
                        }
                    };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        if let Some(h2) = &self.h2 {
            return h2.is_end();
        }
        self.framing == Framing::Done && self.whole.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        if self.h2.is_some() {
            return SizeHint::default();
        }
        if let Some(whole) = &self.whole {
            return SizeHint::with_exact(whole.len() as u64);
        }
        match self.framing {
            Framing::Length(n) => SizeHint::with_exact(n),
            Framing::Done => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

/// Whether a request can take this path: not an upgrade, and a body of declared length
/// (or none), which is read whole first (it is under the body limit).
pub fn accepts(req: &Request<hyper::body::Incoming>) -> bool {
    !req.headers().contains_key(header::TRANSFER_ENCODING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_follows_rfc_9112() {
        let mut h = http::HeaderMap::new();
        assert_eq!(framing(false, StatusCode::OK, &h).unwrap(), Framing::Close);
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("12"));
        assert_eq!(
            framing(false, StatusCode::OK, &h).unwrap(),
            Framing::Length(12)
        );
        assert_eq!(framing(true, StatusCode::OK, &h).unwrap(), Framing::Done);
        assert_eq!(
            framing(false, StatusCode::NO_CONTENT, &h).unwrap(),
            Framing::Done
        );
        h.append(header::CONTENT_LENGTH, HeaderValue::from_static("13"));
        assert!(framing(false, StatusCode::OK, &h).is_err());
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("gzip, chunked"),
        );
        assert_eq!(
            framing(false, StatusCode::OK, &h).unwrap(),
            Framing::Chunked(Chunk::Size)
        );
    }
}
