//! The in-app feed: history, read state, the unread count and the live stream.

use std::time::Duration;

use cid_common::Role;
use cid_testkit::problem;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::*;

async fn patch(app: &cid_testkit::TestApp, customer: &str, path: &str) -> reqwest::Response {
    app.client
        .patch(url(app, path))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_feed_lists_newest_first_with_read_state_and_counts_unread() {
    let app = spawn_app().await;
    let id = register(&app, "en").await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        let m = sent(
            &app,
            &id,
            &json!({"type": "order", "title": format!("T{n}"), "message": "m"}),
        )
        .await;
        ids.push(m["notificationId"].as_str().unwrap().to_owned());
    }
    let page = get_as_owner(&app, &id, &format!("/{id}/history?limit=2")).await;
    let titles = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(&page), ["T3", "T2"]);
    assert_eq!(page["data"][0]["read"], false);
    let next = page["page"]["nextCursor"].as_str().unwrap();
    let rest = get_as_owner(&app, &id, &format!("/{id}/history?limit=2&cursor={next}")).await;
    assert_eq!(titles(&rest), ["T1"]);
    let count = get_as_owner(&app, &id, &format!("/{id}/unread-count")).await;
    assert_eq!(count["data"]["unread"], 3);

    let res = patch(&app, &id, &format!("/{id}/{}/read", ids[1])).await;
    assert_eq!(res.status(), 200);
    let first = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(first["read"], true);
    let again = patch(&app, &id, &format!("/{id}/{}/read", ids[1])).await;
    let again = again.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(again["readAt"], first["readAt"], "the first read counts");
    let unread = get_as_owner(&app, &id, &format!("/{id}/history?unread=true")).await;
    assert_eq!(titles(&unread), ["T3", "T1"]);

    let res = patch(&app, &id, &format!("/{id}/read-all")).await;
    let all = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (all["marked"].as_i64(), all["unread"].as_i64()),
        (Some(2), Some(0))
    );
    let count = get_as_owner(&app, &id, &format!("/{id}/unread-count")).await;
    assert_eq!(count["data"]["unread"], 0);

    // Someone else's message is not found under one's own ID; bad filters name themselves.
    let other = register(&app, "en").await;
    let res = patch(&app, &other, &format!("/{other}/{}/read", ids[0])).await;
    problem(res, 404, "NOTIFICATION_NOT_FOUND").await;
    let res = app
        .client
        .get(url(&app, &format!("/{other}/{}", ids[0])))
        .bearer_auth(app.token(&other, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    problem(res, 404, "NOTIFICATION_NOT_FOUND").await;
    let res = app
        .client
        .get(url(&app, &format!("/{id}/history?unread=maybe")))
        .bearer_auth(app.token(&id, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "unread");
}

/// The next `notification` event on an open stream: its id and data.
async fn next_event(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
) -> (i64, Value) {
    let read = async {
        loop {
            if let Some(end) = buffer.find("\n\n") {
                let event: String = buffer.drain(..end + 2).collect();
                if event.contains("event: notification") {
                    let field = |name: &str| {
                        event
                            .lines()
                            .find_map(|l| l.strip_prefix(name))
                            .unwrap()
                            .to_owned()
                    };
                    return (
                        field("id: ").parse::<i64>().unwrap(),
                        serde_json::from_str(&field("data: ")).unwrap(),
                    );
                }
                continue;
            }
            let chunk = body.next().await.unwrap().unwrap();
            buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    };
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("an event within 5 s")
}

#[tokio::test]
async fn the_live_stream_shows_new_messages_and_resumes_after_last_event_id() {
    let app = spawn_app().await;
    let id = register(&app, "en").await;
    let before = sent(
        &app,
        &id,
        &json!({"type": "order", "title": "Before", "message": "m"}),
    )
    .await;
    let open = |last: Option<&str>| {
        let mut req = app
            .client
            .get(url(&app, &format!("/{id}/stream")))
            .bearer_auth(app.token(&id, &[Role::Customer]));
        if let Some(last) = last {
            req = req.header("Last-Event-ID", last);
        }
        req.send()
    };
    let res = open(None).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut body = res.bytes_stream();
    let mut buffer = String::new();
    // A new stream starts at the present: the earlier message is not replayed.
    let m = sent(
        &app,
        &id,
        &json!({"type": "order", "title": "Live", "message": "m"}),
    )
    .await;
    let (position, data) = next_event(&mut body, &mut buffer).await;
    assert_eq!(data["title"], "Live");
    assert_eq!(data["notificationId"], m["notificationId"]);

    // Resuming from before the first gets both, oldest first.
    let res = open(Some("0")).await.unwrap();
    let mut again = res.bytes_stream();
    let mut buffer = String::new();
    let (first, data) = next_event(&mut again, &mut buffer).await;
    assert_eq!(data["notificationId"], before["notificationId"]);
    let (second, _) = next_event(&mut again, &mut buffer).await;
    assert_eq!((first < second, second), (true, position));

    let res = open(Some("yesterday")).await.unwrap();
    let p = problem(res, 400, "VALIDATION_FAILED").await;
    assert_eq!(p["errors"][0]["field"], "Last-Event-ID");
}

#[tokio::test]
async fn an_open_stream_ends_when_the_service_stops_without_holding_the_stop() {
    let mut app = spawn_app().await;
    let id = register(&app, "en").await;
    let res = app
        .client
        .get(url(&app, &format!("/{id}/stream")))
        .bearer_auth(app.token(&id, &[Role::Customer]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let started = std::time::Instant::now();
    app.stop().await;
    // The grace period is 10 s: a stop that waited for the stream would take it all.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let end = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(_)) = body.next().await {}
    })
    .await;
    assert!(end.is_ok(), "the stream ended");
}
