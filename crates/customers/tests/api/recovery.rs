//! The service keeps working through database faults: connections the server ends are
//! replaced at once, an outage answers 503 with `Retry-After` (never 500), and service
//! resumes within seconds of the database returning, with every acknowledged write kept.
//! PostgreSQL only: SQLite has no connection to lose.

use std::time::{Duration, Instant};

use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

async fn create_status(app: &TestApp, user: &str) -> (u16, Value, Option<String>) {
    let res = create(app, json!({"userId": user, "userType": "buyer"})).await;
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, res.json().await.unwrap_or(Value::Null), retry)
}

#[tokio::test]
async fn connections_ended_by_the_server_are_replaced_without_a_500() {
    let app = spawn_app().await;
    if !app.db.is_postgres() {
        eprintln!("skipped: PostgreSQL only (set CID_TEST_DATABASE_URL)");
        return;
    }
    // Fill the pool with several connections.
    let users: Vec<String> = (0..8).map(|i| format!("warm-{i}")).collect();
    let warm: Vec<_> = users.iter().map(|u| create_status(&app, u)).collect();
    for (status, ..) in futures_util::future::join_all(warm).await {
        assert_eq!(status, 201);
    }
    assert!(app.db.terminate_connections() >= 1);

    let mut statuses = Vec::new();
    for i in 0..30 {
        let (status, body, retry) = create_status(&app, &format!("after-{i}")).await;
        assert_ne!(status, 500, "request {i}: {body}");
        if status == 503 {
            assert_eq!(body["code"], "DATABASE_UNAVAILABLE");
            assert!(retry.is_some(), "503 without Retry-After");
        }
        statuses.push(status);
    }
    assert!(
        statuses[10..].iter().all(|s| *s == 201),
        "dead connections were reused: {statuses:?}"
    );
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

/// A read by ID runs on its worker's pipelined connection once that is up; when the server
/// ends every session (a restart, `pg_terminate_backend`), reads go on through the pool — as
/// writes do, at worst a 503 while the dead connections are found — and the worker's
/// connection is opened again.
#[tokio::test]
async fn reads_on_the_workers_pipelined_connection_get_over_the_server_ending_it() {
    let mut settings = cid_testkit::settings();
    settings.server.workers = Some(1);
    let app = TestApp::spawn_with(cid_customers::SERVICE, cid_customers::app_spec, settings).await;
    if !app.db.is_postgres() {
        eprintln!("skipped: PostgreSQL only (set CID_TEST_DATABASE_URL)");
        return;
    }
    let (status, body, _) = create_status(&app, "pipelined").await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["customerId"].as_str().unwrap().to_owned();
    let read_ok = || async {
        let (status, body) = read_status(&app, &id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["customerId"], id.as_str());
    };
    app.until_pipelined(read_ok).await;

    // The pool's connection and the worker's pipelined one, at least.
    assert!(app.db.terminate_connections() >= 2);
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let (status, body) = read_status(&app, &id).await;
        assert_ne!(status, 500, "{body}");
        if status == 503 {
            assert_eq!(body["code"], "DATABASE_UNAVAILABLE");
        } else {
            assert_eq!(body["data"]["customerId"], id.as_str());
        }
        statuses.push(status);
    }
    assert!(
        statuses[10..].iter().all(|s| *s == 200),
        "reads did not get over the lost connections: {statuses:?}"
    );
    app.until_pipelined(read_ok).await;
}

/// The service reaching PostgreSQL through a proxy the test can cut or freeze; `None` (and
/// the test skipped) on SQLite.
async fn spawn_behind_fault(
    settings: cid_kit::Settings,
) -> Option<(TestApp, cid_testkit::fault::TcpFault)> {
    let spawned =
        TestApp::spawn_with_db_fault(cid_customers::SERVICE, cid_customers::app_spec, settings)
            .await;
    if spawned.is_none() {
        eprintln!("skipped: PostgreSQL only (set CID_TEST_DATABASE_URL)");
    }
    spawned
}

#[tokio::test]
async fn an_outage_answers_503_and_service_resumes_within_seconds_losing_nothing() {
    let mut settings = cid_testkit::settings();
    settings.database.acquire_timeout_ms = 1000;
    let Some((app, db_link)) = spawn_behind_fault(settings).await else {
        return;
    };
    let mut acknowledged = Vec::new();
    for i in 0..5 {
        let (status, body, _) = create_status(&app, &format!("before-{i}")).await;
        assert_eq!(status, 201, "{body}");
        acknowledged.push(body["data"]["customerId"].as_str().unwrap().to_owned());
    }

    db_link.cut();
    for i in 0..4 {
        let (status, body, retry) = create_status(&app, &format!("during-{i}")).await;
        assert_eq!(status, 503, "request {i} during the outage: {body}");
        assert_eq!(body["code"], "DATABASE_UNAVAILABLE");
        assert_eq!(retry.as_deref(), Some("1"));
    }
    let ready = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(ready.status(), 503);

    db_link.restore();
    let back = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (status, body, _) = create_status(&app, &format!("after-{attempt}")).await;
        assert_ne!(status, 500, "{body}");
        if status == 201 {
            acknowledged.push(body["data"]["customerId"].as_str().unwrap().to_owned());
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "not recovered 5 s after the database returned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for i in 0..5 {
        let (status, body, _) = create_status(&app, &format!("later-{i}")).await;
        assert_eq!(status, 201, "{body}");
        acknowledged.push(body["data"]["customerId"].as_str().unwrap().to_owned());
    }
    for id in &acknowledged {
        let res = app
            .client
            .get(url(&app, &format!("/{id}")))
            .bearer_auth(admin(&app))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "acknowledged {id} lost");
    }
}

async fn read_status(app: &TestApp, id: &str) -> (u16, Value) {
    let res = app
        .client
        .get(url(app, &format!("/{id}")))
        .bearer_auth(admin(app))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Reads run on the request's worker: a database that stops answering with its connections
/// still open (a hung server, a frozen proxy) must cost a read its deadline, not the worker.
#[tokio::test]
async fn a_database_that_stops_answering_costs_a_read_its_deadline_and_the_service_goes_on() {
    let mut settings = cid_testkit::settings();
    settings.database.acquire_timeout_ms = 1000;
    settings.database.read_timeout_ms = 400;
    // One worker: the read below is on the connection just seen to serve.
    settings.server.workers = Some(1);
    let Some((app, db_link)) = spawn_behind_fault(settings).await else {
        return;
    };
    let (status, body, _) = create_status(&app, "before-the-freeze").await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["customerId"].as_str().unwrap().to_owned();
    app.until_pipelined(|| async { assert_eq!(read_status(&app, &id).await.0, 200) })
        .await;

    db_link.freeze();
    let started = Instant::now();
    // Bounded so that a read left waiting fails here instead of hanging the test.
    let stuck = async {
        tokio::time::timeout(Duration::from_secs(5), read_status(&app, &id))
            .await
            .expect("the read on a hung database never ended")
    };
    let health = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let res = app.client.get(app.url("/health")).send().await.unwrap();
        (res.status().as_u16(), started.elapsed())
    };
    let ((status, body), (health, answered_after)) = tokio::join!(stuck, health);
    assert_eq!(status, 503, "a read on a hung database: {body}");
    assert_eq!(body["code"], "DATABASE_UNAVAILABLE");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the read was held {:?}, past its 400 ms deadline",
        started.elapsed()
    );
    assert_eq!(health, 200);
    assert!(
        answered_after < Duration::from_secs(2),
        "/health waited {answered_after:?} behind the hung read"
    );

    db_link.thaw();
    let back = Instant::now();
    loop {
        let (status, body) = read_status(&app, &id).await;
        assert_ne!(status, 500, "{body}");
        if status == 200 {
            assert_eq!(body["data"]["customerId"], id.as_str());
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(6),
            "reads not back 6 s after the database answered again: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body, _) = create_status(&app, "after-the-freeze").await;
    assert_eq!(status, 201, "{body}");
}

/// Where a read runs: in place on a server's worker when a connection is idle (on PostgreSQL
/// only with the connection's socket known, so that its deadline can be kept), on the
/// blocking pool anywhere else (jobs, the main runtime).
#[test]
fn a_read_on_a_server_worker_runs_in_place_and_elsewhere_on_the_blocking_pool() {
    let test_db = cid_testkit::TestDb::new(cid_customers::SERVICE);
    let db = cid_kit::Db::connect(
        &test_db.url,
        &cid_kit::db::DbOptions::default(),
        &cid_customers::MIGRATIONS,
    )
    .unwrap();
    let ran_on = |thread: &str| {
        let db = db.clone();
        std::thread::Builder::new()
            .name(thread.to_owned())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    // The first read leaves a connection idle in the pool.
                    db.read(|_| Ok::<_, cid_kit::DbError>(())).await.unwrap();
                    db.read(|c| {
                        diesel::connection::SimpleConnection::batch_execute(c, "SELECT 1")?;
                        Ok::<_, cid_kit::DbError>(std::thread::current().name().map(str::to_owned))
                    })
                    .await
                    .unwrap()
                })
            })
            .unwrap()
            .join()
            .unwrap()
    };
    assert_eq!(
        ran_on("actix-server worker 0").as_deref(),
        Some("actix-server worker 0")
    );
    assert_ne!(ran_on("a job").as_deref(), Some("a job"));
}

/// A request's write on a hung database ends at its deadline with a 503 (its outcome unknown
/// to the caller); retried once the database answers, it is created once or named as
/// existing — never twice, never a 500.
#[tokio::test]
async fn a_write_on_a_database_that_stops_answering_ends_at_its_deadline_and_a_retry_never_doubles()
{
    let mut settings = cid_testkit::settings();
    settings.database.acquire_timeout_ms = 1000;
    settings.database.write_timeout_ms = 500;
    let Some((app, db_link)) = spawn_behind_fault(settings).await else {
        return;
    };
    let (status, body, _) = create_status(&app, "before-the-freeze").await;
    assert_eq!(status, 201, "{body}");

    db_link.freeze();
    let started = Instant::now();
    let (status, body, retry) = tokio::time::timeout(
        Duration::from_secs(5),
        create_status(&app, "during-the-freeze"),
    )
    .await
    .expect("the write on a hung database never ended");
    assert_eq!(status, 503, "a write on a hung database: {body}");
    assert_eq!(body["code"], "DATABASE_UNAVAILABLE");
    assert!(retry.is_some(), "503 without Retry-After");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the write was held {:?}, past its 500 ms deadline",
        started.elapsed()
    );

    db_link.thaw();
    let back = Instant::now();
    let created = loop {
        let (status, body, _) = create_status(&app, "during-the-freeze").await;
        assert_ne!(status, 500, "{body}");
        if status == 201 || status == 409 {
            break (status, body);
        }
        assert!(
            back.elapsed() < Duration::from_secs(6),
            "writes not back 6 s after the database answered again: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Once more: the customer exists exactly once whichever way the cut write went.
    let (status, body, _) = create_status(&app, "during-the-freeze").await;
    assert_eq!(status, 409, "after {created:?}: {body}");
}
