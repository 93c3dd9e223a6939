use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

async fn milestones(app: &cid_testkit::TestApp, id: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/customer-id/loyalty/{id}/milestones")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn reached(app: &cid_testkit::TestApp, id: &str) -> Vec<String> {
    let body: Value = milestones(app, id, &customer(app, id))
        .await
        .json()
        .await
        .unwrap();
    body["data"]["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert!(m["reachedAt"].as_str().unwrap().ends_with('Z'));
            m["milestone"].as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn milestones_follow_purchases_and_lifetime_points_without_reversed_earnings() {
    let app = spawn_app().await;
    let m1 = app.register_customer().await;
    assert!(reached(&app, &m1).await.is_empty());
    let purchase =
        |n: u32| json!({"purchaseAmount": 100, "currency": "SAR", "orderId": format!("o-{n}")});
    assert_eq!(earn(&app, &m1, purchase(1)).await.status(), 201);
    assert_eq!(reached(&app, &m1).await, vec!["first_purchase"]);
    for n in 2..=9 {
        earn(&app, &m1, purchase(n)).await;
    }
    // Nine purchases of 100 points: neither the tenth purchase nor 1,000 points yet.
    assert_eq!(reached(&app, &m1).await, vec!["first_purchase"]);
    earn(&app, &m1, purchase(10)).await;
    assert_eq!(
        reached(&app, &m1).await,
        vec!["first_purchase", "tenth_purchase", "lifetime_points_1000"]
    );
    // A refunded order no longer counts.
    let res = app
        .client
        .post(app.url(&format!("/api/customer-id/loyalty/{m1}/reversal")))
        .bearer_auth(service(&app))
        .json(&json!({"orderId": "o-4", "reason": "refund"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(reached(&app, &m1).await, vec!["first_purchase"]);
    let body: Value = milestones(&app, &m1, &admin(&app))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["lifetimePoints"], 900);
}

#[tokio::test]
async fn milestones_are_the_owners_and_staffs_only() {
    let app = spawn_app().await;
    let m2 = app.register_customer().await;
    let m3 = app.register_customer().await;
    let res = milestones(&app, &m2, &customer(&app, &m3)).await;
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    let agent = app.token("agent", &[Role::Agent]);
    assert_eq!(milestones(&app, &m2, &agent).await.status(), 200);
    let res = app
        .client
        .get(app.url(&format!("/api/customer-id/loyalty/{m2}/milestones")))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 401, "UNAUTHORIZED").await;
}
