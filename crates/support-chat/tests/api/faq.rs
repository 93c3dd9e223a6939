//! The FAQ: shipped entries, localized reads, Arabic-aware ranked search, admin edits.

use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn the_shipped_faq_reads_in_the_callers_language_by_category() {
    let app = spawn_app().await;
    let all = public(&app, "/faq", "en").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 30);
    let orders = public(&app, "/faq?category=orders", "ar").await;
    let first = &orders["data"][0];
    assert_eq!(
        (first["entryId"].as_str(), first["language"].as_str()),
        (Some("orders-1"), Some("ar"))
    );
    assert_eq!(first["question"], "كيف أتتبع طلبي؟");
    assert_eq!(orders["data"].as_array().unwrap().len(), 5);
    let cats = public(&app, "/categories", "ar").await;
    assert_eq!(cats["data"].as_array().unwrap().len(), 6);
    assert_eq!(cats["data"][1]["name"], "الطلبات");
    assert_eq!(
        cats["data"][1]["topics"][0],
        json!({"topic": "tracking", "name": "تتبع الطلب"})
    );
    let res = app
        .client
        .get(url(&app, "/faq?category=weather"))
        .send()
        .await
        .unwrap();
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "category");
}

#[tokio::test]
async fn arabic_search_ignores_diacritics_tatweel_and_hamza_forms() {
    let app = spawn_app().await;
    // "Return policy" written four ways.
    let plain = ids(&public(&app, "/faq/search?query=سياسة%20الارجاع", "ar").await);
    assert_eq!(
        plain.first().map(String::as_str),
        Some("returns-1"),
        "{plain:?}"
    );
    for variant in ["سِيَاسَةُ الإِرْجَاعِ", "سياسه الإرجاع", "سيـاسة الإرجـاع"]
    {
        let q = format!("/faq/search?query={}", variant.replace(' ', "%20"));
        assert_eq!(ids(&public(&app, &q, "ar").await), plain, "{variant}");
    }
    // Either language finds the same entries; results come in the caller's language.
    let en = public(&app, "/faq/search?query=refund", "en").await;
    assert!(ids(&en).contains(&"returns-2".to_owned()));
    assert!(en["data"][0]["question"].as_str().unwrap().is_ascii());
    let ar = public(&app, "/faq/search?query=refund", "ar").await;
    assert_eq!(ids(&ar), ids(&en));
    assert_eq!(ar["data"][0]["language"], "ar");
}

#[tokio::test]
async fn every_word_ranks_above_some_and_questions_above_answers() {
    let app = spawn_app().await;
    let found = ids(&public(&app, "/faq/search?query=track%20order", "en").await);
    assert_eq!(
        found.first().map(String::as_str),
        Some("orders-1"),
        "{found:?}"
    );
    // "points expire": the entry asking about both comes before those mentioning one.
    let found = ids(&public(&app, "/faq/search?query=points%20expire", "en").await);
    assert_eq!(
        found.first().map(String::as_str),
        Some("technical-4"),
        "{found:?}"
    );
    assert!(found.len() > 1, "entries with one of the words follow");
    assert_eq!(
        public(&app, "/faq/search?query=xylophone", "en").await["data"],
        json!([])
    );
}

#[tokio::test]
async fn a_search_needs_a_query_of_at_most_a_hundred_characters() {
    let app = spawn_app().await;
    let long = "a".repeat(101);
    for (q, field) in [
        ("", "query"),
        ("?query=", "query"),
        ("?query=%20%20", "query"),
        (&format!("?query={long}")[..], "query"),
    ] {
        let res = app
            .client
            .get(url(&app, &format!("/faq/search{q}")))
            .send()
            .await
            .unwrap();
        let p = problem(res, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], field, "{q}");
    }
}

#[tokio::test]
async fn admins_edit_the_faq_audited_and_a_deleted_shipped_entry_stays_deleted() {
    let mut app = spawn_app().await;
    let body = json!({"category": "orders", "topic": "delivery",
        "question": {"en": "Do you deliver on Fridays?", "ar": "هل توصلون يوم الجمعة؟"},
        "answer": {"en": "Yes, in Riyadh and Jeddah.", "ar": "نعم، في الرياض وجدة."}});
    let res = app
        .client
        .post(url(&app, "/faq"))
        .bearer_auth(admin(&app))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["data"]["entryId"].as_str().unwrap().to_owned();
    assert_eq!(
        ids(&public(&app, "/faq/search?query=الجمعه", "ar").await),
        std::slice::from_ref(&id)
    );
    let mut changed = body.clone();
    changed["answer"]["en"] = json!("Yes, everywhere.");
    let res = app
        .client
        .put(url(&app, &format!("/faq/{id}")))
        .bearer_auth(admin(&app))
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Bad edits name the field; a topic of another category is refused.
    let mut bad = body.clone();
    bad["topic"] = json!("refunds");
    let res = app
        .client
        .post(url(&app, "/faq"))
        .bearer_auth(admin(&app))
        .json(&bad)
        .send()
        .await
        .unwrap();
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "topic");
    let res = app
        .client
        .delete(url(&app, "/faq/orders-1"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .client
        .put(url(&app, "/faq/orders-1"))
        .bearer_auth(admin(&app))
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(res, 404, "FAQ_NOT_FOUND").await;
    app.restart().await;
    let orders = ids(&public(&app, "/faq?category=orders", "en").await);
    assert!(
        !orders.contains(&"orders-1".to_owned()),
        "not written again at start-up"
    );
    assert!(orders.contains(&id));
    let audit: Value = app
        .client
        .get(url(&app, "/audit"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "support-chat.faq_deleted",
            "support-chat.faq_updated",
            "support-chat.faq_created"
        ]
    );
}
