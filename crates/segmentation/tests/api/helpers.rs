//! The registry, analytics and segmentation in-process, wired to each other.

use chrono::{Duration, Utc};
use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

/// Segmentation beside the registry and analytics (which shares the same registry).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(json!({})).await
}

/// As [`spawn_app`], with `[segmentation]` settings.
pub async fn spawn_app_with(segmentation: Value) -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url = Some(registry.base.clone());
    let analytics =
        TestApp::spawn_with(cid_analytics::SERVICE, cid_analytics::app_spec, settings).await;
    let mut settings = cid_testkit::settings();
    settings
        .sections
        .insert(cid_segmentation::SERVICE.into(), segmentation);
    TestApp::spawn_beside_with(
        cid_segmentation::SERVICE,
        cid_segmentation::app_spec,
        settings,
        vec![registry, analytics],
    )
    .await
}

/// How many customers are stored in `segment` (read from the stored assignments, which asks
/// analytics nothing).
pub async fn members(app: &TestApp, segment: &str) -> i64 {
    let all: Value = app
        .client
        .get(url(app, "/all/segments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["segment"] == segment)
        .and_then(|e| e["members"].as_i64())
        .unwrap()
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/segmentation{path}"))
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}

/// Records `n` purchases of `amount` SAR for `customer` in analytics, `days` ago, orders
/// numbered from `first`.
pub async fn buy(app: &TestApp, customer: &str, first: usize, n: usize, amount: f64, days: i64) {
    let analytics = app.peer("analytics");
    for i in first..first + n {
        let at = (Utc::now() - Duration::days(days) - Duration::minutes(i as i64)).to_rfc3339();
        let res = app
            .client
            .post(analytics.url(&format!("/api/customer-id/analytics/{customer}/purchases")))
            .bearer_auth(app.token("orders", &[Role::Service]))
            .json(
                &json!({"orderId": format!("o-{i}"), "amount": amount, "currency": "SAR",
                "category": "books", "purchasedAt": at}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
}

pub async fn segment_of(app: &TestApp, customer: &str) -> Value {
    let res = app
        .client
        .get(url(app, &format!("/{customer}")))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

pub async fn update(app: &TestApp, customer: &str, body: Value) -> reqwest::Response {
    app.client
        .put(url(app, &format!("/{customer}/update")))
        .bearer_auth(admin(app))
        .json(&body)
        .send()
        .await
        .unwrap()
}
