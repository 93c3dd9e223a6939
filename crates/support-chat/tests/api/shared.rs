//! Two instances of the chat service on one PostgreSQL database, sharing live events through
//! a NATS server of the test's own: the customer on one, the agent on the other. On SQLite
//! (one process, one file) there is nothing to share; these tests say so and pass.

use std::collections::HashSet;
use std::time::Duration;

use cid_common::Role;
use cid_testkit::TestApp;
use cid_testkit::servers::LocalServer;
use serde_json::{Value, json};

use crate::helpers::*;

struct Pair {
    a: TestApp,
    b: TestApp,
    nats: LocalServer,
    session: String,
    customer: String,
    agent: String,
}

/// Instances `a` and `b` with `fanout = "nats"`, a session started on `a` that agent-a
/// joined on `b`; `None` on SQLite.
async fn pair() -> Option<Pair> {
    let registry = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    if !registry.db.is_postgres() {
        eprintln!("skipped: two instances share PostgreSQL (set CID_TEST_DATABASE_URL)");
        return None;
    }
    let nats = LocalServer::nats()
        .await
        .expect("nats-server is installed (.ci/run installs Debian's package)");
    let mut settings = cid_testkit::settings();
    settings.sections.insert(
        "support-chat".into(),
        json!({"fanout": "nats", "nats_url": nats.url()}),
    );
    let a = TestApp::spawn_beside_with(
        cid_support_chat::SERVICE,
        cid_support_chat::app_spec,
        settings.clone(),
        vec![registry],
    )
    .await;
    let b = a.another_instance(settings);
    let c = a.register_customer().await;
    let customer = a.token(&c, &[Role::Customer]);
    let agent = a.token("agent-a", &[Role::Agent]);
    let started: Value = a
        .client
        .post(url(&a, &format!("/{c}/start")))
        .bearer_auth(&customer)
        .json(&json!({"topic": "orders", "message": "Where is my order?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = started["data"]["sessionId"].as_str().unwrap().to_owned();
    let res = b
        .client
        .post(url(&b, &format!("/{session}/join")))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the agent joins on the other instance");
    Some(Pair {
        a,
        b,
        nats,
        session,
        customer,
        agent,
    })
}

/// The next frame of `kind`, skipping typing signals.
async fn next_of(ws: &mut Socket, kind: &str) -> Value {
    loop {
        let f = next(ws).await;
        if f["type"] != "typing" {
            assert_eq!(f["type"], kind, "{f}");
            return f;
        }
    }
}

/// Waits until typing on `from` reaches `to` (both instances subscribed), then drains both.
async fn linked(from: &mut Socket, to: &mut Socket) {
    let mut seen = false;
    for _ in 0..100 {
        send(from, json!({"type": "typing"})).await;
        if let Some(f) = within(to, Duration::from_millis(100)).await {
            seen = f["type"] == "typing";
            if seen {
                break;
            }
        }
    }
    assert!(seen, "the instances are linked through NATS within 10 s");
    for ws in [from, to] {
        while within(ws, Duration::from_millis(200)).await.is_some() {}
    }
}

async fn post(app: &TestApp, session: &str, token: &str, message: &str) -> Value {
    let res = app
        .client
        .post(url(app, &format!("/{session}/message")))
        .bearer_auth(token)
        .json(&json!({ "message": message }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{message}");
    res.json::<Value>().await.unwrap()["data"].clone()
}

async fn history(app: &TestApp, session: &str, token: &str) -> Vec<Value> {
    let h: Value = app
        .client
        .get(url(app, &format!("/{session}/history?limit=500")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    h["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_customer_on_one_instance_and_an_agent_on_another_talk_live() {
    let Some(p) = pair().await else { return };
    let s = &p.session;
    let mut mine = connect(&p.a, s, Some(&p.customer), true).await.unwrap();
    let mut theirs = connect(&p.b, s, Some(&p.agent), false).await.unwrap();
    linked(&mut mine, &mut theirs).await;

    send(
        &mut mine,
        json!({"type": "message", "message": "It says delivered but it is not here"}),
    )
    .await;
    for ws in [&mut mine, &mut theirs] {
        let m = next_of(ws, "message").await;
        assert_eq!(
            m["data"]["message"], "It says delivered but it is not here",
            "stored on a, delivered on a and b"
        );
    }
    send(
        &mut theirs,
        json!({"type": "message", "message": "Checking with the courier"}),
    )
    .await;
    for ws in [&mut theirs, &mut mine] {
        assert_eq!(
            next_of(ws, "message").await["data"]["senderRole"],
            "agent",
            "stored on b, delivered on b and a"
        );
    }

    // Concurrent messages through both instances: every connection gets each once, and the
    // messages of one instance in the same order on both sides.
    let sends = (0..40).map(|n| {
        let (app, token) = if n % 2 == 0 {
            (&p.a, &p.customer)
        } else {
            (&p.b, &p.agent)
        };
        async move { post(app, s, token, &format!("m{n}")).await }
    });
    let sent = futures_util::future::join_all(sends).await;
    let from_a: HashSet<i64> = sent
        .iter()
        .filter(|m| m["senderRole"] == "customer")
        .map(|m| m["messageId"].as_i64().unwrap())
        .collect();
    let mut seen = Vec::new();
    for ws in [&mut mine, &mut theirs] {
        let mut ids = Vec::new();
        while ids.len() < 40 {
            ids.push(
                next_of(ws, "message").await["data"]["messageId"]
                    .as_i64()
                    .unwrap(),
            );
        }
        let unique: HashSet<i64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), 40, "each message once");
        seen.push(ids);
    }
    let of_a = |ids: &Vec<i64>| -> Vec<i64> {
        ids.iter().copied().filter(|i| from_a.contains(i)).collect()
    };
    assert_eq!(
        of_a(&seen[0]),
        of_a(&seen[1]),
        "one instance's order on both"
    );

    // The customer closes with a rating on a; the agent's socket on b is told.
    let res =
        p.a.client
            .post(url(&p.a, &format!("/{s}/close")))
            .bearer_auth(&p.customer)
            .json(&json!({"rating": 4}))
            .send()
            .await
            .unwrap();
    assert_eq!(res.status(), 200);
    let notice = next_of(&mut theirs, "notice").await;
    assert_eq!(notice["data"]["message"], "session_closed");

    // Both instances answer the same history, in one order.
    let (ha, hb) = (
        history(&p.a, s, &p.customer).await,
        history(&p.b, s, &p.agent).await,
    );
    assert_eq!(ha, hb);
    assert_eq!(ha.len(), 1 + 1 + 2 + 40 + 1);
    let ids: Vec<i64> = ha
        .iter()
        .map(|m| m["messageId"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn chat_goes_on_through_a_nats_outage_and_sockets_are_told_to_catch_up() {
    let Some(mut p) = pair().await else { return };
    let s = p.session.clone();
    let mut mine = connect(&p.a, &s, Some(&p.customer), true).await.unwrap();
    let mut theirs = connect(&p.b, &s, Some(&p.agent), false).await.unwrap();
    linked(&mut mine, &mut theirs).await;

    p.nats.stop();
    // Each instance still stores and delivers to its own connections.
    let m1 = post(&p.a, &s, &p.customer, "Are you there?").await;
    assert_eq!(next_of(&mut mine, "message").await["data"], m1);
    let m2 = post(&p.b, &s, &p.agent, "Still here").await;
    assert_eq!(next_of(&mut theirs, "message").await["data"], m2);

    // The link comes back: every connection is told to catch up, and catches up.
    p.nats.restart().await;
    for ws in [&mut mine, &mut theirs] {
        let f = tokio::time::timeout(Duration::from_secs(15), async {
            loop {
                if let Some(f) = within(ws, Duration::from_secs(1)).await
                    && f["type"] == "resync"
                {
                    return f;
                }
            }
        })
        .await;
        assert!(f.is_ok(), "a resync frame once NATS is back");
    }
    let after = m1["messageId"].as_i64().unwrap() - 1;
    let caught: Value =
        p.a.client
            .get(url(&p.a, &format!("/{s}/history?after={after}")))
            .bearer_auth(&p.customer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(caught["data"], json!([m1, m2]));
    // And live delivery between the instances resumes.
    linked(&mut mine, &mut theirs).await;
    let m3 = post(&p.a, &s, &p.customer, "Great").await;
    assert_eq!(next_of(&mut theirs, "message").await["data"], m3);
}

#[test]
fn a_fanout_that_cannot_work_refuses_to_start() {
    for section in [
        json!({"fanout": "carrier-pigeon"}),
        json!({"fanout": "nats", "nats_subject": "cid.*"}),
        json!({"fanout": "nats", "nats_subject": "cid..chat"}),
        json!({"fanout": "nats", "nats_subject": ""}),
        json!({"fanout": "nats", "nats_server": "nats://x"}),
        json!({"fanout": "nats", "nats_url": "http://[::1"}),
        json!({"fanout": "nats", "nats_url": "nats://host:notaport"}),
    ] {
        let mut settings = cid_testkit::settings();
        settings
            .sections
            .insert("support-chat".into(), section.clone());
        let db = cid_testkit::TestDb::new("support-chat");
        let built = cid_support_chat::app_spec(&settings, &db.url);
        assert!(built.is_err(), "{section} is refused");
    }
}
