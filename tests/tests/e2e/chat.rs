//! Live chat through the gateway: a customer and an agent on WebSockets that the gateway
//! upgraded and spliced to the chat service, with the token checked at the upgrade.

use std::time::Duration;

use cid_common::Role;
use cid_testkit::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::helpers::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(
    s: &Stack,
    session: &str,
    query_token: Option<&str>,
    header_token: Option<&str>,
) -> Result<Socket, tungstenite::Error> {
    let mut url = s
        .url(&format!("/api/customer-id/support-chat/{session}/ws"))
        .replacen("http://", "ws://", 1);
    if let Some(t) = query_token {
        url.push_str(&format!("?access_token={t}"));
    }
    let mut req = url.into_client_request()?;
    if let Some(t) = header_token {
        req.headers_mut()
            .insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req)
        .await
        .map(|(ws, _)| ws)
}

async fn next(ws: &mut Socket) -> Value {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Message::Text(t) = ws.next().await.expect("open").expect("a frame") {
                return serde_json::from_str::<Value>(&t).unwrap();
            }
        }
    })
    .await
    .expect("a frame within 5 s")
}

#[tokio::test]
async fn a_customer_and_an_agent_chat_live_through_the_gateway() {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let chat = TestApp::spawn_beside(
        cid_support_chat::SERVICE,
        cid_support_chat::app_spec,
        vec![registry],
    )
    .await;
    let running = [
        ("customers", chat.peer("customers").base.clone()),
        ("support-chat", chat.base.clone()),
    ];
    let running: Vec<(&str, &str)> = running.iter().map(|(g, b)| (*g, b.as_str())).collect();
    let s = start_gateway(gateway_settings_for(&running, json!({})), None).await;
    let id = chat.register_customer().await;
    let (me, agent) = (
        s.token(&id, &[Role::Customer]),
        s.token("agent-a", &[Role::Agent]),
    );
    let res = s
        .client
        .post(s.url(&format!("/api/customer-id/support-chat/{id}/start")))
        .bearer_auth(&me)
        .json(&json!({"topic": "payments", "message": "Charged twice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let session = res.json::<Value>().await.unwrap()["data"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = s
        .client
        .post(s.url("/api/customer-id/support-chat/queue/next"))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The gateway refuses a bad token before anything reaches the service.
    match open(&s, &session, Some("forged"), None).await {
        Err(tungstenite::Error::Http(res)) => assert_eq!(res.status().as_u16(), 401),
        other => panic!("expected a 401 refusal, got {:?}", other.map(|_| ())),
    }
    let mut mine = open(&s, &session, Some(&me), None).await.unwrap();
    let mut theirs = open(&s, &session, None, Some(&agent)).await.unwrap();
    mine.send(Message::Text(
        json!({"type": "message", "message": "Order 55"})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    for ws in [&mut mine, &mut theirs] {
        let m = next(ws).await;
        assert_eq!(
            (m["type"].as_str(), m["data"]["message"].as_str()),
            (Some("message"), Some("Order 55"))
        );
    }
    theirs
        .send(Message::Text(
            json!({"type": "message", "message": "Refunded"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    assert_eq!(next(&mut mine).await["data"]["message"], "Refunded");
    assert_eq!(next(&mut theirs).await["data"]["message"], "Refunded");
    let res = s
        .client
        .post(s.url(&format!("/api/customer-id/support-chat/{session}/close")))
        .bearer_auth(&me)
        .json(&json!({"rating": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let notice = next(&mut theirs).await;
    assert_eq!(notice["data"]["message"], "session_closed");
    let h: Value = s
        .client
        .get(s.url(&format!("/api/customer-id/support-chat/{session}/history")))
        .bearer_auth(&agent)
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
            "Charged twice",
            "agent_joined",
            "Order 55",
            "Refunded",
            "session_closed"
        ]
    );
}
