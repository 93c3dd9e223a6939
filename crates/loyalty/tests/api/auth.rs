use cid_common::Role;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_customer_token_for_a_gets_403_on_every_route_of_b() {
    let app = spawn_app().await;
    let cust_a = app.register_customer().await;
    let a = customer(&app, &cust_a);
    let base = app.url("/api/customer-id/loyalty/CUST-B");
    let requests = [
        app.client.get(&base),
        app.client.get(format!("{base}/history")),
        app.client
            .post(format!("{base}/redeem"))
            .json(&json!({"points": 1, "rewardId": "r"})),
        app.client
            .post(format!("{base}/points"))
            .json(&json!({"points": 1, "reason": "x"})),
        app.client
            .post(format!("{base}/reversal"))
            .json(&json!({"orderId": "o", "reason": "x"})),
    ];
    for req in requests {
        let res = req.bearer_auth(&a).send().await.unwrap();
        let url = res.url().to_string();
        let p = cid_testkit::problem(res, 403, "FORBIDDEN").await;
        assert_eq!(p["status"], 403, "{url}");
    }
}

#[tokio::test]
async fn a_customer_cannot_earn_or_reverse_on_their_own_account() {
    let app = spawn_app().await;
    let myself = app.register_customer().await;
    let me = customer(&app, &myself);
    let base = app.url(&format!("/api/customer-id/loyalty/{myself}"));
    let res = app
        .client
        .post(format!("{base}/points"))
        .bearer_auth(&me)
        .json(&json!({"points": 1000, "reason": "free points"}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    let res = app
        .client
        .post(format!("{base}/reversal"))
        .bearer_auth(&me)
        .json(&json!({"orderId": "o", "reason": "x"}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    assert_eq!(account(&app, &myself).await["data"]["points"], 0);
}

#[tokio::test]
async fn the_owner_and_staff_may_read_and_the_owner_may_redeem() {
    let app = spawn_app().await;
    let owner = app.register_customer().await;
    earn_ok(&app, &owner, 10).await;
    for tok in [
        customer(&app, &owner),
        app.token("agent-1", &[Role::Agent]),
        admin(&app),
    ] {
        let res = app
            .client
            .get(app.url(&format!("/api/customer-id/loyalty/{owner}")))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = redeem(&app, &owner, &app.token("agent-1", &[Role::Agent]), 1).await;
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    let res = redeem(&app, &owner, &customer(&app, &owner), 1).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn missing_and_invalid_tokens_are_401() {
    let app = spawn_app().await;
    let url = app.url("/api/customer-id/loyalty/C1");
    let res = app.client.get(&url).send().await.unwrap();
    cid_testkit::problem(res, 401, "UNAUTHORIZED").await;
    for (label, tok) in cid_testkit::bad_tokens::all(&app.settings) {
        let res = app.client.get(&url).bearer_auth(&tok).send().await.unwrap();
        assert_eq!(res.status(), 401, "{label}");
        cid_testkit::problem(res, 401, "INVALID_TOKEN").await;
    }
    let res = app
        .client
        .get(&url)
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 401, "INVALID_TOKEN").await;
}
