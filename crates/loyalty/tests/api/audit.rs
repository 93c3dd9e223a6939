//! The audit log: manual adjustments and reversals are recorded with who, what and the
//! request; admins read it with filters and pages; nothing else writes or reads it.

use chrono::{Duration, Utc};
use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

async fn audit(app: &cid_testkit::TestApp, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/customer-id/loyalty/audit{query}")))
        .bearer_auth(admin(app))
        .send()
        .await
        .unwrap()
}

async fn entries(app: &cid_testkit::TestApp, query: &str) -> Vec<Value> {
    let res = audit(app, query).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn manual_adjustments_and_reversals_are_recorded_and_read_with_filters() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    // A purchase credit by a service is business as usual: not in the audit log.
    let res = earn(&app, &id, json!({"purchaseAmount": 120, "orderId": "O-1"})).await;
    assert_eq!(res.status(), 201);
    earn_ok(&app, &id, 40).await;
    let res = app
        .client
        .post(app.url(&format!("/api/customer-id/loyalty/{id}/reversal")))
        .bearer_auth(admin(&app))
        .header("X-Request-Id", "req-reversal-1")
        .json(&json!({"orderId": "O-1", "reason": "order cancelled"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let all = entries(&app, "").await;
    let actions: Vec<_> = all.iter().map(|e| e["action"].clone()).collect();
    assert_eq!(
        actions,
        vec![
            json!("loyalty.points_reversed"),
            json!("loyalty.points_adjusted")
        ]
    );
    let reversal = &all[0];
    assert_eq!(
        (
            reversal["actor"].clone(),
            reversal["roles"].clone(),
            reversal["target"].clone(),
            reversal["requestId"].clone()
        ),
        (
            json!("admin-1"),
            json!("admin"),
            json!(format!("customer:{id}")),
            json!("req-reversal-1")
        )
    );
    assert_eq!(all[1]["actor"], "orders-service");
    assert_eq!(
        (
            all[1]["after"]["entry"]["points"].clone(),
            all[1]["after"]["balance"].clone()
        ),
        (json!(40), json!(160))
    );

    let only = entries(&app, "?action=loyalty.points_adjusted").await;
    assert_eq!(only.len(), 1);
    assert_eq!(entries(&app, "?actor=admin-1").await.len(), 1);
    assert_eq!(
        entries(&app, &format!("?target=customer:{id}")).await.len(),
        2
    );
    let later = (Utc::now() + Duration::hours(1))
        .to_rfc3339()
        .replace('+', "%2B");
    assert_eq!(entries(&app, &format!("?from={later}")).await.len(), 0);
    let res = audit(&app, "?limit=1").await;
    let body: Value = res.json().await.unwrap();
    let cursor = body["page"]["nextCursor"].as_str().unwrap().to_owned();
    let next = entries(&app, &format!("?limit=1&cursor={cursor}")).await;
    assert_eq!(next[0]["action"], "loyalty.points_adjusted");
}

#[tokio::test]
async fn bad_filters_are_400s_naming_them() {
    let app = spawn_app().await;
    for (query, field) in [
        ("?from=yesterday", "from"),
        ("?to=2026-13-01T00:00:00Z", "to"),
        ("?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "to"),
        ("?limit=0", "limit"),
    ] {
        let p = problem(audit(&app, query).await, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], field, "{query}");
    }
    let long = "a".repeat(201);
    let p = problem(
        audit(&app, &format!("?actor={long}")).await,
        400,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "actor");
    // The log is append-only: no method but GET is routed.
    for method in [
        reqwest::Method::POST,
        reqwest::Method::DELETE,
        reqwest::Method::PUT,
    ] {
        let res = app
            .client
            .request(method.clone(), app.url("/api/customer-id/loyalty/audit"))
            .bearer_auth(admin(&app))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405, "{method}");
    }
}
