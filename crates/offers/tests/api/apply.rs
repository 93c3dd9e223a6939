//! Applying offers: real savings per kind, the rules that refuse, points credited once.

use cid_common::Role;
use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

async fn saved(app: &cid_testkit::TestApp, customer: &str, offer: &str, order: Value) -> Value {
    let res = apply(
        app,
        customer,
        json!({"offerId": offer, "orderAmount": order}),
    )
    .await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"].clone()
}

#[tokio::test]
async fn each_kind_saves_what_its_formula_says() {
    let app = spawn_app_with(json!({"facts_cache_secs": 0, "shipping_fee_sar": 19.5})).await;
    let customer = app.register_customer().await;
    let percent = create(&app, json!({"value": 12.5})).await;
    let r = saved(&app, &customer, &percent, json!(199.99)).await;
    // 12.5 % of 199.99 = 24.99875, rounded half up to the halala.
    assert_eq!(
        (r["savings"].clone(), r["currency"].clone()),
        (json!(25.0), json!("SAR"))
    );
    assert_eq!(r["status"], "applied");
    assert_eq!(r["orderAmount"], 199.99);

    let fixed = create(
        &app,
        json!({"discountType": "fixed", "value": 50, "perCustomerLimit": 2}),
    )
    .await;
    assert_eq!(
        saved(&app, &customer, &fixed, json!(30)).await["savings"],
        30.0
    );
    assert_eq!(
        saved(&app, &customer, &fixed, json!(80)).await["savings"],
        50.0
    );

    let shipping = create(
        &app,
        json!({"discountType": "free_shipping", "value": null}),
    )
    .await;
    let res = apply(&app, &customer, json!({"offerId": shipping})).await;
    assert_eq!(res.status(), 201);
    let r: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (r["savings"].clone(), r["orderAmount"].clone()),
        (json!(19.5), json!(null))
    );
}

#[tokio::test]
async fn a_points_multiplier_credits_the_extra_points_once_even_when_retried() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let double = create(
        &app,
        json!({"discountType": "points_multiplier", "value": 2}),
    )
    .await;
    let body = json!({"offerId": double, "orderAmount": 150.99});
    let send = || {
        app.client
            .post(url(&app, &format!("/{customer}/apply")))
            .bearer_auth(service(&app))
            .header("Idempotency-Key", "checkout-42")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["data"]["extraPoints"], 150);
    assert_eq!(first["data"]["savings"], 0.0);
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotency-replay"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["data"]["redemptionId"], first["data"]["redemptionId"]);
    wait_for_balance(&app, &customer, 150).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(balance(&app, &customer).await, 150);
    let events = app.db.emitted();
    assert_eq!(events.len(), 1, "a replay is not another redemption");
    assert_eq!(events[0]["type"], "offers.offer_redeemed");
    assert_eq!(
        events[0]["data"]["redemptionId"],
        first["data"]["redemptionId"]
    );
}

#[tokio::test]
async fn the_rules_refuse_with_their_codes_and_nothing_is_used() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let res = apply(
        &app,
        &customer,
        json!({"offerId": "00000000-0000-0000-0000-000000000000", "orderAmount": 10}),
    )
    .await;
    problem(res, 404, "OFFER_NOT_FOUND").await;

    let day = |d: i64| (chrono::Utc::now() + chrono::Duration::days(d)).to_rfc3339();
    let expired = create(&app, json!({"validFrom": day(-9), "validUntil": day(-1)})).await;
    let res = apply(
        &app,
        &customer,
        json!({"offerId": expired, "orderAmount": 10}),
    )
    .await;
    problem(res, 422, "OFFER_NOT_ACTIVE").await;
    let later = create(&app, json!({"validFrom": day(1), "validUntil": day(9)})).await;
    let res = apply(
        &app,
        &customer,
        json!({"offerId": later, "orderAmount": 10}),
    )
    .await;
    problem(res, 422, "OFFER_NOT_ACTIVE").await;

    let minimum = create(
        &app,
        json!({"discountType": "fixed", "value": 20, "minPurchase": 100}),
    )
    .await;
    for order in [json!(99.99), json!(null)] {
        let res = apply(
            &app,
            &customer,
            json!({"offerId": minimum, "orderAmount": order}),
        )
        .await;
        let p = problem(res, 422, "BELOW_MIN_PURCHASE").await;
        assert!(p["detail"].as_str().unwrap().contains("100.00"), "{p}");
    }
    assert_eq!(
        saved(&app, &customer, &minimum, json!(100)).await["savings"],
        20.0
    );
    let res = apply(
        &app,
        &customer,
        json!({"offerId": minimum, "orderAmount": 500}),
    )
    .await;
    problem(res, 409, "OFFER_LIMIT_REACHED").await;

    let percent = create(&app, json!({})).await;
    let res = apply(&app, &customer, json!({"offerId": percent})).await;
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "orderAmount");
    for bad in [
        json!({"offerId": percent, "orderAmount": 0}),
        json!({"offerId": percent, "orderAmount": -5}),
        json!({"offerId": percent, "orderAmount": 1e12}),
        json!({"offerId": percent, "orderAmount": 1.001}),
        json!({"offerId": percent, "orderAmount": "10"}),
        json!({"offerId": "", "orderAmount": 10}),
        json!({"offerId": percent, "orderAmount": 10, "coupon": "x"}),
        json!({"orderAmount": 10}),
    ] {
        let res = apply(&app, &customer, bad.clone()).await;
        assert_eq!(res.status(), 400, "{bad}");
    }
    let entry = catalog_entry(&app, &percent).await;
    assert_eq!(entry["budget"]["usedRedemptions"], 0);

    let budget = create(
        &app,
        json!({"discountType": "fixed", "value": 30, "budget": {"amount": 50}}),
    )
    .await;
    let other = app.register_customer().await;
    assert_eq!(
        saved(&app, &other, &budget, json!(100)).await["savings"],
        30.0
    );
    let res = apply(
        &app,
        &customer,
        json!({"offerId": budget, "orderAmount": 100}),
    )
    .await;
    problem(res, 409, "OFFER_BUDGET_SPENT").await;
}

#[tokio::test]
async fn customers_apply_to_their_own_orders_and_deactivated_ones_cannot() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let id = create(&app, json!({"perCustomerLimit": 5})).await;
    let res = app
        .client
        .post(url(&app, &format!("/{customer}/apply")))
        .bearer_auth(app.token(&customer, &[Role::Customer]))
        .json(&json!({"offerId": id, "orderAmount": 40}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["data"]["customerId"], customer);
    assert_eq!(r["data"]["savings"], 4.0);

    app.deactivate_customer(&customer).await;
    let res = apply(&app, &customer, json!({"offerId": id, "orderAmount": 40})).await;
    problem(res, 409, "CUSTOMER_INACTIVE").await;
    let res = apply(
        &app,
        "CID-2026-999999",
        json!({"offerId": id, "orderAmount": 40}),
    )
    .await;
    problem(res, 404, "CUSTOMER_NOT_FOUND").await;
}

#[tokio::test]
async fn history_pages_the_customers_redemptions_newest_first() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let id = create(&app, json!({"perCustomerLimit": 5})).await;
    let mut made = Vec::new();
    for order in [10, 20, 30] {
        made.push(saved(&app, &customer, &id, json!(order)).await["redemptionId"].clone());
    }
    let page = |cursor: Option<String>| {
        let app = &app;
        let customer = customer.clone();
        async move {
            let q = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
            let res = app
                .client
                .get(url(app, &format!("/{customer}/history?limit=2{q}")))
                .bearer_auth(app.token(&customer, &[Role::Customer]))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let first = page(None).await;
    let ids: Vec<_> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["redemptionId"].clone())
        .collect();
    assert_eq!(ids, vec![made[2].clone(), made[1].clone()]);
    let cursor = first["page"]["nextCursor"].as_str().unwrap().to_owned();
    let second = page(Some(cursor)).await;
    assert_eq!(second["data"][0]["redemptionId"], made[0]);
    assert_eq!(second["page"]["nextCursor"], json!(null));
    let res = app
        .client
        .get(url(&app, &format!("/{customer}/history?limit=0")))
        .bearer_auth(service(&app))
        .send()
        .await
        .unwrap();
    problem(res, 400, "VALIDATION_FAILED").await;
}
