//! Domain events end to end, through the gateway: points earned in loyalty reach the
//! customer's feed (and an open SSE stream), an Arabic email at an SMTP server, and a webhook
//! subscriber, signed — which, down at first, gets the event once when it comes back.

use std::time::Duration;

use cid_common::Role;
use cid_notifications::domain::signature;
use cid_testkit::TestApp;
use cid_testkit::receivers::{HttpReceiver, SmtpReceiver};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn points_earned_reach_the_feed_the_stream_an_arabic_email_and_a_webhook_once() {
    let smtp = SmtpReceiver::start();
    let subscriber = HttpReceiver::start(2);
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.sections.insert(
        cid_notifications::SERVICE.into(),
        json!({"allow_private_webhooks": true, "webhook_interval_ms": 100,
            "email": {"transport": "smtp", "host": "127.0.0.1", "port": smtp.port, "tls": "none",
                "from": "Customer ID <no-reply@cid.test>"}}),
    );
    let notifications = TestApp::spawn_beside_with(
        cid_notifications::SERVICE,
        cid_notifications::app_spec,
        settings,
        vec![registry],
    )
    .await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url =
        Some(notifications.peer("customers").base.clone());
    settings.services.get_mut("notifications").unwrap().url = Some(notifications.base.clone());
    let loyalty = TestApp::spawn_with(cid_loyalty::SERVICE, cid_loyalty::app_spec, settings).await;
    let running = [
        ("customers", notifications.peer("customers").base.clone()),
        ("notifications", notifications.base.clone()),
        ("loyalty", loyalty.base.clone()),
    ];
    let running: Vec<(&str, &str)> = running.iter().map(|(g, b)| (*g, b.as_str())).collect();
    let s = start_gateway(gateway_settings_for(&running, json!({})), None).await;
    let (svc, admin) = (
        s.token("orders", &[Role::Service]),
        s.token("admin-1", &[Role::Admin]),
    );

    let res = s
        .client
        .post(s.url("/api/customer-id/customers"))
        .bearer_auth(&svc)
        .json(&json!({"userId": "e2e-ar", "userType": "buyer", "locale": "ar", "email": "sara@example.sa"}))
        .send()
        .await
        .unwrap();
    let id = res.json::<Value>().await.unwrap()["data"]["customerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = s.token(&id, &[Role::Customer]);
    let res = s
        .client
        .post(s.url("/api/customer-id/notifications/webhooks"))
        .bearer_auth(&admin)
        .json(&json!({"url": subscriber.url, "eventTypes": ["loyalty.points_earned"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let secret = res.json::<Value>().await.unwrap()["data"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream = s
        .client
        .get(s.url(&format!("/api/customer-id/notifications/{id}/stream")))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let mut stream = stream.bytes_stream();

    let res = s
        .client
        .post(s.url(&format!("/api/customer-id/loyalty/{id}/points")))
        .bearer_auth(&svc)
        .json(&json!({"points": 150, "reason": "welcome", "type": "manual"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    // The live stream shows it, in Arabic.
    let mut seen = String::new();
    let live = tokio::time::timeout(Duration::from_secs(5), async {
        while !seen.contains("event: notification") {
            let chunk = stream.next().await.unwrap().unwrap();
            seen.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    })
    .await;
    assert!(live.is_ok(), "no event on the stream: {seen}");
    assert!(seen.contains("ربحت 150 نقطة"), "{seen}");
    // The feed has it, once.
    let feed: Value = s
        .client
        .get(s.url(&format!("/api/customer-id/notifications/{id}/history")))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(feed["data"].as_array().unwrap().len(), 1);
    assert_eq!(feed["data"][0]["template"], "points_earned");
    // The email arrived in Arabic.
    let mails = smtp.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["sara@example.sa"]);
    assert_eq!(mails[0].subject(), "ربحت 150 نقطة");
    assert_eq!(mails[0].body().trim(), "رصيدك الآن 150 نقطة.");
    // The subscriber refused twice, then got it — once, signed.
    let got = subscriber.wait_accepted(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(subscriber.accepted().len(), 1);
    assert_eq!(subscriber.requests().len(), 3);
    let event = got[0].json();
    assert_eq!(event["type"], "loyalty.points_earned");
    assert_eq!(event["customerId"], id.as_str());
    assert_eq!(
        (
            event["data"]["points"].as_i64(),
            event["data"]["balance"].as_i64()
        ),
        (Some(150), Some(150))
    );
    let sig = got[0].header("x-cid-signature").unwrap();
    assert!(signature::verify(
        &secret,
        sig,
        &got[0].body,
        chrono::Utc::now().timestamp()
    ));
    drop(loyalty);
}

#[tokio::test]
async fn points_earned_while_notifications_is_down_are_notified_once_when_it_is_back() {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut notifications = TestApp::spawn_beside(
        cid_notifications::SERVICE,
        cid_notifications::app_spec,
        vec![registry],
    )
    .await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url =
        Some(notifications.peer("customers").base.clone());
    settings.services.get_mut("notifications").unwrap().url = Some(notifications.base.clone());
    let loyalty = TestApp::spawn_with(cid_loyalty::SERVICE, cid_loyalty::app_spec, settings).await;
    let id = notifications.register_customer().await;

    notifications.stop().await;
    for points in [10, 20] {
        let res = loyalty
            .client
            .post(loyalty.url(&format!("/api/customer-id/loyalty/{id}/points")))
            .bearer_auth(loyalty.token("orders", &[Role::Service]))
            .json(&json!({"points": points, "reason": "while down", "type": "manual"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            201,
            "loyalty answers while notifications is down"
        );
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    notifications.restart().await;

    let feed = || async {
        let v: Value = notifications
            .client
            .get(notifications.url(&format!("/api/customer-id/notifications/{id}/history")))
            .bearer_auth(notifications.token(&id, &[Role::Customer]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["data"].as_array().unwrap().len()
    };
    let mut got = 0;
    for _ in 0..150 {
        got = feed().await;
        if got >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got, 2, "both earnings arrive after the restart");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(feed().await, 2, "and only once");
}
