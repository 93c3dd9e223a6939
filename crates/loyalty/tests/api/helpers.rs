use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

/// Loyalty with the customer registry beside it (every write resolves its customer there).
pub async fn spawn_app() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(cid_loyalty::SERVICE, cid_loyalty::app_spec, vec![registry]).await
}

pub fn service(app: &TestApp) -> String {
    app.token("orders-service", &[Role::Service])
}

pub fn customer(app: &TestApp, id: &str) -> String {
    app.token(id, &[Role::Customer])
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}

pub async fn earn(app: &TestApp, id: &str, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/customer-id/loyalty/{id}/points")))
        .bearer_auth(service(app))
        .json(&body)
        .send()
        .await
        .expect("earn request")
}

pub async fn earn_ok(app: &TestApp, id: &str, points: i64) -> Value {
    let res = earn(
        app,
        id,
        json!({"points": points, "reason": "test", "type": "manual"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json().await.expect("earn body")
}

pub async fn redeem(app: &TestApp, id: &str, token: &str, points: i64) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/customer-id/loyalty/{id}/redeem")))
        .bearer_auth(token)
        .json(&json!({"points": points, "rewardId": "RW-1"}))
        .send()
        .await
        .expect("redeem request")
}

pub async fn account(app: &TestApp, id: &str) -> Value {
    let res = app
        .client
        .get(app.url(&format!("/api/customer-id/loyalty/{id}")))
        .bearer_auth(admin(app))
        .send()
        .await
        .expect("account request");
    assert_eq!(res.status(), 200);
    res.json().await.expect("account body")
}

/// Every ledger entry of a customer, following cursors.
pub async fn full_history(app: &TestApp, id: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = app.url(&format!("/api/customer-id/loyalty/{id}/history?limit=100"));
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let body: Value = app
            .client
            .get(url)
            .bearer_auth(admin(app))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.extend(body["data"].as_array().cloned().unwrap_or_default());
        match body["page"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}
