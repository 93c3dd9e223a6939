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

#[tokio::test]
async fn an_outage_answers_503_and_service_resumes_within_seconds_losing_nothing() {
    let mut settings = cid_testkit::settings();
    settings.database.acquire_timeout_ms = 1000;
    let Some((app, db_link)) =
        TestApp::spawn_with_db_fault(cid_customers::SERVICE, cid_customers::app_spec, settings)
            .await
    else {
        eprintln!("skipped: PostgreSQL only (set CID_TEST_DATABASE_URL)");
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
