//! Request and response bodies of the analytics API (camelCase on the wire).

use chrono::{NaiveDateTime, Utc};
use cid_common::time::{major_units, minor_units, rfc3339};
use cid_common::{FieldError, FieldIssue};
use cid_kit::Validate;
use cid_kit::json::reported_time;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{self, EventType, PurchaseStatus};
use crate::ops::{PurchaseInput, Recorded, Summary};
use crate::store::Purchase;

const MAX_ORDER_ID: usize = 128;

/// `POST /analytics/{customerId}/purchases`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"orderId": "ORD-1001", "amount": 250.0, "currency": "SAR", "category": "electronics", "purchasedAt": "2026-11-30T09:15:00Z", "status": "completed"}))]
pub struct PurchaseRequest {
    /// Unique per customer: the same order again is a replay, not a second purchase.
    #[schema(min_length = 1, max_length = 128, pattern = r"\S")]
    pub order_id: String,
    /// Major units (SAR), at most two decimals, more than 0 and at most 10,000,000.
    #[schema(exclusive_minimum = 0, maximum = 10_000_000)]
    pub amount: f64,
    /// Only `SAR`.
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: String,
    /// Free text, compared case-insensitively.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub category: String,
    /// RFC 3339, not in the future.
    #[schema(format = DateTime)]
    pub purchased_at: String,
    /// `completed` (default) or `refunded` (turns a recorded order into a refund).
    pub status: Option<PurchaseStatus>,
}

impl Validate for PurchaseRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let order = self.order_id.trim();
        if order.is_empty() || order.chars().count() > MAX_ORDER_ID {
            errors.push(FieldError::new("orderId", FieldIssue::InvalidFormat));
        }
        match minor_units(self.amount) {
            None => errors.push(FieldError::new(
                "amount",
                FieldIssue::TooManyDecimals { max: 2 },
            )),
            Some(minor) if !(1..=domain::MAX_AMOUNT_MINOR).contains(&minor) => {
                errors.push(FieldError::new(
                    "amount",
                    FieldIssue::OutOfRange {
                        min: 0,
                        max: domain::MAX_AMOUNT_MINOR / 100,
                    },
                ));
            }
            _ => {}
        }
        if self.currency.len() != 3 || !self.currency.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(FieldError::new("currency", FieldIssue::InvalidFormat));
        }
        let category = self.category.trim();
        if category.is_empty() {
            errors.push(FieldError::new("category", FieldIssue::Required));
        } else if category.chars().count() > domain::MAX_CATEGORY {
            errors.push(FieldError::new(
                "category",
                FieldIssue::TooLong {
                    max: domain::MAX_CATEGORY,
                },
            ));
        }
        reported_time(
            &mut errors,
            "purchasedAt",
            &self.purchased_at,
            Utc::now().naive_utc(),
        );
        errors
    }
}

impl PurchaseRequest {
    /// The validated input (call after `validate` passed).
    pub fn input(&self, now: NaiveDateTime) -> Option<PurchaseInput> {
        let mut ignored = Vec::new();
        Some(PurchaseInput {
            order_id: self.order_id.trim().to_owned(),
            amount_minor: minor_units(self.amount)?,
            category: self.category.trim().to_owned(),
            purchased_at: reported_time(&mut ignored, "", &self.purchased_at, now)?,
            status: self.status.unwrap_or(PurchaseStatus::Completed),
        })
    }
}

/// A purchase as recorded.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseResponse {
    pub customer_id: String,
    pub order_id: String,
    pub amount: f64,
    pub currency: String,
    pub category: String,
    pub purchased_at: String,
    pub status: PurchaseStatus,
    pub refunded_at: Option<String>,
    pub recorded_at: String,
    /// True when the order was already recorded with these details (nothing changed).
    pub replayed: bool,
}

impl PurchaseResponse {
    pub fn new(p: &Purchase, replayed: bool) -> Self {
        Self {
            customer_id: p.customer_id.clone(),
            order_id: p.order_id.clone(),
            amount: major_units(p.amount_minor),
            currency: p.currency.clone(),
            category: p.category.clone(),
            purchased_at: rfc3339(p.purchased_at),
            status: p.status,
            refunded_at: p.refunded_at.map(rfc3339),
            recorded_at: rfc3339(p.created_at),
            replayed,
        }
    }
}

impl From<&Recorded> for PurchaseResponse {
    fn from(r: &Recorded) -> Self {
        Self::new(r.purchase(), matches!(r, Recorded::Replayed(_)))
    }
}

/// `POST /analytics/{customerId}/events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"type": "visit", "occurredAt": "2026-11-30T09:15:00Z"}))]
pub struct EventRequest {
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// RFC 3339, not in the future.
    #[schema(format = DateTime)]
    pub occurred_at: String,
}

impl Validate for EventRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        reported_time(
            &mut errors,
            "occurredAt",
            &self.occurred_at,
            Utc::now().naive_utc(),
        );
        errors
    }
}

impl EventRequest {
    pub fn occurred_at(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        reported_time(&mut Vec::new(), "", &self.occurred_at, now)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventResponse {
    pub customer_id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: String,
}

/// `GET /analytics/{customerId}`: every figure from stored data (zeros for a customer with
/// none). Formulas: API guide, "Analytics".
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SummaryResponse {
    pub customer_id: String,
    /// Completed purchases (refunds excluded).
    pub total_purchases: i64,
    /// SAR.
    pub total_spent: f64,
    pub average_order_value: f64,
    pub first_purchase: Option<String>,
    pub last_purchase: Option<String>,
    pub favorite_category: Option<String>,
    pub customer_lifetime_value: f64,
    /// 0–100.
    pub engagement_score: u8,
    pub currency: &'static str,
}

impl SummaryResponse {
    pub fn new(customer: String, s: &Summary, now: NaiveDateTime) -> Self {
        let f = &s.figures;
        let inputs = engagement_inputs(s, now);
        Self {
            customer_id: customer,
            total_purchases: f.purchases,
            total_spent: major_units(f.spent_minor),
            average_order_value: major_units(domain::average(f.spent_minor, f.purchases)),
            first_purchase: f.first_purchase_at.map(rfc3339),
            last_purchase: f.last_purchase_at.map(rfc3339),
            favorite_category: domain::favourite(
                s.categories.iter().map(|(n, p, m)| (n.as_str(), *p, *m)),
            )
            .map(str::to_owned),
            customer_lifetime_value: major_units(domain::lifetime_value(
                f.spent_minor,
                s.last_year.1,
            )),
            engagement_score: domain::engagement_score(inputs),
            currency: domain::CURRENCY,
        }
    }
}

/// `GET /analytics/{customerId}/spending-trends?months=1..24`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonthResponse {
    /// `YYYY-MM`.
    pub month: String,
    /// The month in the request's language, e.g. `November 2026`.
    pub label: String,
    pub purchases: i64,
    /// SAR.
    pub amount: f64,
}

impl MonthResponse {
    pub fn new(m: &crate::ops::MonthFigures, locale: cid_common::Locale) -> Self {
        let (year, month, purchases, spent) = *m;
        Self {
            month: format!("{year:04}-{month:02}"),
            label: domain::month_label(year, month, locale),
            purchases,
            amount: major_units(spent),
        }
    }
}

/// One category of `GET /analytics/{customerId}/category-breakdown`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryResponse {
    pub category: String,
    pub purchases: i64,
    /// SAR.
    pub amount: f64,
    /// Share of the amount, two decimals; the shares add up to exactly 100.00.
    pub percentage: f64,
}

/// The breakdown, the most spent first, with shares by largest remainder.
pub fn breakdown(categories: &[(String, i64, i64)]) -> Vec<CategoryResponse> {
    let amounts: Vec<i64> = categories.iter().map(|c| c.2).collect();
    categories
        .iter()
        .zip(domain::shares_basis_points(&amounts))
        .map(|((name, purchases, spent), bp)| CategoryResponse {
            category: name.clone(),
            purchases: *purchases,
            amount: major_units(*spent),
            percentage: bp as f64 / 100.0,
        })
        .collect()
}

/// `GET /analytics/{customerId}/engagement`: what the engagement score is made of.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EngagementResponse {
    pub customer_id: String,
    /// Completed purchases in the current month and the eleven before.
    pub purchases_last_year: i64,
    /// Those purchases per month, two decimals.
    pub purchase_frequency: f64,
    pub days_since_last_purchase: Option<i64>,
    pub visits: i64,
    pub logins: i64,
    pub reviews: i64,
    pub shares: i64,
    /// Completed referrals (the referral service's count); null when it cannot be asked.
    pub referrals: Option<i64>,
    /// 0–100, the summary's `engagementScore`.
    pub engagement_score: u8,
}

impl EngagementResponse {
    pub fn new(customer: String, s: &Summary, referrals: Option<i64>, now: NaiveDateTime) -> Self {
        let f = &s.figures;
        let inputs = engagement_inputs(s, now);
        Self {
            customer_id: customer,
            purchases_last_year: s.last_year.0,
            purchase_frequency: (s.last_year.0 as f64 / 12.0 * 100.0).round() / 100.0,
            days_since_last_purchase: inputs.days_since_last_purchase,
            visits: f.visits,
            logins: f.logins,
            reviews: f.reviews,
            shares: f.shares,
            referrals,
            engagement_score: domain::engagement_score(inputs),
        }
    }
}

/// The engagement score's inputs from a customer's figures.
fn engagement_inputs(s: &Summary, now: NaiveDateTime) -> domain::EngagementInputs {
    let f = &s.figures;
    domain::EngagementInputs {
        days_since_last_purchase: f.last_purchase_at.map(|t| (now - t).num_days()),
        purchases_last_year: s.last_year.0,
        visits: f.visits,
        logins: f.logins,
        reviews: f.reviews,
        shares: f.shares,
    }
}
