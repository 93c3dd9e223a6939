//! The domain events the registry emits: created, and deactivated once.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn registering_and_deactivating_emit_their_events_once() {
    let app = spawn_app().await;
    let created = create_ok(&app, "u-events", "buyer").await;
    let id = created["customerId"].as_str().unwrap();
    // Registering the same user again creates nothing, so emits nothing.
    assert_eq!(
        create(&app, json!({"userId": "u-events", "userType": "buyer"}))
            .await
            .status(),
        409
    );
    for _ in 0..2 {
        let res = app
            .client
            .delete(url(&app, &format!("/{id}")))
            .bearer_auth(admin(&app))
            .header("X-Request-ID", "req-deactivate")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let events = app.db.emitted();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["customers.created", "customers.deactivated"]);
    assert_eq!(events[0]["customerId"], id);
    assert_eq!(
        events[0]["data"],
        json!({"shortId": created["shortId"], "userType": "buyer"})
    );
    assert_eq!(events[1]["requestId"], "req-deactivate");
}
