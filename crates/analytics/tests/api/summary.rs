//! The summary: every figure from stored data, with the documented formulas.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn an_unknown_customer_has_zero_figures() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(url(&app, "/NEVER-SEEN"))
        .bearer_auth(service(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let s: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(s["totalPurchases"], 0);
    assert_eq!(s["totalSpent"], 0.0);
    assert_eq!(s["engagementScore"], 0);
    assert!(s["favoriteCategory"].is_null() && s["firstPurchase"].is_null());
}

#[tokio::test]
async fn the_summary_follows_the_documented_formulas() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    for (order, amount, category, days) in [
        ("S-1", 100.0, "Books", 30),
        ("S-2", 50.0, "books", 20),
        ("S-3", 120.0, "Games", 0),
    ] {
        assert_eq!(
            post_purchase(&app, &id, &purchase(order, amount, category, days))
                .await
                .status(),
            201
        );
    }
    for kind in ["visit", "visit", "review"] {
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
    let s = summary(&app, &id).await;
    assert_eq!(s["totalPurchases"], 3);
    assert_eq!(s["totalSpent"], 270.0);
    assert_eq!(s["averageOrderValue"], 90.0);
    // Books 150 (two spellings, one category) beats Games 120.
    assert_eq!(s["favoriteCategory"], "Books");
    // All three within the last twelve months: 270 + 2 × 270.
    assert_eq!(s["customerLifetimeValue"], 810.0);
    // Recency 40 (today) + frequency 30 × 3/12 = 7.5 + activity 30 × (2 + 3)/30 = 5 → 52.5 → 53.
    assert_eq!(s["engagementScore"], 53);
    assert!(s["firstPurchase"].as_str().unwrap() < s["lastPurchase"].as_str().unwrap());
    // Aliases read the same figures.
    let record = app.registry_record(&id).await;
    let short = record["shortId"].as_str().unwrap();
    assert_eq!(summary(&app, short).await["totalPurchases"], 3);
}

#[tokio::test]
async fn activity_counts_the_two_ninety_day_windows_and_the_last_year() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    // Whole UTC days: 0..=89 days back is the last window, 90..=179 the one before.
    for (order, days) in [
        ("W-1", 10),
        ("W-2", 100),
        ("W-3", 120),
        ("W-4", 200),
        ("W-5", 89),
        ("W-6", 90),
        ("W-7", 180),
    ] {
        let body = purchase(order, 25.0, "books", days);
        assert_eq!(post_purchase(&app, &id, &body).await.status(), 201);
    }
    // A refunded purchase leaves its window.
    let mut refund = purchase("W-8", 25.0, "books", 5);
    assert_eq!(post_purchase(&app, &id, &refund).await.status(), 201);
    refund["status"] = json!("refunded");
    assert_eq!(post_purchase(&app, &id, &refund).await.status(), 201);
    let res = app
        .client
        .get(url(&app, &format!("/{id}/activity")))
        .bearer_auth(service(&app))
        .send()
        .await
        .unwrap();
    let a: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(a["purchasesLast90Days"], 2);
    assert_eq!(a["purchasesPrevious90Days"], 3);
    assert_eq!(a["totalPurchases"], 7);
    assert!(a["lastPurchase"].is_string());
    assert_eq!(a["customerId"], id.as_str());
}

#[tokio::test]
async fn milestones_are_the_first_and_tenth_completed_purchases() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let milestones = |app: &cid_testkit::TestApp, id: String| {
        let req = app
            .client
            .get(url(app, &format!("/{id}/milestones")))
            .bearer_auth(app.token(&id, &[cid_common::Role::Customer]));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap()["data"].clone() }
    };
    assert_eq!(milestones(&app, id.clone()).await["milestones"], json!([]));
    // Eleven purchases, one a day, oldest first; the third is refunded, so the tenth
    // completed purchase is the eleventh posted.
    let bodies: Vec<Value> = (0..11)
        .map(|i| purchase(&format!("M-{i}"), 10.0, "books", 20 - i))
        .collect();
    for body in &bodies {
        assert_eq!(post_purchase(&app, &id, body).await.status(), 201);
    }
    let mut refund = bodies[2].clone();
    refund["status"] = json!("refunded");
    assert_eq!(post_purchase(&app, &id, &refund).await.status(), 201);
    let got = milestones(&app, id.clone()).await;
    let reached: Vec<(String, String)> = got["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["milestone"].as_str().unwrap().to_owned(),
                m["reachedAt"].as_str().unwrap()[..10].to_owned(),
            )
        })
        .collect();
    let day = |b: &Value| b["purchasedAt"].as_str().unwrap()[..10].to_owned();
    assert_eq!(
        reached,
        vec![
            ("first_purchase".to_owned(), day(&bodies[0])),
            ("tenth_purchase".to_owned(), day(&bodies[10])),
        ]
    );
}
