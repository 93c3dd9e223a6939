//! Claims: once, concurrently, replayed, and their points in loyalty exactly once.

use std::time::Duration;

use chrono::{Datelike, Days};
use serde_json::{Value, json};

use crate::helpers::{World, born_on, ymd};

#[tokio::test]
async fn a_birthday_today_is_claimed_once_and_its_points_land_in_loyalty_once() {
    let w = World::start().await;
    let today = w.today();
    let id = w.customer("u-birthday", Some(&born_on(today))).await;
    let dates = w.special_dates(&id).await;
    let birthday = World::find(&dates, "birthday");
    assert_eq!(birthday["status"], "available");
    assert_eq!(birthday["occurrence"], today.year().to_string());
    assert_eq!(birthday["validFrom"], ymd(today));
    assert_eq!(birthday["validUntil"], ymd(today + Days::new(29)));
    assert_eq!(
        (birthday["daysUntil"].clone(), birthday["daysLeft"].clone()),
        (json!(0), json!(30))
    );
    // Listing again issues nothing new.
    assert_eq!(
        w.special_dates(&id).await.as_array().unwrap().len(),
        dates.as_array().unwrap().len()
    );

    let reward = birthday["rewardId"].as_str().unwrap().to_owned();
    let res = w.claim(&id, &w.customer_token(&id), &reward, None).await;
    assert_eq!(res.status(), 200);
    let claimed: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(claimed["status"], "claimed");
    assert_eq!(claimed["pointsAwarded"], 500);
    let again = w.claim(&id, &w.customer_token(&id), &reward, None).await;
    cid_testkit::problem(again, 409, "REWARD_ALREADY_CLAIMED").await;

    w.wait_for_balance(&id, 500, 1).await;
    let history = w
        .get(&format!("/{id}/history"), Some(&w.customer_token(&id)))
        .await;
    let history: Value = history.json().await.unwrap();
    assert_eq!(history["data"][0]["rewardId"], reward.as_str());
    assert_eq!(history["data"][0]["status"], "claimed");
    let details = w
        .get(&format!("/{reward}/details"), Some(&w.customer_token(&id)))
        .await;
    assert_eq!(
        details.json::<Value>().await.unwrap()["data"]["status"],
        "claimed"
    );
}

#[tokio::test]
async fn fifty_concurrent_claims_of_one_reward_make_one_claim_and_one_credit() {
    let w = World::start().await;
    let id = w.customer("u-race", Some(&born_on(w.today()))).await;
    let reward = World::find(&w.special_dates(&id).await, "birthday")["rewardId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (client, url, token, reward) = (
            w.client(),
            w.url(&format!("/{id}/claim")),
            w.customer_token(&id),
            reward.clone(),
        );
        tasks.spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"rewardId": reward}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut statuses = tasks.join_all().await;
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        49,
        "{statuses:?}"
    );
    w.wait_for_balance(&id, 500, 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(w.balance(&id).await, Some((500, 1)), "credited once");
    let events = w.rewards.db.emitted();
    assert_eq!(events.len(), 1, "one claim, one event");
    assert_eq!(events[0]["type"], "rewards.claimed");
    assert_eq!(
        (
            events[0]["data"]["rewardId"].as_str(),
            events[0]["data"]["points"].as_i64()
        ),
        (Some(reward.as_str()), Some(500))
    );
}

#[tokio::test]
async fn a_claim_replays_under_the_same_idempotency_key() {
    let w = World::start().await;
    let id = w.customer("u-idem", Some(&born_on(w.today()))).await;
    let reward = World::find(&w.special_dates(&id).await, "birthday")["rewardId"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = w.customer_token(&id);
    let first = w.claim(&id, &token, &reward, Some("claim-1")).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let replay = w.claim(&id, &token, &reward, Some("claim-1")).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers()["Idempotency-Replay"], "true");
    assert_eq!(replay.json::<Value>().await.unwrap()["data"], first["data"]);
    w.wait_for_balance(&id, 500, 1).await;
}

#[tokio::test]
async fn reward_ids_with_control_characters_are_a_400_not_a_server_error() {
    let w = World::start().await;
    let id = w.customer("nul-user", None).await;
    let token = w.customer_token(&id);
    let res = w.claim(&id, &token, "a\u{0}b", None).await;
    let body = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["field"], "rewardId");
    let res = w.get("/a%00b/details", Some(&token)).await;
    let body = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(body["errors"][0]["field"], "path");
}
