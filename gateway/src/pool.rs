//! Upstream connections: a small keep-alive pool per thread and upstream.
//!
//! Each serving thread runs its own event loop, so its pool needs no lock. A connection is
//! put back right after its request is handed over; it is picked again only once hyper says
//! it is ready, i.e. after the previous response has been read to the end.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use http::{HeaderValue, Request, Response, header};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;

use crate::proxy::UpstreamBody;
use crate::upstream::Upstream;

type Sender = SendRequest<UpstreamBody>;

pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

thread_local! {
    static POOL: RefCell<HashMap<String, Vec<Sender>>> = RefCell::new(HashMap::new());
}

#[derive(Debug)]
pub enum SendError {
    /// Nothing was sent: the upstream could not be reached.
    Connect(String),
    /// The exchange failed after the request was (possibly) written.
    Exchange(hyper::Error),
    /// As `Exchange`, on the gateway's own HTTP/1.1 path (`h1.rs`).
    Io(std::io::Error),
}

/// Sends `req` (origin-form URI) to `upstream`, reusing an idle connection when one is
/// ready. A request that a stale pooled connection refused before writing anything is sent
/// again on a fresh connection: nothing reached the upstream, so any method is safe.
pub async fn send(
    upstream: &Upstream,
    mut req: Request<UpstreamBody>,
) -> Result<Response<Incoming>, SendError> {
    if let Ok(host) = HeaderValue::from_str(upstream.authority.as_str()) {
        req.headers_mut().insert(header::HOST, host);
    }
    for _ in 0..3 {
        let mut sender = match take_ready(&upstream.base) {
            Some(sender) => sender,
            None => connect(upstream).await?,
        };
        let exchange = sender.try_send_request(req);
        put_back(&upstream.base, sender);
        match exchange.await {
            Ok(res) => return Ok(res),
            Err(mut e) => match e.take_message() {
                Some(unsent) => req = unsent,
                None => return Err(SendError::Exchange(e.into_error())),
            },
        }
    }
    Err(SendError::Connect("no usable connection".into()))
}

fn take_ready(key: &str) -> Option<Sender> {
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let senders = pool.get_mut(key)?;
        // Newest first: the connection used last is the likeliest to be warm and open.
        let mut i = senders.len();
        while i > 0 {
            i -= 1;
            if senders[i].is_closed() {
                senders.swap_remove(i);
            } else if senders[i].is_ready() {
                return Some(senders.swap_remove(i));
            }
        }
        None
    })
}

fn put_back(key: &str, sender: Sender) {
    if sender.is_closed() {
        return;
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        match pool.get_mut(key) {
            Some(senders) => senders.push(sender),
            None => {
                pool.insert(key.to_owned(), vec![sender]);
            }
        }
    });
}

async fn connect(upstream: &Upstream) -> Result<Sender, SendError> {
    let addr = upstream.authority.as_str();
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| SendError::Connect(format!("connect to {addr} timed out")))?
        .map_err(|e| SendError::Connect(format!("connect to {addr}: {e}")))?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::Builder::new()
        .writev(false)
        .handshake(TokioIo::new(stream))
        .await
        .map_err(SendError::Exchange)?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "upstream connection ended with an error");
        }
    });
    Ok(sender)
}
