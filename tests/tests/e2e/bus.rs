//! Domain events over NATS JetStream (`[events] bus = "jetstream"`): loyalty's outbox
//! publishes each event once; notifications (two replicas on one database) and security read
//! them through one durable consumer each, so every event is handed to one replica of each
//! service once; while NATS is down the events wait in loyalty's outbox and arrive after.

use std::time::Duration;

use cid_common::Role;
use cid_kit::settings::EventBus;
use cid_testkit::TestApp;
use cid_testkit::servers::LocalServer;
use serde_json::{Value, json};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(app: &TestApp, query: &'static str) -> i64 {
    let mut conn = app.db.connect();
    let rows: Vec<Count> = cid_kit::with_backend!(&mut conn, |c| {
        use diesel::RunQueryDsl;
        diesel::sql_query(query).load(c)
    })
    .expect("count");
    rows[0].n
}

/// Events loyalty wrote, and how many of them notifications has taken.
fn progress(loyalty: &TestApp, notifications: &TestApp) -> (usize, i64) {
    (
        loyalty.db.emitted().len(),
        count(
            notifications,
            "SELECT count(*) AS n FROM events WHERE event_type LIKE 'loyalty.%'",
        ),
    )
}

async fn until_taken(loyalty: &TestApp, notifications: &TestApp) -> usize {
    for _ in 0..200 {
        let (emitted, taken) = progress(loyalty, notifications);
        if emitted > 0 && taken == emitted as i64 {
            return emitted;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "notifications took {:?} (emitted, taken) within 20 s",
        progress(loyalty, notifications)
    );
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) {
    let res = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{path}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_over_jetstream_reach_each_service_once_across_replicas_and_outlive_an_outage() {
    let Some(mut nats) = LocalServer::jetstream().await else {
        eprintln!("nats-server is not installed (.ci/run installs it): skipped");
        return;
    };
    let mut settings = cid_testkit::settings();
    settings.events.bus = EventBus::Jetstream;
    settings.events.nats_url = nats.url();
    let registry = TestApp::spawn_with(
        cid_customers::SERVICE,
        cid_customers::app_spec,
        settings.clone(),
    )
    .await;
    settings.services.get_mut("customers").unwrap().url = Some(registry.base.clone());
    let notifications = TestApp::spawn_with(
        cid_notifications::SERVICE,
        cid_notifications::app_spec,
        settings.clone(),
    )
    .await;
    let mut replica = notifications.another_instance(settings.clone());
    let security = TestApp::spawn_with(
        cid_security::SERVICE,
        cid_security::app_spec,
        settings.clone(),
    )
    .await;
    let loyalty = TestApp::spawn_with(
        cid_loyalty::SERVICE,
        cid_loyalty::app_spec,
        settings.clone(),
    )
    .await;

    let id = registry.register_customer().await;
    let (svc, me) = (
        loyalty.token("orders", &[Role::Service]),
        loyalty.token(&id, &[Role::Customer]),
    );
    let points = format!("/api/customer-id/loyalty/{id}/points");
    let redeem = format!("/api/customer-id/loyalty/{id}/redeem");
    post(
        &loyalty,
        &svc,
        &points,
        json!({"points": 5000, "reason": "welcome", "type": "manual"}),
    )
    .await;
    for n in 0..11 {
        let body = json!({"points": 10, "rewardId": format!("coupon-{n}")});
        post(&loyalty, &me, &redeem, body).await;
    }
    let emitted = until_taken(&loyalty, &notifications).await;
    assert!(
        emitted >= 12,
        "a credit and 11 redemptions: {emitted} events"
    );

    // Security heard of the redemptions: its velocity rule raised an alert.
    let rules = crate::helpers::alert_rules(&security, &id, &me).await;
    assert_eq!(rules, ["redemption_velocity"]);

    // What JetStream saw: each event (the registry's, and security's alert, too) stored once,
    // handed to one replica of notifications once (every type) and to security once
    // (redemptions only), all acknowledged.
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.unwrap());
    let mut stream = js.get_stream("CID_EVENTS").await.unwrap();
    // Every event in the outboxes, and nothing else, once: the IDs the stream holds are the
    // IDs the services wrote (read again until the last publish has landed).
    let mut written = Vec::new();
    let mut held = Vec::new();
    for _ in 0..50 {
        written = [&loyalty, &registry, &security, &notifications]
            .iter()
            .flat_map(|app| app.db.emitted())
            .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>();
        written.sort();
        let stored = stream.info().await.unwrap().state.messages;
        held.clear();
        for seq in 1..=stored {
            let msg = stream.get_raw_message(seq).await.unwrap();
            let id = msg
                .headers
                .get(async_nats::header::NATS_MESSAGE_ID)
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default();
            held.push(id);
        }
        held.sort();
        if held == written {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(held, written, "event IDs in the stream and in the outboxes");
    let all = written.len() as u64;
    for (consumer, handed) in [("notifications", all), ("security", 11)] {
        let mut info = stream.consumer_info(consumer).await.unwrap();
        for _ in 0..50 {
            if info.num_ack_pending == 0 && info.delivered.consumer_sequence >= handed {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            info = stream.consumer_info(consumer).await.unwrap();
        }
        assert_eq!(
            (
                info.delivered.consumer_sequence,
                info.num_redelivered,
                info.num_ack_pending
            ),
            (handed, 0, 0),
            "{consumer}"
        );
    }

    // NATS down: redemptions still succeed, their events wait in loyalty's outbox; one
    // replica of notifications goes away too. NATS back: the other takes them all.
    nats.stop();
    replica.stop().await;
    for n in 11..14 {
        let body = json!({"points": 10, "rewardId": format!("coupon-{n}")});
        post(&loyalty, &me, &redeem, body).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = count(
        &loyalty,
        "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL",
    );
    assert!(waiting >= 3, "{waiting} events wait in the outbox");
    nats.restart().await;
    let after = until_taken(&loyalty, &notifications).await;
    assert_eq!(after, emitted + 3);
    // The row is marked delivered once JetStream has acknowledged the publish, which may be
    // after notifications has already taken the event: wait for the mark, not only the effect.
    let mut waiting = 0;
    for _ in 0..50 {
        waiting = count(
            &loyalty,
            "SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL",
        );
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(waiting, 0, "events still undelivered in loyalty's outbox");
}
