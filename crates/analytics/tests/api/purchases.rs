//! Recording purchases: once per order, replays and refunds, and what is refused.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_purchase_is_recorded_once_and_the_same_order_again_is_a_replay() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let body = purchase("ORD-1", 123.45, "Books", 3);
    let res = post_purchase(&app, &id, &body).await;
    assert_eq!(res.status(), 201);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["data"]["amount"], 123.45);
    assert_eq!(first["data"]["status"], "completed");
    assert_eq!(first["data"]["replayed"], false);
    let again: Value = post_purchase(&app, &id, &body).await.json().await.unwrap();
    assert_eq!(again["data"]["replayed"], true, "{again}");
    assert_eq!(summary(&app, &id).await["totalPurchases"], 1);
    // The same order with other details is refused, not a second purchase.
    let other = purchase("ORD-1", 99.0, "Books", 3);
    let res = post_purchase(&app, &id, &other).await;
    cid_testkit::problem(res, 409, "PURCHASE_CONFLICT").await;
    assert_eq!(summary(&app, &id).await["totalSpent"], 123.45);
}

#[tokio::test]
async fn a_refund_turns_the_purchase_into_one_every_figure_leaves_out_once() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let keep = purchase("ORD-A", 100.0, "books", 10);
    let refund = purchase("ORD-B", 50.0, "games", 2);
    assert_eq!(post_purchase(&app, &id, &keep).await.status(), 201);
    assert_eq!(post_purchase(&app, &id, &refund).await.status(), 201);
    let mut refunded = refund.clone();
    refunded["status"] = json!("refunded");
    let res: Value = post_purchase(&app, &id, &refunded)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(res["data"]["status"], "refunded");
    assert!(res["data"]["refundedAt"].is_string());
    let again: Value = post_purchase(&app, &id, &refunded)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["data"]["replayed"], true);
    // Replays change nothing, so emit nothing.
    assert_eq!(
        app.db.emitted_types(),
        [
            "analytics.purchase_recorded",
            "analytics.purchase_recorded",
            "analytics.purchase_refunded"
        ]
    );
    assert_eq!(app.db.emitted()[2]["data"]["orderId"], "ORD-B");
    let s = summary(&app, &id).await;
    assert_eq!(
        (s["totalPurchases"].clone(), s["totalSpent"].clone()),
        (json!(1), json!(100.0))
    );
    assert_eq!(s["favoriteCategory"], "books");
    assert_eq!(
        s["lastPurchase"], s["firstPurchase"],
        "the refunded one is not the last"
    );
    // A refund of an order never recorded.
    let mut ghost = purchase("ORD-X", 5.0, "books", 1);
    ghost["status"] = json!("refunded");
    cid_testkit::problem(
        post_purchase(&app, &id, &ghost).await,
        404,
        "PURCHASE_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn bad_purchases_are_refused_naming_the_field_and_store_nothing() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let future = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    for (body, field) in [
        (
            json!({"orderId": "o", "amount": 0, "currency": "SAR", "category": "x", "purchasedAt": days_ago(1)}),
            "amount",
        ),
        (
            json!({"orderId": "o", "amount": -5, "currency": "SAR", "category": "x", "purchasedAt": days_ago(1)}),
            "amount",
        ),
        (
            json!({"orderId": "o", "amount": 1.234, "currency": "SAR", "category": "x", "purchasedAt": days_ago(1)}),
            "amount",
        ),
        (
            json!({"orderId": "o", "amount": 1e12, "currency": "SAR", "category": "x", "purchasedAt": days_ago(1)}),
            "amount",
        ),
        (
            json!({"orderId": "o", "amount": 5, "currency": "SAR", "category": "x", "purchasedAt": future}),
            "purchasedAt",
        ),
        (
            json!({"orderId": "o", "amount": 5, "currency": "SAR", "category": "x", "purchasedAt": "yesterday"}),
            "purchasedAt",
        ),
        (
            json!({"orderId": "o", "amount": 5, "currency": "SAR", "category": " ", "purchasedAt": days_ago(1)}),
            "category",
        ),
        (
            json!({"orderId": "", "amount": 5, "currency": "SAR", "category": "x", "purchasedAt": days_ago(1)}),
            "orderId",
        ),
        (
            json!({"orderId": "o", "amount": 5, "currency": "sar", "category": "x", "purchasedAt": days_ago(1)}),
            "currency",
        ),
        (
            json!({"orderId": "o", "amount": 5, "currency": "SAR", "category": "x", "purchasedAt": days_ago(1), "status": "lost"}),
            "status",
        ),
        (
            json!({"orderId": "o", "amount": 5, "currency": "SAR", "category": "x", "purchasedAt": days_ago(1), "coupon": 1}),
            "coupon",
        ),
    ] {
        let p = cid_testkit::problem(
            post_purchase(&app, &id, &body).await,
            400,
            "VALIDATION_FAILED",
        )
        .await;
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{body} -> {p}"
        );
    }
    let usd = json!({"orderId": "o", "amount": 5, "currency": "USD", "category": "x",
        "purchasedAt": days_ago(1)});
    cid_testkit::problem(
        post_purchase(&app, &id, &usd).await,
        422,
        "UNSUPPORTED_CURRENCY",
    )
    .await;
    // Customers the registry never issued get nothing recorded.
    let ghost = post_purchase(&app, "GHOST-1", &purchase("o", 5.0, "x", 1)).await;
    cid_testkit::problem(ghost, 404, "CUSTOMER_NOT_FOUND").await;
    assert_eq!(summary(&app, &id).await["totalPurchases"], 0);
}

#[tokio::test]
async fn concurrent_posts_of_many_orders_and_of_one_order_count_exactly() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let once: Vec<Value> = (0..10)
        .map(|i| purchase(&format!("C-{i}"), 10.0, "books", 1))
        .collect();
    // Every order posted twice at the same time.
    let bodies: Vec<Value> = once.iter().chain(once.iter()).cloned().collect();
    let posts = bodies.iter().map(|b| post_purchase(&app, &id, b));
    for res in futures_util::future::join_all(posts).await {
        assert_eq!(res.status(), 201);
    }
    let s = summary(&app, &id).await;
    assert_eq!(s["totalPurchases"], 10);
    assert_eq!(s["totalSpent"], 100.0);
}

#[tokio::test]
async fn purchase_history_pages_newest_first_with_refunds_marked() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    for i in 1..=3 {
        post_purchase(
            &app,
            &id,
            &purchase(&format!("H-{i}"), 10.0 * f64::from(i), "x", 1),
        )
        .await;
    }
    // A refund names the order and its amount; its time is when the refund is posted.
    let mut refund = purchase("H-2", 20.0, "x", 0);
    refund["status"] = json!("refunded");
    post_purchase(&app, &id, &refund).await;
    let page: Value = app
        .client
        .get(url(&app, &format!("/{id}/purchase-history?limit=2")))
        .bearer_auth(service(&app))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let orders: Vec<_> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["orderId"].clone())
        .collect();
    assert_eq!(orders, vec![json!("H-3"), json!("H-2")]);
    assert_eq!(page["data"][1]["status"], "refunded");
    let cursor = page["page"]["nextCursor"].as_str().unwrap();
    let rest: Value = app
        .client
        .get(url(
            &app,
            &format!("/{id}/purchase-history?cursor={cursor}"),
        ))
        .bearer_auth(service(&app))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["data"][0]["orderId"], "H-1");
    assert!(rest["page"]["nextCursor"].is_null());
}
