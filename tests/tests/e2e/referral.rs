use std::time::{Duration, Instant};

use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_completed_referral_pays_both_sides_exactly_once_even_with_loyalty_down() {
    let mut loyalty = loyalty_with_registry().await;
    let (amal, badr) = (
        loyalty.register_customer().await,
        loyalty.register_customer().await,
    );
    let mut settings = cid_testkit::settings();
    settings.services.get_mut("loyalty").unwrap().url = Some(loyalty.base.clone());
    settings.services.get_mut("customers").unwrap().url =
        Some(loyalty.peer("customers").base.clone());
    settings.sections.insert(
        "referral".into(),
        json!({"link_base": "https://m.example", "outbox_interval_ms": 200}),
    );
    let referral =
        TestApp::spawn_with(cid_referral::SERVICE, cid_referral::app_spec, settings).await;
    let s = start_gateway(
        gateway_settings_for(
            &[("loyalty", &loyalty.base), ("referral", &referral.base)],
            json!({}),
        ),
        None,
    )
    .await;
    let service = s.token("orders", &[Role::Service]);

    let link: Value = s
        .client
        .post(s.url(&format!("/api/customer-id/referral/{amal}/generate-link")))
        .bearer_auth(s.token(&amal, &[Role::Customer]))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = link["data"]["referralCode"].as_str().unwrap().to_owned();
    let track = |event: &'static str| {
        s.client
            .post(s.url(&format!("/api/customer-id/referral/{amal}/track")))
            .bearer_auth(&service)
            .json(&json!({"referralCode": code, "referredCustomerId": badr, "event": event}))
            .send()
    };
    assert_eq!(track("signup").await.unwrap().status(), 200);

    loyalty.stop().await;
    let done = track("first_purchase").await.unwrap();
    assert_eq!(
        done.status(),
        200,
        "the customer's flow does not wait for loyalty"
    );
    assert_eq!(balance(&s, &amal).await, None, "loyalty is down");

    loyalty.restart().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while balance(&s, &amal).await != Some((100, 1)) || balance(&s, &badr).await != Some((50, 1)) {
        assert!(
            Instant::now() < deadline,
            "payout did not land: {:?} {:?}",
            balance(&s, &amal).await,
            balance(&s, &badr).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Further delivery rounds change nothing.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(balance(&s, &amal).await, Some((100, 1)));
    assert_eq!(balance(&s, &badr).await, Some((50, 1)));
    let stats: Value = s
        .client
        .get(s.url(&format!("/api/customer-id/referral/{amal}/stats")))
        .bearer_auth(s.token(&amal, &[Role::Customer]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["data"]["successfulReferrals"], 1);
    assert_eq!(stats["data"]["totalRewards"], 100);
}
