use std::time::Duration;

use chrono::Utc;
use cid_common::Role;
use cid_kit::client::ServiceClient;
use cid_kit::outbox::{self, Message};
use cid_kit::{ApiError, Db};
use cid_testkit::TestApp;
use diesel::prelude::*;
use serde_json::{Value, json};

/// A producer's database (any service's has the kit tables) and a client aimed at `loyalty`.
fn producer(loyalty: &TestApp) -> (cid_testkit::TestDb, Db, ServiceClient) {
    let db_handle = cid_testkit::TestDb::new("producer");
    let db = Db::connect(
        &db_handle.url,
        &Default::default(),
        &cid_customers::MIGRATIONS,
    )
    .unwrap();
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("loyalty").unwrap().url = Some(loyalty.base.clone());
    let client = ServiceClient::new(&settings, "rewards")
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    (db_handle, db, client)
}

async fn points(loyalty: &TestApp, id: &str) -> (i64, usize) {
    let tok = loyalty.token("admin", &[Role::Admin]);
    let body: Value = loyalty
        .client
        .get(loyalty.url(&format!("/api/customer-id/loyalty/{id}")))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        body["data"]["points"].as_i64().unwrap(),
        body["data"]["pointsHistory"].as_array().unwrap().len(),
    )
}

#[tokio::test]
async fn an_outbox_credit_survives_loyalty_being_down_and_lands_exactly_once() {
    let mut loyalty = crate::helpers::loyalty_with_registry().await;
    let out1 = loyalty.register_customer().await;
    let (_keep, db, client) = producer(&loyalty);
    let now = Utc::now().naive_utc();
    let message = Message {
        target: "loyalty".into(),
        method: reqwest::Method::POST,
        path: format!("/api/customer-id/loyalty/{out1}/points"),
        body: json!({"points": 500, "reason": "Birthday reward", "type": "birthday"}),
        idempotency_key: "reward-claim:R1".into(),
    };
    let m = message.clone();
    db.write(move |c| outbox::enqueue(c, &m, now).map_err(ApiError::from))
        .await
        .unwrap();
    // The same effect enqueued twice is one message.
    let m = message.clone();
    db.write(move |c| outbox::enqueue(c, &m, now).map_err(ApiError::from))
        .await
        .unwrap();

    loyalty.stop().await;
    assert_eq!(outbox::deliver_due(&db, &client, now, 10).await.unwrap(), 0);
    let row = db
        .read(|c| outbox::by_key(c, "reward-claim:R1").map_err(ApiError::from))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.attempts, row.delivered_at.is_none()), (1, true));
    assert!(row.last_error.unwrap().contains("loyalty"));
    assert!(row.next_attempt_at > now, "backs off");

    loyalty.restart().await;
    let later = now + chrono::Duration::hours(1);
    assert_eq!(
        outbox::deliver_due(&db, &client, later, 10).await.unwrap(),
        1
    );
    assert_eq!(points(&loyalty, &out1).await, (500, 1));

    // An acknowledgement lost after loyalty applied the credit (the sender died before
    // marking it): once its claim lapses the message goes again, and loyalty replays instead
    // of crediting twice.
    db.write(|c| {
        diesel::update(outbox::outbox::table)
            .set(outbox::outbox::delivered_at.eq(None::<chrono::NaiveDateTime>))
            .execute(c)
            .map_err(ApiError::from)
    })
    .await
    .unwrap();
    assert_eq!(
        outbox::deliver_due(&db, &client, later, 10).await.unwrap(),
        0,
        "still claimed by the sender that died"
    );
    let lapsed = later + chrono::Duration::minutes(2);
    assert_eq!(
        outbox::deliver_due(&db, &client, lapsed, 10).await.unwrap(),
        1
    );
    assert_eq!(points(&loyalty, &out1).await, (500, 1));
    assert_eq!(
        outbox::deliver_due(&db, &client, lapsed, 10).await.unwrap(),
        0,
        "nothing left"
    );
}

#[tokio::test]
async fn the_service_client_signs_calls_and_passes_the_request_id_on() {
    let loyalty = crate::helpers::loyalty_with_registry().await;
    let sc1 = loyalty.register_customer().await;
    let (_keep, _db, client) = producer(&loyalty);
    let ctx = cid_kit::client::CallContext {
        request_id: Some("req-77".into()),
        ..Default::default()
    };
    let moved: Value = client
        .call(
            "loyalty",
            reqwest::Method::POST,
            &format!("/api/customer-id/loyalty/{sc1}/points"),
            Some(&json!({"type": "review"})),
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(moved["entry"]["points"], 50);
    assert_eq!(
        moved["entry"]["actor"], "service:rewards",
        "the call carried a service token"
    );
    let history: Value = loyalty
        .client
        .get(loyalty.url(&format!("/api/customer-id/loyalty/{sc1}/history")))
        .bearer_auth(loyalty.token("admin", &[Role::Admin]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(history["data"][0]["points"], 50);
    // A non-idempotent call that fails is not retried and reports the callee's answer.
    let err = client
        .call::<_, Value>(
            "loyalty",
            reqwest::Method::POST,
            &format!("/api/customer-id/loyalty/{sc1}/redeem"),
            Some(&json!({"points": 999, "rewardId": "x"})),
            &ctx,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("403") || err.to_string().contains("422"),
        "{err}"
    );
}

#[tokio::test]
async fn over_http_each_consumer_of_an_event_gets_it_on_its_own() {
    let (segmentation, seen) = crate::helpers::counting_target();
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("segmentation").unwrap().url = Some(segmentation);
    let down = format!("http://127.0.0.1:{}", crate::helpers::closed_port());
    settings.services.get_mut("notifications").unwrap().url = Some(down);
    let db_handle = cid_testkit::TestDb::new("emitter");
    let db = Db::connect(
        &db_handle.url,
        &Default::default(),
        &cid_analytics::MIGRATIONS,
    )
    .unwrap();
    let client = ServiceClient::new(&settings, "analytics")
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    let now = Utc::now().naive_utc();
    db.write(move |c| {
        cid_kit::events::record(
            c,
            cid_common::contracts::events::types::PURCHASE_RECORDED,
            "CID-2026-000001",
            json!({"orderId": "o-1"}),
            None,
            now,
        )
        .map_err(ApiError::from)
    })
    .await
    .unwrap();
    let id = db_handle.emitted()[0]["id"].as_str().unwrap().to_owned();

    // Notifications is down: segmentation gets the event anyway, and only notifications'
    // message waits for its retry.
    assert_eq!(outbox::deliver_due(&db, &client, now, 10).await.unwrap(), 1);
    let key = format!("segmentation:event:{id}");
    assert_eq!(seen.lock().unwrap().get(&key), Some(&1));
    let waiting = db
        .read(move |c| {
            outbox::by_key(c, &format!("notifications:event:{id}")).map_err(ApiError::from)
        })
        .await
        .unwrap()
        .expect("notifications' own message");
    assert_eq!((waiting.attempts, waiting.delivered_at), (1, None));
    let later = now + chrono::Duration::seconds(5);
    assert_eq!(
        outbox::deliver_due(&db, &client, later, 10).await.unwrap(),
        0
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "segmentation is not sent it again"
    );
    assert_eq!(seen.lock().unwrap().get(&key), Some(&1));
}

#[tokio::test]
async fn delivered_messages_are_purged_after_a_week_and_set_aside_ones_kept() {
    let db_handle = cid_testkit::TestDb::new("purge");
    let db = Db::connect(
        &db_handle.url,
        &Default::default(),
        &cid_customers::MIGRATIONS,
    )
    .unwrap();
    let now = Utc::now().naive_utc();
    let week = chrono::Duration::days(outbox::KEEP_DELIVERED_DAYS);
    db.write(move |c| {
        for (key, delivered, failed) in [
            ("old", Some(now - week - chrono::Duration::hours(1)), None),
            (
                "recent",
                Some(now - week + chrono::Duration::hours(1)),
                None,
            ),
            ("pending", None, None),
            ("set-aside", None, Some(now - week * 4)),
        ] {
            let message = Message {
                target: "loyalty".into(),
                method: reqwest::Method::POST,
                path: "/x".into(),
                body: json!({}),
                idempotency_key: key.into(),
            };
            outbox::enqueue(c, &message, now - week * 5)?;
            diesel::update(outbox::outbox::table.filter(outbox::outbox::idempotency_key.eq(key)))
                .set((
                    outbox::outbox::delivered_at.eq(delivered),
                    outbox::outbox::failed_at.eq(failed),
                ))
                .execute(c)?;
        }
        Ok::<_, ApiError>(())
    })
    .await
    .unwrap();
    let purged = db
        .write(move |c| outbox::purge_delivered(c, now).map_err(ApiError::from))
        .await
        .unwrap();
    assert_eq!(purged, 1);
    for (key, kept) in [
        ("old", false),
        ("recent", true),
        ("pending", true),
        ("set-aside", true),
    ] {
        let row = db
            .read(move |c| outbox::by_key(c, key).map_err(ApiError::from))
            .await
            .unwrap();
        assert_eq!(row.is_some(), kept, "{key}");
    }
}
