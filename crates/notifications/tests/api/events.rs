//! Domain events in: once per event ID, turned into the customer's message when it is one
//! they hear of; bad events refused.

use cid_common::Role;
use cid_common::contracts::events::types;
use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

pub fn event(id: &str, kind: &str, customer: &str, data: Value) -> Value {
    json!({"id": id, "type": kind, "occurredAt": "2026-11-30T10:00:00.000Z",
        "customerId": customer, "data": data, "requestId": "req-1"})
}

pub async fn post_event(app: &cid_testkit::TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(url(app, "/events"))
        .bearer_auth(app.token("loyalty", &[Role::Service]))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_notifies_the_customer_once_however_often_it_arrives() {
    let app = spawn_app().await;
    let id = register(&app, "ar").await;
    let earned = event(
        "evt-1",
        types::POINTS_EARNED,
        &id,
        json!({"points": 150, "balance": 1200}),
    );
    let res = post_event(&app, &earned).await;
    assert_eq!(res.status(), 202);
    let first = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (
            first["duplicate"].as_bool(),
            first["notificationId"].is_string()
        ),
        (Some(false), true)
    );
    let again = post_event(&app, &earned)
        .await
        .json::<Value>()
        .await
        .unwrap()["data"]
        .clone();
    assert_eq!(
        (
            again["duplicate"].as_bool(),
            again["notificationId"].clone()
        ),
        (Some(true), Value::Null)
    );
    // Five deliveries of another event at once: one message.
    let tier = event(
        "evt-2",
        types::TIER_CHANGED,
        &id,
        json!({"from": "bronze", "to": "silver", "direction": "upgrade"}),
    );
    let posts = (0..5).map(|_| post_event(&app, &tier));
    let statuses: Vec<u16> = futures_util::future::join_all(posts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let feed = get_as_owner(&app, &id, &format!("/{id}/history")).await;
    let titles: Vec<&str> = feed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["مرحبًا بك في فئة Silver", "ربحت 150 نقطة"]);
    // Events a customer does not hear of are taken, but make no message.
    let res = post_event(
        &app,
        &event("evt-3", types::SEGMENT_CHANGED, &id, json!({"to": "vip"})),
    )
    .await;
    let body = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (body["duplicate"].as_bool(), body["notificationId"].clone()),
        (Some(false), Value::Null)
    );
    // A deactivated customer is told nothing more; the event is still taken.
    app.deactivate_customer(&id).await;
    let later = event(
        "evt-4",
        types::POINTS_EARNED,
        &id,
        json!({"points": 1, "balance": 1}),
    );
    let body = post_event(&app, &later)
        .await
        .json::<Value>()
        .await
        .unwrap()["data"]
        .clone();
    assert_eq!(
        (body["duplicate"].as_bool(), body["notificationId"].clone()),
        (Some(false), Value::Null)
    );
}

#[tokio::test]
async fn bad_events_are_refused_and_only_services_send_them() {
    let app = spawn_app().await;
    let id = register(&app, "en").await;
    let good = event(
        "evt-9",
        types::POINTS_EARNED,
        &id,
        json!({"points": 1, "balance": 1}),
    );
    for (mutate, field) in [
        (json!({"type": "Loyalty Points"}), "type"),
        (json!({"id": ""}), "id"),
        (json!({"occurredAt": "yesterday"}), "occurredAt"),
        (json!({"data": "points"}), "data"),
    ] {
        let mut body = good.clone();
        for (k, v) in mutate.as_object().unwrap() {
            body[k] = v.clone();
        }
        let p = problem(post_event(&app, &body).await, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], field);
    }
    let mut extra = good.clone();
    extra["colour"] = json!("red");
    problem(post_event(&app, &extra).await, 400, "VALIDATION_FAILED").await;
    for role in [Role::Admin, Role::Customer] {
        let res = app
            .client
            .post(url(&app, "/events"))
            .bearer_auth(app.token(&id, &[role]))
            .json(&good)
            .send()
            .await
            .unwrap();
        problem(res, 403, "FORBIDDEN").await;
    }
    let feed = get_as_owner(&app, &id, &format!("/{id}/history")).await;
    assert_eq!(feed["data"], json!([]));
}
