//! The parts of the engagement score, with referrals from the referral service.

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

async fn engagement(app: &TestApp, id: &str) -> Value {
    let res = app
        .client
        .get(url(app, &format!("/{id}/engagement")))
        .bearer_auth(app.token(id, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

#[tokio::test]
async fn engagement_counts_purchases_events_and_completed_referrals() {
    // The registry, referral beside it, and analytics beside both.
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url = Some(registry.base.clone());
    let referral =
        TestApp::spawn_with(cid_referral::SERVICE, cid_referral::app_spec, settings).await;
    let app = TestApp::spawn_beside(
        cid_analytics::SERVICE,
        cid_analytics::app_spec,
        vec![registry, referral],
    )
    .await;
    let (id, friend) = (app.register_customer().await, app.register_customer().await);
    let referral = app.peer("referral");
    let code: Value = app
        .client
        .post(referral.url(&format!("/api/customer-id/referral/{id}/generate-link")))
        .bearer_auth(app.token(&id, &[Role::Customer]))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let res = app
        .client
        .post(referral.url(&format!("/api/customer-id/referral/{id}/track")))
        .bearer_auth(service(&app))
        .json(
            &json!({"referralCode": code["data"]["referralCode"], "referredCustomerId": friend,
            "event": "first_purchase"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for i in 0..6 {
        let body = purchase(&format!("E-{i}"), 20.0, "books", 10 + i);
        assert_eq!(post_purchase(&app, &id, &body).await.status(), 201);
    }
    for kind in ["login", "share"] {
        let res = app
            .client
            .post(url(&app, &format!("/{id}/events")))
            .bearer_auth(service(&app))
            .json(&json!({"type": kind, "occurredAt": days_ago(0)}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let e = engagement(&app, &id).await;
    assert_eq!(e["purchasesLastYear"], 6);
    assert_eq!(e["purchaseFrequency"], 0.5);
    assert_eq!(e["daysSinceLastPurchase"], 10);
    assert_eq!(
        (e["logins"].clone(), e["shares"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(e["referrals"], 1);
    // 40 × (1 − 10/180) = 37.78 + 30 × 6/12 = 15 + 30 × 4/30 = 4 → 56.78 → 57.
    assert_eq!(e["engagementScore"], 57);
    assert_eq!(summary(&app, &id).await["engagementScore"], 57);
}

#[tokio::test]
async fn with_referral_down_engagement_answers_with_referrals_null() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let e = engagement(&app, &id).await;
    assert!(e["referrals"].is_null(), "{e}");
    assert_eq!(e["engagementScore"], 0);
}
