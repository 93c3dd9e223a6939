//! Webhook subscribers: signed deliveries, retries with a log, one slow subscriber never
//! delaying another, re-sending by hand, and the admin routes with their rules and audit.

use std::time::Duration;

use cid_common::contracts::events::types;
use cid_notifications::domain::signature;
use cid_testkit::problem;
use cid_testkit::receivers::HttpReceiver;
use serde_json::{Value, json};

use crate::events::{event, post_event};
use crate::helpers::*;

async fn subscribe(app: &cid_testkit::TestApp, url_: &str, types: Value) -> Value {
    let res = app
        .client
        .post(url(app, "/webhooks"))
        .bearer_auth(admin(app))
        .json(&json!({"url": url_, "eventTypes": types}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"].clone()
}

async fn admin_get(app: &cid_testkit::TestApp, path: &str) -> Value {
    let res = app
        .client
        .get(url(app, path))
        .bearer_auth(admin(app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json::<Value>().await.unwrap()
}

#[tokio::test]
async fn subscribers_get_signed_events_retried_and_a_slow_one_delays_no_other() {
    let mut config = json!({"webhook_timeout_ms": 3000, "webhook_interval_ms": 100});
    config["allow_private_webhooks"] = json!(true);
    let app = spawn_app_with(config).await;
    let id = register(&app, "en").await;
    let (flaky, healthy, slow) = (
        HttpReceiver::start(1),
        HttpReceiver::start(0),
        HttpReceiver::start(0),
    );
    slow.slow(Duration::from_secs(10));
    let a = subscribe(&app, &flaky.url, json!([types::POINTS_EARNED])).await;
    let b = subscribe(&app, &healthy.url, json!(["*"])).await;
    subscribe(&app, &slow.url, json!(["*"])).await;
    let _ignored = subscribe(&app, &healthy.url, json!([types::REWARD_CLAIMED])).await;
    let secret = b["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));

    let earned = event(
        "evt-w1",
        types::POINTS_EARNED,
        &id,
        json!({"points": 5, "balance": 5}),
    );
    let res = post_event(&app, &earned).await;
    assert_eq!(res.json::<Value>().await.unwrap()["data"]["webhooks"], 3);
    // The healthy subscriber has it at once, whatever the slow one does.
    let got = healthy.wait_accepted(1, Duration::from_secs(2)).await;
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.header("x-cid-event-id"), Some("evt-w1"));
    assert_eq!(r.header("x-cid-event-type"), Some(types::POINTS_EARNED));
    assert_eq!(r.json(), earned);
    let now = chrono::Utc::now().timestamp();
    assert!(signature::verify(
        secret,
        r.header("x-cid-signature").unwrap(),
        &r.body,
        now
    ));
    assert!(!signature::verify(
        a["secret"].as_str().unwrap(),
        r.header("x-cid-signature").unwrap(),
        &r.body,
        now
    ));
    // The flaky one refused once, then had it once; the log shows both attempts.
    assert_eq!(
        flaky.wait_accepted(1, Duration::from_secs(5)).await.len(),
        1
    );
    // The subscriber has its answer a moment before the deliverer records it.
    let path = format!("/webhooks/{}/deliveries", a["webhookId"].as_str().unwrap());
    let mut d = Value::Null;
    for _ in 0..100 {
        d = admin_get(&app, &path).await["data"][0].clone();
        if d["status"] != "queued" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(
        (
            d["status"].as_str(),
            d["attempts"].as_i64(),
            d["eventId"].as_str()
        ),
        (Some("sent"), Some(2), Some("evt-w1"))
    );
    let codes: Vec<Value> = d["attemptLog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["statusCode"].clone())
        .collect();
    assert_eq!(codes, [json!(503), json!(200)]);
    // A repeat of the event is not delivered again.
    post_event(&app, &earned).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(healthy.accepted().len(), 1);
    assert_eq!(flaky.accepted().len(), 1);
}

#[tokio::test]
async fn a_failed_delivery_is_resent_by_hand() {
    let app =
        spawn_app_with(json!({"webhook_max_attempts": 1, "allow_private_webhooks": true})).await;
    let id = register(&app, "en").await;
    let receiver = HttpReceiver::start(1);
    let hook = subscribe(&app, &receiver.url, json!(["*"])).await;
    let hook_id = hook["webhookId"].as_str().unwrap();
    post_event(
        &app,
        &event(
            "evt-r1",
            types::REWARD_CLAIMED,
            &id,
            json!({"name": "Birthday"}),
        ),
    )
    .await;
    let mut delivery = Value::Null;
    for _ in 0..100 {
        delivery =
            admin_get(&app, &format!("/webhooks/{hook_id}/deliveries")).await["data"][0].clone();
        if delivery["status"] == "failed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert_eq!(delivery["status"], "failed");
    assert_eq!(delivery["lastError"], "HTTP 503: not now, 1");
    let n = delivery["deliveryId"].as_i64().unwrap();
    let res = app
        .client
        .post(url(
            &app,
            &format!("/webhooks/{hook_id}/deliveries/{n}/resend"),
        ))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    assert_eq!(
        receiver
            .wait_accepted(1, Duration::from_secs(3))
            .await
            .len(),
        1
    );
    let res = app
        .client
        .post(url(
            &app,
            &format!("/webhooks/{hook_id}/deliveries/999999/resend"),
        ))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    problem(res, 404, "WEBHOOK_DELIVERY_NOT_FOUND").await;
}

#[tokio::test]
async fn subscriptions_are_validated_changed_deleted_and_audited_without_secrets() {
    let app = spawn_app_with(json!({"allow_private_webhooks": false})).await;
    let create = |body: Value| {
        app.client
            .post(url(&app, "/webhooks"))
            .bearer_auth(admin(&app))
            .json(&body)
            .send()
    };
    for (body, field) in [
        (
            json!({"url": "ftp://hooks.example.com/x", "eventTypes": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://127.0.0.1:9000/x", "eventTypes": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/", "eventTypes": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://hooks.example.com/x", "eventTypes": ["loyalty.nope"]}),
            "eventTypes[0]",
        ),
        (
            json!({"url": "https://hooks.example.com/x", "eventTypes": ["*"], "secret": "short"}),
            "secret",
        ),
        (json!({"eventTypes": ["*"]}), "url"),
    ] {
        let p = problem(
            create(body.clone()).await.unwrap(),
            400,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
    let res = create(
        json!({"url": "https://hooks.example.com/cid", "eventTypes": ["*"],
        "secret": "a-secret-of-the-subscriber"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let hook = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(hook["secret"], "a-secret-of-the-subscriber");
    let id = hook["webhookId"].as_str().unwrap();
    let read = admin_get(&app, &format!("/webhooks/{id}")).await["data"].clone();
    assert_eq!(read.get("secret"), None, "the secret is shown once");
    let res = app
        .client
        .patch(url(&app, &format!("/webhooks/{id}")))
        .bearer_auth(admin(&app))
        .json(&json!({"active": false, "eventTypes": [types::POINTS_EARNED]}))
        .send()
        .await
        .unwrap();
    let changed = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (changed["active"].as_bool(), changed["eventTypes"].clone()),
        (Some(false), json!([types::POINTS_EARNED]))
    );
    // A change naming nothing is refused as such, not as a missing url.
    let res = app
        .client
        .patch(url(&app, &format!("/webhooks/{id}")))
        .bearer_auth(admin(&app))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    let message = p["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("give at least one of: url, eventTypes"),
        "{p}"
    );
    let res = app
        .client
        .delete(url(&app, &format!("/webhooks/{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = app
        .client
        .get(url(&app, &format!("/webhooks/{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    problem(res, 404, "WEBHOOK_NOT_FOUND").await;
    assert_eq!(admin_get(&app, "/webhooks").await["data"], json!([]));
    let audit = admin_get(&app, &format!("/audit?target=webhook:{id}")).await;
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "notifications.webhook_deleted",
            "notifications.webhook_updated",
            "notifications.webhook_created"
        ]
    );
    assert!(!audit.to_string().contains("a-secret-of-the-subscriber"));
}
