//! Who sees which offer: targets by segment, tier and name, windows, uses left, ranking, and
//! what happens when a source of facts is down.

use chrono::{Duration, Utc};
use cid_testkit::problem;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_offer_for_frequent_customers_appears_after_the_tenth_purchase() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let everyone = create(&app, json!({})).await;
    let frequent = create(&app, json!({"targeting": {"segments": ["frequent"]}})).await;
    let list = listed(&app, &customer).await;
    assert_eq!(list["segment"], "occasional");
    assert_eq!(
        list["tier"],
        json!(null),
        "no offer targets tiers, so loyalty is not asked"
    );
    assert_eq!(list["unavailable"], json!([]));
    assert_eq!(listed_ids(&app, &customer).await, vec![everyone.clone()]);

    buy(&app, &customer, 10, 20.0, "books").await;
    let list = listed(&app, &customer).await;
    assert_eq!(list["segment"], "frequent");
    let mut ids = listed_ids(&app, &customer).await;
    ids.sort();
    let mut want = vec![everyone, frequent];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(list["offers"][0]["usesLeft"], 1);
}

#[tokio::test]
async fn tiers_and_named_customers_target_and_every_given_list_must_match() {
    let app = spawn_app().await;
    let (gold, bronze) = (app.register_customer().await, app.register_customer().await);
    earn(&app, &gold, 6000).await;
    let for_gold = create(&app, json!({"targeting": {"tiers": ["gold", "platinum"]}})).await;
    let for_bronze_by_name = create(
        &app,
        json!({"targeting": {"customerIds": [bronze], "tiers": ["bronze"]}}),
    )
    .await;
    let gold_list = listed(&app, &gold).await;
    assert_eq!(gold_list["tier"], "gold");
    assert_eq!(listed_ids(&app, &gold).await, vec![for_gold.clone()]);
    assert_eq!(
        listed_ids(&app, &bronze).await,
        vec![for_bronze_by_name.clone()]
    );

    // Applying what one is not targeted by is a 422; the ones targeted apply.
    let res = apply(
        &app,
        &bronze,
        json!({"offerId": for_gold, "orderAmount": 100}),
    )
    .await;
    problem(res, 422, "OFFER_NOT_ELIGIBLE").await;
    let res = apply(
        &app,
        &gold,
        json!({"offerId": for_bronze_by_name, "orderAmount": 100}),
    )
    .await;
    problem(res, 422, "OFFER_NOT_ELIGIBLE").await;
    let res = apply(
        &app,
        &gold,
        json!({"offerId": for_gold, "orderAmount": 100}),
    )
    .await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn only_open_offers_with_uses_and_budget_left_are_listed() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let day = |d: i64| (Utc::now() + Duration::days(d)).to_rfc3339();
    create(&app, json!({"validFrom": day(1), "validUntil": day(5)})).await;
    create(&app, json!({"validFrom": day(-5), "validUntil": day(-1)})).await;
    let twice = create(&app, json!({"perCustomerLimit": 2})).await;
    assert_eq!(listed_ids(&app, &customer).await, vec![twice.clone()]);
    for left in [1, 0] {
        let res = apply(
            &app,
            &customer,
            json!({"offerId": twice, "orderAmount": 10}),
        )
        .await;
        assert_eq!(res.status(), 201);
        let list = listed(&app, &customer).await;
        match left {
            0 => assert_eq!(list["offers"], json!([])),
            n => assert_eq!(list["offers"][0]["usesLeft"], n),
        }
    }
    let spent = create(&app, json!({"budget": {"redemptions": 1}})).await;
    let other = app.register_customer().await;
    let res = apply(&app, &other, json!({"offerId": spent, "orderAmount": 10})).await;
    assert_eq!(res.status(), 201);
    assert!(!listed_ids(&app, &customer).await.contains(&spent));
}

#[tokio::test]
async fn the_favourite_category_ranks_first_then_the_soonest_end() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    buy(&app, &customer, 2, 300.0, "electronics").await;
    buy(&app, &customer, 1, 20.0, "books").await;
    let day = |d: i64| (Utc::now() + Duration::days(d)).to_rfc3339();
    let books_soon = create(&app, json!({"category": "books", "validUntil": day(3)})).await;
    let books_late = create(&app, json!({"category": "books", "validUntil": day(20)})).await;
    let gadgets_late = create(
        &app,
        json!({"category": "Electronics", "validUntil": day(25)}),
    )
    .await;
    let gadgets_soon = create(
        &app,
        json!({"category": "electronics", "validUntil": day(10)}),
    )
    .await;
    let list = listed(&app, &customer).await;
    assert_eq!(list["favoriteCategory"], "electronics");
    assert_eq!(
        listed_ids(&app, &customer).await,
        vec![gadgets_soon.clone(), gadgets_late, books_soon, books_late]
    );
    assert_eq!(list["offers"][0]["favorite"], true);
    assert_eq!(list["offers"][2]["favorite"], false);
}

#[tokio::test]
async fn with_segmentation_down_only_offers_not_targeting_segments_are_listed() {
    let mut app = spawn_app().await;
    let customer = app.register_customer().await;
    let everyone = create(&app, json!({})).await;
    let gold = create(&app, json!({"targeting": {"tiers": ["bronze"]}})).await;
    let occasional = create(&app, json!({"targeting": {"segments": ["occasional"]}})).await;
    let mut all = listed_ids(&app, &customer).await;
    all.sort();
    let mut want = vec![everyone.clone(), gold.clone(), occasional.clone()];
    want.sort();
    assert_eq!(all, want);

    app.peer_mut("segmentation").stop().await;
    let list = listed(&app, &customer).await;
    assert_eq!(list["unavailable"], json!(["segmentation"]));
    assert_eq!(list["segment"], json!(null));
    let mut ids = listed_ids(&app, &customer).await;
    ids.sort();
    let mut want = vec![everyone, gold];
    want.sort();
    assert_eq!(ids, want);
    // Applying an offer whose targeting cannot be decided is a 503, never a guess.
    let res = apply(
        &app,
        &customer,
        json!({"offerId": occasional, "orderAmount": 10}),
    )
    .await;
    let p = problem(res, 503, "SERVICE_UNAVAILABLE").await;
    assert!(
        p["detail"].as_str().unwrap().contains("segmentation"),
        "{p}"
    );
}

#[tokio::test]
async fn with_analytics_down_segments_are_stale_and_offers_are_still_listed() {
    let mut app = spawn_app().await;
    let customer = app.register_customer().await;
    let occasional = create(&app, json!({"targeting": {"segments": ["occasional"]}})).await;
    assert_eq!(listed_ids(&app, &customer).await, vec![occasional.clone()]);
    app.peer_mut("analytics").stop().await;
    let list = listed(&app, &customer).await;
    assert_eq!(list["unavailable"], json!(["analytics"]));
    assert_eq!(list["segmentStale"], true);
    assert_eq!(listed_ids(&app, &customer).await, vec![occasional]);
}

#[tokio::test]
async fn a_customer_the_registry_never_issued_is_a_404() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(url(&app, "/CID-2026-999999"))
        .bearer_auth(service(&app))
        .send()
        .await
        .unwrap();
    problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    let res = app
        .client
        .get(url(&app, "/not%20an%20id"))
        .bearer_auth(service(&app))
        .send()
        .await
        .unwrap();
    problem(res, 400, "VALIDATION_FAILED").await;
}

#[tokio::test]
async fn cached_facts_serve_the_list_and_an_apply_they_refuse_asks_again() {
    let app = spawn_app_with(json!({"facts_cache_secs": 60})).await;
    let customer = app.register_customer().await;
    let frequent = create(&app, json!({"targeting": {"segments": ["frequent"]}})).await;
    assert_eq!(listed(&app, &customer).await["segment"], "occasional");
    buy(&app, &customer, 10, 20.0, "books").await;
    // The list reuses the segment it was told a moment ago...
    let list = listed(&app, &customer).await;
    assert_eq!(
        (list["segment"].clone(), list["offers"].clone()),
        (json!("occasional"), json!([]))
    );
    // ...but an apply is never refused on a cached fact.
    let res = apply(
        &app,
        &customer,
        json!({"offerId": frequent, "orderAmount": 10}),
    )
    .await;
    assert_eq!(res.status(), 201);
}
