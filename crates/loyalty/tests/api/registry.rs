//! Every write resolves its customer through the registry: IDs it never issued are 404,
//! deactivated customers 409, aliases land on the standard ID's account, and with the
//! registry down a write is a 503 the caller can retry with the same key.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::json;

use crate::helpers::*;

async fn reverse(app: &TestApp, id: &str) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/customer-id/loyalty/{id}/reversal")))
        .bearer_auth(service(app))
        .json(&json!({"orderId": "O-1", "reason": "refund"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn writes_for_ids_the_registry_never_issued_are_404_and_store_nothing() {
    let app = spawn_app().await;
    for ghost in ["GHOST-A", "CID-2026-999999", "999999"] {
        let res = earn(&app, ghost, json!({"points": 100, "reason": "x"})).await;
        let p = cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
        assert!(p["detail"].as_str().unwrap().contains(ghost));
        let res = redeem(&app, ghost, &admin(&app), 1).await;
        cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
        cid_testkit::problem(reverse(&app, ghost).await, 404, "CUSTOMER_NOT_FOUND").await;
        // Reads keep their documented answer: the zero account.
        let body = account(&app, ghost).await;
        assert_eq!(body["data"]["points"], 0);
        assert_eq!(body["data"]["pointsHistory"], json!([]));
    }
}

#[tokio::test]
async fn a_deactivated_customer_earns_and_redeems_nothing() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    earn_ok(&app, &id, 50).await;
    app.deactivate_customer(&id).await;
    let res = earn(&app, &id, json!({"points": 100, "reason": "x"})).await;
    cid_testkit::problem(res, 409, "CUSTOMER_INACTIVE").await;
    let res = redeem(&app, &id, &customer(&app, &id), 10).await;
    cid_testkit::problem(res, 409, "CUSTOMER_INACTIVE").await;
    assert_eq!(account(&app, &id).await["data"]["points"], 50);
}

#[tokio::test]
async fn every_id_format_reaches_the_one_account_of_the_standard_id() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let record = app.registry_record(&id).await;
    let short = record["shortId"].as_str().unwrap().to_owned();
    let numeric = record["numericId"].as_i64().unwrap().to_string();
    earn_ok(&app, &id, 100).await;
    earn_ok(&app, &short, 20).await;
    earn_ok(&app, &numeric, 3).await;
    for alias in [&id, &short, &numeric] {
        let body = account(&app, alias).await;
        assert_eq!(body["data"]["points"], 123, "read as {alias}");
        assert_eq!(body["data"]["customerId"], id.as_str());
        assert_eq!(
            full_history(&app, alias).await.len(),
            3,
            "history as {alias}"
        );
    }
    // The customer may redeem naming themself by an alias; another customer may not.
    let res = redeem(&app, &short, &customer(&app, &id), 23).await;
    assert_eq!(res.status(), 201);
    let other = app.register_customer().await;
    let res = redeem(&app, &short, &customer(&app, &other), 1).await;
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    assert_eq!(account(&app, &numeric).await["data"]["points"], 100);
}

#[tokio::test]
async fn with_the_registry_down_a_write_is_503_and_the_same_key_succeeds_once_it_is_back() {
    let mut app = spawn_app().await;
    let id = app.register_customer().await;
    let send = |app: &TestApp| {
        app.client
            .post(app.url(&format!("/api/customer-id/loyalty/{id}/points")))
            .bearer_auth(app.token("orders", &[Role::Service]))
            .header("Idempotency-Key", "order-77")
            .json(&json!({"points": 77, "reason": "order 77"}))
            .send()
    };
    app.peers[0].stop().await;
    let res = send(&app).await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    let p = cid_testkit::problem(res, 503, "SERVICE_UNAVAILABLE").await;
    assert!(p["detail"].as_str().unwrap().contains("customers"));

    app.peers[0].restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = send(&app).await.unwrap();
    assert_eq!(res.status(), 201);
    let again = send(&app).await.unwrap();
    assert_eq!(again.headers()["idempotency-replay"], "true");
    assert_eq!(account(&app, &id).await["data"]["points"], 77);
}
