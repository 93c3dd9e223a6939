//! Request and response bodies of the rewards API (camelCase on the wire).

use chrono::NaiveDate;
use cid_common::time::rfc3339;
use cid_common::{FieldError, FieldIssue, Locale};
use cid_kit::Validate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::catalog::Entry;
use crate::domain::occurrences::{self, Status};
use crate::store::Instance;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogResponse {
    /// birthday | anniversary | holiday | milestone
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub points: i32,
    pub discount_percent: i32,
    /// Days the reward can be claimed from its date; null for holidays (their window is in
    /// `holidays`).
    pub validity_days: Option<i64>,
    /// For the holiday reward: the calendar's holidays within a year from today.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holidays: Option<Vec<HolidayResponse>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HolidayResponse {
    pub key: String,
    pub name: String,
    pub start_date: String,
    pub end_date: String,
}

/// One reward instance of a customer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RewardResponse {
    pub reward_id: String,
    pub customer_id: String,
    /// birthday | anniversary | holiday | milestone
    #[serde(rename = "type")]
    pub kind: String,
    /// The year of a birthday or anniversary, the holiday's key, or the milestone.
    pub occurrence: String,
    pub name: String,
    pub description: String,
    pub points: i32,
    pub discount_percent: i32,
    /// `YYYY-MM-DD`.
    pub special_date: String,
    /// First day the reward can be claimed, `YYYY-MM-DD`.
    pub valid_from: String,
    /// Last day the reward can be claimed (inclusive), `YYYY-MM-DD`.
    pub valid_until: String,
    /// upcoming | available | claimed | expired
    pub status: &'static str,
    /// Days until the window opens: positive when upcoming, 0 when available, null otherwise.
    pub days_until: Option<i64>,
    /// Days left to claim, today included; only when available.
    pub days_left: Option<i64>,
    pub claimed_at: Option<String>,
}

/// `YYYY-MM-DD`.
pub fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl RewardResponse {
    pub fn new(i: &Instance, today: NaiveDate, locale: Locale) -> Self {
        let status = status_of(i, today);
        let entry: &Entry = i.reward_type.entry();
        Self {
            reward_id: i.reward_id.clone(),
            customer_id: i.customer_id.clone(),
            kind: i.reward_type.as_str().to_owned(),
            occurrence: i.occurrence.clone(),
            name: match locale {
                Locale::Ar => i.name_ar.clone(),
                Locale::En => i.name_en.clone(),
            },
            description: entry.description.get(locale).to_owned(),
            points: i.points,
            discount_percent: i.discount_percent,
            special_date: day(i.special_date),
            valid_from: day(i.valid_from),
            valid_until: day(i.valid_until),
            status: status.as_str(),
            days_until: match status {
                Status::Upcoming => Some((i.valid_from - today).num_days()),
                Status::Available => Some(0),
                _ => None,
            },
            days_left: (status == Status::Available)
                .then(|| (i.valid_until - today).num_days() + 1),
            claimed_at: i.claimed_at.map(rfc3339),
        }
    }
}

/// Where the instance stands on `today`.
pub fn status_of(i: &Instance, today: NaiveDate) -> Status {
    occurrences::status(i.claimed_at.is_some(), i.valid_from, i.valid_until, today)
}

/// `POST /rewards/{customerId}/claim`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"rewardId": "01a22e1c-ea5e-753b-ae7e-63b2d0a5af12"}))]
pub struct ClaimRequest {
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub reward_id: String,
}

impl Validate for ClaimRequest {
    fn validate(&self) -> Vec<FieldError> {
        if self.reward_id.trim().is_empty() {
            vec![FieldError::new("rewardId", FieldIssue::Required)]
        } else if self.reward_id.len() > 64 {
            vec![FieldError::new("rewardId", FieldIssue::TooLong { max: 64 })]
        } else {
            Vec::new()
        }
    }
}

/// A claim: the reward, now claimed, and the points on their way to loyalty.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaimResponse {
    #[serde(flatten)]
    pub reward: RewardResponse,
    /// Points credited to the loyalty account (delivered exactly once; within seconds when
    /// loyalty is up, as soon as it is back otherwise).
    pub points_awarded: i32,
}
