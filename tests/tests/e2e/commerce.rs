//! The purchase → segment → offer chain through the gateway, and what it answers with
//! analytics stopped.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

/// The registry, analytics, segmentation, loyalty and offers in-process, each group behind
/// the gateway.
async fn chain() -> (TestApp, Stack) {
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
    // These tests read a customer's offers just before and just after their segment moves;
    // a deployment reuses the facts for `facts_cache_secs` (5 s), documented in API.md.
    settings
        .sections
        .insert(cid_offers::SERVICE.into(), json!({"facts_cache_secs": 0}));
    for peer in ["customers", "analytics"] {
        settings.services.get_mut(peer).unwrap().url = Some(segmentation.peer(peer).base.clone());
    }
    let offers = TestApp::spawn_beside_with(
        cid_offers::SERVICE,
        cid_offers::app_spec,
        settings,
        vec![segmentation, loyalty],
    )
    .await;
    let groups = [
        "customers",
        "analytics",
        "segmentation",
        "loyalty",
        "offers",
    ];
    let bases: Vec<(&str, String)> = groups
        .iter()
        .map(|g| (*g, offers.peer(g).base.clone()))
        .collect();
    let running: Vec<(&str, &str)> = bases.iter().map(|(g, b)| (*g, b.as_str())).collect();
    let s = start_gateway(gateway_settings_for(&running, json!({})), None).await;
    (offers, s)
}

/// An offer for frequent customers in books, once each, created by an admin.
async fn frequent_offer(s: &Stack) -> String {
    let now = chrono::Utc::now();
    let res = s
        .client
        .post(s.url("/api/customer-id/offers"))
        .bearer_auth(s.token("ops", &[Role::Admin]))
        .json(&json!({
            "title": {"en": "15% off books", "ar": "خصم 15% على الكتب"},
            "description": {"en": "For frequent readers", "ar": "للقراء الدائمين"},
            "category": "books", "discountType": "percent", "value": 15,
            "validFrom": (now - chrono::Duration::hours(1)).to_rfc3339(),
            "validUntil": (now + chrono::Duration::days(30)).to_rfc3339(),
            "targeting": {"segments": ["frequent"]}, "perCustomerLimit": 1,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"]["offerId"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn offers_of(s: &Stack, customer: &str) -> Value {
    let res = s
        .client
        .get(s.url(&format!("/api/customer-id/offers/{customer}")))
        .bearer_auth(s.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

async fn apply(s: &Stack, customer: &str, offer: &str, amount: f64) -> reqwest::Response {
    s.client
        .post(s.url(&format!("/api/customer-id/offers/{customer}/apply")))
        .bearer_auth(s.token(customer, &[Role::Customer]))
        .json(&json!({"offerId": offer, "orderAmount": amount}))
        .send()
        .await
        .unwrap()
}

async fn buy(s: &Stack, customer: &str, order: usize) {
    let res = s
        .client
        .post(s.url(&format!("/api/customer-id/analytics/{customer}/purchases")))
        .bearer_auth(s.token("orders", &[Role::Service]))
        .json(
            &json!({"orderId": format!("ORDER-{order}"), "amount": 120.5, "currency": "SAR",
            "category": "Books", "purchasedAt": chrono::Utc::now().to_rfc3339()}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

async fn segment(s: &Stack, customer: &str) -> Value {
    let res = s
        .client
        .get(s.url(&format!("/api/customer-id/segmentation/{customer}")))
        .bearer_auth(s.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

#[tokio::test]
async fn the_tenth_purchase_makes_the_customer_frequent_and_their_offer_applies_once() {
    let (app, s) = chain().await;
    let id = app.register_customer().await;
    let offer = frequent_offer(&s).await;
    for order in 1..=9 {
        buy(&s, &id, order).await;
    }
    let before = segment(&s, &id).await;
    assert_eq!(
        (
            before["segment"].clone(),
            before["metrics"]["purchasesLastYear"].clone()
        ),
        (json!("occasional"), json!(9))
    );
    assert_eq!(offers_of(&s, &id).await["offers"], json!([]));
    let res = apply(&s, &id, &offer, 100.0).await;
    cid_testkit::problem(res, 422, "OFFER_NOT_ELIGIBLE").await;
    buy(&s, &id, 10).await;
    let after = segment(&s, &id).await;
    assert_eq!(
        (
            after["segment"].clone(),
            after["discount"].clone(),
            after["stale"].clone()
        ),
        (json!("frequent"), json!(15), json!(false))
    );
    let all: Value = s
        .client
        .get(s.url("/api/customer-id/segmentation/all/segments"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let frequent = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["segment"] == "frequent")
        .unwrap();
    assert_eq!(frequent["members"], 1);

    let list = offers_of(&s, &id).await;
    assert_eq!(
        (list["segment"].clone(), list["favoriteCategory"].clone()),
        (json!("frequent"), json!("Books"))
    );
    assert_eq!(list["offers"][0]["offerId"], offer.as_str());
    assert_eq!(list["offers"][0]["favorite"], true);
    let res = apply(&s, &id, &offer, 199.99).await;
    assert_eq!(res.status(), 201);
    let redemption: Value = res.json().await.unwrap();
    assert_eq!(redemption["data"]["savings"], 30.0);
    let res = apply(&s, &id, &offer, 50.0).await;
    cid_testkit::problem(res, 409, "OFFER_LIMIT_REACHED").await;
    assert_eq!(offers_of(&s, &id).await["offers"], json!([]));
}

#[tokio::test]
async fn with_analytics_stopped_segments_are_stale_and_offers_still_list_through_the_gateway() {
    let (mut app, s) = chain().await;
    let id = app.register_customer().await;
    let offer = frequent_offer(&s).await;
    for order in 1..=10 {
        buy(&s, &id, order).await;
    }
    assert_eq!(segment(&s, &id).await["segment"], "frequent");
    app.peer_mut("analytics").stop().await;
    let res = s
        .client
        .get(s.url(&format!("/api/customer-id/analytics/{id}")))
        .bearer_auth(s.token(&id, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 503, "SERVICE_UNAVAILABLE").await;
    let stale = segment(&s, &id).await;
    assert_eq!(
        (stale["segment"].clone(), stale["stale"].clone()),
        (json!("frequent"), json!(true))
    );
    // Offers ask segmentation, which serves its stored segment: the offer is still listed,
    // only the ranking by favourite category is lost.
    let list = offers_of(&s, &id).await;
    assert_eq!(
        (
            list["segmentStale"].clone(),
            list["unavailable"].clone(),
            list["offers"][0]["offerId"].clone()
        ),
        (json!(true), json!(["analytics"]), json!(offer))
    );
    let res = apply(&s, &id, &offer, 80.0).await;
    assert_eq!(res.status(), 201);
}
