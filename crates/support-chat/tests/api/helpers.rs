//! The support chat service and its URLs.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::Value;

pub async fn spawn_app() -> TestApp {
    TestApp::spawn(cid_support_chat::SERVICE, cid_support_chat::app_spec).await
}

/// With the customer registry beside it (chats are started for registered customers).
pub async fn spawn_app_with_registry() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(
        cid_support_chat::SERVICE,
        cid_support_chat::app_spec,
        vec![registry],
    )
    .await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/support-chat{path}"))
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}

/// `GET` without a token in `language`: the whole body (200 expected).
pub async fn public(app: &TestApp, path: &str, language: &str) -> Value {
    let res = app
        .client
        .get(url(app, path))
        .header("Accept-Language", language)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// The entry IDs of a list answer.
pub fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entryId"].as_str().unwrap().to_owned())
        .collect()
}
