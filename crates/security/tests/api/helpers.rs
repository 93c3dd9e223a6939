//! Security with the customer registry beside it; codes computed as an authenticator app
//! computes them.

use cid_common::Role;
use cid_security::domain::totp;
use cid_testkit::TestApp;
use serde_json::{Value, json};

pub async fn spawn_app() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(
        cid_security::SERVICE,
        cid_security::app_spec,
        vec![registry],
    )
    .await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/security{path}"))
}

pub fn me(app: &TestApp, customer: &str) -> String {
    app.token(customer, &[Role::Customer])
}

pub fn login_service(app: &TestApp) -> String {
    app.token("login", &[Role::Service])
}

/// `POST` with `token` and an optional JSON body.
pub async fn post(
    app: &TestApp,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.post(url(app, path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// The code an authenticator app shows for `secret` (base32), `offset` steps from now.
pub fn code(secret: &str, offset: i64) -> String {
    let raw = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    totp::code(&raw, totp::step_at(now) + offset)
}

/// A registered customer with a started enrollment: (customer, secret).
pub async fn enrolled(app: &TestApp) -> (String, String) {
    let c = app.register_customer().await;
    let res = post(app, &me(app, &c), &format!("/{c}/2fa/enable"), None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    (c, body["data"]["secret"].as_str().unwrap().to_owned())
}

/// A customer with 2FA on: (customer, secret, recovery codes). The current step is used.
pub async fn protected(app: &TestApp) -> (String, String, Vec<String>) {
    let (c, secret) = enrolled(app).await;
    let res = post(
        app,
        &me(app, &c),
        &format!("/{c}/2fa/verify"),
        Some(json!({"code": code(&secret, 0)})),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let codes = body["data"]["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (c, secret, codes)
}

/// The problem code of a refusal, after checking its status.
pub async fn problem(res: reqwest::Response, status: u16) -> String {
    assert_eq!(res.status(), status);
    let body: Value = res.json().await.unwrap();
    body["code"].as_str().unwrap().to_owned()
}
