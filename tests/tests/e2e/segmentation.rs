//! The purchase → segment chain through the gateway, and what it answers with analytics
//! stopped.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

/// The registry, analytics and segmentation in-process, each group behind the gateway.
async fn chain() -> (TestApp, Stack) {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url = Some(registry.base.clone());
    let analytics =
        TestApp::spawn_with(cid_analytics::SERVICE, cid_analytics::app_spec, settings).await;
    let segmentation = TestApp::spawn_beside(
        cid_segmentation::SERVICE,
        cid_segmentation::app_spec,
        vec![registry, analytics],
    )
    .await;
    let s = start_gateway(
        gateway_settings_for(
            &[
                ("customers", &segmentation.peer("customers").base),
                ("analytics", &segmentation.peer("analytics").base),
                ("segmentation", &segmentation.base),
            ],
            json!({}),
        ),
        None,
    )
    .await;
    (segmentation, s)
}

async fn buy(s: &Stack, customer: &str, order: usize) {
    let res = s
        .client
        .post(s.url(&format!("/api/customer-id/analytics/{customer}/purchases")))
        .bearer_auth(s.token("orders", &[Role::Service]))
        .json(
            &json!({"orderId": format!("ORDER-{order}"), "amount": 120.5, "currency": "SAR",
            "category": "Books", "purchasedAt": chrono::Utc::now().to_rfc3339()}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn segment(s: &Stack, customer: &str) -> Value {
    let res = s
        .client
        .get(s.url(&format!("/api/customer-id/segmentation/{customer}")))
        .bearer_auth(s.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

#[tokio::test]
async fn the_tenth_purchase_through_the_gateway_moves_the_customer_to_frequent() {
    let (app, s) = chain().await;
    let id = app.register_customer().await;
    for order in 1..=9 {
        buy(&s, &id, order).await;
    }
    let before = segment(&s, &id).await;
    assert_eq!(
        (
            before["segment"].clone(),
            before["metrics"]["purchasesLastYear"].clone()
        ),
        (json!("occasional"), json!(9))
    );
    buy(&s, &id, 10).await;
    let after = segment(&s, &id).await;
    assert_eq!(
        (
            after["segment"].clone(),
            after["discount"].clone(),
            after["stale"].clone()
        ),
        (json!("frequent"), json!(15), json!(false))
    );
    let all: Value = s
        .client
        .get(s.url("/api/customer-id/segmentation/all/segments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let frequent = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["segment"] == "frequent")
        .unwrap();
    assert_eq!(frequent["members"], 1);
}

#[tokio::test]
async fn with_analytics_stopped_the_segment_is_served_stale_through_the_gateway() {
    let (mut app, s) = chain().await;
    let id = app.register_customer().await;
    for order in 1..=10 {
        buy(&s, &id, order).await;
    }
    assert_eq!(segment(&s, &id).await["segment"], "frequent");
    app.peers
        .iter_mut()
        .find(|p| p.service == "analytics")
        .unwrap()
        .stop()
        .await;
    let res = s
        .client
        .get(s.url(&format!("/api/customer-id/analytics/{id}")))
        .bearer_auth(s.token(&id, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 503, "SERVICE_UNAVAILABLE").await;
    let stale = segment(&s, &id).await;
    assert_eq!(
        (stale["segment"].clone(), stale["stale"].clone()),
        (json!("frequent"), json!(true))
    );
}
