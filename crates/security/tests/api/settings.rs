//! Settings the service refuses to start with.

use serde_json::json;

fn build(env: &str, section: serde_json::Value) -> Result<(), String> {
    let mut settings = cid_testkit::settings();
    settings.env = env.to_owned();
    settings.sections.insert("security".into(), section);
    let db = cid_testkit::TestDb::new("security");
    cid_security::app_spec(&settings, &db.url)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

const KEY: &str = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";

#[test]
fn production_refuses_the_development_key_and_takes_its_own() {
    let err = build("production", json!({})).unwrap_err();
    assert!(err.contains("development key"), "{err}");
    // The development key listed beside a real active one is dropped, not refused.
    build(
        "production",
        json!({"active_key": "k1", "keys": {"dev": cid_security::DEV_KEY, "k1": KEY}}),
    )
    .unwrap();
    build("test", json!({})).unwrap();
}

#[test]
fn keys_that_cannot_seal_refuse_to_start() {
    for section in [
        json!({"active_key": "k2", "keys": {"k1": KEY}}),
        json!({"active_key": "k1", "keys": {"k1": "c2hvcnQ="}}),
        json!({"active_key": "k1", "keys": {"k1": "not base64!"}}),
        json!({"lockout": {"max_failures": 0, "window_minutes": 15, "lock_minutes": 15}}),
        json!({"totp_issuer": "a:b"}),
        json!({"issuer": "x"}),
    ] {
        assert!(build("test", section.clone()).is_err(), "{section}");
    }
}
