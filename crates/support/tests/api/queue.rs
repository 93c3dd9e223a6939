//! The staff queue: soonest SLA first, breached ones flagged, assignment.

use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn the_queue_orders_by_sla_flags_breaches_and_filters_by_assignee() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let low = opened(&app, &id, json!({"priority": "low"})).await;
    let urgent = opened(&app, &id, json!({"priority": "urgent"})).await;
    let high = opened(&app, &id, json!({"priority": "high"})).await;
    let done = opened(&app, &id, json!({})).await;
    set_status(
        &app,
        &agent(&app),
        done["ticketId"].as_str().unwrap(),
        "closed",
    )
    .await;
    // One ticket long past its SLA.
    {
        use cid_support::schema::tickets as t;
        use diesel::prelude::*;
        let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
        let mut conn = app.db.connect();
        diesel::update(t::table.filter(t::ticket_id.eq(low["ticketId"].as_str().unwrap())))
            .set(t::sla_due_at.eq(past))
            .execute(&mut conn)
            .unwrap();
    }
    let ids = |v: &Value| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ticketId"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let q: Value = get(&app, &agent(&app), "/queue?limit=2")
        .await
        .json()
        .await
        .unwrap();
    let first_page = ids(&q);
    let next = q["page"]["nextCursor"].as_str().unwrap().to_owned();
    let rest: Value = get(&app, &agent(&app), &format!("/queue?limit=2&cursor={next}"))
        .await
        .json()
        .await
        .unwrap();
    let all: Vec<String> = first_page.into_iter().chain(ids(&rest)).collect();
    let expect: Vec<String> = [&low, &urgent, &high]
        .iter()
        .map(|t| t["ticketId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        all, expect,
        "breached first, then urgent (4 h), high (8 h); closed ones left out"
    );
    assert_eq!(q["data"][0]["slaBreached"], true);
    assert_eq!(q["data"][1]["slaBreached"], false);

    let tid = urgent["ticketId"].as_str().unwrap();
    let res = app
        .client
        .put(url(&app, &format!("/ticket/{tid}/assign")))
        .bearer_auth(agent(&app))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["assignee"],
        "agent-7"
    );
    let mine: Value = get(&app, &agent(&app), "/queue?assignee=me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&mine), [tid]);
    let free: Value = get(&app, &agent(&app), "/queue?assignee=unassigned")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&free).len(), 2);
    // Customers have no queue and assign nothing.
    problem(get(&app, &me(&app, &id), "/queue").await, 403, "FORBIDDEN").await;
    let audit: Value = get(&app, &admin(&app), "/audit?action=support.ticket_assigned")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(audit["data"][0]["after"], json!({"assignee": "agent-7"}));
}
