//! The status machine through HTTP: who may move what, the 409s that name the allowed
//! moves, reopening within the window, ratings once, events and the audit log.

use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn staff_move_tickets_forward_and_every_other_move_names_the_allowed_ones() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let tid = opened(&app, &id, json!({})).await["ticketId"]
        .as_str()
        .unwrap()
        .to_owned();
    // The customer cannot start work on it, nor resolve it.
    let p = problem(
        set_status(&app, &me(&app, &id), &tid, "in_progress").await,
        409,
        "INVALID_STATUS_TRANSITION",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "status");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("closed"),
        "{p}"
    );
    let p = problem(
        set_status(&app, &agent(&app), &tid, "resolved").await,
        409,
        "INVALID_STATUS_TRANSITION",
    )
    .await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("in_progress, closed"),
        "{p}"
    );
    // The reference's spelling.
    let res = set_status(&app, &agent(&app), &tid, "in-progress").await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["status"],
        "in_progress"
    );
    let res = set_status(&app, &agent(&app), &tid, "resolved").await;
    let t = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(t["status"], "resolved");
    assert!(t["resolvedAt"].is_string() && t["closedAt"].is_null());
    // Rated once, once resolved.
    let rate = |body: Value| {
        app.client
            .post(url(&app, &format!("/ticket/{tid}/rating")))
            .bearer_auth(me(&app, &id))
            .json(&body)
            .send()
    };
    for bad in [
        json!({"rating": 0}),
        json!({"rating": 6}),
        json!({"rating": 2.5}),
        json!({"rating": "5"}),
    ] {
        let p = problem(rate(bad.clone()).await.unwrap(), 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], "rating", "{bad}");
    }
    let res = rate(json!({"rating": 5, "feedback": "Quick and kind"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["data"]["rating"], 5);
    problem(
        rate(json!({"rating": 4})).await.unwrap(),
        409,
        "ALREADY_RATED",
    )
    .await;
    // Closed: the end.
    let res = set_status(&app, &me(&app, &id), &tid, "closed").await;
    assert!(res.json::<Value>().await.unwrap()["data"]["closedAt"].is_string());
    let p = problem(
        set_status(&app, &admin(&app), &tid, "open").await,
        409,
        "INVALID_STATUS_TRANSITION",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("allowed: —"), "{p}");
    // History, events and the audit log (staff moves only).
    let details: Value = get(&app, &agent(&app), &format!("/ticket/{tid}"))
        .await
        .json()
        .await
        .unwrap();
    let moves: Vec<String> = details["data"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            format!(
                "{}>{}",
                h["from"].as_str().unwrap(),
                h["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            "open>in_progress",
            "in_progress>resolved",
            "resolved>closed"
        ]
    );
    let changed: Vec<Value> = app
        .db
        .emitted()
        .into_iter()
        .filter(|e| e["type"] == "support.ticket_status_changed")
        .collect();
    assert_eq!(changed.len(), 3);
    assert_eq!(
        changed[2]["data"],
        json!({"ticketId": tid, "from": "resolved", "to": "closed"})
    );
    let audit: Value = get(&app, &admin(&app), &format!("/audit?target=ticket:{tid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        audit["data"].as_array().unwrap().len(),
        2,
        "the customer's own close is not a staff action"
    );
}

#[tokio::test]
async fn a_customer_reopens_a_resolved_ticket_and_rating_waits_for_resolution() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let tid = opened(&app, &id, json!({})).await["ticketId"]
        .as_str()
        .unwrap()
        .to_owned();
    let rate = || {
        app.client
            .post(url(&app, &format!("/ticket/{tid}/rating")))
            .bearer_auth(me(&app, &id))
            .json(&json!({"rating": 3}))
            .send()
    };
    problem(rate().await.unwrap(), 409, "TICKET_NOT_RESOLVED").await;
    set_status(&app, &agent(&app), &tid, "in_progress").await;
    set_status(&app, &agent(&app), &tid, "resolved").await;
    let res = set_status(&app, &me(&app, &id), &tid, "open").await;
    let t = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (t["status"].as_str(), t["resolvedAt"].clone()),
        (Some("open"), Value::Null)
    );
    problem(rate().await.unwrap(), 409, "TICKET_NOT_RESOLVED").await;
    // Staff cannot rate; another customer does not see it.
    let res = app
        .client
        .post(url(&app, &format!("/ticket/{tid}/rating")))
        .bearer_auth(agent(&app))
        .json(&json!({"rating": 5}))
        .send()
        .await
        .unwrap();
    problem(res, 403, "FORBIDDEN").await;
    let other = app.register_customer().await;
    problem(
        set_status(&app, &me(&app, &other), &tid, "closed").await,
        404,
        "TICKET_NOT_FOUND",
    )
    .await;
    let p = problem(
        set_status(&app, &agent(&app), &tid, "done").await,
        400,
        "VALIDATION_FAILED",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "status");
}

#[tokio::test]
async fn two_agents_racing_on_one_move_make_it_once() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let tid = opened(&app, &id, json!({})).await["ticketId"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = agent(&app);
    let moves = (0..8).map(|_| set_status(&app, &token, &tid, "in_progress"));
    let statuses: Vec<u16> = futures_util::future::join_all(moves)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    let details: Value = get(&app, &token, &format!("/ticket/{tid}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(details["data"]["history"].as_array().unwrap().len(), 1);
}
