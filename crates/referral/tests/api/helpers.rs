//! What every referral test needs: the service beside the registry, its URLs and calls.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

/// Referral with the customer registry beside it (writes resolve both customers there).
pub async fn spawn_app() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(
        cid_referral::SERVICE,
        cid_referral::app_spec,
        vec![registry],
    )
    .await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/referral{path}"))
}

pub async fn link(app: &TestApp, customer: &str, body: Value) -> Value {
    let res = app
        .client
        .post(url(app, &format!("/{customer}/generate-link")))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

pub async fn track(
    app: &TestApp,
    referrer: &str,
    code: &str,
    referee: &str,
    event: &str,
) -> reqwest::Response {
    app.client
        .post(url(app, &format!("/{referrer}/track")))
        .bearer_auth(app.token("signup-service", &[Role::Service]))
        .json(&json!({"referralCode": code, "referredCustomerId": referee, "event": event}))
        .send()
        .await
        .unwrap()
}

pub async fn stats(app: &TestApp, customer: &str) -> Value {
    let res = app
        .client
        .get(url(app, &format!("/{customer}/stats")))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["data"].clone()
}
