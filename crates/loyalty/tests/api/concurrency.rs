use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn two_hundred_concurrent_redeems_never_overdraw() {
    let app = spawn_app().await;
    let race = app.register_customer().await;
    earn_ok(&app, &race, 1000).await;
    let tok = customer(&app, &race);
    let sends = (0..200).map(|_| redeem(&app, &race, &tok, 10));
    let results = futures_util::future::join_all(sends).await;
    let (mut ok, mut short) = (0, 0);
    for res in results {
        match res.status().as_u16() {
            201 => ok += 1,
            422 => {
                let body: Value = res.json().await.unwrap();
                assert_eq!(body["code"], "INSUFFICIENT_POINTS");
                short += 1;
            }
            other => panic!(
                "unexpected status {other}: {}",
                res.text().await.unwrap_or_default()
            ),
        }
    }
    assert_eq!((ok, short), (100, 100));
    assert_eq!(account(&app, &race).await["data"]["points"], 0);
    let history = full_history(&app, &race).await;
    let sum: i64 = history.iter().map(|e| e["points"].as_i64().unwrap()).sum();
    assert_eq!(sum, 0, "the ledger sums to the balance");
    assert_eq!(history.len(), 101);
}

/// SQLite has one writer: a writer queued behind a stuck one longer than the pool's acquire
/// timeout is told the database is unavailable (a 503 upstream) instead of waiting on, and
/// the queue does not hold the pool's connections meanwhile (a read still gets one).
#[tokio::test]
async fn a_sqlite_writer_queued_past_the_acquire_timeout_is_unavailable_and_reads_go_on() {
    let app = spawn_app().await;
    if !app.db.url.starts_with("sqlite") {
        return; // PostgreSQL writers take row locks, not this queue.
    }
    let opts = cid_kit::db::DbOptions {
        pool_size: 2,
        acquire_timeout: std::time::Duration::from_millis(200),
        ..Default::default()
    };
    let db = cid_kit::Db::connect(&app.db.url, &opts, &cid_loyalty::MIGRATIONS).unwrap();
    let stuck = {
        let db = db.clone();
        tokio::spawn(async move {
            db.write(|_| {
                std::thread::sleep(std::time::Duration::from_millis(800));
                Ok::<_, cid_kit::DbError>(())
            })
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let queued = db.write(|_| Ok::<_, cid_kit::DbError>(())).await;
    assert!(
        matches!(queued, Err(cid_kit::DbError::Unavailable(_))),
        "{queued:?}"
    );
    let read = db.read(|_| Ok::<_, cid_kit::DbError>(7)).await;
    assert_eq!(read.unwrap(), 7);
    stuck.await.unwrap().unwrap();
}
