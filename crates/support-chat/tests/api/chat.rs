//! Live chat over HTTP: start with an estimate, the queue, joining, messages in order,
//! closing with a rating; the refusals.

use cid_common::Role;
use cid_testkit::{TestApp, problem};
use serde_json::{Value, json};

use crate::helpers::*;

async fn start(app: &TestApp, customer: &str) -> Value {
    let res = app
        .client
        .post(url(app, &format!("/{customer}/start")))
        .bearer_auth(app.token(customer, &[Role::Customer]))
        .json(&json!({"topic": "orders", "message": "Where is my parcel?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"].clone()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(url(app, path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn agent(app: &TestApp, name: &str) -> String {
    app.token(name, &[Role::Agent])
}

async fn history(app: &TestApp, token: &str, session: &str, after: Option<i64>) -> Vec<Value> {
    let q = after.map_or("?limit=500".to_owned(), |a| format!("?limit=500&after={a}"));
    let res = app
        .client
        .get(url(app, &format!("/{session}/history{q}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_chat_waits_is_taken_talks_in_order_and_closes_with_a_rating() {
    let app = spawn_app_with_registry().await;
    let (c1, c2) = (app.register_customer().await, app.register_customer().await);
    let me = app.token(&c1, &[Role::Customer]);
    let s1 = start(&app, &c1).await;
    assert_eq!(
        (s1["status"].as_str(), s1["estimatedWaitTime"].as_i64()),
        (Some("waiting"), Some(300))
    );
    assert_eq!(s1["estimatedWaitText"], "5 minutes");
    assert_eq!(s1["firstMessage"]["message"], "Where is my parcel?");
    // One more ahead, no agent seen: one round more.
    let s2 = start(&app, &c2).await;
    assert_eq!(s2["estimatedWaitTime"], 600);
    let (id1, id2) = (
        s1["sessionId"].as_str().unwrap(),
        s2["sessionId"].as_str().unwrap(),
    );

    let (a, b) = (agent(&app, "agent-a"), agent(&app, "agent-b"));
    let queue: Value = app
        .client
        .get(url(&app, "/queue"))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let waiting: Vec<&str> = queue["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(waiting, [id1, id2]);
    let res = post(&app, &a, &format!("/{id1}/join"), json!({})).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["status"],
        "active"
    );
    problem(
        post(&app, &b, &format!("/{id1}/join"), json!({})).await,
        409,
        "CHAT_SESSION_TAKEN",
    )
    .await;
    let next = post(&app, &b, "/queue/next", json!({}))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(next["data"]["sessionId"], id2);
    problem(
        post(&app, &b, "/queue/next", json!({})).await,
        409,
        "CHAT_QUEUE_EMPTY",
    )
    .await;

    assert_eq!(
        post(
            &app,
            &me,
            &format!("/{id1}/message"),
            json!({"message": "Order 77"})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        post(
            &app,
            &a,
            &format!("/{id1}/message"),
            json!({"message": "It arrives today"})
        )
        .await
        .status(),
        201
    );
    // Another agent, another customer, an unknown session.
    problem(
        post(
            &app,
            &b,
            &format!("/{id1}/message"),
            json!({"message": "hi"}),
        )
        .await,
        403,
        "FORBIDDEN",
    )
    .await;
    let them = app.token(&c2, &[Role::Customer]);
    problem(
        post(
            &app,
            &them,
            &format!("/{id1}/message"),
            json!({"message": "hi"}),
        )
        .await,
        404,
        "CHAT_SESSION_NOT_FOUND",
    )
    .await;
    problem(
        post(&app, &me, "/0190-none/message", json!({"message": "hi"})).await,
        404,
        "CHAT_SESSION_NOT_FOUND",
    )
    .await;
    for bad in [
        json!({"message": " "}),
        json!({"message": "x".repeat(10_001)}),
        json!({"text": "hi"}),
    ] {
        problem(
            post(&app, &me, &format!("/{id1}/message"), bad).await,
            400,
            "VALIDATION_FAILED",
        )
        .await;
    }
    let all = history(&app, &me, id1, None).await;
    let lines: Vec<String> = all
        .iter()
        .map(|m| {
            format!(
                "{}:{}",
                m["senderRole"].as_str().unwrap(),
                m["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "customer:Where is my parcel?",
            "agent:agent_joined",
            "customer:Order 77",
            "agent:It arrives today"
        ]
    );
    assert_eq!(all[1]["kind"], "notice");
    let since = history(&app, &a, id1, all[1]["messageId"].as_i64()).await;
    assert_eq!(since.len(), 2);

    // The agent may not rate; bad ratings name the field; the customer closes, once.
    problem(
        post(&app, &a, &format!("/{id1}/close"), json!({"rating": 5})).await,
        403,
        "FORBIDDEN",
    )
    .await;
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({"rating": 2.5}),
    ] {
        let p = problem(
            post(&app, &me, &format!("/{id1}/close"), bad).await,
            400,
            "VALIDATION_FAILED",
        )
        .await;
        assert_eq!(p["errors"][0]["field"], "rating");
    }
    let res = app
        .client
        .post(url(&app, &format!("/{id1}/close")))
        .bearer_auth(&me)
        .header("Accept-Language", "ar")
        .json(&json!({"rating": 5, "feedback": "Fast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let closed = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (closed["status"].as_str(), closed["rating"].as_i64()),
        (Some("closed"), Some(5))
    );
    assert!(closed["durationSeconds"].as_i64().unwrap() >= 0);
    assert!(
        closed["duration"].as_str().unwrap().contains("ثان"),
        "{closed}"
    );
    problem(
        post(&app, &me, &format!("/{id1}/close"), json!({})).await,
        409,
        "CHAT_SESSION_CLOSED",
    )
    .await;
    problem(
        post(
            &app,
            &a,
            &format!("/{id1}/message"),
            json!({"message": "still there?"}),
        )
        .await,
        409,
        "CHAT_SESSION_CLOSED",
    )
    .await;
    assert_eq!(
        history(&app, &me, id1, None).await.last().unwrap()["message"],
        "session_closed"
    );
    let mine: Value = app
        .client
        .get(url(&app, &format!("/{c1}/sessions")))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["data"][0]["sessionId"], id1);
    // Customers have no queue.
    let res = app
        .client
        .get(url(&app, "/queue"))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap();
    problem(res, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn a_hundred_concurrent_messages_are_each_stored_once_in_one_order() {
    let app = spawn_app_with_registry().await;
    let c = app.register_customer().await;
    let s = start(&app, &c).await;
    let id = s["sessionId"].as_str().unwrap().to_owned();
    let a = agent(&app, "agent-a");
    post(&app, &a, &format!("/{id}/join"), json!({})).await;
    let me = app.token(&c, &[Role::Customer]);
    let sends = (0..100).map(|n| {
        let token = if n % 2 == 0 { me.clone() } else { a.clone() };
        let id = id.clone();
        let app = &app;
        async move {
            post(
                app,
                &token,
                &format!("/{id}/message"),
                json!({"message": format!("m{n}")}),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let all = history(&app, &me, &id, None).await;
    let bodies: Vec<&str> = all
        .iter()
        .filter(|m| m["kind"] == "message")
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(bodies.len(), 101, "the first message and the hundred");
    let mut unique = bodies.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 101);
    let ids: Vec<i64> = all
        .iter()
        .map(|m| m["messageId"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "one order");
    assert_eq!(
        history(&app, &a, &id, None).await,
        all,
        "both sides read the same order"
    );
}
