//! Both sides of a referral are customers the registry issued, compared by standard ID.

use cid_common::Role;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn referrals_between_customers_the_registry_never_issued_are_404_and_pay_nothing() {
    let app = spawn_app().await;
    let real = app.register_customer().await;
    let code = link(&app, &real, json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    for (referrer, referee) in [("GHOST-A", "GHOST-B"), (real.as_str(), "GHOST-B")] {
        let res = track(&app, referrer, &code, referee, "first_purchase").await;
        cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    }
    let res = app
        .client
        .post(url(&app, "/GHOST-A/generate-link"))
        .bearer_auth(app.token("admin", &[Role::Admin]))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 404, "CUSTOMER_NOT_FOUND").await;
    assert_eq!(stats(&app, &real).await["totalReferrals"], 0);
    // A deactivated referee is refused too.
    let gone = app.register_customer().await;
    app.deactivate_customer(&gone).await;
    let res = track(&app, &real, &code, &gone, "signup").await;
    cid_testkit::problem(res, 409, "CUSTOMER_INACTIVE").await;
}

#[tokio::test]
async fn referring_oneself_by_an_alias_is_still_a_self_referral() {
    let app = spawn_app().await;
    let me = app.register_customer().await;
    let code = link(&app, &me, json!({})).await["referralCode"]
        .as_str()
        .unwrap()
        .to_owned();
    let record = app.registry_record(&me).await;
    let short = record["shortId"].as_str().unwrap();
    let res = track(&app, &me, &code, short, "signup").await;
    cid_testkit::problem(res, 422, "SELF_REFERRAL").await;
}
