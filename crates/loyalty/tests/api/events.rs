//! The domain events loyalty emits, written with each movement in its transaction.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn each_movement_emits_its_event_with_the_balance_after_it() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    earn(
        &app,
        &id,
        json!({"purchaseAmount": 1500, "orderId": "ORD-E1"}),
    )
    .await;
    assert_eq!(redeem(&app, &id, &admin(&app), 100).await.status(), 201);
    let res = app
        .client
        .post(app.url(&format!("/api/customer-id/loyalty/{id}/reversal")))
        .bearer_auth(service(&app))
        .json(&json!({"orderId": "ORD-E1", "reason": "refund"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let events = app.db.emitted();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "loyalty.points_earned",
            "loyalty.tier_changed",
            "loyalty.points_redeemed",
            // A tier is kept through its grace period: the reversal downgrades nobody yet.
            "loyalty.points_reversed",
        ]
    );
    assert_eq!(events[0]["data"]["points"], 1500);
    assert_eq!(events[0]["data"]["balance"], 1500);
    assert_eq!(events[0]["data"]["orderId"], "ORD-E1");
    assert_eq!(
        events[1]["data"],
        json!({"from": "bronze", "to": "silver", "direction": "upgrade"})
    );
    assert_eq!(events[2]["data"]["balance"], 1400);
    assert_eq!(events[3]["data"]["balance"], -100);
    for e in &events {
        assert_eq!(e["customerId"], id.as_str());
        assert!(e["requestId"].is_string() && e["occurredAt"].is_string());
    }
    // Every event ID is its own.
    let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}
