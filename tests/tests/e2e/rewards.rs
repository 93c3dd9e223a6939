use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_birthday_today_goes_from_the_registry_to_loyalty_once_even_with_loyalty_down() {
    // Bound, not `..`: the services run while their handles live.
    let BirthdayToday {
        s,
        customers: _customers,
        mut loyalty,
        rewards: _rewards,
        customer: id,
        token,
        reward,
    } = birthday_today("user-77").await;

    loyalty.stop().await;
    let claim = || {
        s.client
            .post(s.url(&format!("/api/customer-id/rewards/{id}/claim")))
            .bearer_auth(&token)
            .json(&json!({"rewardId": reward}))
            .send()
    };
    let res = claim().await.unwrap();
    assert_eq!(res.status(), 200, "the claim does not wait for loyalty");
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["status"],
        "claimed"
    );
    assert_eq!(balance(&s, &id).await, None, "loyalty is down");
    cid_testkit::problem(claim().await.unwrap(), 409, "REWARD_ALREADY_CLAIMED").await;

    loyalty.restart().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while balance(&s, &id).await != Some((500, 1)) {
        assert!(
            Instant::now() < deadline,
            "credit did not land: {:?}",
            balance(&s, &id).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(balance(&s, &id).await, Some((500, 1)), "credited once");
    let account: Value = s
        .client
        .get(s.url(&format!("/api/customer-id/loyalty/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["data"]["pointsHistory"][0]["type"], "birthday");
}
