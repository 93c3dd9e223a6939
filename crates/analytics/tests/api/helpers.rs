//! What every analytics test needs: the service beside the registry, and typed calls.

use chrono::{Duration, Utc};
use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

/// Analytics with the customer registry beside it.
pub async fn spawn_app() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(
        cid_analytics::SERVICE,
        cid_analytics::app_spec,
        vec![registry],
    )
    .await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/analytics{path}"))
}

pub fn service(app: &TestApp) -> String {
    app.token("orders", &[Role::Service])
}

/// An RFC 3339 time `days` ago.
pub fn days_ago(days: i64) -> String {
    (Utc::now() - Duration::days(days)).to_rfc3339()
}

/// A purchase body: `amount` SAR in `category`, `days` ago.
pub fn purchase(order: &str, amount: f64, category: &str, days: i64) -> Value {
    json!({"orderId": order, "amount": amount, "currency": "SAR", "category": category,
        "purchasedAt": days_ago(days)})
}

pub async fn post_purchase(app: &TestApp, customer: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(url(app, &format!("/{customer}/purchases")))
        .bearer_auth(service(app))
        .json(body)
        .send()
        .await
        .unwrap()
}

pub async fn summary(app: &TestApp, customer: &str) -> Value {
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
