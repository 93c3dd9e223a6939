use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

/// The gateway in front of whatever upstreams a test chose.
pub struct Stack {
    pub gateway: String,
    pub loyalty: Option<TestApp>,
    pub client: reqwest::Client,
    pub settings: cid_kit::Settings,
    gw: Option<cid_gateway::Running>,
}

impl Stack {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway)
    }

    pub fn token(&self, sub: &str, roles: &[Role]) -> String {
        cid_testkit::token(&self.settings, sub, roles)
    }

    pub async fn stop_gateway(&mut self) {
        if let Some(gw) = self.gw.take() {
            gw.stop().await;
        }
    }

    pub fn is_running(&self) -> bool {
        self.gw.is_some()
    }
}

/// Settings whose gateway sends `loyalty` to `upstream` and every other group to a closed
/// port (they are "not running").
pub fn gateway_settings(upstream: &str, extra: Value) -> cid_kit::Settings {
    gateway_settings_for(&[("loyalty", upstream)], extra)
}

/// Settings whose gateway sends each listed group to its URL and every other group to a
/// closed port.
pub fn gateway_settings_for(running: &[(&str, &str)], extra: Value) -> cid_kit::Settings {
    let mut settings = cid_testkit::settings();
    let closed = closed_port();
    let mut upstreams = serde_json::Map::new();
    for group in cid_kit::settings::GROUPS {
        let url = running.iter().find(|(g, _)| g == group).map_or_else(
            || format!("http://127.0.0.1:{closed}"),
            |(_, u)| (*u).to_owned(),
        );
        upstreams.insert((*group).to_owned(), json!([url]));
    }
    let gw = settings
        .sections
        .entry("gateway".into())
        .or_insert_with(|| json!({}));
    gw["upstreams"] = Value::Object(upstreams);
    gw["required"] = json!(running.iter().map(|(g, _)| *g).collect::<Vec<_>>());
    gw["timeout_ms"] = json!(2000);
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            gw[k] = v;
        }
    }
    settings
}

/// A port nothing listens on.
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

pub async fn start_gateway(settings: cid_kit::Settings, loyalty: Option<TestApp>) -> Stack {
    let gateway = cid_gateway::Gateway::from_settings(&settings).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let gw = cid_gateway::start(gateway, listener).unwrap();
    Stack {
        gateway: format!("http://{}", gw.addr),
        loyalty,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        settings,
        gw: Some(gw),
    }
}

/// A service with the registry and notifications beside it (its domain events go to
/// notifications), all three behind a gateway.
pub struct Beside {
    pub notifications: TestApp,
    pub service: TestApp,
    pub stack: Stack,
}

pub async fn with_notifications(service: &str, build: cid_kit::server::Build) -> Beside {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let notifications = TestApp::spawn_beside(
        cid_notifications::SERVICE,
        cid_notifications::app_spec,
        vec![registry],
    )
    .await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url =
        Some(notifications.peer("customers").base.clone());
    settings.services.get_mut("notifications").unwrap().url = Some(notifications.base.clone());
    let app = TestApp::spawn_with(service, build, settings).await;
    let running = [
        ("customers", notifications.peer("customers").base.clone()),
        ("notifications", notifications.base.clone()),
        (service, app.base.clone()),
    ];
    let running: Vec<(&str, &str)> = running.iter().map(|(g, b)| (*g, b.as_str())).collect();
    let stack = start_gateway(gateway_settings_for(&running, json!({})), None).await;
    Beside {
        notifications,
        service: app,
        stack,
    }
}

/// Loyalty with the customer registry it resolves every write's customer through.
pub async fn loyalty_with_registry() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(cid_loyalty::SERVICE, cid_loyalty::app_spec, vec![registry]).await
}

/// The real loyalty service (and its registry) behind the gateway.
pub async fn stack() -> Stack {
    let loyalty = loyalty_with_registry().await;
    let settings = gateway_settings(&loyalty.base, json!({}));
    start_gateway(settings, Some(loyalty)).await
}

/// An upstream that echoes what it received, and sleeps `?sleep_ms=` first.
pub fn echo_server() -> String {
    async fn echo(req: HttpRequest, body: web::Bytes) -> HttpResponse {
        let sleep = req
            .query_string()
            .strip_prefix("sleep_ms=")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(sleep)).await;
        let headers: serde_json::Map<String, Value> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or(""))))
            .collect();
        // Names that came more than once (the map above keeps one value of each).
        let repeated: Vec<&str> = req
            .headers()
            .keys()
            .filter(|k| req.headers().get_all(*k).count() > 1)
            .map(|k| k.as_str())
            .collect();
        HttpResponse::Ok()
            .insert_header(("Proxy-Authenticate", "Basic realm=upstream"))
            .insert_header(("Keep-Alive", "timeout=99"))
            .json(
                json!({"headers": headers, "repeated": repeated, "bodyLength": body.len(),
                "path": req.path(), "version": format!("{:?}", req.version())}),
            )
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(|| {
        App::new()
            .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
            .default_service(web::to(echo))
    })
    .workers(1)
    .disable_signals()
    // As the services: HTTP/1.1 and h2c on one port.
    .listen_auto_h2c(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://{addr}")
}

/// `(points, ledger entries shown)` of a loyalty account read through the gateway; `None`
/// while loyalty does not answer.
pub async fn balance(s: &Stack, customer: &str) -> Option<(i64, usize)> {
    let res = s
        .client
        .get(s.url(&format!("/api/customer-id/loyalty/{customer}")))
        .bearer_auth(s.token("admin", &[Role::Admin]))
        .send()
        .await
        .ok()?;
    if res.status() != 200 {
        return None;
    }
    let body: Value = res.json().await.ok()?;
    Some((
        body["data"]["points"].as_i64()?,
        body["data"]["pointsHistory"].as_array()?.len(),
    ))
}

/// Customers, loyalty and rewards behind the gateway, and a customer whose birthday is today
/// with its reward available.
pub struct BirthdayToday {
    pub s: Stack,
    pub customers: TestApp,
    pub loyalty: TestApp,
    pub rewards: TestApp,
    pub customer: String,
    pub token: String,
    pub reward: String,
}

pub async fn birthday_today(user_id: &str) -> BirthdayToday {
    use chrono::Datelike;
    let customers = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url = Some(customers.base.clone());
    let loyalty = TestApp::spawn_with(
        cid_loyalty::SERVICE,
        cid_loyalty::app_spec,
        settings.clone(),
    )
    .await;
    settings.services.get_mut("loyalty").unwrap().url = Some(loyalty.base.clone());
    settings.sections.get_mut("rewards").unwrap()["outbox_interval_ms"] = json!(200);
    let rewards = TestApp::spawn_with(cid_rewards::SERVICE, cid_rewards::app_spec, settings).await;
    let s = start_gateway(
        gateway_settings_for(
            &[
                ("customers", &customers.base),
                ("loyalty", &loyalty.base),
                ("rewards", &rewards.base),
            ],
            json!({}),
        ),
        None,
    )
    .await;

    let today = cid_rewards::domain::today(180);
    let created = s
        .client
        .post(s.url("/api/customer-id/customers"))
        .bearer_auth(s.token("signup", &[Role::Service]))
        .json(&json!({"userId": user_id, "userType": "buyer",
            "birthDate": format!("1992-{:02}-{:02}", today.month(), today.day())}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let customer = created.json::<Value>().await.unwrap()["data"]["customerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = s.token(&customer, &[Role::Customer]);
    let dates: Value = s
        .client
        .get(s.url(&format!(
            "/api/customer-id/rewards/{customer}/special-dates"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let birthday = dates["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "birthday")
        .unwrap()
        .clone();
    assert_eq!(birthday["status"], "available");
    let reward = birthday["rewardId"].as_str().unwrap().to_owned();
    BirthdayToday {
        s,
        customers,
        loyalty,
        rewards,
        customer,
        token,
        reward,
    }
}

/// A stand-in for another service that counts each Idempotency-Key it is sent.
pub fn counting_target() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let sink = seen.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let sink = sink.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            let sink = sink.clone();
            async move {
                let key = req
                    .headers()
                    .get("Idempotency-Key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                *sink.lock().unwrap().entry(key).or_default() += 1;
                HttpResponse::Created().json(json!({"success": true, "data": {}}))
            }
        }))
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (url, seen)
}

/// The rules of a customer's security alerts, once there is one (within 10 s; empty if none).
pub async fn alert_rules(security: &TestApp, customer: &str, token: &str) -> Vec<String> {
    for _ in 0..100 {
        let alerts: Value = security
            .client
            .get(security.url(&format!("/api/customer-id/security/{customer}/alerts")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rules: Vec<String> = alerts["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["rule"].as_str().unwrap().to_owned())
            .collect();
        if !rules.is_empty() {
            return rules;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Vec::new()
}
