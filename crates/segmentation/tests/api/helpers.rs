//! The registry, analytics and segmentation in-process, wired to each other.

use chrono::{Duration, Utc};
use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

/// Segmentation beside the registry and analytics (which shares the same registry).
pub async fn spawn_app() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url = Some(registry.base.clone());
    let analytics =
        TestApp::spawn_with(cid_analytics::SERVICE, cid_analytics::app_spec, settings).await;
    TestApp::spawn_beside(
        cid_segmentation::SERVICE,
        cid_segmentation::app_spec,
        vec![registry, analytics],
    )
    .await
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
