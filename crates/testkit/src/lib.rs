//! Test helpers: a fresh database per test on SQLite (default) or PostgreSQL
//! (`CID_TEST_DATABASE_URL`), services started in-process on port 0, and tokens.

use std::net::TcpListener;
use std::path::PathBuf;

use cid_common::Role;
use cid_kit::server::{AppSpec, Running};
use cid_kit::settings::{Settings, config_dir};
use diesel::connection::SimpleConnection;

pub mod fault;
pub mod receivers;
pub mod servers;

/// The environment variable that switches the tests to PostgreSQL.
pub const PG_ENV: &str = "CID_TEST_DATABASE_URL";

/// Settings of `config/test.toml`.
pub fn settings() -> Settings {
    Settings::load_from(&config_dir(), "test").expect("test settings load")
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another test's database (a second instance's view of it): its owner removes it.
    Borrowed {
        postgres: bool,
    },
}

impl TestDb {
    pub fn new(service: &str) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var(PG_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("cidt_{}_{}", service.replace('-', "_"), &id[..16]);
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                // Test traffic stays on this machine, where TLS buys nothing; without it no
                // OpenSSL state can be torn down under a pool thread when the test exits.
                let tls = if admin_url.contains("sslmode=") {
                    ""
                } else {
                    "?sslmode=disable"
                };
                Self {
                    url: format!("{base}/{name}{tls}"),
                    cleanup: Cleanup::Postgres {
                        admin_url: admin_url.clone(),
                        name,
                    },
                }
            }
            _ => {
                let dir = std::env::temp_dir().join(format!("cid-test-{id}"));
                std::fs::create_dir_all(&dir).expect("create test dir");
                Self {
                    url: format!("sqlite://{}/{service}.db", dir.display()),
                    cleanup: Cleanup::Dir(dir),
                }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(
            self.cleanup,
            Cleanup::Postgres { .. } | Cleanup::Borrowed { postgres: true }
        )
    }

    /// On PostgreSQL, ends every session of this database from the server side (as an
    /// administrator's `pg_terminate_backend` or a server restart does); returns how many.
    pub fn terminate_connections(&self) -> usize {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            return 0;
        };
        #[derive(diesel::QueryableByName)]
        struct Ended {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = cid_kit::db::Manager::new(admin_url)
            .and_then(|m| {
                m.connect_now()
                    .map_err(|e| cid_kit::DbError::Unavailable(e.to_string()))
            })
            .expect("connect as administrator");
        let ended: Vec<Ended> = diesel::RunQueryDsl::load(
            diesel::sql_query(
                "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
                 WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind::<diesel::sql_types::Text, _>(name),
            &mut conn,
        )
        .expect("terminate sessions");
        ended.first().map_or(0, |e| e.n as usize)
    }

    /// The domain events this database's service has written to its outbox, oldest first.
    pub fn emitted(&self) -> Vec<serde_json::Value> {
        #[derive(diesel::QueryableByName)]
        struct Body {
            #[diesel(sql_type = diesel::sql_types::Text)]
            body: String,
        }
        let mut conn = self.connect();
        let query = "SELECT body FROM outbox WHERE idempotency_key LIKE 'event:%' ORDER BY id";
        let rows: Vec<Body> = cid_kit::with_backend!(&mut conn, |c| {
            use diesel::RunQueryDsl;
            diesel::sql_query(query).load(c)
        })
        .expect("read the outbox");
        rows.iter()
            .map(|r| serde_json::from_str(&r.body).expect("an event"))
            .collect()
    }

    /// The types of [`TestDb::emitted`], in order.
    pub fn emitted_types(&self) -> Vec<String> {
        self.emitted()
            .iter()
            .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// A fresh database with `migrations` applied and a connection to it, for testing use
    /// cases directly (with a clock the test controls).
    pub fn migrated(
        service: &str,
        migrations: &cid_kit::db::Migrations,
    ) -> (Self, cid_kit::DbConnection) {
        let db = Self::new(service);
        if db.is_postgres() {
            cid_kit::db::ensure_postgres_database(&db.url).expect("create test database");
        }
        let mut conn = db.connect();
        cid_kit::db::run_migrations(&mut conn, migrations).expect("migrate test database");
        (db, conn)
    }

    /// A direct connection, for arranging data a test cannot create through HTTP.
    pub fn connect(&self) -> cid_kit::DbConnection {
        cid_kit::db::Manager::new(&self.url)
            .and_then(|m| {
                m.connect_now()
                    .map_err(|e| cid_kit::DbError::Unavailable(e.to_string()))
            })
            .expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Borrowed { .. } => {}
            Cleanup::Postgres { admin_url, name } => {
                if let Ok(m) = cid_kit::db::Manager::new(admin_url)
                    && let Ok(mut conn) = m.connect_now()
                {
                    let _ = conn
                        .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
                }
            }
        }
    }
}

/// A service running in-process on a random port with its own fresh database.
pub struct TestApp {
    /// The service's group name, e.g. `loyalty`.
    pub service: String,
    pub base: String,
    pub db: TestDb,
    pub settings: Settings,
    pub client: reqwest::Client,
    build: cid_kit::server::Build,
    /// The URL the service connects with: the test database's, or a fault proxy's in front.
    db_url: String,
    port: u16,
    running: Option<Running>,
    /// Services this one calls, started for the test and kept running as long as it is.
    pub peers: Vec<TestApp>,
}

impl TestApp {
    /// Starts a service: `build` turns settings and a database URL into its [`AppSpec`].
    pub async fn spawn(service: &str, build: cid_kit::server::Build) -> Self {
        Self::spawn_with(service, build, settings()).await
    }

    /// As [`TestApp::spawn`], with settings the test adjusted (e.g. where other services are).
    pub async fn spawn_with(
        service: &str,
        build: cid_kit::server::Build,
        settings: Settings,
    ) -> Self {
        cid_kit::telemetry::init(&settings.log, service);
        let db = TestDb::new(service);
        let db_url = db.url.clone();
        Self::launch_on(service, build, settings, db, db_url)
    }

    fn launch_on(
        service: &str,
        build: cid_kit::server::Build,
        settings: Settings,
        db: TestDb,
        db_url: String,
    ) -> Self {
        let running = launch(build, &settings, &db_url, 0);
        Self {
            service: service.to_owned(),
            base: format!("http://{}", running.addr),
            port: running.addr.port(),
            db,
            settings,
            client: reqwest::Client::new(),
            build,
            db_url,
            running: Some(running),
            peers: Vec::new(),
        }
    }

    /// Starts a service wired to `peers` (already running services it calls, such as the
    /// customer registry), which then live as long as it does.
    pub async fn spawn_beside(
        service: &str,
        build: cid_kit::server::Build,
        peers: Vec<TestApp>,
    ) -> Self {
        Self::spawn_beside_with(service, build, settings(), peers).await
    }

    /// As [`TestApp::spawn_beside`], with settings the test adjusted.
    pub async fn spawn_beside_with(
        service: &str,
        build: cid_kit::server::Build,
        mut settings: Settings,
        peers: Vec<TestApp>,
    ) -> Self {
        for peer in &peers {
            if let Some(endpoint) = settings.services.get_mut(&peer.service) {
                endpoint.url = Some(peer.base.clone());
            }
        }
        let mut app = Self::spawn_with(service, build, settings).await;
        app.peers = peers;
        app
    }

    /// The running peer named `service` (or this app itself), among this app's peers and
    /// theirs.
    pub fn peer(&self, service: &str) -> &TestApp {
        self.find_peer(service)
            .unwrap_or_else(|| panic!("{service} is not running beside {}", self.service))
    }

    /// As [`TestApp::peer`], to stop or restart it.
    pub fn peer_mut(&mut self, service: &str) -> &mut TestApp {
        let name = self.service.clone();
        self.find_peer_mut(service)
            .unwrap_or_else(|| panic!("{service} is not running beside {name}"))
    }

    fn find_peer_mut(&mut self, service: &str) -> Option<&mut TestApp> {
        if self.service == service {
            return Some(self);
        }
        self.peers.iter_mut().find_map(|p| p.find_peer_mut(service))
    }

    fn find_peer(&self, service: &str) -> Option<&TestApp> {
        if self.service == service {
            return Some(self);
        }
        self.peers.iter().find_map(|p| p.find_peer(service))
    }

    /// Registers a new customer with the registry running beside this app (or this app,
    /// when it is the registry) and returns their standard customer ID.
    pub async fn register_customer(&self) -> String {
        let registry = self.peer("customers");
        let user = uuid::Uuid::new_v4().simple().to_string();
        let res = self
            .client
            .post(registry.url("/api/customer-id/customers"))
            .bearer_auth(registry.token("signup", &[Role::Service]))
            .json(&serde_json::json!({"userId": user, "userType": "buyer"}))
            .send()
            .await
            .expect("register a customer");
        assert_eq!(res.status(), 201, "registering a customer");
        let body: serde_json::Value = res.json().await.expect("registry answer");
        body["data"]["customerId"]
            .as_str()
            .expect("customerId")
            .to_owned()
    }

    /// What the registry beside this app (or this app) says about `id`: the `data` of
    /// `GET /customers/{id}` (`customerId`, `shortId`, `numericId`, `active`, …).
    pub async fn registry_record(&self, id: &str) -> serde_json::Value {
        let registry = self.peer("customers");
        let res = self
            .client
            .get(registry.url(&format!("/api/customer-id/customers/{id}")))
            .bearer_auth(registry.token("admin", &[Role::Admin]))
            .send()
            .await
            .expect("read a customer");
        assert_eq!(res.status(), 200, "reading customer {id}");
        let body: serde_json::Value = res.json().await.expect("registry answer");
        body["data"].clone()
    }

    /// Deactivates a customer in the registry running beside this app.
    pub async fn deactivate_customer(&self, id: &str) {
        let registry = self.peer("customers");
        let res = self
            .client
            .delete(registry.url(&format!("/api/customer-id/customers/{id}")))
            .bearer_auth(registry.token("admin", &[Role::Admin]))
            .send()
            .await
            .expect("deactivate a customer");
        assert_eq!(res.status(), 200, "deactivating {id}");
    }

    /// On PostgreSQL: the service reaches its database through a [`fault::TcpFault`] the
    /// test can cut and restore. `None` on SQLite, which has no connection to lose.
    pub async fn spawn_with_db_fault(
        service: &str,
        build: cid_kit::server::Build,
        settings: Settings,
    ) -> Option<(Self, fault::TcpFault)> {
        cid_kit::telemetry::init(&settings.log, service);
        let db = TestDb::new(service);
        if !db.is_postgres() {
            return None;
        }
        let (host, port) = fault::postgres_addr(&db.url)?;
        let upstream = tokio::net::lookup_host((host.as_str(), port))
            .await
            .ok()?
            .next()?;
        let proxy = fault::TcpFault::start(upstream).await;
        let url = fault::postgres_url_via(&db.url, proxy.port)?;
        Some((Self::launch_on(service, build, settings, db, url), proxy))
    }

    /// Another instance of this service on the same database (as replicas behind one
    /// PostgreSQL run), with `settings` and this one's peers' URLs; it runs until stopped or
    /// the test ends, and the database stays this app's.
    pub fn another_instance(&self, mut settings: Settings) -> TestApp {
        for (name, endpoint) in &self.settings.services {
            if let Some(mine) = settings.services.get_mut(name) {
                mine.url.clone_from(&endpoint.url);
            }
        }
        let db = TestDb {
            url: self.db.url.clone(),
            cleanup: Cleanup::Borrowed {
                postgres: self.db.is_postgres(),
            },
        };
        Self::launch_on(&self.service, self.build, settings, db, self.db_url.clone())
    }

    /// Starts the stopped service again on the same port and database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.running = Some(launch(self.build, &self.settings, &self.db_url, self.port));
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A sample of this service's `/metrics` (summed over its label sets; 0 when absent).
    pub async fn metric(&self, name: &str) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics request")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .filter(|l| {
                l.strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with(['{', ' ']))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Reads served on this service's pipelined PostgreSQL connections so far.
    pub async fn pipelined_reads(&self) -> u64 {
        self.metric("cid_db_pipelined_reads_total").await as u64
    }

    /// Repeats `read` (which checks its own answer) until one is served on a worker's
    /// pipelined connection — the first reads open it and take the pool meanwhile. Fails the
    /// test after 5 s; call on PostgreSQL only.
    pub async fn until_pipelined<F, Fut>(&self, mut read: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        let before = self.pipelined_reads().await;
        let started = std::time::Instant::now();
        loop {
            read().await;
            if self.pipelined_reads().await > before {
                return;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "no read served on a pipelined connection within 5 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn token(&self, sub: &str, roles: &[Role]) -> String {
        token(&self.settings, sub, roles)
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

fn launch(build: cid_kit::server::Build, settings: &Settings, db_url: &str, port: u16) -> Running {
    let mut spec: AppSpec = build(settings, db_url).expect("build service");
    spec.workers = 1;
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind test port");
    cid_kit::server::start(spec, listener).expect("start service")
}

/// A valid token for the test settings.
pub fn token(settings: &Settings, sub: &str, roles: &[Role]) -> String {
    cid_kit::auth::mint(&settings.auth, sub, roles, 3600).expect("mint token")
}

/// Tokens that must be refused, by what is wrong with them.
pub mod bad_tokens {
    use super::*;
    use base64::Engine;

    fn b64(v: &serde_json::Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn claims(s: &Settings, exp_offset: i64, aud: &str) -> serde_json::Value {
        let now = chrono::Utc::now().timestamp();
        serde_json::json!({"sub": "C1", "roles": ["admin"], "iat": now, "exp": now + exp_offset,
            "iss": s.auth.issuer, "aud": aud})
    }

    fn sign(s: &Settings, secret: &str, claims: &serde_json::Value) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
        let _ = s;
        jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &key).expect("sign")
    }

    pub fn expired(s: &Settings) -> String {
        sign(
            s,
            s.auth.jwt_secret.expose(),
            &claims(s, -3600, &s.auth.audience),
        )
    }

    pub fn wrong_signature(s: &Settings) -> String {
        sign(s, "not-the-secret", &claims(s, 3600, &s.auth.audience))
    }

    pub fn wrong_audience(s: &Settings) -> String {
        sign(
            s,
            s.auth.jwt_secret.expose(),
            &claims(s, 3600, "someone-else"),
        )
    }

    /// `nbf` an hour ahead: not valid yet.
    pub fn not_yet_valid(s: &Settings) -> String {
        let mut c = claims(s, 7200, &s.auth.audience);
        c["nbf"] = serde_json::json!(chrono::Utc::now().timestamp() + 3600);
        sign(s, s.auth.jwt_secret.expose(), &c)
    }

    /// `iat` an hour ahead: minted by a clock that cannot be trusted.
    pub fn issued_in_the_future(s: &Settings) -> String {
        let mut c = claims(s, 7200, &s.auth.audience);
        c["iat"] = serde_json::json!(chrono::Utc::now().timestamp() + 3600);
        sign(s, s.auth.jwt_secret.expose(), &c)
    }

    pub fn alg_none(s: &Settings) -> String {
        let header = serde_json::json!({"alg": "none", "typ": "JWT"});
        format!(
            "{}.{}.",
            b64(&header),
            b64(&claims(s, 3600, &s.auth.audience))
        )
    }

    /// Every bad token with a label for assertion messages.
    pub fn all(s: &Settings) -> Vec<(&'static str, String)> {
        vec![
            ("expired", expired(s)),
            ("wrong signature", wrong_signature(s)),
            ("wrong audience", wrong_audience(s)),
            ("alg none", alg_none(s)),
            ("not yet valid", not_yet_valid(s)),
            ("issued in the future", issued_in_the_future(s)),
            ("garbage", "not.a.token".into()),
        ]
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(res: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(res.status().as_u16(), status, "status for {code}");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let body: serde_json::Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["status"], status);
    assert_eq!(body["error"], body["detail"]);
    assert!(body["requestId"].as_str().is_some_and(|r| !r.is_empty()));
    body
}

/// Checks every service must pass about its migrations.
pub mod migrations {
    use std::collections::BTreeSet;
    use std::path::Path;

    use cid_kit::db::Migrations;

    fn folders(manifest_dir: &str, backend: &str) -> BTreeSet<String> {
        std::fs::read_dir(Path::new(manifest_dir).join("migrations").join(backend))
            .expect("migrations folder")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }

    /// Both backends have the same migration folder names, and some.
    pub fn assert_same_folders(manifest_dir: &str) {
        let pg = folders(manifest_dir, "postgres");
        assert!(!pg.is_empty(), "no migrations under {manifest_dir}");
        assert_eq!(pg, folders(manifest_dir, "sqlite"));
    }

    /// Up, down and up again on the backend under test; returns how many ran.
    pub fn assert_up_down_up(service: &str, migrations: &'static Migrations) -> usize {
        let db = super::TestDb::new(service);
        if db.is_postgres() {
            cid_kit::db::ensure_postgres_database(&db.url).expect("create test database");
        }
        let mut conn = db.connect();
        let up = cid_kit::db::run_migrations(&mut conn, migrations).expect("up");
        assert_eq!(
            cid_kit::db::revert_all(&mut conn, migrations).expect("down"),
            up
        );
        assert_eq!(
            cid_kit::db::run_migrations(&mut conn, migrations).expect("up again"),
            up
        );
        up
    }
}

/// The authorization matrix every service asserts over its protected routes (SPEC §2): each
/// route is listed once with the roles allowed, and [`authz::assert_matrix`] checks 401 for
/// no token and for every bad one, 403 for a customer naming another customer, 403 for every
/// role not allowed, and neither 401 nor 403 for the allowed ones.
pub mod authz {
    use cid_common::Role;
    use reqwest::Method;
    use serde_json::Value;

    use super::TestApp;

    /// A protected route. `path` may hold `{customerId}`, filled with a registered customer.
    pub struct Route {
        pub method: Method,
        pub path: &'static str,
        /// A valid body for writes.
        pub body: Option<Value>,
        /// Staff and machine roles allowed.
        pub roles: &'static [Role],
        /// Whether the customer the path names may call it themself.
        pub owner: bool,
    }

    impl Route {
        pub fn new(
            method: Method,
            path: &'static str,
            roles: &'static [Role],
            owner: bool,
        ) -> Self {
            Self {
                method,
                path,
                body: None,
                roles,
                owner,
            }
        }

        pub fn body(mut self, body: Value) -> Self {
            self.body = Some(body);
            self
        }
    }

    const ROLES: [Role; 3] = [Role::Agent, Role::Admin, Role::Service];

    async fn send(app: &TestApp, route: &Route, customer: &str, token: Option<&str>) -> u16 {
        let path = route.path.replace("{customerId}", customer);
        let mut req = app.client.request(route.method.clone(), app.url(&path));
        if let Some(body) = &route.body {
            req = req.json(body);
        }
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.expect("authz request").status().as_u16()
    }

    /// Asserts the matrix for every route of `routes` on `app`, with customers registered in
    /// `registry` (the app itself when it is the registry).
    pub async fn assert_matrix(app: &TestApp, registry: &TestApp, routes: &[Route]) {
        let owner = registry.register_customer().await;
        let other = registry.register_customer().await;
        let bad = super::bad_tokens::all(&app.settings);
        for route in routes {
            let at = format!("{} {}", route.method, route.path);
            assert_eq!(
                send(app, route, &owner, None).await,
                401,
                "{at} without a token"
            );
            for (label, token) in &bad {
                let status = send(app, route, &owner, Some(token)).await;
                assert_eq!(status, 401, "{at} with a token that is {label}");
            }
            if route.path.contains("{customerId}") {
                let theirs = app.token(&other, &[Role::Customer]);
                let status = send(app, route, &owner, Some(&theirs)).await;
                assert_eq!(status, 403, "{at} by another customer");
            }
            let mine = app.token(&owner, &[Role::Customer]);
            let status = send(app, route, &owner, Some(&mine)).await;
            if route.owner {
                assert!(
                    status != 401 && status != 403,
                    "{at} by its customer: {status}"
                );
            } else {
                assert_eq!(status, 403, "{at} by its customer");
            }
            for role in ROLES {
                let token = app.token(&format!("{}-1", role.as_str()), &[role]);
                let status = send(app, route, &owner, Some(&token)).await;
                if route.roles.contains(&role) {
                    assert!(
                        status != 401 && status != 403,
                        "{at} by {}: {status}",
                        role.as_str()
                    );
                } else {
                    assert_eq!(status, 403, "{at} by {}", role.as_str());
                }
            }
        }
    }
}
