use chrono::{Months, Utc};
use cid_loyalty::LoyaltySettings;
use cid_loyalty::domain::earn::EarnType;
use cid_loyalty::ops::{self, Earning, Who};
use serde_json::{Value, json};

use crate::helpers::*;

fn earning(points: i64) -> Earning {
    Earning {
        earn_type: EarnType::Manual,
        points,
        reason: "arranged".into(),
        order_id: None,
        purchase_amount_minor: None,
        currency: None,
    }
}

fn who() -> Who {
    Who {
        actor: "test".into(),
        request_id: "req".into(),
    }
}

#[tokio::test]
async fn unknown_customer_gets_the_zero_account() {
    let app = spawn_app().await;
    let body = account(&app, "NEW-CUSTOMER").await;
    let d = &body["data"];
    assert_eq!(d["points"], 0);
    assert_eq!(d["tier"], "bronze");
    assert_eq!(d["nextTier"], "silver");
    assert_eq!(d["pointsToNextTier"], 1001);
    assert_eq!(d["pointsHistory"], json!([]));
}

#[tokio::test]
async fn earn_credits_the_balance_and_writes_a_ledger_entry_with_balance_after() {
    let app = spawn_app().await;
    let c1 = app.register_customer().await;
    earn_ok(&app, &c1, 300).await;
    let moved = earn_ok(&app, &c1, 900).await;
    assert_eq!(moved["data"]["balance"], 1200);
    // The reference's clients read the new balance as `points`.
    assert_eq!(moved["data"]["points"], 1200);
    assert_eq!(moved["data"]["entry"]["balanceAfter"], 1200);
    assert_eq!(moved["data"]["tier"], "silver");
    assert_eq!(moved["data"]["tierChanged"], true);
    let d = account(&app, &c1).await["data"].clone();
    assert_eq!(
        (
            d["points"].clone(),
            d["lifetimePoints"].clone(),
            d["tier"].clone()
        ),
        (json!(1200), json!(1200), json!("silver"))
    );
    assert_eq!(d["pointsHistory"][0]["points"], 900);
    assert_eq!(d["pointsHistory"][1]["balanceAfter"], 300);
    assert!(d["pointsHistory"][0]["expiresAt"].as_str().is_some());
}

#[tokio::test]
async fn purchase_amount_earns_one_point_per_whole_riyal_and_counts_as_spend() {
    let app = spawn_app().await;
    let c2 = app.register_customer().await;
    let res = earn(
        &app,
        &c2,
        json!({"purchaseAmount": 123.99, "currency": "SAR", "orderId": "ORD-1"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["entry"]["points"], 123);
    assert_eq!(body["data"]["entry"]["type"], "purchase");
    assert_eq!(account(&app, &c2).await["data"]["totalSpent"], 123.99);
    // The same order cannot earn twice.
    let again = earn(&app, &c2, json!({"purchaseAmount": 10, "orderId": "ORD-1"})).await;
    cid_testkit::problem(again, 409, "ORDER_ALREADY_CREDITED").await;
    let usd = earn(&app, &c2, json!({"purchaseAmount": 10, "currency": "USD"})).await;
    cid_testkit::problem(usd, 422, "UNSUPPORTED_CURRENCY").await;
}

#[tokio::test]
async fn redeem_spends_points_and_fails_with_422_when_short() {
    let app = spawn_app().await;
    let c3 = app.register_customer().await;
    earn_ok(&app, &c3, 100).await;
    let tok = customer(&app, &c3);
    let res = redeem(&app, &c3, &tok, 60).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["balance"], 40);
    assert_eq!(body["data"]["points"], 40);
    assert_eq!(body["data"]["entry"]["type"], "redeem");
    assert_eq!(body["data"]["entry"]["rewardId"], "RW-1");
    let res = redeem(&app, &c3, &tok, 41).await;
    let p = cid_testkit::problem(res, 422, "INSUFFICIENT_POINTS").await;
    assert!(p["detail"].as_str().unwrap().contains("40"));
    assert_eq!(account(&app, &c3).await["data"]["points"], 40);
}

#[tokio::test]
async fn redeeming_never_demotes_a_tier() {
    let app = spawn_app().await;
    let c4 = app.register_customer().await;
    earn_ok(&app, &c4, 1500).await;
    let res = redeem(&app, &c4, &admin(&app), 1400).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["tier"], "silver");
    assert_eq!(account(&app, &c4).await["data"]["tier"], "silver");
}

#[tokio::test]
async fn reversal_undoes_an_order_once_with_a_linked_entry() {
    let app = spawn_app().await;
    let c5 = app.register_customer().await;
    earn(
        &app,
        &c5,
        json!({"purchaseAmount": 500, "orderId": "ORD-9"}),
    )
    .await;
    earn_ok(&app, &c5, 100).await;
    let url = app.url(&format!("/api/customer-id/loyalty/{c5}/reversal"));
    let send = |body: Value| {
        app.client
            .post(&url)
            .bearer_auth(service(&app))
            .json(&body)
            .send()
    };
    let res = send(json!({"orderId": "ORD-9", "reason": "refund"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["entry"]["points"], -500);
    assert_eq!(body["data"]["balance"], 100);
    let original = full_history(&app, &c5)
        .await
        .into_iter()
        .find(|e| e["orderId"] == "ORD-9")
        .unwrap();
    assert_eq!(body["data"]["entry"]["relatedEntryId"], original["id"]);
    assert_eq!(account(&app, &c5).await["data"]["totalSpent"], 0.0);

    let again = send(json!({"orderId": "ORD-9", "reason": "refund"}))
        .await
        .unwrap();
    cid_testkit::problem(again, 409, "ALREADY_REVERSED").await;
    let unknown = send(json!({"orderId": "NOPE", "reason": "refund"}))
        .await
        .unwrap();
    cid_testkit::problem(unknown, 404, "ENTRY_NOT_FOUND").await;
    let by_entry = send(json!({"entryId": original["id"], "reason": "refund"}))
        .await
        .unwrap();
    cid_testkit::problem(by_entry, 409, "ALREADY_REVERSED").await;
}

#[tokio::test]
async fn history_pages_with_a_cursor_newest_first() {
    let app = spawn_app().await;
    let c6 = app.register_customer().await;
    for i in 1..=5 {
        earn_ok(&app, &c6, i).await;
    }
    let url = app.url(&format!("/api/customer-id/loyalty/{c6}/history?limit=2"));
    let first: Value = app
        .client
        .get(&url)
        .bearer_auth(customer(&app, &c6))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let points: Vec<_> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["points"].as_i64().unwrap())
        .collect();
    assert_eq!(points, [5, 4]);
    assert_eq!(first["page"]["limit"], 2);
    let cursor = first["page"]["nextCursor"].as_str().unwrap();
    let second: Value = app
        .client
        .get(format!("{url}&cursor={cursor}"))
        .bearer_auth(customer(&app, &c6))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["data"][0]["points"], 3);
    let all = full_history(&app, &c6).await;
    assert_eq!(all.len(), 5);
    for bad in ["limit=0", "limit=101", "limit=abc", "cursor=%%%"] {
        let res = app
            .client
            .get(app.url(&format!("/api/customer-id/loyalty/C6/history?{bad}")))
            .bearer_auth(admin(&app))
            .send()
            .await
            .unwrap();
        cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    }
}

#[tokio::test]
async fn expired_lots_write_expiry_entries_and_spending_takes_the_soonest_expiring_first() {
    let app = spawn_app().await;
    let c7 = app.register_customer().await;
    let policy = LoyaltySettings::default();
    let now = Utc::now().naive_utc();
    let mut conn = app.db.connect();
    // 100 earned 13 months ago (expired), 50 earned 11 months ago (expires first), 70 now.
    let old = now.checked_sub_months(Months::new(13)).unwrap();
    let mid = now.checked_sub_months(Months::new(11)).unwrap();
    ops::earn(&mut conn, &policy, &c7, &earning(100), &who(), old).unwrap();
    ops::earn(&mut conn, &policy, &c7, &earning(50), &who(), mid).unwrap();
    drop(conn);
    earn_ok(&app, &c7, 70).await;

    let d = account(&app, &c7).await["data"].clone();
    assert_eq!(d["points"], 120);
    let expired: Vec<_> = d["pointsHistory"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "expire")
        .cloned()
        .collect();
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["points"], -100);
    assert_eq!(d["nextExpiry"]["points"], 50);
    let events = app.db.emitted();
    let gone: Vec<_> = events
        .iter()
        .filter(|e| e["type"] == "loyalty.points_expired")
        .collect();
    assert_eq!(
        gone.len(),
        1,
        "one event for the lots that expired together"
    );
    assert_eq!(
        (
            gone[0]["data"]["points"].as_i64(),
            gone[0]["customerId"].as_str()
        ),
        (Some(100), Some(c7.as_str()))
    );

    // Spending 60 empties the 50-point lot that expires first, then takes 10 of the new one.
    redeem(&app, &c7, &admin(&app), 60).await;
    let d = account(&app, &c7).await["data"].clone();
    assert_eq!(d["points"], 60);
    assert_eq!(d["nextExpiry"]["points"], 60);
    let sum: i64 = full_history(&app, &c7)
        .await
        .iter()
        .map(|e| e["points"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 60, "the ledger sums to the balance");
}

#[tokio::test]
async fn a_tier_is_kept_through_its_grace_period_and_dropped_after() {
    let app = spawn_app().await;
    let c8 = app.register_customer().await;
    let c9 = app.register_customer().await;
    let policy = LoyaltySettings::default();
    let now = Utc::now().naive_utc();
    let months_ago = |m| now.checked_sub_months(Months::new(m)).unwrap();
    let mut conn = app.db.connect();
    // Gold reached 11 months ago; its 4000 qualifying points alone would be silver.
    ops::earn(
        &mut conn,
        &policy,
        &c8,
        &earning(2000),
        &who(),
        months_ago(13),
    )
    .unwrap();
    ops::earn(
        &mut conn,
        &policy,
        &c8,
        &earning(4000),
        &who(),
        months_ago(11),
    )
    .unwrap();
    // Gold reached 14 months ago with nothing earned since: the grace has run out.
    ops::earn(
        &mut conn,
        &policy,
        &c9,
        &earning(6000),
        &who(),
        months_ago(14),
    )
    .unwrap();
    drop(conn);
    let kept = account(&app, &c8).await["data"].clone();
    assert_eq!(
        (kept["tier"].clone(), kept["qualifyingPoints"].clone()),
        (json!("gold"), json!(4000))
    );
    let dropped = account(&app, &c9).await["data"].clone();
    assert_eq!(dropped["tier"], "bronze");
}

#[tokio::test]
async fn the_expiry_sweep_expires_due_points_of_accounts_nobody_touched() {
    let app = spawn_app().await;
    let sweep_1 = app.register_customer().await;
    let sweep_2 = app.register_customer().await;
    let policy = LoyaltySettings::default();
    let now = Utc::now().naive_utc();
    let old = now.checked_sub_months(Months::new(13)).unwrap();
    let mut conn = app.db.connect();
    ops::earn(&mut conn, &policy, &sweep_1, &earning(70), &who(), old).unwrap();
    ops::earn(&mut conn, &policy, &sweep_2, &earning(30), &who(), old).unwrap();
    ops::earn(&mut conn, &policy, "FRESH", &earning(10), &who(), now).unwrap();
    drop(conn);
    let db =
        cid_kit::Db::connect(&app.db.url, &Default::default(), &cid_loyalty::MIGRATIONS).unwrap();

    let settled = cid_loyalty::jobs::expire_due_accounts(&db, policy)
        .await
        .unwrap();

    assert_eq!(settled, 2);
    for id in [&sweep_1, &sweep_2] {
        let history = full_history(&app, id).await;
        assert_eq!(history[0]["type"], "expire", "{id}");
        assert_eq!(history[0]["actor"], "system:expiry");
        assert_eq!(history[0]["balanceAfter"], 0);
    }
    assert_eq!(
        full_history(&app, "FRESH").await.len(),
        1,
        "nothing due, nothing written"
    );
    assert_eq!(
        cid_loyalty::jobs::expire_due_accounts(&db, policy)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_account_shows_its_twenty_newest_entries_newest_first() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let policy = LoyaltySettings::default();
    let now = Utc::now().naive_utc();
    let mut conn = app.db.connect();
    for points in 1..=25 {
        ops::earn(&mut conn, &policy, &c, &earning(points), &who(), now).unwrap();
    }
    drop(conn);
    let d = account(&app, &c).await["data"].clone();
    assert_eq!(d["points"], 325);
    let points: Vec<_> = d["pointsHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["points"].as_i64().unwrap())
        .collect();
    assert_eq!(points, (6..=25).rev().collect::<Vec<_>>());
}

#[tokio::test]
async fn an_account_with_no_entries_yet_is_shown_with_an_empty_history() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let now = Utc::now().naive_utc();
    let mut conn = app.db.connect();
    cid_loyalty::store::accounts::lock(&mut conn, &c, now).unwrap();
    drop(conn);
    let d = account(&app, &c).await["data"].clone();
    assert_eq!(d["customerId"], c.as_str());
    assert_eq!(d["pointsHistory"], json!([]));
    // The account row is there (the zero account has no join date).
    assert!(d["joinDate"].as_str().is_some(), "{d}");
}
