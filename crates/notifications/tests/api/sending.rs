//! Sending: rendering, one delivery per channel with its status, the refusals, and real
//! transports (an SMTP server, an HTTP provider that fails first).

use std::time::Duration;

use cid_common::Role;
use cid_notifications::domain::signature;
use cid_testkit::problem;
use cid_testkit::receivers::{HttpReceiver, SmtpReceiver};
use serde_json::{Value, json};

use crate::helpers::*;

fn points(points: i64, balance: i64) -> Value {
    json!({"template": "points_earned", "params": {"points": points, "balance": balance.to_string()}})
}

#[tokio::test]
async fn a_template_is_rendered_in_the_customers_language_with_one_delivery_per_channel() {
    let app = spawn_app().await;
    let id = register(&app, "ar").await;
    let m = sent(&app, &id, &points(150, 1200)).await;
    assert_eq!(m["title"], "ربحت 150 نقطة");
    assert_eq!(m["message"], "رصيدك الآن 1200 نقطة.");
    assert_eq!(
        (m["type"].as_str(), m["language"].as_str()),
        (Some("loyaltyUpdates"), Some("ar"))
    );
    assert_eq!(
        statuses(&m),
        [
            "email:queued",
            "sms:suppressed",
            "push:queued",
            "inApp:sent"
        ]
    );
    assert_eq!(m["deliveries"][1]["reason"], "channel_off");
    // The log transport takes them at once.
    let id_ = m["notificationId"].as_str().unwrap();
    let done = until(&app, &id, id_, |m| {
        statuses(m) == ["email:sent", "sms:suppressed", "push:sent", "inApp:sent"]
    })
    .await;
    assert_eq!(done["deliveries"][0]["attempts"], 1);
    // An English customer gets English.
    let en = register(&app, "en").await;
    assert_eq!(
        sent(&app, &en, &points(5, 5)).await["title"],
        "You earned 5 points"
    );
}

#[tokio::test]
async fn switched_off_categories_are_listed_as_suppressed_and_security_still_goes_out() {
    let app = spawn_app().await;
    let id = register(&app, "en").await;
    // Promotions are opt-in: "offer" (the reference's alias) is suppressed everywhere.
    let m = sent(
        &app,
        &id,
        &json!({"type": "offer", "title": "Sale", "message": "20% off"}),
    )
    .await;
    assert_eq!(m["type"], "promotional");
    assert_eq!(
        statuses(&m),
        [
            "email:suppressed",
            "sms:suppressed",
            "push:suppressed",
            "inApp:suppressed"
        ]
    );
    assert_eq!(m["deliveries"][0]["reason"], "category_off");
    assert_eq!(m["inApp"], false);
    let feed = get_as_owner(&app, &id, &format!("/{id}/history")).await;
    assert_eq!(feed["data"], json!([]));
    let me = app.token(&id, &[Role::Customer]);
    let res = put(&app, &id, &me, &json!({"loyaltyUpdates": false})).await;
    assert_eq!(res.status(), 200);
    let m = sent(
        &app,
        &id,
        &json!({"type": "alert", "title": "New sign-in", "message": "From Riyadh"}),
    )
    .await;
    assert_eq!(m["type"], "security");
    assert_eq!(
        statuses(&m),
        [
            "email:queued",
            "sms:suppressed",
            "push:queued",
            "inApp:sent"
        ]
    );
}

#[tokio::test]
async fn bad_sends_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let id = register(&app, "en").await;
    let long = "x".repeat(2001);
    let cases = [
        (json!({"template": "nope", "params": {}}), "template"),
        (
            json!({"template": "points_earned", "params": {"points": 1}}),
            "params.balance",
        ),
        (
            json!({"template": "points_earned", "params": {"points": 1, "balance": 2, "x": 3}}),
            "params.x",
        ),
        (
            json!({"template": "points_earned", "params": {"points": {}, "balance": 2}}),
            "params.points",
        ),
        (
            json!({"type": "spam", "title": "t", "message": "m"}),
            "type",
        ),
        (
            json!({"type": "order", "title": "", "message": "m"}),
            "title",
        ),
        (
            json!({"type": "order", "title": "t", "message": long}),
            "message",
        ),
        (
            json!({"type": "order", "title": "t", "message": "m", "template": "points_earned"}),
            "template",
        ),
        (
            json!({"type": "order", "title": "t", "message": "m", "params": {}}),
            "template",
        ),
        (json!({}), "template"),
    ];
    for (body, field) in cases {
        let res = send(&app, &id, &body).await;
        let p = problem(res, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let res = send(
        &app,
        &id,
        &json!({"type": "order", "title": "t", "message": "m", "colour": 1}),
    )
    .await;
    problem(res, 400, "VALIDATION_FAILED").await;
    // Customers do not send to themselves; unknown customers are not found.
    let res = app
        .client
        .post(url(&app, &format!("/{id}/send")))
        .bearer_auth(app.token(&id, &[Role::Customer]))
        .json(&json!({"type": "order", "title": "t", "message": "m"}))
        .send()
        .await
        .unwrap();
    problem(res, 403, "FORBIDDEN").await;
    let res = send(
        &app,
        "CID-2026-999999",
        &json!({"type": "order", "title": "t", "message": "m"}),
    )
    .await;
    problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    let feed = get_as_owner(&app, &id, &format!("/{id}/history")).await;
    assert_eq!(feed["data"], json!([]));
}

/// The document's two forms (`SendText`, `SendTemplate`) let a key of the other form be
/// present as `null`; the handler reads it as absent.
#[tokio::test]
async fn a_key_of_the_other_form_sent_as_null_is_read_as_absent() {
    let app = spawn_app().await;
    let id = register(&app, "en").await;
    let text = sent(
        &app,
        &id,
        &json!({"type": "order", "title": "t", "message": "m", "template": null, "params": null}),
    )
    .await;
    assert_eq!(
        (text["type"].as_str(), text["title"].as_str()),
        (Some("orderUpdates"), Some("t"))
    );
    assert_eq!(text["template"], Value::Null);
    let mut templated = points(5, 5);
    for key in ["type", "title", "message"] {
        templated[key] = Value::Null;
    }
    let m = sent(&app, &id, &templated).await;
    assert_eq!(
        (m["template"].as_str(), m["title"].as_str()),
        (Some("points_earned"), Some("You earned 5 points"))
    );
}

#[tokio::test]
async fn an_idempotency_key_sends_once() {
    let app = spawn_app().await;
    let id = register(&app, "en").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let res = app
            .client
            .post(url(&app, &format!("/{id}/send")))
            .bearer_auth(service(&app))
            .header("Idempotency-Key", "order-77-shipped")
            .json(&json!({"template": "order_shipped", "params": {"orderId": "77"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        ids.push(res.json::<Value>().await.unwrap()["data"]["notificationId"].clone());
    }
    assert_eq!(ids[0], ids[1]);
    let feed = get_as_owner(&app, &id, &format!("/{id}/history")).await;
    assert_eq!(feed["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_email_reaches_a_real_smtp_server_in_arabic() {
    let smtp = SmtpReceiver::start();
    let provider = HttpReceiver::start(0);
    let app = spawn_app_with(transports(&provider.url, Some(smtp.port))).await;
    let id = register(&app, "ar").await;
    let record = app.registry_record(&id).await;
    let m = sent(&app, &id, &points(150, 1200)).await;
    let mails = smtp.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].to,
        vec![record["email"].as_str().unwrap().to_owned()]
    );
    assert_eq!(mails[0].from, "no-reply@cid.test");
    assert_eq!(mails[0].subject(), "ربحت 150 نقطة");
    assert_eq!(mails[0].body().trim(), "رصيدك الآن 1200 نقطة.");
    let key = m["notificationId"].as_str().unwrap();
    until(&app, &id, key, |m| m["deliveries"][0]["status"] == "sent").await;
}

#[tokio::test]
async fn a_provider_that_fails_first_gets_the_message_once_and_signed() {
    let provider = HttpReceiver::start(1);
    let app = spawn_app_with(transports(&provider.url, None)).await;
    let id = register(&app, "en").await;
    let m = sent(
        &app,
        &id,
        &json!({"type": "order", "title": "Shipped", "message": "On its way"}),
    )
    .await;
    let key = m["notificationId"].as_str().unwrap();
    let done = until(&app, &id, key, |m| m["deliveries"][2]["status"] == "sent").await;
    assert_eq!(done["deliveries"][2]["attempts"], 2);
    assert_eq!(
        done["deliveries"][2]["error"],
        Value::Null,
        "no error once sent"
    );
    // Nothing more arrives later: one accepted request, after one refused.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = provider.requests();
    assert_eq!(all.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 200]);
    let got = &all[1];
    let body = got.json();
    assert_eq!(
        (body["channel"].as_str(), body["customerId"].as_str()),
        (Some("push"), Some(id.as_str()))
    );
    assert_eq!(body["title"], "Shipped");
    assert_eq!(
        got.header("idempotency-key"),
        all[0].header("idempotency-key")
    );
    let now = chrono::Utc::now().timestamp();
    let sig = got.header("x-cid-signature").unwrap();
    assert!(signature::verify("push-secret", sig, &got.body, now));
    assert!(!signature::verify("other-secret", sig, &got.body, now));
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_ends_failed_with_the_transports_error() {
    let provider = HttpReceiver::start(usize::MAX);
    let mut config = transports(&provider.url, None);
    config["max_attempts"] = json!(2);
    config["delivery_interval_ms"] = json!(100);
    let app = spawn_app_with(config).await;
    let id = register(&app, "en").await;
    let m = sent(
        &app,
        &id,
        &json!({"type": "order", "title": "t", "message": "m"}),
    )
    .await;
    let key = m["notificationId"].as_str().unwrap();
    let done = until(&app, &id, key, |m| m["deliveries"][2]["status"] == "failed").await;
    assert_eq!(done["deliveries"][2]["attempts"], 2);
    assert_eq!(done["deliveries"][2]["error"], "HTTP 503: not now, 1");
    assert_eq!(done["deliveries"][2]["scheduledFor"], Value::Null);
}
