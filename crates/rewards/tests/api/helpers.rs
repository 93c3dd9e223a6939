//! The registry, loyalty, analytics and rewards, in-process, wired to each other.

use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate};
use cid_common::Role;
use cid_testkit::TestApp;
use serde_json::{Value, json};

pub struct World {
    pub customers: TestApp,
    pub loyalty: TestApp,
    pub analytics: TestApp,
    pub rewards: TestApp,
}

impl World {
    /// Facts are not cached (every read asks the registry, loyalty and analytics again), the outbox
    /// retries every 200 ms, and the calendar has a holiday open today, one in a week and
    /// one long past.
    pub async fn start() -> Self {
        let customers = TestApp::spawn(cid_customers::SERVICE, cid_customers::app_spec).await;
        let mut settings = cid_testkit::settings();
        settings.services.get_mut("customers").unwrap().url = Some(customers.base.clone());
        let loyalty = TestApp::spawn_with(
            cid_loyalty::SERVICE,
            cid_loyalty::app_spec,
            settings.clone(),
        )
        .await;
        let analytics = TestApp::spawn_with(
            cid_analytics::SERVICE,
            cid_analytics::app_spec,
            settings.clone(),
        )
        .await;
        settings.services.get_mut("loyalty").unwrap().url = Some(loyalty.base.clone());
        settings.services.get_mut("analytics").unwrap().url = Some(analytics.base.clone());
        let today = cid_rewards::domain::today(180);
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let holiday = |key: &str, start: NaiveDate, end: NaiveDate| {
            json!({"key": key, "name_en": "Test Day", "name_ar": "عيد الاختبار",
                "start": day(start), "end": day(end)})
        };
        settings.sections.insert(
            "rewards".into(),
            json!({
                "utc_offset_minutes": 180,
                "facts_cache_secs": 0,
                "outbox_interval_ms": 200,
                "holidays": [
                    holiday("long-ago", today - Days::new(900), today - Days::new(898)),
                    holiday("open-now", today - Days::new(1), today + Days::new(2)),
                    holiday("soon", today + Days::new(7), today + Days::new(9)),
                ],
            }),
        );
        let rewards =
            TestApp::spawn_with(cid_rewards::SERVICE, cid_rewards::app_spec, settings).await;
        Self {
            customers,
            loyalty,
            analytics,
            rewards,
        }
    }

    pub fn today(&self) -> NaiveDate {
        cid_rewards::domain::today(180)
    }

    pub fn client(&self) -> reqwest::Client {
        self.rewards.client.clone()
    }

    pub fn url(&self, path: &str) -> String {
        self.rewards.url(&format!("/api/customer-id/rewards{path}"))
    }

    pub fn customer_token(&self, id: &str) -> String {
        self.rewards.token(id, &[Role::Customer])
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client().get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    /// Registers a customer and returns their customer ID.
    pub async fn customer(&self, user: &str, birth_date: Option<&str>) -> String {
        let res = self
            .client()
            .post(self.customers.url("/api/customer-id/customers"))
            .bearer_auth(self.rewards.token("signup", &[Role::Service]))
            .json(&json!({"userId": user, "userType": "buyer", "birthDate": birth_date}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        res.json::<Value>().await.unwrap()["data"]["customerId"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn special_dates(&self, id: &str) -> Value {
        let res = self
            .get(
                &format!("/{id}/special-dates"),
                Some(&self.customer_token(id)),
            )
            .await;
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["data"].clone()
    }

    pub fn find(list: &Value, kind: &str) -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["type"] == kind && d["status"] != "expired")
            .unwrap_or_else(|| panic!("no {kind} in {list}"))
            .clone()
    }

    pub fn find_occurrence(list: &Value, occurrence: &str) -> Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["occurrence"] == occurrence)
            .unwrap_or_else(|| panic!("no {occurrence} in {list}"))
            .clone()
    }

    pub async fn claim(
        &self,
        id: &str,
        token: &str,
        reward: &str,
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client()
            .post(self.url(&format!("/{id}/claim")))
            .bearer_auth(token)
            .json(&json!({"rewardId": reward}));
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        req.send().await.unwrap()
    }

    /// Records a completed purchase in analytics (where purchase milestones come from).
    pub async fn buy(&self, id: &str, order: &str) {
        let res = self
            .client()
            .post(
                self.analytics
                    .url(&format!("/api/customer-id/analytics/{id}/purchases")),
            )
            .bearer_auth(self.rewards.token("orders", &[Role::Service]))
            .json(&json!({"orderId": order, "amount": 120, "currency": "SAR",
                "category": "books", "purchasedAt": chrono::Utc::now().to_rfc3339()}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    pub async fn earn(&self, id: &str, body: Value) {
        let res = self
            .client()
            .post(
                self.loyalty
                    .url(&format!("/api/customer-id/loyalty/{id}/points")),
            )
            .bearer_auth(self.rewards.token("orders", &[Role::Service]))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }

    /// `(points, ledger entries)` of the loyalty account, `None` for an account never touched.
    pub async fn balance(&self, id: &str) -> Option<(i64, usize)> {
        let body: Value = self
            .client()
            .get(self.loyalty.url(&format!("/api/customer-id/loyalty/{id}")))
            .bearer_auth(self.rewards.token("admin", &[Role::Admin]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entries = body["data"]["pointsHistory"].as_array()?.len();
        (entries > 0).then(|| (body["data"]["points"].as_i64().unwrap(), entries))
    }

    pub async fn wait_for_balance(&self, id: &str, points: i64, entries: usize) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.balance(id).await != Some((points, entries)) {
            assert!(
                Instant::now() < deadline,
                "loyalty shows {:?}, expected {points} in {entries} entries",
                self.balance(id).await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

pub fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A birth date in 1992 (a leap year) on the given day of the calendar.
pub fn born_on(day: NaiveDate) -> String {
    format!("1992-{:02}-{:02}", day.month(), day.day())
}
