//! What every customers test needs: the service, its URLs and a registration.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

pub async fn spawn_app() -> TestApp {
    TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/customers{path}"))
}

pub async fn create(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(url(app, ""))
        .bearer_auth(app.token("signup", &[Role::Service]))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn create_ok(app: &TestApp, user: &str, kind: &str) -> Value {
    let res = create(
        app,
        json!({"userId": user, "userType": kind, "name": "Test"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"].clone()
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}
