//! HTTP/2 without TLS (h2c, prior knowledge) to the services, for bodiless GETs and HEADs:
//! one connection per serving thread and upstream carries the thread's reads as streams.
//! Off by default (`gateway.h2c`): measured ahead of nginx in one setup and behind it in
//! `make bench`'s (bench/README.md, twelfth session).
//!
//! Why: a service answers a connection's HTTP/1.1 requests one after another, so a batch
//! the gateway pipelines waits for one database round trip per request; the streams of an
//! h2 connection it answers concurrently, so the reads of a turn reach its database together
//! and their answers come back together — one write and one read for the batch on both sides
//! (bench/README.md, twelfth session). nginx cannot speak HTTP/2 to an upstream.
//!
//! Like `h1.rs`, the exchange runs on the serving tasks themselves, not on a connection task
//! with channels (hyper's h2 client, measured at up to 40 µs a request here): the task that
//! opens a stream buffers its HEADERS frame, yields once so that the other requests of the
//! turn buffer theirs, and the first to run again writes them all; a task waiting for its
//! answer reads frames off the socket and hands each to the stream it belongs to, waking its
//! task. The socket wakes one task, the last to find nothing to read (`State::reader`);
//! that one, leaving, wakes another still waiting. Frames and HPACK are h2's codec.
//!
//! What is not taken here goes to `h1.rs` (`None` from [`send`]): requests with bodies, event
//! streams, a thread's first requests while its connection opens, an upstream that does not
//! speak h2c (found at the first connection, retried after [`H2C_RETRY`]), more streams than
//! the service allows. A stream the service did not process (GOAWAY beyond it, REFUSED_STREAM,
//! the connection lost before its answer began) goes there too: a GET or HEAD is safe to
//! send again.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use h2::frame::{Frame, Reason};
use http::header::HeaderMap;
use http::{Response, StatusCode, Version};
use rustc_hash::FxHashMap;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::h1::{Forwarding, UpstreamBody};
use crate::pool::SendError;
use crate::upstream::Upstream;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The connection's flow-control window is the largest (RFC 9113 §6.9.1) and given back as
/// frames arrive: each stream's own window bounds what waits in the gateway for a client.
const MAX_WINDOW: u32 = (1 << 31) - 1;
const DEFAULT_WINDOW: u32 = 65_535;
/// Received bytes after which the connection's window is given back.
const WINDOW_REFILL: u32 = 1 << 30;
/// A stream's window: what the service may send ahead of the client taking it. A stream's
/// taken bytes are given back once they reach half of it.
const STREAM_WINDOW: u32 = 1 << 20;
/// Client stream IDs are odd and below 2^31; a connection near the end of them takes no
/// new streams and a new one is opened.
const LAST_STREAM_ID: u32 = (1 << 31) - 64;
const DEFAULT_MAX_FRAME: usize = 16_384;
/// Answers of a declared length up to this are read whole before they are passed on.
const WHOLE_UP_TO: usize = 256 * 1024;
/// Bytes waiting to be written past which a connection takes no new streams.
const MAX_UNWRITTEN: usize = 1 << 20;
/// How long an upstream that did not answer the preface with SETTINGS gets HTTP/1.1 only.
pub const H2C_RETRY: std::time::Duration = std::time::Duration::from_secs(30);

thread_local! {
    static CONNS: RefCell<FxHashMap<usize, Entry>> = RefCell::new(FxHashMap::default());
}

enum Entry {
    /// A task of this thread is connecting; requests meanwhile go over HTTP/1.1.
    Connecting,
    Open(Arc<Conn>),
}

struct Conn {
    state: Mutex<State>,
}

impl Conn {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

struct State {
    codec: h2::Codec<TcpStream, Bytes>,
    next_id: u32,
    streams: FxHashMap<u32, Slot>,
    /// The service's SETTINGS_MAX_CONCURRENT_STREAMS.
    max_streams: usize,
    /// Frames not yet written (the codec only reads: the few frames the gateway sends are
    /// encoded by `wire`, header blocks without Huffman coding or tables).
    out: Vec<u8>,
    /// The service's SETTINGS_MAX_FRAME_SIZE.
    max_frame: usize,
    /// The stream whose task the socket wakes when frames arrive (0: none).
    reader: u32,
    /// The service sent SETTINGS: it speaks h2.
    settled: bool,
    /// No new streams: GOAWAY received, stream IDs used up, or the connection lost.
    closing: bool,
    broken: bool,
    /// Bytes received since the connection's window was last given back.
    received: u32,
}

#[derive(Default)]
struct Slot {
    status: Option<StatusCode>,
    headers: HeaderMap,
    /// DATA frames' payloads as they came (shared with the read buffer, not copied).
    body: VecDeque<Bytes>,
    end: bool,
    failed: Option<Failed>,
    waker: Option<Waker>,
    /// Bytes the client side took and the service has not been given window for.
    taken: u32,
    /// The head declared a length the gateway waits for before it passes the answer on.
    whole: bool,
}

enum Failed {
    /// The service did not process the stream: safe to send again.
    Unprocessed,
    Reset(Reason),
    Io(io::ErrorKind, String),
}

impl Failed {
    fn into_io(self) -> io::Error {
        match self {
            Failed::Unprocessed => {
                io::Error::new(io::ErrorKind::UnexpectedEof, "upstream h2c connection lost")
            }
            Failed::Reset(reason) => {
                io::Error::other(format!("upstream reset the stream: {reason:?}"))
            }
            Failed::Io(kind, msg) => io::Error::new(kind, msg),
        }
    }
}

/// Sends a bodiless GET or HEAD as a stream of the thread's h2c connection to `upstream`:
/// `None` when it is not taken or was not processed (the caller sends it over HTTP/1.1).
pub async fn send(
    upstream: &Upstream,
    parts: &http::request::Parts,
    fwd: &Forwarding<'_>,
) -> Option<Result<Response<UpstreamBody>, SendError>> {
    let key = std::ptr::from_ref(upstream) as usize;
    let conn = match current(key) {
        Some(Some(conn)) => conn,
        Some(None) => return None,
        None => open(upstream, key).await?,
    };
    let id = conn.open_stream(upstream, parts, fwd)?;
    let mut stream = Open {
        conn: conn.clone(),
        id,
        key,
    };
    // The other requests of this turn buffer their HEADERS frames meanwhile; the first task
    // to run again writes them all.
    tokio::task::yield_now().await;
    let head = std::future::poll_fn(|cx| {
        stream
            .conn
            .poll_stream(stream.id, cx, |slot| slot.status.is_some() && !slot.whole)
            .map(|mut s| s.take_head(stream.id))
    })
    .await;
    let failed = match head {
        Ok((status, headers, whole)) => {
            upstream
                .h2c_streams
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Mostly the whole answer came with its head: the stream is done with.
            let body = match whole {
                Some(body) => UpstreamBody::whole(body),
                None => UpstreamBody::h2(Body {
                    stream: Some(std::mem::replace(
                        &mut stream,
                        Open {
                            conn: conn.clone(),
                            id: 0,
                            key,
                        },
                    )),
                }),
            };
            drop(stream);
            let mut res = Response::new(body);
            *res.status_mut() = status;
            // Passed on to the client as the HTTP/1.1 answer it is.
            *res.version_mut() = Version::HTTP_11;
            *res.headers_mut() = headers;
            return Some(Ok(res));
        }
        Err(failed) => failed,
    };
    drop(stream);
    if !conn.state().settled {
        // A connection lost before the service's SETTINGS: it does not speak h2c.
        upstream.h2c_refused();
    }
    match failed {
        Failed::Unprocessed => {
            upstream
                .h2c_resent
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            None
        }
        failed => Some(Err(SendError::Io(failed.into_io()))),
    }
}

/// The thread's connection to the upstream: `None` when there is none, `Some(None)` while
/// one opens.
fn current(key: usize) -> Option<Option<Arc<Conn>>> {
    CONNS.with(|conns| {
        let mut conns = conns.borrow_mut();
        let conn = match conns.get(&key)? {
            Entry::Connecting => return Some(None),
            Entry::Open(conn) => conn.clone(),
        };
        if conn.usable() {
            return Some(Some(conn));
        }
        conns.remove(&key);
        None
    })
}

/// Clears the `Connecting` mark if the opening task is dropped halfway.
struct Opening(usize);

impl Drop for Opening {
    fn drop(&mut self) {
        CONNS.with(|conns| {
            let mut conns = conns.borrow_mut();
            if matches!(conns.get(&self.0), Some(Entry::Connecting)) {
                conns.remove(&self.0);
            }
        });
    }
}

async fn open(upstream: &Upstream, key: usize) -> Option<Arc<Conn>> {
    CONNS.with(|conns| conns.borrow_mut().insert(key, Entry::Connecting));
    let opening = Opening(key);
    let addr = upstream.authority.as_str();
    // A connection refused or timing out is the HTTP/1.1 path's to report.
    let mut io = tokio::time::timeout(crate::pool::CONNECT_TIMEOUT, TcpStream::connect(addr))
        .await
        .ok()?
        .ok()?;
    let _ = io.set_nodelay(true);
    io.write_all(PREFACE).await.ok()?;
    let codec = h2::Codec::new(io);
    let mut out = Vec::with_capacity(4096);
    wire::settings(
        &mut out,
        &[
            (wire::ENABLE_PUSH, 0),
            (wire::INITIAL_WINDOW_SIZE, STREAM_WINDOW),
        ],
    );
    wire::window_update(&mut out, 0, MAX_WINDOW - DEFAULT_WINDOW);
    let conn = Arc::new(Conn {
        state: Mutex::new(State {
            codec,
            next_id: 1,
            streams: FxHashMap::default(),
            // Until the service says otherwise (RFC 9113 §6.5.2 recommends at least 100).
            max_streams: 100,
            out,
            max_frame: DEFAULT_MAX_FRAME,
            reader: 0,
            settled: false,
            closing: false,
            broken: false,
            received: 0,
        }),
    });
    CONNS.with(|conns| conns.borrow_mut().insert(key, Entry::Open(conn.clone())));
    std::mem::forget(opening);
    Some(conn)
}

/// A stream until its task is done with it: dropped early (a deadline, a client gone), the
/// service is told to stop (RST_STREAM) and another waiting task takes over the reading.
struct Open {
    conn: Arc<Conn>,
    /// 0: no stream (a placeholder left behind by one that moved into its body).
    id: u32,
    key: usize,
}

impl Drop for Open {
    fn drop(&mut self) {
        if self.id == 0 {
            return;
        }
        let mut s = self.conn.state();
        if let Some(slot) = s.streams.remove(&self.id)
            && !slot.end
            && !s.broken
        {
            wire::rst_stream(&mut s.out, self.id, Reason::CANCEL.into());
        }
        if s.reader == self.id || !s.out.is_empty() {
            s.reader = 0;
            s.wake_one();
        }
        let retire = (s.closing || s.broken) && s.streams.is_empty();
        drop(s);
        if retire {
            CONNS.with(|conns| {
                let mut conns = conns.borrow_mut();
                if matches!(conns.get(&self.key), Some(Entry::Open(c)) if Arc::ptr_eq(c, &self.conn))
                {
                    conns.remove(&self.key);
                }
            });
        }
    }
}

impl Conn {
    /// Whether new streams may go on it. An idle connection first takes what the service
    /// sent meanwhile (a GOAWAY after its keep-alive, an end of stream, a PING).
    fn usable(&self) -> bool {
        let mut s = self.state();
        if s.streams.is_empty() && !s.closing && !s.broken {
            // No task waits on it, so no waker is lost by polling with none.
            let mut cx = Context::from_waker(Waker::noop());
            while let Poll::Ready(frame) = Pin::new(&mut s.codec).poll_next(&mut cx) {
                if !s.take(frame) {
                    break;
                }
            }
        }
        !s.closing && !s.broken && s.streams.len() < s.max_streams
    }

    /// Buffers the request's HEADERS frame as a new stream: its ID, or `None` when the
    /// connection takes no more.
    fn open_stream(
        &self,
        upstream: &Upstream,
        parts: &http::request::Parts,
        fwd: &Forwarding<'_>,
    ) -> Option<u32> {
        let mut s = self.state();
        if s.closing || s.broken || s.streams.len() >= s.max_streams {
            return None;
        }
        // Past this the service is not reading: new requests go over HTTP/1.1 meanwhile.
        if s.out.len() > MAX_UNWRITTEN {
            return None;
        }
        let id = s.next_id;
        let authority = upstream.authority.as_str().as_bytes();
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .as_bytes();
        let max_frame = s.max_frame;
        if !wire::request_headers(
            &mut s.out,
            id,
            max_frame,
            &parts.method,
            authority,
            path,
            |block| {
                crate::h1::each_passed(parts, |name, value| {
                    wire::field(block, name.as_str().as_bytes(), value.as_bytes());
                });
                fwd.each(|name, value| wire::field(block, name.as_str().as_bytes(), value));
            },
        ) {
            return None;
        }
        s.next_id += 2;
        if s.next_id >= LAST_STREAM_ID {
            s.closing = true;
        }
        s.streams.insert(id, Slot::default());
        Some(id)
    }

    /// Drives the connection for the stream `id` until `want` holds for its slot, it ended
    /// or failed, or it is gone; then the state, to take what came. A task that read frames
    /// reads on until the socket has none (frames left in the codec's buffer would wake no
    /// one), and one that stops waiting while the socket would wake it hands the reading to
    /// another waiting task.
    fn poll_stream(
        &self,
        id: u32,
        cx: &mut Context<'_>,
        want: impl Fn(&Slot) -> bool,
    ) -> Poll<MutexGuard<'_, State>> {
        let mut s = self.state();
        let mut read = false;
        loop {
            if !s.out.is_empty() && !s.broken {
                // Pending: the socket wakes this task when it can take more.
                if let Poll::Ready(Err(e)) = s.poll_write_out(cx) {
                    s.fail_all(&e);
                }
            }
            let done = s
                .streams
                .get(&id)
                .is_none_or(|slot| slot.end || slot.failed.is_some() || want(slot));
            if done && !read {
                if s.reader == id || !s.out.is_empty() {
                    s.reader = 0;
                    s.wake_one_but(id);
                }
                return Poll::Ready(s);
            }
            if s.broken {
                read = false;
                continue;
            }
            match Pin::new(&mut s.codec).poll_next(cx) {
                Poll::Ready(frame) => {
                    read = true;
                    s.take(frame);
                }
                Poll::Pending => {
                    read = false;
                    // The socket now wakes this task.
                    s.reader = id;
                    if done {
                        continue;
                    }
                    if let Some(slot) = s.streams.get_mut(&id)
                        && !slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker()))
                    {
                        slot.waker = Some(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// The answer's body as it comes, for one that did not come whole with its head (an event
/// stream, a large page): its stream's window given back as the client takes it.
pub struct Body {
    stream: Option<Open>,
}

impl Body {
    pub fn poll_data(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let Some(stream) = self.stream.as_ref() else {
            return Poll::Ready(None);
        };
        let id = stream.id;
        let mut s = ready!(
            stream
                .conn
                .poll_stream(id, cx, |slot| !slot.body.is_empty())
        );
        let Some(slot) = s.streams.get_mut(&id) else {
            drop(s);
            self.stream = None;
            return Poll::Ready(Some(Err(io::Error::other("upstream stream gone"))));
        };
        if let Some(data) = slot.body.pop_front() {
            if !slot.end {
                slot.taken += u32::try_from(data.len()).unwrap_or(u32::MAX);
                if slot.taken >= STREAM_WINDOW / 2 {
                    let taken = std::mem::take(&mut slot.taken);
                    wire::window_update(&mut s.out, id, taken);
                    if let Poll::Ready(Err(e)) = s.poll_write_out(cx) {
                        s.fail_all(&e);
                    }
                }
            }
            return Poll::Ready(Some(Ok(data)));
        }
        let failed = slot.failed.take();
        drop(s);
        self.stream = None;
        Poll::Ready(failed.map(|failed| Err(failed.into_io())))
    }

    pub fn is_end(&self) -> bool {
        self.stream.is_none()
    }
}

impl State {
    /// Writes what is pending; the socket wakes the task when it can take more.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.out.is_empty() {
            let io = self.codec.get_mut();
            match ready!(Pin::new(io).poll_write(cx, &self.out)) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.out.drain(..n);
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Wakes a task still waiting for its answer, to read the socket in the place of one
    /// that left.
    fn wake_one(&mut self) {
        self.wake_one_but(0);
    }

    fn wake_one_but(&mut self, id: u32) {
        if let Some((_, slot)) = self.streams.iter_mut().find(|(other, slot)| {
            **other != id && !slot.end && slot.failed.is_none() && slot.waker.is_some()
        }) && let Some(w) = slot.waker.take()
        {
            w.wake();
        }
    }

    /// The answer's head, with its body when it came whole (the stream then removed).
    fn take_head(&mut self, id: u32) -> Result<(StatusCode, HeaderMap, Option<Bytes>), Failed> {
        let Some(slot) = self.streams.get_mut(&id) else {
            return Err(Failed::Unprocessed);
        };
        if let Some(failed) = slot.failed.take() {
            self.streams.remove(&id);
            return Err(failed);
        }
        let Some(status) = slot.status else {
            self.streams.remove(&id);
            return Err(Failed::Io(
                io::ErrorKind::InvalidData,
                "upstream ended the stream without a status".into(),
            ));
        };
        let headers = std::mem::take(&mut slot.headers);
        if slot.end {
            let body = match slot.body.len() {
                0 => Bytes::new(),
                1 => slot.body.pop_front().unwrap_or_default(),
                _ => {
                    let mut all = BytesMut::with_capacity(slot.body.iter().map(Bytes::len).sum());
                    for part in &slot.body {
                        all.extend_from_slice(part);
                    }
                    all.freeze()
                }
            };
            self.streams.remove(&id);
            return Ok((status, headers, Some(body)));
        }
        Ok((status, headers, None))
    }

    fn finish(&mut self, id: u32, failed: Option<Failed>) {
        if let Some(slot) = self.streams.get_mut(&id) {
            if let Some(failed) = failed {
                slot.failed = Some(failed);
            } else {
                slot.end = true;
            }
            if let Some(w) = slot.waker.take() {
                w.wake();
            }
        }
    }

    /// The connection is lost: streams without an answer yet were not processed as far as
    /// the gateway can tell, the others failed mid-answer.
    fn fail_all(&mut self, error: &dyn std::fmt::Display) {
        self.broken = true;
        self.closing = true;
        let msg = format!("upstream h2c connection lost: {error}");
        for slot in self.streams.values_mut() {
            if slot.end || slot.failed.is_some() {
                continue;
            }
            slot.failed = Some(if slot.status.is_none() {
                Failed::Unprocessed
            } else {
                Failed::Io(io::ErrorKind::UnexpectedEof, msg.clone())
            });
            if let Some(w) = slot.waker.take() {
                w.wake();
            }
        }
    }

    /// Takes one frame (or the end of the connection): false once the connection is lost.
    fn take(&mut self, frame: Option<Result<Frame, h2::proto::Error>>) -> bool {
        let frame = match frame {
            Some(Ok(frame)) => frame,
            Some(Err(e)) => {
                self.fail_all(&e);
                return false;
            }
            None => {
                self.fail_all(&"end of stream");
                return false;
            }
        };
        match frame {
            Frame::Headers(headers) => {
                let id = u32::from(headers.stream_id());
                let end = headers.is_end_stream();
                let (pseudo, fields) = headers.into_parts();
                if let Some(slot) = self.streams.get_mut(&id)
                    && slot.status.is_none()
                {
                    match pseudo.status {
                        // An interim answer (103 Early Hints) precedes the real one.
                        Some(status) if status.is_informational() => return true,
                        Some(status) => {
                            // A small answer of declared length is passed on whole, in one
                            // write to the client, as the service's HEADERS and DATA frames
                            // may arrive apart; any other as it comes.
                            slot.whole = fields
                                .get(http::header::CONTENT_LENGTH)
                                .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
                                .is_some_and(|n| n <= WHOLE_UP_TO);
                            slot.status = Some(status);
                            slot.headers = fields;
                        }
                        None => {
                            self.finish(
                                id,
                                Some(Failed::Io(
                                    io::ErrorKind::InvalidData,
                                    "upstream answer without :status".into(),
                                )),
                            );
                            return true;
                        }
                    }
                }
                // Otherwise trailers, which are not passed on (as over HTTP/1.1).
                if end {
                    self.finish(id, None);
                }
            }
            Frame::Data(data) => {
                let id = u32::from(data.stream_id());
                let end = data.is_end_stream();
                let payload = data.into_payload();
                self.received = self
                    .received
                    .saturating_add(u32::try_from(payload.len()).unwrap_or(u32::MAX));
                if self.received >= WINDOW_REFILL {
                    wire::window_update(&mut self.out, 0, std::mem::take(&mut self.received));
                }
                if let Some(slot) = self.streams.get_mut(&id)
                    && !payload.is_empty()
                {
                    slot.body.push_back(payload);
                }
                if end {
                    self.finish(id, None);
                }
            }
            Frame::Reset(reset) => {
                let id = u32::from(reset.stream_id());
                let failed = if reset.reason() == Reason::REFUSED_STREAM {
                    Failed::Unprocessed
                } else {
                    Failed::Reset(reset.reason())
                };
                self.finish(id, Some(failed));
            }
            Frame::Settings(settings) => {
                if !settings.is_ack() {
                    self.settled = true;
                    if let Some(n) = settings.max_concurrent_streams() {
                        self.max_streams = n as usize;
                    }
                    if let Some(n) = settings.max_frame_size() {
                        self.max_frame = n as usize;
                    }
                    // Its HEADER_TABLE_SIZE binds an encoder's dynamic table: `wire` uses none.
                    wire::settings_ack(&mut self.out);
                }
            }
            Frame::Ping(ping) => {
                if !ping.is_ack() {
                    wire::ping_ack(&mut self.out, &ping.into_payload());
                }
            }
            Frame::GoAway(go_away) => {
                // Streams after the last one the service processes were not processed.
                self.closing = true;
                let last = u32::from(go_away.last_stream_id());
                let beyond: Vec<u32> = self
                    .streams
                    .keys()
                    .copied()
                    .filter(|&id| id > last)
                    .collect();
                for id in beyond {
                    self.finish(id, Some(Failed::Unprocessed));
                }
            }
            Frame::PushPromise(_) => {
                // Refused by SETTINGS_ENABLE_PUSH = 0: a service that pushes is broken.
                self.fail_all(&"upstream pushed a stream");
                return false;
            }
            Frame::WindowUpdate(_) | Frame::Priority(_) => {}
        }
        true
    }
}

/// The frames the gateway sends (RFC 9113 §6), written by hand: a request's header block
/// as literals without indexing and without Huffman coding (RFC 7541 §6.2.2) — no table
/// to keep, nothing to compress per request; the service decodes them with a copy.
mod wire {
    pub const ENABLE_PUSH: u16 = 0x2;
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    const HEADERS: u8 = 0x1;
    const RST_STREAM: u8 = 0x3;
    const SETTINGS: u8 = 0x4;
    const PING: u8 = 0x6;
    const WINDOW_UPDATE: u8 = 0x8;
    const END_STREAM: u8 = 0x1;
    const END_HEADERS: u8 = 0x4;
    const ACK: u8 = 0x1;

    fn head(out: &mut Vec<u8>, len: usize, kind: u8, flags: u8, id: u32) {
        out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        out.push(kind);
        out.push(flags);
        out.extend_from_slice(&(id & 0x7fff_ffff).to_be_bytes());
    }

    pub fn settings(out: &mut Vec<u8>, values: &[(u16, u32)]) {
        head(out, values.len() * 6, SETTINGS, 0, 0);
        for (id, value) in values {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&value.to_be_bytes());
        }
    }

    pub fn settings_ack(out: &mut Vec<u8>) {
        head(out, 0, SETTINGS, ACK, 0);
    }

    pub fn ping_ack(out: &mut Vec<u8>, payload: &[u8; 8]) {
        head(out, 8, PING, ACK, 0);
        out.extend_from_slice(payload);
    }

    pub fn window_update(out: &mut Vec<u8>, id: u32, increment: u32) {
        head(out, 4, WINDOW_UPDATE, 0, id);
        out.extend_from_slice(&(increment & 0x7fff_ffff).to_be_bytes());
    }

    pub fn rst_stream(out: &mut Vec<u8>, id: u32, code: u32) {
        head(out, 4, RST_STREAM, 0, id);
        out.extend_from_slice(&code.to_be_bytes());
    }

    /// An integer with an `n`-bit prefix (RFC 7541 §5.1), the first byte's other bits `flags`.
    fn int(out: &mut Vec<u8>, n: u32, flags: u8, value: usize) {
        let max = (1usize << n) - 1;
        if value < max {
            out.push(flags | value as u8);
            return;
        }
        out.push(flags | max as u8);
        let mut rest = value - max;
        while rest >= 128 {
            out.push((rest % 128) as u8 | 0x80);
            rest /= 128;
        }
        out.push(rest as u8);
    }

    fn string(out: &mut Vec<u8>, s: &[u8]) {
        int(out, 7, 0, s.len());
        out.extend_from_slice(s);
    }

    /// A field with a name of the static table (index `name`), not indexed.
    fn indexed_name(out: &mut Vec<u8>, name: usize, value: &[u8]) {
        int(out, 4, 0, name);
        string(out, value);
    }

    /// A field with a literal name (lower case, as `http` keeps names), not indexed.
    pub fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
        out.push(0);
        string(out, name);
        string(out, value);
    }

    /// A bodiless request's HEADERS frame (END_STREAM), its fields written by `fields`;
    /// false (nothing written) when the block does not fit in one frame of `max_frame`.
    pub fn request_headers(
        out: &mut Vec<u8>,
        id: u32,
        max_frame: usize,
        method: &http::Method,
        authority: &[u8],
        path: &[u8],
        fields: impl FnOnce(&mut Vec<u8>),
    ) -> bool {
        let start = out.len();
        head(out, 0, HEADERS, END_STREAM | END_HEADERS, id);
        let block = out.len();
        // Static table (RFC 7541 Appendix A): 2 `:method: GET`, 6 `:scheme: http`,
        // 1 `:authority`, 2 `:method`, 4 `:path`.
        if *method == http::Method::GET {
            out.push(0x80 | 2);
        } else {
            indexed_name(out, 2, method.as_str().as_bytes());
        }
        out.push(0x80 | 6);
        indexed_name(out, 1, authority);
        indexed_name(out, 4, path);
        fields(out);
        let len = out.len() - block;
        if len > max_frame {
            out.truncate(start);
            return false;
        }
        out[start..start + 3].copy_from_slice(&(len as u32).to_be_bytes()[1..]);
        true
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn integers_take_their_prefix_then_seven_bits_a_byte() {
            // RFC 7541 C.1.1 and C.1.2.
            let mut out = Vec::new();
            super::int(&mut out, 5, 0, 10);
            assert_eq!(out, [10]);
            out.clear();
            super::int(&mut out, 5, 0, 1337);
            assert_eq!(out, [31, 154, 10]);
            out.clear();
            super::int(&mut out, 4, 0, 15);
            assert_eq!(out, [15, 0]);
        }

        #[tokio::test]
        async fn a_request_block_decodes_with_h2s_own_decoder_into_what_was_written() {
            use futures_util::StreamExt;
            use tokio::io::AsyncWriteExt;
            let mut out = Vec::new();
            assert!(super::request_headers(
                &mut out,
                3,
                16_384,
                &http::Method::HEAD,
                b"127.0.0.1:9",
                &[b'/'; 300],
                |b| super::field(b, b"authorization", &[b'x'; 200]),
            ));
            // As a service's h2 server reads it.
            let (mut client, server) = tokio::io::duplex(64 * 1024);
            client.write_all(&out).await.unwrap();
            let mut codec: h2::Codec<_, bytes::Bytes> = h2::Codec::new(server);
            let Some(Ok(h2::frame::Frame::Headers(frame))) = codec.next().await else {
                panic!("not a HEADERS frame");
            };
            assert_eq!(u32::from(frame.stream_id()), 3);
            assert!(frame.is_end_stream() && frame.is_end_headers());
            let (pseudo, fields) = frame.into_parts();
            assert_eq!(pseudo.method, Some(http::Method::HEAD));
            assert_eq!(pseudo.scheme.as_deref(), Some("http"));
            assert_eq!(pseudo.authority.as_deref(), Some("127.0.0.1:9"));
            assert_eq!(pseudo.path.as_deref().map(str::len), Some(300));
            assert_eq!(fields["authorization"].len(), 200);
            // Larger than a frame: not written.
            out.clear();
            assert!(!super::request_headers(
                &mut out,
                5,
                100,
                &http::Method::GET,
                b"h",
                &[b'/'; 300],
                |_| {},
            ));
            assert!(out.is_empty());
        }
    }
}
