use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

async fn earn_with_key(
    app: &cid_testkit::TestApp,
    id: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/customer-id/loyalty/{id}/points")))
        .bearer_auth(service(app))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_same_key_and_body_credits_once_and_replays_the_first_response() {
    let app = spawn_app().await;
    let idem = app.register_customer().await;
    let body = json!({"points": 250, "reason": "promo", "type": "manual"});
    let first = earn_with_key(&app, &idem, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotency-replay").is_none());
    let first: Value = first.json().await.unwrap();
    for _ in 0..3 {
        let again = earn_with_key(&app, &idem, "key-1", &body).await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["idempotency-replay"], "true");
        assert_eq!(again.json::<Value>().await.unwrap(), first);
    }
    assert_eq!(account(&app, &idem).await["data"]["points"], 250);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_422() {
    let app = spawn_app().await;
    let idem = app.register_customer().await;
    earn_with_key(&app, &idem, "key-2", &json!({"points": 5, "reason": "a"})).await;
    let res = earn_with_key(&app, &idem, "key-2", &json!({"points": 6, "reason": "a"})).await;
    cid_testkit::problem(res, 422, "IDEMPOTENCY_KEY_REUSED").await;
    assert_eq!(account(&app, &idem).await["data"]["points"], 5);
}

#[tokio::test]
async fn a_rule_failure_is_replayed_too() {
    let app = spawn_app().await;
    let idem = app.register_customer().await;
    let url = app.url(&format!("/api/customer-id/loyalty/{idem}/redeem"));
    let send = || {
        app.client
            .post(&url)
            .bearer_auth(admin(&app))
            .header("Idempotency-Key", "r-1")
            .json(&json!({"points": 10, "rewardId": "x"}))
            .send()
    };
    cid_testkit::problem(send().await.unwrap(), 422, "INSUFFICIENT_POINTS").await;
    let again = send().await.unwrap();
    assert_eq!(again.headers()["idempotency-replay"], "true");
    cid_testkit::problem(again, 422, "INSUFFICIENT_POINTS").await;
}

#[tokio::test]
async fn a_concurrent_duplicate_is_409_with_retry_after_and_credits_once() {
    let app = spawn_app().await;
    let idem = app.register_customer().await;
    let body = json!({"points": 7, "reason": "race"});
    let sends = (0..20).map(|_| earn_with_key(&app, &idem, "key-3", &body));
    let results = futures_util::future::join_all(sends).await;
    let mut created = 0;
    for res in results {
        match res.status().as_u16() {
            201 => created += 1,
            409 => {
                assert!(res.headers().get("retry-after").is_some());
                cid_testkit::problem(res, 409, "IDEMPOTENCY_IN_PROGRESS").await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(created >= 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(account(&app, &idem).await["data"]["points"], 7);
}

#[tokio::test]
async fn an_overlong_key_is_400() {
    let app = spawn_app().await;
    let idem = app.register_customer().await;
    let res = earn_with_key(
        &app,
        &idem,
        &"k".repeat(256),
        &json!({"points": 1, "reason": "a"}),
    )
    .await;
    let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key");
}
