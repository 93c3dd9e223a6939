//! Two replicas of one service on one PostgreSQL database: they migrate together, send each
//! outbox message once between them, and run each periodic job once per period.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use cid_kit::client::ServiceClient;
use cid_kit::outbox::{self, Message};
use cid_kit::server::Job;
use cid_kit::{ApiError, Db};
use serde_json::json;

use crate::helpers::counting_target;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_migrate_together_send_each_message_once_and_run_each_job_once_a_period() {
    let handle = cid_testkit::TestDb::new("replicas");
    if !handle.is_postgres() {
        eprintln!("replicas share a PostgreSQL database: run with make test-pg");
        return;
    }
    // Both start at once on a database nobody has migrated: one migrates, the other waits.
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let url = handle.url.clone();
            std::thread::spawn(move || {
                Db::connect(&url, &Default::default(), &cid_loyalty::MIGRATIONS)
            })
        })
        .collect();
    let replicas: Vec<Db> = starts
        .into_iter()
        .map(|s| s.join().unwrap().expect("a replica starts"))
        .collect();

    let (target, seen) = counting_target();
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("loyalty").unwrap().url = Some(target);
    let client = ServiceClient::new(&settings, "rewards")
        .unwrap()
        .with_timeout(Duration::from_secs(5));
    let now = Utc::now().naive_utc();
    replicas[0]
        .write(move |c| {
            for n in 0..1000 {
                let message = Message {
                    target: "loyalty".into(),
                    method: reqwest::Method::POST,
                    path: format!("/api/customer-id/loyalty/CID-2026-{n:06}/points"),
                    body: json!({"points": 10, "reason": "replica test", "type": "manual"}),
                    idempotency_key: format!("replica-test:{n}"),
                };
                outbox::enqueue(c, &message, now)?;
            }
            Ok::<_, ApiError>(())
        })
        .await
        .unwrap();
    let deliverer = |db: Db| {
        let client = client.clone();
        async move {
            let mut sent = 0;
            loop {
                sent += outbox::deliver_due(&db, &client, Utc::now().naive_utc(), 50)
                    .await
                    .unwrap();
                let (pending, _) = db
                    .read(|c| outbox::backlog(c).map_err(ApiError::from))
                    .await
                    .unwrap();
                if pending == 0 {
                    return sent;
                }
            }
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(deliverer(replicas[0].clone())),
        tokio::spawn(deliverer(replicas[1].clone()))
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 1000, "every message acknowledged once: {a} + {b}");
    assert!(a > 0 && b > 0, "both replicas shared the work: {a} + {b}");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1000);
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");

    // The same job in both replicas, every 300 ms for 3 s: about ten runs between them, not
    // twenty.
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let job = Job {
        name: "replica test job",
        every: Duration::from_millis(300),
        run: Arc::new(move |_db: Db| {
            let counted = counted.clone();
            Box::pin(async move {
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(1)
            })
        }),
    };
    let (stop, watch) = tokio::sync::watch::channel(false);
    let loops: Vec<_> = replicas
        .iter()
        .map(|db| {
            tokio::spawn(cid_kit::server::run_job(
                job.clone(),
                db.clone(),
                watch.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    stop.send(true).unwrap();
    for l in loops {
        l.await.unwrap();
    }
    let runs = runs.load(Ordering::SeqCst);
    assert!((8..=11).contains(&runs), "{runs} runs in ten periods");
}
