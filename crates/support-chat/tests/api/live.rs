//! The live channel over a real WebSocket: both sides see messages, typing and notices;
//! refusals happen before the upgrade; every connection gets one order.

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn customer_and_agent_talk_live_and_the_agent_is_told_of_the_close() {
    let app = spawn_app_with_registry().await;
    let (c, s) = joined(&app).await;
    let (me, agent) = (
        app.token(&c, &[Role::Customer]),
        app.token("agent-a", &[Role::Agent]),
    );
    let mut mine = connect(&app, &s, Some(&me), true).await.unwrap();
    let mut theirs = connect(&app, &s, Some(&agent), false).await.unwrap();

    send(&mut mine, json!({"type": "typing"})).await;
    let typing = next(&mut theirs).await;
    assert_eq!(
        (
            typing["type"].as_str(),
            typing["data"]["senderRole"].as_str()
        ),
        (Some("typing"), Some("customer"))
    );
    // The sender's own connection gets typing too; skip it.
    assert_eq!(next(&mut mine).await["type"], "typing");

    send(
        &mut mine,
        json!({"type": "message", "message": "The box is damaged"}),
    )
    .await;
    for ws in [&mut mine, &mut theirs] {
        let m = next(ws).await;
        assert_eq!(
            (m["type"].as_str(), m["data"]["message"].as_str()),
            (Some("message"), Some("The box is damaged"))
        );
    }
    send(
        &mut theirs,
        json!({"type": "message", "message": "Sorry! A new one ships today"}),
    )
    .await;
    for ws in [&mut mine, &mut theirs] {
        assert_eq!(next(ws).await["data"]["senderRole"], "agent");
    }
    // Over HTTP too: the live channel carries it.
    let res = app
        .client
        .post(url(&app, &format!("/{s}/message")))
        .bearer_auth(&me)
        .json(&json!({"message": "Thanks"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(next(&mut theirs).await["data"]["message"], "Thanks");
    assert_eq!(next(&mut mine).await["data"]["message"], "Thanks");

    // The customer closes with a rating; the agent's socket is told.
    let res = app
        .client
        .post(url(&app, &format!("/{s}/close")))
        .bearer_auth(&me)
        .json(&json!({"rating": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let notice = next(&mut theirs).await;
    assert_eq!(
        (notice["type"].as_str(), notice["data"]["message"].as_str()),
        (Some("notice"), Some("session_closed"))
    );
    // Writing into a closed session is refused to the writer alone.
    assert_eq!(next(&mut mine).await["type"], "notice");
    send(&mut mine, json!({"type": "message", "message": "one more"})).await;
    let refused = next(&mut mine).await;
    assert_eq!(
        (refused["type"].as_str(), refused["data"]["code"].as_str()),
        (Some("error"), Some("CHAT_SESSION_CLOSED"))
    );
    send(&mut mine, json!({"type": "shout"})).await;
    assert_eq!(next(&mut mine).await["data"]["code"], "VALIDATION_FAILED");
    // History has it all, in order.
    let h: Value = app
        .client
        .get(url(&app, &format!("/{s}/history")))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let said: Vec<&str> = h["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        said,
        [
            "Hello",
            "agent_joined",
            "The box is damaged",
            "Sorry! A new one ships today",
            "Thanks",
            "session_closed"
        ]
    );
}

#[tokio::test]
async fn sockets_are_refused_before_the_upgrade() {
    let app = spawn_app_with_registry().await;
    let (c, s) = joined(&app).await;
    let other = app.register_customer().await;
    assert_eq!(status_of(connect(&app, &s, None, false).await).await, 401);
    assert_eq!(
        status_of(connect(&app, &s, Some("not-a-token"), true).await).await,
        401
    );
    assert_eq!(
        status_of(connect(&app, &s, Some(&app.token(&other, &[Role::Customer])), true).await).await,
        404
    );
    assert_eq!(
        status_of(connect(&app, &s, Some(&app.token("agent-b", &[Role::Agent])), false).await)
            .await,
        403
    );
    assert_eq!(
        status_of(
            connect(
                &app,
                "0190-none",
                Some(&app.token(&c, &[Role::Customer])),
                true
            )
            .await
        )
        .await,
        404
    );
    assert_eq!(
        status_of(connect(&app, &s, Some(&app.token(&c, &[Role::Customer])), true).await).await,
        101
    );
}

#[tokio::test]
async fn a_hundred_concurrent_messages_reach_every_connection_in_one_order() {
    let app = spawn_app_with_registry().await;
    let (c, s) = joined(&app).await;
    let (me, agent) = (
        app.token(&c, &[Role::Customer]),
        app.token("agent-a", &[Role::Agent]),
    );
    let mut a = connect(&app, &s, Some(&me), true).await.unwrap();
    let mut b = connect(&app, &s, Some(&agent), false).await.unwrap();
    let mut c2 = connect(&app, &s, Some(&me), false).await.unwrap();
    let sends = (0..100).map(|n| {
        let token = if n % 2 == 0 {
            me.clone()
        } else {
            agent.clone()
        };
        let (app, s) = (&app, s.clone());
        async move {
            app.client
                .post(url(app, &format!("/{s}/message")))
                .bearer_auth(token)
                .json(&json!({"message": format!("m{n}")}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    assert!(
        futures_util::future::join_all(sends)
            .await
            .iter()
            .all(|s| *s == 201)
    );
    let mut orders = Vec::new();
    for ws in [&mut a, &mut b, &mut c2] {
        let mut ids = Vec::new();
        for _ in 0..100 {
            ids.push(next(ws).await["data"]["messageId"].as_i64().unwrap());
        }
        orders.push(ids);
    }
    assert_eq!(orders[0], orders[1]);
    assert_eq!(orders[0], orders[2]);
    let mut unique = orders[0].clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 100, "each once");
}

#[tokio::test]
async fn a_client_sending_a_thousand_frames_at_once_gets_each_back_in_order() {
    let app = spawn_app_with_registry().await;
    let (c, s) = joined(&app).await;
    let me = app.token(&c, &[Role::Customer]);
    let ws = connect(&app, &s, Some(&me), true).await.unwrap();
    let (mut tx, mut rx) = futures_util::StreamExt::split(ws);
    let reader = tokio::spawn(async move {
        let mut said = Vec::new();
        while said.len() < 1000 {
            let frame = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                futures_util::StreamExt::next(&mut rx),
            )
            .await
            .expect("a frame within 10 s")
            .expect("open")
            .expect("a frame");
            if let tokio_tungstenite::tungstenite::Message::Text(t) = frame {
                let v: Value = serde_json::from_str(&t).unwrap();
                assert_eq!(v["type"], "message", "no resync: the session outran no one");
                said.push(v["data"]["message"].as_str().unwrap().to_owned());
            }
        }
        said
    });
    // Written without waiting for answers: the server delivers what is stored before it
    // takes the next frame, so the sender's own connection never falls behind.
    for n in 0..1000 {
        let frame = json!({"type": "message", "message": format!("m{n}")}).to_string();
        futures_util::SinkExt::send(
            &mut tx,
            tokio_tungstenite::tungstenite::Message::Text(frame.into()),
        )
        .await
        .unwrap();
    }
    let said = reader.await.unwrap();
    assert_eq!(said, (0..1000).map(|n| format!("m{n}")).collect::<Vec<_>>());
}
