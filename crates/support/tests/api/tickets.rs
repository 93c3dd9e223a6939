//! Opening, listing, reading and commenting on tickets; bad input.

use std::collections::HashSet;

use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_ticket_opens_with_its_id_sla_and_default_priority_and_lists_newest_first() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let t = opened(&app, &id, json!({})).await;
    let tid = t["ticketId"].as_str().unwrap();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        tid.starts_with(&format!("TKT-{year}-")) && tid.len() == 17,
        "{tid}"
    );
    assert_eq!(
        (t["status"].as_str(), t["priority"].as_str()),
        (Some("open"), Some("medium"))
    );
    assert_eq!(t["title"], t["subject"]);
    let created = chrono::DateTime::parse_from_rfc3339(t["createdAt"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(t["slaDueAt"].as_str().unwrap()).unwrap();
    assert_eq!((due - created).num_hours(), 24, "medium: 24 h");
    assert_eq!(t["slaBreached"], false);
    // The reference's `title`, and an urgent one: 4 h.
    let u = opened(&app, &id, json!({"subject": null, "title": "Charged twice", "priority": "urgent", "category": "payments"})).await;
    let due = chrono::DateTime::parse_from_rfc3339(u["slaDueAt"].as_str().unwrap()).unwrap();
    let created = chrono::DateTime::parse_from_rfc3339(u["createdAt"].as_str().unwrap()).unwrap();
    assert_eq!((due - created).num_hours(), 4);
    assert_eq!(u["subject"], "Charged twice");
    let list = get(&app, &me(&app, &id), &format!("/{id}/tickets")).await;
    let list: Value = list.json().await.unwrap();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["ticketId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [u["ticketId"].as_str().unwrap(), tid]);
    let open_only: Value = get(
        &app,
        &me(&app, &id),
        &format!("/{id}/tickets?status=open&limit=1"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(open_only["data"].as_array().unwrap().len(), 1);
    assert!(open_only["page"]["nextCursor"].is_string());
    let events = app.db.emitted_types();
    assert_eq!(events, ["support.ticket_created", "support.ticket_created"]);
}

#[tokio::test]
async fn fifty_concurrent_tickets_get_fifty_distinct_ids() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let body = ticket(json!({}));
    let opens = (0..50).map(|_| open(&app, &id, &body));
    let mut ids = HashSet::new();
    for res in futures_util::future::join_all(opens).await {
        assert_eq!(res.status(), 201);
        let v: Value = res.json().await.unwrap();
        ids.insert(v["data"]["ticketId"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 50);
}

#[tokio::test]
async fn bad_tickets_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let long = "x".repeat(5001);
    for (body, field) in [
        (ticket(json!({"category": "weather"})), "category"),
        (ticket(json!({"category": null})), "category"),
        (ticket(json!({"priority": "asap"})), "priority"),
        (ticket(json!({"subject": null})), "subject"),
        (ticket(json!({"subject": "  "})), "subject"),
        (ticket(json!({"description": long})), "description"),
        (ticket(json!({"title": "Something else"})), "title"),
        (ticket(json!({"colour": "red"})), "colour"),
    ] {
        let p = problem(open(&app, &id, &body).await, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    // Another customer's path is a 403; an unknown customer a 404.
    let other = app.register_customer().await;
    let res = app
        .client
        .post(url(&app, &format!("/{other}/ticket")))
        .bearer_auth(me(&app, &id))
        .json(&ticket(json!({})))
        .send()
        .await
        .unwrap();
    problem(res, 403, "FORBIDDEN").await;
    let res = app
        .client
        .post(url(&app, "/CID-2026-999999/ticket"))
        .bearer_auth(agent(&app))
        .json(&ticket(json!({})))
        .send()
        .await
        .unwrap();
    problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    let list: Value = get(&app, &me(&app, &id), &format!("/{id}/tickets"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"], json!([]));
    let p = problem(
        get(&app, &me(&app, &id), &format!("/{id}/tickets?status=done")).await,
        400,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "status");
}

#[tokio::test]
async fn internal_notes_are_for_staff_and_other_customers_see_nothing() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let t = opened(&app, &id, json!({})).await;
    let tid = t["ticketId"].as_str().unwrap();
    let comment = |token: String, body: Value| {
        app.client
            .post(url(&app, &format!("/ticket/{tid}/comment")))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    assert_eq!(
        comment(me(&app, &id), json!({"message": "Any news?"}))
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        comment(
            agent(&app),
            json!({"message": "Courier says lost", "internal": true})
        )
        .await
        .unwrap()
        .status(),
        201
    );
    assert_eq!(
        comment(agent(&app), json!({"message": "We are on it"}))
            .await
            .unwrap()
            .status(),
        201
    );
    // A customer cannot write an internal note; an empty message is refused.
    problem(
        comment(me(&app, &id), json!({"message": "psst", "internal": true}))
            .await
            .unwrap(),
        403,
        "FORBIDDEN",
    )
    .await;
    let p = problem(
        comment(me(&app, &id), json!({"message": " "}))
            .await
            .unwrap(),
        400,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "message");
    async fn seen(app: &cid_testkit::TestApp, token: &str, tid: &str) -> Vec<String> {
        let v: Value = get(app, token, &format!("/ticket/{tid}"))
            .await
            .json()
            .await
            .unwrap();
        v["data"]["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["message"].as_str().unwrap().to_owned())
            .collect()
    }
    assert_eq!(
        seen(&app, &me(&app, &id), tid).await,
        ["Any news?", "We are on it"]
    );
    assert_eq!(
        seen(&app, &agent(&app), tid).await,
        ["Any news?", "Courier says lost", "We are on it"]
    );
    // Another customer: not found, for reading and for writing.
    let other = app.register_customer().await;
    problem(
        get(&app, &me(&app, &other), &format!("/ticket/{tid}")).await,
        404,
        "TICKET_NOT_FOUND",
    )
    .await;
    problem(
        comment(me(&app, &other), json!({"message": "hi"}))
            .await
            .unwrap(),
        404,
        "TICKET_NOT_FOUND",
    )
    .await;
    problem(
        get(&app, &agent(&app), "/ticket/TKT-2026-NOPE1234").await,
        404,
        "TICKET_NOT_FOUND",
    )
    .await;
}

#[tokio::test]
async fn the_categories_are_public_and_bilingual() {
    let app = spawn_app().await;
    let v: Value = app
        .client
        .get(url(&app, "/categories"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let all = v["data"].as_array().unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(
        all[0],
        json!({"category": "account", "name": {"en": "Account", "ar": "الحساب"}})
    );
}
