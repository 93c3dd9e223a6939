//! HTTP tests of the rewards service, on SQLite by default and on PostgreSQL when
//! `CID_TEST_DATABASE_URL` is set. The registry and loyalty run in-process beside it, so the
//! dates, milestones and credits are the real services' answers.

#![allow(clippy::unwrap_used)] // test helpers fail loudly by design

mod world;

use std::time::Duration;

use chrono::{Datelike, Days, NaiveDate};
use cid_common::Role;
use cid_rewards::schema::reward_instances as ri;
use diesel::prelude::*;
use serde_json::{Value, json};
use world::World;

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A birth date in 1992 (a leap year) on the given day of the calendar.
fn born_on(day: NaiveDate) -> String {
    format!("1992-{:02}-{:02}", day.month(), day.day())
}

#[tokio::test]
async fn the_catalog_is_public_bilingual_and_lists_the_calendar() {
    let w = World::start().await;
    let res = w.get("/all", None).await;
    assert_eq!(res.status(), 200);
    let items = res.json::<Value>().await.unwrap()["data"].clone();
    let summary: Vec<_> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_owned(),
                i["points"].as_i64().unwrap(),
                i["discountPercent"].as_i64().unwrap(),
                i["validityDays"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("birthday".into(), 500, 25, Some(30)),
            ("anniversary".into(), 300, 15, Some(30)),
            ("holiday".into(), 200, 10, None),
            ("milestone".into(), 400, 20, Some(60)),
        ]
    );
    let keys: Vec<_> = items[2]["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, vec!["open-now", "soon"], "past holidays are left out");
    let ar: Value = w
        .client()
        .get(w.url("/all"))
        .header("Accept-Language", "ar")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ar["data"][0]["name"], "مكافأة عيد الميلاد");
    assert_eq!(ar["data"][2]["holidays"][0]["name"], "عيد الاختبار");
}

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
}

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
async fn milestones_come_from_loyalty_and_holidays_from_the_calendar() {
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
    w.earn(
        &id,
        json!({"purchaseAmount": 120, "currency": "SAR", "orderId": "o-1"}),
    )
    .await;
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

#[test]
fn migrations_match_and_run_down_and_up_again() {
    cid_testkit::migrations::assert_same_folders(env!("CARGO_MANIFEST_DIR"));
    cid_testkit::migrations::assert_up_down_up(cid_rewards::SERVICE, &cid_rewards::MIGRATIONS);
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

#[tokio::test]
async fn every_protected_route_admits_exactly_its_roles() {
    use cid_kit::roles::{READERS, WRITERS};
    use cid_testkit::authz::{Route, assert_matrix};
    use reqwest::Method;
    let w = World::start().await;
    let routes = [
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
