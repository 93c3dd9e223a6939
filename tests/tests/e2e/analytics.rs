use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn purchases_recorded_through_the_gateway_show_in_the_customers_figures() {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let analytics = TestApp::spawn_beside(
        cid_analytics::SERVICE,
        cid_analytics::app_spec,
        vec![registry],
    )
    .await;
    let registry = analytics.peer("customers");
    let s = start_gateway(
        gateway_settings_for(
            &[
                ("customers", &registry.base),
                ("analytics", &analytics.base),
            ],
            json!({}),
        ),
        None,
    )
    .await;
    let id = analytics.register_customer().await;
    let service = s.token("orders", &[Role::Service]);
    for (order, amount, category) in [("G-1", 80.0, "Books"), ("G-2", 20.0, "games")] {
        let res = s
            .client
            .post(s.url(&format!("/api/customer-id/analytics/{id}/purchases")))
            .bearer_auth(&service)
            .header("Idempotency-Key", order)
            .json(
                &json!({"orderId": order, "amount": amount, "currency": "SAR",
                "category": category, "purchasedAt": chrono::Utc::now().to_rfc3339()}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let me = s.token(&id, &[Role::Customer]);
    let summary: Value = s
        .client
        .get(s.url(&format!("/api/customer-id/analytics/{id}")))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(summary["data"]["totalSpent"], 100.0);
    assert_eq!(summary["data"]["favoriteCategory"], "Books");
    let breakdown: Value = s
        .client
        .get(s.url(&format!(
            "/api/customer-id/analytics/{id}/category-breakdown"
        )))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shares: Vec<f64> = breakdown["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["percentage"].as_f64().unwrap())
        .collect();
    assert_eq!(shares, vec![80.0, 20.0]);
    // A customer cannot record purchases, even their own.
    let res = s
        .client
        .post(s.url(&format!("/api/customer-id/analytics/{id}/purchases")))
        .bearer_auth(&me)
        .json(
            &json!({"orderId": "G-3", "amount": 5, "currency": "SAR", "category": "x",
            "purchasedAt": chrono::Utc::now().to_rfc3339()}),
        )
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
}
