//! Rolling a redemption back once: budget and use given back, extra points reversed.

use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_rollback_gives_back_the_budget_and_the_use_and_reverses_extra_points_once() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let id = create(
        &app,
        json!({"discountType": "points_multiplier", "value": 3, "budget": {"redemptions": 1}}),
    )
    .await;
    let res = apply(&app, &customer, json!({"offerId": id, "orderAmount": 100})).await;
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    let redemption = r["data"]["redemptionId"].as_str().unwrap().to_owned();
    assert_eq!(r["data"]["extraPoints"], 200);
    wait_for_balance(&app, &customer, 200).await;

    let res = rollback(&app, &customer, &redemption, Some("refund-7")).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["status"], "rolled_back");
    assert_eq!(body["data"]["rollbackReason"], "order cancelled");
    // A retry with the same key replays; a new rollback is a 409.
    let res = rollback(&app, &customer, &redemption, Some("refund-7")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["idempotency-replay"], "true");
    let res = rollback(&app, &customer, &redemption, None).await;
    problem(res, 409, "ALREADY_ROLLED_BACK").await;
    wait_for_balance(&app, &customer, 0).await;

    let entry = catalog_entry(&app, &id).await;
    assert_eq!(entry["budget"]["usedRedemptions"], 0);
    let res = apply(&app, &customer, json!({"offerId": id, "orderAmount": 100})).await;
    assert_eq!(res.status(), 201, "the use and the budget were given back");
}

#[tokio::test]
async fn rolling_back_an_unknown_or_another_customers_redemption_is_a_404() {
    let app = spawn_app().await;
    let (customer, other) = (app.register_customer().await, app.register_customer().await);
    let id = create(&app, json!({})).await;
    let res = apply(&app, &customer, json!({"offerId": id, "orderAmount": 10})).await;
    let r: Value = res.json().await.unwrap();
    let redemption = r["data"]["redemptionId"].as_str().unwrap().to_owned();
    let res = rollback(&app, &other, &redemption, None).await;
    problem(res, 404, "REDEMPTION_NOT_FOUND").await;
    let res = rollback(&app, &customer, "nope", None).await;
    problem(res, 404, "REDEMPTION_NOT_FOUND").await;
    let res = app
        .client
        .post(url(&app, &format!("/{customer}/rollback")))
        .bearer_auth(service(&app))
        .json(&json!({"redemptionId": redemption}))
        .send()
        .await
        .unwrap();
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "reason");
    // A deactivated customer's order is still rolled back.
    app.deactivate_customer(&customer).await;
    let res = rollback(&app, &customer, &redemption, None).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn extra_points_wait_in_the_outbox_while_loyalty_is_down_and_arrive_once() {
    let mut app = spawn_app_with(json!({"facts_cache_secs": 0, "outbox_interval_ms": 100})).await;
    let customer = app.register_customer().await;
    let id = create(
        &app,
        json!({"discountType": "points_multiplier", "value": 2}),
    )
    .await;
    app.peer_mut("loyalty").stop().await;
    let res = apply(&app, &customer, json!({"offerId": id, "orderAmount": 75})).await;
    assert_eq!(res.status(), 201, "the apply does not wait for loyalty");
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["data"]["extraPoints"], 75);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.peer_mut("loyalty").restart().await;
    wait_for_balance(&app, &customer, 75).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(balance(&app, &customer).await, 75);
}
