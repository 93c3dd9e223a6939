//! On PostgreSQL the account read runs on its worker's pipelined connection once that is up
//! (the first reads open it and take the pool meanwhile): the answer must be the pool's.

use cid_testkit::TestApp;
use serde_json::Value;

use crate::helpers::*;

/// Loyalty with one worker (so that the reads below share its connection), or `None` and the
/// test skipped on SQLite.
async fn spawn_on_postgres(pipelined_reads: bool) -> Option<TestApp> {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let mut settings = cid_testkit::settings();
    settings.server.workers = Some(1);
    settings.database.pipelined_reads = pipelined_reads;
    let app = TestApp::spawn_beside_with(
        cid_loyalty::SERVICE,
        cid_loyalty::app_spec,
        settings,
        vec![registry],
    )
    .await;
    if !app.db.is_postgres() {
        eprintln!("skipped: PostgreSQL only (set CID_TEST_DATABASE_URL)");
        return None;
    }
    Some(app)
}

#[tokio::test]
async fn the_account_read_on_the_pipelined_connection_answers_as_the_pool_read_does() {
    let Some(app) = spawn_on_postgres(true).await else {
        return;
    };
    let id = app.register_customer().await;
    earn_ok(&app, &id, 120).await;
    earn_ok(&app, &id, 30).await;
    let first: Value = account(&app, &id).await;
    assert_eq!(
        app.pipelined_reads().await,
        0,
        "the first read opens the connection and is served by the pool"
    );
    assert_eq!(first["data"]["points"], 150);
    assert_eq!(first["data"]["pointsHistory"].as_array().unwrap().len(), 2);
    app.until_pipelined(|| async {
        assert_eq!(account(&app, &id).await["data"], first["data"]);
    })
    .await;

    // No entries and no account: the pipelined read asks for the account itself.
    let served = app.pipelined_reads().await;
    let unknown = app.register_customer().await;
    let zero = account(&app, &unknown).await;
    assert_eq!(app.pipelined_reads().await, served + 1);
    assert_eq!(zero["data"]["customerId"], unknown.as_str());
    assert_eq!(zero["data"]["points"], 0);
    assert_eq!(zero["data"]["tier"], "bronze");
    assert_eq!(zero["data"]["pointsHistory"], Value::Array(Vec::new()));
    assert!(zero["data"]["joinDate"].is_null(), "{zero}");
}

#[tokio::test]
async fn with_pipelined_reads_off_every_account_read_takes_the_pool() {
    let Some(app) = spawn_on_postgres(false).await else {
        return;
    };
    let id = app.register_customer().await;
    earn_ok(&app, &id, 40).await;
    for _ in 0..20 {
        assert_eq!(account(&app, &id).await["data"]["points"], 40);
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(app.pipelined_reads().await, 0);
}
