//! The admin catalog: what an offer is made of, what is refused, public details, edits.

use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn create_returns_the_offer_with_its_definition_and_details_show_it_publicly() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let res = create_raw(
        &app,
        &offer(
            json!({"category": "  Books ", "value": 12.5, "minPurchase": 50,
            "targeting": {"segments": ["frequent", "vip", "frequent"], "tiers": ["gold"],
                "customerIds": [customer]},
            "perCustomerLimit": 2, "budget": {"redemptions": 100, "amount": 5000}}),
        ),
    )
    .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(created["category"], "books");
    assert_eq!(created["discountType"], "percent");
    assert_eq!(created["value"], 12.5);
    assert_eq!(created["minPurchase"], 50.0);
    assert_eq!(created["status"], "active");
    assert_eq!(created["title"]["ar"], "خصم عشرة بالمئة على الكتب");
    assert_eq!(
        created["targeting"],
        json!({"segments": ["vip", "frequent"], "tiers": ["gold"], "customerIds": [customer]})
    );
    assert_eq!(
        created["budget"],
        json!({"redemptions": 100, "amount": 5000.0, "usedRedemptions": 0, "usedAmount": 0.0})
    );
    let id = created["offerId"].as_str().unwrap();

    let res = app
        .client
        .get(url(&app, &format!("/{id}/details")))
        .header("Accept-Language", "ar")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let details: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(details["title"], "خصم عشرة بالمئة على الكتب");
    assert_eq!(details["segments"], json!(["vip", "frequent"]));
    // The public view never names the customers an offer is for.
    assert!(details.get("targeting").is_none() && details.get("customerIds").is_none());
}

#[tokio::test]
async fn details_of_an_unknown_offer_is_a_404_and_the_literal_routes_are_never_customers() {
    let app = spawn_app().await;
    for id in [
        "00000000-0000-0000-0000-000000000000",
        "details",
        &"x".repeat(300),
    ] {
        let res = app
            .client
            .get(url(&app, &format!("/{id}/details")))
            .send()
            .await
            .unwrap();
        problem(res, 404, "OFFER_NOT_FOUND").await;
    }
    // `catalog` is the staff list, not a customer named "catalog".
    let res = app
        .client
        .get(url(&app, "/catalog"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn bad_definitions_are_400s_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let cases = [
        (json!({"value": 0}), "value"),
        (json!({"value": 101}), "value"),
        (json!({"value": 10.555}), "value"),
        (json!({"discountType": "fixed", "value": 0}), "value"),
        (json!({"discountType": "fixed", "value": -5}), "value"),
        (
            json!({"discountType": "points_multiplier", "value": 1}),
            "value",
        ),
        (
            json!({"discountType": "free_shipping", "value": 5}),
            "value",
        ),
        (json!({"value": null}), "value"),
        (json!({"minPurchase": -1}), "minPurchase"),
        (
            json!({"validFrom": "2026-12-10T00:00:00Z", "validUntil": "2026-12-01T00:00:00Z"}),
            "validUntil",
        ),
        (json!({"validFrom": "tomorrow"}), "validFrom"),
        (json!({"title": {"en": " ", "ar": "عرض"}}), "title.en"),
        (json!({"category": ""}), "category"),
        (json!({"perCustomerLimit": 0}), "perCustomerLimit"),
        (json!({"budget": {"redemptions": 0}}), "budget.redemptions"),
        (json!({"budget": {"amount": 0}}), "budget.amount"),
        (
            json!({"targeting": {"customerIds": ["not an id"]}}),
            "targeting.customerIds[0]",
        ),
    ];
    for (extra, field) in cases {
        let res = create_raw(&app, &offer(extra.clone())).await;
        let p = problem(res, 400, "VALIDATION_FAILED").await;
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{extra}: {p}"
        );
    }
    // Unknown names, kinds and fields are refused by the parser, naming them too.
    for extra in [
        json!({"targeting": {"segments": ["whales"]}}),
        json!({"targeting": {"tiers": ["diamond"]}}),
        json!({"discountType": "bogo"}),
        json!({"colour": "red"}),
        json!({"value": "ten"}),
    ] {
        let res = create_raw(&app, &offer(extra.clone())).await;
        assert_eq!(res.status(), 400, "{extra}");
        let p: Value = res.json().await.unwrap();
        assert!(!p["errors"].as_array().unwrap().is_empty(), "{extra}: {p}");
    }
    let res = app
        .client
        .post(url(&app, ""))
        .bearer_auth(admin(&app))
        .header("content-type", "application/json")
        .body("{\"title\":")
        .send()
        .await
        .unwrap();
    problem(res, 400, "MALFORMED_JSON").await;
    let res = app
        .client
        .get(url(&app, "/catalog"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"], json!([]));
}

#[tokio::test]
async fn an_update_replaces_the_definition_keeps_the_counters_and_is_recorded() {
    let app = spawn_app().await;
    let customer = app.register_customer().await;
    let id = create(
        &app,
        json!({"discountType": "fixed", "value": 50, "budget": {"redemptions": 5, "amount": 1000}}),
    )
    .await;
    let res = apply(&app, &customer, json!({"offerId": id, "orderAmount": 100})).await;
    assert_eq!(res.status(), 201);

    let put = |body: Value| {
        let app = &app;
        let id = id.clone();
        async move {
            app.client
                .put(url(app, &format!("/{id}")))
                .bearer_auth(admin(app))
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let next = offer(json!({"discountType": "fixed", "value": 20, "budget": {"redemptions": 3}}));
    let res = put(next.clone()).await;
    assert_eq!(res.status(), 200);
    let updated: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(updated["value"], 20.0);
    assert_eq!(updated["budget"]["usedRedemptions"], 1);
    assert_eq!(updated["budget"]["usedAmount"], 50.0);

    // A budget below what is used is refused; the same definition again records nothing.
    let res = put(offer(
        json!({"discountType": "fixed", "value": 20, "budget": {"amount": 10}}),
    ))
    .await;
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "budget.amount");
    let edits_before = edits(&app, &id).await;
    let res = put(next).await;
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .put(url(&app, "/00000000-0000-0000-0000-000000000000"))
        .bearer_auth(admin(&app))
        .json(&offer(json!({})))
        .send()
        .await
        .unwrap();
    problem(res, 404, "OFFER_NOT_FOUND").await;

    let all = edits(&app, &id).await;
    assert_eq!(
        all.len(),
        edits_before.len(),
        "an edit that changes nothing is not recorded"
    );
    let actions: Vec<_> = all
        .iter()
        .map(|e| (e["action"].clone(), e["actor"].clone(), e["roles"].clone()))
        .collect();
    assert_eq!(
        actions,
        vec![
            (
                json!("offers.offer_updated"),
                json!("admin-1"),
                json!("admin")
            ),
            (
                json!("offers.offer_created"),
                json!("admin-1"),
                json!("admin")
            ),
        ]
    );
    let update = &all[0];
    assert_eq!(update["before"]["value"], 50.0);
    assert_eq!(update["after"]["value"], 20.0);
    assert_eq!(all[1]["before"], json!(null));
    assert!(update["requestId"].as_str().is_some_and(|r| !r.is_empty()));
}

/// The offer's entries in the offers audit log, newest first.
async fn edits(app: &cid_testkit::TestApp, offer: &str) -> Vec<Value> {
    let res = app
        .client
        .get(url(app, &format!("/audit?target=offer:{offer}")))
        .bearer_auth(admin(app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}
