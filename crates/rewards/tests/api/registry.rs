//! Customers come from the registry: its outages, deactivations and aliases.

use serde_json::Value;

use crate::helpers::{World, born_on};

#[tokio::test]
async fn with_the_registry_down_issued_rewards_are_still_listed_and_claimable() {
    let mut w = World::start().await;
    let id = w.customer("u-down", Some(&born_on(w.today()))).await;
    let count = w.special_dates(&id).await.as_array().unwrap().len();
    w.customers.stop().await;
    let dates = w.special_dates(&id).await;
    assert_eq!(dates.as_array().unwrap().len(), count);
    let reward = World::find(&dates, "birthday")["rewardId"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = w.claim(&id, &w.customer_token(&id), &reward, None).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_deactivated_customer_cannot_claim_and_an_alias_claims_for_its_customer() {
    let w = World::start().await;
    let today = w.today();
    let id = w.customer("u-alias", Some(&born_on(today))).await;
    let gone = w.customer("u-gone", Some(&born_on(today))).await;
    let reward_of = |dates: Value| {
        World::find(&dates, "birthday")["rewardId"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (mine, theirs) = (
        reward_of(w.special_dates(&id).await),
        reward_of(w.special_dates(&gone).await),
    );
    w.customers.deactivate_customer(&gone).await;
    let res = w
        .claim(&gone, &w.customer_token(&gone), &theirs, None)
        .await;
    cid_testkit::problem(res, 409, "CUSTOMER_INACTIVE").await;

    let record = w.customers.registry_record(&id).await;
    let short = record["shortId"].as_str().unwrap();
    let res = w.claim(short, &w.customer_token(&id), &mine, None).await;
    assert_eq!(res.status(), 200);
    w.wait_for_balance(&id, 500, 1).await;
}
