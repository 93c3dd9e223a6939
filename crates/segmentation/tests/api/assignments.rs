//! A customer's segment: computed from analytics, changed by purchases, overridden by staff,
//! served stale while analytics is down.

use cid_common::Role;
use serde_json::{Value, json};

use cid_testkit::TestApp;

use crate::helpers::*;

#[tokio::test]
async fn the_tenth_purchase_makes_an_occasional_customer_frequent_on_the_next_read() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let s = segment_of(&app, &id).await;
    assert_eq!(
        (s["segment"].clone(), s["stale"].clone()),
        (json!("occasional"), json!(false))
    );
    assert_eq!(s["source"], "computed");
    buy(&app, &id, 0, 9, 50.0, 3).await;
    let before = segment_of(&app, &id).await;
    assert_eq!(before["segment"], "occasional");
    // Figures that did not move are not stored again: the read stays a read.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert_eq!(
        segment_of(&app, &id).await["computedAt"],
        before["computedAt"]
    );
    buy(&app, &id, 9, 1, 50.0, 3).await;
    let s = segment_of(&app, &id).await;
    assert_eq!(s["segment"], "frequent");
    assert_ne!(s["computedAt"], before["computedAt"]);
    assert_eq!(s["discount"], 15);
    assert_eq!(s["metrics"]["purchasesLastYear"], 10);
    assert!(s["benefits"].as_array().unwrap().len() == 2);
    // The first assignment and the move are events; reads that changed nothing are not.
    let events = app.db.emitted();
    let moves: Vec<(Value, Value)> = events
        .iter()
        .map(|e| (e["data"]["from"].clone(), e["data"]["to"].clone()))
        .collect();
    assert_eq!(
        moves,
        [
            (json!(null), json!("occasional")),
            (json!("occasional"), json!("frequent"))
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e["type"] == "segmentation.segment_changed")
    );
}

#[tokio::test]
async fn vip_inactive_and_at_risk_come_from_the_figures_by_precedence() {
    let app = spawn_app().await;
    let vip = app.register_customer().await;
    buy(&app, &vip, 0, 2, 30_000.0, 5).await;
    assert_eq!(segment_of(&app, &vip).await["segment"], "vip");
    let gone = app.register_customer().await;
    buy(&app, &gone, 0, 3, 100.0, 120).await;
    assert_eq!(segment_of(&app, &gone).await["segment"], "inactive");
    let fading = app.register_customer().await;
    buy(&app, &fading, 0, 6, 100.0, 100).await;
    buy(&app, &fading, 6, 2, 100.0, 10).await;
    assert_eq!(segment_of(&app, &fading).await["segment"], "at_risk");
}

#[tokio::test]
async fn a_manual_override_holds_until_a_recompute_clears_it() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let res = update(
        &app,
        &id,
        json!({"segment": "vip", "reason": "board member"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let s = segment_of(&app, &id).await;
    assert_eq!(
        (
            s["segment"].clone(),
            s["source"].clone(),
            s["reason"].clone()
        ),
        (json!("vip"), json!("manual"), json!("board member"))
    );
    buy(&app, &id, 0, 10, 10.0, 1).await;
    assert_eq!(
        segment_of(&app, &id).await["segment"],
        "vip",
        "computation keeps the override"
    );
    let res = update(&app, &id, json!({"recompute": true})).await;
    assert_eq!(res.status(), 200);
    let s = segment_of(&app, &id).await;
    assert_eq!(
        (s["segment"].clone(), s["source"].clone()),
        (json!("frequent"), json!("computed"))
    );
    // Every change is a history row: occasional → (override) vip → (recompute) frequent.
    use diesel::prelude::*;
    let mut conn = app.db.connect();
    let changes: i64 = cid_segmentation::schema::segment_changes::table
        .filter(cid_segmentation::schema::segment_changes::customer_id.eq(&id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(changes, 2, "created as a manual override, then recomputed");
    // Both admin actions are in the audit log, with the state before and after.
    let res = app
        .client
        .get(url(&app, &format!("/audit?target=customer:{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    let log: serde_json::Value = res.json().await.unwrap();
    let entries: Vec<_> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].clone(),
                e["before"]["segment"].clone(),
                e["after"]["segment"].clone(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            (
                json!("segmentation.segment_recomputed"),
                json!("vip"),
                json!("frequent")
            ),
            (
                json!("segmentation.segment_overridden"),
                json!(null),
                json!("vip")
            ),
        ]
    );
}

#[tokio::test]
async fn bad_updates_are_refused_and_customers_cannot_change_their_own_segment() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    for (body, field) in [
        (json!({"segment": "vip"}), "reason"),
        (
            json!({"segment": "vip", "reason": "x", "recompute": true}),
            "segment",
        ),
        (json!({}), "segment"),
        (json!({"segment": "platinum", "reason": "x"}), "segment"),
        (
            json!({"segment": "vip", "reason": "x", "extra": 1}),
            "extra",
        ),
    ] {
        let p = cid_testkit::problem(
            update(&app, &id, body.clone()).await,
            400,
            "VALIDATION_FAILED",
        )
        .await;
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{body} -> {p}"
        );
    }
    let res = app
        .client
        .put(url(&app, &format!("/{id}/update")))
        .bearer_auth(app.token(&id, &[Role::Customer]))
        .json(&json!({"segment": "vip", "reason": "me"}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    let res = update(&app, "GHOST-1", json!({"segment": "vip", "reason": "x"})).await;
    cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    // A read of an ID nobody issued stores nothing: no member appears anywhere.
    let res = app
        .client
        .get(url(&app, "/CID-2026-999999"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    for segment in ["vip", "frequent", "occasional", "inactive", "at_risk"] {
        assert_eq!(members(&app, segment).await, 0, "{segment}");
    }
}

#[tokio::test]
async fn with_analytics_down_the_stored_segment_is_served_stale_never_a_5xx() {
    let mut app = spawn_app().await;
    let (known, never) = (app.register_customer().await, app.register_customer().await);
    buy(&app, &known, 0, 10, 10.0, 1).await;
    assert_eq!(segment_of(&app, &known).await["segment"], "frequent");
    let analytics = app
        .peers
        .iter_mut()
        .find(|p| p.service == "analytics")
        .unwrap();
    analytics.stop().await;
    let s = segment_of(&app, &known).await;
    assert_eq!(
        (s["segment"].clone(), s["stale"].clone()),
        (json!("frequent"), json!(true))
    );
    let s = segment_of(&app, &never).await;
    assert_eq!(
        (s["segment"].clone(), s["stale"].clone()),
        (json!("occasional"), json!(true))
    );
    let res = update(&app, &known, json!({"recompute": true})).await;
    cid_testkit::problem(res, 503, "SERVICE_UNAVAILABLE").await;
}

#[tokio::test]
async fn the_job_recomputes_customers_nobody_reads() {
    let app = spawn_app_with(json!({"recompute_after_secs": 0, "job_interval_secs": 1})).await;
    let id = app.register_customer().await;
    assert_eq!(segment_of(&app, &id).await["segment"], "occasional");
    buy(&app, &id, 0, 10, 10.0, 1).await;
    // Nobody reads the customer again: only the job can move them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while members(&app, "frequent").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the job did not recompute"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(members(&app, "occasional").await, 0);
}

/// A purchase event as analytics' outbox sends it.
fn purchase_event(n: usize, customer: &str, kind: &str) -> Value {
    json!({"id": format!("0193-e-{n}"), "type": kind, "occurredAt": "2026-11-30T10:00:00Z",
        "customerId": customer, "data": {"orderId": format!("o-{n}")}, "requestId": null})
}

async fn take_event(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(url(app, "/domain-events"))
        .bearer_auth(app.token("analytics", &[Role::Service]))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_purchase_event_moves_the_segment_at_once_without_a_read() {
    let mut app = spawn_app().await;
    let id = app.register_customer().await;
    buy(&app, &id, 0, 10, 50.0, 3).await;
    // Nobody read the segment; analytics' event computes it and the move is an event.
    let res = take_event(&app, purchase_event(1, &id, "analytics.purchase_recorded")).await;
    assert_eq!(res.status(), 202);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["segment"], "frequent");
    assert_eq!(app.db.emitted_types(), ["segmentation.segment_changed"]);
    assert_eq!(members(&app, "frequent").await, 1);
    // A repeat (or a refund that moves nothing) computes the same segment: no new event.
    let res = take_event(&app, purchase_event(1, &id, "analytics.purchase_recorded")).await;
    assert_eq!(res.status(), 202);
    let res = take_event(&app, purchase_event(2, &id, "analytics.purchase_refunded")).await;
    assert_eq!(res.status(), 202);
    assert_eq!(app.db.emitted_types().len(), 1);
    // Types it does not react to, and events about nobody the registry issued, are taken
    // and change nothing.
    let res = take_event(&app, purchase_event(3, &id, "loyalty.points_earned")).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["segment"],
        Value::Null
    );
    let unknown = purchase_event(6, "CID-2020-999999", "analytics.purchase_recorded");
    let res = take_event(&app, unknown).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["segment"],
        Value::Null
    );
    assert_eq!(members(&app, "occasional").await, 0);
    // Malformed events are refused; analytics unreachable is a 503, so the sender retries.
    let res = take_event(&app, json!({"id": "x", "type": "nodot"})).await;
    assert_eq!(res.status(), 400);
    let mut bad = purchase_event(4, &id, "analytics.purchase_recorded");
    bad["data"] = json!([1]);
    cid_testkit::problem(take_event(&app, bad).await, 400, "VALIDATION_FAILED").await;
    app.peer_mut("analytics").stop().await;
    let res = take_event(&app, purchase_event(5, &id, "analytics.purchase_recorded")).await;
    cid_testkit::problem(res, 503, "SERVICE_UNAVAILABLE").await;
}
