//! Security events through the rules, alerts, the risk score, recommendations, reports and
//! history — through HTTP.

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

/// An RFC 3339 time `minutes` from now.
fn at(minutes: i64) -> String {
    cid_common::time::rfc3339(chrono::Utc::now().naive_utc() + chrono::Duration::minutes(minutes))
}

async fn event(app: &cid_testkit::TestApp, c: &str, body: Value) -> reqwest::Response {
    post(
        app,
        &login_service(app),
        &format!("/{c}/events"),
        Some(body),
    )
    .await
}

/// Posts an event (201 expected); the rules of the alerts it raised.
async fn raised(app: &cid_testkit::TestApp, c: &str, body: Value) -> Vec<String> {
    let res = event(app, c, body).await;
    assert_eq!(res.status(), 201);
    res.json::<Value>().await.unwrap()["data"]["alertsRaised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule"].as_str().unwrap().to_owned())
        .collect()
}

async fn get(app: &cid_testkit::TestApp, token: &str, path: &str) -> Value {
    let res = app
        .client
        .get(url(app, path))
        .bearer_auth(token)
        .header("Accept-Language", "ar")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET {path}");
    res.json().await.unwrap()
}

fn advice(v: &Value) -> Vec<&str> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn five_failed_logins_raise_one_high_alert_that_moves_the_score_until_resolved() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let mine = me(&app, &c);
    let status = get(&app, &mine, &format!("/{c}/status")).await["data"].clone();
    assert_eq!(
        (status["riskScore"].as_i64(), status["overallRisk"].as_str()),
        (Some(10), Some("low"))
    );
    let recs = get(&app, &mine, &format!("/{c}/recommendations")).await;
    assert_eq!(advice(&recs), ["enable_two_factor"]);

    for n in 1..=4 {
        let body =
            json!({"type": "login_failed", "ipAddress": "203.0.113.7", "occurredAt": at(-5)});
        assert!(raised(&app, &c, body).await.is_empty(), "failure {n}");
    }
    let fifth = json!({"type": "login_failed", "ipAddress": "2001:db8::1", "occurredAt": at(-1)});
    assert_eq!(raised(&app, &c, fifth.clone()).await, ["failed_logins"]);
    // The same cause again: no second alert while the first is open.
    assert!(raised(&app, &c, fifth).await.is_empty());

    let status = get(&app, &mine, &format!("/{c}/status")).await["data"].clone();
    // 40 (one high alert) + 2 × 6 failed logins + 10 (2FA off).
    assert_eq!(
        (status["riskScore"].as_i64(), status["overallRisk"].as_str()),
        (Some(62), Some("high"))
    );
    assert_eq!(status["suspiciousActivities"], 1);
    let alert = status["recentAlerts"][0].clone();
    assert_eq!(
        (alert["severity"].as_str(), alert["status"].as_str()),
        (Some("high"), Some("open"))
    );
    assert_eq!(alert["title"], "محاولات دخول فاشلة متكررة");
    assert_eq!(alert["details"]["failedLogins"], 5);
    let recs = get(&app, &mine, &format!("/{c}/recommendations")).await;
    assert_eq!(
        advice(&recs),
        ["enable_two_factor", "change_password", "review_sign_ins"]
    );

    // The customer resolves it: the score comes down, the advice with it.
    let alert_id = alert["alertId"].as_str().unwrap();
    let res = app
        .client
        .patch(url(&app, &format!("/{c}/alerts/{alert_id}")))
        .bearer_auth(&mine)
        .json(&json!({"status": "resolved", "note": "It was me, typing fast"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let done = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (done["status"].as_str(), done["note"].as_str()),
        (Some("resolved"), Some("It was me, typing fast"))
    );
    let status = get(&app, &mine, &format!("/{c}/status")).await["data"].clone();
    assert_eq!(
        (status["riskScore"].as_i64(), status["overallRisk"].as_str()),
        (Some(22), Some("low"))
    );
    let recs = get(&app, &mine, &format!("/{c}/recommendations")).await;
    assert_eq!(advice(&recs), ["enable_two_factor"]);
    let open = get(&app, &mine, &format!("/{c}/alerts?status=open")).await;
    assert_eq!(open["data"], json!([]));
    // Twice: a conflict.
    let res = app
        .client
        .patch(url(&app, &format!("/{c}/alerts/{alert_id}")))
        .bearer_auth(&mine)
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res, 409).await, "ALERT_RESOLVED");
    assert_eq!(
        app.db.emitted_types(),
        ["security.alert_raised", "security.alert_resolved"]
    );
}

#[tokio::test]
async fn a_new_device_is_medium_and_another_country_within_two_hours_is_high() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let login = |device: &str, country: &str, minutes: i64| json!({"type": "login", "deviceId": device, "country": country, "occurredAt": at(minutes)});
    assert!(
        raised(&app, &c, login("phone-1", "SA", -600))
            .await
            .is_empty(),
        "the first device"
    );
    assert!(
        raised(&app, &c, login("phone-1", "sa", -500))
            .await
            .is_empty(),
        "seen, same country"
    );
    assert_eq!(
        raised(&app, &c, login("laptop-9", "SA", -300)).await,
        ["new_device"]
    );
    assert_eq!(
        raised(&app, &c, login("laptop-9", "AE", -270)).await,
        ["country_change"]
    );
    // Over three hours after the last login is time enough to travel.
    assert!(
        raised(&app, &c, login("phone-1", "EG", -60))
            .await
            .is_empty()
    );
    let alerts = get(&app, &me(&app, &c), &format!("/{c}/alerts")).await;
    let found: Vec<(&str, &str)> = alerts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["rule"].as_str().unwrap(), a["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [("country_change", "high"), ("new_device", "medium")]
    );
    let status = get(&app, &me(&app, &c), &format!("/{c}/status")).await["data"].clone();
    assert!(status["lastLogin"].as_str().is_some());
    let recs = get(&app, &me(&app, &c), &format!("/{c}/recommendations")).await;
    assert_eq!(
        advice(&recs),
        [
            "enable_two_factor",
            "change_password",
            "review_devices",
            "review_sign_ins"
        ]
    );
}

#[tokio::test]
async fn redemptions_over_the_limit_raise_one_alert() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let mut rules = Vec::new();
    for _ in 0..12 {
        rules.extend(
            raised(
                &app,
                &c,
                json!({"type": "redemption", "occurredAt": at(-1)}),
            )
            .await,
        );
    }
    assert_eq!(rules, ["redemption_velocity"]);
}

#[tokio::test]
async fn bad_events_are_400_and_nothing_is_stored() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let ok = json!({"type": "login", "occurredAt": at(0)});
    for (field, value) in [
        ("type", json!("sign_in")),
        ("ipAddress", json!("999.1.1.1")),
        ("ipAddress", json!("not an ip")),
        ("country", json!("XX")),
        ("country", json!("SAU")),
        ("country", json!("UK")),
        ("deviceId", json!("")),
        ("deviceId", json!("d".repeat(129))),
        ("occurredAt", json!(at(60))),
        ("occurredAt", json!("yesterday")),
        ("extra", json!(1)),
    ] {
        let mut body = ok.clone();
        body[field] = value.clone();
        let res = event(&app, &c, body).await;
        assert_eq!(res.status(), 400, "{field} = {value}");
    }
    let res = event(&app, &c, json!({"type": "login"})).await;
    assert_eq!(res.status(), 400, "occurredAt is required");
    // A customer cannot post events about themself.
    let res = post(
        &app,
        &me(&app, &c),
        &format!("/{c}/events"),
        Some(ok.clone()),
    )
    .await;
    assert_eq!(res.status(), 403);
    let history = get(&app, &me(&app, &c), &format!("/{c}/history")).await;
    assert_eq!(history["data"], json!([]), "nothing stored");
    // IPv6 and a lower-case country are fine.
    let mut body = ok;
    body["ipAddress"] = json!("2001:DB8::7");
    body["country"] = json!("sa");
    let res = event(&app, &c, body).await;
    assert_eq!(res.status(), 201);
    let d = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (d["ipAddress"].as_str(), d["country"].as_str()),
        (Some("2001:db8::7"), Some("SA"))
    );
}

#[tokio::test]
async fn a_report_is_stored_counted_and_announced() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let mine = me(&app, &c);
    let res = post(
        &app,
        &mine,
        &format!("/{c}/report"),
        Some(
            json!({"activityType": "phishing", "description": "An SMS asked for my code",
            "evidence": "From +966500000000"}),
        ),
    )
    .await;
    assert_eq!(res.status(), 201);
    let d = res.json::<Value>().await.unwrap()["data"].clone();
    assert!(d["reportId"].as_str().unwrap().starts_with("RPT-"));
    let status = get(&app, &mine, &format!("/{c}/status")).await["data"].clone();
    assert_eq!(status["riskScore"], 20, "10 for the report, 10 for 2FA off");
    assert_eq!(app.db.emitted_types(), ["security.activity_reported"]);
    for body in [
        json!({"activityType": "spam", "description": "x"}),
        json!({"activityType": "phishing", "description": "  "}),
        json!({"activityType": "phishing"}),
        json!({"activityType": "phishing", "description": "x".repeat(2001)}),
    ] {
        let res = post(&app, &mine, &format!("/{c}/report"), Some(body.clone())).await;
        assert_eq!(res.status(), 400, "{body}");
    }
}

#[tokio::test]
async fn history_pages_and_alerts_of_others_are_not_found() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    for t in ["login", "logout", "password_change"] {
        let res = event(&app, &c, json!({"type": t, "occurredAt": at(-1)})).await;
        assert_eq!(res.status(), 201);
    }
    let first = get(&app, &me(&app, &c), &format!("/{c}/history?limit=2")).await;
    let types: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["password_change", "logout"]);
    let cursor = first["page"]["nextCursor"].as_str().unwrap();
    let rest = get(
        &app,
        &me(&app, &c),
        &format!("/{c}/history?limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(rest["data"][0]["type"], "login");
    assert_eq!(rest["page"]["nextCursor"], Value::Null);

    // Someone else's alert is not found under my ID.
    let other = app.register_customer().await;
    for _ in 0..5 {
        event(
            &app,
            &other,
            json!({"type": "login_failed", "occurredAt": at(-1)}),
        )
        .await;
    }
    let theirs = get(&app, &me(&app, &other), &format!("/{other}/alerts")).await;
    let alert_id = theirs["data"][0]["alertId"].as_str().unwrap();
    let res = app
        .client
        .patch(url(&app, &format!("/{c}/alerts/{alert_id}")))
        .bearer_auth(me(&app, &c))
        .json(&json!({"status": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(res, 404).await, "ALERT_NOT_FOUND");
    // Staff resolve it under its customer, audited.
    let agent = app.token("agent-7", &[Role::Agent]);
    let res = app
        .client
        .patch(url(&app, &format!("/{other}/alerts/{alert_id}")))
        .bearer_auth(&agent)
        .json(&json!({"status": "resolved", "note": "Customer confirmed by phone"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let audit = get(&app, &app.token("admin-1", &[Role::Admin]), "/audit").await;
    assert_eq!(audit["data"][0]["action"], "security.alert_resolved");
    for bad in [
        json!({"status": "open"}),
        json!({}),
        json!({"status": "resolved", "note": "n".repeat(1001)}),
    ] {
        let res = app
            .client
            .patch(url(&app, &format!("/{other}/alerts/{alert_id}")))
            .bearer_auth(&agent)
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn a_retried_event_counts_once_and_concurrent_failures_raise_one_alert() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let body = json!({"type": "login_failed", "occurredAt": at(-1)});
    let send = |key: &'static str| {
        let (app, c, body) = (&app, c.clone(), body.clone());
        async move {
            app.client
                .post(url(app, &format!("/{c}/events")))
                .bearer_auth(login_service(app))
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("login-attempt-1").await;
    assert_eq!(first.status(), 201);
    let again = send("login-attempt-1").await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotency-replay"], "true");
    let history = get(&app, &me(&app, &c), &format!("/{c}/history")).await;
    assert_eq!(history["data"].as_array().unwrap().len(), 1, "one event");

    // Nine more at once: every one stored, one alert.
    let burst = (0..9).map(|_| event(&app, &c, body.clone()));
    let statuses: Vec<u16> = futures_util::future::join_all(burst)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let alerts = get(&app, &me(&app, &c), &format!("/{c}/alerts")).await;
    assert_eq!(alerts["data"].as_array().unwrap().len(), 1);
    assert_eq!(alerts["data"][0]["rule"], "failed_logins");
}

#[tokio::test]
async fn loyalty_redemptions_arriving_as_domain_events_feed_the_rule_once_each() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let service = login_service(&app);
    let redeemed = |n: usize| {
        json!({"id": format!("0193-redeem-{n}"), "type": "loyalty.points_redeemed",
            "occurredAt": at(-1), "customerId": c, "data": {"points": 100, "balance": 900},
            "requestId": null})
    };
    for n in 0..11 {
        let res = post(&app, &service, "/domain-events", Some(redeemed(n))).await;
        assert_eq!(res.status(), 202);
        assert_eq!(
            res.json::<Value>().await.unwrap()["data"]["duplicate"],
            false
        );
    }
    // A redelivery changes nothing.
    let res = post(&app, &service, "/domain-events", Some(redeemed(3))).await;
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["duplicate"],
        true
    );
    let history = get(&app, &me(&app, &c), &format!("/{c}/history?limit=100")).await;
    assert_eq!(history["data"].as_array().unwrap().len(), 11);
    let alerts = get(&app, &me(&app, &c), &format!("/{c}/alerts")).await;
    assert_eq!(alerts["data"][0]["rule"], "redemption_velocity");
    // Other types are taken and ignored; only services may send; bad events are 400.
    let other = json!({"id": "0193-x", "type": "loyalty.points_earned", "occurredAt": at(-1),
        "customerId": c, "data": {}, "requestId": null});
    assert_eq!(
        post(&app, &service, "/domain-events", Some(other.clone()))
            .await
            .status(),
        202
    );
    assert_eq!(
        post(&app, &me(&app, &c), "/domain-events", Some(other))
            .await
            .status(),
        403
    );
    let bad = json!({"id": "", "type": "Loyalty", "occurredAt": "soon", "customerId": c,
        "data": {}, "requestId": null});
    assert_eq!(
        post(&app, &service, "/domain-events", Some(bad))
            .await
            .status(),
        400
    );
}

#[tokio::test]
async fn metrics_show_the_outbox_backlog_the_pool_and_the_process() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    // Events for notifications, which is not running here: they wait in the outbox.
    for _ in 0..5 {
        event(
            &app,
            &c,
            json!({"type": "login_failed", "occurredAt": at(-1)}),
        )
        .await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(&format!("{name}{{")))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(value("cid_outbox_pending"), 1.0, "the alert's event");
    assert!(value("cid_outbox_oldest_age_seconds") >= 1.0);
    assert!(value("cid_db_pool_size") >= 1.0);
    assert_eq!(value("cid_db_pool_waiting"), 0.0);
    assert!(value("cid_process_resident_memory_bytes") > 1_000_000.0);
    assert!(value("cid_process_threads") >= 1.0);
    assert!(value("cid_process_open_fds") >= 3.0);
}
