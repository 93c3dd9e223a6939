//! Who may see and claim which rewards.

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::{World, born_on};

#[tokio::test]
async fn only_the_owner_or_staff_see_and_claim_rewards() {
    let w = World::start().await;
    let owner = w.customer("u-owner", Some(&born_on(w.today()))).await;
    let other = w.customer("u-other", None).await;
    let reward = World::find(&w.special_dates(&owner).await, "birthday")["rewardId"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_token = w.customer_token(&other);
    // Another customer: 403 on the owner's lists, 404 on the reward itself.
    for path in ["special-dates", "upcoming", "history"] {
        let res = w.get(&format!("/{owner}/{path}"), Some(&other_token)).await;
        cid_testkit::problem(res, 403, "FORBIDDEN").await;
    }
    let res = w
        .get(&format!("/{reward}/details"), Some(&other_token))
        .await;
    cid_testkit::problem(res, 404, "REWARD_NOT_FOUND").await;
    let res = w.claim(&other, &other_token, &reward, None).await;
    cid_testkit::problem(res, 404, "REWARD_NOT_FOUND").await;
    let res = w.claim(&owner, &other_token, &reward, None).await;
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    // An agent reads but does not claim.
    let agent = w.rewards.token("agent-1", &[Role::Agent]);
    assert_eq!(
        w.get(&format!("/{reward}/details"), Some(&agent))
            .await
            .status(),
        200
    );
    assert_eq!(
        w.get(&format!("/{owner}/special-dates"), Some(&agent))
            .await
            .status(),
        200
    );
    let res = w.claim(&owner, &agent, &reward, None).await;
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    // Staff may use the short ID: the same rewards, none issued twice.
    let parts: Vec<&str> = owner.split('-').collect();
    let short = format!("{}{}", parts[0], parts[2]);
    let ids = |v: Value| -> Vec<String> {
        let mut ids: Vec<String> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["rewardId"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let by_short = w
        .get(&format!("/{short}/special-dates"), Some(&agent))
        .await;
    assert_eq!(by_short.status(), 200);
    let by_standard = w
        .get(&format!("/{owner}/special-dates"), Some(&agent))
        .await;
    assert_eq!(
        ids(by_short.json().await.unwrap()),
        ids(by_standard.json().await.unwrap())
    );
    // Unknown things.
    let res = w
        .get(
            "/0190f5d2-0000-7000-8000-000000000000/details",
            Some(&agent),
        )
        .await;
    cid_testkit::problem(res, 404, "REWARD_NOT_FOUND").await;
    let res = w.get("/NOBODY-1/special-dates", Some(&agent)).await;
    cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    let res = w
        .claim(&owner, &w.customer_token(&owner), "no-such-reward", None)
        .await;
    cid_testkit::problem(res, 404, "REWARD_NOT_FOUND").await;
    // No token, bad tokens, bad input.
    cid_testkit::problem(
        w.get(&format!("/{owner}/special-dates"), None).await,
        401,
        "UNAUTHORIZED",
    )
    .await;
    for (what, token) in cid_testkit::bad_tokens::all(&w.rewards.settings) {
        let res = w
            .get(&format!("/{owner}/special-dates"), Some(&token))
            .await;
        assert_eq!(res.status(), 401, "{what}");
    }
    let res = w.get("/bad%20id/special-dates", Some(&agent)).await;
    assert_eq!(res.status(), 400);
    let owner_token = w.customer_token(&owner);
    for body in [
        json!({}),
        json!({"rewardId": ""}),
        json!({"rewardId": 5}),
        json!({"rewardId": reward, "extra": 1}),
    ] {
        let res = w
            .client()
            .post(w.url(&format!("/{owner}/claim")))
            .bearer_auth(&owner_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
        assert!(p["errors"][0]["field"].is_string(), "{body}: {p}");
    }
    let res = w
        .client()
        .post(w.url(&format!("/{owner}/claim")))
        .bearer_auth(&owner_token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 400, "MALFORMED_JSON").await;
    let res = w
        .get(&format!("/{owner}/history?limit=0"), Some(&owner_token))
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    use cid_kit::roles::{READERS, WRITERS};
    use cid_testkit::authz::{Route, assert_matrix};
    use reqwest::Method;
    let w = World::start().await;
    let routes = [
        // Every service serves its audit log to admins (from the kit).
        Route::new(
            Method::GET,
            "/api/customer-id/rewards/audit",
            cid_kit::roles::ADMIN,
            false,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/rewards/{customerId}/special-dates",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/rewards/{customerId}/upcoming",
            READERS,
            true,
        ),
        Route::new(
            Method::GET,
            "/api/customer-id/rewards/{customerId}/history",
            READERS,
            true,
        ),
        Route::new(
            Method::POST,
            "/api/customer-id/rewards/{customerId}/claim",
            WRITERS,
            true,
        )
        .body(json!({"rewardId": "no-such-reward"})),
        // Addressed by the reward's own ID: anyone with a token who is not its owner or staff
        // gets the 404 an unknown reward gets, never a 403.
        Route::new(
            Method::GET,
            "/api/customer-id/rewards/no-such-reward/details",
            &[Role::Agent, Role::Admin, Role::Service],
            true,
        ),
    ];
    assert_matrix(&w.rewards, &w.customers, &routes).await;
}
