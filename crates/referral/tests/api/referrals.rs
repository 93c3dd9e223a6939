//! Codes and links, signup then first purchase, counts, and what is refused.

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn the_link_is_stable_until_regenerated_and_always_matches_the_code() {
    let app = spawn_app().await;
    let ref_a = app.register_customer().await;
    let new_1 = app.register_customer().await;
    let ref_b = app.register_customer().await;
    let first = link(&app, &ref_a, json!({})).await;
    let code = first["referralCode"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);
    assert_eq!(
        first["referralLink"],
        format!("https://marketplace.example/ref/{code}")
    );
    assert_eq!(
        link(&app, &ref_a, json!({})).await["referralCode"],
        code.as_str()
    );
    let fresh = link(&app, &ref_a, json!({"regenerate": true})).await;
    let new_code = fresh["referralCode"].as_str().unwrap();
    assert_ne!(new_code, code);
    assert_eq!(
        fresh["referralLink"],
        format!("https://marketplace.example/ref/{new_code}")
    );
    // The retired code no longer tracks.
    let res = track(&app, &ref_a, &code, &new_1, "signup").await;
    cid_testkit::problem(res, 404, "REFERRAL_CODE_NOT_FOUND").await;
    let res = app
        .client
        .post(url(&app, &format!("/{ref_a}/generate-link")))
        .bearer_auth(app.token(&ref_b, &[Role::Customer]))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn tracking_follows_signup_then_first_purchase_and_counts_exactly() {
    let app = spawn_app().await;
    let ref_c = app.register_customer().await;
    let new_2 = app.register_customer().await;
    let new_3 = app.register_customer().await;
    let code = link(&app, &ref_c, json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = track(&app, &ref_c, &code, &new_2, "signup").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["status"],
        "pending"
    );
    track(&app, &ref_c, &code, &new_3, "signup").await;
    let s = stats(&app, &ref_c).await;
    assert_eq!(
        (
            s["totalReferrals"].clone(),
            s["pendingReferrals"].clone(),
            s["successfulReferrals"].clone()
        ),
        (json!(2), json!(2), json!(0))
    );
    assert_eq!(s["conversionRate"], 0.0);

    let done = track(&app, &ref_c, &code, &new_2, "first_purchase").await;
    let d: Value = done.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (
            d["status"].clone(),
            d["referrerPoints"].clone(),
            d["refereePoints"].clone()
        ),
        (json!("completed"), json!(100), json!(50))
    );
    let again = track(&app, &ref_c, &code, &new_2, "first_purchase").await;
    cid_testkit::problem(again, 409, "REFERRAL_COMPLETED").await;

    let s = stats(&app, &ref_c).await;
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
        .get(url(&app, &format!("/{ref_c}/rewards")))
        .bearer_auth(app.token(&ref_c, &[Role::Customer]))
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
        .get(url(&app, &format!("/{ref_c}/history?limit=1")))
        .bearer_auth(app.token(&ref_c, &[Role::Customer]))
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
    let ref_d = app.register_customer().await;
    let ref_e = app.register_customer().await;
    let new_4 = app.register_customer().await;
    let new_5 = app.register_customer().await;
    let new_6 = app.register_customer().await;
    let a = link(&app, &ref_d, json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = link(&app, &ref_e, json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    cid_testkit::problem(
        track(&app, &ref_d, &a, &ref_d, "signup").await,
        422,
        "SELF_REFERRAL",
    )
    .await;
    assert_eq!(
        track(&app, &ref_d, &a, &new_4, "signup").await.status(),
        200
    );
    cid_testkit::problem(
        track(&app, &ref_e, &b, &new_4, "signup").await,
        409,
        "ALREADY_REFERRED",
    )
    .await;
    cid_testkit::problem(
        track(&app, &ref_e, "ZZZZZZZZ", &new_5, "signup").await,
        404,
        "REFERRAL_CODE_NOT_FOUND",
    )
    .await;
    // Someone else's code under this referrer's path is unknown to this referrer.
    cid_testkit::problem(
        track(&app, &ref_e, &a, &new_6, "signup").await,
        404,
        "REFERRAL_CODE_NOT_FOUND",
    )
    .await;
    assert_eq!(stats(&app, &ref_e).await["totalReferrals"], 0);
    let res = track(&app, &ref_d, &a, "bad id!", "signup").await;
    let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "referredCustomerId");
}

#[tokio::test]
async fn only_service_and_admin_track_and_customers_see_only_their_own() {
    let app = spawn_app().await;
    let ref_f = app.register_customer().await;
    let new_7 = app.register_customer().await;
    let ref_g = app.register_customer().await;
    let code = link(&app, &ref_f, json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(url(&app, &format!("/{ref_f}/track")))
        .bearer_auth(app.token(&ref_f, &[Role::Customer]))
        .json(
            &json!({"referralCode": code, "referredCustomerId": &new_7, "event": "first_purchase"}),
        )
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    for path in ["stats", "rewards", "history"] {
        let res = app
            .client
            .get(url(&app, &format!("/{ref_f}/{path}")))
            .bearer_auth(app.token(&ref_g, &[Role::Customer]))
            .send()
            .await
            .unwrap();
        cid_testkit::problem(res, 403, "FORBIDDEN").await;
    }
}

#[tokio::test]
async fn a_referral_code_with_a_nul_is_a_400_naming_it_not_a_server_error() {
    let app = spawn_app().await;
    let cid_1 = app.register_customer().await;
    let cid_2 = app.register_customer().await;
    let res = track(&app, &cid_1, "AB\u{0}CDEFG", &cid_2, "signup").await;
    let body = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["field"], "referralCode");
    // A JSON array where the object belongs never regenerates a code.
    let first = link(&app, &cid_1, json!({})).await;
    let res = app
        .client
        .post(url(&app, &format!("/{cid_1}/generate-link")))
        .bearer_auth(app.token(&cid_1, &[Role::Customer]))
        .header("content-type", "application/json")
        .body("[true]")
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(
        link(&app, &cid_1, json!({})).await["referralCode"],
        first["referralCode"]
    );
}

#[tokio::test]
async fn concurrent_first_purchases_complete_once_and_the_others_are_told_409() {
    let app = spawn_app().await;
    let (referrer, referee) = (app.register_customer().await, app.register_customer().await);
    let code = link(&app, &referrer, json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        track(&app, &referrer, &code, &referee, "signup")
            .await
            .status(),
        200
    );
    let tracks = (0..6).map(|_| track(&app, &referrer, &code, &referee, "first_purchase"));
    let statuses: Vec<u16> = futures_util::future::join_all(tracks)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(stats(&app, &referrer).await["successfulReferrals"], 1);
    // One completion, one event, about the referrer.
    let events = app.db.emitted();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["type"], "referral.completed");
    assert_eq!(events[0]["customerId"], referrer.as_str());
    assert_eq!(events[0]["data"]["refereeId"], referee.as_str());
}
