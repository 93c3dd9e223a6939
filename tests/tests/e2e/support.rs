//! Support tickets through the gateway, as a customer and an agent would use them; the
//! resolution reaches the customer's feed through the domain event.

use std::time::Duration;

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_ticket_goes_from_the_customer_through_the_agent_queue_to_a_rating_and_a_notice() {
    let Beside {
        notifications,
        service: support,
        stack: s,
    } = with_notifications(cid_support::SERVICE, cid_support::app_spec).await;
    let id = notifications.register_customer().await;
    let (me, agent) = (
        s.token(&id, &[Role::Customer]),
        s.token("agent-7", &[Role::Agent]),
    );
    let call = |method: reqwest::Method, path: &str, token: &str, body: Option<Value>| {
        let mut req = s
            .client
            .request(method, s.url(&format!("/api/customer-id/support{path}")))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    let res = call(reqwest::Method::POST, &format!("/{id}/ticket"), &me, Some(json!({
        "title": "Wrong size delivered", "description": "Size M instead of L", "category": "returns"}))).await.unwrap();
    assert_eq!(res.status(), 201);
    let tid = res.json::<Value>().await.unwrap()["data"]["ticketId"]
        .as_str()
        .unwrap()
        .to_owned();
    let list: Value = call(reqwest::Method::GET, &format!("/{id}/tickets"), &me, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["data"][0]["ticketId"], tid.as_str());
    let queue: Value = call(reqwest::Method::GET, "/queue", &agent, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(queue["data"][0]["ticketId"], tid.as_str());
    for status in ["in-progress", "resolved"] {
        let res = call(
            reqwest::Method::PUT,
            &format!("/ticket/{tid}/status"),
            &agent,
            Some(json!({"status": status})),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), 200, "{status}");
    }
    let res = call(
        reqwest::Method::POST,
        &format!("/ticket/{tid}/rating"),
        &me,
        Some(json!({"rating": 4})),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    // The resolution reached the customer's feed.
    let mut titles = Vec::new();
    for _ in 0..100 {
        let feed: Value = s
            .client
            .get(s.url(&format!("/api/customer-id/notifications/{id}/history")))
            .bearer_auth(&me)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        titles = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["title"].as_str().unwrap().to_owned())
            .collect();
        if !titles.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(titles, [format!("Ticket {tid} is resolved")]);
    drop(support);
}
