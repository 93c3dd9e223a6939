//! Offers beside the services it asks: the registry, analytics, segmentation (asking
//! analytics) and loyalty, all in-process and wired to each other, so every fact is a real
//! answer.

use chrono::{Duration, Utc};
use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

/// The whole world; offers reuses nothing between reads (`facts_cache_secs = 0`).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(json!({"facts_cache_secs": 0})).await
}

/// As [`spawn_app`], with `[offers]` settings.
pub async fn spawn_app_with(offers: Value) -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url = Some(registry.base.clone());
    let analytics = TestApp::spawn_with(
        cid_analytics::SERVICE,
        cid_analytics::app_spec,
        settings.clone(),
    )
    .await;
    let loyalty = TestApp::spawn_with(cid_loyalty::SERVICE, cid_loyalty::app_spec, settings).await;
    let segmentation = TestApp::spawn_beside(
        cid_segmentation::SERVICE,
        cid_segmentation::app_spec,
        vec![registry, analytics],
    )
    .await;
    let mut settings = cid_testkit::settings();
    settings.sections.insert(cid_offers::SERVICE.into(), offers);
    for peer in ["customers", "analytics"] {
        settings.services.get_mut(peer).unwrap().url = Some(segmentation.peer(peer).base.clone());
    }
    TestApp::spawn_beside_with(
        cid_offers::SERVICE,
        cid_offers::app_spec,
        settings,
        vec![segmentation, loyalty],
    )
    .await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/offers{path}"))
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}

pub fn service(app: &TestApp) -> String {
    app.token("checkout", &[Role::Service])
}

/// An offer body open from yesterday for 30 days, for anyone, with `extra` merged in.
pub fn offer(extra: Value) -> Value {
    let mut body = json!({
        "title": {"en": "Ten percent off books", "ar": "خصم عشرة بالمئة على الكتب"},
        "description": {"en": "On any book order", "ar": "على أي طلب كتب"},
        "terms": {"en": "Once per customer", "ar": "مرة لكل عميل"},
        "category": "books",
        "discountType": "percent",
        "value": 10,
        "validFrom": (Utc::now() - Duration::days(1)).to_rfc3339(),
        "validUntil": (Utc::now() + Duration::days(30)).to_rfc3339(),
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    body
}

pub async fn create_raw(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(url(app, ""))
        .bearer_auth(admin(app))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Creates an offer (`extra` over [`offer`]) and returns its ID.
pub async fn create(app: &TestApp, extra: Value) -> String {
    let res = create_raw(app, &offer(extra)).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    body["data"]["offerId"].as_str().unwrap().to_owned()
}

/// `POST /{customer}/apply` as a service.
pub async fn apply(app: &TestApp, customer: &str, body: Value) -> reqwest::Response {
    app.client
        .post(url(app, &format!("/{customer}/apply")))
        .bearer_auth(service(app))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn rollback(
    app: &TestApp,
    customer: &str,
    redemption: &str,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(url(app, &format!("/{customer}/rollback")))
        .bearer_auth(service(app))
        .json(&json!({"redemptionId": redemption, "reason": "order cancelled"}));
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    req.send().await.unwrap()
}

/// `GET /{customer}` as the customer: the `data`.
pub async fn listed(app: &TestApp, customer: &str) -> Value {
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

/// The offer IDs of the customer's list, in its order.
pub async fn listed_ids(app: &TestApp, customer: &str) -> Vec<String> {
    listed(app, customer).await["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["offerId"].as_str().unwrap().to_owned())
        .collect()
}

/// Records `n` purchases of `amount` SAR in `category` for `customer` in analytics.
pub async fn buy(app: &TestApp, customer: &str, n: usize, amount: f64, category: &str) {
    let analytics = app.peer("analytics");
    for i in 0..n {
        let at = (Utc::now() - Duration::minutes(i as i64 + 1)).to_rfc3339();
        let res = app
            .client
            .post(analytics.url(&format!("/api/customer-id/analytics/{customer}/purchases")))
            .bearer_auth(service(app))
            .json(
                &json!({"orderId": format!("{category}-{i}-{}", uuid()), "amount": amount,
                "currency": "SAR", "category": category, "purchasedAt": at}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
}

fn uuid() -> String {
    format!("{:x}", Utc::now().timestamp_nanos_opt().unwrap_or_default())
}

/// Credits `points` to `customer` in loyalty (raising their tier).
pub async fn earn(app: &TestApp, customer: &str, points: i64) {
    let loyalty = app.peer("loyalty");
    let res = app
        .client
        .post(loyalty.url(&format!("/api/customer-id/loyalty/{customer}/points")))
        .bearer_auth(service(app))
        .json(&json!({"points": points, "reason": "test", "type": "manual"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

/// The customer's loyalty balance.
pub async fn balance(app: &TestApp, customer: &str) -> i64 {
    let loyalty = app.peer("loyalty");
    let res = app
        .client
        .get(loyalty.url(&format!("/api/customer-id/loyalty/{customer}")))
        .bearer_auth(service(app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"]["points"]
        .as_i64()
        .unwrap()
}

/// Waits (at most ten seconds) until the customer's loyalty balance is `points`.
pub async fn wait_for_balance(app: &TestApp, customer: &str, points: i64) {
    for _ in 0..100 {
        if balance(app, customer).await == points {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(balance(app, customer).await, points);
}

/// The staff view of an offer (from the catalog).
pub async fn catalog_entry(app: &TestApp, offer: &str) -> Value {
    let res = app
        .client
        .get(url(app, "/catalog?limit=100"))
        .bearer_auth(admin(app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["offerId"] == offer)
        .cloned()
        .unwrap()
}
