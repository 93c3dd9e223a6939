//! Budgets and per-customer limits hold exactly under concurrent applies.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn two_hundred_concurrent_applies_against_a_budget_of_fifty_give_exactly_fifty() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let id = create(
        &app,
        json!({"discountType": "fixed", "value": 5, "perCustomerLimit": 1000,
            "budget": {"redemptions": 50}}),
    )
    .await;
    let body = json!({"offerId": id, "orderAmount": 100});
    let statuses: Vec<u16> = join_all(
        (0..200).map(|_| async { apply(&app, &customer, body.clone()).await.status().as_u16() }),
    )
    .await;
    let ok = statuses.iter().filter(|s| **s == 201).count();
    let spent = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((ok, spent), (50, 150), "{statuses:?}");
    let entry = catalog_entry(&app, &id).await;
    assert_eq!(entry["budget"]["usedRedemptions"], 50);
    assert_eq!(entry["budget"]["usedAmount"], 250.0);
    assert_eq!(entry["status"], "exhausted");
}

#[tokio::test]
async fn concurrent_applies_of_one_customer_stop_at_the_per_customer_limit() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let id = create(&app, json!({"perCustomerLimit": 3})).await;
    let body = json!({"offerId": id, "orderAmount": 100});
    let answers: Vec<(u16, Value)> = join_all((0..30).map(|_| async {
        let res = apply(&app, &customer, body.clone()).await;
        let status = res.status().as_u16();
        (status, res.json::<Value>().await.unwrap())
    }))
    .await;
    let ok = answers.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(ok, 3);
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s != 201)
            .all(|(s, b)| *s == 409 && b["code"] == "OFFER_LIMIT_REACHED"),
        "{answers:?}"
    );
}

#[tokio::test]
async fn concurrent_rollbacks_of_one_redemption_give_back_once() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let id = create(
        &app,
        json!({"discountType": "fixed", "value": 5, "budget": {"redemptions": 1}}),
    )
    .await;
    let res = apply(&app, &customer, json!({"offerId": id, "orderAmount": 100})).await;
    let r: Value = res.json().await.unwrap();
    let redemption = r["data"]["redemptionId"].as_str().unwrap().to_owned();
    let statuses: Vec<u16> = join_all((0..20).map(|_| async {
        rollback(&app, &customer, &redemption, None)
            .await
            .status()
            .as_u16()
    }))
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let entry = catalog_entry(&app, &id).await;
    assert_eq!(
        (
            entry["budget"]["usedRedemptions"].clone(),
            entry["budget"]["usedAmount"].clone()
        ),
        (json!(0), json!(0.0))
    );
}
