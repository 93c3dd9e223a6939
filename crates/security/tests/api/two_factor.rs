//! Two-factor authentication through HTTP: enroll, confirm, replay, recovery codes, the
//! login service's check, the lock, and bad codes.

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn enabling_needs_no_body_and_answers_the_secret_the_uri_and_a_qr_code() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let res = post(&app, &me(&app, &c), &format!("/{c}/2fa/enable"), None).await;
    assert_eq!(res.status(), 200);
    let d = res.json::<Value>().await.unwrap()["data"].clone();
    let secret = d["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert_eq!(d["twoFactorEnabled"], false);
    assert_eq!(
        d["otpauthUri"],
        format!(
            "otpauth://totp/Customer%20ID:{c}?secret={secret}&issuer=Customer%20ID&algorithm=SHA1&digits=6&period=30"
        )
    );
    assert!(
        d["qrCode"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,")
    );
    // The secret is stored sealed, never as it is.
    let stored: Vec<(Option<String>, Option<String>)> = {
        use cid_security::schema::security_profiles as p;
        use diesel::prelude::*;
        let mut conn = app.db.connect();
        cid_kit::with_backend!(&mut conn, |c| p::table
            .select((p::totp_key_id, p::totp_sealed))
            .load(c)
            .unwrap())
    };
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0.as_deref(), Some("dev"));
    assert!(!stored[0].1.as_deref().unwrap().contains(secret));

    // Again before confirming: a new secret replaces the first, whose codes stop working.
    let again = post(&app, &me(&app, &c), &format!("/{c}/2fa/enable"), None).await;
    let second = again.json::<Value>().await.unwrap()["data"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(second, secret);
    let res = post(
        &app,
        &me(&app, &c),
        &format!("/{c}/2fa/verify"),
        Some(json!({"code": code(secret, 0)})),
    )
    .await;
    assert_eq!(problem(res, 422).await, "INVALID_CODE");
}

#[tokio::test]
async fn confirming_turns_it_on_with_ten_recovery_codes_and_a_code_is_accepted_once() {
    let app = spawn_app().await;
    let (c, secret) = enrolled(&app).await;
    let now = code(&secret, 0);
    let res = post(
        &app,
        &me(&app, &c),
        &format!("/{c}/2fa/verify"),
        Some(json!({ "code": now })),
    )
    .await;
    assert_eq!(res.status(), 200);
    let d = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(d["twoFactorEnabled"], true);
    let codes = d["recoveryCodes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.as_str().unwrap().len() == 14));
    assert_eq!(app.db.emitted_types(), ["security.two_factor_enabled"]);

    // On: enrolling or confirming again is a conflict.
    for path in ["enable", "verify"] {
        let res = post(
            &app,
            &me(&app, &c),
            &format!("/{c}/2fa/{path}"),
            Some(json!({ "code": now })),
        )
        .await;
        assert_eq!(problem(res, 409).await, "TWO_FACTOR_ENABLED", "{path}");
    }
    // The login service: the code just used is refused (replay), the next step's is taken.
    let check = |code: String| {
        let app = &app;
        let c = c.clone();
        async move {
            post(
                app,
                &login_service(app),
                &format!("/{c}/2fa/check"),
                Some(json!({ "code": code })),
            )
            .await
        }
    };
    assert_eq!(problem(check(now.clone()).await, 422).await, "INVALID_CODE");
    // Computed once: a step boundary between two computations would make it another code.
    let next = code(&secret, 1);
    let res = check(next.clone()).await;
    assert_eq!(res.status(), 200);
    let d = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (
            d["valid"].as_bool(),
            d["method"].as_str(),
            d["recoveryCodesLeft"].as_i64()
        ),
        (Some(true), Some("totp"), Some(10))
    );
    assert_eq!(problem(check(next).await, 422).await, "INVALID_CODE");
}

#[tokio::test]
async fn a_recovery_code_works_once_in_any_case_and_turns_it_off() {
    let app = spawn_app().await;
    let (c, _, codes) = protected(&app).await;
    let service = login_service(&app);
    let typed = codes[0].to_uppercase().replace('-', "");
    let res = post(
        &app,
        &service,
        &format!("/{c}/2fa/check"),
        Some(json!({"code": typed})),
    )
    .await;
    assert_eq!(res.status(), 200);
    let d = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (d["method"].as_str(), d["recoveryCodesLeft"].as_i64()),
        (Some("recovery"), Some(9))
    );
    let res = post(
        &app,
        &service,
        &format!("/{c}/2fa/check"),
        Some(json!({"code": codes[0]})),
    )
    .await;
    assert_eq!(problem(res, 422).await, "INVALID_CODE", "used up");

    let res = post(
        &app,
        &me(&app, &c),
        &format!("/{c}/2fa/disable"),
        Some(json!({"code": codes[1]})),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap()["data"]["twoFactorEnabled"],
        false
    );
    assert_eq!(
        app.db.emitted_types(),
        [
            "security.two_factor_enabled",
            "security.two_factor_disabled"
        ]
    );
    // Off: the other codes are gone with it, and a new enrollment can start.
    let res = post(
        &app,
        &service,
        &format!("/{c}/2fa/check"),
        Some(json!({"code": codes[2]})),
    )
    .await;
    assert_eq!(problem(res, 409).await, "TWO_FACTOR_NOT_ENABLED");
    let res = post(&app, &me(&app, &c), &format!("/{c}/2fa/enable"), None).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let app = spawn_app().await;
    let (c, _, old) = protected(&app).await;
    let res = post(
        &app,
        &me(&app, &c),
        &format!("/{c}/2fa/recovery-codes"),
        Some(json!({"code": old[0]})),
    )
    .await;
    assert_eq!(res.status(), 200);
    let fresh: Vec<String> = res.json::<Value>().await.unwrap()["data"]["recoveryCodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fresh.len(), 10);
    let service = login_service(&app);
    let res = post(
        &app,
        &service,
        &format!("/{c}/2fa/check"),
        Some(json!({"code": old[1]})),
    )
    .await;
    assert_eq!(problem(res, 422).await, "INVALID_CODE", "an old code");
    let res = post(
        &app,
        &service,
        &format!("/{c}/2fa/check"),
        Some(json!({"code": fresh[0]})),
    )
    .await;
    assert_eq!(res.status(), 200, "a new code");
}

#[tokio::test]
async fn five_wrong_codes_lock_checks_with_retry_after_even_for_a_right_code() {
    let app = spawn_app().await;
    let (c, secret, _) = protected(&app).await;
    let service = login_service(&app);
    for n in 1..=4 {
        let res = post(
            &app,
            &service,
            &format!("/{c}/2fa/check"),
            Some(json!({"code": "000000"})),
        )
        .await;
        assert_eq!(problem(res, 422).await, "INVALID_CODE", "wrong code {n}");
    }
    let fifth = post(
        &app,
        &service,
        &format!("/{c}/2fa/check"),
        Some(json!({"code": "000000"})),
    )
    .await;
    assert_eq!(fifth.status(), 429);
    let retry: u64 = fifth.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((890..=900).contains(&retry), "{retry}");
    assert_eq!(
        fifth.json::<Value>().await.unwrap()["code"],
        "TWO_FACTOR_LOCKED"
    );
    // Locked: the right code too, and turning 2FA off with it.
    let res = post(
        &app,
        &service,
        &format!("/{c}/2fa/check"),
        Some(json!({"code": code(&secret, 1)})),
    )
    .await;
    assert_eq!(problem(res, 429).await, "TWO_FACTOR_LOCKED");
    let res = post(
        &app,
        &me(&app, &c),
        &format!("/{c}/2fa/disable"),
        Some(json!({"code": code(&secret, 1)})),
    )
    .await;
    assert_eq!(problem(res, 429).await, "TWO_FACTOR_LOCKED");
    let emitted = app.db.emitted_types();
    assert!(emitted.contains(&"security.two_factor_locked".to_owned()));
    // And a high alert for the customer.
    let res = app
        .client
        .get(url(&app, &format!("/{c}/alerts?status=open")))
        .bearer_auth(me(&app, &c))
        .send()
        .await
        .unwrap();
    let alerts = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(alerts[0]["rule"], "two_factor_lockout");
    assert_eq!(alerts[0]["severity"], "high");
}

#[tokio::test]
async fn concurrent_checks_with_one_code_accept_it_once() {
    let app = spawn_app().await;
    let (c, secret, _) = protected(&app).await;
    let service = login_service(&app);
    let next = code(&secret, 1);
    // Five: one accepted and four refused, short of the lock (replays count as wrong codes).
    let tries = (0..5).map(|_| {
        let (app, service, c, next) = (&app, service.clone(), c.clone(), next.clone());
        async move {
            post(
                app,
                &service,
                &format!("/{c}/2fa/check"),
                Some(json!({ "code": next })),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let mut statuses = futures_util::future::join_all(tries).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 422, 422, 422, 422]);
}

#[tokio::test]
async fn malformed_codes_are_400_and_count_for_nothing() {
    let app = spawn_app().await;
    let (c, secret) = enrolled(&app).await;
    let token = me(&app, &c);
    for body in [
        None,
        Some(json!({})),
        Some(json!({"code": ""})),
        Some(json!({"code": "1234567"})),
        Some(json!({"code": "12345"})),
        Some(json!({"code": "12345a"})),
        Some(json!({"code": 123456})),
        Some(json!({"code": "abcd-efgh-jkmn"})),
        Some(json!({"code": "123456", "extra": 1})),
    ] {
        let res = post(&app, &token, &format!("/{c}/2fa/verify"), body.clone()).await;
        assert_eq!(res.status(), 400, "{body:?}");
    }
    // Nothing counted: the right code still confirms.
    let res = post(
        &app,
        &token,
        &format!("/{c}/2fa/verify"),
        Some(json!({"code": code(&secret, 0)})),
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn codes_before_enrolling_or_when_off_are_conflicts_and_strangers_are_not_found() {
    let app = spawn_app().await;
    let c = app.register_customer().await;
    let token = me(&app, &c);
    let res = post(
        &app,
        &token,
        &format!("/{c}/2fa/verify"),
        Some(json!({"code": "123456"})),
    )
    .await;
    assert_eq!(problem(res, 409).await, "TWO_FACTOR_NOT_ENROLLED");
    let res = post(
        &app,
        &token,
        &format!("/{c}/2fa/disable"),
        Some(json!({"code": "123456"})),
    )
    .await;
    assert_eq!(problem(res, 409).await, "TWO_FACTOR_NOT_ENABLED");
    let admin = app.token("admin-1", &[Role::Admin]);
    let res = post(&app, &admin, "/CID-2099-999999/2fa/enable", None).await;
    assert_eq!(problem(res, 404).await, "CUSTOMER_NOT_FOUND");
    let res = post(&app, &admin, "/not%20an%20id/2fa/enable", None).await;
    assert_eq!(res.status(), 400);
}
