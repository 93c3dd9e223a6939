use std::time::{Duration, Instant};

use chrono::Datelike;
use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_birthday_today_goes_from_the_registry_to_loyalty_once_even_with_loyalty_down() {
    let customers = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url = Some(customers.base.clone());
    let mut loyalty = TestApp::spawn_with(
        cid_loyalty::SERVICE,
        cid_loyalty::app_spec,
        settings.clone(),
    )
    .await;
    settings.services.get_mut("loyalty").unwrap().url = Some(loyalty.base.clone());
    settings
        .sections
        .get_mut("rewards")
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert("outbox_interval_ms".into(), json!(200));
    let rewards = TestApp::spawn_with(cid_rewards::SERVICE, cid_rewards::app_spec, settings).await;
    let s = start_gateway(
        gateway_settings_for(
            &[
                ("customers", &customers.base),
                ("loyalty", &loyalty.base),
                ("rewards", &rewards.base),
            ],
            json!({}),
        ),
        None,
    )
    .await;

    let today = cid_rewards::domain::today(180);
    let created = s
        .client
        .post(s.url("/api/customer-id/customers"))
        .bearer_auth(s.token("signup", &[Role::Service]))
        .json(&json!({"userId": "user-77", "userType": "buyer",
            "birthDate": format!("1992-{:02}-{:02}", today.month(), today.day())}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<Value>().await.unwrap()["data"]["customerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = s.token(&id, &[Role::Customer]);

    let dates: Value = s
        .client
        .get(s.url(&format!("/api/customer-id/rewards/{id}/special-dates")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let birthday = dates["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "birthday")
        .unwrap()
        .clone();
    assert_eq!(birthday["status"], "available");
    let reward = birthday["rewardId"].as_str().unwrap().to_owned();

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
