//! HTTP tests of the referral service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set. Payouts reaching loyalty are tested in `tests/e2e`.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

async fn spawn_app() -> TestApp {
    TestApp::spawn(cid_referral::SERVICE, cid_referral::app_spec).await
}

fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/referral{path}"))
}

async fn link(app: &TestApp, customer: &str, body: Value) -> Value {
    let res = app
        .client
        .post(url(app, &format!("/{customer}/generate-link")))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"].clone()
}

async fn track(
    app: &TestApp,
    referrer: &str,
    code: &str,
    referee: &str,
    event: &str,
) -> reqwest::Response {
    app.client
        .post(url(app, &format!("/{referrer}/track")))
        .bearer_auth(app.token("signup-service", &[Role::Service]))
        .json(&json!({"referralCode": code, "referredCustomerId": referee, "event": event}))
        .send()
        .await
        .unwrap()
}

async fn stats(app: &TestApp, customer: &str) -> Value {
    let res = app
        .client
        .get(url(app, &format!("/{customer}/stats")))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["data"].clone()
}

#[tokio::test]
async fn the_link_is_stable_until_regenerated_and_always_matches_the_code() {
    let app = spawn_app().await;
    let first = link(&app, "REF-A", json!({})).await;
    let code = first["referralCode"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert_eq!(
        first["referralLink"],
        format!("https://marketplace.example/ref/{code}")
    );
    assert_eq!(
        link(&app, "REF-A", json!({})).await["referralCode"],
        code.as_str()
    );
    let fresh = link(&app, "REF-A", json!({"regenerate": true})).await;
    let new_code = fresh["referralCode"].as_str().unwrap();
    assert_ne!(new_code, code);
    assert_eq!(
        fresh["referralLink"],
        format!("https://marketplace.example/ref/{new_code}")
    );
    // The retired code no longer tracks.
    let res = track(&app, "REF-A", &code, "NEW-1", "signup").await;
    cid_testkit::problem(res, 404, "REFERRAL_CODE_NOT_FOUND").await;
    let res = app
        .client
        .post(url(&app, "/REF-A/generate-link"))
        .bearer_auth(app.token("REF-B", &[Role::Customer]))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn tracking_follows_signup_then_first_purchase_and_counts_exactly() {
    let app = spawn_app().await;
    let code = link(&app, "REF-C", json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = track(&app, "REF-C", &code, "NEW-2", "signup").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["status"],
        "pending"
    );
    track(&app, "REF-C", &code, "NEW-3", "signup").await;
    let s = stats(&app, "REF-C").await;
    assert_eq!(
        (
            s["totalReferrals"].clone(),
            s["pendingReferrals"].clone(),
            s["successfulReferrals"].clone()
        ),
        (json!(2), json!(2), json!(0))
    );
    assert_eq!(s["conversionRate"], 0.0);

    let done = track(&app, "REF-C", &code, "NEW-2", "first_purchase").await;
    let d: Value = done.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (
            d["status"].clone(),
            d["referrerPoints"].clone(),
            d["refereePoints"].clone()
        ),
        (json!("completed"), json!(100), json!(50))
    );
    let again = track(&app, "REF-C", &code, "NEW-2", "first_purchase").await;
    cid_testkit::problem(again, 409, "REFERRAL_COMPLETED").await;

    let s = stats(&app, "REF-C").await;
    assert_eq!(
        (
            s["totalReferrals"].clone(),
            s["successfulReferrals"].clone(),
            s["pendingReferrals"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );
    assert_eq!(
        (s["conversionRate"].clone(), s["totalRewards"].clone()),
        (json!(50.0), json!(100))
    );
    assert!(s["lastReferral"].is_string());
    let r: Value = app
        .client
        .get(url(&app, "/REF-C/rewards"))
        .bearer_auth(app.token("REF-C", &[Role::Customer]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["data"],
        json!({"totalRewards": 100, "completedRewards": 1, "pendingRewards": 1, "totalReferred": 2})
    );
    let h: Value = app
        .client
        .get(url(&app, "/REF-C/history?limit=1"))
        .bearer_auth(app.token("REF-C", &[Role::Customer]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["data"].as_array().unwrap().len(), 1);
    assert!(h["page"]["nextCursor"].is_string());
}

#[tokio::test]
async fn self_double_and_unknown_referrals_are_refused() {
    let app = spawn_app().await;
    let a = link(&app, "REF-D", json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = link(&app, "REF-E", json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    cid_testkit::problem(
        track(&app, "REF-D", &a, "REF-D", "signup").await,
        422,
        "SELF_REFERRAL",
    )
    .await;
    assert_eq!(
        track(&app, "REF-D", &a, "NEW-4", "signup").await.status(),
        200
    );
    cid_testkit::problem(
        track(&app, "REF-E", &b, "NEW-4", "signup").await,
        409,
        "ALREADY_REFERRED",
    )
    .await;
    cid_testkit::problem(
        track(&app, "REF-E", "ZZZZZZZZ", "NEW-5", "signup").await,
        404,
        "REFERRAL_CODE_NOT_FOUND",
    )
    .await;
    // Someone else's code under this referrer's path is unknown to this referrer.
    cid_testkit::problem(
        track(&app, "REF-E", &a, "NEW-6", "signup").await,
        404,
        "REFERRAL_CODE_NOT_FOUND",
    )
    .await;
    assert_eq!(stats(&app, "REF-E").await["totalReferrals"], 0);
    let res = track(&app, "REF-D", &a, "bad id!", "signup").await;
    let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "referredCustomerId");
}

#[tokio::test]
async fn only_service_and_admin_track_and_customers_see_only_their_own() {
    let app = spawn_app().await;
    let code = link(&app, "REF-F", json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app.client.post(url(&app, "/REF-F/track")).bearer_auth(app.token("REF-F", &[Role::Customer]))
        .json(&json!({"referralCode": code, "referredCustomerId": "NEW-7", "event": "first_purchase"})).send().await.unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    for path in ["stats", "rewards", "history"] {
        let res = app
            .client
            .get(url(&app, &format!("/REF-F/{path}")))
            .bearer_auth(app.token("REF-G", &[Role::Customer]))
            .send()
            .await
            .unwrap();
        cid_testkit::problem(res, 403, "FORBIDDEN").await;
    }
}

#[test]
fn both_backends_have_the_same_migration_folders() {
    cid_testkit::migrations::assert_same_folders(env!("CARGO_MANIFEST_DIR"));
}

#[test]
fn migrations_go_up_down_and_up_again() {
    cid_testkit::migrations::assert_up_down_up("referral", &cid_referral::MIGRATIONS);
}

#[tokio::test]
async fn a_referral_code_with_a_nul_is_a_400_naming_it_not_a_server_error() {
    let app = spawn_app().await;
    let res = track(&app, "CID-1", "AB\u{0}CDEFG", "CID-2", "signup").await;
    let body = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["field"], "referralCode");
    // A JSON array where the object belongs never regenerates a code.
    let first = link(&app, "CID-1", json!({})).await;
    let res = app
        .client
        .post(url(&app, "/CID-1/generate-link"))
        .bearer_auth(app.token("CID-1", &[Role::Customer]))
        .header("content-type", "application/json")
        .body("[true]")
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(link(&app, "CID-1", json!({})).await["code"], first["code"]);
}
