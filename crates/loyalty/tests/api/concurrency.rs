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
