//! Faults: the database cut and restored (PostgreSQL, through a proxy the test controls), the
//! customer registry stopped — answers are 503 with `Retry-After`, never 500, and service
//! resumes by itself.

use std::time::{Duration, Instant};

use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

fn event_at_now() -> Value {
    json!({"type": "login_failed", "occurredAt": cid_common::time::rfc3339(chrono::Utc::now().naive_utc())})
}

#[tokio::test]
async fn a_database_outage_and_a_registry_outage_are_503s_and_service_resumes() {
    let mut registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.database.acquire_timeout_ms = 1000;
    settings.services.get_mut("customers").unwrap().url = Some(registry.base.clone());
    let Some((app, db_link)) =
        TestApp::spawn_with_db_fault(cid_security::SERVICE, cid_security::app_spec, settings).await
    else {
        eprintln!("skipped: PostgreSQL only (set CID_TEST_DATABASE_URL)");
        return;
    };
    let c = registry.register_customer().await;
    let service = login_service(&app);
    let res = post(
        &app,
        &service,
        &format!("/{c}/events"),
        Some(event_at_now()),
    )
    .await;
    assert_eq!(res.status(), 201);

    db_link.cut();
    let res = post(
        &app,
        &service,
        &format!("/{c}/events"),
        Some(event_at_now()),
    )
    .await;
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(problem(res, 503).await, "DATABASE_UNAVAILABLE");
    let res = app
        .client
        .get(url(&app, &format!("/{c}/status")))
        .bearer_auth(me(&app, &c))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res, 503).await, "DATABASE_UNAVAILABLE");
    let res = post(&app, &me(&app, &c), &format!("/{c}/2fa/enable"), None).await;
    assert_eq!(problem(res, 503).await, "DATABASE_UNAVAILABLE");

    db_link.restore();
    let back = Instant::now();
    loop {
        let res = post(
            &app,
            &service,
            &format!("/{c}/events"),
            Some(event_at_now()),
        )
        .await;
        let status = res.status().as_u16();
        assert_ne!(status, 500);
        if status == 201 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "not back 5 s after the database"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The registry down: a write cannot resolve its customer — 503, nothing stored.
    registry.stop().await;
    let res = post(
        &app,
        &service,
        &format!("/{c}/events"),
        Some(event_at_now()),
    )
    .await;
    assert_eq!(problem(res, 503).await, "SERVICE_UNAVAILABLE");
    // Back: after a failure the registry is not asked again for a second, then it is.
    registry.restart().await;
    let back = Instant::now();
    loop {
        let res = post(
            &app,
            &service,
            &format!("/{c}/events"),
            Some(event_at_now()),
        )
        .await;
        let status = res.status().as_u16();
        assert_ne!(status, 500);
        if status == 201 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "not back 5 s after the registry"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let history = app
        .client
        .get(url(&app, &format!("/{c}/history")))
        .bearer_auth(me(&app, &c))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        history["data"].as_array().unwrap().len(),
        3,
        "one before, one after, one back"
    );
}
