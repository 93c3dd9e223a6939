//! The public catalog: segments with their benefits and real member counts, and staff stats.

use cid_common::Role;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn segments_list_their_benefits_in_both_languages_and_count_real_members() {
    let app = spawn_app().await;
    let (a, b) = (app.register_customer().await, app.register_customer().await);
    buy(&app, &a, 0, 10, 100.0, 5).await;
    segment_of(&app, &a).await;
    segment_of(&app, &b).await;
    let res = app
        .client
        .get(url(&app, "/all/segments"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let list: Value = res.json::<Value>().await.unwrap()["data"].clone();
    let find = |s: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|x| x["segment"] == s)
            .unwrap()
            .clone()
    };
    assert_eq!(list.as_array().unwrap().len(), 5);
    assert_eq!(find("frequent")["members"], 1);
    assert_eq!(find("occasional")["members"], 1);
    assert_eq!(find("vip")["members"], 0);
    assert_eq!(find("vip")["discount"], 25);
    let ar: Value = app
        .client
        .get(url(&app, "/at-risk/benefits"))
        .header("Accept-Language", "ar")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ar["data"]["segment"], "at_risk");
    assert!(
        ar["data"]["name"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
    );
    let res = app
        .client
        .get(url(&app, "/platinum/benefits"))
        .send()
        .await
        .unwrap();
    cid_testkit::problem(res, 404, "SEGMENT_NOT_FOUND").await;

    let res = app
        .client
        .get(url(&app, "/frequent/stats"))
        .bearer_auth(app.token("agent", &[Role::Agent]))
        .send()
        .await
        .unwrap();
    let stats: Value = res.json::<Value>().await.unwrap()["data"].clone();
    assert_eq!(
        (
            stats["members"].clone(),
            stats["share"].clone(),
            stats["averageSpend"].clone()
        ),
        (json!(1), json!(50.0), json!(1000.0))
    );
}
