use std::collections::HashSet;

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn create_issues_an_id_in_three_formats_from_one_sequence() {
    let app = spawn_app().await;
    let a = create_ok(&app, "U1", "buyer").await;
    let b = create_ok(&app, "U2", "seller").await;
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(a["customerId"], format!("CID-{year}-000001"));
    assert_eq!(a["standardId"], a["customerId"]);
    assert_eq!(a["shortId"], "CID000001");
    assert_eq!(a["numericId"], 1);
    assert_eq!(b["shortId"], "CID000002", "types share the sequence");
    assert_eq!(a["active"], true);
}

#[tokio::test]
async fn a_second_create_for_the_same_user_is_409_naming_the_existing_id() {
    let app = spawn_app().await;
    let first = create_ok(&app, "DUP", "buyer").await;
    let res = create(&app, json!({"userId": "DUP", "userType": "traveler"})).await;
    let p = cid_testkit::problem(res, 409, "CUSTOMER_EXISTS").await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains(first["customerId"].as_str().unwrap())
    );
}

#[tokio::test]
async fn two_hundred_concurrent_creates_get_two_hundred_distinct_ids() {
    let app = spawn_app().await;
    let kinds = ["buyer", "seller", "traveler"];
    let sends = (0..200).map(|i| {
        create(
            &app,
            json!({"userId": format!("C{i}"), "userType": kinds[i % 3]}),
        )
    });
    let results = futures_util::future::join_all(sends).await;
    let mut ids = HashSet::new();
    for res in results {
        assert_eq!(res.status(), 201);
        let body: Value = res.json().await.unwrap();
        assert!(ids.insert(body["data"]["customerId"].as_str().unwrap().to_owned()));
    }
    assert_eq!(ids.len(), 200);
}

#[tokio::test]
async fn a_customer_is_found_by_any_id_format_and_only_by_themself_or_staff() {
    let app = spawn_app().await;
    let c = create_ok(&app, "U9", "buyer").await;
    let standard = c["customerId"].as_str().unwrap().to_owned();
    let me = app.token(&standard, &[Role::Customer]);
    for id in [standard.clone(), "CID000001".into(), "1".into()] {
        let res = app
            .client
            .get(url(&app, &format!("/{id}")))
            .bearer_auth(&me)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{id}");
        assert_eq!(res.json::<Value>().await.unwrap()["data"]["userId"], "U9");
    }
    let other = app.token("CID-2026-999999", &[Role::Customer]);
    let res = app
        .client
        .get(url(&app, &format!("/{standard}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    // A customer learns nothing about IDs that do not exist either.
    let res = app
        .client
        .get(url(&app, "/CID000777"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    let res = app
        .client
        .get(url(&app, "/CID000777"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    let res = app
        .client
        .get(url(&app, "/bad%20id"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
}

#[tokio::test]
async fn only_service_and_admin_create_customers() {
    let app = spawn_app().await;
    for role in [Role::Customer, Role::Agent] {
        let res = app
            .client
            .post(url(&app, ""))
            .bearer_auth(app.token("x", &[role]))
            .json(&json!({"userId": "U", "userType": "buyer"}))
            .send()
            .await
            .unwrap();
        cid_testkit::problem(res, 403, "FORBIDDEN").await;
    }
    let res = app
        .client
        .post(url(&app, ""))
        .json(&json!({"userId": "U", "userType": "buyer"}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 401, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn bad_create_bodies_name_their_fields() {
    let app = spawn_app().await;
    let cases = [
        (json!({"userType": "buyer"}), "userId"),
        (json!({"userId": "U", "userType": "alien"}), "userType"),
        (
            json!({"userId": "U", "userType": "buyer", "email": "nope"}),
            "email",
        ),
        (
            json!({"userId": "U", "userType": "buyer", "phone": "12ab"}),
            "phone",
        ),
        (
            json!({"userId": "U", "userType": "buyer", "birthDate": "2090-01-01"}),
            "birthDate",
        ),
        (
            json!({"userId": "U", "userType": "buyer", "birthDate": "31/12/1990"}),
            "birthDate",
        ),
        (
            json!({"userId": "U", "userType": "buyer", "locale": "fr"}),
            "locale",
        ),
        (
            json!({"userId": "U", "userType": "buyer", "nickname": "x"}),
            "nickname",
        ),
        (json!({"userId": "  ", "userType": "buyer"}), "userId"),
    ];
    for (body, field) in cases {
        let res = create(&app, body.clone()).await;
        let p = cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn the_owner_updates_their_profile_and_staff_deactivates_without_erasing() {
    let app = spawn_app().await;
    let c = create_ok(&app, "U5", "buyer").await;
    let id = c["customerId"].as_str().unwrap().to_owned();
    let me = app.token(&id, &[Role::Customer]);
    let res = app
        .client
        .put(url(&app, &format!("/{id}")))
        .bearer_auth(&me)
        .json(&json!({"name": "Sara", "birthDate": "1990-02-28", "locale": "ar"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let d: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (
            d["name"].clone(),
            d["birthDate"].clone(),
            d["locale"].clone()
        ),
        (json!("Sara"), json!("1990-02-28"), json!("ar"))
    );
    let res = app
        .client
        .put(url(&app, &format!("/{id}")))
        .bearer_auth(&me)
        .json(&json!({"userId": "steal"}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 400, "VALIDATION_FAILED").await;
    // A customer cannot deactivate; staff can, and the record stays readable.
    let res = app
        .client
        .delete(url(&app, &format!("/{id}")))
        .bearer_auth(&me)
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
    let res = app
        .client
        .delete(url(&app, &format!("/{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let d: Value = app
        .client
        .get(url(&app, &format!("/{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["data"]["active"], false);
    assert!(d["data"]["deactivatedAt"].is_string());
    // The deactivation is in the audit log, once (a second one changes nothing).
    let res = app
        .client
        .delete(url(&app, &format!("/{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let log: Value = app
        .client
        .get(url(&app, &format!("/audit?target=customer:{id}")))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = log["data"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(
        (
            entries[0]["action"].clone(),
            entries[0]["before"].clone(),
            entries[0]["after"].clone()
        ),
        (
            json!("customers.deactivated"),
            json!({"active": true}),
            json!({"active": false})
        )
    );
    let res = app
        .client
        .put(url(&app, &format!("/{id}")))
        .bearer_auth(admin(&app))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 409, "CUSTOMER_INACTIVE").await;
}

#[tokio::test]
async fn stats_count_by_type_and_state_for_staff_only() {
    let app = spawn_app().await;
    create_ok(&app, "A", "buyer").await;
    create_ok(&app, "B", "buyer").await;
    let t = create_ok(&app, "C", "traveler").await;
    app.client
        .delete(url(
            &app,
            &format!("/{}", t["customerId"].as_str().unwrap()),
        ))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    let res = app
        .client
        .get(url(&app, "/stats/overview"))
        .bearer_auth(app.token("agent", &[Role::Agent]))
        .send()
        .await
        .unwrap();
    let s: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (
            s["total"].clone(),
            s["active"].clone(),
            s["inactive"].clone()
        ),
        (json!(3), json!(2), json!(1))
    );
    assert_eq!(s["byType"]["buyer"]["total"], 2);
    assert_eq!(s["byType"]["seller"]["total"], 0);
    assert_eq!(s["byType"]["traveler"]["inactive"], 1);
    let res = app
        .client
        .get(url(&app, "/stats/overview"))
        .bearer_auth(app.token("c", &[Role::Customer]))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
}

#[tokio::test]
async fn the_csv_export_quotes_per_rfc_4180_and_works_on_an_empty_table() {
    let app = spawn_app().await;
    let empty = app
        .client
        .get(url(&app, "/export.csv"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 200);
    assert!(
        empty.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = empty.text().await.unwrap();
    assert_eq!(text.lines().count(), 1, "header only");
    assert!(text.starts_with("customerId,shortId,numericId,") && text.ends_with("\r\n"));

    create(
        &app,
        json!({"userId": "Q1", "userType": "buyer", "name": "Al \"Quoted\", Jr."}),
    )
    .await;
    let text = app
        .client
        .get(url(&app, "/export.csv"))
        .bearer_auth(admin(&app))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("\"Al \"\"Quoted\"\", Jr.\""), "{text}");
    let res = app
        .client
        .get(url(&app, "/export.csv"))
        .bearer_auth(app.token("agent", &[Role::Agent]))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 403, "FORBIDDEN").await;
}
