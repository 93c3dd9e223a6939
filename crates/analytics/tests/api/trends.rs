//! Spending per calendar month and per category.

use chrono::{Datelike, Months, Utc};
use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

async fn get(app: &cid_testkit::TestApp, path: &str, lang: &str) -> reqwest::Response {
    app.client
        .get(url(app, path))
        .bearer_auth(app.token("agent", &[Role::Agent]))
        .header("Accept-Language", lang)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn trends_cover_whole_calendar_months_oldest_first_with_empty_ones() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let now = Utc::now();
    // One purchase early this month (never ahead of the clock) and one two months back.
    let month_start = |back: u32| {
        let d = (now - Months::new(back)).date_naive().with_day(1).unwrap();
        d.and_hms_opt(0, 0, 1).unwrap().and_utc()
    };
    let this_month = month_start(0).max(now - chrono::Duration::seconds(60));
    let earlier = month_start(2) + chrono::Duration::hours(12);
    for (order, amount, at) in [
        ("T-1", 40.0, this_month.to_rfc3339()),
        ("T-2", 60.0, earlier.to_rfc3339()),
    ] {
        let body = json!({"orderId": order, "amount": amount, "currency": "SAR",
            "category": "books", "purchasedAt": at});
        assert_eq!(post_purchase(&app, &id, &body).await.status(), 201);
    }
    let res = get(&app, &format!("/{id}/spending-trends?months=3"), "en").await;
    let months: Value = res.json::<Value>().await.unwrap()["data"].clone();
    let months = months.as_array().unwrap();
    assert_eq!(months.len(), 3);
    let key = |back: u32| {
        let d = now - Months::new(back);
        format!("{:04}-{:02}", d.year(), d.month())
    };
    assert_eq!(months[0]["month"], key(2));
    assert_eq!(months[0]["amount"], 60.0);
    assert_eq!(months[1]["month"], key(1));
    assert_eq!(
        (months[1]["purchases"].clone(), months[1]["amount"].clone()),
        (json!(0), json!(0.0))
    );
    assert_eq!(months[2]["amount"], 40.0);
    assert!(
        months[2]["label"]
            .as_str()
            .unwrap()
            .ends_with(&now.year().to_string())
    );
    // Labels in Arabic; the default window is six months.
    let res = get(&app, &format!("/{id}/spending-trends"), "ar").await;
    let months: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(months.as_array().unwrap().len(), 6);
    let label = months[5]["label"].as_str().unwrap();
    assert!(
        label
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{label}"
    );
    for bad in ["0", "25", "abc", "-1", "1.5"] {
        let res = get(&app, &format!("/{id}/spending-trends?months={bad}"), "en").await;
        let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], "months", "{bad}");
    }
}

#[tokio::test]
async fn the_breakdown_adds_up_to_exactly_one_hundred_and_leaves_refunds_out() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    for (order, amount, category) in [
        ("B-1", 10.0, "Books"),
        ("B-2", 10.0, "games"),
        ("B-3", 10.0, "Toys"),
        ("B-4", 5.0, "BOOKS"),
        ("B-5", 99.0, "garden"),
    ] {
        let body = purchase(order, amount, category, 1);
        assert_eq!(post_purchase(&app, &id, &body).await.status(), 201);
        if order == "B-5" {
            let mut refund = body.clone();
            refund["status"] = json!("refunded");
            assert_eq!(post_purchase(&app, &id, &refund).await.status(), 201);
        }
    }
    // 15 + 10 + 10 of 35: 42.857… / 28.571… / 28.571… → 42.86 + 28.57 + 28.57 = 100.00.
    let res = get(&app, &format!("/{id}/category-breakdown"), "en").await;
    let list: Value = res.json::<Value>().await.unwrap()["data"].clone();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3, "the refunded category is gone: {list:?}");
    assert_eq!(list[0]["category"], "Books");
    assert_eq!(
        (list[0]["purchases"].clone(), list[0]["amount"].clone()),
        (json!(2), json!(15.0))
    );
    let cents: i64 = list
        .iter()
        .map(|c| (c["percentage"].as_f64().unwrap() * 100.0).round() as i64)
        .sum();
    assert_eq!(cents, 10_000);
    assert_eq!(list[0]["percentage"], 42.86);
    // No purchases: an empty breakdown.
    let other = app.register_customer().await;
    let res = get(&app, &format!("/{other}/category-breakdown"), "en").await;
    assert_eq!(res.json::<Value>().await.unwrap()["data"], json!([]));
}
