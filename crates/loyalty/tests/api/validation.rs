use serde_json::Value;

use crate::helpers::*;

async fn post_raw(
    app: &cid_testkit::TestApp,
    path: &str,
    body: &str,
    lang: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(admin(app))
        .header("Content-Type", "application/json")
        .header("Accept-Language", lang)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn bad_earn_bodies_are_400_naming_the_field_in_english_and_arabic() {
    let app = spawn_app().await;
    let c1 = app.register_customer().await;
    let cases = [
        (r#"{"reason": "x"}"#, "points"),
        (r#"{"points": 0, "reason": "x"}"#, "points"),
        (r#"{"points": -5, "reason": "x"}"#, "points"),
        (r#"{"points": 1.5, "reason": "x"}"#, "points"),
        (r#"{"points": 1000001, "reason": "x"}"#, "points"),
        (r#"{"points": "ten", "reason": "x"}"#, "points"),
        (r#"{"points": 10}"#, "reason"),
        (r#"{"points": 10, "reason": "x", "bonus": true}"#, "bonus"),
        (r#"{"points": 10, "reason": "x", "type": "gift"}"#, "type"),
        (r#"{"purchaseAmount": 10.123}"#, "purchaseAmount"),
        (r#"{"purchaseAmount": -1}"#, "purchaseAmount"),
    ];
    for (body, field) in cases {
        for lang in ["en", "ar"] {
            let path = format!("/api/customer-id/loyalty/{c1}/points");
            let res = post_raw(&app, &path, body, lang).await;
            assert_eq!(res.headers()["content-language"], lang);
            let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
            let errors = p["errors"].as_array().unwrap();
            assert!(errors.iter().any(|e| e["field"] == field), "{body} -> {p}");
            let message = errors[0]["message"].as_str().unwrap();
            let arabic = message
                .chars()
                .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
            assert_eq!(arabic, lang == "ar", "{body} {lang}: {message}");
        }
    }
    assert_eq!(
        account(&app, &c1).await["data"]["points"],
        0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn malformed_json_oversized_bodies_and_wrong_media_types_are_4xx() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        "/api/customer-id/loyalty/C1/points",
        r#"{"points": 1,"#,
        "en",
    )
    .await;
    cid_testkit::problem(res, 400, "MALFORMED_JSON").await;
    let huge = format!(r#"{{"points": 1, "reason": "{}"}}"#, "x".repeat(100 * 1024));
    let res = post_raw(&app, "/api/customer-id/loyalty/C1/points", &huge, "en").await;
    cid_testkit::problem(res, 413, "PAYLOAD_TOO_LARGE").await;
    let res = app
        .client
        .post(app.url("/api/customer-id/loyalty/C1/points"))
        .bearer_auth(admin(&app))
        .header("Content-Type", "text/plain")
        .body("points=1")
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 415, "UNSUPPORTED_MEDIA_TYPE").await;
}

#[tokio::test]
async fn bad_redeem_and_reversal_bodies_name_their_fields() {
    let app = spawn_app().await;
    let cases = [
        ("redeem", r#"{"points": 10}"#, "rewardId"),
        ("redeem", r#"{"points": 0, "rewardId": "r"}"#, "points"),
        ("redeem", r#"{"points": 10, "rewardId": ""}"#, "rewardId"),
        ("reversal", r#"{"reason": "x"}"#, "orderId"),
        (
            "reversal",
            r#"{"orderId": "o", "entryId": 1, "reason": "x"}"#,
            "orderId",
        ),
        ("reversal", r#"{"orderId": "o"}"#, "reason"),
    ];
    for (route, body, field) in cases {
        let res = post_raw(
            &app,
            &format!("/api/customer-id/loyalty/C1/{route}"),
            body,
            "en",
        )
        .await;
        let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], field, "{route} {body}");
    }
}

#[tokio::test]
async fn bad_customer_ids_are_400() {
    let app = spawn_app().await;
    let long = "a".repeat(65);
    for bad in ["-abc", "a%20b", "ab%2Fc", long.as_str()] {
        let res = app
            .client
            .get(app.url(&format!("/api/customer-id/loyalty/{bad}")))
            .bearer_auth(admin(&app))
            .send()
            .await
            .unwrap();
        let p: Value = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], "customerId", "{bad}");
    }
}
