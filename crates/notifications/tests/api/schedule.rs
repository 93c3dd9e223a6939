//! Quiet hours and digests, with the deliverer run at chosen times.

use chrono::{Duration, Utc};
use cid_common::Role;
use cid_testkit::receivers::HttpReceiver;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn quiet_hours_hold_push_and_email_until_they_end_but_not_security() {
    let provider = HttpReceiver::start(0);
    let config = transports(&provider.url, None);
    let app = spawn_app_with(config.clone()).await;
    let id = register(&app, "en").await;
    let now = Utc::now().naive_utc();
    let hhmm = |t: chrono::NaiveDateTime| t.format("%H:%M").to_string();
    let (start, end) = (now - Duration::hours(2), now + Duration::hours(2));
    let me = app.token(&id, &[Role::Customer]);
    let body = json!({"quietHours": {"start": hhmm(start), "end": hhmm(end), "timeZone": "UTC"}});
    assert_eq!(put(&app, &id, &me, &body).await.status(), 200);

    let m = sent(
        &app,
        &id,
        &json!({"type": "order", "title": "Shipped", "message": "x"}),
    )
    .await;
    assert_eq!(
        statuses(&m),
        [
            "email:scheduled",
            "sms:suppressed",
            "push:scheduled",
            "inApp:sent"
        ]
    );
    let push = &m["deliveries"][2];
    assert_eq!(push["reason"], "quiet_hours");
    let due = at(push["scheduledFor"].as_str().unwrap());
    assert_eq!(hhmm(due), hhmm(end));
    assert!(due > now && due <= end);
    // Security ignores quiet hours.
    let alert = sent(
        &app,
        &id,
        &json!({"type": "security", "title": "Sign-in", "message": "y"}),
    )
    .await;
    assert_eq!(alert["deliveries"][2]["status"], "queued");
    assert_eq!(
        provider
            .wait_accepted(1, std::time::Duration::from_secs(5))
            .await
            .len(),
        1
    );

    // A minute before the end nothing more goes; at the end the held push does.
    let deliverer = deliverer(&app, &config);
    deliverer
        .deliver_due(due - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(provider.accepted().len(), 1);
    assert_eq!(deliverer.deliver_due(due).await.unwrap(), 2);
    let got = provider.accepted();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["title"], "Shipped");
    let key = m["notificationId"].as_str().unwrap();
    let done = until(&app, &id, key, |m| m["deliveries"][2]["status"] == "sent").await;
    assert_eq!(done["deliveries"][2]["reason"], "quiet_hours");
}

#[tokio::test]
async fn a_daily_digest_sends_one_message_for_everything_held() {
    let provider = HttpReceiver::start(0);
    let config = transports(&provider.url, None);
    let app = spawn_app_with(config.clone()).await;
    let id = register(&app, "en").await;
    let me = app.token(&id, &[Role::Customer]);
    assert_eq!(
        put(&app, &id, &me, &json!({"frequency": "daily"}))
            .await
            .status(),
        200
    );
    let mut due = Vec::new();
    for n in 1..=3 {
        let m = sent(
            &app,
            &id,
            &json!({"type": "loyalty", "title": format!("Update {n}"), "message": "m"}),
        )
        .await;
        assert_eq!(m["deliveries"][2]["status"], "scheduled");
        assert_eq!(m["deliveries"][2]["reason"], "digest");
        assert_eq!(
            m["deliveries"][3]["status"], "sent",
            "the feed does not wait"
        );
        due.push(
            m["deliveries"][2]["scheduledFor"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert!(due.iter().all(|d| *d == due[0]), "{due:?}");
    let when = at(&due[0]);
    // 09:00 in Riyadh (the default zone) is 06:00 UTC.
    assert_eq!(when.format("%H:%M").to_string(), "06:00");
    let deliverer = deliverer(&app, &config);
    // Email and push: one message each for the three.
    assert_eq!(deliverer.deliver_due(when).await.unwrap(), 2);
    let got = provider.accepted();
    assert_eq!(got.len(), 1, "one push for three messages");
    let body = got[0].json();
    assert_eq!(body["title"], "Your 3 updates");
    assert_eq!(
        body["message"],
        "• Update 1: m\n• Update 2: m\n• Update 3: m"
    );
    // Run again: nothing is sent twice.
    assert_eq!(deliverer.deliver_due(when).await.unwrap(), 0);
    let feed = get_as_owner(&app, &id, &format!("/{id}/history")).await;
    for m in feed["data"].as_array().unwrap() {
        assert_eq!(m["deliveries"][2]["status"], "sent");
    }
}
