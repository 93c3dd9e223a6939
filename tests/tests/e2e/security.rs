//! Security through the gateway: failed logins reported by the login service raise an alert
//! that reaches the customer at once, quiet hours or not; 2FA with a code from the secret.

use std::time::Duration;

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn failed_logins_alert_the_customer_through_quiet_hours_and_2fa_works_through_the_gateway() {
    let Beside {
        notifications,
        service: security,
        stack: s,
    } = with_notifications(cid_security::SERVICE, cid_security::app_spec).await;
    let id = notifications.register_customer().await;
    let (me, login) = (
        s.token(&id, &[Role::Customer]),
        s.token("login", &[Role::Service]),
    );
    let at = |path: &str| s.url(&format!("/api/customer-id{path}"));
    // Quiet hours around now: nothing but security may ring.
    let now = chrono::Utc::now();
    let hhmm = |t: chrono::DateTime<chrono::Utc>| t.format("%H:%M").to_string();
    let res = s
        .client
        .put(at(&format!("/notifications/{id}/preferences")))
        .bearer_auth(&me)
        .json(
            &json!({"quietHours": {"start": hhmm(now - chrono::Duration::hours(1)),
            "end": hhmm(now + chrono::Duration::hours(1)), "timeZone": "UTC"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    for _ in 0..5 {
        let res = s
            .client
            .post(at(&format!("/security/{id}/events")))
            .bearer_auth(&login)
            .json(&json!({"type": "login_failed", "ipAddress": "198.51.100.4",
                "occurredAt": cid_common::time::rfc3339(now.naive_utc())}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    // The alert reaches the feed, and its push goes out rather than waiting for the end of
    // quiet hours (a promotion would be `scheduled`); email and SMS have no address here.
    let mut push = String::new();
    let mut entry = Value::Null;
    for _ in 0..100 {
        let feed: Value = s
            .client
            .get(at(&format!("/notifications/{id}/history")))
            .bearer_auth(&me)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        entry = feed["data"][0].clone();
        push = entry["deliveries"]
            .as_array()
            .and_then(|ds| ds.iter().find(|d| d["channel"] == "push"))
            .and_then(|d| d["status"].as_str())
            .unwrap_or_default()
            .to_owned();
        if push == "sent" {
            break;
        }
        assert_ne!(push, "scheduled", "held for quiet hours: {entry}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(entry["title"], "New security alert");
    assert_eq!(push, "sent", "{entry}");

    // Two-factor: enroll, a code from the secret, on; the same code again refused.
    let enrolled: Value = s
        .client
        .post(at(&format!("/security/{id}/2fa/enable")))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = enrolled["data"]["secret"].as_str().unwrap();
    let raw = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let step = cid_security::domain::totp::step_at(chrono::Utc::now().timestamp());
    let code = cid_security::domain::totp::code(&raw, step);
    let res = s
        .client
        .post(at(&format!("/security/{id}/2fa/verify")))
        .bearer_auth(&me)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = s
        .client
        .post(at(&format!("/security/{id}/2fa/check")))
        .bearer_auth(&login)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    drop(security);
}

#[tokio::test]
async fn redemptions_in_loyalty_reach_the_security_rules_as_domain_events() {
    let registry =
        cid_testkit::TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
    let security = cid_testkit::TestApp::spawn_beside(
        cid_security::SERVICE,
        cid_security::app_spec,
        vec![registry],
    )
    .await;
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("customers").unwrap().url =
        Some(security.peer("customers").base.clone());
    settings.services.get_mut("security").unwrap().url = Some(security.base.clone());
    let loyalty =
        cid_testkit::TestApp::spawn_with(cid_loyalty::SERVICE, cid_loyalty::app_spec, settings)
            .await;
    let id = security.register_customer().await;
    let (svc, me) = (
        loyalty.token("orders", &[Role::Service]),
        loyalty.token(&id, &[Role::Customer]),
    );
    let res = loyalty
        .client
        .post(loyalty.url(&format!("/api/customer-id/loyalty/{id}/points")))
        .bearer_auth(&svc)
        .json(&json!({"points": 5000, "reason": "welcome", "type": "manual"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for n in 0..11 {
        let res = loyalty
            .client
            .post(loyalty.url(&format!("/api/customer-id/loyalty/{id}/redeem")))
            .bearer_auth(&me)
            .json(&json!({"points": 10, "rewardId": format!("coupon-{n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "redeem {n}");
    }
    let rules = crate::helpers::alert_rules(&security, &id, &me).await;
    assert_eq!(rules, ["redemption_velocity"]);
}
