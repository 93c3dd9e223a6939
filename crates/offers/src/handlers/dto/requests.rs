//! Request bodies of the offers API and their rules.

use chrono::{DateTime, NaiveDateTime};
use cid_common::contracts::loyalty::Tier;
use cid_common::contracts::segmentation::Segment;
use cid_common::{CustomerId, FieldError, FieldIssue};
use cid_kit::Validate;
use cid_kit::json::{check_amount, check_text};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{
    Bilingual, DiscountType, MAX_TARGET_CUSTOMERS, Targeting, Texts, category_key,
};
use crate::store::Definition;

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 2000;
const MAX_TERMS: usize = 4000;
const MAX_CATEGORY: usize = 64;
const MAX_REASON: usize = 500;
const MAX_ID: usize = 64;
/// The largest order, minimum purchase or fixed discount, in halalas (10 million SAR).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;
const MAX_LIMIT: i64 = 1000;
const MAX_BUDGET_REDEMPTIONS: i64 = 100_000_000;

fn check_bilingual(
    errors: &mut Vec<FieldError>,
    text: &Bilingual,
    field: &str,
    required: bool,
    max: usize,
) {
    check_text(
        errors,
        &format!("{field}.en"),
        Some(&text.en),
        required,
        max,
    );
    check_text(
        errors,
        &format!("{field}.ar"),
        Some(&text.ar),
        required,
        max,
    );
}

fn trimmed(text: &Bilingual) -> Bilingual {
    Bilingual {
        en: text.en.trim().to_owned(),
        ar: text.ar.trim().to_owned(),
    }
}

/// Who an offer is for; every list given must match, none given means every customer.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetingRequest {
    pub segments: Option<Vec<Segment>>,
    pub tiers: Option<Vec<Tier>>,
    /// At most 1000 customer IDs (any format the registry issues).
    #[schema(max_items = 1000)]
    pub customer_ids: Option<Vec<String>>,
}

/// A budget: at most this many redemptions and/or this much saved (SAR); none = unlimited.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetRequest {
    #[schema(minimum = 1)]
    pub redemptions: Option<i64>,
    #[schema(minimum = 0.01)]
    pub amount: Option<f64>,
}

/// A text an offer must have in both languages (its title, its description): what the
/// document says of them; the terms may be left empty.
#[derive(ToSchema)]
#[allow(dead_code)] // a schema only: the wire form is `Bilingual`
pub struct OfferText {
    #[schema(min_length = 1)]
    en: String,
    #[schema(min_length = 1)]
    ar: String,
}

/// `POST /offers` and `PUT /offers/{offerId}` (a full replacement of the definition).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"title": {"en": "Double points weekend", "ar": "نقاط مضاعفة في عطلة نهاية الأسبوع"}, "description": {"en": "Earn double loyalty points on electronics.", "ar": "اكسب نقاط ولاء مضاعفة على الإلكترونيات."}, "category": "electronics", "discountType": "points_multiplier", "value": 2, "minPurchase": 100, "validFrom": "2026-12-03T21:00:00Z", "validUntil": "2026-12-05T21:00:00Z", "targeting": {"tiers": ["gold", "platinum"]}, "perCustomerLimit": 1, "budget": {"redemptions": 5000}}))]
pub struct OfferRequest {
    #[schema(value_type = OfferText)]
    pub title: Bilingual,
    #[schema(value_type = OfferText)]
    pub description: Bilingual,
    pub terms: Option<Bilingual>,
    /// Compared with analytics' categories: trimmed, lowercase.
    #[schema(min_length = 1, max_length = 64)]
    pub category: String,
    pub discount_type: DiscountType,
    /// percent: 1..100 (two decimals); fixed: SAR > 0; points_multiplier: more than 1, at
    /// most 10 (2 = double points); free_shipping: omitted or 0.
    pub value: Option<f64>,
    /// SAR; default 0.
    pub min_purchase: Option<f64>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub valid_from: String,
    /// RFC 3339, after `validFrom`.
    #[schema(format = DateTime)]
    pub valid_until: String,
    pub targeting: Option<TargetingRequest>,
    /// 1..1000; default 1.
    #[schema(minimum = 1, maximum = 1000)]
    pub per_customer_limit: Option<i64>,
    pub budget: Option<BudgetRequest>,
}

fn instant(raw: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|t| t.naive_utc())
}

/// The value times 100, checked against the kind's range.
fn value_hundredths(kind: DiscountType, value: Option<f64>) -> Result<i64, FieldIssue> {
    let (min, max) = match kind {
        DiscountType::Percent => (100, 10_000),
        DiscountType::Fixed => (1, MAX_AMOUNT_MINOR),
        DiscountType::PointsMultiplier => (101, 1_000),
        DiscountType::FreeShipping => (0, 0),
    };
    let Some(value) = value else {
        return if kind == DiscountType::FreeShipping {
            Ok(0)
        } else {
            Err(FieldIssue::Required)
        };
    };
    let hundredths =
        cid_common::time::minor_units(value).ok_or(FieldIssue::TooManyDecimals { max: 2 })?;
    if (min..=max).contains(&hundredths) {
        Ok(hundredths)
    } else {
        Err(FieldIssue::OutOfRange {
            min: (min + 99) / 100,
            max: max / 100,
        })
    }
}

impl Validate for OfferRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_bilingual(&mut errors, &self.title, "title", true, MAX_TITLE);
        check_bilingual(
            &mut errors,
            &self.description,
            "description",
            true,
            MAX_DESCRIPTION,
        );
        if let Some(terms) = &self.terms {
            check_bilingual(&mut errors, terms, "terms", false, MAX_TERMS);
        }
        check_text(
            &mut errors,
            "category",
            Some(&self.category),
            true,
            MAX_CATEGORY,
        );
        if let Err(issue) = value_hundredths(self.discount_type, self.value) {
            errors.push(FieldError::new("value", issue));
        }
        if let Some(min) = self.min_purchase {
            check_amount(&mut errors, "minPurchase", min, 0, MAX_AMOUNT_MINOR);
        }
        match (instant(&self.valid_from), instant(&self.valid_until)) {
            (None, _) => errors.push(FieldError::new("validFrom", FieldIssue::InvalidFormat)),
            (_, None) => errors.push(FieldError::new("validUntil", FieldIssue::InvalidFormat)),
            (Some(from), Some(until)) if until <= from => errors.push(FieldError::new(
                "validUntil",
                FieldIssue::MustBeAfter {
                    field: "validFrom".into(),
                },
            )),
            _ => {}
        }
        let ids = self
            .targeting
            .as_ref()
            .and_then(|t| t.customer_ids.as_ref());
        if let Some(ids) = ids {
            if ids.len() > MAX_TARGET_CUSTOMERS {
                errors.push(FieldError::new(
                    "targeting.customerIds",
                    FieldIssue::TooMany {
                        max: MAX_TARGET_CUSTOMERS,
                    },
                ));
            }
            for (i, id) in ids.iter().enumerate() {
                if CustomerId::parse(id).is_err() {
                    errors.push(FieldError::new(
                        format!("targeting.customerIds[{i}]"),
                        FieldIssue::InvalidFormat,
                    ));
                }
            }
        }
        if let Some(limit) = self.per_customer_limit
            && !(1..=MAX_LIMIT).contains(&limit)
        {
            errors.push(FieldError::new(
                "perCustomerLimit",
                FieldIssue::OutOfRange {
                    min: 1,
                    max: MAX_LIMIT,
                },
            ));
        }
        if let Some(budget) = &self.budget {
            if let Some(n) = budget.redemptions
                && !(1..=MAX_BUDGET_REDEMPTIONS).contains(&n)
            {
                errors.push(FieldError::new(
                    "budget.redemptions",
                    FieldIssue::OutOfRange {
                        min: 1,
                        max: MAX_BUDGET_REDEMPTIONS,
                    },
                ));
            }
            if let Some(amount) = budget.amount {
                check_amount(
                    &mut errors,
                    "budget.amount",
                    amount,
                    1,
                    MAX_AMOUNT_MINOR * 100,
                );
            }
        }
        errors
    }
}

fn sorted_unique<T: Ord + Clone>(items: &[T]) -> Vec<T> {
    let mut v = items.to_vec();
    v.sort();
    v.dedup();
    v
}

impl OfferRequest {
    /// The stored definition, once `validate` passed; `customers` are the standard IDs of
    /// `targeting.customerIds`.
    pub fn definition(&self, customers: Vec<String>) -> Definition {
        let targeting = self.targeting.clone().unwrap_or_default();
        let texts = Texts {
            title: trimmed(&self.title),
            description: trimmed(&self.description),
            terms: self.terms.as_ref().map(trimmed).unwrap_or_default(),
        };
        let targeting = Targeting {
            segments: sorted_unique(&targeting.segments.unwrap_or_default()),
            tiers: sorted_unique(&targeting.tiers.unwrap_or_default()),
            customers: sorted_unique(&customers),
        };
        let budget = self.budget.clone().unwrap_or_default();
        let json = |v: serde_json::Result<String>| v.unwrap_or_else(|_| "{}".into());
        Definition {
            texts: json(serde_json::to_string(&texts)),
            category: category_key(&self.category),
            discount_type: self.discount_type.as_str().to_owned(),
            value_hundredths: value_hundredths(self.discount_type, self.value).unwrap_or(0),
            min_purchase_minor: self
                .min_purchase
                .and_then(cid_common::time::minor_units)
                .unwrap_or(0),
            valid_from: instant(&self.valid_from).unwrap_or_default(),
            valid_until: instant(&self.valid_until).unwrap_or_default(),
            targeting: json(serde_json::to_string(&targeting)),
            per_customer_limit: self.per_customer_limit.unwrap_or(1),
            budget_redemptions: budget.redemptions,
            budget_amount_minor: budget.amount.and_then(cid_common::time::minor_units),
        }
    }

    pub fn customer_ids(&self) -> Vec<CustomerId> {
        self.targeting
            .as_ref()
            .and_then(|t| t.customer_ids.as_ref())
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| CustomerId::parse(i).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `POST /offers/{customerId}/apply`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"offerId": "01a22e1c-e32c-777a-8e1f-06374b7b5b2d", "orderAmount": 350.0}))]
pub struct ApplyRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub offer_id: String,
    /// SAR, two decimals; required by percent and points-multiplier offers and by any offer
    /// with a minimum purchase.
    #[schema(minimum = 0.01, maximum = 10_000_000)]
    pub order_amount: Option<f64>,
}

impl Validate for ApplyRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(&mut errors, "offerId", Some(&self.offer_id), true, MAX_ID);
        if let Some(amount) = self.order_amount {
            check_amount(&mut errors, "orderAmount", amount, 1, MAX_AMOUNT_MINOR);
        }
        errors
    }
}

impl ApplyRequest {
    pub fn order_minor(&self) -> Option<i64> {
        self.order_amount.and_then(cid_common::time::minor_units)
    }
}

/// `POST /offers/{customerId}/rollback`: the order was cancelled or refunded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(example = json!({"redemptionId": "01a22e1c-e344-7315-9a88-85034bfc0cff", "reason": "Order cancelled by the customer"}))]
pub struct RollbackRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub redemption_id: String,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

impl Validate for RollbackRequest {
    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_text(
            &mut errors,
            "redemptionId",
            Some(&self.redemption_id),
            true,
            MAX_ID,
        );
        check_text(&mut errors, "reason", Some(&self.reason), true, MAX_REASON);
        errors
    }
}
