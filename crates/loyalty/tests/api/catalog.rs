use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn tiers_all_lists_four_tiers_without_a_token_in_the_requested_language() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/customer-id/loyalty/tiers/all"))
        .header("Accept-Language", "ar-SA, en;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-language"], "ar");
    let body: Value = res.json().await.unwrap();
    let tiers = body["data"].as_array().unwrap();
    let names: Vec<_> = tiers.iter().map(|t| t["tier"].as_str().unwrap()).collect();
    assert_eq!(names, ["bronze", "silver", "gold", "platinum"]);
    assert_eq!(tiers[1]["name"], "فضي");
    assert_eq!(tiers[1]["minPoints"], 1001);
    assert_eq!(tiers[1]["maxPoints"], 5000);
    assert_eq!(tiers[3]["maxPoints"], Value::Null);
    assert_eq!(tiers[3]["discountPercent"], 20);
}

#[tokio::test]
async fn tier_benefits_are_case_insensitive_and_unknown_tiers_are_404() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/customer-id/loyalty/tier/GoLd/benefits"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["tier"], "gold");
    assert_eq!(body["data"]["benefits"][0], "VIP support");
    let res = app
        .client
        .get(app.url("/api/customer-id/loyalty/tier/diamond/benefits"))
        .header("Accept-Language", "ar")
        .send()
        .await
        .unwrap();
    let p = cid_testkit::problem(res, 404, "TIER_NOT_FOUND").await;
    assert!(p["detail"].as_str().unwrap().contains("diamond"));
    assert!(p["detail"].as_str().unwrap().contains("مستوى"));
}

#[tokio::test]
async fn earn_methods_list_the_rates_that_earning_applies() {
    let app = spawn_app().await;
    let c_review = app.register_customer().await;
    let res = app
        .client
        .get(app.url("/api/customer-id/loyalty/earn/methods"))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let rate = |m: &str| {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["method"] == m)
            .unwrap()["points"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (
            rate("shopping"),
            rate("referral"),
            rate("review"),
            rate("birthday")
        ),
        (1, 100, 50, 500)
    );
    // The review rate really applies when a review is credited without an amount.
    let res = earn(&app, &c_review, serde_json::json!({"type": "review"})).await;
    let moved: Value = res.json().await.unwrap();
    assert_eq!(moved["data"]["entry"]["points"], 50);
}

#[tokio::test]
async fn literal_routes_are_not_captured_by_the_customer_route() {
    let app = spawn_app().await;
    for path in ["tiers/all", "earn/methods"] {
        let res = app
            .client
            .get(app.url(&format!("/api/customer-id/loyalty/{path}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path} must answer without a token");
        let body: Value = res.json().await.unwrap();
        assert!(body["data"].is_array(), "{path}");
    }
}

#[tokio::test]
async fn health_ready_metrics_and_openapi_answer() {
    let app = spawn_app().await;
    for path in ["/health", "/ready"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let _ = app
        .client
        .get(app.url("/api/customer-id/loyalty/tiers/all"))
        .send()
        .await
        .unwrap();
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("cid_http_requests_total"), "{metrics}");
    assert!(metrics.contains("/api/customer-id/loyalty/tiers/all"));
    let doc: Value = app
        .client
        .get(app.url("/api/customer-id/loyalty/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/customer-id/loyalty/{customerId}/redeem"]["post"].is_object());
}

#[tokio::test]
async fn unknown_routes_are_problem_json_404() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/customer-id/loyalty/C1/nope"))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 404, "NOT_FOUND").await;
    let res = app
        .client
        .delete(app.url("/api/customer-id/loyalty/tiers/all"))
        .send()
        .await
        .unwrap();
    assert!(res.status() == 405 || res.status() == 404);
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], status);
}
