//! Response bodies of the offers API. Money is SAR with two decimals, times RFC 3339 UTC.

use chrono::NaiveDateTime;
use cid_common::Locale;
use cid_common::contracts::loyalty::Tier;
use cid_common::contracts::segmentation::Segment;
use cid_common::time::{major_units, rfc3339};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Bilingual, DiscountType, OfferStatus, RedemptionStatus, status};
use crate::store::{Offer, Redemption};

/// The value as the request gave it: percent, SAR, multiplier, or 0 for free shipping.
fn value(offer: &Offer) -> f64 {
    major_units(offer.value_hundredths)
}

/// Who an offer targets (staff view).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TargetingResponse {
    pub segments: Vec<Segment>,
    pub tiers: Vec<Tier>,
    pub customer_ids: Vec<String>,
}

/// A budget and what is used of it; null limits are unlimited.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BudgetResponse {
    pub redemptions: Option<i64>,
    pub amount: Option<f64>,
    pub used_redemptions: i64,
    pub used_amount: f64,
}

/// An offer as the catalog holds it (admin and staff): both languages, targets and budget.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferResponse {
    pub offer_id: String,
    pub title: Bilingual,
    pub description: Bilingual,
    pub terms: Bilingual,
    pub category: String,
    pub discount_type: DiscountType,
    pub value: f64,
    pub min_purchase: f64,
    pub valid_from: String,
    pub valid_until: String,
    pub targeting: TargetingResponse,
    pub per_customer_limit: i64,
    pub budget: BudgetResponse,
    pub status: OfferStatus,
    pub updated_at: String,
}

impl OfferResponse {
    pub fn new(o: &Offer, now: NaiveDateTime) -> Self {
        let (targeting, texts, budget) = (o.targeting(), o.texts(), o.budget());
        Self {
            offer_id: o.offer_id.clone(),
            title: texts.title,
            description: texts.description,
            terms: texts.terms,
            category: o.category.clone(),
            discount_type: o.discount_type,
            value: value(o),
            min_purchase: major_units(o.min_purchase_minor),
            valid_from: rfc3339(o.valid_from),
            valid_until: rfc3339(o.valid_until),
            targeting: TargetingResponse {
                segments: targeting.segments,
                tiers: targeting.tiers,
                customer_ids: targeting.customers,
            },
            per_customer_limit: o.per_customer_limit,
            budget: BudgetResponse {
                redemptions: budget.redemptions,
                amount: budget.amount_minor.map(major_units),
                used_redemptions: budget.used_redemptions,
                used_amount: major_units(budget.used_amount_minor),
            },
            status: status(o.valid_from, o.valid_until, &budget, now),
            updated_at: rfc3339(o.updated_at),
        }
    }

    /// The definition as the audit log keeps it (counters and times left out, so an edit
    /// that changes nothing records nothing).
    pub fn snapshot(o: &Offer) -> serde_json::Value {
        let mut v = serde_json::to_value(Self::new(o, o.updated_at)).unwrap_or_default();
        if let Some(m) = v.as_object_mut() {
            for k in ["status", "updatedAt"] {
                m.remove(k);
            }
            if let Some(b) = m.get_mut("budget").and_then(|b| b.as_object_mut()) {
                b.remove("usedRedemptions");
                b.remove("usedAmount");
            }
        }
        v
    }
}

/// An offer as customers and the public see it: in the request's language, without the
/// names of targeted customers.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferView {
    pub offer_id: String,
    pub title: String,
    pub description: String,
    pub terms: String,
    pub category: String,
    pub discount_type: DiscountType,
    pub value: f64,
    pub min_purchase: f64,
    pub valid_from: String,
    pub valid_until: String,
    pub per_customer_limit: i64,
    /// The segments and tiers it is for (empty: any).
    pub segments: Vec<Segment>,
    pub tiers: Vec<Tier>,
    pub status: OfferStatus,
}

impl OfferView {
    pub fn new(o: &Offer, locale: Locale, now: NaiveDateTime) -> Self {
        let pick = |t: Bilingual| match locale {
            Locale::Ar if !t.ar.is_empty() => t.ar,
            _ => t.en,
        };
        let (targeting, texts) = (o.targeting(), o.texts());
        Self {
            offer_id: o.offer_id.clone(),
            title: pick(texts.title),
            description: pick(texts.description),
            terms: pick(texts.terms),
            category: o.category.clone(),
            discount_type: o.discount_type,
            value: value(o),
            min_purchase: major_units(o.min_purchase_minor),
            valid_from: rfc3339(o.valid_from),
            valid_until: rfc3339(o.valid_until),
            per_customer_limit: o.per_customer_limit,
            segments: targeting.segments,
            tiers: targeting.tiers,
            status: status(o.valid_from, o.valid_until, &o.budget(), now),
        }
    }
}

/// One offer of a customer's list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerOffer {
    #[serde(flatten)]
    pub offer: OfferView,
    /// How many more times this customer may apply it.
    pub uses_left: i64,
    /// In the customer's favourite category (ranked first).
    pub favorite: bool,
}

/// `GET /offers/{customerId}`: the offers the customer may apply now, ranked, and what they
/// were decided on.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerOffers {
    pub customer_id: String,
    /// Null when segmentation could not be asked (then offers for segments are left out).
    pub segment: Option<Segment>,
    /// True when segmentation served its last stored segment.
    pub segment_stale: bool,
    /// Null when loyalty could not be asked (then offers for tiers are left out).
    pub tier: Option<Tier>,
    pub favorite_category: Option<String>,
    /// Services that could not be asked; offers depending on them are not listed.
    pub unavailable: Vec<&'static str>,
    pub offers: Vec<CustomerOffer>,
}

/// A redemption: what one apply saved.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedemptionResponse {
    pub redemption_id: String,
    pub offer_id: String,
    pub customer_id: String,
    pub discount_type: DiscountType,
    pub order_amount: Option<f64>,
    /// SAR saved (0 for a points multiplier).
    pub savings: f64,
    /// Loyalty points credited on top of the order's own (points multiplier).
    pub extra_points: i64,
    pub currency: &'static str,
    pub status: RedemptionStatus,
    pub applied_at: String,
    pub rolled_back_at: Option<String>,
    pub rollback_reason: Option<String>,
}

impl From<&Redemption> for RedemptionResponse {
    fn from(r: &Redemption) -> Self {
        Self {
            redemption_id: r.redemption_id.clone(),
            offer_id: r.offer_id.clone(),
            customer_id: r.customer_id.clone(),
            discount_type: r.discount_type,
            order_amount: r.order_amount_minor.map(major_units),
            savings: major_units(r.savings_minor),
            extra_points: r.extra_points,
            currency: "SAR",
            status: r.status,
            applied_at: rfc3339(r.applied_at),
            rolled_back_at: r.rolled_back_at.map(rfc3339),
            rollback_reason: r.rollback_reason.clone(),
        }
    }
}
