//! Reads that do not hold a server's worker while PostgreSQL answers.
//!
//! A read run in place on a worker (see `Db::read`) blocks the worker's event loop for the
//! whole round trip: at saturation the loyalty account read spent half of its worker's time
//! so, and PostgreSQL was woken once per query. Here each worker thread keeps one async
//! connection per database, shared by all of the worker's requests: their queries pipeline on
//! it (diesel-async through a shared reference), so a worker with many reads in flight waits
//! for all of them at once and PostgreSQL reads them in batches.
//!
//! The connection is only ever a shortcut. A worker opens it itself on its first such read and
//! until it is up, after any failure on it (it is dropped and opened again, with backoff while
//! that fails), and where it cannot be used at all (SQLite, a URL that asks for TLS or that
//! tokio-postgres cannot read), reads take the pool path as before — so an outage, a restart
//! or `pg_terminate_backend` look to callers exactly as they did. The one difference: a read
//! the connection does not answer within the read deadline ends there with a 503, as a pooled
//! read's cutoff does, and the connection is dropped.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

/// How long opening the connection may take (the pool's `connect_timeout=3` alike).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Waits after failed opens: the first retry soon (a restart is short), then up to this.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One database's pipelined path: whether it exists, and how much it served.
pub(crate) struct Pipelined {
    /// Tells the database's slot apart in a worker's thread-local list.
    id: usize,
    /// `None`: this database never takes the path.
    config: Option<tokio_postgres::Config>,
    reads: AtomicU64,
}

/// A worker's connection to one database, in one of its states.
enum Slot {
    Up(Rc<AsyncPgConnection>),
    Opening,
    /// Not before `until`; `failures` opens in a row failed.
    Resting {
        until: Instant,
        failures: u32,
    },
}

thread_local! {
    static SLOTS: RefCell<Vec<(usize, Slot)>> = const { RefCell::new(Vec::new()) };
}

/// What a pipelined read is given: the worker's connection to the database, shared with the
/// worker's other reads in flight.
#[derive(Clone)]
pub struct PgReader(Rc<AsyncPgConnection>);

impl PgReader {
    /// The rows of `query` (any diesel query PostgreSQL can run, as `RunQueryDsl::load`).
    pub async fn load<'a, 'q, Q, U>(&'a self, query: Q) -> QueryResult<Vec<U>>
    where
        Q: diesel_async::methods::LoadQuery<'q, &'a AsyncPgConnection, U> + 'q,
        U: Send,
    {
        let mut shared: &'a AsyncPgConnection = &self.0;
        diesel_async::RunQueryDsl::load(query, &mut shared).await
    }
}

impl Pipelined {
    pub(crate) fn new(url: &str, backend: super::Backend) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let config = match backend {
            super::Backend::Postgres => usable(url),
            super::Backend::Sqlite => None,
        };
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            config,
            reads: AtomicU64::new(0),
        }
    }

    /// A database whose reads stay on the pool (`database.pipelined_reads = false`).
    pub(crate) fn off() -> Self {
        Self::new("", super::Backend::Sqlite)
    }

    /// Reads this database's pipelined path served.
    pub(crate) fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    pub(crate) fn served(&self) {
        self.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// The calling worker's connection when it is up; otherwise `None`, and the connection
    /// is being opened (or will be once its backoff has passed). Call on a server's worker
    /// only: opening spawns onto the worker's own loop.
    pub(crate) fn reader(&self) -> Option<PgReader> {
        let config = self.config.as_ref()?;
        let open = SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            let slot = match slots.iter_mut().find(|(id, _)| *id == self.id) {
                Some((_, slot)) => slot,
                None => {
                    slots.push((
                        self.id,
                        Slot::Resting {
                            until: Instant::now(),
                            failures: 0,
                        },
                    ));
                    &mut slots.last_mut().expect("just pushed").1
                }
            };
            match slot {
                Slot::Up(conn) => Ok(PgReader(conn.clone())),
                Slot::Opening => Err(None),
                Slot::Resting { until, failures } => {
                    if Instant::now() < *until {
                        Err(None)
                    } else {
                        let failures = *failures;
                        *slot = Slot::Opening;
                        Err(Some(failures))
                    }
                }
            }
        });
        match open {
            Ok(reader) => Some(reader),
            Err(None) => None,
            Err(Some(failures)) => {
                open_connection(self.id, config.clone(), failures);
                None
            }
        }
    }

    /// `reader`'s connection failed on a read (or held it past its deadline): it is dropped
    /// and opened again on the worker's next read. Other reads still in flight on it end as
    /// they will; a connection opened since is kept.
    pub(crate) fn failed(&self, reader: &PgReader, why: &dyn std::fmt::Display) {
        SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            if let Some((_, slot)) = slots.iter_mut().find(|(id, _)| *id == self.id)
                && matches!(slot, Slot::Up(conn) if Rc::ptr_eq(conn, &reader.0))
            {
                tracing::warn!(error = %why, "pipelined database connection dropped");
                *slot = Slot::Resting {
                    until: Instant::now(),
                    failures: 0,
                };
            }
        });
    }
}

/// The URL as tokio-postgres reads it, when the path may use it: not when the URL requires
/// TLS (the path speaks plain TCP only; `prefer` falls back to it as libpq's does) or names
/// options tokio-postgres does not know (libpq reads more; the pool path serves those).
fn usable(url: &str) -> Option<tokio_postgres::Config> {
    match url.parse::<tokio_postgres::Config>() {
        Ok(config) if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require => {
            tracing::info!("database URL requires TLS: reads stay on the pool");
            None
        }
        Ok(config) => Some(config),
        Err(e) => {
            tracing::info!(error = %e, "database URL not usable for pipelined reads: reads stay on the pool");
            None
        }
    }
}

/// Opens the worker's connection for database `id` on the worker's own loop and files it in
/// the worker's slot; a failed open rests the slot for a backoff that doubles with each
/// failure in a row.
fn open_connection(id: usize, config: tokio_postgres::Config, failures: u32) {
    actix_web::rt::spawn(async move {
        let opened = tokio::time::timeout(CONNECT_TIMEOUT, async {
            let (client, connection) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            AsyncPgConnection::try_from_client_and_connection(client, connection)
                .await
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()));
        let next = match opened {
            Ok(conn) => Slot::Up(Rc::new(conn)),
            Err(e) => {
                if failures == 0 {
                    tracing::warn!(error = %e, "pipelined database connection not opened: reads use the pool meanwhile");
                }
                Slot::Resting {
                    until: Instant::now() + backoff(failures),
                    failures: failures.saturating_add(1),
                }
            }
        };
        SLOTS.with(|slots| {
            if let Some((_, slot)) = slots.borrow_mut().iter_mut().find(|(i, _)| *i == id) {
                *slot = next;
            }
        });
    });
}

fn backoff(failures: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1 << failures.min(10))
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(0), Duration::from_millis(200));
        assert_eq!(backoff(1), Duration::from_millis(400));
        assert_eq!(backoff(5), Duration::from_millis(6400));
        assert_eq!(backoff(6), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn the_path_is_off_where_the_url_asks_for_tls_or_cannot_be_read() {
        let pg = super::super::Backend::Postgres;
        assert!(
            Pipelined::new("postgres://u@127.0.0.1/db", pg)
                .config
                .is_some()
        );
        assert!(
            Pipelined::new("postgres://u@127.0.0.1/db?sslmode=prefer", pg)
                .config
                .is_some()
        );
        assert!(
            Pipelined::new("postgres://u@127.0.0.1/db?sslmode=require", pg)
                .config
                .is_none()
        );
        assert!(
            Pipelined::new("postgres://u@127.0.0.1/db?sslmode=verify-full", pg)
                .config
                .is_none()
        );
        let sqlite = super::super::Backend::Sqlite;
        assert!(Pipelined::new("sqlite://x.db", sqlite).config.is_none());
    }
}
