//! Which rewards a customer has, when they open and close, and their history.

use chrono::{Datelike, Days};
use cid_rewards::schema::reward_instances as ri;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{World, born_on, ymd};

#[tokio::test]
async fn windows_decide_upcoming_available_and_expired_claims() {
    let w = World::start().await;
    let today = w.today();
    let soon = today + Days::new(10);
    let id = w.customer("u-soon", Some(&born_on(soon))).await;
    let birthday = World::find(&w.special_dates(&id).await, "birthday");
    assert_eq!(birthday["status"], "upcoming");
    assert_eq!(birthday["daysUntil"], 10);
    assert_eq!(birthday["daysLeft"], Value::Null);
    let reward = birthday["rewardId"].as_str().unwrap().to_owned();
    let res = w.claim(&id, &w.customer_token(&id), &reward, None).await;
    let p = cid_testkit::problem(res, 422, "REWARD_NOT_YET_AVAILABLE").await;
    assert!(p["detail"].as_str().unwrap().contains(&ymd(soon)), "{p}");

    // Time passes: the window is moved into the past in the store.
    {
        let mut conn = w.rewards.db.connect();
        diesel::update(ri::table.filter(ri::reward_id.eq(&reward)))
            .set((
                ri::valid_from.eq(today - Days::new(40)),
                ri::valid_until.eq(today - Days::new(11)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let dates = w.special_dates(&id).await;
    let expired = dates
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rewardId"] == reward.as_str())
        .unwrap();
    assert_eq!(expired["status"], "expired");
    assert_eq!(expired["daysUntil"], Value::Null);
    let res = w.claim(&id, &w.customer_token(&id), &reward, None).await;
    cid_testkit::problem(res, 422, "REWARD_EXPIRED").await;
    let history: Value = w
        .get(&format!("/{id}/history"), Some(&w.customer_token(&id)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history["data"][0]["status"], "expired");
    assert_eq!(w.balance(&id).await, None, "nothing was credited");
}

#[tokio::test]
async fn a_corrected_birth_date_moves_the_upcoming_birthday() {
    let w = World::start().await;
    let today = w.today();
    let id = w
        .customer("u-fix", Some(&born_on(today + Days::new(20))))
        .await;
    let before = World::find(&w.special_dates(&id).await, "birthday");
    let res = w
        .client()
        .put(w.customers.url(&format!("/api/customer-id/customers/{id}")))
        .bearer_auth(w.customer_token(&id))
        .json(&json!({"birthDate": born_on(today + Days::new(25))}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let after = World::find(&w.special_dates(&id).await, "birthday");
    assert_eq!(after["rewardId"], before["rewardId"], "the same occurrence");
    assert_eq!(after["daysUntil"], 25);
}

#[tokio::test]
async fn milestones_come_from_analytics_and_loyalty_and_holidays_from_the_calendar() {
    let w = World::start().await;
    let id = w.customer("u-buyer", None).await;
    let kinds = |v: &Value| -> Vec<(String, String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["type"].as_str().unwrap().to_owned(),
                    d["occurrence"].as_str().unwrap().to_owned(),
                    d["status"].as_str().unwrap().to_owned(),
                )
            })
            .filter(|(t, ..)| t != "anniversary")
            .collect()
    };
    let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        kinds(&w.special_dates(&id).await),
        vec![
            t("holiday", "open-now", "available"),
            t("holiday", "soon", "upcoming")
        ]
    );
    // The purchase is analytics' (the first-purchase milestone), its points loyalty's: a
    // purchase earning alone in loyalty makes no purchase milestone.
    w.earn(
        &id,
        json!({"purchaseAmount": 120, "currency": "SAR", "orderId": "o-1"}),
    )
    .await;
    assert!(
        !kinds(&w.special_dates(&id).await)
            .iter()
            .any(|k| k.1 == "first_purchase")
    );
    w.buy(&id, "o-1").await;
    w.earn(
        &id,
        json!({"points": 900, "reason": "Goodwill", "type": "manual"}),
    )
    .await;
    let dates = w.special_dates(&id).await;
    let got = kinds(&dates);
    assert!(
        got.contains(&t("milestone", "first_purchase", "available")),
        "{got:?}"
    );
    assert!(
        got.contains(&t("milestone", "lifetime_points_1000", "available")),
        "{got:?}"
    );
    assert!(!got.iter().any(|k| k.1 == "tenth_purchase"), "{got:?}");
    let first = World::find_occurrence(&dates, "first_purchase");
    assert_eq!(first["points"], 400);
    assert_eq!(first["daysLeft"], 60);
    assert_eq!(first["name"], "First purchase");
    // The holiday reward is claimable inside its window.
    let holiday = World::find_occurrence(&dates, "open-now")["rewardId"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = w.claim(&id, &w.customer_token(&id), &holiday, None).await;
    assert_eq!(res.status(), 200);
    w.wait_for_balance(&id, 120 + 900 + 200, 3).await;
    let upcoming: Value = w
        .get(&format!("/{id}/upcoming"), Some(&w.customer_token(&id)))
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<_> = upcoming["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_owned())
        .collect();
    assert!(statuses.len() <= 5 && !statuses.is_empty());
    assert!(
        statuses.iter().all(|s| s == "available" || s == "upcoming"),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn history_pages_newest_first_with_a_cursor() {
    let w = World::start().await;
    let id = w.customer("u-pages", Some(&born_on(w.today()))).await;
    let dates = w.special_dates(&id).await;
    let token = w.customer_token(&id);
    for occurrence in [w.today().year().to_string(), "open-now".to_owned()] {
        let reward = World::find_occurrence(&dates, &occurrence)["rewardId"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(w.claim(&id, &token, &reward, None).await.status(), 200);
    }
    let first: Value = w
        .get(&format!("/{id}/history?limit=1"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["data"].as_array().unwrap().len(), 1);
    let cursor = first["page"]["nextCursor"].as_str().unwrap().to_owned();
    let second: Value = w
        .get(
            &format!("/{id}/history?limit=1&cursor={cursor}"),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["page"]["nextCursor"], Value::Null);
    let mut seen = vec![
        first["data"][0]["occurrence"].as_str().unwrap().to_owned(),
        second["data"][0]["occurrence"].as_str().unwrap().to_owned(),
    ];
    seen.sort();
    let mut expected = vec![w.today().year().to_string(), "open-now".to_owned()];
    expected.sort();
    assert_eq!(seen, expected);
    let res = w
        .get(&format!("/{id}/history?cursor=garbage"), Some(&token))
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn purchase_milestones_wait_while_analytics_is_down_and_come_when_it_is_back() {
    let mut w = World::start().await;
    let id = w.customer("u-waits", None).await;
    w.buy(&id, "o-1").await;
    w.analytics.stop().await;
    let dates = w.special_dates(&id).await;
    let types: Vec<&str> = dates
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["occurrence"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"open-now"), "{types:?}");
    assert!(!types.contains(&"first_purchase"), "{types:?}");
    w.analytics.restart().await;
    let dates = w.special_dates(&id).await;
    assert_eq!(
        World::find_occurrence(&dates, "first_purchase")["status"],
        "available"
    );
}
