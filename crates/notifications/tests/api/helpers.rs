//! Notifications with the customer registry beside it.

use std::time::Duration;

use cid_common::Role;
use cid_kit::Db;
use cid_kit::db::DbOptions;
use cid_notifications::jobs::Deliverer;
use cid_testkit::TestApp;
use serde_json::{Value, json};

pub async fn spawn_app() -> TestApp {
    spawn_app_with(json!({})).await
}

/// With `[notifications]` set to `config` (transports, attempts, intervals).
pub async fn spawn_app_with(config: Value) -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings
        .sections
        .insert(cid_notifications::SERVICE.into(), config);
    TestApp::spawn_beside_with(
        cid_notifications::SERVICE,
        cid_notifications::app_spec,
        settings,
        vec![registry],
    )
    .await
}

/// Transports that send push to `url` (signed with `secret`) and email over SMTP on `smtp`.
pub fn transports(push_url: &str, smtp_port: Option<u16>) -> Value {
    let mut config = json!({
        "push": {"transport": "http", "url": push_url, "secret": "push-secret", "timeout_ms": 2000},
        "sms": {"transport": "http", "url": push_url, "secret": "push-secret", "timeout_ms": 2000},
    });
    if let Some(port) = smtp_port {
        config["email"] = json!({"transport": "smtp", "host": "127.0.0.1", "port": port,
            "tls": "none", "from": "Customer ID <no-reply@cid.test>", "timeout_ms": 2000});
    }
    config
}

/// A customer with an email address, a phone number and `locale` on their record.
pub async fn register(app: &TestApp, locale: &str) -> String {
    let registry = app.peer("customers");
    let user = uuid::Uuid::new_v4().simple().to_string();
    let res = app
        .client
        .post(registry.url("/api/customer-id/customers"))
        .bearer_auth(registry.token("signup", &[Role::Service]))
        .json(
            &json!({"userId": user, "userType": "buyer", "locale": locale,
            "email": format!("{}@example.sa", &user[..8]), "phone": "+966500000001"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"]["customerId"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn service(app: &TestApp) -> String {
    app.token("orders", &[Role::Service])
}

/// `POST /{customer}/send` as a service.
pub async fn send(app: &TestApp, customer: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(url(app, &format!("/{customer}/send")))
        .bearer_auth(service(app))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Sends and returns the stored message (201 expected).
pub async fn sent(app: &TestApp, customer: &str, body: &Value) -> Value {
    let res = send(app, customer, body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"].clone()
}

/// `GET` of `path` under the service's base as the customer: the whole body.
pub async fn get_as_owner(app: &TestApp, customer: &str, path: &str) -> Value {
    let res = app
        .client
        .get(url(app, path))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json::<Value>().await.unwrap()
}

/// Each delivery's `channel: status` of a stored message.
pub fn statuses(message: &Value) -> Vec<String> {
    message["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}",
                d["channel"].as_str().unwrap(),
                d["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// The message as stored now (`GET /{customer}/{id}`), polled until `done` holds (5 s).
pub async fn until(
    app: &TestApp,
    customer: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..200 {
        let got = get_as_owner(app, customer, &format!("/{customer}/{id}")).await["data"].clone();
        if done(&got) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("message {id} did not reach the expected state");
}

/// A deliverer of the test's own on the app's database, to run at a chosen time.
pub fn deliverer(app: &TestApp, config: &Value) -> Deliverer {
    let settings: cid_notifications::NotificationsSettings =
        serde_json::from_value(config.clone()).unwrap();
    let db = Db::connect(
        &app.db.url,
        &DbOptions::from_settings(&app.settings),
        &cid_notifications::MIGRATIONS,
    )
    .unwrap();
    Deliverer {
        db,
        transports: std::sync::Arc::new(settings.transports().unwrap()),
        max_attempts: settings.max_attempts,
        kick: Default::default(),
    }
}

/// `chrono` time of an RFC 3339 string.
pub fn at(rfc3339: &str) -> chrono::NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .naive_utc()
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
