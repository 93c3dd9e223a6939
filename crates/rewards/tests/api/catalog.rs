//! The public catalog.

use serde_json::Value;

use crate::helpers::World;

#[tokio::test]
async fn the_catalog_is_public_bilingual_and_lists_the_calendar() {
    let w = World::start().await;
    let res = w.get("/all", None).await;
    assert_eq!(res.status(), 200);
    let items = res.json::<Value>().await.unwrap()["data"].clone();
    let summary: Vec<_> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_owned(),
                i["points"].as_i64().unwrap(),
                i["discountPercent"].as_i64().unwrap(),
                i["validityDays"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            ("birthday".into(), 500, 25, Some(30)),
            ("anniversary".into(), 300, 15, Some(30)),
            ("holiday".into(), 200, 10, None),
            ("milestone".into(), 400, 20, Some(60)),
        ]
    );
    let keys: Vec<_> = items[2]["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, vec!["open-now", "soon"], "past holidays are left out");
    let ar: Value = w
        .client()
        .get(w.url("/all"))
        .header("Accept-Language", "ar")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ar["data"][0]["name"], "مكافأة عيد الميلاد");
    assert_eq!(ar["data"][2]["holidays"][0]["name"], "عيد الاختبار");
}
