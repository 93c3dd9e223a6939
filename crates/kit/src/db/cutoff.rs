//! A deadline for a call on a PostgreSQL connection, kept by cutting the connection's socket.
//!
//! libpq waits for an answer in `poll` with no timeout of its own, and PostgreSQL's
//! `statement_timeout` is kept by the server: a server (or a proxy in front of it) that
//! stops answering while its TCP connection stays open would hold the caller forever. A read
//! runs on the request's worker (see [`super::Db::read`]), where that would stall every
//! connection of the worker, `/health` included; a request's write would keep its blocking
//! thread and pool permit. So each connection's socket is known, and one watchdog thread
//! shuts it down (`shutdown(2)`) when a call on it runs past its deadline: libpq's wait ends at once with "server closed the connection", the call fails
//! as a lost connection (503), and the pool replaces the connection.
//!
//! diesel does not expose libpq's `PQsocket`, so the socket is found when the connection is
//! made: the process's sockets are listed before and after the connect (every PostgreSQL
//! connect the kit makes is serialized for it, so no other new socket to the server's port can
//! appear meanwhile), and the one new socket connected to the server's port is the
//! connection's. When that is not certain (a Unix socket, two candidates), the connection
//! simply has no cutoff and its reads go to the blocking pool, as before.

use std::collections::HashSet;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// How often the watchdog looks: a call ends at most this long after its deadline.
const TICK: Duration = Duration::from_millis(50);

/// A connection's socket and, while a call with a deadline runs on it, that deadline.
pub(crate) struct Cutoff {
    fd: RawFd,
    until: Mutex<Option<Instant>>,
    /// The connection's "seen lost" flag: a cut connection is never handed out again.
    lost: Arc<AtomicBool>,
}

/// A call's deadline, cleared when the call ends (however it ends).
pub(crate) struct Armed<'a>(&'a Cutoff);

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        *lock(&self.0.until) = None;
    }
}

impl Cutoff {
    /// Watches `fd` from now on, for as long as the returned handle lives.
    pub(crate) fn watch(fd: RawFd, lost: Arc<AtomicBool>) -> Arc<Self> {
        let cutoff = Arc::new(Self {
            fd,
            until: Mutex::new(None),
            lost,
        });
        let watched = watched();
        lock(watched).push(Arc::downgrade(&cutoff));
        cutoff
    }

    /// Sets a deadline `limit` from now for the call about to run on the connection.
    pub(crate) fn arm(&self, limit: Duration) -> Armed<'_> {
        *lock(&self.until) = Some(Instant::now() + limit);
        Armed(self)
    }

    /// Cuts the connection if a call is running on it past its deadline. Under the lock that
    /// the call's end takes to disarm: the socket is only ever shut down while a call holds
    /// the connection, so the descriptor is still the connection's.
    fn enforce(&self, now: Instant) {
        let mut until = lock(&self.until);
        if until.is_some_and(|t| t <= now) {
            *until = None;
            self.lost.store(true, Ordering::Relaxed);
            // The descriptor is the connection's (a call holds it, checked under the lock
            // the call's end takes); shutting it down closes nothing.
            let _ = nix::sys::socket::shutdown(self.fd, nix::sys::socket::Shutdown::Both);
            tracing::warn!(
                "a database call ran past its deadline: its connection was cut (the server or \
                 the network stopped answering)"
            );
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Every connection with a cutoff; the watchdog thread starts with the first.
fn watched() -> &'static Mutex<Vec<Weak<Cutoff>>> {
    static WATCHED: OnceLock<Mutex<Vec<Weak<Cutoff>>>> = OnceLock::new();
    WATCHED.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("db-cutoff".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(TICK);
                    let now = Instant::now();
                    let mut list = lock(watched());
                    list.retain(|w| match w.upgrade() {
                        Some(cutoff) => {
                            cutoff.enforce(now);
                            true
                        }
                        None => false,
                    });
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the database watchdog did not start: reads without a deadline");
        }
        Mutex::new(Vec::new())
    })
}

/// Serializes PostgreSQL connects, so that the sockets new after one are its own.
pub(crate) fn connect_lock() -> std::sync::MutexGuard<'static, ()> {
    static CONNECTING: Mutex<()> = Mutex::new(());
    lock(&CONNECTING)
}

/// The process's open sockets.
pub(crate) fn sockets() -> HashSet<RawFd> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return HashSet::new();
    };
    dir.filter_map(Result::ok)
        .filter(|e| {
            std::fs::read_link(e.path())
                .is_ok_and(|t| t.as_os_str().as_encoded_bytes().starts_with(b"socket:"))
        })
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// The one socket in `after` but not `before` that is connected to `port`.
pub(crate) fn new_socket_to(
    before: &HashSet<RawFd>,
    after: &HashSet<RawFd>,
    port: u16,
) -> Option<RawFd> {
    let mut found = after
        .difference(before)
        .copied()
        .filter(|fd| peer_port(*fd) == Some(port));
    let fd = found.next()?;
    found.next().is_none().then_some(fd)
}

/// The remote port of a connected TCP socket.
fn peer_port(fd: RawFd) -> Option<u16> {
    use nix::sys::socket::{SockaddrIn, SockaddrIn6, SockaddrStorage, getpeername};
    let addr: SockaddrStorage = getpeername(fd).ok()?;
    addr.as_sockaddr_in()
        .map(SockaddrIn::port)
        .or_else(|| addr.as_sockaddr_in6().map(SockaddrIn6::port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_socket_to_the_port_is_found_and_an_ambiguous_one_is_not() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        let before = sockets();
        let one = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let after = sockets();
        let fd = new_socket_to(&before, &after, port).expect("the new connection");
        assert_eq!(fd, std::os::fd::AsRawFd::as_raw_fd(&one));
        assert_eq!(new_socket_to(&before, &after, port.wrapping_add(1)), None);
        let two = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        assert_eq!(
            new_socket_to(&before, &sockets(), port),
            None,
            "two candidates"
        );
        drop((one, two));
    }

    #[test]
    fn a_call_past_its_deadline_has_its_socket_cut_and_one_within_it_does_not() {
        use std::io::Read;
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let _held = server.accept().unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&client);

        let lost = Arc::new(AtomicBool::new(false));
        let cutoff = Cutoff::watch(fd, lost.clone());
        {
            let _armed = cutoff.arm(Duration::from_secs(5));
            std::thread::sleep(TICK * 3);
        }
        assert!(!lost.load(Ordering::Relaxed), "cut within its deadline");

        let started = Instant::now();
        let _armed = cutoff.arm(Duration::from_millis(100));
        // A server that never answers: the read ends only because the socket is cut.
        let mut buf = [0u8; 8];
        let n = client.read(&mut buf).unwrap_or(0);
        assert_eq!(n, 0, "the cut socket reads as closed");
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert!(lost.load(Ordering::Relaxed));
    }
}
