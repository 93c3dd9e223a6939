//! Faults a test can switch on and off without touching shared servers: a TCP proxy in front
//! of the database (or a peer service) that can be cut — open connections dropped, new ones
//! closed at once, as when the server restarts — and restored; or frozen — connections stay
//! open and nothing more is forwarded, as when the server (or the network) stops answering
//! without closing anything — and thawed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct State {
    cut: AtomicBool,
    frozen: watch::Sender<bool>,
    open: Mutex<Vec<JoinHandle<()>>>,
}

/// Forwards one direction; while frozen, what was read is held back.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if frozen.wait_for(|f| !*f).await.is_err() || to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// A proxy on `127.0.0.1:port` forwarding to an upstream address. It runs on its own
/// runtime thread, so it keeps forwarding while the test's runtime is blocked (a service
/// connecting to its database at start-up blocks it).
pub struct TcpFault {
    pub port: u16,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TcpFault {
    pub async fn start(upstream: SocketAddr) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("fault proxy runtime");
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind fault proxy");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let port = std_listener.local_addr().expect("proxy address").port();
        let state = Arc::new(State {
            cut: AtomicBool::new(false),
            frozen: watch::Sender::new(false),
            open: Mutex::new(Vec::new()),
        });
        let shared = state.clone();
        runtime.spawn(async move {
            let listener = TcpListener::from_std(std_listener).expect("proxy listener");
            while let Ok((inbound, _)) = listener.accept().await {
                if shared.cut.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let frozen = shared.frozen.subscribe();
                let pipe = tokio::spawn(async move {
                    if let Ok(outbound) = TcpStream::connect(upstream).await {
                        let (in_read, in_write) = inbound.into_split();
                        let (out_read, out_write) = outbound.into_split();
                        tokio::join!(
                            pump(in_read, out_write, frozen.clone()),
                            pump(out_read, in_write, frozen)
                        );
                    }
                });
                let mut open = shared.open.lock().unwrap_or_else(|p| p.into_inner());
                open.retain(|h| !h.is_finished());
                open.push(pipe);
            }
        });
        Self {
            port,
            state,
            runtime: Some(runtime),
        }
    }

    /// Drops every open connection and closes new ones as soon as they arrive.
    pub fn cut(&self) {
        self.state.cut.store(true, Ordering::SeqCst);
        let open = std::mem::take(&mut *self.state.open.lock().unwrap_or_else(|p| p.into_inner()));
        for pipe in open {
            pipe.abort();
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.state.cut.store(false, Ordering::SeqCst);
    }

    /// Stops forwarding anything, in either direction, while keeping every connection open
    /// and accepting new ones: a server that hangs.
    pub fn freeze(&self) {
        self.state.frozen.send_replace(true);
    }

    /// Forwards again, what was held back first.
    pub fn thaw(&self) {
        self.state.frozen.send_replace(false);
    }
}

impl Drop for TcpFault {
    fn drop(&mut self) {
        self.cut();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

pub use cid_kit::db::postgres_addr;

/// `url` with its host and port replaced by `127.0.0.1:port`.
pub fn postgres_url_via(url: &str, port: u16) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let userinfo = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    Some(format!(
        "{scheme}://{}127.0.0.1:{port}{tail}",
        userinfo.unwrap_or_default()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten_to_go_through_the_proxy() {
        assert_eq!(
            postgres_addr("postgres://postgres@127.0.0.1/db?sslmode=disable"),
            Some(("127.0.0.1".into(), 5432))
        );
        assert_eq!(
            postgres_addr("postgres://u:p@db.local:6543/x"),
            Some(("db.local".into(), 6543))
        );
        assert_eq!(
            postgres_url_via("postgres://u:p@db.local:6543/x?a=b", 7000).as_deref(),
            Some("postgres://u:p@127.0.0.1:7000/x?a=b")
        );
        assert_eq!(
            postgres_url_via("postgres://127.0.0.1/x", 7000).as_deref(),
            Some("postgres://127.0.0.1:7000/x")
        );
    }
}
