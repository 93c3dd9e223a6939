//! One schema, two backends: PostgreSQL and the embedded SQLite default.
//!
//! `DbConnection` is a diesel `MultiConnection`; the pool manager picks the backend from the URL
//! scheme and reports the real connection error. Writes go through [`Db::write`], which keeps
//! read-then-write sequences safe under concurrency on both backends.
//!
//! A connection that saw a connection-class error (the server went away, the transaction
//! manager broke) is discarded when it goes back to the pool, so the pool heals within one
//! request of the database coming back instead of handing out dead connections until r2d2's
//! idle limits retire them.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::migration::{Migration, MigrationSource};
use diesel::prelude::*;
use diesel::r2d2;
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

mod cutoff;
use cutoff::Cutoff;
mod pipelined;
pub use pipelined::PgReader;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same diesel expression on whichever concrete connection is inside: for the few
/// statements (upserts, migrations) that the multi-backend enum cannot express, and for the
/// reads on a service's hottest path — through the enum diesel renders the whole SQL string
/// again in every pass over a query (the cache-safety and the binds passes, even for a cached
/// statement), which was a third of the loyalty account read's own CPU.
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else {
            None
        }
    }
}

/// The file path of a `sqlite://path` or `sqlite:path` URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("database task failed: {0}")]
    Task(String),
}

impl From<r2d2::PoolError> for DbError {
    fn from(e: r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// Whether `e` means the connection itself is unusable (as opposed to the statement failing):
/// the server closed it or cannot be reached, or a failed rollback left it mid-transaction.
pub fn is_connection_error(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        e,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    )
}

/// Whether `e` means "the database cannot serve this now, try again shortly" — a lost
/// connection, or SQLite still locked by another process after the busy timeout.
pub fn is_unavailable(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    is_connection_error(e)
        || matches!(e, Error::DatabaseError(DatabaseErrorKind::Unknown, info)
            if info.message().contains("database is locked"))
}

/// A pooled connection and whether it has been seen to fail as a connection.
pub struct PoolConn {
    conn: DbConnection,
    lost: Arc<AtomicBool>,
    /// A PostgreSQL connection whose socket is known: a call on it can be held to a deadline.
    cutoff: Option<Arc<Cutoff>>,
}

impl PoolConn {
    fn new(mut conn: DbConnection, socket: Option<std::os::fd::RawFd>) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let cutoff = socket.map(|fd| Cutoff::watch(fd, lost.clone()));
        let flag = lost.clone();
        // Every statement diesel runs passes here, including BEGIN/COMMIT/ROLLBACK, so the
        // first connection-class error marks the connection whatever code ran it.
        let watch = move |event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::FinishQuery { error: Some(e), .. } =
                event
                && is_connection_error(e)
            {
                flag.store(true, Ordering::Relaxed);
            }
        };
        conn.set_instrumentation(watch);
        Self { conn, lost, cutoff }
    }

    /// Whether a read may run on the caller's own (async) thread: SQLite is in-process and
    /// its readers never wait for the writer (WAL); a PostgreSQL read only when it can be
    /// cut at its deadline.
    fn runs_anywhere(&self) -> bool {
        match self.conn {
            DbConnection::Sqlite(_) => true,
            DbConnection::Pg(_) => self.cutoff.is_some(),
        }
    }

    /// Runs `f`, cut at `limit` when the connection has a cutoff.
    fn within<T>(&mut self, limit: Duration, f: impl FnOnce(&mut DbConnection) -> T) -> T {
        let _armed = self.cutoff.as_deref().map(|c| c.arm(limit));
        f(&mut self.conn)
    }

    /// True once a connection-class error was seen on this connection.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }
}

impl Deref for PoolConn {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Chooses and establishes the concrete backend itself so that a failed connection reports
/// libpq's or SQLite's own message instead of a generic "invalid URL".
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    pub fn new(url: &str) -> Result<Self, DbError> {
        let backend = Backend::of_url(url).ok_or_else(|| {
            DbError::Unavailable(format!("unsupported database URL scheme: {}", redact(url)))
        })?;
        let url = match backend {
            Backend::Postgres if !url.contains("connect_timeout") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}connect_timeout=3")
            }
            _ => url.to_owned(),
        };
        Ok(Self { url, backend })
    }

    pub fn connect_now(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => {
                // Serialized with the pools' connects, whose sockets are told apart by being
                // the only new one (see `cutoff`).
                let _serial = cutoff::connect_lock();
                PgConnection::establish(&self.url)
                    .map(DbConnection::Pg)
                    .map_err(r2d2::Error::ConnectionError)
            }
            Backend::Sqlite => self.connect_sqlite(),
        }
    }

    /// A pool's connection: on PostgreSQL with its socket found (see `cutoff`), so that calls
    /// on it can be held to a deadline.
    fn connect_pooled(&self) -> Result<PoolConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => {
                let port = postgres_addr(&self.url).map(|(_, port)| port);
                let _serial = cutoff::connect_lock();
                let before = port.map(|_| cutoff::sockets());
                let conn =
                    PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                let socket = match (port, before) {
                    (Some(port), Some(before)) => {
                        cutoff::new_socket_to(&before, &cutoff::sockets(), port)
                    }
                    _ => None,
                };
                Ok(PoolConn::new(DbConnection::Pg(conn), socket))
            }
            Backend::Sqlite => self.connect_sqlite().map(|c| PoolConn::new(c, None)),
        }
    }

    fn connect_sqlite(&self) -> Result<DbConnection, r2d2::Error> {
        let path = sqlite_path(&self.url);
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            let _ = std::fs::create_dir_all(dir);
        }
        let mut conn = SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
        // WAL lets readers run beside the single writer; busy_timeout covers writers from
        // other processes (the in-process ones queue on Db's write lock).
        conn.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(r2d2::Error::QueryError)?;
        Ok(DbConnection::Sqlite(conn))
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = PoolConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConn, r2d2::Error> {
        self.connect_pooled()
    }

    fn is_valid(&self, conn: &mut PoolConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        let broken = std::thread::panicking() || conn.is_lost() || conn.conn.is_broken();
        if broken {
            tracing::warn!("discarding a broken database connection");
        }
        broken
    }
}

/// The `host:port` a `postgres://` URL connects to (port 5432 when not given).
pub fn postgres_addr(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit('@').next()?;
    match host_port.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((host_port.to_owned(), 5432)),
    }
}

/// Hides the password of a database URL for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}:***{}", &url[..scheme + 3 + colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A service's migrations for both backends; folder names must match (a test checks it).
pub struct Migrations {
    pub postgres: EmbeddedMigrations,
    pub sqlite: EmbeddedMigrations,
}

/// The kit's own tables (idempotency keys) come first, then the service's.
struct Chain<'a> {
    parts: [&'a EmbeddedMigrations; 2],
}

impl<DB: diesel::backend::Backend> MigrationSource<DB> for Chain<'_>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<DB>>>> {
        let mut all = Vec::new();
        for part in self.parts {
            all.extend(part.migrations()?);
        }
        Ok(all)
    }
}

const KIT_MIGRATIONS: Migrations = Migrations {
    postgres: diesel_migrations::embed_migrations!("migrations/postgres"),
    sqlite: diesel_migrations::embed_migrations!("migrations/sqlite"),
};

type MigrationResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Held while migrating a PostgreSQL database (an advisory lock is per database).
const MIGRATION_LOCK: &str = "hashtext('cid migrations')";

/// Applies every pending migration (kit's, then the service's). On PostgreSQL under an
/// advisory lock: of replicas starting together one migrates, the others wait for it and then
/// find nothing pending.
pub fn run_migrations(conn: &mut DbConnection, m: &Migrations) -> MigrationResult<usize> {
    match conn {
        DbConnection::Pg(c) => {
            let chain = Chain {
                parts: [&KIT_MIGRATIONS.postgres, &m.postgres],
            };
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
            let applied = c.run_pending_migrations(chain).map(|v| v.len());
            let unlocked = c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
            let applied = applied?;
            unlocked?;
            Ok(applied)
        }
        DbConnection::Sqlite(c) => {
            let chain = Chain {
                parts: [&KIT_MIGRATIONS.sqlite, &m.sqlite],
            };
            Ok(c.run_pending_migrations(chain)?.len())
        }
    }
}

/// Reverts every applied migration, newest first (used by the up/down/up test).
pub fn revert_all(conn: &mut DbConnection, m: &Migrations) -> MigrationResult<usize> {
    match conn {
        DbConnection::Pg(c) => {
            let chain = Chain {
                parts: [&KIT_MIGRATIONS.postgres, &m.postgres],
            };
            Ok(c.revert_all_migrations(chain)?.len())
        }
        DbConnection::Sqlite(c) => {
            let chain = Chain {
                parts: [&KIT_MIGRATIONS.sqlite, &m.sqlite],
            };
            Ok(c.revert_all_migrations(chain)?.len())
        }
    }
}

/// Creates the PostgreSQL database named in `url` when it does not exist yet, so that one URL
/// template can point every service at its own database.
pub fn ensure_postgres_database(url: &str) -> Result<(), DbError> {
    let Some((base, rest)) = url.rsplit_once('/') else {
        return Ok(());
    };
    let name = rest.split('?').next().unwrap_or(rest);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(());
    }
    let admin = Manager::new(&format!("{base}/postgres"))?;
    let mut conn = admin
        .connect_now()
        .map_err(|e| DbError::Unavailable(e.to_string()))?;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        one: i32,
    }
    let found: Vec<Found> =
        diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .load(&mut conn)?;
    if found.is_empty() {
        // A concurrent creator may win the race (another replica starting): its database is
        // just as good. PostgreSQL says so as "already exists" or, when both insert at once,
        // as a unique violation on the catalog.
        let raced = |e: &diesel::result::Error| {
            e.to_string().contains("already exists")
                || matches!(
                    e,
                    diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _
                    )
                )
        };
        if let Err(e) = conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
            && !raced(&e)
        {
            return Err(e.into());
        }
    }
    Ok(())
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// While the last checkout failed, later ones wait at most this long: during an outage
/// requests get their 503 quickly, and r2d2 keeps reconnecting in the background (every
/// ≤ acquire_timeout / 2), so the first checkout after the database returns succeeds.
const CHECKOUT_WHILE_DOWN: Duration = Duration::from_millis(500);

#[derive(Clone)]
struct Checkout {
    pool: Pool,
    down: Arc<AtomicBool>,
    timeout: Duration,
}

impl Checkout {
    fn get(&self) -> Result<PooledConnection, DbError> {
        let timeout = if self.down.load(Ordering::Relaxed) {
            self.timeout.min(CHECKOUT_WHILE_DOWN)
        } else {
            self.timeout
        };
        match self.pool.get_timeout(timeout) {
            Ok(conn) => {
                if self.down.swap(false, Ordering::Relaxed) {
                    tracing::info!("database reachable again");
                }
                Ok(conn)
            }
            Err(e) => {
                self.down.store(true, Ordering::Relaxed);
                Err(e.into())
            }
        }
    }
}

/// Whether this thread is one of an actix server's workers (each a single-threaded event
/// loop serving its own connections), where a short read may run in place.
fn on_worker() -> bool {
    thread_local! {
        static WORKER: bool = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("actix-server worker"));
    }
    WORKER.with(|w| *w)
}

/// The database handle every service keeps in its state.
#[derive(Clone)]
pub struct Db {
    checkout: Checkout,
    backend: Backend,
    /// SQLite allows one writer; queueing in-process writers here is fairer and faster than
    /// letting them spin on `SQLITE_BUSY`. They queue before they take a connection or a
    /// blocking thread, so waiting writers leave the pool to readers (and a service's jobs
    /// starting together open one connection, not one each).
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    /// One permit per pooled connection: requests beyond that wait here, asynchronously,
    /// instead of parking blocking threads on the pool's lock.
    permits: Arc<tokio::sync::Semaphore>,
    /// Requests waiting for a permit now (for `/metrics`).
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    size: u32,
    read_timeout: Duration,
    write_timeout: Duration,
    pipelined: Arc<pipelined::Pipelined>,
}

/// What `/metrics` shows of the pool.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub size: u32,
    /// Connections lent to requests and jobs.
    pub in_use: u32,
    /// Requests waiting for one.
    pub waiting: usize,
    /// Reads served on the workers' pipelined connections (see [`Db::read_pipelined`]).
    pub pipelined_reads: u64,
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub pool_size: u32,
    pub acquire_timeout: Duration,
    /// Longest a read may run on PostgreSQL before its connection is cut.
    pub read_timeout: Duration,
    /// Longest a request's write may run on PostgreSQL before its connection is cut.
    pub write_timeout: Duration,
    /// Whether [`Db::read_pipelined`] may use the workers' own connections (PostgreSQL).
    pub pipelined_reads: bool,
}

impl DbOptions {
    pub fn from_settings(settings: &crate::Settings) -> Self {
        Self {
            pool_size: settings.database.pool_size,
            acquire_timeout: Duration::from_millis(settings.database.acquire_timeout_ms),
            read_timeout: Duration::from_millis(settings.database.read_timeout_ms.max(1)),
            write_timeout: Duration::from_millis(settings.database.write_timeout_ms.max(1)),
            pipelined_reads: settings.database.pipelined_reads,
        }
    }
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            pool_size: 8,
            acquire_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(3),
            write_timeout: Duration::from_secs(10),
            pipelined_reads: true,
        }
    }
}

impl Db {
    /// Connects, creates the database if needed (PostgreSQL) and applies migrations.
    pub fn connect(
        url: &str,
        opts: &DbOptions,
        migrations: &'static Migrations,
    ) -> Result<Self, DbError> {
        let manager = Manager::new(url)?;
        if manager.backend == Backend::Postgres {
            ensure_postgres_database(url)?;
        }
        // Connect once up front so a bad URL fails fast with the real message.
        let mut first = manager
            .connect_now()
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        run_migrations(&mut first, migrations)
            .map_err(|e| DbError::Unavailable(format!("migrations failed: {e}")))?;
        drop(first);
        let backend = manager.backend;
        let pipelined = Arc::new(match opts.pipelined_reads {
            true => pipelined::Pipelined::new(&manager.url, backend),
            false => pipelined::Pipelined::off(),
        });
        // One thread keeps every pool of the process topped up (r2d2 starts three per pool:
        // `cid up` ran 33 for its eleven databases).
        fn maintenance_threads() -> Arc<scheduled_thread_pool::ScheduledThreadPool> {
            static POOL: std::sync::OnceLock<Arc<scheduled_thread_pool::ScheduledThreadPool>> =
                std::sync::OnceLock::new();
            POOL.get_or_init(|| {
                Arc::new(
                    scheduled_thread_pool::ScheduledThreadPool::builder()
                        .num_threads(1)
                        .thread_name_pattern("db-pool-{}")
                        .build(),
                )
            })
            .clone()
        }
        let pool = r2d2::Pool::builder()
            .max_size(opts.pool_size)
            .min_idle(Some(1))
            .connection_timeout(opts.acquire_timeout)
            // Broken connections surface as query errors and are replaced then; checking on
            // every checkout costs a round trip per request.
            .test_on_check_out(false)
            .thread_pool(maintenance_threads())
            .build(manager)
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        let write_lock =
            (backend == Backend::Sqlite).then(|| Arc::new(tokio::sync::Mutex::new(())));
        let permits = Arc::new(tokio::sync::Semaphore::new(opts.pool_size.max(1) as usize));
        Ok(Self {
            checkout: Checkout {
                pool,
                down: Arc::new(AtomicBool::new(false)),
                timeout: opts.acquire_timeout,
            },
            backend,
            write_lock,
            permits,
            waiting: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            size: opts.pool_size.max(1),
            read_timeout: opts.read_timeout,
            write_timeout: opts.write_timeout,
            pipelined,
        })
    }

    pub fn pool_stats(&self) -> PoolStats {
        let free = u32::try_from(self.permits.available_permits()).unwrap_or(0);
        PoolStats {
            size: self.size,
            in_use: self.size.saturating_sub(free),
            waiting: self.waiting.load(Ordering::Relaxed),
            pipelined_reads: self.pipelined.reads(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &Pool {
        &self.checkout.pool
    }

    /// Runs `f` on a pooled connection, in the caller's tracing span.
    ///
    /// On a server's worker, with a connection idle in the pool at this moment (never a wait
    /// or a connect here) and a deadline the read can be held to, `f` runs right here: the
    /// hand-off to a blocking thread and back was half of a short read's CPU and most of its
    /// tail latency. Otherwise — a job, a busy pool, a database that was just down, a
    /// connection without a cutoff — it runs on the blocking pool as writes do.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let limit = self.read_timeout;
        let mut idle = None;
        if on_worker()
            && !self.checkout.down.load(Ordering::Relaxed)
            && let Ok(permit) = self.permits.clone().try_acquire_owned()
        {
            match self.checkout.pool.try_get() {
                Some(mut conn) if conn.runs_anywhere() => {
                    let _permit = permit;
                    return conn.within(limit, f);
                }
                taken => idle = Some((permit, taken)),
            }
        }
        let checkout = self.checkout.clone();
        let span = tracing::Span::current();
        let (permit, taken) = match idle {
            Some(held) => held,
            None => (self.permit().await?, None),
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(|| {
                let mut conn = match taken {
                    Some(conn) => conn,
                    None => checkout.get()?,
                };
                conn.within(limit, f)
            })
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// [`Db::read`] for a service's hottest reads, which on PostgreSQL need not hold the
    /// worker while the database answers: on a server's worker with its pipelined connection
    /// up (see `pipelined`), `pg` runs there, beside the worker's other reads in flight, held
    /// to the read deadline (past it: a 503, as a pooled read's cutoff gives). `sync` runs as
    /// [`Db::read`] does everywhere else — SQLite, jobs, while that connection is being
    /// opened, when it failed on this read (the read is retried on the pool, so a restarted
    /// database costs callers nothing more than before) — and when `pg` answers `None`
    /// (what it read does not suffice, e.g. a second read it leaves to the pool path).
    pub async fn read_pipelined<T, E, P, Fut, F>(&self, pg: P, sync: F) -> Result<T, E>
    where
        P: FnOnce(PgReader) -> Fut,
        Fut: std::future::Future<Output = QueryResult<Option<T>>>,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        if on_worker()
            && let Some(reader) = self.pipelined.reader()
        {
            match tokio::time::timeout(self.read_timeout, pg(reader.clone())).await {
                Ok(Ok(Some(found))) => {
                    self.pipelined.served();
                    return Ok(found);
                }
                Ok(Ok(None)) => {}
                // Retried on the pool, which reports a statement's own error as it always
                // did; a lost connection (a restart, `pg_terminate_backend`: its first read
                // may see the server's FATAL, the next the closed socket) is opened afresh.
                Ok(Err(e)) => {
                    if is_connection_error(&e) {
                        self.pipelined.failed(&reader, &e);
                    }
                }
                Err(_) => {
                    self.pipelined
                        .failed(&reader, &"no answer within the read deadline");
                    return Err(E::from(DbError::Unavailable(
                        "the database did not answer within the read deadline".into(),
                    )));
                }
            }
        }
        self.read(sync).await
    }

    /// [`Db::read`] of a store function: its diesel error becomes the shared `ApiError`
    /// (not found 404, unavailable 503, …) in this one place.
    pub async fn query<T, F>(&self, f: F) -> Result<T, crate::ApiError>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read(move |c| f(c).map_err(crate::ApiError::from))
            .await
    }

    /// [`Db::write`] of store functions in one transaction, errors mapped as in [`Db::query`].
    pub async fn transact<T, F>(&self, f: F) -> Result<T, crate::ApiError>
    where
        F: FnOnce(&mut DbConnection) -> QueryResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.write(move |c| f(c).map_err(crate::ApiError::from))
            .await
    }

    /// Runs `f` in one transaction. On SQLite, in-process writers are serialized; on
    /// PostgreSQL, `f` must take its row lock first (see `store` functions named `lock_*`).
    ///
    /// A request's write (called on a server's worker) is held to the write deadline once it
    /// has its connection, as reads are: a hung server would otherwise keep its blocking
    /// thread and pool permit for good. A job's write (a batch that may be long) is not.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        let checkout = self.checkout.clone();
        let span = tracing::Span::current();
        // Bounded like the wait for a connection: a writer queue longer than that is an
        // outage to report, not a backlog to keep.
        let guard = match &self.write_lock {
            Some(lock) => Some(
                tokio::time::timeout(self.checkout.timeout, lock.clone().lock_owned())
                    .await
                    .map_err(|_| {
                        DbError::Unavailable("timed out waiting for the database's writer".into())
                    })?,
            ),
            None => None,
        };
        let permit = self.permit().await?;
        let limit = on_worker().then_some(self.write_timeout);
        tokio::task::spawn_blocking(move || {
            let (_guard, _permit) = (guard, permit);
            span.in_scope(|| {
                let mut conn = checkout.get()?;
                match limit {
                    Some(limit) => conn.within(limit, |c| c.transaction(f)),
                    None => conn.conn.transaction(f),
                }
            })
        })
        .await
        .map_err(|e| E::from(DbError::Task(e.to_string())))?
    }

    /// Waits for a permit at most the acquire timeout: while the database is down every
    /// permit holder waits for a connection, and the queue behind them must not grow without
    /// bound.
    async fn permit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, DbError> {
        if let Ok(permit) = self.permits.clone().try_acquire_owned() {
            return Ok(permit);
        }
        // Counted while waiting, also when the request goes away mid-wait.
        struct Waiting(Arc<std::sync::atomic::AtomicUsize>);
        impl Drop for Waiting {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(self.waiting.clone());
        match tokio::time::timeout(self.checkout.timeout, self.permits.clone().acquire_owned())
            .await
        {
            Ok(permit) => permit.map_err(|e| DbError::Task(e.to_string())),
            Err(_) => Err(DbError::Unavailable(
                "timed out waiting for a database connection".into(),
            )),
        }
    }

    /// A cheap reachability check for `/ready`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.read(|c| c.batch_execute("SELECT 1").map_err(DbError::from))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://./data/x.db"), "sqlite://./data/x.db");
    }

    #[test]
    fn backend_comes_from_the_scheme() {
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("sqlite://x.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("mysql://h/db"), None);
        assert_eq!(sqlite_path("sqlite://./data/x.db"), "./data/x.db");
    }
}
