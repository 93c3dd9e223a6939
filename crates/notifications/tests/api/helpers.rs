//! Notifications with the customer registry beside it.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::Value;

pub async fn spawn_app() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(
        cid_notifications::SERVICE,
        cid_notifications::app_spec,
        vec![registry],
    )
    .await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/notifications{path}"))
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}

/// `GET /{customer}/preferences` as the customer: the `data`.
pub async fn read(app: &TestApp, customer: &str) -> Value {
    let res = app
        .client
        .get(url(app, &format!("/{customer}/preferences")))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

/// `PUT /{customer}/preferences` with `token`.
pub async fn put(app: &TestApp, customer: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(url(app, &format!("/{customer}/preferences")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}
