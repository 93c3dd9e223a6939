//! Preferences: defaults, partial changes in both spellings, the rules that refuse.

use cid_common::Role;
use cid_testkit::problem;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_customer_never_seen_gets_the_defaults_in_both_spellings() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let p = read(&app, &id).await;
    assert_eq!(
        p,
        json!({
            "customerId": id,
            "channels": {"email": true, "sms": false, "push": true, "inApp": true},
            "categories": {"promotional": false, "orderUpdates": true, "loyaltyUpdates": true, "security": true},
            "frequency": "instant", "quietHours": null, "language": "en",
            "emailNotifications": true, "smsNotifications": false, "pushNotifications": true,
            "promotionalEmails": false, "orderUpdates": true, "loyaltyUpdates": true,
            "updatedAt": null
        })
    );
}

#[tokio::test]
async fn changes_merge_in_either_spelling_and_are_kept() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let me = app.token(&id, &[Role::Customer]);
    let res = put(
        &app,
        &id,
        &me,
        &json!({"smsNotifications": true, "promotionalEmails": true,
            "channels": {"inApp": false}, "frequency": "daily", "language": "ar",
            // A zone is read in any case and kept as the tz database spells it.
            "quietHours": {"start": "22:00", "end": "07:00", "timeZone": "asia/riyadh"}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let p = read(&app, &id).await;
    assert_eq!(
        (
            p["channels"].clone(),
            p["smsNotifications"].clone(),
            p["categories"]["promotional"].clone(),
            p["frequency"].clone(),
            p["language"].clone(),
            p["quietHours"].clone()
        ),
        (
            json!({"email": true, "sms": true, "push": true, "inApp": false}),
            json!(true),
            json!(true),
            json!("daily"),
            json!("ar"),
            json!({"start": "22:00", "end": "07:00", "timeZone": "Asia/Riyadh"})
        )
    );
    assert!(p["updatedAt"].is_string());
    // Both spellings agreeing is fine; null clears quiet hours; the rest stays.
    let res = put(
        &app,
        &id,
        &me,
        &json!({"channels": {"email": false}, "emailNotifications": false, "quietHours": null}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let p = read(&app, &id).await;
    assert_eq!(
        (
            p["emailNotifications"].clone(),
            p["quietHours"].clone(),
            p["frequency"].clone()
        ),
        (json!(false), json!(null), json!("daily"))
    );
}

#[tokio::test]
async fn bad_preferences_are_refused_naming_the_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let me = app.token(&id, &[Role::Customer]);
    let res = put(&app, &id, &me, &json!({"categories": {"security": false}})).await;
    let p = problem(res, 422, "SECURITY_ALWAYS_ON").await;
    assert_eq!(p["errors"][0]["field"], "categories.security");
    for (body, field) in [
        (
            json!({"channels": {"email": true}, "emailNotifications": false}),
            "emailNotifications",
        ),
        (
            json!({"categories": {"promotional": false}, "promotionalEmails": true}),
            "promotionalEmails",
        ),
        (
            json!({"quietHours": {"start": "25:00", "end": "07:00", "timeZone": "UTC"}}),
            "quietHours.start",
        ),
        (
            json!({"quietHours": {"start": "22:00", "end": "7", "timeZone": "UTC"}}),
            "quietHours.end",
        ),
        (
            json!({"quietHours": {"start": "22:00", "end": "07:00", "timeZone": "Mars/Olympus"}}),
            "quietHours.timeZone",
        ),
        (
            json!({"quietHours": {"start": "22:00", "end": "22:00", "timeZone": "UTC"}}),
            "quietHours.end",
        ),
        (json!({}), "channels"),
    ] {
        let res = put(&app, &id, &me, &body).await;
        let p = problem(res, 400, "VALIDATION_FAILED").await;
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{body}: {p}"
        );
    }
    // An empty change is refused for naming nothing, not for a missing `channels`.
    let p = problem(
        put(&app, &id, &me, &json!({})).await,
        400,
        "VALIDATION_FAILED",
    )
    .await;
    let message = p["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("give at least one of: channels, categories"),
        "{p}"
    );
    for body in [
        json!({"emailNotification": true}),
        json!({"channels": {"fax": true}}),
        json!({"frequency": "monthly"}),
        json!({"language": "fr"}),
        json!({"smsNotifications": "yes"}),
        json!({"quietHours": {"start": "22:00", "end": "07:00"}}),
    ] {
        let res = put(&app, &id, &me, &body).await;
        assert_eq!(res.status(), 400, "{body}");
    }
    assert_eq!(
        read(&app, &id).await["updatedAt"],
        json!(null),
        "nothing was stored"
    );
    let other = app.register_customer().await;
    let res = put(&app, &other, &me, &json!({"frequency": "daily"})).await;
    problem(res, 403, "FORBIDDEN").await;
    let res = put(
        &app,
        "CID-2026-999999",
        &admin(&app),
        &json!({"frequency": "daily"}),
    )
    .await;
    problem(res, 404, "CUSTOMER_NOT_FOUND").await;
}

#[tokio::test]
async fn a_change_by_staff_is_in_the_audit_log_and_the_customers_own_is_not() {
    let app = spawn_app().await;
    let id = app.register_customer().await;
    let me = app.token(&id, &[Role::Customer]);
    assert_eq!(
        put(&app, &id, &me, &json!({"frequency": "weekly"}))
            .await
            .status(),
        200
    );
    assert_eq!(
        put(&app, &id, &admin(&app), &json!({"smsNotifications": true}))
            .await
            .status(),
        200
    );
    let res = app
        .client
        .get(url(&app, &format!("/audit?target=customer:{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    let log: Value = res.json().await.unwrap();
    let entries = log["data"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(
        (
            entries[0]["action"].clone(),
            entries[0]["before"]["smsNotifications"].clone(),
            entries[0]["after"]["smsNotifications"].clone(),
            entries[0]["after"]["frequency"].clone()
        ),
        (
            json!("notifications.preferences_changed"),
            json!(false),
            json!(true),
            json!("weekly")
        )
    );
}
