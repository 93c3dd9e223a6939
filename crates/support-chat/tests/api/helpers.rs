//! The support chat service and its URLs.

use std::time::Duration;

use cid_common::Role;
use cid_testkit::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

pub async fn spawn_app() -> TestApp {
    TestApp::spawn(cid_support_chat::SERVICE, cid_support_chat::app_spec).await
}

/// With the customer registry beside it (chats are started for registered customers).
pub async fn spawn_app_with_registry() -> TestApp {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    TestApp::spawn_beside(
        cid_support_chat::SERVICE,
        cid_support_chat::app_spec,
        vec![registry],
    )
    .await
}

pub fn url(app: &TestApp, path: &str) -> String {
    app.url(&format!("/api/customer-id/support-chat{path}"))
}

pub fn admin(app: &TestApp) -> String {
    app.token("admin-1", &[Role::Admin])
}

/// `GET` without a token in `language`: the whole body (200 expected).
pub async fn public(app: &TestApp, path: &str, language: &str) -> Value {
    let res = app
        .client
        .get(url(app, path))
        .header("Accept-Language", language)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

/// The entry IDs of a list answer.
pub fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entryId"].as_str().unwrap().to_owned())
        .collect()
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens the session's socket, with the token in the query (as browsers do) or the header.
pub async fn connect(
    app: &TestApp,
    session: &str,
    token: Option<&str>,
    in_query: bool,
) -> Result<Socket, tungstenite::Error> {
    let mut url = url(app, &format!("/{session}/ws")).replacen("http://", "ws://", 1);
    if let (Some(t), true) = (token, in_query) {
        url.push_str(&format!("?access_token={t}"));
    }
    let mut req = url.into_client_request()?;
    if let (Some(t), false) = (token, in_query) {
        req.headers_mut()
            .insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
}

/// The next JSON frame (5 s at most).
pub async fn next(ws: &mut Socket) -> Value {
    within(ws, Duration::from_secs(5))
        .await
        .expect("a frame within 5 s")
}

/// The next JSON frame, if one comes within `wait`.
pub async fn within(ws: &mut Socket, wait: Duration) -> Option<Value> {
    tokio::time::timeout(wait, async {
        loop {
            match ws.next().await.expect("open").expect("a frame") {
                Message::Text(t) => return serde_json::from_str::<Value>(&t).unwrap(),
                _ => continue,
            }
        }
    })
    .await
    .ok()
}

pub async fn send(ws: &mut Socket, body: Value) {
    ws.send(Message::Text(body.to_string().into()))
        .await
        .unwrap();
}

pub async fn status_of(result: Result<Socket, tungstenite::Error>) -> u16 {
    match result {
        Err(tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("not an HTTP refusal: {e}"),
        Ok(_) => 101,
    }
}

/// A session of a new customer that agent-a joined: (customer, session ID).
pub async fn joined(app: &TestApp) -> (String, String) {
    let c = app.register_customer().await;
    let res = app
        .client
        .post(url(app, &format!("/{c}/start")))
        .bearer_auth(app.token(&c, &[Role::Customer]))
        .json(&json!({"topic": "returns", "message": "Hello"}))
        .send()
        .await
        .unwrap();
    let s = res.json::<Value>().await.unwrap()["data"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(url(app, &format!("/{s}/join")))
        .bearer_auth(app.token("agent-a", &[Role::Agent]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    (c, s)
}
