//! Support with the customer registry beside it.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

pub async fn spawn_app() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(cid_support::SERVICE, cid_support::app_spec, vec![registry]).await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/support{path}"))
}

pub fn agent(app: &TestApp) -> String {
    app.token("agent-7", &[Role::Agent])
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}

pub fn me(app: &TestApp, customer: &str) -> String {
    app.token(customer, &[Role::Customer])
}

/// A ticket body with `extra` merged in.
pub fn ticket(extra: Value) -> Value {
    let mut body = json!({"subject": "Order not delivered", "description": "Ordered a week ago.",
        "category": "orders"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

pub async fn open(app: &TestApp, customer: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(url(app, &format!("/{customer}/ticket")))
        .bearer_auth(me(app, customer))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Opens a ticket as its customer; its `data`.
pub async fn opened(app: &TestApp, customer: &str, extra: Value) -> Value {
    let res = open(app, customer, &ticket(extra)).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"].clone()
}

pub async fn set_status(
    app: &TestApp,
    token: &str,
    ticket: &str,
    status: &str,
) -> reqwest::Response {
    app.client
        .put(url(app, &format!("/ticket/{ticket}/status")))
        .bearer_auth(token)
        .json(&json!({"status": status}))
        .send()
        .await
        .unwrap()
}

pub async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .get(url(app, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}
